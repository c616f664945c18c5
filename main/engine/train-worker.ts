/**
 * The training worker's entry (worker_threads): one job per worker, so a
 * fine-tune never shares a thread, a tfjs backend or a wasm heap with the
 * inference worker, and the writer's suggestions stay responsive while it runs.
 *
 * workerData is a TrainWorkerData. Jobs:
 *   'inspect': read + tokenize the files ('reading' events meanwhile), answer one 'report' (the dataset report);
 *   'train':   runTraining, forwarding every TrainEvent as 'event', then one 'result'.
 * Messages in: 'pause' / 'resume' (the PauseGate, between steps), 'cancel'
 * (aborts between steps; the last checkpoint is kept). Failures become one
 * 'error' message; a crash (the worker dies) is the host's to report.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { DatasetReport } from '../../common/contract';
import { initBackend } from './backend';
import { parseModelConfig } from './model-config';
import { Gpt2Tokenizer } from './tokenizer';
import { buildDataset, smallDatasetAdvice } from './train/dataset';
import { readingReporter } from './train/reading-progress';
import { PauseGate, type TrainEvent, type TrainOptions, type TrainResult } from './train/run-options';
import { runTraining } from './train/run-training';
import { DatasetInputError } from './train/text-extract';

/** What the service computes from a preset: enough to size steps and estimate time. */
export interface StepPlan {
  /** Tokens one optimizer step reads (batch × accum × block). */
  tokensPerStep: number;
  passes: number;
  minSteps: number;
  maxSteps: number;
  /** A fixed step count (overrides) wins over the passes rule. */
  steps?: number;
  trainLast: number | null;
  freezeEmbeddings: boolean;
  lr: number;
}

export type TrainWorkerData =
  | { job: 'inspect'; modelDir: string; files: string[]; plan: StepPlan; backend?: string }
  | { job: 'train'; options: TrainOptions; backend?: string };

export type ToTrainWorker = { type: 'pause' } | { type: 'resume' } | { type: 'cancel' };

/** The dataset report without the file list, which the service already holds. */
export type InspectReport = Omit<DatasetReport, 'files'>;

export type FromTrainWorker =
  | { type: 'event'; event: TrainEvent }
  | { type: 'result'; result: TrainResult }
  | { type: 'report'; report: InspectReport }
  /** 'input': the writer's files or options are at fault (not a crash). */
  | { type: 'error'; kind: 'input' | 'failure'; message: string };

/** Steps a plan runs on `trainTokens`: `passes` over the text, within the preset's bounds. */
export function stepsFor(plan: StepPlan, trainTokens: number): number {
  if (plan.steps !== undefined) return plan.steps;
  const wanted = Math.ceil((plan.passes * trainTokens) / Math.max(1, plan.tokensPerStep));
  return Math.min(plan.maxSteps, Math.max(plan.minSteps, wanted));
}

/** Rough effective GFLOP/s per backend, the same order as run-training's pre-run estimate. */
const GFLOPS: Record<string, number> = { wasm: 10, cpu: 0.3, tensorflow: 60 };

/** Seconds for `tokens` of training: 2 FLOPs per parameter forward, 4 more per trained parameter backward. */
export function estimateSeconds(tokens: number, parameters: number, trainable: number, backend: string): number {
  return Math.round((tokens * (2 * parameters + 4 * trainable)) / ((GFLOPS[backend] ?? 5) * 1e9));
}

