/**
 * Fine-tuning from the app: training.inspect / start / pause / resume / cancel.
 *
 * One run at a time, each in its own training worker (main/training-host.ts),
 * in a run folder <dataDir>/runs/<runId>/ (checkpoints/, metrics.jsonl). A run
 * first inspects the files (the same worker code tokenizes them) to size its
 * steps from the preset, then trains; step events reach the window at most
 * ~4 a second (the last one always does). When it ends, the best checkpoint
 * (the last one without validation) is registered as a new model with its
 * origin and validation perplexity; a cancelled run keeps its checkpoints on
 * disk but registers nothing.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  TrainOverrides,
  type DatasetReport,
  type ModelInfo,
  type ParsedRequestOf,
  type Result,
  type TrainingEvent,
  type TrainOverridesValue,
  type TrainPresetName,
} from '../../common/contract';
import type { StepPlan } from '../engine/train-worker';
import type { TrainEvent, TrainOptions } from '../engine/train/run-options';
import type { JobOutcome, TrainJobHandle, TrainJobRunner } from '../training-host';
import { ServiceError, toApiError } from './service-error';

interface Preset {
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
}

/**
 * Sized for the wasm backend on a laptop: 'quick' (last 2 blocks, embeddings
 * frozen) is ~2× cheaper per token and stops after a few hundred steps;
 * 'thorough' trains every block for more passes.
 */
export const TRAINING_PRESETS: Record<TrainPresetName, Preset> = {
  quick: { trainLast: 2, freezeEmbeddings: true, lr: 2e-4, batch: 1, accum: 4, block: 256, passes: 2, minSteps: 20, maxSteps: 300, valEvery: 25, sampleEvery: 50, sampleTokens: 48 },
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

/** Step events at most every `intervalMs`; any other event first flushes the held step so order is kept. */
export function stepThrottle(emit: (e: TrainingEvent) => void, intervalMs: number, now: () => number = Date.now) {
  let last = -Infinity;
  let held: TrainingEvent | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (held) {
      const e = held;
      held = null;
      last = now();
      emit(e);
    }
  };
  return {
    push(e: TrainingEvent): void {
      if (e.type !== 'step') {
        flush();
        emit(e);
        return;
      }
      const wait = last + intervalMs - now();
      if (wait <= 0 && !held) {
        last = now();
        emit(e);
        return;
      }
      held = e;
      timer ??= setTimeout(flush, Math.max(0, wait));
    },
    flush,
  };
}

/** What the service needs from the model library. */
export interface TrainingModels {
  get(id: string): ModelInfo;
  active(): ModelInfo | null;
  addFinetune(request: { path: string; name: string; baseModel: string; files: string[]; steps: number; validationPerplexity: number | null }): Promise<ModelInfo>;
}

export interface TrainingServiceOptions {
  dataDir: string;
  runner: TrainJobRunner;
  models: TrainingModels;
  backend?: string;
  /** Applied under each request's overrides; the app sets it only with test hooks (tiny e2e runs). */
  defaultOverrides?: TrainOverridesValue;
  /** Minimum gap between step events (default 250 ms: ~4 a second). */
  stepIntervalMs?: number;
}

interface CurrentRun {
  id: string;
  job: TrainJobHandle | null;
  /** True while the files are read and tokenized (a cancel then stops that worker outright). */
  inspecting: boolean;
  paused: boolean;
  cancelled: boolean;
}

