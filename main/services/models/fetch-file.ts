/**
 * Fetches one file to disk the way a multi-gigabyte download over a flaky
 * connection needs: bytes go to `<dest>.part`, an interrupted transfer (a
 * dropped connection, a pause, an app restart) resumes from the .part's size
 * with an HTTP Range request, and only a file whose size and SHA-256 check
 * out is renamed to `<dest>`.
 *
 * Servers are not trusted to follow the protocol (BAD-INPUTS J): one that
 * ignores Range and answers 200 restarts the file instead of appending to it,
 * a 206 whose Content-Range starts elsewhere is refused, a 416 means the file
 * is complete or the partial is stale, a body shorter or longer than its
 * Content-Length (or the catalogue's size) is detected, a silent connection
 * times out, redirects go only to allowed hosts and only so many times, and a
 * compressed body is refused (its bytes are not the file's). Transient
 * failures are retried from where they stopped; a checksum mismatch deletes
 * the partial and tries once more from scratch. Every failure keeps what can
 * be resumed and names the file, the URL and the byte position.
 */
import { promises as fs, createReadStream, createWriteStream } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from '../../../common/contract';
import { ServiceError } from '../service-error';
import { sha256File } from './catalogue';

export const STALL_TIMEOUT_MS = 30_000;
export const MAX_REDIRECTS = 5;
export const RETRIES = 3;
export const RETRY_DELAY_MS = 1_000;
/** Room left free on the disk beyond the file itself, so a download never fills it to the last byte. */
export const DISK_MARGIN_BYTES = 64 * 1024 * 1024;

export class TransferError extends ServiceError {
  constructor(
    code: ErrorCode,
    message: string,
    /** True when trying again (from the .part) may succeed: drops, stalls, 5xx, 429. */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'TransferError';
  }
}

export interface FetchFileOptions {
  url: URL;
  /** Final path; the transfer writes `${dest}.part`. */
  dest: string;
  expectedSize: number | null;
  sha256: string | null;
  /** Host patterns ("huggingface.co", "*.hf.co") redirects may lead to; the URL's own host is always allowed. */
  allowedHosts: readonly string[];
  signal?: AbortSignal;
  /** Called as bytes reach the disk: bytes of this file on disk, and its expected total when known. */
  onBytes?: (bytesOnDisk: number, total: number | null) => void;
  /** Called before hashing: verifying a multi-GB file takes a while and the UI should say so. */
  onVerify?: () => void;
  stallTimeoutMs?: number;
  maxRedirects?: number;
  retries?: number;
  retryDelayMs?: number;
  /** Free bytes at a path; injectable so tests can simulate a full disk. */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface FetchedFile {
  size: number;
  sha256: string;
  /** False when the catalogue had no hash to compare against (the hash is then only recorded). */
  verified: boolean;
}

export const partPath = (dest: string): string => `${dest}.part`;

export async function diskFreeBytes(dir: string): Promise<number> {
  const st = await fs.statfs(dir);
  return Number(st.bavail) * Number(st.bsize);
}

async function sizeOrZero(file: string): Promise<number> {
  return fs.stat(file).then((s) => s.size, () => 0);
}

function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p.toLowerCase()));
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** What a request gave us: where the body starts in the file, the file's total size if known, the body. */
interface Opened {
  offset: number;
  total: number | null;
  contentLength: number | null;
  body: Readable;
  /** The response's strong ETag or Last-Modified: sent as If-Range when this file is resumed. */
  validator?: string;
}

/** Sidecar of a .part holding its validator, so that a resume after a restart still sends If-Range. */
const validatorPath = (partFile: string): string => `${partFile}.validator`;

function validatorOf(res: IncomingMessage): string | undefined {
  const etag = res.headers.etag;
  // A weak ETag may not be used with If-Range (RFC 9110 13.1.5).
  const v = etag && !etag.startsWith('W/') ? etag : res.headers['last-modified'];
  // Only what can travel back as a header value; anything else is simply not used.
  return v !== undefined && /^[\x20-\x7e]{1,1024}$/.test(v) ? v : undefined;
}

function get(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, stallMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.get(url, { headers, signal }, resolve);
    // The socket timeout covers both a server that never answers and a body that stops flowing.
    req.setTimeout(stallMs, () => req.destroy(new TransferError('download_failed', `${url.href}: no data for ${stallMs / 1000} s; the connection stalled`, true)));
    req.on('error', reject);
  });
}

