/**
 * Loads a Hugging Face GPT-2 folder: config.json, model.safetensors,
 * vocab.json, merges.txt and (optionally) generation_config.json. Any GPT-2
 * checkpoint exported by `save_pretrained(..., safe_serialization=True)` loads.
 *
 * Refuses, with an explanation, what it cannot load safely: PyTorch pickles
 * (unpickling can run arbitrary code), sharded checkpoints, and folders whose
 * files disagree with each other (config sizes vs tensor shapes vs tokenizer).
 * Call initBackend() first: the weights go to the current tfjs backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { GPT2 } from './gpt2';
import { ParallelGPT2 } from './parallel/parallel-model';
import { chooseThreads, findRankWorker, type ThreadsPlan } from './parallel/policy';
import { cloneCache } from './kv-cache';
import { cloneCache as prefixCloneCache } from './prefix-cache';
import { parseModelConfig, MAX_CONFIG_BYTES, type ModelConfig } from './model-config';
import { readSafetensors } from './safetensors';
import { Gpt2Tokenizer } from './tokenizer';
import type { LanguageModel, TextTokenizer } from './types';

export interface LoadedModelFolder {
  model: LanguageModel;
  tokenizer: TextTokenizer;
  config: ModelConfig;
  /** generation_config.json as found ({} when absent); the generator picks the keys it knows. */
  generationConfig: Record<string, unknown>;
  /** The folder's name, shown in the UI. */
  name: string;
  /** One thread or two (parallel/policy.ts), and why. */
  threads: ThreadsPlan;
}

/** Weight files that are pickles or other formats this loader never opens. */
const UNSAFE_WEIGHTS = /\.(bin|pt|pth|ckpt|pkl|pickle|h5|msgpack|onnx|gguf)$/i;

async function statOrNull(file: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function readSmallJson(file: string, label: string): Promise<string> {
  const st = await statOrNull(file);
  if (!st) throw new Error(`${label}: not found`);
  if (!st.isFile()) throw new Error(`${label}: not a regular file`);
  if (st.size > MAX_CONFIG_BYTES) throw new Error(`${label}: ${st.size} bytes; expected a small JSON file (at most ${MAX_CONFIG_BYTES})`);
  return fs.readFile(file, 'utf8');
}

/** Explains why a folder without model.safetensors cannot be loaded, from what it does hold. */
async function noSafetensorsError(dir: string): Promise<Error> {
  const names = await fs.readdir(dir);
  if (names.includes('model.safetensors.index.json')) {
    return new Error(
      `${dir}: holds a sharded checkpoint (model.safetensors.index.json); Inkwell loads a single model.safetensors. ` +
        'Merge the shards into one file (GPT-2 up to 1.5B fits in one).',
    );
  }
  const unsafe = names.filter((n) => UNSAFE_WEIGHTS.test(n));
  if (unsafe.length > 0) {
    return new Error(
      `${dir}: has ${unsafe.slice(0, 3).join(', ')} but no model.safetensors. Inkwell does not open PyTorch/pickle ` +
        'checkpoints: loading a pickle can run any code hidden in it. Convert it to safetensors once, e.g. in Python: ' +
        "GPT2LMHeadModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)",
    );
  }
  return new Error(`${dir}: model.safetensors is missing`);
}

/**
 * Reads, checks and loads a model folder. Errors name the file and the
 * offending key or tensor; nothing stays allocated when loading fails.
 * `threads` ('1' | '2', default INKWELL_THREADS) forces one or two threads;
 * otherwise parallel/policy.ts decides. `rankWorkerUrl` overrides where the
 * rank worker bundle is looked for (tests).
 */
export async function loadModelFolder(dir: string, options: { threads?: string; rankWorkerUrl?: URL } = {}): Promise<LoadedModelFolder> {
  const root = path.resolve(dir);
  const st = await statOrNull(root);
  if (!st) throw new Error(`${root}: model folder not found`);
  if (!st.isDirectory()) throw new Error(`${root}: not a folder; a model is a folder with config.json, model.safetensors, vocab.json and merges.txt`);

  const file = (name: string): string => path.join(root, name);
  const missing: string[] = [];
  for (const name of ['config.json', 'vocab.json', 'merges.txt']) if (!(await statOrNull(file(name)))) missing.push(name);
  const hasWeights = (await statOrNull(file('model.safetensors'))) !== null;
  if (!hasWeights && missing.length === 0) throw await noSafetensorsError(root);
  if (!hasWeights) missing.push('model.safetensors');
  if (missing.length > 0) throw new Error(`${root}: missing ${missing.join(', ')}`);

  const config = parseModelConfig(await readSmallJson(file('config.json'), file('config.json')), file('config.json'));

  let generationConfig: Record<string, unknown> = {};
  if (await statOrNull(file('generation_config.json'))) {
    const label = file('generation_config.json');
    const text = await readSmallJson(label, label);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
      throw new Error(`${label}: not valid JSON (${(err as Error).message})`, { cause: err });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${label}: expected a JSON object`);
    generationConfig = parsed as Record<string, unknown>;
  }

  // The tokenizer first: it is cheap, and a wrong vocab should not cost a weights read.
  const tokenizer = await Gpt2Tokenizer.fromFiles(file('vocab.json'), file('merges.txt'));
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new Error(
      `${root}: vocab.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}; ` +
        'the model could not score the extra tokens',
    );
  }

  const weightsFile = file('model.safetensors');
  const { tensors } = await readSafetensors(weightsFile);
  // The two mismatches people actually meet get their own words; buildWeights checks every shape anyway.
  const rows = (name: string): number | undefined => (tensors.get(`transformer.${name}`) ?? tensors.get(name))?.shape[0];
  const wteRows = rows('wte.weight');
  if (wteRows !== undefined && wteRows !== config.vocabSize) {
    throw new Error(`${weightsFile}: wte.weight has ${wteRows} rows but config.json says vocab_size ${config.vocabSize}`);
  }
  const wpeRows = rows('wpe.weight');
  if (wpeRows !== undefined && wpeRows !== config.nPositions) {
    throw new Error(`${weightsFile}: wpe.weight has ${wpeRows} rows but config.json says n_positions ${config.nPositions}`);
  }
  let threads = chooseThreads({
    env: options.threads ?? process.env.INKWELL_THREADS,
    backend: tf.getBackend(),
    workerUrl: options.rankWorkerUrl ?? findRankWorker(),
    // Two threads need caches copied with their remote part: true once prefix-cache.ts re-exports kv-cache.ts's cloneCache.
    prefixCacheKeepsRemote: prefixCloneCache === cloneCache,
  });
  let model: LanguageModel | null = null;
  if (threads.threads === 2) {
    try {
      model = await ParallelGPT2.create(config, tensors, weightsFile, { workerUrl: threads.workerUrl! });
    } catch (err) {
      // The split leaves `tensors` whole: one thread can still load them (and reports bad weights itself).
      threads = { threads: 1, reason: `two threads failed: ${(err as Error).message}` };
    }
  }
  model ??= GPT2.fromTensors(config, tensors, weightsFile, { consume: true });
  return { model, tokenizer, config, generationConfig, name: path.basename(root), threads };
}
