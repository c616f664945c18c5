import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorker } from '../helpers/bundle-worker';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { initBackend } from '../../../main/engine/backend';
import { GPT2 } from '../../../main/engine/gpt2';
import type { SourceTensor } from '../../../main/engine/gpt2-weights';
import { FIXTURE_MODELS as MODELS, greedy, loadVariant } from './fixture-weights';
import { cacheBytes, cloneCache, disposeCache, makeCache, selectRows, sliceCache } from '../../../main/engine/kv-cache';
import { cloneCache as prefixCloneCache } from '../../../main/engine/prefix-cache';
import type { ModelConfig } from '../../../main/engine/model-config';
import { loadModelFolder } from '../../../main/engine/model-loader';
import { generate } from '../../../main/engine/generate';
import { Gpt2Tokenizer } from '../../../main/engine/tokenizer';
import { ParallelGPT2 } from '../../../main/engine/parallel/parallel-model';
import type { KVCache } from '../../../main/engine/types';

const REFERENCE = JSON.parse(readFileSync('tests/fixtures/reference/tiny.json', 'utf8')) as {
  cases: { ids: number[]; lastArgmax: number; greedy: number[] }[];
};

let dir: string;
let workerUrl: string;

/** max |a - b| / max |b|: the relative error of a whole logits tensor. */
function relErr(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}

/** Runs the same calls on both models and checks every logits tensor agrees to 1e-5 relative. */
function same(a: { logits: tf.Tensor; cache: KVCache }, b: { logits: tf.Tensor; cache: KVCache }): void {
  expect(relErr(a.logits, b.logits)).toBeLessThan(1e-5);
  expect(a.cache.length).toBe(b.cache.length);
  expect(a.cache.batch).toBe(b.cache.batch);
  tf.dispose([a.logits, b.logits]);
}

