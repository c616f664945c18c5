/**
 * The training inbox: uploads in order, size caps, name sanitising and
 * traversal attempts, sha256 checks, cancel and idle drops, release after a
 * run, and the startup sweep of day-old folders.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { STAGE_CHUNK_BYTES } from '../../common/contract';
import { decodeChunk, INBOX_FOLDER, MAX_OPEN_STAGES, sanitiseName, TrainingInbox } from '../../main/services/training-inbox';

let dataDir: string;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-inbox-'));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** Every file under the inbox, relative to it. */
async function inboxFiles(): Promise<string[]> {
  const root = path.join(dataDir, INBOX_FOLDER);
  const out: string[] = [];
  for (const d of await fs.readdir(root).catch(() => [] as string[])) for (const f of await fs.readdir(path.join(root, d))) out.push(`${d}/${f}`);
  return out;
}

async function upload(inbox: TrainingInbox, name: string, content: Buffer, chunk = 4) {
  const { stageId } = await inbox.begin({ name, size: content.length });
  for (let i = 0, index = 0; i < content.length; i += chunk, index++) await inbox.chunk({ stageId, index, base64: b64(content.subarray(i, i + chunk)) });
  return inbox.end({ stageId, sha256: createHash('sha256').update(content).digest('hex') });
}

describe('sanitiseName', () => {
  test.for([
    ['chapter 1.md', 'chapter 1.md'],
    ['../../etc/passwd.txt', 'passwd.txt'],
    ['..\\..\\Windows\\win.ini.txt', 'win.ini.txt'],
    ['/abs/path/Novel.DOCX', 'Novel.docx'],
    ['a\u0000b\u001fc\u202e.txt', 'abc.txt'],
    ['..txt', '_.txt'],
    ['...md', '_.md'],
    ['  spaced  .txt', 'spaced.txt'],
    ['CON.txt', '_CON.txt'],
    ['what?<>|*:".md', 'what_______.md'],
    ['e\u0301te\u0301.txt', 'été.txt'],
    ['.txt', '_.txt'],
    ['notes.txt. . ', 'notes.txt'],
    [`${'x'.repeat(300)}.markdown`, `${'x'.repeat(111)}.markdown`],
  ])('%j → %j', ([raw, want]) => {
    expect(sanitiseName(raw)).toBe(want);
  });
  test.for(['run.sh', 'model.safetensors', 'notes', 'a.rtf', 'x.md/..', 'x.md/.', 'file.txt\u0000.exe'])('%j is refused', (raw) => {
    expect(() => sanitiseName(raw)).toThrow(/can be used for training/);
  });
});

describe('decodeChunk', () => {
  test('strict base64 only, at most one chunk', () => {
    expect(decodeChunk(b64('hello')).toString()).toBe('hello');
    expect(decodeChunk('').length).toBe(0);
    for (const bad of ['aGVsbG8', 'aGV=bG8=', 'a===', '@@@@']) expect(() => decodeChunk(bad), bad).toThrow(/not base64/);
    expect(() => decodeChunk(b64(Buffer.alloc(STAGE_CHUNK_BYTES + 3)))).toThrow(/exceeds/);
  });
});

