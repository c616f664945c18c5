import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { initBackend } from '../../../main/engine/backend';
import { createRng } from '../../../main/engine/rng';
import { DataParallel, liveRankWorkers, RankCrashedError, rowRanges, sliceRows } from '../../../main/engine/train/data-parallel';
import { isShared } from '../../../main/engine/train/params';
import type { TrainEvent } from '../../../main/engine/train/run-options';
import { runTraining } from '../../../main/engine/train/run-training';
import { TrainModel, type MicroBatch } from '../../../main/engine/train/train-model';
import { bundleWorker } from '../helpers/bundle-worker';
import { MICRO, randomStore, withStory } from './helpers';

let bundleDir: string;
let workerUrl: string;

beforeAll(async () => {
  ({ dir: bundleDir, file: workerUrl } = await bundleWorker('main/engine/train/rank-trainer-worker.ts', 'inkwell-dp-'));
  await initBackend('wasm');
});

afterAll(async () => {
  await rm(bundleDir, { recursive: true, force: true });
});

function randomBatch(B: number, T: number, seed: number): MicroBatch {
  const rng = createRng(seed);
  return { tokens: Int32Array.from({ length: B * (T + 1) }, () => Math.floor(rng() * MICRO.vocabSize)), B, T };
}

/** max |a − b| / max |b| over every gradient. */
function relErr(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let diff = 0;
  let scale = 0;
  for (const [name, y] of b) {
    const x = a.get(name)!;
    for (let i = 0; i < y.length; i++) {
      diff = Math.max(diff, Math.abs(x[i] - y[i]));
      scale = Math.max(scale, Math.abs(y[i]));
    }
  }
  return diff / scale;
}

describe('rowRanges', () => {
  test.for([
    { B: 2, threads: 2, want: [[0, 1], [1, 2]] },
    { B: 4, threads: 2, want: [[0, 2], [2, 4]] },
    { B: 5, threads: 2, want: [[0, 2], [2, 5]] },
    { B: 3, threads: 3, want: [[0, 1], [1, 2], [2, 3]] },
    { B: 1, threads: 2, want: [[0, 1]] }, // fewer rows than ranks: fewer ranks
    { B: 2, threads: 4, want: [[0, 1], [1, 2]] },
    { B: 7, threads: 1, want: [[0, 7]] },
  ])('B=$B over $threads threads', ({ B, threads, want }) => {
    expect(rowRanges(B, threads)).toEqual(want);
  });
});

describe.for([
  { threads: 2, B: 2, freezeEmbeddings: false, trainLast: null },
  { threads: 3, B: 4, freezeEmbeddings: false, trainLast: null },
  { threads: 2, B: 3, freezeEmbeddings: true, trainLast: 1 },
])('DataParallel, $threads threads, B=$B, freeze $freezeEmbeddings, last $trainLast', ({ threads, B, freezeEmbeddings, trainLast }) => {
  test('gradients and Σ −log p equal one thread\'s; parameter changes reach the workers; no tensor leaks on any rank', async () => {
    const selection = { freezeEmbeddings, trainLast };
    const store = randomStore(MICRO, 7);
    store.shareMemory();
    expect([...store.data.values()].every(isShared)).toBe(true);
    const model = new TrainModel(store, selection);
    const names = model.trainableNames();
    const zeros = (): Map<string, Float32Array> => new Map(names.map((n) => [n, new Float32Array(store.data.get(n)!.length)]));
    const dp = await DataParallel.start({ threads, workerUrl, store, trainable: names, selection, keptBlocks: 0 });
    try {
      const batches = [randomBatch(B, 6, 1), randomBatch(B, 6, 2)];
      const scale = 1 / (2 * B * 6);
      let rank0Tensors = -1;
      let workerTensors: number[] = [];
      for (let step = 0; step < 3; step++) {
        const one = zeros();
        let nllOne = 0;
        for (const b of batches) nllOne += model.accumulateGradients(b, one, scale);
        const many = zeros();
        const nllMany = await dp.gradients(batches, model, many, scale);
        expect(Math.abs(nllMany - nllOne) / nllOne).toBeLessThan(1e-5);
        expect(relErr(many, one)).toBeLessThan(1e-5);
        // An update on rank 0 in place, then told to the workers: the next step must see it everywhere.
        for (const n of names) {
          const d = store.data.get(n)!;
          const g = one.get(n)!;
          for (let i = 0; i < d.length; i++) d[i] -= 0.5 * g[i];
          store.changed(n);
        }
        dp.changed(names);
        const now = await dp.workerTensors();
        expect(now).toHaveLength(threads - 1);
        if (step > 0) {
          expect(tf.memory().numTensors).toBe(rank0Tensors);
          expect(now).toEqual(workerTensors);
        }
        rank0Tensors = tf.memory().numTensors;
        workerTensors = now;
      }
    } finally {
      await dp.dispose();
      model.dispose();
      store.releaseTensors();
    }
    expect(liveRankWorkers()).toBe(0);
  });
});

