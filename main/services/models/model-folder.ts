/**
 * Checks a Hugging Face GPT-2 folder without building the model: the files an
 * Inkwell model needs are present and regular, config.json parses strictly,
 * the safetensors header is valid and its tensors have exactly the shapes the
 * config implies, and the tokenizer files are well formed and fit the vocabulary. It reads
 * the weights' header only, so checking a 6 GB GPT-2 XL takes well under a
 * second and needs no tfjs backend; the engine's loader still checks every
 * value (finite weights) when the model is loaded.
 *
 * Used by import (before anything is copied), by download (before a model is
 * registered) and by the registry (architecture figures of a folder).
 */
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { expectedTensors } from '../../engine/gpt2-weights';
import { estimateParameters, MAX_CONFIG_BYTES, parseModelConfig, type ModelConfig } from '../../engine/model-config';
import { readSafetensorsInfo } from '../../engine/safetensors';
import { ServiceError } from '../service-error';
import { checkTokenizerFiles } from './tokenizer-check';

/** The files of a model in HF layout; the first four are required. */
export const REQUIRED_FILES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'] as const;
export const OPTIONAL_FILES = ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;
export const MODEL_FILES: readonly string[] = [...REQUIRED_FILES, ...OPTIONAL_FILES];

/** Pickled or foreign weight formats: never opened, never copied. */
export const UNSAFE_WEIGHTS = /\.(bin|pt|pth|ckpt|pkl|pickle|h5|msgpack|onnx|gguf)$/i;

export const PICKLE_EXPLANATION =
  'Inkwell does not open PyTorch/pickle checkpoints: loading a pickle can run any code hidden in it. ' +
  'Convert it to safetensors once, in Python: GPT2LMHeadModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True) ' +
  "(or the safetensors project's convert.py script), then import the folder again.";

export interface Architecture {
  layers: number;
  width: number;
  heads: number;
  context: number;
  vocab: number;
  parameters: number;
}

export interface CheckedFolder {
  dir: string;
  config: ModelConfig;
  architecture: Architecture;
  /** Model files present (required + optional), with their sizes; only these are copied. */
  files: { name: string; size: number; mtimeMs: number }[];
  /** Things worth telling the user that do not stop the import (a pickle beside the safetensors). */
  warnings: string[];
}

export function architectureOf(config: ModelConfig): Architecture {
  return {
    layers: config.nLayer,
    width: config.nEmbd,
    heads: config.nHead,
    context: config.nPositions,
    vocab: config.vocabSize,
    parameters: estimateParameters(config),
  };
}

function invalid(message: string): ServiceError {
  return new ServiceError('invalid_model', message);
}

/**
 * Stats a model file, refusing anything that is not a regular file inside the folder:
 * a symlink may point at a file the user never meant to hand over (BAD-INPUTS A.16).
 */
async function checkedStat(root: string, realRoot: string, name: string): Promise<Stats | null> {
  const file = path.join(root, name);
  let lst: Stats;
  try {
    lst = await fs.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw invalid(`${file}: cannot read (${(err as Error).message})`);
  }
  if (lst.isSymbolicLink()) {
    const target = await fs.realpath(file).catch(() => null);
    if (target === null) throw invalid(`${file}: a symbolic link to a file that does not exist`);
    const rel = path.relative(realRoot, target);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw invalid(`${file}: a symbolic link pointing outside the folder (to ${target}); refused`);
  }
  const st = await fs.stat(file);
  if (!st.isFile()) throw invalid(`${file}: not a regular file`);
  return st;
}

