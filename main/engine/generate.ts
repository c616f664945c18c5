/**
 * Text generation on top of a LanguageModel: greedy decoding, sampling and
 * (through beam-search.ts) beam search.
 *
 * The prompt runs in one batched forward pass (minus what the prefix cache
 * already holds); then tokens are decoded one at a time against the KV cache.
 * `n` alternatives share the prompt's cache: its single row is repeated into n
 * rows, and rows whose alternative has finished are dropped from the batch.
 * Text is streamed per alternative through the tokenizer's stream decoder, so
 * a multi-byte character is never split, and text that might be the start of
 * a stop string is held back until it is known not to be one.
 *
 * Aborts and time budgets are normal endings: the promise resolves with what
 * was generated so far and the reason. It rejects only on real faults (NaN
 * logits, a model error).
 */
import type { z } from 'zod';
import type { GenerateOptions as GenerateOptionsSchema } from '../../common/contract';
import type { KVCache, LanguageModel, TextTokenizer } from './types';
import { disposeCache, selectRows } from './kv-cache';
import { argmax, buildProcessors, sampleToken } from './sampling';
import { createRng, randomSeed } from './rng';
import { beamSearch } from './beam-search';
import type { PrefixCache } from './prefix-cache';

export type GenerateOptions = z.output<typeof GenerateOptionsSchema>;

/** Why generation ended; the contract's 'done' event carries it as a string. */
export type FinishReason = 'length' | 'stop' | 'eos' | 'aborted' | 'time';

export interface Alternative {
  /** New token ids (an ending EOS is not included; a stop string's tokens are). */
  ids: number[];
  /** Decoded text of `ids`, cut before the first stop string. */
  text: string;
}

export interface GenerateResult {
  alternatives: Alternative[];
  reason: FinishReason;
  /** Prompt tokens given to the model after any left truncation (0 for an empty prompt). */
  promptTokens: number;
  /** Tokens cut from the left of a prompt too long for the context. */
  truncatedPromptTokens: number;
  /** Prompt tokens whose keys and values came from the prefix cache. */
  cachedTokens: number;
  elapsedMs: number;
}

export interface GenerateHooks {
  /** Checked between tokens; an aborted run resolves with reason 'aborted'. */
  signal?: AbortSignal;
  /** Newly visible text of one alternative after token `id` (may be ''). */
  onToken?: (alternative: number, id: number, text: string) => void;
  prefixCache?: PrefixCache;
  /** Ends an alternative (reason 'stop') once its text so far satisfies this, e.g. a sentence ended. */
  stopWhen?: (text: string) => boolean;
}

export const DEFAULT_MAX_TOKENS = 50;

/** The prompt as the model will see it. */
export interface PromptPlan {
  /** Ids to run: the kept tail of the prompt, or [eos] for an empty prompt. */
  ids: number[];
  /** Real prompt tokens kept (0 when `ids` is just the EOS start token). */
  promptTokens: number;
  truncated: number;
  maxNew: number;
}

/**
 * Left truncation removes whole chunks of nPositions / TRUNCATION_CHUNKS tokens, so
 * the kept prompt starts at the same token while the writer types on at the end of
 * a long document, and the prefix cache keeps serving it; the price is at most one
 * chunk of context.
 */
export const TRUNCATION_CHUNKS = 16;

/**
 * Fits prompt + new tokens into the context: maxNew is capped at nPositions - 1
 * and the prompt keeps at most its last nPositions - maxNew tokens (the most
 * recent text matters most to a continuation), cut in whole chunks. An empty
 * prompt starts from EOS, as GPT-2 was trained to begin a document after
 * `<|endoftext|>`.
 */
export function planPrompt(promptIds: readonly number[], eosId: number, nPositions: number, maxTokens: number): PromptPlan {
  const maxNew = Math.max(1, Math.min(maxTokens, nPositions - 1));
  const keep = nPositions - maxNew;
  const chunk = Math.max(1, Math.floor(nPositions / TRUNCATION_CHUNKS));
  const over = promptIds.length - keep;
  const truncated = over > 0 ? Math.min(Math.ceil(over / chunk) * chunk, promptIds.length - 1) : 0;
  const kept = promptIds.slice(truncated);
  return kept.length === 0
    ? { ids: [eosId], promptTokens: 0, truncated, maxNew }
    : { ids: kept, promptTokens: kept.length, truncated, maxNew };
}

/** The prompt's cache and the logits of its last position, after one forward pass. */
export interface Prefilled {
  cache: KVCache;
  logits: Float32Array;
  cachedTokens: number;
}