/** `onEvent` gets the 'reading' events: inspecting a 50 MB manuscript takes as long as a run's own reading. */
async function inspect(data: Extract<TrainWorkerData, { job: 'inspect' }>, onEvent: (event: TrainEvent) => void): Promise<InspectReport> {
  await initBackend(data.backend);
  const configFile = path.join(data.modelDir, 'config.json');
  const config = parseModelConfig(await fs.readFile(configFile, 'utf8'), configFile);
  const tokenizer = await Gpt2Tokenizer.fromFiles(path.join(data.modelDir, 'vocab.json'), path.join(data.modelDir, 'merges.txt'));
  const dataset = await buildDataset(data.files, tokenizer, undefined, undefined, { onProgress: readingReporter(onEvent) });
  const steps = stepsFor(data.plan, dataset.stats.trainTokens);
  const C = config.nEmbd;
  const perBlock = 12 * C * C + 13 * C;
  const embeddings = config.vocabSize * C + config.nPositions * C;
  const parameters = config.nLayer * perBlock + embeddings + 2 * C;
  const trainedBlocks = Math.min(config.nLayer, data.plan.trainLast ?? config.nLayer);
  const trainable = trainedBlocks * perBlock + 2 * C + (data.plan.freezeEmbeddings ? 0 : embeddings);
  const backend = tf.getBackend();
  return {
    ...dataset.stats,
    steps,
    estimatedSeconds: estimateSeconds(steps * data.plan.tokensPerStep, parameters, trainable, backend),
    backend,
    warning: smallDatasetAdvice(dataset.stats.trainTokens, data.plan.tokensPerStep, steps, data.plan.lr),
  };
}

export interface TestDelays {
  /** Before every micro-batch. */
  stepMs: number;
  /** After every 'reading' event (they come a few a second while files are read). */
  readingMs: number;
}

/**
 * TEST ONLY: with INKWELL_TEST_HOOKS=1, INKWELL_TRAIN_TEST_DELAYS (JSON, e.g.
 * {"stepMs":150,"readingMs":1500}) slows training so that an end-to-end spec can
 * pause, cancel or reload mid-run however fast the machine is (a tiny model's run
 * is over in under a second). Anything else: no delays.
 */
export function testDelays(env: NodeJS.ProcessEnv = process.env): TestDelays {
  const none = { stepMs: 0, readingMs: 0 };
  const raw = env.INKWELL_TRAIN_TEST_DELAYS;
  if (env.INKWELL_TEST_HOOKS !== '1' || !raw) return none;
  const parsed = JSON.parse(raw) as Partial<TestDelays>;
  const ms = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(v, 10_000) : 0);
  return { stepMs: ms(parsed.stepMs), readingMs: ms(parsed.readingMs) };
}

/** Blocks this worker thread (the delays above): the event loop of the main process is not touched. */
function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs one job, talking through `post`; `control` delivers pause / resume / cancel. */
export async function serveTrainJob(
  data: TrainWorkerData,
  post: (message: FromTrainWorker) => void,
  control: (listener: (message: ToTrainWorker) => void) => void,
): Promise<void> {
  const delays = testDelays();
  const forward = (event: TrainEvent): void => {
    post({ type: 'event', event });
    if (event.type === 'reading') sleepSync(delays.readingMs);
  };
  try {
    if (data.job === 'inspect') {
      post({ type: 'report', report: await inspect(data, forward) });
      return;
    }
    const gate = new PauseGate();
    const controller = new AbortController();
    control((m) => {
      if (m.type === 'pause') gate.pause();
      else if (m.type === 'resume') gate.resume();
      else if (m.type === 'cancel') controller.abort();
    });
    await initBackend(data.backend);
    const result = await runTraining(data.options, {
      signal: controller.signal, pause: gate, onEvent: forward,
      ...(delays.stepMs > 0 ? { beforeMicroBatch: () => sleepSync(delays.stepMs) } : {}),
    });
    post({ type: 'result', result });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    post({ type: 'error', kind: err instanceof DatasetInputError ? 'input' : 'failure', message });
  }
}

// Only as a worker started with a job: importing this module elsewhere (tests) runs nothing.
const port = parentPort;
const data = workerData as TrainWorkerData | null;
if (port && data && (data.job === 'inspect' || data.job === 'train')) {
  void serveTrainJob(
    data,
    (m) => port.postMessage(m),
    (listener) => port.on('message', listener),
  ); // the host terminates the worker once it has the final message
}
