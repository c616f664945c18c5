/** The tiny fixture models' raw weights, and small helpers the numeric engine tests share. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceTensor } from '../../../main/engine/gpt2-weights';
import { parseModelConfig, type ModelConfig } from '../../../main/engine/model-config';
import { readSafetensors } from '../../../main/engine/safetensors';

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