export function newRunId(date = new Date()): string {
  const stamp = date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

export class TrainingService {
  private current: CurrentRun | null = null;

  constructor(private readonly options: TrainingServiceOptions) {}

  get running(): string | null {
    return this.current?.id ?? null;
  }

  async inspect(request: ParsedRequestOf<'training.inspect'>): Promise<DatasetReport> {
    const base = this.baseModel(request.baseModelId);
    const preset = resolvePreset(request.preset ?? 'quick', base, this.options.defaultOverrides);
    const job = this.options.runner({ job: 'inspect', modelDir: base.path, files: request.files, plan: planOf(preset), ...this.backend() }, () => undefined);
    const outcome = await job.outcome;
    if (outcome.type !== 'report') throw this.failure(outcome, null);
    return { files: request.files, ...outcome.report };
  }

  async start(request: ParsedRequestOf<'training.start'>, onEvent: (e: TrainingEvent) => void, signal: AbortSignal): Promise<Result<TrainingEvent>> {
    if (this.current) return { ok: false, error: { code: 'conflict', message: `a training run (${this.current.id}) is already in progress; wait for it to end or cancel it` } };
    const run: CurrentRun = { id: newRunId(), job: null, inspecting: false, paused: false, cancelled: false };
    this.current = run;
    const onAbort = (): void => {
      if (this.current === run) this.cancel(run.id);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const throttle = stepThrottle(onEvent, this.options.stepIntervalMs ?? 250);
    try {
      const done = await this.train(run, request, (e) => throttle.push(e));
      throttle.flush();
      onEvent(done);
      return { ok: true, value: done };
    } catch (err) {
      throttle.flush();
      return { ok: false, error: toApiError(err) };
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.current = null;
    }
  }

  pause(runId: string): { ok: true } {
    const run = this.runOf(runId);
    run.paused = true;
    run.job?.send({ type: 'pause' });
    return { ok: true };
  }

  resume(runId: string): { ok: true } {
    const run = this.runOf(runId);
    run.paused = false;
    run.job?.send({ type: 'resume' });
    return { ok: true };
  }

  /** Stops between steps; the run's checkpoints stay on disk. */
  cancel(runId: string): { ok: true } {
    const run = this.runOf(runId);
    run.cancelled = true;
    // Tokenizing has nothing to keep: stop it now. Training stops between steps (a paused gate wakes on abort).
    if (run.inspecting) void run.job?.terminate();
    else run.job?.send({ type: 'cancel' });
    return { ok: true };
  }

  /** App quit: stops the worker at once (the checkpoints written so far stay). */
  async close(): Promise<void> {
    await this.current?.job?.terminate();
  }

  private async train(run: CurrentRun, request: ParsedRequestOf<'training.start'>, emit: (e: TrainingEvent) => void): Promise<Extract<TrainingEvent, { type: 'done' }>> {
    const base = this.baseModel(request.baseModelId);
    const preset = resolvePreset(request.preset, base, { ...this.options.defaultOverrides, ...request.overrides });
    const runDir = path.join(this.options.dataDir, 'runs', run.id);
    await fs.mkdir(runDir, { recursive: true });
    const cancelledDone = (steps: number, message: string) =>
      ({ type: 'done', runId: run.id, reason: 'cancelled', steps, message, model: null, perplexityBefore: null, perplexityAfter: null }) as const;

    // Inspect first: the step count comes from the preset and the text's size.
    if (run.cancelled) return cancelledDone(0, 'Cancelled before training started.');
    run.inspecting = true;
    run.job = this.options.runner({ job: 'inspect', modelDir: base.path, files: request.files, plan: planOf(preset), ...this.backend() }, () => undefined);
    const inspected = await run.job.outcome;
    run.job = null;
    run.inspecting = false;
    if (run.cancelled) return cancelledDone(0, 'Cancelled before training started.');
    if (inspected.type !== 'report') throw this.failure(inspected, null);
    const report = inspected.report;
    emit({ type: 'started', runId: run.id, runDir, steps: report.steps, preset: request.preset, baseModelId: base.id });
    emit({ type: 'dataset', documents: report.documents, words: report.words, tokens: report.tokens, steps: report.steps, estimatedSeconds: report.estimatedSeconds });

    const options: TrainOptions = {
      modelDir: base.path, dataFiles: request.files, outDir: runDir, steps: report.steps, lr: preset.lr, block: preset.block, batch: preset.batch, accum: preset.accum,
      freezeEmbeddings: preset.freezeEmbeddings, ...(preset.trainLast !== null ? { trainLast: preset.trainLast } : {}),
      valEvery: preset.valEvery, sampleEvery: preset.sampleEvery, checkpointEvery: preset.valEvery, sampleTokens: preset.sampleTokens,
    };
    const evals: { step: number; valLoss: number }[] = [];
    run.job = this.options.runner({ job: 'train', options, ...this.backend() }, (e) => {
      if (e.type === 'eval') evals.push(e);
      const mapped = toTrainingEvent(e);
      if (mapped) emit(mapped);
    });
    if (run.paused) run.job.send({ type: 'pause' });
    if (run.cancelled) run.job.send({ type: 'cancel' });
    const outcome = await run.job.outcome;
    if (outcome.type !== 'result') throw this.failure(outcome, runDir);
    const result = outcome.result;

    const before = evals.find((e) => e.step === 0);
    const trained = evals.filter((e) => e.step > 0);
    const bestAfter = trained.length ? trained.reduce((a, b) => (b.valLoss < a.valLoss ? b : a)) : null;
    const perplexityBefore = before ? Math.exp(before.valLoss) : null;
    if (result.reason === 'cancelled') {
      const kept = result.lastCheckpoint ? `; the last checkpoint is kept in ${result.lastCheckpoint}` : '';
      return { ...cancelledDone(result.steps, `Cancelled at step ${result.steps}${kept}.`), perplexityBefore };
    }
    const folder = (bestAfter && result.bestCheckpoint) || result.lastCheckpoint;
    if (!folder) throw new ServiceError('engine_error', `${runDir}: the run ended without a checkpoint to register`);
    const perplexityAfter = folder === result.bestCheckpoint && bestAfter ? Math.exp(bestAfter.valLoss) : null;
    const model = await this.options.models.addFinetune({
      path: folder,
      name: request.name ?? defaultName(base.name, request.files),
      baseModel: base.id,
      files: request.files,
      steps: result.steps,
      validationPerplexity: perplexityAfter,
    });
    return { type: 'done', runId: run.id, reason: result.reason, steps: result.steps, message: `${result.reason === 'early-stopped' ? 'Stopped early (validation loss stopped improving)' : 'Finished'} after ${result.steps} steps.`, model, perplexityBefore, perplexityAfter };
  }

  private baseModel(id: string | undefined): ModelInfo {
    if (id !== undefined) return this.options.models.get(id);
    const active = this.options.models.active();
    if (!active) throw new ServiceError('no_model', 'no model is installed to train from; import or download one first');
    return active;
  }

  private backend(): { backend?: string } {
    return this.options.backend ? { backend: this.options.backend } : {};
  }

  private runOf(runId: string): CurrentRun {
    if (!this.current || this.current.id !== runId) throw new ServiceError('not_found', `no training run ${JSON.stringify(runId)} is in progress`);
    return this.current;
  }

  private failure(outcome: JobOutcome, runDir: string | null): ServiceError {
    const kept = runDir ? `; the checkpoints written so far are kept in ${path.join(runDir, 'checkpoints')}` : '';
    if (outcome.type === 'result' || outcome.type === 'report') return new ServiceError('internal', `training: the worker answered '${outcome.type}' to the wrong job`);
    if (outcome.type === 'crashed') return new ServiceError('engine_crashed', `${outcome.message}${kept}`);
    return new ServiceError(outcome.kind === 'input' ? 'invalid_payload' : 'engine_error', `training: ${outcome.message}${kept}`);
  }
}

function defaultName(baseName: string, files: readonly string[]): string {
  const first = path.basename(files[0]).replace(/\.[^.]+$/, '');
  const more = files.length > 1 ? ` +${files.length - 1}` : '';
  return `${baseName} · ${first}${more}`.slice(0, 200);
}

/** The trainer's events as the window sees them (memory plans and the trainer's dataset event stay in metrics.jsonl). */
export function toTrainingEvent(e: TrainEvent): TrainingEvent | null {
  switch (e.type) {
    case 'step':
      return { type: 'step', step: e.step, totalSteps: e.totalSteps, epoch: e.epoch, loss: e.loss, lr: e.lr, tokensPerSec: e.tokensPerSec, elapsedMs: e.elapsedMs, etaMs: e.etaMs };
    case 'eval':
      return { type: 'eval', step: e.step, valLoss: e.valLoss, valPerplexity: e.valPerplexity, best: e.best };
    case 'sample':
      return { type: 'sample', step: e.step, text: e.text, copyRate: e.copyRate };
    case 'checkpoint':
      return { type: 'checkpoint', step: e.step };
    case 'warning':
      return { type: 'warning', code: e.code, message: e.message };
    case 'paused':
    case 'resumed':
      return { type: e.type, step: e.step };
    default:
      return null;
  }
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

/** The built training worker sits beside the engine worker (scripts/build.mjs). */
export function trainWorkerPathBeside(engineWorkerPath: string): string {
  return path.join(path.dirname(engineWorkerPath), 'train-worker.js');
}