beforeAll(async () => {
  ({ dir, file: workerUrl } = await bundleWorker('main/engine/parallel/rank-worker.ts', 'inkwell-parallel-'));
  await initBackend('wasm');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.for(['tiny', 'tiny-untied'])('%s: two ranks give the one-thread logits', (variant) => {
  let single: GPT2;
  let parallel: ParallelGPT2;
  beforeAll(async () => {
    const { config, tensors } = await loadVariant(variant);
    single = GPT2.fromTensors(config, tensors, variant);
    parallel = await ParallelGPT2.create(config, tensors, variant, { workerUrl, timeoutMs: 10_000 });
  });
  afterAll(() => {
    single?.dispose();
    parallel?.dispose();
  });

  test.for(REFERENCE.cases.map((c, i) => ({ ...c, name: `case ${i} (${c.ids.length} tokens)` })))('$name: prefill, all positions, greedy ids', (ref) => {
    const p = parallel.forward([ref.ids], null);
    const s = single.forward([ref.ids], null);
    same(p, s);
    [p.cache, s.cache].forEach(disposeCache);
    const a = parallel.forward([ref.ids], null, { allPositions: true });
    const b = single.forward([ref.ids], null, { allPositions: true });
    expect(a.logits.shape).toEqual([1, ref.ids.length, single.config.vocabSize]);
    same(a, b);
    [a.cache, b.cache].forEach(disposeCache);
    if (variant === 'tiny') expect(greedy(parallel, ref.ids, ref.greedy.length)).toEqual(ref.greedy);
    else expect(greedy(parallel, ref.ids, 20)).toEqual(greedy(single, ref.ids, 20));
  });

  test('a chunk after a cache, batches, selectRows, sliceCache and cloneCache match', () => {
    const ids = REFERENCE.cases[2].ids;
    const rows = [ids.slice(0, 12), ids.slice(20, 32)];
    const p = parallel.forward(rows, null);
    const s = single.forward(rows, null);
    same({ logits: p.logits, cache: p.cache }, { logits: s.logits, cache: s.cache });
    expect(cacheBytes(p.cache)).toBe(cacheBytes(s.cache));
    // Beam-style reorder, prefix-style slice and clone, then a 5-token chunk on each.
    const ops: [string, (c: KVCache) => KVCache, number][] = [
      ['selectRows [1, 0, 1]', (c) => selectRows(c, [1, 0, 1]), 3],
      ['sliceCache 7', (c) => sliceCache(c, 7), 2],
      ['cloneCache', (c) => cloneCache(c), 2],
    ];
    for (const [, op, batch] of ops) {
      const pc = op(p.cache);
      const sc = op(s.cache);
      const next = Array.from({ length: batch }, (_, r) => ids.slice(33 + r, 38 + r));
      const pn = parallel.forward(next, pc, { allPositions: true });
      const sn = single.forward(next, sc, { allPositions: true });
      same(pn, sn);
      [pc, sc, pn.cache, sn.cache].forEach(disposeCache);
    }
    [p.cache, s.cache].forEach(disposeCache);
  });

  test.for([
    { name: 'beam search (selectRows every step)', options: { numBeams: 3, n: 2, maxTokens: 8 } },
    { name: 'two sampled alternatives (repeated rows, dropped rows)', options: { n: 2, maxTokens: 8, temperature: 0.9, seed: 7 } },
  ])('generate: $name gives the one-thread result', async ({ options }) => {
    const tokenizer = await Gpt2Tokenizer.fromFiles(path.join(MODELS, variant, 'vocab.json'), path.join(MODELS, variant, 'merges.txt'));
    const ids = REFERENCE.cases[0].ids;
    const before = tf.memory().numTensors;
    const before1 = await parallel.rankOneStats();
    const a = await generate(parallel, tokenizer, ids, options);
    const b = await generate(single, tokenizer, ids, options);
    expect(a.alternatives.map((x) => x.ids)).toEqual(b.alternatives.map((x) => x.ids));
    expect(tf.memory().numTensors).toBe(before);
    expect(await parallel.rankOneStats()).toEqual(before1);
  });

  test('numTensors is flat on both ranks over 100 decode steps', async () => {
    const ids = REFERENCE.cases[2].ids;
    const warm = parallel.forward([ids.slice(0, 4)], null);
    warm.logits.dispose();
    disposeCache(warm.cache);
    const before0 = tf.memory().numTensors;
    const before1 = await parallel.rankOneStats();
    let { logits, cache } = parallel.forward([ids.slice(0, 4)], null);
    for (let i = 0; i < 100; i++) {
      logits.dispose();
      if (cache.length >= single.config.nPositions) {
        disposeCache(cache);
        ({ logits, cache } = parallel.forward([ids.slice(0, 4)], null));
        logits.dispose();
      }
      const step = parallel.forward([[ids[i % ids.length]]], cache);
      disposeCache(cache);
      ({ logits, cache } = step);
    }
    logits.dispose();
    disposeCache(cache);
    expect(tf.memory().numTensors).toBe(before0);
    expect(await parallel.rankOneStats()).toEqual(before1);
  });
});

describe('failures', () => {
  let config: ModelConfig;
  let tensors: Map<string, SourceTensor>;
  beforeAll(async () => {
    ({ config, tensors } = await loadVariant('tiny'));
  });

  test('a cache without rank 1 heads is refused with a clear error', async () => {
    const model = await ParallelGPT2.create(config, tensors, 'tiny', { workerUrl, timeoutMs: 10_000 });
    const { logits, cache } = model.forward([[1, 2, 3]], null);
    logits.dispose();
    const bare = makeCache(cache.layers); // what a helper that ignores KVCache.remote would make
    expect(() => model.forward([[4]], bare)).toThrow(/lacks rank 1 heads/);
    disposeCache(cache);
    model.dispose();
  });

  test('an error inside rank 1 surfaces at once, and the next forward works', async () => {
    const model = await ParallelGPT2.create(config, tensors, 'tiny', { workerUrl, timeoutMs: 20_000 });
    const { logits, cache } = model.forward([[1, 2, 3]], null);
    logits.dispose();
    cache.remote!.dispose(); // rank 1 no longer has this cache; rank 0 still does
    const t0 = performance.now();
    expect(() => model.forward([[4]], cache)).toThrow(/rank 1: .*no cache/);
    expect(performance.now() - t0).toBeLessThan(5_000);
    disposeCache(cache);
    const again = model.forward([[1, 2, 3]], null);
    expect(again.logits.shape).toEqual([1, config.vocabSize]);
    again.logits.dispose();
    disposeCache(again.cache);
    expect(await model.rankOneStats()).toMatchObject({ caches: 0 });
    model.dispose();
  });

  test('an error inside rank 0 mid-pass releases rank 1, and the next forward works at once', async () => {
    const model = await ParallelGPT2.create(config, tensors, 'tiny', { workerUrl, timeoutMs: 20_000 });
    const { logits, cache } = model.forward([[1, 2, 3]], null);
    logits.dispose();
    cache.layers[1].k.dispose(); // rank 0 fails at layer 1, after rank 1 has started
    expect(() => model.forward([[4]], cache)).toThrow(/parallel.forward/);
    disposeCache(cache);
    const t0 = performance.now();
    const again = model.forward([[1, 2, 3, 4]], null);
    expect(performance.now() - t0).toBeLessThan(5_000);
    again.logits.dispose();
    disposeCache(again.cache);
    expect(await model.rankOneStats()).toMatchObject({ caches: 0 });
    model.dispose();
  });

  test('a rank worker that dies mid-call makes forward throw after the timeout, not hang', async () => {
    const model = await ParallelGPT2.create(config, tensors, 'tiny', { workerUrl, timeoutMs: 1_500 });
    const worker = (model as unknown as { worker: Worker }).worker;
    void worker.terminate(); // the exit event cannot run while forward blocks this thread
    expect(() => model.forward([[1, 2, 3]], null)).toThrow(/did not reach step|failed/);
    await model.exited();
    expect(() => model.forward([[1, 2, 3]], null)).toThrow(/exited/);
    model.dispose();
  });

  test('dispose terminates the rank worker', async () => {
    const model = await ParallelGPT2.create(config, tensors, 'tiny', { workerUrl });
    const exited = model.exited();
    model.dispose();
    await exited;
    expect(() => model.forward([[1]], null)).toThrow(/disposed|exited/);
  });

  test('a model with one head cannot be split', async () => {
    await expect(ParallelGPT2.create({ ...config, nHead: 1 }, tensors, 'tiny', { workerUrl })).rejects.toThrow(/1 attention head/);
  });
});

// Two threads need prefix-cache.ts to copy caches with kv-cache.ts's cloneCache (it keeps KVCache.remote).
const PREFIX_KEEPS_REMOTE = prefixCloneCache === cloneCache;

describe('the loader', () => {
  test.runIf(PREFIX_KEEPS_REMOTE)('INKWELL_THREADS=2 loads the parallel model, which decodes like the reference', async () => {
    const m = await loadModelFolder(path.join(MODELS, 'tiny'), { threads: '2', rankWorkerUrl: pathToFileURL(workerUrl) });
    expect(m.threads).toMatchObject({ threads: 2, reason: 'INKWELL_THREADS=2' });
    expect(m.model).toBeInstanceOf(ParallelGPT2);
    const ref = REFERENCE.cases[0];
    expect(greedy(m.model, ref.ids, ref.greedy.length)).toEqual(ref.greedy);
    m.model.dispose();
  });

  test.for([
    { name: 'INKWELL_THREADS=1', threads: '1', url: () => pathToFileURL(workerUrl), reason: /INKWELL_THREADS=1/ },
    {
      name: PREFIX_KEEPS_REMOTE ? 'a rank worker that cannot start' : 'a prefix cache that drops KVCache.remote',
      threads: '2',
      url: () => pathToFileURL(path.join(dir, 'missing.js')),
      reason: PREFIX_KEEPS_REMOTE ? /two threads failed/ : /prefix-cache/,
    },
  ])('$name: one thread, and the reason says why', async ({ threads, url, reason }) => {
    const m = await loadModelFolder(path.join(MODELS, 'tiny'), { threads, rankWorkerUrl: url() });
    expect(m.threads.threads).toBe(1);
    expect(m.threads.reason).toMatch(reason);
    expect(m.model).toBeInstanceOf(GPT2);
    m.model.dispose();
  });
});
