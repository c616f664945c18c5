/**
 * The training presets and how a request becomes the trainer's settings:
 * a preset, the app's default overrides (tiny runs under test hooks) and the
 * request's own, fitted to the base model's context and depth.
 */
import { TrainOverrides, type ModelInfo, type TrainOverridesValue, type TrainPresetName } from '../../common/contract';
import type { TrainOptions } from '../engine/train/run-options';
import type { StepPlan } from '../engine/train-worker';

export interface Preset {
  trainLast: number | null;
  freezeEmbeddings: boolean;
  lr: number;
  batch: number;
  accum: number;
  block: number;
  passes: number;
  minSteps: number;
  maxSteps: number;
  valEvery: number;
  sampleEvery: number;
  sampleTokens: number;
  /** Absent: the trainer's default (data-parallel.ts defaultTrainThreads). */
  threads?: number;
}

/**
 * Sized for the wasm backend on a laptop: 'quick' (last 2 blocks, embeddings
 * frozen) is ~2× cheaper per token and stops after a few hundred steps;
 * 'thorough' trains every block for more passes.
 */
export const TRAINING_PRESETS: Record<TrainPresetName, Preset> = {
  // batch 2 × accum 2 (the same 4 rows a step as 1 × 4): two rows can split over two data-parallel threads.
  quick: { trainLast: 2, freezeEmbeddings: true, lr: 2e-4, batch: 2, accum: 2, block: 256, passes: 2, minSteps: 20, maxSteps: 300, valEvery: 25, sampleEvery: 50, sampleTokens: 48 },
  thorough: { trainLast: null, freezeEmbeddings: false, lr: 1e-4, batch: 2, accum: 4, block: 256, passes: 3, minSteps: 50, maxSteps: 1000, valEvery: 50, sampleEvery: 100, sampleTokens: 48 },
};

/** A preset with the overrides applied and fitted to the base model (context, depth). */
export function resolvePreset(name: TrainPresetName, base: Pick<ModelInfo, 'architecture'>, overrides: TrainOverridesValue = {}): Preset & { steps?: number } {
  const p = { ...TRAINING_PRESETS[name], ...overrides };
  const trainLast = overrides.trainLast ?? p.trainLast;
  return {
    ...p,
    block: Math.min(p.block, base.architecture.context),
    trainLast: trainLast === null ? null : Math.min(trainLast, base.architecture.layers),
  };
}

export function planOf(p: Preset & { steps?: number }): StepPlan {
  return {
    tokensPerStep: p.batch * p.accum * p.block, passes: p.passes, minSteps: p.minSteps, maxSteps: p.maxSteps,
    ...(p.steps !== undefined ? { steps: p.steps } : {}), trainLast: p.trainLast, freezeEmbeddings: p.freezeEmbeddings, lr: p.lr,
  };
}

/** The trainer's options for a resolved preset: what the training service hands its worker. */
export function trainOptionsFor(
  p: Preset & { steps?: number },
  run: { modelDir: string; dataFiles: string[]; outDir: string; steps: number; resume: boolean },
): TrainOptions {
  return {
    modelDir: run.modelDir, dataFiles: run.dataFiles, outDir: run.outDir, steps: run.steps, lr: p.lr, block: p.block, batch: p.batch, accum: p.accum,
    freezeEmbeddings: p.freezeEmbeddings, ...(p.trainLast !== null ? { trainLast: p.trainLast } : {}),
    valEvery: p.valEvery, sampleEvery: p.sampleEvery, checkpointEvery: p.valEvery, sampleTokens: p.sampleTokens,
    ...(p.threads !== undefined ? { threads: p.threads } : {}),
    ...(run.resume ? { resume: true } : {}),
  };
}

/**
 * TEST ONLY: with INKWELL_TEST_HOOKS=1, INKWELL_TRAIN_OVERRIDES (JSON of TrainOverrides)
 * makes every run tiny, so an end-to-end spec can finish a fine-tune in seconds.
 */
export function testTrainOverrides(env: NodeJS.ProcessEnv = process.env): TrainOverridesValue | undefined {
  const raw = env.INKWELL_TRAIN_OVERRIDES;
  if (env.INKWELL_TEST_HOOKS !== '1' || !raw) return undefined;
  const parsed = TrainOverrides.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`INKWELL_TRAIN_OVERRIDES is not a set of training overrides: ${parsed.error.message}`);
  return parsed.data;
}
