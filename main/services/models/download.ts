/**
 * Downloads a catalogue model into the registry: every file goes to a staging
 * folder <dataDir>/models/.downloads/<name>/ (kept between runs, so a paused or
 * interrupted download, even across an app restart, resumes from what is on
 * disk), each file is size- and SHA-256-checked by fetchFile, the complete
 * folder is checked like an import (config vs tensor shapes, tokenizer), and
 * only then is it moved to <dataDir>/models/<id>/ and registered. A failure at
 * any step registers nothing.
 *
 * Progress events are throttled (the renderer wants a smooth bar, not an IPC
 * message per 64 kB chunk) and carry the bytes, the speed over the last few
 * seconds and the time left.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CatalogueItem, DownloadEvent, ModelInfo } from '../../../common/contract';
import { ServiceError } from '../service-error';
import { CATALOGUE, DEFAULT_ALLOWED_HOSTS, DEFAULT_BASE_URL, entrySize, fileUrl, findEntry, sha256File, type CatalogueEntry } from './catalogue';
import { diskFreeBytes, DISK_MARGIN_BYTES, fetchFile, partPath, type FetchFileOptions } from './fetch-file';
import { checkModelFolder } from './model-folder';
import { META_FILE, type ModelRegistry } from './registry';

export const DOWNLOADS_DIR = '.downloads';
export const PROGRESS_INTERVAL_MS = 250;
/** Speed is measured over this window: long enough to be steady, short enough to follow a change. */
const SPEED_WINDOW_MS = 5_000;
export const CHECKSUMS_FILE = 'SHA256SUMS';
const LOCK_FILE = '.lock';

export interface DownloadOptions {
  registry: ModelRegistry;
  catalogue?: readonly CatalogueEntry[];
  /** http(s) base with the hub's URL pattern, or a local folder holding <repo>/<file>. */
  baseUrl?: string;
  allowedHosts?: readonly string[];
  onEvent?: (event: DownloadEvent) => void;
  signal?: AbortSignal;
  progressIntervalMs?: number;
  /** Passed to fetchFile (tests shorten the timeouts and simulate a full disk). */
  transfer?: Pick<FetchFileOptions, 'stallTimeoutMs' | 'retries' | 'retryDelayMs' | 'maxRedirects' | 'freeBytes'>;
}

/** Downloads in progress in this process, by catalogue name: one at a time per model (J.7). */
const running = new Set<string>();

export function stagingDir(registry: ModelRegistry, name: string): string {
  return path.join(registry.modelsDir, DOWNLOADS_DIR, name);
}

async function sizeOrNull(file: string): Promise<number | null> {
  return fs.stat(file).then((s) => s.size, () => null);
}

/** Bytes already on disk for each file of an entry: a complete file, else its .part, else 0. */
async function bytesOnDisk(dir: string, entry: CatalogueEntry): Promise<number[]> {
  return Promise.all(
    entry.files.map(async (f) => (await sizeOrNull(path.join(dir, f.name))) ?? (await sizeOrNull(partPath(path.join(dir, f.name)))) ?? 0),
  );
}

type ProgressFields = Omit<Extract<DownloadEvent, { type: 'progress' }>, 'type' | 'speedBytesPerSec' | 'etaSeconds' | 'total'>;

/**
 * Turns a stream of byte counts into throttled progress events with speed and ETA.
 * A skipped update is sent when its interval is up (trailing edge): when the connection
 * stalls right after a burst, the bar still shows the last bytes that arrived.
 */