/** Compares the tensors in the header with those the config implies; names the first offending tensor. */
function checkShapes(
  tensors: Map<string, { shape: number[] }>,
  config: ModelConfig,
  weightsFile: string,
): void {
  const prefixed = tensors.has('transformer.wte.weight') || tensors.has('transformer.h.0.ln_1.weight');
  const show = (s: readonly number[]): string => `[${s.join(', ')}]`;
  for (const [name, shape] of expectedTensors(config)) {
    const full = prefixed ? `transformer.${name}` : name;
    const t = tensors.get(full) ?? tensors.get(name);
    if (!t) throw invalid(`${weightsFile}: tensor ${full} is missing (config.json says ${config.nLayer} layers of width ${config.nEmbd})`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw invalid(`${weightsFile}: tensor ${full} has shape ${show(t.shape)} but config.json implies ${show(shape)}`);
    }
  }
  const head = tensors.get('lm_head.weight');
  if (head) {
    const want = [config.vocabSize, config.nEmbd];
    if (head.shape.length !== 2 || head.shape[0] !== want[0] || head.shape[1] !== want[1]) {
      throw invalid(`${weightsFile}: tensor lm_head.weight has shape ${show(head.shape)} but config.json implies ${show(want)}`);
    }
  }
}

/**
 * Validates `dir` as an Inkwell model folder. Throws ServiceError('invalid_model') whose
 * message names the file and, for weights, the tensor; returns what import and the registry need.
 */
export async function checkModelFolder(dir: string): Promise<CheckedFolder> {
  const root = path.resolve(dir);
  let st: Stats;
  try {
    st = await fs.stat(root);
  } catch {
    throw new ServiceError('not_found', `${root}: folder not found`);
  }
  if (!st.isDirectory()) throw invalid(`${root}: not a folder`);
  const realRoot = await fs.realpath(root);
  const names = await fs.readdir(root);
  const warnings: string[] = [];
  const unsafe = names.filter((n) => UNSAFE_WEIGHTS.test(n));

  const files: CheckedFolder['files'] = [];
  const missing: string[] = [];
  for (const name of MODEL_FILES) {
    const s = await checkedStat(root, realRoot, name);
    if (s) files.push({ name, size: s.size, mtimeMs: s.mtimeMs });
    else if ((REQUIRED_FILES as readonly string[]).includes(name)) missing.push(name);
  }
  if (missing.includes('model.safetensors')) {
    if (names.includes('model.safetensors.index.json')) {
      throw invalid(`${root}: holds a sharded checkpoint (model.safetensors.index.json); Inkwell needs a single model.safetensors`);
    }
    if (unsafe.length > 0) throw invalid(`${root}: has ${unsafe.slice(0, 3).join(', ')} but no model.safetensors. ${PICKLE_EXPLANATION}`);
  }
  if (missing.length > 0) throw invalid(`${root}: missing ${missing.join(', ')}`);
  if (unsafe.length > 0) warnings.push(`ignored ${unsafe.join(', ')}: pickle and foreign weight files are never opened or copied`);

  const configFile = path.join(root, 'config.json');
  const configSize = files.find((f) => f.name === 'config.json')?.size ?? 0;
  if (configSize > MAX_CONFIG_BYTES) throw invalid(`${configFile}: ${configSize} bytes; a GPT-2 config.json is a few hundred`);
  let config: ModelConfig;
  try {
    config = parseModelConfig(await fs.readFile(configFile, 'utf8'), configFile);
  } catch (err) {
    throw invalid((err as Error).message);
  }

  // Tokenizer before weights: cheap, and a wrong vocab should be reported as such. This runs on the main process, so it
  // checks the files without building the tokenizer (tokenizer-check.ts: tens of ms, in slices) — loading it blocked 0.4–1.3 s.
  let vocabSize: number;
  try {
    vocabSize = (await checkTokenizerFiles(path.join(root, 'vocab.json'), path.join(root, 'merges.txt'))).vocabSize;
  } catch (err) {
    throw invalid(`${root}: ${(err as Error).message}`);
  }
  if (vocabSize > config.vocabSize) {
    throw invalid(`${root}: vocab.json has ${vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`);
  }

  const weightsFile = path.join(root, 'model.safetensors');
  let tensors: Map<string, { shape: number[] }>;
  try {
    tensors = (await readSafetensorsInfo(weightsFile)).tensors;
  } catch (err) {
    throw invalid(`${weightsFile}: ${(err as Error).message}`);
  }
  checkShapes(tensors, config, weightsFile);
  return { dir: root, config, architecture: architectureOf(config), files, warnings };
}

/** Bytes of the regular files directly in a folder (models are flat). */
export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    total += (await fs.stat(path.join(dir, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
