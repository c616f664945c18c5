/** The tiny fixture models' raw weights, and small helpers the numeric engine tests share. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceTensor } from '../../../main/engine/gpt2-weights';
import { disposeCache } from '../../../main/engine/kv-cache';
import { parseModelConfig, type ModelConfig } from '../../../main/engine/model-config';
import { readSafetensors } from '../../../main/engine/safetensors';
import type { LanguageModel } from '../../../main/engine/types';

export const FIXTURE_MODELS = path.resolve('tests/fixtures/models');

/** Config and weights of tests/fixtures/models/<name>, without building a model. */
export async function loadVariant(name: string): Promise<{ config: ModelConfig; tensors: Map<string, SourceTensor> }> {
  const dir = path.join(FIXTURE_MODELS, name);
  const config = parseModelConfig(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const { tensors } = await readSafetensors(path.join(dir, 'model.safetensors'));
  return { config, tensors };
}

/** Index of the largest value; the first one on ties, as greedy decoding picks. */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** `n` greedy tokens after `ids`, one forward per token through the KV cache; every tensor is freed. */
export function greedy(model: LanguageModel, ids: number[], n: number): number[] {
  let { logits, cache } = model.forward([ids], null);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const next = argmax(logits.dataSync());
    out.push(next);
    logits.dispose();
    const step = model.forward([[next]], cache);
    disposeCache(cache);
    ({ logits, cache } = step);
  }
  logits.dispose();
  disposeCache(cache);
  return out;
}