class ProgressMeter {
  private samples: { t: number; bytes: number }[] = [];
  private lastEmit = 0;
  private pending: ProgressFields | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly emit: (event: DownloadEvent) => void,
    private readonly total: number | null,
    private readonly intervalMs: number,
  ) {}

  update(fields: ProgressFields, force = false): void {
    const now = Date.now();
    this.samples.push({ t: now, bytes: fields.bytes });
    while (this.samples.length > 2 && now - this.samples[0].t > SPEED_WINDOW_MS) this.samples.shift();
    if (!force && now - this.lastEmit < this.intervalMs) {
      this.pending = fields;
      this.timer ??= setTimeout(() => {
        this.timer = null;
        if (this.pending) this.send(this.pending, Date.now());
      }, this.intervalMs - (now - this.lastEmit));
      return;
    }
    this.send(fields, now);
  }

  private send(fields: ProgressFields, now: number): void {
    this.pending = null;
    this.lastEmit = now;
    const first = this.samples[0];
    const seconds = (now - first.t) / 1000;
    const speed = seconds > 0 ? Math.max(0, (fields.bytes - first.bytes) / seconds) : 0;
    const eta = this.total !== null && speed > 0 ? Math.max(0, (this.total - fields.bytes) / speed) : null;
    this.emit({ type: 'progress', ...fields, total: this.total, speedBytesPerSec: Math.round(speed), etaSeconds: eta === null ? null : Math.round(eta) });
  }

  /** No event after the download has ended. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}

/**
 * Downloads catalogue model `name`, resuming any partial files, and registers it.
 * Aborting `signal` pauses: partial files stay for the next call.
 */
export async function downloadModel(name: string, options: DownloadOptions): Promise<ModelInfo> {
  const { registry } = options;
  const entry = findEntry(name, options.catalogue ?? CATALOGUE);
  const installed = registry.list().find((m) => m.origin.kind === 'downloaded' && m.origin.from === entry.name);
  if (installed) throw new ServiceError('conflict', `${entry.displayName} is already installed as "${installed.name}" (${installed.id})`);
  if (running.has(entry.name)) throw new ServiceError('conflict', `${entry.displayName} is already downloading`);
  running.add(entry.name);
  try {
    return await download(entry, options);
  } finally {
    running.delete(entry.name);
  }
}

/**
 * A lock file in the staging folder, so that the app and `inkwell models download` in a
 * terminal never write the same .part files. A lock whose process is gone is stale and taken over.
 */
