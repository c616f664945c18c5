import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../../main/engine/backend';
import { GPT2 } from '../../../main/engine/gpt2';
import type { SourceTensor } from '../../../main/engine/gpt2-weights';
import { argmax, FIXTURE_MODELS as MODELS, greedy, loadVariant } from './fixture-weights';
import { disposeCache } from '../../../main/engine/kv-cache';
import type { ModelConfig } from '../../../main/engine/model-config';
import type { KVCache } from '../../../main/engine/types';

const REFERENCE = JSON.parse(readFileSync('tests/fixtures/reference/tiny.json', 'utf8')) as {
  recipe: string;
  cases: {
    ids: number[];
    lastLogitsHead: number[];
    lastArgmax: number;
    lastLogsumexp: number;
    lastLogitsMaxAbs: number;
    nllSum: number;
    greedy: number[];
  }[];
};

function rows2d(t: tf.Tensor): number[][] {
  return t.arraySync() as number[][];
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function logsumexp(row: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i] - max);
  return max + Math.log(s);
}

/** Last-position logits of one row, then the cache is dropped. */
function lastLogits(model: GPT2, ids: number[]): Float32Array {
  const { logits, cache } = model.forward([ids], null);
  const out = logits.dataSync() as Float32Array;
  logits.dispose();
  disposeCache(cache);
  return out;
}

let config: ModelConfig;
let tensors: Map<string, SourceTensor>;
let model: GPT2;

beforeAll(async () => {
  await initBackend('wasm');
  ({ config, tensors } = await loadVariant('tiny'));
  model = GPT2.fromTensors(config, tensors, 'tiny/model.safetensors');
});
afterAll(() => model?.dispose());

describe('against the PyTorch reference (tests/fixtures/reference/tiny.json)', () => {
  test('the reference was made from these fixtures', () => {
    const recipe = readFileSync(path.join(MODELS, 'tiny', '.recipe'), 'utf8');
    expect(REFERENCE.recipe, 'fixtures changed: re-run tests/fixtures/torch_reference.py').toBe(recipe);
  });

  test.for(REFERENCE.cases.map((c, i) => ({ ...c, name: `case ${i} (${c.ids.length} tokens)` })))('$name: last-position logits', (ref) => {
    const row = lastLogits(model, ref.ids);
    const tol = 1e-4 * ref.lastLogitsMaxAbs;
    expect(maxAbsDiff(row.subarray(0, ref.lastLogitsHead.length), ref.lastLogitsHead)).toBeLessThan(tol);
    expect(argmax(row)).toBe(ref.lastArgmax);
    expect(Math.abs(logsumexp(row) - ref.lastLogsumexp)).toBeLessThan(1e-4 * Math.abs(ref.lastLogsumexp));
  });

  test.for(REFERENCE.cases.map((c, i) => ({ ...c, name: `case ${i} (${c.ids.length} tokens)` })))('$name: NLL over all positions', (ref) => {
    const { logits, cache } = model.forward([ref.ids], null, { allPositions: true });
    expect(logits.shape).toEqual([1, ref.ids.length, config.vocabSize]);
    const all = (logits.arraySync() as number[][][])[0];
    tf.dispose(logits);
    disposeCache(cache);
    let nll = 0;
    for (let t = 0; t + 1 < ref.ids.length; t++) nll += logsumexp(all[t]) - all[t][ref.ids[t + 1]];
    expect(Math.abs(nll - ref.nllSum)).toBeLessThanOrEqual(1e-4 * Math.max(1, ref.nllSum));
  });

  test.for(REFERENCE.cases.map((c, i) => ({ ...c, name: `case ${i} (${c.ids.length} tokens)` })))('$name: greedy decoding with the KV cache', (ref) => {
    expect(greedy(model, ref.ids, ref.greedy.length)).toEqual(ref.greedy);
  });
});

