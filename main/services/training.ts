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
 *
 * Each run records its files and settings in <run>/run.json and how it ended
 * (training-runs.ts): a run with a checkpoint that did not finish (crashed,
 * cancelled, or the app quit) is listed by training.resumable and continued
 * exactly by training.resumeRun, or deleted by training.discard. Its staged
 * uploads are kept while it can still be resumed.
 *
 * A run belongs to the service, not to the window that started it: its events
 * are kept (training-replay.ts), so a reloaded window finds it with
 * training.current and picks the stream up again with training.watch, and
 * closing the start stream only detaches that window.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  type DatasetReport,
  type ModelInfo,
  type ParsedRequestOf,
  type Result,
  type TrainingEvent,
  type TrainOverridesValue,
  type TrainPresetName,
  type TrainingCurrent,
  type CheckpointSample,
  type ResumableRun,
} from '../../common/contract';
import type { TrainEvent } from '../engine/train/run-options';
import type { JobOutcome, TrainJobHandle, TrainJobRunner } from '../training-host';
import { ioError, ServiceError, toApiError } from './service-error';
import { TrainingInbox } from './training-inbox';
import { RunLog } from './training-replay';
import { firstMissingFile, listResumable, recordedEvals, resumableRun, runDirOf, writeRunRecord, type RunRecord, type RunState } from './training-runs';
import { linkModelToRun, samplesOfModel } from './training-samples';
import { planOf, resolvePreset, trainOptionsFor } from './training-presets';
import { stepThrottle, toTrainingEvent } from './training-events';

// Importers (app-services, tests) reach these through the service module.
export { planOf, resolvePreset, testTrainOverrides, TRAINING_PRESETS } from './training-presets';
export { stepThrottle, toTrainingEvent } from './training-events';

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
  /** Uploaded manuscripts; a run's staged files are removed when it ends. */
  inbox?: TrainingInbox;
  log?: (message: string) => void;
}

interface CurrentRun {
  id: string;
  job: TrainJobHandle | null;
  /** True while the files are read and tokenized (a cancel then stops that worker outright). */
  inspecting: boolean;
  paused: boolean;
  cancelled: boolean;
  /** Every event of the run, for windows that reattach; the start stream is just its first watcher. */
  log: RunLog;
  /** <run>/run.json as last written (null until the run folder exists). */
  record: RunRecord | null;
}

/** What a run trains: a new request, or a recorded run continued from its checkpoint at `resumeFrom.step`. */
interface RunSpec {
  files: string[];
  baseModelId?: string;
  preset: TrainPresetName;
  /** The effective overrides (the app's defaults under the request's). */
  overrides: TrainOverridesValue;
  name?: string;
  resumeFrom: { record: RunRecord; step: number } | null;
}