async function lockStaging(dir: string, entry: CatalogueEntry): Promise<() => Promise<void>> {
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => fs.rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new ServiceError('conflict', `${entry.displayName} is being downloaded by another Inkwell process (pid ${pid})`);
      }
      await fs.rm(lock, { force: true });
    }
  }
  throw new ServiceError('conflict', `${entry.displayName}: could not take the download lock ${lock}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function download(entry: CatalogueEntry, options: DownloadOptions): Promise<ModelInfo> {
  const { registry } = options;
  const dir = stagingDir(registry, entry.name);
  await fs.mkdir(dir, { recursive: true });
  const unlock = await lockStaging(dir, entry);
  try {
    return await downloadLocked(entry, options, dir, unlock);
  } finally {
    await unlock();
  }
}

async function downloadLocked(entry: CatalogueEntry, options: DownloadOptions, dir: string, unlock: () => Promise<void>): Promise<ModelInfo> {

  const total = entrySize(entry);
  const onDisk = await bytesOnDisk(dir, entry);
  const already = onDisk.reduce((a, b) => a + b, 0);
  if (total !== null) {
    // Check before the first byte: failing at 90 % of 6 GB is the worst way to learn the disk is full.
    const free = await (options.transfer?.freeBytes ?? diskFreeBytes)(dir);
    if (total - already + DISK_MARGIN_BYTES > free) {
      throw new ServiceError('disk_full', `${entry.displayName} needs ${total - already} more bytes; ${free} are free on the disk holding ${dir}`);
    }
  }

  const meter = new ProgressMeter((e) => options.onEvent?.(e), total, options.progressIntervalMs ?? PROGRESS_INTERVAL_MS);
  try {
    return await fetchAll(entry, options, dir, meter, unlock);
  } finally {
    meter.close();
  }
}

async function fetchAll(entry: CatalogueEntry, options: DownloadOptions, dir: string, meter: ProgressMeter, unlock: () => Promise<void>): Promise<ModelInfo> {
  const { registry } = options;
  const base = options.baseUrl ?? DEFAULT_BASE_URL;
  const hashes = new Map<string, string>();
  let doneBytes = 0;
  for (const [i, f] of entry.files.entries()) {
    const dest = path.join(dir, f.name);
    const progress = { file: f.name, fileIndex: i, fileCount: entry.files.length };
    const complete = await sizeOrNull(dest);
    if (complete !== null && (f.size === null || complete === f.size)) {
      doneBytes += complete;
      meter.update({ phase: 'downloading', ...progress, bytes: doneBytes }, true);
      continue;
    }
    await fs.rm(dest, { force: true });
    const fetched = await fetchFile({
      url: fileUrl(base, entry, f.name),
      dest,
      expectedSize: f.size,
      sha256: f.sha256,
      allowedHosts: options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS,
      signal: options.signal,
      onBytes: (bytes) => meter.update({ phase: 'downloading', ...progress, bytes: doneBytes + bytes }),
      onVerify: () => meter.update({ phase: 'verifying', ...progress, bytes: doneBytes + (f.size ?? 0) }, true),
      ...options.transfer,
    });
    hashes.set(f.name, fetched.sha256);
    doneBytes += fetched.size;
    meter.update({ phase: 'downloading', ...progress, bytes: doneBytes }, true);
  }

  const last = entry.files.length - 1;
  meter.update({ phase: 'validating', file: entry.files[last].name, fileIndex: last, fileCount: entry.files.length, bytes: doneBytes }, true);
  try {
    await checkModelFolder(dir);
  } catch (err) {
    // Complete files that do not form a model cannot be fixed by resuming: start clean next time.
    await fs.rm(dir, { recursive: true, force: true });
    throw new ServiceError('invalid_model', `${entry.displayName} was downloaded but is not a usable model: ${(err as Error).message}`, { cause: err });
  }
  // Record every file's hash (verified or, where the catalogue has none, trusted on first use).
  for (const f of entry.files) if (!hashes.has(f.name)) hashes.set(f.name, await sha256File(path.join(dir, f.name)));
  await fs.writeFile(path.join(dir, CHECKSUMS_FILE), [...hashes].map(([n, h]) => `${h}  ${n}\n`).join(''));

  const meta = { name: entry.displayName, origin: { kind: 'downloaded' as const, from: entry.name, date: new Date().toISOString() } };
  // The folder describes itself before it is moved: a crash before register() is then rebuilt with the right name.
  await fs.writeFile(path.join(dir, META_FILE), JSON.stringify(meta, null, 2) + '\n');
  const id = await registry.allocateId(entry.name);
  await unlock(); // the lock must not travel into the model folder
  await fs.rename(dir, path.join(registry.modelsDir, id));
  const model = await registry.register(id, meta);
  options.onEvent?.({ type: 'done', model });
  return model;
}

/** The catalogue with what is installed and how much of an interrupted download is on disk. */
export async function catalogueStatus(registry: ModelRegistry, catalogue: readonly CatalogueEntry[] = CATALOGUE): Promise<CatalogueItem[]> {
  const models = registry.list();
  return Promise.all(
    catalogue.map(async (entry) => ({
      name: entry.name,
      displayName: entry.displayName,
      repo: entry.repo,
      parameters: entry.parameters,
      sizeBytes: entrySize(entry),
      installed: models.some((m) => m.origin.kind === 'downloaded' && m.origin.from === entry.name),
      partialBytes: (await bytesOnDisk(stagingDir(registry, entry.name), entry)).reduce((a, b) => a + b, 0),
    })),
  );
}

/** Deletes the partial files of an interrupted download. */
export async function discardDownload(registry: ModelRegistry, name: string, catalogue: readonly CatalogueEntry[] = CATALOGUE): Promise<{ ok: true }> {
  const entry = findEntry(name, catalogue);
  if (running.has(entry.name)) throw new ServiceError('conflict', `${entry.displayName} is downloading; cancel it first`);
  await fs.rm(stagingDir(registry, entry.name), { recursive: true, force: true });
  return { ok: true };
}