describe('KV cache and batches', () => {
  const ids = REFERENCE.cases[2].ids; // 40 tokens

  test('prefill + one-token decode steps equal a full recompute at every step', () => {
    let { logits, cache } = model.forward([ids.slice(0, 5)], null);
    for (let t = 5; t <= ids.length; t++) {
      expect(cache.length).toBe(t);
      expect(maxAbsDiff(logits.dataSync(), lastLogits(model, ids.slice(0, t)))).toBeLessThan(1e-5);
      logits.dispose();
      if (t === ids.length) break;
      const step = model.forward([[ids[t]]], cache);
      disposeCache(cache);
      ({ logits, cache } = step);
    }
    logits.dispose();
    disposeCache(cache);
  });

  test('a multi-token chunk after a cache equals a full recompute (the causal mask is offset)', () => {
    const a = model.forward([ids.slice(0, 17)], null);
    const b = model.forward([ids.slice(17, 30)], a.cache, { allPositions: true });
    const full = model.forward([ids.slice(0, 30)], null, { allPositions: true });
    const tail = tf.slice(full.logits, [0, 17, 0], [1, 13, -1]);
    expect(maxAbsDiff(b.logits.dataSync(), tail.dataSync())).toBeLessThan(1e-5);
    expect(b.cache.length).toBe(30);
    tf.dispose([a.logits, b.logits, full.logits, tail]);
    [a.cache, b.cache, full.cache].forEach(disposeCache);
  });

  test('a batch of 3 rows equals 3 single runs, for prefill and for a decode step', () => {
    const rows = [ids.slice(0, 8), ids.slice(10, 18), REFERENCE.cases[0].ids.slice(0, 8)];
    const batch = model.forward(rows, null);
    expect(batch.logits.shape).toEqual([3, config.vocabSize]);
    expect(batch.cache.batch).toBe(3);
    const nexts = [11, 22, 33];
    const step = model.forward(nexts.map((n) => [n]), batch.cache);
    const batchRows = rows2d(batch.logits);
    const stepRows = rows2d(step.logits);
    rows.forEach((row, r) => {
      expect(maxAbsDiff(batchRows[r], lastLogits(model, row))).toBeLessThan(1e-5);
      expect(maxAbsDiff(stepRows[r], lastLogits(model, [...row, nexts[r]]))).toBeLessThan(1e-5);
    });
    tf.dispose([batch.logits, step.logits]);
    disposeCache(batch.cache);
    disposeCache(step.cache);
  });

  test('many rows at once (the batched attention path: B·H > 48) equal single runs', () => {
    const rows = Array.from({ length: 13 }, (_, r) => ids.slice(r, r + 9));
    const batch = model.forward(rows, null);
    const got = rows2d(batch.logits);
    for (const r of [0, 7, 12]) expect(maxAbsDiff(got[r], lastLogits(model, rows[r]))).toBeLessThan(1e-5);
    tf.dispose(batch.logits);
    disposeCache(batch.cache);
  });

  test('the input cache is left untouched and still usable', () => {
    const a = model.forward([ids.slice(0, 6)], null);
    const b1 = model.forward([[ids[6]]], a.cache);
    const b2 = model.forward([[ids[6]]], a.cache);
    expect(a.cache.length).toBe(6);
    expect(maxAbsDiff(b1.logits.dataSync(), b2.logits.dataSync())).toBe(0);
    tf.dispose([a.logits, b1.logits, b2.logits]);
    [a.cache, b1.cache, b2.cache].forEach(disposeCache);
  });

  test('numTensors is flat over 100 forward calls', () => {
    const warm = model.forward([ids.slice(0, 4)], null);
    tf.dispose(warm.logits);
    let cache: KVCache = warm.cache;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      if (cache.length >= config.nPositions) {
        disposeCache(cache);
        const again = model.forward([ids.slice(0, 4)], null);
        tf.dispose(again.logits);
        cache = again.cache;
      }
      const step = model.forward([[ids[i % ids.length]]], cache);
      step.logits.dispose();
      disposeCache(cache);
      cache = step.cache;
    }
    expect(tf.memory().numTensors).toBe(before);
    disposeCache(cache);
  });
});

