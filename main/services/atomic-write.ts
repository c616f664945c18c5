/**
 * Crash-safe file replacement: a crash (or kill -9) at any instant leaves
 * either the old file or the new one at `path`, never an empty or mixed file.
 *
 * The recipe is the classic one: write a temp file in the same directory (so
 * the rename stays on one file system and is atomic), fsync it so its bytes
 * are on disk before the name points at them, rename it over the target, then
 * fsync the directory so the rename itself survives a power cut. Any failure
 * removes the temp file and leaves the old file untouched.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Rename errors that Windows reports while an antivirus or indexer holds the file. */
const TRANSIENT_RENAME_CODES = new Set(['EPERM', 'EBUSY', 'EACCES']);
const RENAME_RETRIES = 6;
const RENAME_FIRST_BACKOFF_MS = 20;

/** Prefix of temp files, so that a sweep can recognise leftovers of a crash. */
export const TEMP_PREFIX = '.inkwell-tmp-';

export interface AtomicWriteOptions {
  /** File mode of a new file (default 0o644; 0o600 for secrets such as settings). */
  mode?: number;
  /** Injected for tests: the rename to use (defaults to fs.promises.rename). */
  rename?: (from: string, to: string) => Promise<void>;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * What a writer should read for the errno codes of a full disk. The raw text
 * ("ENOSPC: no space left on device, write") stays in the message after it,
 * for whoever reads the log.
 */
const DISK_FULL_REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  // A per-process file-size limit (ulimit -f) or the file system's largest file (FAT32: 4 GB).
  EFBIG: 'the file is larger than this disk or this system allows',
};

/** The writer-readable cause for a disk-full errno code, or null for any other failure. */
export function diskFullReason(code: string | undefined): string | null {
  return code !== undefined ? (DISK_FULL_REASONS[code] ?? null) : null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function renameWithRetry(
  from: string,
  to: string,
  rename: (from: string, to: string) => Promise<void>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      const code = errCode(err);
      if (code === undefined || !TRANSIENT_RENAME_CODES.has(code) || attempt >= RENAME_RETRIES) throw err;
      await sleep(RENAME_FIRST_BACKOFF_MS * 2 ** attempt);
    }
  }
}

/** fsync of a directory makes a rename durable on Linux; Windows and some file systems refuse it, harmlessly. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM/EINVAL on platforms that cannot fsync a directory: the rename is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Replaces `filePath` with `data` atomically. Rejects with an Error whose
 * message names the file and the step that failed; the old file stays intact.
 */
export async function writeFileAtomic(
  filePath: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = path.dirname(filePath);
  const tmp = path.join(dir, `${TEMP_PREFIX}${path.basename(filePath)}-${process.pid}-${randomBytes(6).toString('hex')}`);
  let step = 'open temp file';
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', options.mode ?? 0o644);
    step = 'write temp file';
    await handle.writeFile(data);
    step = 'fsync temp file';
    await handle.sync();
    await handle.close();
    handle = undefined;
    step = 'rename temp file over target';
    await renameWithRetry(tmp, filePath, options.rename ?? fsp.rename);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    const code = errCode(err);
    const reason = err instanceof Error ? err.message : String(err);
    const full = diskFullReason(code);
    // The old file is untouched either way; saying so spares the writer a panic.
    const why = full ? `${full} (${reason}); the previous version of the file is unchanged` : reason;
    const wrapped = new Error(`atomic write of ${filePath} failed at "${step}": ${why}`, { cause: err });
    if (code !== undefined) Object.assign(wrapped, { code });
    throw wrapped;
  }
  await fsyncDir(dir);
}

/** Removes temp files that a crash left in `dir` (older than `minAgeMs`, so a concurrent writer is safe). */
export async function sweepTempFiles(dir: string, minAgeMs = 60_000): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const full = path.join(dir, name);
    try {
      const st = await fsp.stat(full);
      if (now - st.mtimeMs < minAgeMs) continue;
      await fsp.rm(full, { force: true });
      removed++;
    } catch {
      // Raced with another sweep or the writer: nothing to do.
    }
  }
  return removed;
}