test('sliceRows is a view of whole rows', () => {
  const b = randomBatch(3, 4, 9);
  const s = sliceRows(b, 1, 3);
  expect(s).toMatchObject({ B: 2, T: 4 });
  expect([...s.tokens]).toEqual([...b.tokens.subarray(5, 15)]);
});

test('DataParallel refuses a store that is not in shared memory', async () => {
  const store = randomStore(MICRO, 1);
  await expect(DataParallel.start({ threads: 2, workerUrl, store, trainable: [], selection: { freezeEmbeddings: false, trainLast: null }, keptBlocks: 0 })).rejects.toThrow(
    /wte\.weight is not in shared memory/,
  );
  expect(liveRankWorkers()).toBe(0);
});

// Whole runs with worker threads: minutes when the machine is shared with other jobs.
describe('runTraining with threads', { timeout: 300_000 }, () => {
  test('threads 2 gives the one-thread losses (1e-5 relative), the same curve twice, and resume reproduces it', async () => {
    await withStory(async (dir, base) => {
      const opts = { ...base, steps: 3, accum: 2, checkpointEvery: 2, valEvery: 2 };
      const one = await runTraining({ ...opts, outDir: path.join(dir, 'one') });
      const two = await runTraining({ ...opts, outDir: path.join(dir, 'two'), threads: 2 }, { rankWorkerUrl: workerUrl });
      const again = await runTraining({ ...opts, outDir: path.join(dir, 'again'), threads: 2 }, { rankWorkerUrl: workerUrl });
      expect(two.losses.map((l) => l.step)).toEqual([1, 2, 3]);
      two.losses.forEach((l, i) => expect(Math.abs(l.loss - one.losses[i].loss) / one.losses[i].loss).toBeLessThan(1e-5));
      expect(again.losses).toEqual(two.losses);

      const ac = new AbortController();
      const first = await runTraining(
        { ...opts, outDir: path.join(dir, 'b'), threads: 2 },
        { rankWorkerUrl: workerUrl, signal: ac.signal, onEvent: (e) => e.type === 'checkpoint' && e.step === 2 && ac.abort() },
      );
      expect(first.reason).toBe('cancelled');
      expect(liveRankWorkers()).toBe(0); // cancel stops the workers
      const rest = await runTraining({ ...opts, outDir: path.join(dir, 'b'), threads: 2, resume: true }, { rankWorkerUrl: workerUrl });
      expect([...first.losses, ...rest.losses]).toEqual(two.losses);
      expect(liveRankWorkers()).toBe(0);
    });
  });

  test('out of memory in rank 1 halves the micro-batch through the usual policy', async () => {
    await withStory(async (_dir, base) => {
      const events: TrainEvent[] = [];
      const before = tf.memory().numTensors;
      const r = await runTraining({ ...base, steps: 2, batch: 4, threads: 2 }, {
        rankWorkerUrl: workerUrl,
        rankFault: { rank: 1, kind: 'throw', message: 'Failed to allocate memory: out of memory', minRows: 2 },
        onEvent: (e) => events.push(e),
      });
      expect(r.reason).toBe('completed');
      const warnings = events.filter((e) => e.type === 'warning' && e.code === 'out-of-memory');
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings[0])).toMatch(/micro-batch 2 × 2 accumulation steps/);
      expect(tf.memory().numTensors).toBe(before);
      expect(liveRankWorkers()).toBe(0);
    });
  });

  test.for([
    { kind: 'throw' as const, want: /data-parallel: rank 1: the rank broke/ },
    { kind: 'exit' as const, want: /data-parallel: rank 1 exited \(code 3\)/ },
  ])('a rank that fails ($kind) fails the run naming the rank, and no worker is left', async ({ kind, want }) => {
    await withStory(async (_dir, base) => {
      const before = tf.memory().numTensors;
      const run = runTraining({ ...base, steps: 2, batch: 2, threads: 2 }, { rankWorkerUrl: workerUrl, rankFault: { rank: 1, kind, message: 'the rank broke', minRows: 1 } });
      await expect(run).rejects.toThrow(want);
      if (kind === 'exit') await expect(run).rejects.toBeInstanceOf(RankCrashedError);
      expect(tf.memory().numTensors).toBe(before);
      expect(liveRankWorkers()).toBe(0);
    });
  });

  test('threads above the micro-batch use fewer ranks; a missing worker bundle is a clear error', async () => {
    await withStory(async (dir, base) => {
      const r = await runTraining({ ...base, steps: 1, batch: 1, threads: 4 });
      expect(r.reason).toBe('completed'); // one row: rank 0 alone, no bundle needed
      await expect(runTraining({ ...base, outDir: path.join(dir, 'x'), steps: 1, threads: 2 }, { rankWorkerUrl: undefined })).rejects.toThrow(/threads 2 needs the rank worker bundle/);
      await expect(runTraining({ ...base, outDir: path.join(dir, 'y'), steps: 1, threads: 0 })).rejects.toThrow(/threads must be a whole number from 1 to 64, got 0/);
    });
  });
});