describe('fixture variants and weight layouts', () => {
  test.for(['tiny-noprefix', 'tiny-f16', 'tiny-untied'])('%s gives the same logits as tiny', async (name) => {
    const v = await loadVariant(name);
    const other = GPT2.fromTensors(v.config, v.tensors, name);
    const ids = REFERENCE.cases[0].ids;
    expect(maxAbsDiff(lastLogits(other, ids), lastLogits(model, ids))).toBe(0);
    other.dispose();
  });

  test('an untied lm_head is used (lm_head = 2·wte doubles every logit)', () => {
    const wte = tensors.get('transformer.wte.weight')!;
    const lm = { shape: wte.shape, data: wte.data.map((x) => 2 * x) };
    const untied = GPT2.fromTensors(config, new Map([...tensors, ['lm_head.weight', lm]]));
    expect(untied.tiedLmHead).toBe(false);
    expect(model.tiedLmHead).toBe(true);
    const ids = REFERENCE.cases[3].ids;
    const a = lastLogits(untied, ids);
    const b = lastLogits(model, ids);
    expect(maxAbsDiff(a, b.map((x) => 2 * x))).toBeLessThan(1e-6);
    untied.dispose();
  });

  test('parameter count matches the config', () => {
    const C = 64;
    expect(model.parameterCount).toBe(50257 * C + 128 * C + 2 * (12 * C * C + 13 * C) + 2 * C);
  });

  test('exact gelu ("gelu") is a different, close function', () => {
    const exact = GPT2.fromTensors({ ...config, activation: 'gelu' }, tensors);
    const ids = REFERENCE.cases[0].ids;
    const d = maxAbsDiff(lastLogits(exact, ids), lastLogits(model, ids));
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(1e-2);
    exact.dispose();
  });
});

