/**
 * Model downloads as the Models tab shows them, kept outside React: the tab is
 * unmounted when the writer looks at another one, and a 5 GB download must not
 * lose its progress bar (or be started twice) because of that. One store holds
 * a state per catalogue name; components subscribe with useSyncExternalStore.
 *
 * Pause is a cancel of the models.download stream: the service keeps the
 * .part files and the next Download resumes with HTTP Range. Discard asks the
 * service to forget them. Pure helpers (figures, error sentences) are exported
 * for tests.
 */
import type { ApiError, DownloadEvent, InkwellApi, ModelInfo, StreamHandle } from '../common/contract';

export type Progress = Extract<DownloadEvent, { type: 'progress' }>;

export type DownloadState =
  | { status: 'idle' }
  | { status: 'starting' }
  | { status: 'running'; progress: Progress }
  /** Stopped by the writer; `bytes` are on disk and the next Download resumes from them. */
  | { status: 'paused'; bytes: number; total: number | null }
  | { status: 'error'; message: string; code: ApiError['code'] }
  | { status: 'done'; model: ModelInfo };

export const IDLE: DownloadState = { status: 'idle' };

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** "45 s", "3 min", "1 h 20 min": rounded the way a person would say it. */
export function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Percent done (0 to 100, whole numbers), or null when the total is not known. */
export function percentOf(bytes: number, total: number | null): number | null {
  if (total === null || total <= 0) return null;
  return Math.min(100, Math.max(0, Math.floor((bytes / total) * 100)));
}

const PHASE: Record<Progress['phase'], string> = { downloading: 'Downloading', verifying: 'Checking', validating: 'Checking the model' };

/** The line under the bar: what, how much, how fast, how long. */
export function describeProgress(p: Progress): string {
  const amount = p.total !== null ? `${formatBytes(p.bytes)} of ${formatBytes(p.total)}` : formatBytes(p.bytes);
  const parts = [`${PHASE[p.phase]} ${p.file} (${p.fileIndex + 1} of ${p.fileCount})`, amount];
  if (p.phase === 'downloading' && p.speedBytesPerSec > 0) parts.push(`${formatBytes(p.speedBytesPerSec)}/s`);
  if (p.phase === 'downloading' && p.etaSeconds !== null) parts.push(`${formatEta(p.etaSeconds)} left`);
  return parts.join(' · ');
}

/** A sentence the writer can act on; the service's own detail is kept in brackets. */
export function describeDownloadError(error: ApiError): string {
  switch (error.code) {
    case 'checksum_mismatch':
      return `The downloaded file was damaged (its checksum does not match), so it was thrown away and nothing was installed. Download again to retry. (${error.message})`;
    case 'disk_full':
      return `Not enough free disk space. Free some space, then Download again: it resumes where it stopped. (${error.message})`;
    case 'download_failed':
      return `The download failed: ${error.message}. What arrived is kept; Download again resumes.`;
    case 'invalid_model':
      return `The files arrived but are not a usable model, so nothing was installed. (${error.message})`;
    case 'conflict':
      return error.message;
    case 'io_error':
      return `Lost contact with Inkwell or the disk: ${error.message}`;
    default:
      return error.message;
  }
}

/** The part of InkwellApi the store uses (a fake in tests). */
export type DownloadApi = Pick<InkwellApi, 'call' | 'stream'>;

/**
 * One state per catalogue model. `onInstalled` listeners hear about every finished
 * download, so the installed list can refresh even if the tab was closed meanwhile.
 */
export class DownloadStore {
  private readonly states = new Map<string, DownloadState>();
  private readonly handles = new Map<string, StreamHandle<'models.download'>>();
  private readonly pausing = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private readonly installedListeners = new Set<(model: ModelInfo) => void>();

  constructor(private readonly api: DownloadApi) {}

  get(name: string): DownloadState {
    return this.states.get(name) ?? IDLE;
  }

  isActive(name: string): boolean {
    return this.handles.has(name);
  }

  /** For useSyncExternalStore: a new Map identity is not needed, get() reads the latest. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  onInstalled(listener: (model: ModelInfo) => void): () => void {
    this.installedListeners.add(listener);
    return () => this.installedListeners.delete(listener);
  }

  /** Starts or resumes a download; a second start while one runs is ignored. */
  start(name: string): void {
    if (this.handles.has(name)) return;
    this.set(name, { status: 'starting' });
    const handle = this.api.stream('models.download', { name }, (event) => {
      if (event.type === 'progress') this.set(name, { status: 'running', progress: event });
    });
    this.handles.set(name, handle);
    void handle.done.then((result) => this.finish(name, result));
  }

  /** Stops the transfer; the partial files stay for the next start. */
  pause(name: string): void {
    const handle = this.handles.get(name);
    if (!handle) return;
    this.pausing.add(name);
    handle.cancel();
  }

  /** Stops the download if it runs, then deletes its partial files. Resolves with an error sentence or null. */
  async discard(name: string): Promise<string | null> {
    const handle = this.handles.get(name);
    if (handle) {
      this.pausing.add(name);
      handle.cancel();
      await handle.done;
    }
    const r = await this.api.call('models.discardDownload', { name });
    if (!r.ok) return `Could not discard the download: ${r.error.message}`;
    this.set(name, IDLE);
    return null;
  }

  private finish(name: string, result: Awaited<StreamHandle<'models.download'>['done']>): void {
    this.handles.delete(name);
    const paused = this.pausing.delete(name);
    const before = this.get(name);
    if (result.ok && result.value.type === 'done') {
      this.set(name, { status: 'done', model: result.value.model });
      for (const l of this.installedListeners) l(result.value.model);
      return;
    }
    if (!result.ok && (paused || result.error.code === 'aborted')) {
      const progress = before.status === 'running' ? before.progress : null;
      this.set(name, { status: 'paused', bytes: progress?.bytes ?? 0, total: progress?.total ?? null });
      return;
    }
    if (!result.ok) this.set(name, { status: 'error', message: describeDownloadError(result.error), code: result.error.code });
    else this.set(name, IDLE);
  }

  private set(name: string, state: DownloadState): void {
    this.states.set(name, state);
    for (const l of this.listeners) l();
  }
}
