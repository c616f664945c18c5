/**
 * Comparing two models on the same prompt (the Models tab's Compare): which
 * two to offer first, the request both columns send (same prompt, same
 * settings, same seed, so the only difference is the model), and a reducer
 * that turns the two streams' events into two columns. Pure, unit-tested;
 * ComparePanel.tsx renders it and owns the streams.
 */
import type { GenerateEvent, ModelInfo, RequestOf } from '../common/contract';

export type Side = 'a' | 'b';
export const SIDES: readonly Side[] = ['a', 'b'];

type Options = NonNullable<RequestOf<'engine.generate'>['options']>;

/** Long enough to hear a voice, short enough to read two side by side. */
export const COMPARE_MIN_TOKENS = 60;

export interface Column {
  modelId: string | null;
  status: 'idle' | 'running' | 'done' | 'error';
  text: string;
  /** The engine's name for the model that answered (from the done event). */
  answeredBy: string | null;
  error: string | null;
  /** The current run's number, so a late event of a replaced run is dropped. */
  run: number;
}

export interface CompareState {
  a: Column;
  b: Column;
}

const emptyColumn = (modelId: string | null): Column => ({ modelId, status: 'idle', text: '', answeredBy: null, error: null, run: 0 });

/**
 * Model A: the active model. Model B: the newest fine-tune (what the writer most likely
 * wants to hear against the base), else the newest other model; null when only one exists.
 */
export function defaultPair(models: readonly ModelInfo[]): { a: string | null; b: string | null } {
  const active = models.find((m) => m.active) ?? models[0];
  const others = models.filter((m) => m !== active);
  const newest = (list: readonly ModelInfo[]) => [...list].sort((x, y) => y.origin.date.localeCompare(x.origin.date))[0];
  const b = newest(others.filter((m) => m.origin.kind === 'finetuned')) ?? newest(others);
  return { a: active?.id ?? null, b: b?.id ?? null };
}

export function initialCompare(models: readonly ModelInfo[]): CompareState {
  const pair = defaultPair(models);
  return { a: emptyColumn(pair.a), b: emptyColumn(pair.b) };
}

/** A fresh seed for a comparison; both columns share it. */
export function newSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 2 ** 31);
}

/**
 * The request of one column: the document's options (temperature, top-k...) with
 * one alternative, at least COMPARE_MIN_TOKENS long, the shared seed, and the model.
 */
export function compareRequest(prompt: string, modelId: string, options: Options, seed: number): RequestOf<'engine.generate'> {
  return {
    task: 'raw',
    context: prompt,
    modelId,
    options: { ...options, n: 1, seed, maxTokens: Math.max(options.maxTokens ?? 0, COMPARE_MIN_TOKENS), greedy: options.greedy },
  };
}

export type CompareAction =
  | { type: 'reset'; models: readonly ModelInfo[] }
  | { type: 'pick'; side: Side; modelId: string }
  /** `run`: a number the caller never reuses for this side (events carry it back). */
  | { type: 'start'; side: Side; run: number }
  | { type: 'event'; side: Side; run: number; event: GenerateEvent }
  | { type: 'failed'; side: Side; run: number; message: string }
  | { type: 'stopped'; side: Side; run: number };

export function compareReducer(state: CompareState, action: CompareAction): CompareState {
  switch (action.type) {
    case 'reset': {
      // Keep the writer's picks while they are still installed (the list refreshes after a delete).
      const ids = new Set(action.models.map((m) => m.id));
      const fresh = initialCompare(action.models);
      const keep = (side: Side) => (state[side].modelId !== null && ids.has(state[side].modelId) ? state[side] : fresh[side]);
      return { a: keep('a'), b: keep('b') };
    }
    case 'pick':
      return { ...state, [action.side]: { ...emptyColumn(action.modelId), run: state[action.side].run } };
    case 'start': {
      const c = state[action.side];
      return { ...state, [action.side]: { ...c, status: 'running', text: '', answeredBy: null, error: null, run: action.run } };
    }
    case 'event': {
      const c = state[action.side];
      if (action.run !== c.run) return state;
      const e = action.event;
      if (e.type === 'token') return e.alternative === 0 ? { ...state, [action.side]: { ...c, text: c.text + e.text } } : state;
      // The final text is the engine's (it may trim); a stopped run keeps what streamed.
      const text = e.reason === 'aborted' ? c.text : (e.texts[0] ?? c.text);
      return { ...state, [action.side]: { ...c, status: 'done', text, answeredBy: e.model ?? null } };
    }
    case 'failed': {
      const c = state[action.side];
      if (action.run !== c.run) return state;
      return { ...state, [action.side]: { ...c, status: 'error', error: action.message } };
    }
    case 'stopped': {
      const c = state[action.side];
      if (action.run !== c.run || c.status !== 'running') return state;
      return { ...state, [action.side]: { ...c, status: 'done' } };
    }
  }
}

export const anyRunning = (s: CompareState): boolean => s.a.status === 'running' || s.b.status === 'running';

/** A column's text as paragraphs for the editor (blank lines separate them). */
export function paragraphsOf(text: string): string[] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').trim())
    .filter((p) => p !== '');
}
