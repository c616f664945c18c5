/**
 * The Train screen's logic, free of React and the DOM so it is tested as
 * plain functions: the run's state folded from the training stream's events,
 * the chart's aligned series, the file list parsed from what the writer typed,
 * pasted or dropped, and short human durations.
 */
import type { ModelInfo, ResumableRun, TrainingEvent } from '../common/contract';

type Done = Extract<TrainingEvent, { type: 'done' }>;
/** How far reading the manuscripts has come (the 'reading' event without its tag). */
export type ReadingProgress = Omit<Extract<TrainingEvent, { type: 'reading' }>, 'type'>;

export interface RunState {
  phase: 'idle' | 'preparing' | 'training' | 'paused' | 'done' | 'failed';
  runId: string | null;
  step: number;
  totalSteps: number;
  /** Train loss by step and validation loss by step (the chart's two lines). */
  loss: { step: number; value: number }[];
  valLoss: { step: number; value: number }[];
  tokensPerSec: number | null;
  etaMs: number | null;
  lr: number | null;
  sample: { step: number; text: string; copyRate: number } | null;
  warnings: string[];
  done: Done | null;
  error: string | null;
  /** Set while the files are read, before the first step; the first step (or the end) clears it. */
  reading: ReadingProgress | null;
}

export const IDLE: RunState = {
  phase: 'idle', runId: null, step: 0, totalSteps: 0, loss: [], valLoss: [], tokensPerSec: null, etaMs: null, lr: null, sample: null, warnings: [], done: null, error: null, reading: null,
};

/** A fresh run that has been asked for but has not said 'started' yet. */
export const PREPARING: RunState = { ...IDLE, phase: 'preparing' };

export function reduceRun(s: RunState, e: TrainingEvent): RunState {
  switch (e.type) {
    case 'started':
      return { ...s, phase: 'training', runId: e.runId, totalSteps: e.steps };
    case 'dataset':
      return { ...s, totalSteps: e.steps };
    case 'reading':
      return { ...s, reading: { bytesRead: e.bytesRead, totalBytes: e.totalBytes, fileIndex: e.fileIndex, fileCount: e.fileCount, fileName: e.fileName } };
    case 'step':
      return {
        ...s, reading: null, phase: s.phase === 'paused' ? 'paused' : 'training', step: e.step, totalSteps: e.totalSteps, loss: [...s.loss, { step: e.step, value: e.loss }],
        tokensPerSec: e.tokensPerSec, etaMs: e.etaMs, lr: e.lr,
      };
    case 'eval':
      return { ...s, valLoss: [...s.valLoss, { step: e.step, value: e.valLoss }] };
    case 'sample':
      return { ...s, sample: { step: e.step, text: e.text, copyRate: e.copyRate } };
    case 'warning':
      return s.warnings.includes(e.message) ? s : { ...s, warnings: [...s.warnings, e.message] };
    case 'paused':
      return { ...s, phase: 'paused' };
    case 'resumed':
      return { ...s, phase: 'training' };
    case 'checkpoint':
      return s;
    case 'done':
      return { ...s, phase: 'done', step: e.steps, etaMs: 0, done: e, reading: null };
  }
}

export function failRun(s: RunState, message: string): RunState {
  return { ...s, phase: 'failed', error: message, reading: null };
}

/** Progress in [0, 1] for the progress bar. */
export function progressOf(s: RunState): number {
  if (s.phase === 'done' && s.done?.reason === 'completed') return 1;
  return s.totalSteps > 0 ? Math.min(1, s.step / s.totalSteps) : 0;
}

/** Reading progress in [0, 1]: bytes of all the files together (no bytes at all counts as read). */
export function readingFractionOf(r: ReadingProgress): number {
  return r.totalBytes > 0 ? Math.min(1, Math.max(0, r.bytesRead / r.totalBytes)) : 1;
}

/** Whole seconds since `sinceMs` for the "Reading… 12 s" of a dataset check (never negative: clocks jump). */
export function elapsedSeconds(sinceMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - sinceMs) / 1000));
}

