/**
 * Perplexity of a token sequence under a model, as the Hugging Face
 * perplexity guide computes it with a sliding window: windows of at most
 * nPositions tokens advance by `stride` (nPositions / 2 by default); each
 * window scores only the tokens the previous one did not, so every token
 * 2..N is scored exactly once, from as much context as the window gives it.
 * Unlike the guide (which averages per-window means), the result is the
 * exact mean over tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../engine/types';
import { disposeCache } from '../engine/kv-cache';

export interface ScoreResult {
  tokens: number;
  /** Mean negative log-likelihood in nats of tokens 2..N. */
  nll: number;
  perplexity: number;
}

/** Summed NLL of ids[from..to) given ids[start..t) for each t: one forward over ids[start..to). */
async function windowNll(model: LanguageModel, ids: readonly number[], start: number, from: number, to: number): Promise<number> {
  const window = ids.slice(start, to);
  const out = model.forward([window], null, { allPositions: true });
  disposeCache(out.cache);
  const V = model.config.vocabSize;
  // Position p of the window predicts token start + p + 1.
  const positions: number[] = [];
  const flat: number[] = [];
  for (let target = from; target < to; target++) {
    const p = target - start - 1;
    positions.push(p);
    flat.push(p * V + ids[target]);
  }
  const nll = tf.tidy(() => {
    const logits = tf.reshape(out.logits, [window.length, V]) as tf.Tensor2D;
    const rows = tf.gather(logits, tf.tensor1d(positions, 'int32'));
    const lse = tf.logSumExp(rows, 1);
    const picked = tf.gather(tf.reshape(logits, [-1]), tf.tensor1d(flat, 'int32'));
    return tf.sum(tf.sub(lse, picked));
  });
  out.logits.dispose();
  try {
    const [sum] = await nll.data();
    if (!Number.isFinite(sum)) throw new Error(`score: the NLL of tokens ${from}..${to - 1} is ${sum}; the model weights may be corrupt`);
    return sum;
  } finally {
    nll.dispose();
  }
}

export async function scoreIds(model: LanguageModel, ids: readonly number[], stride?: number): Promise<ScoreResult> {
  if (ids.length < 2) throw new Error(`score: the text has ${ids.length} token(s); at least 2 are needed`);
  const maxLength = model.config.nPositions;
  const step = Math.max(1, Math.min(stride ?? Math.floor(maxLength / 2), maxLength));
  let total = 0;
  let prevEnd = 1; // token 0 has no context and is never scored
  for (let begin = 0; prevEnd < ids.length; begin += step) {
    const end = Math.min(begin + maxLength, ids.length);
    if (end > prevEnd) total += await windowNll(model, ids, begin, prevEnd, end);
    prevEnd = Math.max(prevEnd, end);
  }
  const nll = total / (ids.length - 1);
  return { tokens: ids.length, nll, perplexity: Math.exp(nll) };
}
