/**
 * Training checkpoints. Each is a complete Hugging Face GPT-2 folder that the
 * engine (and transformers) loads as is:
 *
 *   <run>/checkpoints/step-000120/
 *     config.json  model.safetensors  vocab.json  merges.txt   ← the model
 *     optimizer.safetensors                                    ← AdamW moments (m.<name>, v.<name>)
 *     trainer-state.json                                       ← step, data cursor, lr scale, history
 *
 * Writes are atomic twice over: every file is written with fsync + rename
 * into a hidden temp folder, and the folder is renamed into place only when
 * complete; then latest.json (atomic too) points at it. A crash at any
 * instant leaves the previous checkpoint intact and findable. Pruning keeps
 * the last `keep` checkpoints plus the best by validation loss.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic, TEMP_PREFIX } from '../../services/atomic-write';
import { parseModelConfig, toHfConfig, type ModelConfig } from '../model-config';
import { readSafetensors, writeSafetensorsAtomic, type TensorToWrite } from '../safetensors';
import type { Moments } from './adamw';
import { ParamStore } from './params';

export const CHECKPOINTS_DIR = 'checkpoints';
export const LATEST_FILE = 'latest.json';
const STEP_DIR = /^step-(\d{6,})$/;

/** Everything besides weights and moments that resuming needs. */
export interface TrainerState {
  version: 1;
  step: number;
  cursor: { epoch: number; index: number };
  /** Multiplier on the scheduled learning rate (halved after a NaN/Inf loss). */
  lrScale: number;
  microBatch: number;
  accum: number;
  tokensSeen: number;
  elapsedMs: number;
  /** Validation losses so far, for early stopping and "best". */
  evals: { step: number; valLoss: number }[];
  /** The run's options as given, to refuse a resume with different ones. */
  options: Record<string, unknown>;
}

export interface CheckpointPointer {
  latest: string;
  step: number;
  best: { dir: string; step: number; valLoss: number } | null;
}

export interface SaveInput {
  runDir: string;
  store: ParamStore;
  moments: ReadonlyMap<string, Moments>;
  state: TrainerState;
  /** The source model folder: its tokenizer files (and generation_config.json) are copied. */
  modelDir: string;
  /** Completed checkpoints to keep besides the best. */
  keep: number;
  /** Validation loss of this checkpoint, when evaluated. */
  valLoss?: number;
}

export const stepDirName = (step: number): string => `step-${String(step).padStart(6, '0')}`;

async function readPointer(runDir: string): Promise<CheckpointPointer | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(runDir, CHECKPOINTS_DIR, LATEST_FILE), 'utf8')) as CheckpointPointer;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${path.join(runDir, CHECKPOINTS_DIR, LATEST_FILE)}: unreadable (${(err as Error).message})`, { cause: err });
  }
}

async function copyIfPresent(from: string, to: string): Promise<void> {
  let data: Buffer;
  try {
    data = await fs.readFile(from);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await writeFileAtomic(to, data);
}

/**
 * Removes step folder `name` so that a crash mid-delete never leaves a
 * half-deleted folder under a step name (rm -r goes file by file): it is first
 * renamed to a temp name (atomic), which the next prune sweeps if the rm is cut short.
 */
async function removeStepDir(root: string, name: string): Promise<void> {
  const doomed = path.join(root, `${TEMP_PREFIX}old-${name}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.rename(path.join(root, name), doomed);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await fs.rm(doomed, { recursive: true, force: true });
}