export function newRunId(date = new Date()): string {
  const stamp = date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

export class TrainingService {
  private current: CurrentRun | null = null;
  /** The last run that ended, so a watcher that reattaches just after the end still gets its result. */
  private last: CurrentRun | null = null;
  /** Set by close(): a run stopped by the app quitting stays 'running' in its record, i.e. 'interrupted'. */
  private closing = false;

  /** Uploaded manuscripts (training.stage*). */
  readonly inbox: TrainingInbox;

  constructor(private readonly options: TrainingServiceOptions) {
    this.inbox = options.inbox ?? new TrainingInbox({ dataDir: options.dataDir });
  }

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

  /**
   * Starts a run and streams its events to the caller. Aborting this stream
   * (a reloaded or closed window) only detaches the caller: the run goes on,
   * and training.cancel is how a run is stopped.
   */
  async start(request: ParsedRequestOf<'training.start'>, onEvent: (e: TrainingEvent) => void, signal: AbortSignal): Promise<Result<TrainingEvent>> {
    if (this.current) return this.busy();
    const spec: RunSpec = { ...request, overrides: { ...this.options.defaultOverrides, ...request.overrides }, resumeFrom: null };
    return this.begin(newRunId(), spec, onEvent, signal);
  }

  /**
   * Continues a run that has a checkpoint and did not finish (see
   * training-runs.ts) with its recorded files and settings: the trainer picks
   * up its weights, optimizer moments and data position, so the loss curve goes
   * on as if it had never stopped. The events are a fresh run's; steps start
   * after the checkpoint's.
   */
  async resumeRun(runId: string, onEvent: (e: TrainingEvent) => void, signal: AbortSignal): Promise<Result<TrainingEvent>> {
    if (this.current) return this.busy();
    const runDir = runDirOf(this.options.dataDir, runId);
    const found = await resumableRun(runDir);
    if (!found || found.runId !== runId) throw new ServiceError('not_found', `${runDir}: no training run to resume (it finished, was discarded, or has no checkpoint)`);
    const missing = await firstMissingFile(found.record.files);
    if (missing) {
      throw new ServiceError('not_found', `cannot resume "${found.name}": its manuscript ${missing} is no longer there (uploaded copies are removed a day after upload); start a new run with the file`);
    }
    if (this.current) return this.busy();
    const { record } = found;
    const spec: RunSpec = { files: record.files, baseModelId: record.baseModelId, preset: record.preset, overrides: record.overrides, name: record.name, resumeFrom: { record, step: found.step } };
    return this.begin(runId, spec, onEvent, signal);
  }

  /** Runs that can be resumed, newest first (not the one in progress). */
  resumable(): Promise<ResumableRun[]> {
    return listResumable(this.options.dataDir, this.current?.id ?? null);
  }

  /** Deletes a resumable run's folder and its staged uploads; finished runs are kept (their models' samples live there). */
  async discard(runId: string): Promise<{ ok: true }> {
    if (this.current?.id === runId) throw new ServiceError('conflict', `training run ${runId} is in progress; cancel it first`);
    const runDir = runDirOf(this.options.dataDir, runId);
    const found = await resumableRun(runDir);
    if (!found || found.runId !== runId) throw new ServiceError('not_found', `${runDir}: no resumable training run to discard`);
    // Renamed out of the runs first (atomic): a half-deleted folder is never listed, and one left by a crash is not a run.
    const trash = path.join(path.dirname(runDir), `.discarded-${runId}-${randomBytes(3).toString('hex')}`);
    await fs.rename(runDir, trash).catch((err: unknown) => {
      throw ioError(`${runDir}: discarding the run`, err);
    });
    await fs.rm(trash, { recursive: true, force: true }).catch((err: unknown) => this.options.log?.(`training: could not remove ${trash}: ${String(err)}`));
    await this.inbox.release(found.record.files).catch((err: unknown) => this.options.log?.(`training: could not remove staged files: ${String(err)}`));
    return { ok: true };
  }

  private busy(): Result<TrainingEvent> {
    return { ok: false, error: { code: 'conflict', message: `a training run (${this.current?.id ?? '?'}) is already in progress; wait for it to end or cancel it` } };
  }

  private begin(id: string, spec: RunSpec, onEvent: (e: TrainingEvent) => void, signal: AbortSignal): Promise<Result<TrainingEvent>> {
    const log = new RunLog({ baseModelId: spec.baseModelId ?? this.options.models.active()?.id ?? '', preset: spec.preset, files: spec.files });
    const run: CurrentRun = { id, job: null, inspecting: false, paused: false, cancelled: false, log, record: null };
    this.current = run;
    const watching = log.attach(onEvent, signal, false);
    void this.execute(run, spec);
    return watching;
  }

  /** The run in progress, or null. */
  currentRun(): TrainingCurrent | null {
    const run = this.current;
    // The phase follows the worker's own 'paused' / 'resumed' events, not the request to pause.
    return run ? { runId: run.id, ...run.log.state } : null;
  }

  /** Replays the run's events so far, then streams the rest (also the last ended run: its replay ends with 'done'). */
  watch(runId: string, onEvent: (e: TrainingEvent) => void, signal: AbortSignal): Promise<Result<TrainingEvent>> {
    const run = [this.current, this.last].find((r) => r?.id === runId);
    if (!run) throw new ServiceError('not_found', `no training run ${JSON.stringify(runId)} is in progress or just ended`);
    return run.log.attach(onEvent, signal, true);
  }

  /** "Samples by step" of a fine-tune made here; [] for other models. */
  samples(modelId: string): Promise<CheckpointSample[]> {
    return samplesOfModel(this.options.dataDir, modelId);
  }

  private async execute(run: CurrentRun, spec: RunSpec): Promise<void> {
    const throttle = stepThrottle((e) => run.log.push(e), this.options.stepIntervalMs ?? 250);
    let result: Result<TrainingEvent>;
    let state: RunState;
    try {
      const done = await this.train(run, spec, (e) => throttle.push(e));
      throttle.flush();
      state = done.reason === 'cancelled' ? 'cancelled' : 'completed';
      // Marked before the stream ends, so a window that asks training.resumable right after sees the run's final state.
      await this.saveRecord(run, state);
      run.log.push(done);
      result = { ok: true, value: done };
    } catch (err) {
      throttle.flush();
      state = this.closing ? 'running' : 'crashed';
      await this.saveRecord(run, state);
      result = { ok: false, error: toApiError(err) };
    }
    this.current = null;
    this.last = run;
    run.log.finish(result);
    // A run that can still be resumed needs its files; otherwise the uploaded copies served their purpose (the model records
    // the names). A failure here only leaves a folder the startup sweep removes.
    const resumable = state !== 'completed' && run.record !== null && (await resumableRun(runDirOf(this.options.dataDir, run.id)).catch(() => null)) !== null;
    if (!resumable) await this.inbox.release(spec.files).catch((err: unknown) => this.options.log?.(`training: could not remove staged files: ${String(err)}`));
  }

  /** Writes run.json with the new state; losing it only loses the app's resume of this run, so a failure is logged. */
  private async saveRecord(run: CurrentRun, state: RunState, patch: Partial<RunRecord> = {}): Promise<void> {
    if (!run.record) return;
    run.record = { ...run.record, ...patch, state, updatedAt: new Date().toISOString() };
    await writeRunRecord(runDirOf(this.options.dataDir, run.id), run.record).catch((err: unknown) => this.options.log?.(`training: could not write the record of ${run.id}: ${String(err)}`));
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
    this.closing = true;
    await Promise.all([this.current?.job?.terminate(), this.inbox.close()]);
  }

  private async train(run: CurrentRun, spec: RunSpec, emit: (e: TrainingEvent) => void): Promise<Extract<TrainingEvent, { type: 'done' }>> {
    const base = this.baseModel(spec.baseModelId);
    const preset = resolvePreset(spec.preset, base, spec.overrides);
    const runDir = runDirOf(this.options.dataDir, run.id);
    await fs.mkdir(runDir, { recursive: true });
    const cancelledDone = (steps: number, message: string) =>
      ({ type: 'done', runId: run.id, reason: 'cancelled', steps, message, model: null, perplexityBefore: null, perplexityAfter: null }) as const;
    const now = new Date().toISOString();
    run.record = spec.resumeFrom?.record ?? {
      version: 1, runId: run.id, name: spec.name ?? defaultName(base.name, spec.files), baseModelId: base.id, preset: spec.preset, overrides: spec.overrides,
      files: spec.files, createdAt: now, updatedAt: now, steps: null, dataset: null, state: 'running',
    };
    await this.saveRecord(run, 'running');

    let steps = run.record.steps;
    let dataset = run.record.dataset;
    if (!spec.resumeFrom || steps === null || dataset === null) {
      // Inspect first: the step count comes from the preset and the text's size.
      if (run.cancelled) return cancelledDone(0, 'Cancelled before training started.');
      run.inspecting = true;
      // Its 'reading' events are the window's progress bar while a big manuscript is read (most of a minute for 50 MB).
      const forward = (e: TrainEvent): void => {
        const mapped = toTrainingEvent(e);
        if (mapped) emit(mapped);
      };
      run.job = this.options.runner({ job: 'inspect', modelDir: base.path, files: spec.files, plan: planOf(preset), ...this.backend() }, forward);
      const inspected = await run.job.outcome;
      run.job = null;
      run.inspecting = false;
      if (run.cancelled) return cancelledDone(0, 'Cancelled before training started.');
      if (inspected.type !== 'report') throw this.failure(inspected, null);
      const r = inspected.report;
      steps = r.steps;
      dataset = { documents: r.documents, words: r.words, tokens: r.tokens, estimatedSeconds: r.estimatedSeconds };
      await this.saveRecord(run, 'running', { steps, dataset });
    }
    emit({ type: 'started', runId: run.id, runDir, steps, preset: spec.preset, baseModelId: base.id });
    emit({ type: 'dataset', ...dataset, steps });

    const options = trainOptionsFor(preset, { modelDir: base.path, dataFiles: spec.files, outDir: runDir, steps, resume: spec.resumeFrom !== null });
    // A resumed run's earlier evaluations (its perplexity before training among them) are in metrics.jsonl.
    const evals: { step: number; valLoss: number }[] = spec.resumeFrom ? await recordedEvals(runDir, spec.resumeFrom.step) : [];
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
      name: run.record.name,
      baseModel: base.id,
      files: spec.files,
      steps: result.steps,
      validationPerplexity: perplexityAfter,
    });
    // Losing the link only loses "Samples by step" for this model, not the model.
    await linkModelToRun(this.options.dataDir, model.id, run.id).catch((err: unknown) => this.options.log?.(`training: could not link ${model.id} to ${run.id}: ${String(err)}`));
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


/** The built training worker sits beside the engine worker (scripts/build.mjs). */
export function trainWorkerPathBeside(engineWorkerPath: string): string {
  return path.join(path.dirname(engineWorkerPath), 'train-worker.js');
}