/** uPlot's aligned data: x = every step that has a point; missing values are null (gaps are spanned). */
export function chartSeries(s: Pick<RunState, 'loss' | 'valLoss'>): [number[], (number | null)[], (number | null)[]] {
  const train = new Map(s.loss.map((p) => [p.step, p.value]));
  const val = new Map(s.valLoss.map((p) => [p.step, p.value]));
  const xs = [...new Set([...train.keys(), ...val.keys()])].sort((a, b) => a - b);
  return [xs, xs.map((x) => train.get(x) ?? null), xs.map((x) => val.get(x) ?? null)];
}

const ABSOLUTE = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

/** One path a line; blank lines dropped, quotes from a shell's "Copy as path" removed, duplicates kept once. */
export function parsePaths(text: string): { paths: string[]; invalid: string[] } {
  const paths: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^(["'])(.*)\1$/, '$2');
    if (line === '') continue;
    if (!ABSOLUTE.test(line)) invalid.push(line);
    else if (!paths.includes(line)) paths.push(line);
  }
  return { paths, invalid };
}

/**
 * Paths from a drop's text/uri-list (a file manager puts file:// URIs there).
 * A browser never reveals a dropped File's location, so this is the only
 * path a drop can give in browser mode; other URIs are ignored.
 */
export function pathsFromUriList(uriList: string): string[] {
  const out: string[] = [];
  for (const line of uriList.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || !t.toLowerCase().startsWith('file://')) continue;
    try {
      const u = new URL(t);
      if (u.host !== '' && u.host !== 'localhost') continue;
      let p = decodeURIComponent(u.pathname);
      if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1).replace(/\//g, '\\'); // file:///C:/x → C:\x
      out.push(p);
    } catch {
      // not a URI: skip it
    }
  }
  return out;
}

type DurationKey = 'durUnder' | 'durS' | 'durMin' | 'durH';
const DURATION_EN: Record<DurationKey, string> = { durUnder: 'under a second', durS: '{n} s', durMin: '{n} min', durH: '{h} h {m} min' };
const fillEn = (key: DurationKey, vars: Record<string, string | number> = {}) => DURATION_EN[key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k]));

/** "45 s", "12 min", "2 h 05 min"; `t` gives the words in the interface language (trainMessages' dur* keys). */
export function formatDuration(ms: number | null, t: (key: DurationKey, vars?: Record<string, string | number>) => string = fillEn): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s === 0) return t('durUnder');
  if (s < 90) return t('durS', { n: s });
  const m = Math.round(s / 60);
  if (m < 90) return t('durMin', { n: m });
  return t('durH', { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}

/** A window that reattached to a run: the state before the replay arrives (the replay starts with 'started'). */
export function reattachedRun(runId: string): RunState {
  return { ...PREPARING, runId };
}

/** The model a new run starts from by default: the active one, else the first. */
export function defaultBase(models: readonly ModelInfo[]): string | null {
  return (models.find((m) => m.active) ?? models[0])?.id ?? null;
}

/**
 * The "Resume '<name>' from step N of M" banner: unfinished runs are offered
 * only while the screen is free to start one (no run on screen, or the last
 * one failed), one at a time, newest first. `confirming` is the run whose
 * Discard asked "delete?"; `hidden` are runs the writer just discarded or
 * started (the list is refreshed from the main process afterwards).
 */
export interface ResumeBanner {
  offer: ResumableRun;
  reasonKey: 'resumeCrashed' | 'resumeCancelled' | 'resumeInterrupted';
  confirming: boolean;
}

const REASON_KEY: Record<ResumableRun['reason'], ResumeBanner['reasonKey']> = { crashed: 'resumeCrashed', cancelled: 'resumeCancelled', interrupted: 'resumeInterrupted' };

export function resumeBanner(runs: readonly ResumableRun[], phase: RunState['phase'], confirming: string | null, hidden: ReadonlySet<string> = new Set()): ResumeBanner | null {
  if (phase !== 'idle' && phase !== 'failed') return null;
  const offer = [...runs].filter((r) => !hidden.has(r.runId)).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
  return offer ? { offer, reasonKey: REASON_KEY[offer.reason], confirming: confirming === offer.runId } : null;
}

/** The screen while a resumed run starts: its progress from the checkpoint, before 'started' arrives. */
export function resumingRun(offer: Pick<ResumableRun, 'runId' | 'step' | 'totalSteps'>): RunState {
  return { ...PREPARING, runId: offer.runId, step: offer.step, totalSteps: offer.totalSteps };
}
