/**
 * Logits processors and token sampling, transformers.js style: one small function
 * per processor, each editing one row of logits in place, applied in a fixed order;
 * sampling takes logits (never probabilities) and draws from their softmax.
 *
 * Processors are pure functions of (logits, tokens, generatedCount): they keep no
 * state between calls and never modify `tokens`, so beams and alternatives can share them.
 * Corrupt weights show up as NaN or +Infinity logits; sampling refuses them rather
 * than returning random tokens.
 */
import type { LogitsProcessor, Rng } from './types';

export class SamplingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamplingError';
  }
}

/** The fields of the contract's GenerateOptions that shape sampling; any of them may be odd or missing. */
export interface SamplingOptions {
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  noRepeatNgramSize?: number;
  minTokens?: number;
}

/** Sampling settings after clamping: every field has a usable value. */
export interface SamplingConfig {
  greedy: boolean;
  /** 1 when greedy (it would not change the argmax). */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 1 = off. */
  repetitionPenalty: number;
  /** 0 = off. */
  noRepeatNgramSize: number;
  minTokens: number;
}

/** Below this a temperature is treated as 0 (greedy): dividing by it would overflow f32. */
export const MIN_TEMPERATURE = 1e-3;
/** The contract's upper bounds; values beyond them are clamped, not refused. */
export const MAX_TEMPERATURE = 5;
export const MAX_REPETITION_PENALTY = 5;
export const MAX_NO_REPEAT_NGRAM = 16;
export const MAX_MIN_TOKENS = 1024;

const num = (v: number | undefined): number | undefined => (typeof v === 'number' && !Number.isNaN(v) ? v : undefined);

/**
 * Turns user options into a usable config. Missing or NaN values take the neutral
 * default; temperature <= MIN_TEMPERATURE means greedy; topK 0 means off and above
 * the vocabulary means the vocabulary; topP <= 0 keeps only the best token.
 */
export function normalizeSampling(options: SamplingOptions, vocabSize: number): SamplingConfig {
  const t = num(options.temperature) ?? 1;
  const greedy = options.greedy === true || t < MIN_TEMPERATURE;
  const k = Math.floor(num(options.topK) ?? 0);
  const p = num(options.topP) ?? 1;
  const rp = num(options.repetitionPenalty) ?? 1;
  const ng = Math.floor(num(options.noRepeatNgramSize) ?? 0);
  const mt = Math.floor(num(options.minTokens) ?? 0);
  return {
    greedy,
    temperature: greedy ? 1 : Math.min(t, MAX_TEMPERATURE),
    topK: k <= 0 || k >= vocabSize ? 0 : k,
    topP: Math.max(0, Math.min(p, 1)),
    repetitionPenalty: Math.max(1, Math.min(rp, MAX_REPETITION_PENALTY)),
    noRepeatNgramSize: Math.max(0, Math.min(ng, MAX_NO_REPEAT_NGRAM)),
    minTokens: Math.max(0, Math.min(mt, MAX_MIN_TOKENS)),
  };
}

/** Divides every logit by `t` (> 0): below 1 sharpens the distribution, above 1 flattens it. */
export function temperature(t: number): LogitsProcessor {
  if (!(t > 0) || !Number.isFinite(t)) throw new SamplingError(`temperature must be a positive finite number, got ${t}`);
  return (logits) => {
    for (let i = 0; i < logits.length; i++) logits[i] /= t;
  };
}

/** The k-th largest value of `values` (1-based), by quickselect on a copy: O(n) on average. */
function kthLargest(values: Float32Array, k: number): number {
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    // Median of three keeps sorted and reversed inputs linear.
    const mid = (lo + hi) >> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}

/** Keeps the k highest logits (and any tied with the k-th), setting the rest to -Infinity. */
export function topK(k: number): LogitsProcessor {
  if (!Number.isInteger(k) || k < 1) throw new SamplingError(`topK must be a positive integer, got ${k}`);
  return (logits) => {
    if (k >= logits.length) return;
    const threshold = kthLargest(logits, k);
    for (let i = 0; i < logits.length; i++) if (logits[i] < threshold) logits[i] = -Infinity;
  };
}

/**
 * Nucleus sampling: keeps the most likely tokens whose probabilities add up to at least
 * p, always at least one; the rest become -Infinity (Hugging Face's TopPLogitsWarper,
 * except that tokens tied with the last one kept are all kept, as in topK).
 */
export function topP(p: number): LogitsProcessor {
  if (!(p >= 0 && p <= 1)) throw new SamplingError(`topP must be in [0, 1], got ${p}`);
  return (logits) => {
    if (p >= 1) return;
    const { max } = checkedMax(logits, 'topP');
    const n = logits.length;
    const weights = new Float64Array(n);
    let z = 0;
    // Skipping -Infinity (already banned, e.g. by topK) avoids most exp calls in the usual setup.
    for (let i = 0; i < n; i++) if (logits[i] !== -Infinity) z += weights[i] = Math.exp(logits[i] - max);
    // Every token with probability at most (1 - p) / n is dropped for sure (all of them
    // together weigh at most 1 - p), so only the others need sorting; on real, peaked
    // distributions that is a few hundred tokens, not the vocabulary.
    const floor = ((1 - p) / n) * z;
    const candidates = new Float32Array(n);
    let count = 0;
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      if (weights[i] > floor) candidates[count++] = logits[i];
      else dropped += weights[i];
    }
    if (count === 0) {
      const best = argmax(logits);
      for (let i = 0; i < n; i++) if (i !== best) logits[i] = -Infinity;
      return;
    }
    const sorted = candidates.subarray(0, count).sort();
    // Walk up from the least likely; drop while the dropped mass stays within 1 - p.
    const budget = (1 - p) * z;
    let j = 0;
    while (j < count - 1) {
      const w = Math.exp(sorted[j] - max);
      if (dropped + w > budget) break;
      dropped += w;
      j++;
    }
    const threshold = sorted[j];
    for (let i = 0; i < n; i++) if (logits[i] < threshold) logits[i] = -Infinity;
  };
}

