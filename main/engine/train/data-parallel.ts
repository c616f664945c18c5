/**
 * Data-parallel training over worker_threads. tfjs-backend-wasm runs one
 * thread in Node (docs: PERFORMANCE.md fact 3), so a second core idles while
 * the trainer works; here each optimizer step's rows are split between ranks:
 * rank 0 is the calling thread, ranks 1..N-1 are rank-trainer-worker.ts, each
 * with its own wasm heap and a TrainModel over the SAME parameter memory
 * (the ParamStore's Float32Arrays live in SharedArrayBuffers; see
 * ParamStore.shareMemory). Every rank runs all micro-batches of the step on
 * its contiguous range of rows and adds d(loss · scale)/dθ into its own
 * gradient buffers; rank 0 then adds ranks 1..N-1's buffers into the
 * trainer's, in rank order. With the loss scale 1 / (targets in the step)
 * the sum is the one-thread gradient up to float rounding, and the split and
 * the summing order are a pure function of (rows, N): the same seed and N give
 * the same loss curve.
 *
 * What this is not: no overlap of rank 0's summing with the workers' next
 * step, no split of validation or samples (rank 0 runs those alone).
 *
 * Failure: an error inside a rank fails the step with the rank's number and
 * message (an out-of-memory message stays recognisable, so run-training's
 * policy halves the micro-batch); a worker that dies makes the step, and every
 * later one, fail with RankCrashedError. dispose() terminates the workers.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { FromRankTrainer, RankFault, RankTrainerInit, ToRankTrainer } from './data-parallel-protocol';
import { MIN_CORES_FOR_PARALLEL } from '../parallel/policy';
import { isShared, type ParamStore } from './params';
import type { MicroBatch, TrainModel, TrainSelection } from './train-model';

/** A rank worker ended (crash, exit, terminate): it cannot be retried by halving the batch. */
export class RankCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RankCrashedError';
  }
}

/** Memory below which the default stays on one thread: a second rank adds a wasm heap and a set of gradients (+2.5 GB for GPT-2 124M). */
export const MIN_MEMORY_FOR_PARALLEL_BYTES = 16 * 2 ** 30;

/**
 * Threads when a run does not say: 2 only on wasm (the native backends thread
 * by themselves), with a rank worker bundle, from MIN_CORES_FOR_PARALLEL cores
 * (a second rank is 1.85x faster with a free core, no faster when a neighbour
 * holds it: bench/README.md, Training) and MIN_MEMORY_FOR_PARALLEL_BYTES of memory.
 */
export function defaultTrainThreads(
  backend: string,
  workerAvailable: boolean,
  machine: { cores: number; memoryBytes: number } = { cores: os.availableParallelism(), memoryBytes: os.totalmem() },
): 1 | 2 {
  return backend === 'wasm' && workerAvailable && machine.cores >= MIN_CORES_FOR_PARALLEL && machine.memoryBytes >= MIN_MEMORY_FOR_PARALLEL_BYTES ? 2 : 1;
}

/** Row ranges [from, to) of a micro-batch of B rows over at most `threads` ranks: contiguous, sizes differ by at most 1, fewer ranks when B < threads. */
export function rowRanges(B: number, threads: number): [number, number][] {
  const n = Math.max(1, Math.min(threads, B));
  return Array.from({ length: n }, (_, r) => [Math.floor((r * B) / n), Math.floor(((r + 1) * B) / n)]);
}

/** Rows [from, to) of a micro-batch (a view: no copy). */
export function sliceRows(batch: MicroBatch, from: number, to: number): MicroBatch {
  const w = batch.T + 1;
  return { tokens: batch.tokens.subarray(from * w, to * w), B: to - from, T: batch.T };
}

/**
 * The rank worker bundle beside the running bundle: scripts/build.mjs writes
 * dist/main/engine/train/rank-trainer-worker.js (the CLI is dist/main/cli.js,
 * the training worker dist/main/engine/train-worker.js); bench/train.mjs puts it
 * beside the bench bundle.
 */