function statusError(status: number, url: URL, res: IncomingMessage): TransferError {
  const where = `${url.href}: HTTP ${status}`;
  if (status === 404) return new TransferError('not_found', `${where}: the file is not on the server (wrong base URL or model name?)`, false);
  if (status === 401 || status === 403) return new TransferError('download_failed', `${where}: access denied (a gated or private model needs a sign-in Inkwell does not do)`, false);
  if (status === 429) {
    const after = res.headers['retry-after'];
    return new TransferError('download_failed', `${where}: the server asks to slow down${after ? ` (retry after ${after} s)` : ''}`, true);
  }
  if (status >= 500) return new TransferError('download_failed', `${where}: server error; try again later`, true);
  return new TransferError('download_failed', `${where}: unexpected answer`, false);
}

/** Opens the file at `url` from byte `offset`, following allowed redirects. */
async function openRemote(options: FetchFileOptions, offset: number, partFile: string): Promise<Opened> {
  const stallMs = options.stallTimeoutMs ?? STALL_TIMEOUT_MS;
  const allowed = [...options.allowedHosts, options.url.hostname];
  let url = options.url;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'Inkwell' };
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      // If the file changed on the server since the partial was written, If-Range makes it send the
      // whole new file (200) instead of the new file's tail glued to the old file's head.
      const validator = await fs.readFile(validatorPath(partFile), 'utf8').catch(() => '');
      if (validator !== '') headers['if-range'] = validator;
    }
    const res = await get(url, headers, options.signal, stallMs);
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
      res.resume();
      if (hop >= (options.maxRedirects ?? MAX_REDIRECTS)) throw new TransferError('download_failed', `${options.url.href}: more than ${options.maxRedirects ?? MAX_REDIRECTS} redirects (a loop?)`, false);
      const next = new URL(res.headers.location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new TransferError('download_failed', `${url.href}: redirect to a ${next.protocol} URL refused`, false);
      if (url.protocol === 'https:' && next.protocol === 'http:') throw new TransferError('download_failed', `${url.href}: redirect from https to plain http refused`, false);
      if (!hostAllowed(next.hostname, allowed)) throw new TransferError('download_failed', `${url.href}: redirect to ${next.hostname}, which is not an allowed download host`, false);
      url = next;
      continue;
    }
    const encoding = res.headers['content-encoding'];
    if (encoding && encoding !== 'identity') {
      res.resume();
      throw new TransferError('download_failed', `${url.href}: the server compressed the body (${encoding}); its bytes would not be the file's`, false);
    }
    const lengthHeader = res.headers['content-length'];
    const contentLength = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    if (status === 200) {
      // Either a fresh start, or a server that ignored our Range: start over rather than append.
      if (offset > 0) await fs.truncate(partFile, 0);
      return { offset: 0, total: contentLength, contentLength, body: res, validator: validatorOf(res) };
    }
    if (status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
      if (!m || Number(m[1]) !== offset) {
        res.resume();
        // Our partial may no longer match what the server has: drop it so the retry starts clean.
        await fs.truncate(partFile, 0);
        throw new TransferError('download_failed', `${url.href}: asked for bytes from ${offset}, the server answered with range ${JSON.stringify(res.headers['content-range'] ?? null)}; restarting the file`, true);
      }
      return { offset, total: m[3] === '*' ? null : Number(m[3]), contentLength, body: res };
    }
    res.resume();
    if (status === 416) {
      const m = /^bytes \*\/(\d+)$/.exec(res.headers['content-range'] ?? '');
      if (m && Number(m[1]) === offset) return { offset, total: offset, contentLength: 0, body: emptyReadable() };
      await fs.truncate(partFile, 0);
      throw new TransferError('download_failed', `${url.href}: the server cannot serve bytes from ${offset} (416); the partial file was stale, restarting`, true);
    }
    throw statusError(status, url, res);
  }
}

function emptyReadable(): Readable {
  return Readable.from([]);
}

/** A local folder as the source (air-gapped mirrors): the same resume logic, from a file offset. */
async function openLocal(url: URL, offset: number): Promise<Opened> {
  const file = fileURLToPath(url);
  const st = await fs.stat(file).catch(() => null);
  if (!st || !st.isFile()) throw new TransferError('not_found', `${file}: not found in the local mirror folder`, false);
  if (offset > st.size) throw new TransferError('download_failed', `${file}: the partial copy (${offset} bytes) is longer than the source (${st.size})`, false);
  return { offset, total: st.size, contentLength: st.size - offset, body: createReadStream(file, { start: offset }) };
}

