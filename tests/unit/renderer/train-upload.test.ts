/**
 * The page's upload of picked files, through the real router and a real
 * training inbox: bytes arrive whole (multi-chunk, Unicode), refusals happen
 * before upload, a failure or an abort leaves no partial file.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MAX_STAGED_FILE_BYTES, STAGE_CHUNK_BYTES, type CallChannel, type RequestOf, type ResponseOf, type Result } from '../../../common/contract';
import { createRouter, type RouterServices } from '../../../main/router';
import { TrainingInbox } from '../../../main/services/training-inbox';
import { batchProgress, refusalOf, toBase64, uploadFile, type NamedBlob, type UploadApi } from '../../../renderer/train-upload';

let dataDir: string;
let inbox: TrainingInbox;
let calls: string[];
let api: UploadApi;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-upload-'));
  inbox = new TrainingInbox({ dataDir });
  const router = createRouter({ training: { inbox } } as unknown as RouterServices);
  calls = [];
  api = {
    call: <C extends CallChannel>(channel: C, request: RequestOf<C>) => {
      calls.push(channel);
      return router.call(channel, request) as Promise<Result<ResponseOf<C>>>;
    },
  };
});
afterEach(async () => {
  await inbox.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

const named = (parts: BlobPart[], name: string): NamedBlob => Object.assign(new Blob(parts), { name });
const leftovers = async () => (await fs.readdir(inbox.root).catch(() => [])).length;

describe('uploadFile', () => {
  test('a multi-chunk file arrives byte for byte, with progress after each chunk', async () => {
    const bytes = new Uint8Array(STAGE_CHUNK_BYTES * 2 + 17).map((_, i) => (i * 31) % 256);
    const progress: number[] = [];
    const staged = await uploadFile(api, named([bytes], 'Novel draft.docx'), (n) => progress.push(n));
    expect(staged).toMatchObject({ name: 'Novel draft.docx', size: bytes.length });
    // Buffer.equals: a deep toEqual over 2 MB of elements takes half a minute.
    expect((await fs.readFile(staged.path)).equals(bytes)).toBe(true);
    expect(progress).toEqual([STAGE_CHUNK_BYTES, STAGE_CHUNK_BYTES * 2, bytes.length]);
    expect(calls.filter((c) => c === 'training.stageChunk').length).toBe(3);
  });

  test('Unicode text and an empty file', async () => {
    const text = '灯塔的灯光很暗。Mara wrote — “the tide”.\n';
    expect(await fs.readFile((await uploadFile(api, named([text], '第一章.md'), () => undefined)).path, 'utf8')).toBe(text);
    expect((await uploadFile(api, named([], 'empty.txt'), () => undefined)).size).toBe(0);
  });

  test('a refused name fails before any byte travels; an abort cancels the stage and leaves nothing', async () => {
    await expect(uploadFile(api, named(['x'], 'evil.exe'), () => undefined)).rejects.toThrow(/evil.exe: .*can be used for training/);
    expect(calls).toEqual(['training.stageBegin']);
    const ac = new AbortController();
    const big = named([new Uint8Array(STAGE_CHUNK_BYTES * 3)], 'big.txt');
    await expect(uploadFile(api, big, () => ac.abort(), ac.signal)).rejects.toThrow(/abort/i);
    expect(calls.at(-1)).toBe('training.stageCancel');
    expect(await leftovers()).toBe(0);
  });
});

describe('helpers', () => {
  test('toBase64 matches Node for sizes around its internal step', () => {
    for (const n of [0, 1, 2, 3, 0x8000 - 1, 0x8000, 0x8000 + 1, 100_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 7) % 256);
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
  test.for([
    [{ name: 'a.TXT', size: 1 }, null],
    [{ name: 'a.markdown', size: MAX_STAGED_FILE_BYTES }, null],
    [{ name: 'a.docx', size: MAX_STAGED_FILE_BYTES + 1 }, 'size'],
    [{ name: 'a.rtf', size: 1 }, 'type'],
    [{ name: 'README', size: 1 }, 'type'],
  ] as const)('refusalOf(%j) = %j', ([file, want]) => {
    expect(refusalOf(file)).toBe(want);
  });
  test('batchProgress', () => {
    expect(batchProgress([10, 30], 0, 5)).toBe(5 / 40);
    expect(batchProgress([10, 30], 1, 15)).toBe(25 / 40);
    expect(batchProgress([0, 0], 2, 0)).toBe(1);
    expect(batchProgress([0], 0, 0)).toBe(0);
  });
});
