/**
 * runTraining: a whole fine-tuning run, from the writer's files to
 * checkpoints, as one async function with an AbortSignal, a PauseGate and an
 * event callback: what the engine worker, the CLI and plain Node call.
 *
 *   files → dataset (clean, split, tokenize) → memory plan → Trainer loop
 *         → every K steps: validation loss, a sample with its copy rate,
 *           a checkpoint; metrics.jsonl gets every event
 *
 * Policies that live here rather than in the loop: early stopping, NaN/Inf
 * recovery (restore the last checkpoint, halve the rate), out-of-memory
 * recovery (halve the micro-batch, double the accumulation), resume.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { currentBackend, initBackend } from '../backend';
import { generate } from '../generate';
import { GPT2 } from '../gpt2';
import { parseModelConfig, type ModelConfig } from '../model-config';
import { readSafetensors } from '../safetensors';
import { Gpt2Tokenizer } from '../tokenizer';
import type { Moments } from './adamw';
import { BatchSource, type DataCursor } from './batches';
import { DataParallel, defaultTrainThreads, findRankTrainerWorker, RankCrashedError } from './data-parallel';
import type { RankFault } from './data-parallel-protocol';
import { loadLatestCheckpoint, saveCheckpoint, stepDirName, CHECKPOINTS_DIR, type CheckpointPointer, type TrainerState as SavedState } from './checkpoint';
import { buildDataset, smallDatasetAdvice, type Dataset } from './dataset';
import { NgramIndex } from './memorisation';
import { planMemory, WASM_HEAP_BUDGET_BYTES } from './memory-estimate';
import { initialStore } from './init-weights';
import { decays, ParamStore } from './params';
import { readingReporter } from './reading-progress';
import { TRAIN_DEFAULTS, type PauseGate, type TrainEvent, type TrainOptions, type TrainResult } from './run-options';
import { defaultWarmup } from './schedule';
import { Trainer, type TrainerModel } from './trainer';
import { TrainModel } from './train-model';

export interface TrainHooks {
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  pause?: PauseGate;
  /** Tests only: runs before every micro-batch (e.g. to simulate an out-of-memory error). */
  beforeMicroBatch?: (microBatch: number) => void;
  /** Tests only: the bundled rank-trainer-worker.ts (the built app finds it beside its own bundle). */
  rankWorkerUrl?: URL | string;
  /** Tests only: makes a data-parallel rank fail. */
  rankFault?: RankFault;
}

/** Messages tfjs and the JS engine give when memory runs out. */
export function isOutOfMemory(err: unknown): boolean {
  const m = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /out of memory|\bOOM\b|Cannot allocate|Failed to allocate|allocation failed|Cannot enlarge memory|Maximum memory size exceeded|memory access out of bounds/i.test(m);
}

/**
 * Early stopping: the number of evaluations since the best validation loss
 * when it reaches `patience` (the run should stop), else null. 0 disables.
 */
export function evaluationsSinceBest(evals: readonly { valLoss: number }[], patience: number): number | null {
  if (patience <= 0 || evals.length === 0) return null;
  let best = 0;
  evals.forEach((e, i) => {
    if (e.valLoss < evals[best].valLoss) best = i;
  });
  const since = evals.length - 1 - best;
  return since >= patience ? since : null;
}

/** Rough effective speed per backend for the pre-run estimate (measured: bench/train.mjs); the ETA uses measured step times. */
const GFLOPS: Record<string, number> = { wasm: 10, cpu: 0.3, tensorflow: 60 };

function fingerprint(stream: Int32Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream[i], 0x01000193);
  return `${stream.length}:${(h >>> 0).toString(16)}`;
}

function positiveInt(name: string, v: number | undefined, fallback: number, max = 1e9): number {
  const x = v ?? fallback;
  if (!Number.isInteger(x) || x < 1 || x > max) throw new Error(`training option ${name} must be a whole number from 1 to ${max}, got ${x}`);
  return x;
}

async function loadInitialStore(modelDir: string, config: ModelConfig): Promise<ParamStore> {
  const file = path.join(modelDir, 'model.safetensors');
  const { tensors } = await readSafetensors(file);
  return ParamStore.fromSource(config, tensors, file);
}

