/**
 * The training inbox: manuscripts uploaded by the window (training.stage*),
 * because a page never learns where a picked or dropped File lives.
 *
 * Each upload gets its own folder <dataDir>/training-inbox/<random>/ so two
 * files of the same name never collide. Bytes arrive as base64 chunks, strictly
 * in order, into a temp file; stageEnd checks the size (and sha256 when given),
 * fsyncs and renames it to the sanitised name, so a staged path always holds a
 * whole file. Caps: MAX_STAGED_FILE_BYTES a file, MAX_INBOX_BYTES for the
 * inbox (staged files plus uploads in flight), MAX_OPEN_STAGES uploads at once.
 * Uploads idle for STAGE_IDLE_MS are dropped (a window that went away), folders
 * older than a day are swept at startup, and a run's staged files are removed
 * when the run ends.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MAX_INBOX_BYTES, MAX_STAGED_FILE_BYTES, STAGE_CHUNK_BYTES, TRAINING_FILE_EXTENSIONS } from '../../common/contract';
import { errnoCode, ioError, ServiceError } from './service-error';

export const INBOX_FOLDER = 'training-inbox';
export const MAX_OPEN_STAGES = 8;
export const STAGE_IDLE_MS = 10 * 60_000;
export const INBOX_MAX_AGE_MS = 24 * 60 * 60_000;
const MAX_NAME_CHARS = 120;
const PART_NAME = '.upload.part';

/** Windows refuses these as file names whatever the extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * A file name safe to create in our own folder: the last path segment only, no
 * control or bidi-override characters, no characters Windows refuses, no
 * leading or trailing dots or spaces, at most MAX_NAME_CHARS, the extension kept.
 * Throws invalid_payload for a name that is not a manuscript type.
 */
export function sanitiseName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/[.\s]+$/g, '');
  const dot = cleaned.lastIndexOf('.');
  const ext = dot >= 0 ? cleaned.slice(dot).toLowerCase() : '';
  if (!(TRAINING_FILE_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new ServiceError('invalid_payload', `${JSON.stringify(raw.slice(0, 200))}: only ${TRAINING_FILE_EXTENSIONS.join(', ')} files can be used for training`);
  }
  let stem = cleaned.slice(0, dot).replace(/^[.\s]+|[.\s]+$/g, '');
  if (stem === '' || RESERVED.test(stem)) stem = `_${stem}`;
  // Cut by code points so a surrogate pair is never split.
  stem = Array.from(stem).slice(0, MAX_NAME_CHARS - ext.length).join('');
  return `${stem}${ext}`;
}

/** Decodes strictly: Buffer.from(…, 'base64') silently skips junk, so the length is checked against the text. */
export function decodeChunk(base64: string): Buffer {
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new ServiceError('invalid_payload', 'training.stageChunk: the chunk is not base64');
  const bytes = Buffer.from(base64, 'base64');
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  if (bytes.length !== (base64.length / 4) * 3 - padding) throw new ServiceError('invalid_payload', 'training.stageChunk: the chunk is not base64');
  if (bytes.length > STAGE_CHUNK_BYTES) throw new ServiceError('invalid_payload', `training.stageChunk: a chunk of ${bytes.length} bytes exceeds ${STAGE_CHUNK_BYTES}`);
  return bytes;
}

interface Stage {
  dir: string;
  name: string;
  size: number;
  received: number;
  nextIndex: number;
  file: fs.FileHandle;
  hash: Hash;
  timer: ReturnType<typeof setTimeout>;
  /** Chunks of one stage are written one after another even if calls overlap. */
  queue: Promise<unknown>;
}

export interface TrainingInboxOptions {
  dataDir: string;
  maxFileBytes?: number;
  maxInboxBytes?: number;
  idleMs?: number;
  now?: () => number;
}

export class TrainingInbox {
  readonly root: string;
  private readonly stages = new Map<string, Stage>();
  private readonly maxFileBytes: number;
  private readonly maxInboxBytes: number;