describe('TrainingInbox', () => {
  test('an upload in chunks lands whole under its own folder with the sanitised name', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const text = Buffer.from('The lamp on the pier burned low. — 灯塔\n');
    const r = await upload(inbox, '../secret/Chapter 1.md', text, 5);
    expect(r.name).toBe('Chapter 1.md');
    expect(path.dirname(path.dirname(r.path))).toBe(path.join(dataDir, INBOX_FOLDER));
    expect(await fs.readFile(r.path)).toEqual(text);
    expect(await inboxFiles()).toEqual([`${path.basename(path.dirname(r.path))}/Chapter 1.md`]);
    expect(inbox.openUploads).toBe(0);
  });

  test('same names never collide; an empty file is fine', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const a = await upload(inbox, 'a.txt', Buffer.from('one'));
    const b = await upload(inbox, 'a.txt', Buffer.from('two'));
    const c = await upload(inbox, 'empty.txt', Buffer.alloc(0));
    expect(a.path).not.toBe(b.path);
    expect([await fs.readFile(a.path, 'utf8'), await fs.readFile(b.path, 'utf8'), c.size]).toEqual(['one', 'two', 0]);
  });

  test('chunks must come in order: a skipped or repeated index is a conflict and changes nothing', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const { stageId } = await inbox.begin({ name: 'a.txt', size: 6 });
    await expect(inbox.chunk({ stageId, index: 1, base64: b64('def') })).rejects.toMatchObject({ code: 'conflict' });
    expect(await inbox.chunk({ stageId, index: 0, base64: b64('abc') })).toEqual({ received: 3 });
    await expect(inbox.chunk({ stageId, index: 0, base64: b64('abc') })).rejects.toMatchObject({ code: 'conflict' });
    // Overlapping calls are serialised, so both land in order.
    await expect(inbox.end({ stageId })).rejects.toMatchObject({ code: 'invalid_payload', message: expect.stringContaining('3 of 6') });
    expect(await inbox.chunk({ stageId, index: 1, base64: b64('def') })).toEqual({ received: 6 });
    expect(await fs.readFile((await inbox.end({ stageId })).path, 'utf8')).toBe('abcdef');
  });

  test('overlapping chunk calls are written in order', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const { stageId } = await inbox.begin({ name: 'a.txt', size: 9 });
    await Promise.all(['abc', 'def', 'ghi'].map((s, index) => inbox.chunk({ stageId, index, base64: b64(s) })));
    expect(await fs.readFile((await inbox.end({ stageId })).path, 'utf8')).toBe('abcdefghi');
  });

  test('size caps: per file at begin, more bytes than announced drops the upload, the inbox total', async () => {
    const inbox = new TrainingInbox({ dataDir, maxFileBytes: 10, maxInboxBytes: 16 });
    await expect(inbox.begin({ name: 'big.txt', size: 11 })).rejects.toMatchObject({ code: 'invalid_payload', message: expect.stringContaining('10-byte limit') });
    const { stageId } = await inbox.begin({ name: 'a.txt', size: 4 });
    await expect(inbox.chunk({ stageId, index: 0, base64: b64('12345') })).rejects.toMatchObject({ code: 'invalid_payload', message: expect.stringContaining('announced as 4') });
    await expect(inbox.chunk({ stageId, index: 0, base64: b64('1234') })).rejects.toMatchObject({ code: 'not_found' });
    expect(await inboxFiles()).toEqual([]);
    await upload(inbox, 'b.txt', Buffer.from('0123456789'));
    // 10 staged + 6 in flight = 16 fits; one more byte does not.
    const open = await inbox.begin({ name: 'c.txt', size: 6 });
    await expect(inbox.begin({ name: 'd.txt', size: 1 })).rejects.toMatchObject({ code: 'disk_full' });
    await inbox.cancel(open.stageId);
  });

  test('a sha256 mismatch drops the upload', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const { stageId } = await inbox.begin({ name: 'a.txt', size: 2 });
    await inbox.chunk({ stageId, index: 0, base64: b64('hi') });
    await expect(inbox.end({ stageId, sha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'checksum_mismatch' });
    expect(await inboxFiles()).toEqual([]);
  });

  test('cancel removes the partial file; unknown ids are ignored', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const { stageId } = await inbox.begin({ name: 'a.txt', size: 10 });
    await inbox.chunk({ stageId, index: 0, base64: b64('half') });
    expect((await inboxFiles()).length).toBe(1);
    expect(await inbox.cancel(stageId)).toEqual({ ok: true });
    expect(await inbox.cancel('f'.repeat(32))).toEqual({ ok: true });
    expect(await inboxFiles()).toEqual([]);
    await expect(inbox.end({ stageId })).rejects.toMatchObject({ code: 'not_found' });
  });

  test('at most MAX_OPEN_STAGES uploads at once; an idle one is dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const inbox = new TrainingInbox({ dataDir, idleMs: 1_000 });
      for (let i = 0; i < MAX_OPEN_STAGES; i++) await inbox.begin({ name: `${i}.txt`, size: 1 });
      await expect(inbox.begin({ name: 'x.txt', size: 1 })).rejects.toMatchObject({ code: 'conflict' });
      vi.advanceTimersByTime(1_001);
      await vi.waitFor(async () => expect(await inboxFiles()).toEqual([]));
      expect(inbox.openUploads).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test('release removes only the inbox folders of the given files, never anything outside', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const a = await upload(inbox, 'a.txt', Buffer.from('a'));
    const b = await upload(inbox, 'b.txt', Buffer.from('b'));
    const outside = path.join(dataDir, 'mine.txt');
    await fs.writeFile(outside, 'keep');
    await inbox.release([a.path, outside, path.join(inbox.root, '..', 'mine.txt'), path.join(inbox.root, 'x.txt'), '/etc/passwd']);
    expect(await inboxFiles()).toEqual([`${path.basename(path.dirname(b.path))}/b.txt`]);
    expect(await fs.readFile(outside, 'utf8')).toBe('keep');
  });

  test('the startup sweep removes folders older than a day and keeps the rest', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const old = await upload(inbox, 'old.txt', Buffer.from('o'));
    const fresh = await upload(inbox, 'new.txt', Buffer.from('n'));
    const dayAndMore = new Date(Date.now() - 25 * 3600_000);
    await fs.utimes(path.dirname(old.path), dayAndMore, dayAndMore);
    expect(await inbox.sweep()).toBe(1);
    expect(await inboxFiles()).toEqual([`${path.basename(path.dirname(fresh.path))}/new.txt`]);
    expect(await new TrainingInbox({ dataDir: path.join(dataDir, 'none') }).sweep()).toBe(0);
  });

  test('the sweep keeps an old upload that a resumable run still needs', async () => {
    const inbox = new TrainingInbox({ dataDir });
    const needed = await upload(inbox, 'needed.txt', Buffer.from('n'));
    const stale = await upload(inbox, 'stale.txt', Buffer.from('s'));
    const dayAndMore = new Date(Date.now() - 25 * 3600_000);
    for (const f of [needed, stale]) await fs.utimes(path.dirname(f.path), dayAndMore, dayAndMore);
    expect(await inbox.sweep(undefined, [needed.path])).toBe(1);
    expect(await fs.readFile(needed.path, 'utf8')).toBe('n');
    await expect(fs.access(stale.path)).rejects.toThrow();
  });
});