export async function runTraining(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { signal } = hooks;
  const outDir = path.resolve(options.outDir);
  await fs.mkdir(outDir, { recursive: true });
  const metricsFile = path.join(outDir, 'metrics.jsonl');
  // Appends in order without blocking the step; a failed append (disk full) must not stop training.
  let metricsQueue: Promise<void> = Promise.resolve();
  const emit = (e: TrainEvent): void => {
    hooks.onEvent?.(e);
    metricsQueue = metricsQueue.then(() => fs.appendFile(metricsFile, JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n')).catch(() => undefined);
  };

  if (!currentBackend()) await initBackend();
  const backendName = tf.getBackend();
  const modelDir = path.resolve(options.modelDir);
  const config = options.scratchConfig ?? parseModelConfig(await fs.readFile(path.join(modelDir, 'config.json'), 'utf8'), path.join(modelDir, 'config.json'));
  const tokenizer = await Gpt2Tokenizer.fromFiles(path.join(modelDir, 'vocab.json'), path.join(modelDir, 'merges.txt'));
  if (tokenizer.vocabSize > config.vocabSize) throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens, the model's vocab_size is ${config.vocabSize}`);

  const lr = options.lr ?? TRAIN_DEFAULTS.lr;
  if (!(Number.isFinite(lr) && lr >= 0)) throw new Error(`training option lr must be a finite number ≥ 0, got ${lr}`);
  const seed = options.seed ?? TRAIN_DEFAULTS.seed;
  const T = positiveInt('block', options.block, Math.min(256, config.nPositions), config.nPositions);
  let microBatch = positiveInt('batch', options.batch, TRAIN_DEFAULTS.batch, 4096);
  let accum = positiveInt('accum', options.accum, TRAIN_DEFAULTS.accum, 4096);
  const valEvery = positiveInt('valEvery', options.valEvery, TRAIN_DEFAULTS.valEvery);
  const sampleEvery = options.sampleEvery ?? TRAIN_DEFAULTS.sampleEvery; // 0 disables samples
  const checkpointEvery = positiveInt('checkpointEvery', options.checkpointEvery, valEvery);
  const freezeEmbeddings = options.freezeEmbeddings ?? false;
  const trainLast = options.trainLast ?? null;
  const threads = positiveInt('threads', options.threads, defaultTrainThreads(backendName, (hooks.rankWorkerUrl ?? findRankTrainerWorker()) !== null), 64);

  // Aborted before anything started: refused as before (nothing ran). Aborted while reading: the run ends as cancelled.
  signal?.throwIfAborted();
  let dataset: Dataset;
  try {
    dataset = await buildDataset(options.dataFiles, tokenizer, options.valFraction ?? TRAIN_DEFAULTS.valFraction, signal, { onProgress: readingReporter(emit) });
  } catch (err) {
    // Reading a 50 MB manuscript takes most of a minute: a cancel then is a cancel, not a failure (nothing new to keep).
    if (!signal?.aborted) throw err;
    return cancelledWhileReading(outDir, options.resume === true, emit, () => metricsQueue);
  }
  const train = new BatchSource(dataset.train, T, seed);
  const valT = Math.min(T, dataset.val.length - 1);
  const val = valT >= 8 ? new BatchSource(dataset.val, valT, seed, 'validation text') : null;
  if (!val) emit({ type: 'warning', code: 'no-validation', message: `the held-out text is only ${dataset.val.length} tokens: no validation loss; add more text for a meaningful check` });

  const steps = options.steps !== undefined ? positiveInt('steps', options.steps, 1) : Math.max(1, Math.ceil(((options.epochs ?? 1) * train.blocks) / (microBatch * accum)));
  const warmup = options.warmupSteps ?? defaultWarmup(steps);
  const runFingerprint = {
    block: T, seed, lr, freezeEmbeddings, trainLast, effectiveBatch: microBatch * accum, warmup, data: fingerprint(dataset.train), model: `${config.nLayer}x${config.nEmbd}x${config.nHead}x${config.nPositions}${options.scratchConfig ? ' scratch' : ''}`,
  };

  // Start from the model or from the run's latest checkpoint.
  let store: ParamStore;
  let startState: SavedState | null = null;
  let startMoments: Map<string, Moments> | undefined;
  if (options.resume) {
    const ck = await loadLatestCheckpoint(outDir);
    if (!ck) throw new Error(`${outDir}: no checkpoint to resume from (${CHECKPOINTS_DIR}/latest.json is missing); start without --resume`);
    for (const [k, v] of Object.entries(runFingerprint)) {
      if (JSON.stringify(ck.state.options[k]) !== JSON.stringify(v)) {
        throw new Error(`${ck.dir}: cannot resume: ${k} was ${JSON.stringify(ck.state.options[k])}, now ${JSON.stringify(v)}; resume with the run's original settings and files`);
      }
    }
    store = ck.store;
    startState = ck.state;
    startMoments = ck.moments;
    microBatch = ck.state.microBatch;
    accum = ck.state.accum;
  } else {
    store = options.scratchConfig ? initialStore(config, seed) : await loadInitialStore(modelDir, config);
  }

  const trainedBlocks = trainLast ?? config.nLayer;
  const budget = options.memoryBudgetBytes ?? (backendName === 'wasm' ? WASM_HEAP_BUDGET_BYTES : os.totalmem() * 0.6);
  // Each data-parallel rank has its own heap and holds only its share of the rows.
  const ranks = Math.min(threads, microBatch);
  const plan = planMemory({ config, microBatch: Math.ceil(microBatch / ranks), block: T, trainedBlocks, freezeEmbeddings }, budget);
  if (!plan.fits) throw new Error(`this run ${plan.suggestion!.text}`);
  emit({ type: 'memory', ...plan.estimate, keptBlocks: plan.keptBlocks });

  const model = new TrainModel(store, { freezeEmbeddings, trainLast }, { keptBlocks: plan.keptBlocks });
  const tokensPerStep = microBatch * accum * T;
  const advice = smallDatasetAdvice(dataset.train.length, tokensPerStep, steps, lr);
  if (advice) emit({ type: 'warning', code: 'small-dataset', message: advice });
  if (lr === 0) emit({ type: 'warning', code: 'lr-zero', message: 'the learning rate is 0: the weights will not change' });
  const paramsTotal = store.infos.reduce((a, i) => a + i.shape.reduce((x, y) => x * y, 1), 0);
  const flopsPerToken = 2 * paramsTotal + 4 * plan.estimate.trainableParameters;
  emit({
    type: 'dataset', stats: dataset.stats, trainBlocks: train.blocks, valBlocks: val?.blocks ?? 0, steps,
    epochEstimateS: Math.round((flopsPerToken * dataset.train.length) / ((GFLOPS[backendName] ?? 5) * 1e9)),
  });

  let cursor: DataCursor = startState?.cursor ?? { epoch: 0, index: 0 };
  let tokensSeen = startState?.tokensSeen ?? 0;
  const elapsedBefore = startState?.elapsedMs ?? 0;
  const evals = [...(startState?.evals ?? [])];
  const sessionStart = performance.now();
  let sessionSteps = 0;
  let lastCheckpoint: string | null = null;
  let lastCheckpointStep = startState?.step ?? -1;
  let earlyStopped = false;
  const losses: TrainResult['losses'] = [];
  let ngrams: NgramIndex | null = null;
  const patience = options.earlyStopPatience ?? TRAIN_DEFAULTS.earlyStopPatience;

  const names = model.trainableNames();
  // Started inside the try below (so that the finally always stops it); the memory is shared now, before the adapter takes the data arrays.
  let parallel: DataParallel | null = null;
  const workerUrl = ranks > 1 ? (hooks.rankWorkerUrl ?? findRankTrainerWorker()) : null;
  if (ranks > 1 && !workerUrl) throw new Error(`training option threads ${threads} needs the rank worker bundle (dist/main/engine/train/rank-trainer-worker.js, made by npm run build); use threads 1`);
  if (workerUrl) store.shareMemory();
  const infoOf = new Map(store.infos.map((i) => [i.name, i]));
  const adapter: TrainerModel = {
    params: names.map((name) => ({ name, data: store.data.get(name)!, decay: decays(infoOf.get(name)!) })),
    gradients(_step, grads) {
      const targets = microBatch * accum * T;
      let c = cursor;
      const batches = [];
      for (let a = 0; a < accum; a++) {
        const next = train.next(c, microBatch);
        batches.push(next.batch);
        c = next.cursor;
      }
      const done = (nll: number): { loss: number; tokens: number } => {
        cursor = c; // only a completed step moves the data position
        return { loss: nll / targets, tokens: targets };
      };
      if (parallel) return parallel.gradients(batches, model, grads, 1 / targets, hooks.beforeMicroBatch).then(done);
      let nll = 0;
      for (const b of batches) {
        hooks.beforeMicroBatch?.(microBatch);
        nll += model.accumulateGradients(b, grads, 1 / targets);
      }
      return done(nll);
    },
    paramsChanged(changed) {
      for (const n of changed) store.changed(n);
      parallel?.changed(changed);
    },
  };

  const trainer = new Trainer(
    adapter,
    { schedule: { peakLr: lr, warmupSteps: warmup, totalSteps: steps }, adamw: { weightDecay: options.weightDecay ?? TRAIN_DEFAULTS.weightDecay }, clipNorm: options.clipNorm ?? TRAIN_DEFAULTS.clipNorm },
    startState ? { step: startState.step, lrScale: startState.lrScale, moments: startMoments } : undefined,
  );

  const evaluate = (): number => {
    let nll = 0;
    let n = 0;
    for (const b of val!.sequential(microBatch, options.maxValBlocks ?? TRAIN_DEFAULTS.maxValBlocks)) {
      nll += model.evalNll(b);
      n += b.B * b.T;
    }
    return nll / n;
  };

  const sample = async (step: number): Promise<void> => {
    // Built on the store's own tensors: no second copy of the weights in the heap. Not disposed: the store owns them.
    const gpt = new GPT2(config, store.inferenceWeights());
    const r = await generate(gpt, tokenizer, [tokenizer.eosId], { maxTokens: options.sampleTokens ?? TRAIN_DEFAULTS.sampleTokens, temperature: 0.8, topK: 40, seed: (seed + step) >>> 0 }, { signal });
    ngrams ??= new NgramIndex(dataset.train);
    const { rate, copiedTokens } = ngrams.copyRate(r.alternatives[0].ids);
    emit({ type: 'sample', step, text: r.alternatives[0].text, copyRate: rate, copiedTokens });
  };

  const stateNow = (): SavedState => ({
    version: 1, step: trainer.state.step, cursor, lrScale: trainer.state.lrScale, microBatch, accum, tokensSeen,
    elapsedMs: elapsedBefore + (performance.now() - sessionStart), evals, options: runFingerprint,
  });

  const checkpoint = async (valLoss?: number): Promise<void> => {
    lastCheckpoint = await saveCheckpoint({ runDir: outDir, store, moments: trainer.state.moments, state: stateNow(), modelDir, keep: options.keepCheckpoints ?? TRAIN_DEFAULTS.keepCheckpoints, valLoss });
    lastCheckpointStep = trainer.state.step;
    emit({ type: 'checkpoint', step: trainer.state.step, dir: lastCheckpoint });
  };

  /** After a NaN/Inf: the weights and moments of the last checkpoint (or of the model), the data position with them. */
  const restoreGoodState = async (): Promise<void> => {
    const ck = options.resume || lastCheckpoint ? await loadLatestCheckpoint(outDir) : null;
    const source = ck ? ck.store : options.scratchConfig ? initialStore(config, seed) : await loadInitialStore(modelDir, config);
    for (const info of store.infos) store.data.get(info.name)!.set(source.data.get(info.name)!);
    store.releaseTensors();
    parallel?.changed(store.infos.map((i) => i.name));
    const lrScale = trainer.state.lrScale / 2;
    if (ck) {
      trainer.state = { step: ck.state.step, lrScale, moments: ck.moments };
      cursor = ck.state.cursor;
    } else {
      trainer.state = { step: 0, lrScale, moments: new Map(names.map((n) => [n, { m: new Float32Array(store.data.get(n)!.length), v: new Float32Array(store.data.get(n)!.length) }])) };
      cursor = { epoch: 0, index: 0 };
    }
  };

  let result: TrainResult['reason'];
  try {
    if (workerUrl) {
      parallel = await DataParallel.start({ threads: ranks, workerUrl, store, trainable: names, selection: { freezeEmbeddings, trainLast }, keptBlocks: plan.keptBlocks, fault: hooks.rankFault });
    }
    // The baseline the writer compares against: the model's validation loss before any update.
    if (val && !startState && !signal?.aborted) {
      const valLoss = evaluate();
      evals.push({ step: 0, valLoss });
      emit({ type: 'eval', step: 0, valLoss, valPerplexity: Math.exp(valLoss), best: true });
    }
    const ended = await trainer.run(signal, {
      waitUntilRunnable: async () => {
        if (!hooks.pause?.paused) return;
        emit({ type: 'paused', step: trainer.state.step });
        await hooks.pause.wait(signal);
        if (!signal?.aborted) emit({ type: 'resumed', step: trainer.state.step });
      },
      shouldStop: () => earlyStopped,
      onStepError: (err) => {
        if (err instanceof RankCrashedError || !isOutOfMemory(err) || microBatch <= 1) return false;
        const effective = microBatch * accum;
        const was = microBatch;
        microBatch = Math.floor(microBatch / 2);
        accum = Math.ceil(effective / microBatch);
        const same = microBatch * accum === effective ? 'the same' : `an effective batch of ${microBatch * accum} instead of ${effective}`;
        emit({ type: 'warning', code: 'out-of-memory', message: `out of memory at micro-batch ${was}; continuing with micro-batch ${microBatch} × ${accum} accumulation steps (${same} effective batch)` });
        return true;
      },
      onNonFinite: async ({ step, loss }) => {
        await restoreGoodState();
        emit({
          type: 'warning', code: 'nan-loss',
          message: `step ${step}: the loss became ${loss}; restored the state of step ${trainer.state.step} and lowered the learning rate to ${(lr * trainer.state.lrScale).toExponential(2)}`,
        });
      },
      onStep: async (s) => {
        sessionSteps++;
        tokensSeen += s.tokens;
        losses.push({ step: s.step, loss: s.loss });
        const elapsed = performance.now() - sessionStart;
        const perStep = elapsed / sessionSteps;
        emit({
          type: 'step', step: s.step, totalSteps: steps, epoch: cursor.epoch + cursor.index / train.blocks, loss: s.loss, lr: s.lr, gradNorm: s.gradNorm,
          tokensPerSec: s.tokens / (s.ms / 1000), elapsedMs: elapsedBefore + elapsed, etaMs: perStep * (steps - s.step),
        });
        const last = s.step === steps;
        let valLoss: number | undefined;
        if (val && (s.step % valEvery === 0 || last)) {
          valLoss = evaluate();
          const best = evals.every((e) => valLoss! < e.valLoss);
          evals.push({ step: s.step, valLoss });
          emit({ type: 'eval', step: s.step, valLoss, valPerplexity: Math.exp(valLoss), best });
          const stale = evaluationsSinceBest(evals, patience);
          if (stale !== null) {
            earlyStopped = true;
            emit({ type: 'warning', code: 'early-stop', message: `validation loss has not improved for ${stale} evaluations: stopping early to avoid memorising the text` });
          }
        }
        if (sampleEvery > 0 && (s.step % sampleEvery === 0 || last)) await sample(s.step);
        if (s.step % checkpointEvery === 0 || last || earlyStopped) await checkpoint(valLoss);
      },
    });
    result = ended === 'stopped' ? 'early-stopped' : ended;
    if (result === 'completed' && lastCheckpointStep !== trainer.state.step) await checkpoint();
  } finally {
    await parallel?.dispose();
    model.dispose();
    store.releaseTensors();
    await metricsQueue;
  }

  const pointer = lastCheckpoint ?? (lastCheckpointStep >= 0 ? path.join(outDir, CHECKPOINTS_DIR, stepDirName(lastCheckpointStep)) : null);
  const bestEval = evals.length ? evals.reduce((a, b) => (b.valLoss < a.valLoss ? b : a)) : null;
  const latest = options.resume || lastCheckpoint ? await loadPointerBest(outDir) : null;
  const message =
    result === 'cancelled' ? `cancelled at step ${trainer.state.step}; the last checkpoint is kept` : result === 'early-stopped' ? `stopped early at step ${trainer.state.step}` : `finished ${steps} steps`;
  emit({ type: 'done', reason: result, step: trainer.state.step, message });
  await metricsQueue;
  return { reason: result, steps: trainer.state.step, lastCheckpoint: pointer, bestCheckpoint: latest, bestValLoss: bestEval?.valLoss ?? null, losses };
}

/** The result of a run cancelled before its first step: a resumed run keeps its checkpoints (latest.json says which). */
async function cancelledWhileReading(runDir: string, resume: boolean, emit: (e: TrainEvent) => void, flushed: () => Promise<void>): Promise<TrainResult> {
  let pointer: CheckpointPointer | null = null;
  if (resume) {
    try {
      pointer = JSON.parse(await fs.readFile(path.join(runDir, CHECKPOINTS_DIR, 'latest.json'), 'utf8')) as CheckpointPointer;
    } catch {
      pointer = null;
    }
  }
  const step = pointer?.step ?? 0;
  emit({ type: 'done', reason: 'cancelled', step, message: `cancelled while reading the files, before step ${step + 1}${pointer ? '; the last checkpoint is kept' : ''}` });
  await flushed();
  return {
    reason: 'cancelled', steps: step, lastCheckpoint: pointer ? path.join(runDir, CHECKPOINTS_DIR, pointer.latest) : null,
    bestCheckpoint: pointer?.best ? path.join(runDir, CHECKPOINTS_DIR, pointer.best.dir) : null, bestValLoss: pointer?.best?.valLoss ?? null, losses: [],
  };
}

async function loadPointerBest(runDir: string): Promise<string | null> {
  try {
    const p = JSON.parse(await fs.readFile(path.join(runDir, CHECKPOINTS_DIR, 'latest.json'), 'utf8')) as { best: { dir: string } | null };
    return p.best ? path.join(runDir, CHECKPOINTS_DIR, p.best.dir) : null;
  } catch {
    return null;
  }
}
