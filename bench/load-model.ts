/**
 * The benchmarks' model: GPT-2 124M shapes with random weights, on one thread
 * (GPT2) or split over two (ParallelGPT2, `--threads 2`). run.mjs builds the
 * rank worker next to the benchmark bundles.
 */
import { GPT2 } from '../main/engine/gpt2';
import { ParallelGPT2 } from '../main/engine/parallel/parallel-model';
import type { GPT2Config, LanguageModel } from '../main/engine/types';
import { randomWeights } from './random-gpt2';

export async function loadBenchModel(config: GPT2Config, threads: number): Promise<LanguageModel> {
  const weights = randomWeights(config, 124);
  if (threads <= 1) return GPT2.fromTensors(config, weights, 'random GPT-2 124M', { consume: true });
  return ParallelGPT2.create(config, weights, 'random GPT-2 124M', { workerUrl: new URL('./rank-worker.js', import.meta.url) });
}

/** Parameters of a GPT-2 config (tied LM head counted once). */
export function parameterCount(c: GPT2Config): number {
  const C = c.nEmbd;
  return c.vocabSize * C + c.nPositions * C + 2 * C + c.nLayer * (12 * C * C + 13 * C);
}