  constructor(private readonly options: TrainingInboxOptions) {
    this.root = path.join(options.dataDir, INBOX_FOLDER);
    this.maxFileBytes = options.maxFileBytes ?? MAX_STAGED_FILE_BYTES;
    this.maxInboxBytes = options.maxInboxBytes ?? MAX_INBOX_BYTES;
  }

  async begin(request: { name: string; size: number }): Promise<{ stageId: string; name: string }> {
    const name = sanitiseName(request.name);
    if (request.size > this.maxFileBytes) throw new ServiceError('invalid_payload', `${name}: ${request.size} bytes exceeds the ${this.maxFileBytes}-byte limit of a training file`);
    if (this.stages.size >= MAX_OPEN_STAGES) throw new ServiceError('conflict', `${MAX_OPEN_STAGES} uploads are already open; finish or cancel one first`);
    const used = (await this.stagedBytes()) + [...this.stages.values()].reduce((n, s) => n + s.size, 0);
    if (used + request.size > this.maxInboxBytes) {
      throw new ServiceError('disk_full', `${name}: the training inbox holds ${used} bytes; ${request.size} more would pass its ${this.maxInboxBytes}-byte limit`);
    }
    const stageId = randomBytes(16).toString('hex');
    const dir = path.join(this.root, stageId);
    let file: fs.FileHandle;
    try {
      await fs.mkdir(dir, { recursive: true });
      file = await fs.open(path.join(dir, PART_NAME), 'wx');
    } catch (err) {
      await fs.rm(dir, { recursive: true, force: true });
      throw ioError(`${dir}: cannot start the upload of ${name}`, err);
    }
    const stage: Stage = { dir, name, size: request.size, received: 0, nextIndex: 0, file, hash: createHash('sha256'), timer: this.idleTimer(stageId), queue: Promise.resolve() };
    this.stages.set(stageId, stage);
    return { stageId, name };
  }

  // async so that an unknown id rejects rather than throws; the queue is still set before the first await.
  async chunk(request: { stageId: string; index: number; base64: string }): Promise<{ received: number }> {
    const stage = this.stageOf(request.stageId);
    const work = stage.queue.then(async () => {
      if (this.stages.get(request.stageId) !== stage) throw new ServiceError('not_found', `upload ${request.stageId} was cancelled`);
      if (request.index !== stage.nextIndex) {
        throw new ServiceError('conflict', `${stage.name}: chunk ${request.index} arrived, chunk ${stage.nextIndex} was expected (chunks go in order)`);
      }
      const bytes = decodeChunk(request.base64);
      if (stage.received + bytes.length > stage.size) {
        await this.drop(request.stageId);
        throw new ServiceError('invalid_payload', `${stage.name}: ${stage.received + bytes.length} bytes sent for a file announced as ${stage.size}; the upload is dropped`);
      }
      try {
        await stage.file.write(bytes, 0, bytes.length, stage.received);
      } catch (err) {
        await this.drop(request.stageId);
        if (errnoCode(err) === 'ENOSPC') throw new ServiceError('disk_full', `${stage.dir}: the disk is full; the upload of ${stage.name} is dropped`, { cause: err });
        throw ioError(`${stage.dir}: writing ${stage.name}`, err);
      }
      stage.hash.update(bytes);
      stage.received += bytes.length;
      stage.nextIndex++;
      this.touch(request.stageId, stage);
      return { received: stage.received };
    });
    stage.queue = work.catch(() => undefined);
    return work;
  }