/** Writes one checkpoint, moves latest.json to it, prunes old ones. Returns its folder. */
export async function saveCheckpoint(input: SaveInput): Promise<string> {
  const root = path.join(input.runDir, CHECKPOINTS_DIR);
  await fs.mkdir(root, { recursive: true });
  const name = stepDirName(input.state.step);
  const final = path.join(root, name);
  const tmp = path.join(root, `${TEMP_PREFIX}${name}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp);
  try {
    const config = input.store.config;
    await writeFileAtomic(path.join(tmp, 'config.json'), JSON.stringify({ ...toHfConfig(config), bos_token_id: 50256, eos_token_id: 50256 }, null, 2) + '\n');
    await writeSafetensorsAtomic(path.join(tmp, 'model.safetensors'), input.store.toHfTensors() as Map<string, TensorToWrite>, { format: 'pt' });
    for (const f of ['vocab.json', 'merges.txt', 'generation_config.json']) await copyIfPresent(path.join(input.modelDir, f), path.join(tmp, f));
    const opt = new Map<string, TensorToWrite>();
    for (const [n, m] of input.moments) {
      opt.set(`m.${n}`, { shape: [m.m.length], data: m.m });
      opt.set(`v.${n}`, { shape: [m.v.length], data: m.v });
    }
    await writeSafetensorsAtomic(path.join(tmp, 'optimizer.safetensors'), opt);
    await writeFileAtomic(path.join(tmp, 'trainer-state.json'), JSON.stringify(input.state) + '\n');
    // A checkpoint of the same step (a rerun after a crash past the rename) is replaced whole.
    await removeStepDir(root, name);
    await fs.rename(tmp, final);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`checkpoint ${final}: ${(err as Error).message}`, { cause: err });
  }
  const prev = await readPointer(input.runDir).catch(() => null);
  let best = prev?.best ?? null;
  if (input.valLoss !== undefined && Number.isFinite(input.valLoss) && (!best || input.valLoss < best.valLoss)) {
    best = { dir: name, step: input.state.step, valLoss: input.valLoss };
  }
  const pointer: CheckpointPointer = { latest: name, step: input.state.step, best };
  await writeFileAtomic(path.join(root, LATEST_FILE), JSON.stringify(pointer, null, 2) + '\n');
  await pruneCheckpoints(root, input.keep, new Set([name, best?.dir ?? '']));
  return final;
}

/** Deletes all but the newest `keep` step folders (never those in `protect`) and stale temp folders. */
export async function pruneCheckpoints(root: string, keep: number, protect: ReadonlySet<string>): Promise<void> {
  const names = await fs.readdir(root);
  const steps = names.filter((n) => STEP_DIR.test(n)).sort();
  const doomed = steps.slice(0, Math.max(0, steps.length - Math.max(1, keep))).filter((n) => !protect.has(n));
  for (const n of doomed) await removeStepDir(root, n);
  for (const n of names.filter((x) => x.startsWith(TEMP_PREFIX))) await fs.rm(path.join(root, n), { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  dir: string;
  store: ParamStore;
  moments: Map<string, Moments>;
  state: TrainerState;
  pointer: CheckpointPointer;
}

/** The checkpoint latest.json points at, or null when the run has none. */
export async function loadLatestCheckpoint(runDir: string): Promise<LoadedCheckpoint | null> {
  const pointer = await readPointer(runDir);
  if (!pointer) return null;
  const dir = path.join(runDir, CHECKPOINTS_DIR, pointer.latest);
  const config: ModelConfig = parseModelConfig(await fs.readFile(path.join(dir, 'config.json'), 'utf8'), path.join(dir, 'config.json'));
  const { tensors } = await readSafetensors(path.join(dir, 'model.safetensors'));
  const store = ParamStore.fromSource(config, tensors, path.join(dir, 'model.safetensors'));
  const opt = await readSafetensors(path.join(dir, 'optimizer.safetensors'));
  const moments = new Map<string, Moments>();
  for (const [key, t] of opt.tensors) {
    const m = /^([mv])\.(.+)$/.exec(key);
    if (!m) continue;
    const entry = moments.get(m[2]) ?? { m: new Float32Array(0), v: new Float32Array(0) };
    entry[m[1] as 'm' | 'v'] = t.data;
    moments.set(m[2], entry);
  }
  const state = JSON.parse(await fs.readFile(path.join(dir, 'trainer-state.json'), 'utf8')) as TrainerState;
  if (state.version !== 1) throw new Error(`${dir}/trainer-state.json: version ${String(state.version)} is not one this Inkwell reads`);
  return { dir, store, moments, state, pointer };
}