/** One attempt: opens the source at the partial's size and appends what arrives. */
async function attempt(options: FetchFileOptions, partFile: string): Promise<void> {
  const { expectedSize, url } = options;
  let offset = await sizeOrZero(partFile);
  if (expectedSize !== null && offset > expectedSize) {
    await fs.truncate(partFile, 0);
    offset = 0;
  }
  if (expectedSize !== null && offset === expectedSize) return;
  const opened = url.protocol === 'file:' ? await openLocal(url, offset) : await openRemote(options, offset, partFile);
  const total = opened.total ?? (opened.contentLength !== null ? opened.offset + opened.contentLength : expectedSize);
  if (expectedSize !== null && total !== null && total !== expectedSize) {
    opened.body.destroy();
    throw new TransferError('download_failed', `${url.href}: the server says the file has ${total} bytes, the catalogue says ${expectedSize}`, false);
  }
  const need = (total ?? 0) - opened.offset;
  const free = await (options.freeBytes ?? diskFreeBytes)(path.dirname(partFile));
  if (need + DISK_MARGIN_BYTES > free) {
    opened.body.destroy();
    throw new TransferError('disk_full', `${options.dest}: needs ${need} more bytes, only ${free} are free on the disk`, false);
  }

  let received = 0;
  const limit = total ?? Number.POSITIVE_INFINITY;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (opened.offset + received > limit) {
        done(new TransferError('download_failed', `${url.href}: the server sent more than the file's ${limit} bytes`, false));
        return;
      }
      options.onBytes?.(opened.offset + received, total);
      done(null, chunk);
    },
  });
  if (opened.offset === 0) {
    if (opened.validator) await fs.writeFile(validatorPath(partFile), opened.validator);
    else await fs.rm(validatorPath(partFile), { force: true });
  }
  const out = createWriteStream(partFile, { flags: opened.offset === 0 ? 'w' : 'a' });
  try {
    await pipeline(opened.body, counter, out, { signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) throw new TransferError('aborted', `${options.dest}: paused at byte ${opened.offset + received}; the next download resumes from there`, false);
    if (err instanceof TransferError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new TransferError('disk_full', `${options.dest}: the disk is full at byte ${opened.offset + received}; the partial file is kept, free some space and resume`, false, { cause: err });
    }
    throw new TransferError('download_failed', `${url.href}: connection lost at byte ${opened.offset + received} (${(err as Error).message})`, true, { cause: err });
  }
  const expectedEnd = opened.contentLength !== null ? opened.offset + opened.contentLength : total;
  const onDisk = opened.offset + received;
  if (expectedEnd !== null && onDisk < expectedEnd) {
    throw new TransferError('download_failed', `${url.href}: the body ended at byte ${onDisk} of ${expectedEnd} (truncated); the partial file is kept`, true);
  }
}

/**
 * Downloads `url` to `dest` (resuming `${dest}.part`), verifies it and renames it into place.
 * Aborting (options.signal) keeps the partial file; the next call resumes from it.
 */
export async function fetchFile(options: FetchFileOptions): Promise<FetchedFile> {
  const partFile = partPath(options.dest);
  const retries = options.retries ?? RETRIES;
  let checksumRetried = false;
  for (let tries = 0; ; ) {
    try {
      if (options.signal?.aborted) throw new TransferError('aborted', `${options.dest}: paused before it started`, false);
      await attempt(options, partFile);
    } catch (err) {
      const transient = err instanceof TransferError ? err.transient : false;
      if (!transient || options.signal?.aborted || tries >= retries) throw err;
      tries++;
      await sleep((options.retryDelayMs ?? RETRY_DELAY_MS) * 2 ** (tries - 1), options.signal);
      continue;
    }
    const size = await sizeOrZero(partFile);
    if (options.expectedSize !== null && size !== options.expectedSize) {
      throw new TransferError('download_failed', `${options.dest}: got ${size} bytes, expected ${options.expectedSize}`, false);
    }
    options.onVerify?.();
    const sha256 = await sha256File(partFile);
    if (options.sha256 !== null && sha256 !== options.sha256.toLowerCase()) {
      // Wrong bytes cannot be resumed: delete them, and try once more from scratch (J.5).
      await fs.rm(partFile, { force: true });
      await fs.rm(validatorPath(partFile), { force: true });
      if (!checksumRetried) {
        checksumRetried = true;
        continue;
      }
      throw new TransferError('checksum_mismatch', `${options.dest}: SHA-256 is ${sha256}, expected ${options.sha256} (downloaded twice; the server or a proxy serves wrong bytes)`, false);
    }
    await fs.rename(partFile, options.dest);
    await fs.rm(validatorPath(partFile), { force: true });
    return { size, sha256, verified: options.sha256 !== null };
  }
}
