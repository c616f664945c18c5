/**
 * Uploads picked or dropped manuscript Files to the main process
 * (training.stageBegin / stageChunk / stageEnd), because a page never learns
 * where a File lives. One file at a time, chunks in order, each at most
 * STAGE_CHUNK_BYTES; the sha256 (when the page has Web Crypto) lets the main
 * process refuse a file that arrived damaged. An abort cancels the upload on
 * the other side too, so no partial file is left behind. No DOM beyond Blob,
 * so it is unit-tested under Node.
 */
import { MAX_STAGED_FILE_BYTES, STAGE_CHUNK_BYTES, TRAINING_FILE_EXTENSIONS, type InkwellApi } from '../common/contract';

export interface StagedFile {
  /** The file's name as the writer knows it, and its staged copy's path in the main process. */
  name: string;
  path: string;
  size: number;
}

export type UploadApi = Pick<InkwellApi, 'call'>;

/** A File is a Blob with a name; tests pass Blobs with names. */
export interface NamedBlob extends Blob {
  readonly name: string;
}

export class UploadError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'UploadError';
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const PAD = '='.charCodeAt(0);
const decoder = new TextDecoder('latin1');

/**
 * Base64 by table into a byte buffer, decoded once: btoa over a binary string
 * costs ~1 s a megabyte in some engines, this a few milliseconds.
 */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = CODES[n >> 18];
    out[o++] = CODES[(n >> 12) & 63];
    out[o++] = CODES[(n >> 6) & 63];
    out[o++] = CODES[n & 63];
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
    out[o++] = CODES[n >> 18];
    out[o++] = CODES[(n >> 12) & 63];
    out[o++] = rest === 2 ? CODES[(n >> 6) & 63] : PAD;
    out[o++] = PAD;
  }
  return decoder.decode(out);
}

async function sha256Hex(blob: Blob): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined; // not a secure context: the size check alone guards the upload
  const digest = await subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Files the reader cannot use, and files over the cap, are refused here before any byte travels. */
export function refusalOf(file: { name: string; size: number }): 'type' | 'size' | null {
  const dot = file.name.lastIndexOf('.');
  const ext = dot >= 0 ? file.name.slice(dot).toLowerCase() : '';
  if (!(TRAINING_FILE_EXTENSIONS as readonly string[]).includes(ext)) return 'type';
  if (file.size > MAX_STAGED_FILE_BYTES) return 'size';
  return null;
}

/**
 * Uploads one file; `onProgress(bytesSent)` after each chunk. Rejects with an
 * UploadError (or an AbortError when `signal` aborts, after cancelling the stage).
 */
export async function uploadFile(api: UploadApi, file: NamedBlob, onProgress: (sent: number) => void, signal?: AbortSignal): Promise<StagedFile> {
  const begun = await api.call('training.stageBegin', { name: file.name, size: file.size });
  if (!begun.ok) throw new UploadError(file.name, begun.error.message);
  const { stageId } = begun.value;
  try {
    const digest = sha256Hex(file);
    for (let offset = 0, index = 0; offset < file.size; offset += STAGE_CHUNK_BYTES, index++) {
      signal?.throwIfAborted();
      const bytes = new Uint8Array(await file.slice(offset, offset + STAGE_CHUNK_BYTES).arrayBuffer());
      const r = await api.call('training.stageChunk', { stageId, index, base64: toBase64(bytes) });
      if (!r.ok) throw new UploadError(file.name, r.error.message);
      onProgress(r.value.received);
    }
    signal?.throwIfAborted();
    const sha256 = await digest;
    const ended = await api.call('training.stageEnd', { stageId, ...(sha256 ? { sha256 } : {}) });
    if (!ended.ok) throw new UploadError(file.name, ended.error.message);
    return { name: file.name, path: ended.value.path, size: ended.value.size };
  } catch (err) {
    // Waited for, so that when this rejects no partial file is left on the other side.
    await api.call('training.stageCancel', { stageId }).catch(() => undefined);
    throw err;
  }
}

/** Total bytes sent over total bytes, across a batch of files, in [0, 1]. */
export function batchProgress(sizes: readonly number[], done: number, sentOfCurrent: number): number {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total === 0) return done >= sizes.length ? 1 : 0;
  const before = sizes.slice(0, done).reduce((a, b) => a + b, 0);
  return Math.min(1, (before + sentOfCurrent) / total);
}