/**
 * CTRL's repetition penalty over every token seen (prompt and generated): positive logits
 * are divided by the penalty, negative ones multiplied, so both become less likely.
 */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  if (!(penalty >= 1) || !Number.isFinite(penalty)) throw new SamplingError(`repetitionPenalty must be >= 1, got ${penalty}`);
  return (logits, tokens) => {
    const seen = new Set(tokens);
    for (const t of seen) {
      if (t < 0 || t >= logits.length) continue;
      const l = logits[t];
      logits[t] = l > 0 ? l / penalty : l * penalty;
    }
  };
}

/** Bans every token that would complete an n-gram already present in `tokens`. */
export function noRepeatNgram(n: number): LogitsProcessor {
  if (!Number.isInteger(n) || n < 1) throw new SamplingError(`noRepeatNgramSize must be a positive integer, got ${n}`);
  return (logits, tokens) => {
    const len = tokens.length;
    if (len + 1 < n) return;
    const prefixStart = len - (n - 1);
    for (let i = 0; i + n <= len; i++) {
      let match = true;
      for (let j = 0; j < n - 1; j++) {
        if (tokens[i + j] !== tokens[prefixStart + j]) {
          match = false;
          break;
        }
      }
      const banned = tokens[i + n - 1];
      if (match && banned >= 0 && banned < logits.length) logits[banned] = -Infinity;
    }
  };
}

/**
 * Bans ids from `limit` up: checkpoints often pad the embedding past the tokenizer's
 * vocabulary (nanoGPT uses 50304 for 50257), and those rows decode to nothing.
 */
export function banIdsFrom(limit: number): LogitsProcessor {
  return (logits) => {
    if (limit < logits.length) logits.fill(-Infinity, Math.max(0, limit));
  };
}

/** Forbids end-of-text until `min` tokens have been generated. */
export function minNewTokens(min: number, eosId: number): LogitsProcessor {
  return (logits, _tokens, generatedCount) => {
    if (generatedCount < min && eosId >= 0 && eosId < logits.length) logits[eosId] = -Infinity;
  };
}

/**
 * The processors for `options`, in Hugging Face's order: constraints first (padding ids
 * past the tokenizer's vocabulary, min tokens, repetition, n-grams), then the warpers that reshape the distribution (temperature,
 * top-k, top-p). When greedy, the warpers are left out: they cannot change the argmax.
 */
export function buildProcessors(
  options: SamplingOptions,
  model: { vocabSize: number; eosId: number; tokenizerVocabSize?: number },
): { processors: LogitsProcessor[]; greedy: boolean; config: SamplingConfig } {
  const config = normalizeSampling(options, model.vocabSize);
  const processors: LogitsProcessor[] = [];
  if (model.tokenizerVocabSize !== undefined && model.tokenizerVocabSize < model.vocabSize) {
    processors.push(banIdsFrom(model.tokenizerVocabSize));
  }
  if (config.minTokens > 0) processors.push(minNewTokens(config.minTokens, model.eosId));
  if (config.repetitionPenalty > 1) processors.push(repetitionPenalty(config.repetitionPenalty));
  if (config.noRepeatNgramSize > 0) processors.push(noRepeatNgram(config.noRepeatNgramSize));
  if (!config.greedy) {
    if (config.temperature !== 1) processors.push(temperature(config.temperature));
    if (config.topK > 0) processors.push(topK(config.topK));
    if (config.topP < 1) processors.push(topP(config.topP));
  }
  return { processors, greedy: config.greedy, config };
}

/** Applies `processors` in order to `logits` (in place) and returns it. */
export function applyProcessors(
  processors: readonly LogitsProcessor[],
  logits: Float32Array,
  tokens: readonly number[],
  generatedCount: number,
): Float32Array {
  for (const p of processors) p(logits, tokens, generatedCount);
  return logits;
}

/** The largest finite-or-not logit; throws on NaN, +Infinity or a row that is all -Infinity. */
function checkedMax(logits: Float32Array, where: string): { max: number; at: number } {
  let max = -Infinity;
  let at = -1;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i];
    if (Number.isNaN(l)) throw new SamplingError(`${where}: logit ${i} is NaN (corrupt weights or overflow in the model)`);
    if (l === Infinity) throw new SamplingError(`${where}: logit ${i} is +Infinity (corrupt weights or overflow in the model)`);
    if (l > max) {
      max = l;
      at = i;
    }
  }
  if (at < 0) throw new SamplingError(`${where}: every token is banned (${logits.length} logits, all -Infinity)`);
  return { max, at };
}

/** Index of the largest logit (the first one on ties). */
export function argmax(logits: Float32Array): number {
  return checkedMax(logits, 'argmax').at;
}

/** log(softmax(row)), computed stably (for beam scores and scoring text). */
export function logSoftmax(row: Float32Array): Float32Array {
  const { max } = checkedMax(row, 'logSoftmax');
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const logZ = max + Math.log(sum);
  const out = new Float32Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = row[i] - logZ;
  return out;
}

/** Draws one token from softmax(logits) with `rng`. */
export function sampleToken(logits: Float32Array, rng: Rng): number {
  const { max, at } = checkedMax(logits, 'sampleToken');
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const r = rng() * sum;
  let acc = 0;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] === -Infinity) continue;
    acc += Math.exp(logits[i] - max);
    if (r < acc) return i;
  }
  // Rounding can leave r a hair above the last partial sum: the best token is a safe answer.
  return at;
}
