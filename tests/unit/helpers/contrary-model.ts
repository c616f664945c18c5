/**
 * A tiny model that disagrees with tests/fixtures/models/tiny: the same body,
 * but an untied LM head equal to minus the embeddings, so its greedy choice is
 * the tiny model's least likely token. The fixture variants (noprefix, f16,
 * untied) all predict like tiny; comparing two models needs one that does not.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { encodeSafetensors, readSafetensors, type TensorToWrite } from '../../../main/engine/safetensors';

export const TINY_DIR = path.resolve('tests/fixtures/models/tiny');

/** Writes the contrary model into `dir` (created) and returns it. */
export async function makeContraryModel(dir: string, from = TINY_DIR): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  for (const name of ['config.json', 'generation_config.json', 'vocab.json', 'merges.txt']) await fs.copyFile(path.join(from, name), path.join(dir, name));
  const source = await readSafetensors(path.join(from, 'model.safetensors'));
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, t] of source.tensors) tensors.set(name, { shape: t.shape, data: t.data });
  const wte = source.tensors.get('transformer.wte.weight') ?? source.tensors.get('wte.weight');
  if (!wte) throw new Error(`contrary-model: ${from}/model.safetensors has no wte.weight`);
  tensors.set('lm_head.weight', { shape: wte.shape, data: wte.data.map((x) => -x) });
  await fs.writeFile(path.join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  return dir;
}