export function findRankTrainerWorker(from: string | URL = import.meta.url): URL | null {
  for (const rel of ['./rank-trainer-worker.js', './train/rank-trainer-worker.js', './engine/train/rank-trainer-worker.js']) {
    const url = new URL(rel, from);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return null;
}

let liveWorkers = 0;
/** Rank workers started and not yet exited, in this thread (tests: nothing leaks). */
export function liveRankWorkers(): number {
  return liveWorkers;
}

export interface DataParallelOptions {
  /** Ranks including rank 0 (≥ 2). */
  threads: number;
  /** The built rank-trainer-worker.ts. */
  workerUrl: URL | string;
  /** Must be shared (ParamStore.shareMemory) before the call. */
  store: ParamStore;
  trainable: readonly string[];
  selection: TrainSelection;
  keptBlocks: number;
  fault?: RankFault;
}

interface Rank {
  rank: number;
  worker: Worker;
  grads: Map<string, Float32Array>;
  /** The step this rank works on, settled by its answer or by its death. */
  pending: { id: number; resolve: (nll: number) => void; reject: (err: Error) => void } | null;
  statsWaiters: ((n: number) => void)[];
}

export class DataParallel {
  private dead: string | null = null;
  private nextId = 1;

  private constructor(
    private readonly ranks: Rank[],
    readonly threads: number,
  ) {}

  /** Starts ranks 1..threads-1 and resolves when every one has its backend and model. */
  static async start(o: DataParallelOptions): Promise<DataParallel> {
    if (!Number.isInteger(o.threads) || o.threads < 2) throw new Error(`data-parallel: threads must be a whole number ≥ 2, got ${o.threads}`);
    const params: [string, SharedArrayBuffer][] = o.store.infos.map(({ name }) => {
      const d = o.store.data.get(name)!;
      if (!isShared(d)) throw new Error(`data-parallel: parameter ${name} is not in shared memory (call store.shareMemory() first)`);
      return [name, d.buffer as SharedArrayBuffer];
    });
    const ranks: Rank[] = [];
    const started: Promise<void>[] = [];
    for (let rank = 1; rank < o.threads; rank++) {
      const grads: [string, SharedArrayBuffer][] = o.trainable.map((name) => [name, new SharedArrayBuffer(o.store.data.get(name)!.byteLength)]);
      const init: RankTrainerInit = {
        rank, backend: tf.getBackend(), config: o.store.config, tied: o.store.tied, params, grads,
        selection: o.selection, keptBlocks: o.keptBlocks, ...(o.fault ? { fault: o.fault } : {}),
      };
      const worker = new Worker(o.workerUrl, { workerData: init });
      liveWorkers++;
      worker.once('exit', () => liveWorkers--);
      const r: Rank = { rank, worker, grads: new Map(grads.map(([n, sab]) => [n, new Float32Array(sab)])), pending: null, statsWaiters: [] };
      ranks.push(r);
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.once('error', (err) => reject(new Error(`data-parallel: rank ${rank} failed to start: ${err.message}`, { cause: err })));
          worker.once('exit', (code) => reject(new RankCrashedError(`data-parallel: rank ${rank} exited (code ${code}) while starting`)));
          worker.once('message', (m: FromRankTrainer) => {
            if (m.type === 'ready') resolve();
            else reject(new Error(`data-parallel: ${m.type === 'init-error' ? m.message : `rank ${rank} answered ${m.type} before ready`}`));
          });
        }),
      );
    }
    try {
      await Promise.all(started);
    } catch (err) {
      await Promise.all(ranks.map((r) => r.worker.terminate()));
      throw err;
    }
    const dp = new DataParallel(ranks, o.threads);
    for (const r of ranks) dp.listen(r);
    return dp;
  }

  private listen(r: Rank): void {
    r.worker.removeAllListeners('error').removeAllListeners('exit').removeAllListeners('message');
    let why: string | null = null;
    r.worker.on('error', (err) => {
      why ??= `rank ${r.rank} crashed: ${err.message}`;
    });
    r.worker.on('exit', (code) => {
      liveWorkers--;
      this.dead ??= why ?? `rank ${r.rank} exited (code ${code})`;
      r.pending?.reject(new RankCrashedError(`data-parallel: ${this.dead}`));
      r.pending = null;
      for (const w of r.statsWaiters.splice(0)) w(NaN);
    });
    r.worker.on('message', (m: FromRankTrainer) => {
      if (m.type === 'stats') r.statsWaiters.shift()?.(m.numTensors);
      else if ((m.type === 'done' || m.type === 'error') && r.pending?.id === m.id) {
        const p = r.pending;
        r.pending = null;
        if (m.type === 'done') p.resolve(m.nll);
        else p.reject(new Error(`data-parallel: rank ${r.rank}: ${m.message}`));
      }
    });
  }

  private post(r: Rank, m: ToRankTrainer): void {
    r.worker.postMessage(m);
  }

  /** The master copy of these parameters changed (after an update or a restore): every rank drops its tensors. */
  changed(names: readonly string[]): void {
    if (this.dead) return;
    for (const r of this.ranks) this.post(r, { type: 'changed', names: [...names] });
  }

  /**
   * One optimizer step's gradients: every micro-batch's rows split by rowRanges,
   * rank 0's into `grads` directly (with `model`, in this thread), the others'
   * summed in afterwards, in rank order. Resolves with Σ −log p over all rows.
   * `beforeMicroBatch` (tests) runs on rank 0 before each of its micro-batches.
   */
  async gradients(batches: readonly MicroBatch[], model: TrainModel, grads: Map<string, Float32Array>, scale: number, beforeMicroBatch?: (rows: number) => void): Promise<number> {
    if (this.dead) throw new RankCrashedError(`data-parallel: ${this.dead}; start the run again`);
    if (batches.length === 0) return 0;
    const B = batches[0].B;
    const ranges = rowRanges(B, this.threads);
    const used = this.ranks.slice(0, ranges.length - 1);
    const id = this.nextId++;
    const answers = used.map(
      (r, i) =>
        new Promise<number>((resolve, reject) => {
          r.pending = { id, resolve, reject };
          const [from, to] = ranges[i + 1];
          // Copies of the rows (postMessage would otherwise clone each micro-batch's whole buffer).
          const rows = batches.map((b) => {
            const v = sliceRows(b, from, to);
            return { ...v, tokens: v.tokens.slice() };
          });
          this.post(r, { type: 'step', id, batches: rows, scale });
        }),
    );
    let nll = 0;
    let rankZeroError: unknown = null;
    try {
      const [from, to] = ranges[0];
      for (const b of batches) {
        beforeMicroBatch?.(B);
        nll += model.accumulateGradients(sliceRows(b, from, to), grads, scale);
      }
    } catch (err) {
      rankZeroError = err;
    }
    // Wait for every rank even when rank 0 failed: a retried step must not find a rank still busy with this one.
    const settled = await Promise.allSettled(answers);
    if (rankZeroError) throw rankZeroError;
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    used.forEach((r, i) => {
      nll += (settled[i] as PromiseFulfilledResult<number>).value;
      for (const [name, acc] of grads) {
        const g = r.grads.get(name);
        if (!g) continue;
        for (let k = 0; k < acc.length; k++) acc[k] += g[k];
      }
    });
    return nll;
  }

  /** Each worker rank's live tensor count (tests: flat over steps). */
  async workerTensors(): Promise<number[]> {
    if (this.dead) throw new RankCrashedError(`data-parallel: ${this.dead}`);
    return Promise.all(
      this.ranks.map(
        (r) =>
          new Promise<number>((resolve) => {
            r.statsWaiters.push(resolve);
            this.post(r, { type: 'stats' });
          }),
      ),
    );
  }

  /** Terminates every worker rank; resolves when they have exited. */
  async dispose(): Promise<void> {
    this.dead ??= 'the run ended (disposed)';
    await Promise.all(this.ranks.map((r) => r.worker.terminate()));
  }
}