/** Runs the prompt (only the part the prefix cache lacks) in one forward pass. */
export async function prefill(model: LanguageModel, ids: readonly number[], prefixCache?: PrefixCache): Promise<Prefilled> {
  const hit = prefixCache?.lookup(ids) ?? null;
  const cachedTokens = hit?.length ?? 0;
  let out: ReturnType<LanguageModel['forward']>;
  try {
    out = model.forward([ids.slice(cachedTokens)], hit?.cache ?? null);
  } finally {
    if (hit) disposeCache(hit.cache);
  }
  try {
    const logits = new Float32Array(await out.logits.data());
    prefixCache?.insert(ids, out.cache);
    return { cache: out.cache, logits, cachedTokens };
  } catch (err) {
    disposeCache(out.cache);
    throw err;
  } finally {
    out.logits.dispose();
  }
}

/**
 * Visible text of one alternative: decodes tokens as they come, cuts at the
 * first stop string, and holds back a tail that could still become one.
 */
export class AlternativeText {
  text = '';
  stopped = false;
  private emitted = 0;
  private readonly maxStop: number;

  constructor(
    private readonly decoder: ReturnType<TextTokenizer['streamDecoder']>,
    private readonly stops: readonly string[],
  ) {
    this.maxStop = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /** Adds one token; returns the text that became visible (may be ''). */
  push(id: number): string {
    if (this.stopped) return '';
    const before = this.text.length;
    this.text += this.decoder.push(id);
    return this.settle(before, false);
  }

  /** Ends the stream; returns the rest of the visible text. */
  finish(): string {
    const before = this.text.length;
    if (!this.stopped) this.text += this.decoder.flush();
    return this.settle(before, true);
  }

  private settle(before: number, final: boolean): string {
    if (!this.stopped && this.maxStop > 0) {
      // No stop string ended before `before`, so a new one ends after it.
      const from = Math.max(0, before - this.maxStop + 1);
      let cut = -1;
      for (const stop of this.stops) {
        const at = this.text.indexOf(stop, from);
        if (at >= 0 && (cut < 0 || at < cut)) cut = at;
      }
      if (cut >= 0) {
        this.text = this.text.slice(0, cut);
        this.stopped = true;
      }
    }
    const end = this.stopped || final ? this.text.length : this.text.length - this.heldBack();
    const out = end > this.emitted ? this.text.slice(this.emitted, end) : '';
    this.emitted = Math.max(this.emitted, end);
    return out;
  }

  /** Length of the longest tail of the text that is a proper prefix of a stop string. */
  private heldBack(): number {
    for (let k = Math.min(this.maxStop - 1, this.text.length); k > 0; k--) {
      const tail = this.text.slice(-k);
      if (this.stops.some((s) => s.startsWith(tail))) return k;
    }
    return 0;
  }
}

/** Lets queued messages (a cancel) run between tokens. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Throws with context when a row of logits holds NaN (corrupt weights): never sample from garbage. */
export function assertFinite(row: Float32Array, where: string): void {
  for (let i = 0; i < row.length; i++) {
    if (Number.isNaN(row[i])) throw new Error(`generate: logits contain NaN at vocab index ${i} (${where}); the model weights may be corrupt`);
  }
}

interface AltState {
  index: number;
  ids: number[];
  /** Prompt + generated, as the processors want it. */
  all: number[];
  view: AlternativeText;
  reason: FinishReason | null;
}

/**
 * Generates up to `options.maxTokens` new tokens after `promptIds`. With
 * numBeams > 1 this is beam search (beam-search.ts); otherwise greedy when
 * `greedy` is set or temperature is 0, sampling otherwise.
 */
export async function generate(
  model: LanguageModel,
  tokenizer: TextTokenizer,
  promptIds: readonly number[],
  options: GenerateOptions = {},
  hooks: GenerateHooks = {},
): Promise<GenerateResult> {
  const started = performance.now();
  const plan = planPrompt(promptIds, tokenizer.eosId, model.config.nPositions, options.maxTokens ?? DEFAULT_MAX_TOKENS);
  if (hooks.signal?.aborted) {
    const n = (options.numBeams ?? 1) > 1 ? Math.min(options.n ?? 1, options.numBeams ?? 1) : (options.n ?? 1);
    const alternatives = Array.from({ length: n }, () => ({ ids: [], text: '' }));
    return { alternatives, reason: 'aborted', promptTokens: plan.promptTokens, truncatedPromptTokens: plan.truncated, cachedTokens: 0, elapsedMs: performance.now() - started };
  }
  const pre = await prefill(model, plan.ids, hooks.prefixCache);
  const common = { promptTokens: plan.promptTokens, truncatedPromptTokens: plan.truncated, cachedTokens: pre.cachedTokens };

  if ((options.numBeams ?? 1) > 1) {
    const { alternatives, reason } = await beamSearch(model, tokenizer, plan.ids, pre.cache, pre.logits, { ...options, maxTokens: plan.maxNew }, hooks);
    return { alternatives, reason, ...common, elapsedMs: performance.now() - started };
  }

  // buildProcessors drops the warpers when greedy (greedy flag or temperature ~0): they cannot change the argmax.
  const { processors, greedy } = buildProcessors(
    { ...options, minTokens: Math.min(options.minTokens ?? 0, plan.maxNew) },
    { vocabSize: model.config.vocabSize, eosId: tokenizer.eosId, tokenizerVocabSize: tokenizer.vocabSize },
  );
  const rng = createRng(options.seed ?? randomSeed());
  const n = options.n ?? 1;
  const stops = options.stop ?? [];

  const alts: AltState[] = Array.from({ length: n }, (_, index) => ({
    index,
    ids: [],
    all: [...plan.ids],
    view: new AlternativeText(tokenizer.streamDecoder(), stops),
    reason: null,
  }));
  let active = alts;
  let rows: Float32Array[] = alts.map(() => pre.logits);
  let cache = pre.cache;
  let reason: FinishReason | null = null;
  try {
    if (n > 1) cache = swapCache(cache, selectRows(cache, new Array<number>(n).fill(0)));
    for (let step = 0; ; step++) {
      const next: number[] = [];
      active.forEach((alt, r) => {
        const row = rows[r] === pre.logits ? new Float32Array(pre.logits) : rows[r];
        assertFinite(row, `alternative ${alt.index}, new token ${step}`);
        for (const p of processors) p(row, alt.all, alt.ids.length);
        const id = greedy ? argmax(row) : sampleToken(row, rng);
        next.push(id);
        if (id === tokenizer.eosId) {
          alt.reason = 'eos';
          return;
        }
        alt.ids.push(id);
        alt.all.push(id);
        const shown = alt.view.push(id);
        if (shown) hooks.onToken?.(alt.index, id, shown);
        if (alt.view.stopped || hooks.stopWhen?.(alt.view.text)) alt.reason = 'stop';
        else if (alt.ids.length >= plan.maxNew) alt.reason = 'length';
      });
      const keep = active.map((alt, r) => (alt.reason === null ? r : -1)).filter((r) => r >= 0);
      if (keep.length === 0) break;
      if (hooks.signal?.aborted) reason = 'aborted';
      else if (options.timeBudgetMs !== undefined && performance.now() - started >= options.timeBudgetMs) reason = 'time';
      if (reason) break;
      if (keep.length < active.length) {
        cache = swapCache(cache, selectRows(cache, keep));
        active = keep.map((r) => active[r]);
      }
      const out = model.forward(keep.map((r) => [next[r]]), cache);
      cache = swapCache(cache, out.cache);
      try {
        const data = await out.logits.data();
        const vocab = data.length / active.length;
        rows = active.map((_, r) => new Float32Array(data.subarray(r * vocab, (r + 1) * vocab)));
      } finally {
        out.logits.dispose();
      }
      await yieldToEventLoop();
      if (hooks.signal?.aborted) {
        reason = 'aborted';
        break;
      }
    }
  } finally {
    disposeCache(cache);
  }

  for (const alt of alts) {
    alt.reason ??= reason ?? 'length';
    const rest = alt.view.finish();
    if (rest) hooks.onToken?.(alt.index, alt.ids[alt.ids.length - 1] ?? tokenizer.eosId, rest);
  }
  return {
    alternatives: alts.map((a) => ({ ids: a.ids, text: a.view.text })),
    reason: reason ?? overallReason(alts.map((a) => a.reason ?? 'length')),
    ...common,
    elapsedMs: performance.now() - started,
  };
}

/** Disposes `old` and returns `next`; the caches never share tensors (the model returns new ones). */
function swapCache(old: KVCache, next: KVCache): KVCache {
  if (next !== old) disposeCache(old);
  return next;
}

/** One reason for the whole run: the alternatives' common reason, else the most "incomplete" one. */
export function overallReason(reasons: readonly FinishReason[]): FinishReason {
  for (const r of ['aborted', 'time', 'length', 'stop', 'eos'] as const) if (reasons.includes(r)) return r;
  return 'length';
}
