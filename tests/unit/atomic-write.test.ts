import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { TEMP_PREFIX, sweepTempFiles, writeFileAtomic } from '../../main/services/atomic-write';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-atomic-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
const temps = async () => (await fsp.readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX));

describe('writeFileAtomic', () => {
  test('creates and replaces a file, leaving no temp file', async () => {
    const file = path.join(dir, 'a.md');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, new TextEncoder().encode('two'));
    expect(await fsp.readFile(file, 'utf8')).toBe('two');
    expect(await temps()).toEqual([]);
  });

  test.for(['EXDEV', 'ENOSPC', 'EIO'])('a %s on rename keeps the old file and removes the temp', async (code) => {
    const file = path.join(dir, 'a.md');
    await fsp.writeFile(file, 'old');
    const rename = async () => { throw errno(code); };
    await expect(writeFileAtomic(file, 'new', { rename })).rejects.toThrow(/a\.md failed at "rename temp file over target": .*simulated/);
    expect(await fsp.readFile(file, 'utf8')).toBe('old');
    expect(await temps()).toEqual([]);
  });

  test.for(['EPERM', 'EBUSY', 'EACCES'])('retries a transient %s on rename with backoff', async (code) => {
    const file = path.join(dir, 'a.md');
    let failures = 2;
    const rename = async (from: string, to: string) => {
      if (failures-- > 0) throw errno(code);
      await fsp.rename(from, to);
    };
    await writeFileAtomic(file, 'new', { rename });
    expect(await fsp.readFile(file, 'utf8')).toBe('new');
  });

  test('gives up on a rename that stays locked, with the code kept', async () => {
    const file = path.join(dir, 'a.md');
    await fsp.writeFile(file, 'old');
    let calls = 0;
    const rename = async () => { calls++; throw errno('EBUSY'); };
    await expect(writeFileAtomic(file, 'new', { rename })).rejects.toMatchObject({ code: 'EBUSY' });
    expect(calls).toBe(7);
    expect(await fsp.readFile(file, 'utf8')).toBe('old');
    expect(await temps()).toEqual([]);
  });

  test('a missing directory fails with the path in the message', async () => {
    await expect(writeFileAtomic(path.join(dir, 'nope', 'a.md'), 'x')).rejects.toThrow(/nope.*open temp file/);
  });

  test('rename onto a directory fails and leaves nothing behind', async () => {
    const target = path.join(dir, 'sub');
    await fsp.mkdir(target);
    await fsp.writeFile(path.join(target, 'keep'), 'k');
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(/rename/);
    expect(await temps()).toEqual([]);
  });

  test('concurrent writes to one file each land whole', async () => {
    const file = path.join(dir, 'a.md');
    const contents = Array.from({ length: 10 }, (_, i) => String(i).repeat(100_000));
    await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
    expect(contents).toContain(await fsp.readFile(file, 'utf8'));
    expect(await temps()).toEqual([]);
  });
});

describe('sweepTempFiles', () => {
  test('removes old temp files only', async () => {
    const oldTemp = path.join(dir, `${TEMP_PREFIX}a.md-1-abc`);
    const newTemp = path.join(dir, `${TEMP_PREFIX}b.md-1-def`);
    await fsp.writeFile(oldTemp, 'x');
    await fsp.writeFile(newTemp, 'x');
    await fsp.writeFile(path.join(dir, 'a.md'), 'doc');
    const past = new Date(Date.now() - 3_600_000);
    await fsp.utimes(oldTemp, past, past);
    expect(await sweepTempFiles(dir)).toBe(1);
    expect((await fsp.readdir(dir)).sort()).toEqual([path.basename(newTemp), 'a.md'].sort());
  });

  test('a missing directory sweeps nothing', async () => {
    expect(await sweepTempFiles(path.join(dir, 'none'))).toBe(0);
  });
});