describe('strict weights', () => {
  const without = (name: string): Map<string, SourceTensor> => {
    const m = new Map(tensors);
    m.delete(name);
    return m;
  };
  const replaced = (name: string, t: SourceTensor): Map<string, SourceTensor> => new Map([...tensors, [name, t]]);

  test.for([
    { what: 'a missing tensor', src: () => without('transformer.h.1.mlp.c_fc.bias'), err: /missing tensor h\.1\.mlp\.c_fc\.bias/ },
    {
      what: 'a wrong shape',
      src: () => replaced('transformer.h.0.attn.c_attn.weight', { shape: [192, 64], data: new Float32Array(192 * 64) }),
      err: /tensor transformer\.h\.0\.attn\.c_attn\.weight has shape \[192, 64\], expected \[64, 192\]/,
    },
    {
      what: 'wte rows != vocab_size',
      src: () => replaced('transformer.wte.weight', { shape: [50000, 64], data: new Float32Array(50000 * 64) }),
      err: /transformer\.wte\.weight has shape \[50000, 64\], expected \[50257, 64\]/,
    },
    {
      what: 'NaN in one ln_f element',
      src: () => replaced('transformer.ln_f.bias', { shape: [64], data: Float32Array.from({ length: 64 }, (_, i) => (i === 7 ? NaN : 0)) }),
      err: /tensor transformer\.ln_f\.bias holds NaN at flat index 7/,
    },
    {
      what: 'Inf in wpe',
      src: () => replaced('transformer.wpe.weight', { shape: [128, 64], data: new Float32Array(128 * 64).fill(-Infinity) }),
      err: /transformer\.wpe\.weight holds -Infinity at flat index 0/,
    },
    {
      what: 'a wrong-shaped lm_head',
      src: () => replaced('lm_head.weight', { shape: [64, 50257], data: new Float32Array(64 * 50257) }),
      err: /lm_head\.weight has shape \[64, 50257\], expected \[50257, 64\]/,
    },
  ])('$what is refused at load, allocating nothing', ({ src, err }) => {
    const before = tf.memory().numTensors;
    expect(() => GPT2.fromTensors(config, src(), 'x.safetensors')).toThrow(err);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('forward input checks', () => {
  test.for([
    { what: 'no rows', ids: [] as number[][], err: /ids has no rows/ },
    { what: 'empty rows', ids: [[]], err: /rows are empty/ },
    { what: 'ragged rows', ids: [[1, 2], [3]], err: /row 1 has 1 tokens, row 0 has 2/ },
    { what: 'an id past the vocabulary', ids: [[1, 50257]], err: /token 50257 at row 0, position 1/ },
    { what: 'a negative id', ids: [[-1]], err: /token -1 at row 0, position 0/ },
    { what: 'a fractional id', ids: [[1.5]], err: /token 1\.5/ },
    { what: 'more tokens than positions', ids: [Array.from({ length: 129 }, () => 1)], err: /0 cached \+ 129 new tokens exceed the context of 128/ },
  ])('$what is a clear error and leaks nothing', ({ ids, err }) => {
    const before = tf.memory().numTensors;
    expect(() => model.forward(ids, null)).toThrow(err);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('cache + new tokens beyond nPositions is a clear error; exactly nPositions works', () => {
    const a = model.forward([Array.from({ length: 127 }, (_, i) => i)], null);
    expect(() => model.forward([[1, 2]], a.cache)).toThrow(/127 cached \+ 2 new tokens exceed the context of 128 positions/);
    const b = model.forward([[1]], a.cache);
    expect(b.cache.length).toBe(128);
    tf.dispose([a.logits, b.logits]);
    disposeCache(a.cache);
    disposeCache(b.cache);
  });

  test('a cache with another batch size, or a disposed cache, is refused', () => {
    const a = model.forward([[1, 2], [3, 4]], null);
    expect(() => model.forward([[5]], a.cache)).toThrow(/cache has 2 rows, ids has 1; use selectRows/);
    tf.dispose(a.logits);
    disposeCache(a.cache);
    expect(() => model.forward([[5], [6]], a.cache)).toThrow(/the cache was disposed/);
  });

  test('load, first prefill, decode and dispose leave no tensor behind', () => {
    const before = tf.memory().numTensors;
    const m = GPT2.fromTensors(config, tensors);
    expect(tf.memory().numTensors - before).toBe(2 * 12 + 4); // tied: no separate wte
    const a = m.forward([[1, 2, 3]], null);
    const b = m.forward([[4]], a.cache);
    tf.dispose([a.logits, b.logits]);
    disposeCache(a.cache);
    disposeCache(b.cache);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a disposed model says so', () => {
    const m = GPT2.fromTensors(config, tensors);
    m.dispose();
    m.dispose();
    expect(() => m.forward([[1]], null)).toThrow(/the model was disposed/);
  });
});

describe('backends agree', () => {
  test('the pure-JS cpu backend gives the wasm logits', async () => {
    const ids = REFERENCE.cases[0].ids;
    const wasmRow = lastLogits(model, ids);
    await initBackend('cpu');
    const cpuModel = GPT2.fromTensors(config, tensors);
    expect(maxAbsDiff(lastLogits(cpuModel, ids), wasmRow)).toBeLessThan(1e-5);
    cpuModel.dispose();
    await initBackend('wasm');
  });
});

describe('consume', () => {
  test('consume empties the source map as it uploads; the default leaves it whole', () => {
    const copy = new Map(tensors);
    const m = GPT2.fromTensors(config, copy, 'copy', { consume: true });
    expect(copy.size).toBe(0);
    expect(tensors.size).toBeGreaterThan(0);
    const ids = REFERENCE.cases[0].ids;
    expect(maxAbsDiff(lastLogits(m, ids), lastLogits(model, ids))).toBe(0);
    m.dispose();
  });
});
