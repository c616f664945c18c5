import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../main/engine/backend';
import { cacheBytes, disposeCache, makeCache, selectRows, sliceCache } from '../../../main/engine/kv-cache';
import type { KVCache } from '../../../main/engine/types';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A 2-layer cache of B rows, 2 heads, T positions, headDim 3, where value = layer·1000 + row·100 + pos·10 + (k ? 0 : 5). */
function fakeCache(B: number, T: number): KVCache {
  const make = (l: number, isK: boolean): tf.Tensor4D =>
    tf.tensor4d(
      Array.from({ length: B * 2 * T * 3 }, (_, i) => {
        const row = Math.floor(i / (2 * T * 3));
        const pos = Math.floor(i / 3) % T;
        return l * 1000 + row * 100 + pos * 10 + (isK ? 0 : 5);
      }),
      [B, 2, T, 3],
    );
  return makeCache([0, 1].map((l) => ({ k: make(l, true), v: make(l, false) })));
}

/** The distinct (row, pos) tags held by layer `l`'s k, per row. */
function tags(cache: KVCache, l = 0, which: 'k' | 'v' = 'k'): number[][] {
  const a = cache.layers[l][which].arraySync();
  return a.map((row) => row[0].map((pos) => pos[0] - l * 1000 - (which === 'k' ? 0 : 5)));
}

describe('kv-cache helpers', () => {
  test('selectRows reorders, repeats and drops rows in every layer, for k and v', () => {
    const c = fakeCache(3, 2);
    const s = selectRows(c, [2, 0, 0, 2]);
    expect(s.batch).toBe(4);
    expect(s.length).toBe(2);
    for (const l of [0, 1]) {
      for (const w of ['k', 'v'] as const) expect(tags(s, l, w)).toEqual([[200, 210], [0, 10], [0, 10], [200, 210]]);
    }
    disposeCache(c);
    // The result owns its tensors: it outlives its input.
    expect(tags(s)).toEqual([[200, 210], [0, 10], [0, 10], [200, 210]]);
    disposeCache(s);
  });

  test('selectRows repeats one prompt row into n rows', () => {
    const c = fakeCache(1, 3);
    const s = selectRows(c, [0, 0, 0]);
    expect(tags(s)).toEqual([[0, 10, 20], [0, 10, 20], [0, 10, 20]]);
    [c, s].forEach(disposeCache);
  });

  test('selectRows keeps a single row, and works on a single-row cache', () => {
    const c = fakeCache(3, 2);
    const one = selectRows(c, [1]);
    expect(one.batch).toBe(1);
    expect(tags(one, 1, 'v')).toEqual([[100, 110]]);
    const again = selectRows(one, [0]);
    disposeCache(c);
    disposeCache(one);
    expect(tags(again)).toEqual([[100, 110]]);
    disposeCache(again);
  });

  test('the identity selection returns an independent copy', () => {
    const c = fakeCache(2, 2);
    const s = selectRows(c, [0, 1]);
    disposeCache(c);
    expect(tags(s)).toEqual([[0, 10], [100, 110]]);
    disposeCache(s);
  });

  test('sliceCache keeps the first positions', () => {
    const c = fakeCache(2, 4);
    const s = sliceCache(c, 3);
    expect(s.length).toBe(3);
    expect(tags(s, 1, 'v')).toEqual([[0, 10, 20], [100, 110, 120]]);
    const whole = sliceCache(c, 4);
    disposeCache(c);
    expect(whole.length).toBe(4);
    expect(tags(whole)).toEqual([[0, 10, 20, 30], [100, 110, 120, 130]]);
    [s, whole].forEach(disposeCache);
  });

  test.for([
    { what: 'an empty selection', run: (c: KVCache) => selectRows(c, []), err: /at least one row/ },
    { what: 'a row past the end', run: (c: KVCache) => selectRows(c, [0, 2]), err: /row 2 is out of range for a cache of 2 rows/ },
    { what: 'a negative row', run: (c: KVCache) => selectRows(c, [-1]), err: /row -1 is out of range/ },
    { what: 'slicing to 0', run: (c: KVCache) => sliceCache(c, 0), err: /cannot keep 0 positions of a cache of 3/ },
    { what: 'slicing past the end', run: (c: KVCache) => sliceCache(c, 4), err: /cannot keep 4 positions/ },
  ])('$what is a clear error that leaks nothing', ({ run, err }) => {
    const c = fakeCache(2, 3);
    const before = tf.memory().numTensors;
    expect(() => run(c)).toThrow(err);
    expect(tf.memory().numTensors).toBe(before);
    disposeCache(c);
  });

  test('cacheBytes counts k and v of every layer as float32', () => {
    const c = fakeCache(3, 5);
    expect(cacheBytes(c)).toBe(2 * 2 * (3 * 2 * 5 * 3) * 4);
    disposeCache(c);
  });

  test('makeCache refuses layers that disagree', () => {
    const a = tf.zeros([1, 2, 3, 4]) as tf.Tensor4D;
    const b = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D;
    expect(() => makeCache([{ k: a, v: b }])).toThrow(/layer 0 has k \[1,2,3,4\] and v \[1,2,2,4\]/);
    expect(() => makeCache([])).toThrow(/at least one layer/);
    tf.dispose([a, b]);
  });

  test('helpers leave tensor counts flat over 100 rounds; disposing twice is harmless', () => {
    const c = fakeCache(2, 4);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const s = selectRows(c, [1, 0, 1]);
      const t = sliceCache(s, 2);
      disposeCache(s);
      disposeCache(t);
      disposeCache(t);
    }
    disposeCache(null);
    expect(tf.memory().numTensors).toBe(before);
    disposeCache(c);
  });
});