  async end(request: { stageId: string; sha256?: string }): Promise<{ path: string; name: string; size: number }> {
    const stage = this.stageOf(request.stageId);
    await stage.queue;
    if (stage.received !== stage.size) throw new ServiceError('invalid_payload', `${stage.name}: ${stage.received} of ${stage.size} bytes arrived; send the rest or cancel`);
    const digest = stage.hash.digest('hex');
    if (request.sha256 !== undefined && request.sha256 !== digest) {
      await this.drop(request.stageId);
      throw new ServiceError('checksum_mismatch', `${stage.name}: sha256 ${digest} does not match the window's ${request.sha256}; the upload is dropped`);
    }
    this.stages.delete(request.stageId);
    clearTimeout(stage.timer);
    const target = path.join(stage.dir, stage.name);
    try {
      await stage.file.sync();
      await stage.file.close();
      await fs.rename(path.join(stage.dir, PART_NAME), target);
    } catch (err) {
      await fs.rm(stage.dir, { recursive: true, force: true });
      throw ioError(`${target}: finishing the upload`, err);
    }
    return { path: target, name: stage.name, size: stage.size };
  }

  async cancel(stageId: string): Promise<{ ok: true }> {
    await this.drop(stageId);
    return { ok: true };
  }

  /** Removes the inbox folders of these paths (a run has ended); paths outside the inbox are never touched. */
  async release(files: readonly string[]): Promise<void> {
    for (const file of files) {
      const rel = path.relative(this.root, path.resolve(file));
      const parts = rel.split(path.sep);
      if (rel.startsWith('..') || path.isAbsolute(rel) || parts.length !== 2 || !/^[a-f0-9]{32}$/.test(parts[0])) continue;
      if (this.stages.has(parts[0])) continue;
      await fs.rm(path.join(this.root, parts[0]), { recursive: true, force: true });
    }
  }

  /** Startup: removes inbox folders last changed more than `maxAgeMs` ago (uploads left by an earlier session). */
  async sweep(maxAgeMs = INBOX_MAX_AGE_MS, keep: readonly string[] = []): Promise<number> {
    const now = (this.options.now ?? Date.now)();
    let removed = 0;
    for (const entry of await this.entries()) {
      if (this.stages.has(entry)) continue;
      const dir = path.join(this.root, entry);
      // An interrupted run that can still be resumed needs its manuscripts, however old.
      if (keep.some((file) => path.resolve(file).startsWith(dir + path.sep))) continue;
      const stat = await fs.lstat(dir).catch(() => null);
      if (!stat || now - stat.mtimeMs <= maxAgeMs) continue;
      await fs.rm(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /** Closes every open upload (app quit); their partial files are removed. */
  async close(): Promise<void> {
    await Promise.all([...this.stages.keys()].map((id) => this.drop(id)));
  }

  get openUploads(): number {
    return this.stages.size;
  }

  private async stagedBytes(): Promise<number> {
    let total = 0;
    for (const entry of await this.entries()) {
      if (this.stages.has(entry)) continue;
      const dir = path.join(this.root, entry);
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const n of names) total += (await fs.lstat(path.join(dir, n)).catch(() => null))?.size ?? 0;
    }
    return total;
  }

  private async entries(): Promise<string[]> {
    try {
      return await fs.readdir(this.root);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw ioError(`${this.root}: listing the training inbox`, err);
    }
  }

  private stageOf(stageId: string): Stage {
    const stage = this.stages.get(stageId);
    if (!stage) throw new ServiceError('not_found', `no upload ${stageId} is open (finished, cancelled, or idle for too long)`);
    return stage;
  }

  private idleTimer(stageId: string): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => void this.drop(stageId), this.options.idleMs ?? STAGE_IDLE_MS);
    t.unref?.();
    return t;
  }

  private touch(stageId: string, stage: Stage): void {
    clearTimeout(stage.timer);
    stage.timer = this.idleTimer(stageId);
  }

  private async drop(stageId: string): Promise<void> {
    const stage = this.stages.get(stageId);
    if (!stage) return;
    this.stages.delete(stageId);
    clearTimeout(stage.timer);
    await stage.file.close().catch(() => undefined);
    await fs.rm(stage.dir, { recursive: true, force: true });
  }
}
