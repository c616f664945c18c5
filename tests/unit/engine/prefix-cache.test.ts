import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import path from 'node:path';
import { PrefixCache, sharedPrefix } from '../../../main/engine/prefix-cache';
import { cacheBytes, disposeCache, makeCache } from '../../../main/engine/kv-cache';
import { generate } from '../../../main/engine/generate';
import { loadModelFolder } from '../../../main/engine/model-loader';
import type { KVCache, LanguageModel } from '../../../main/engine/types';

const TINY = path.resolve('tests/fixtures/models/tiny');

/** A one-layer cache whose positions hold the token ids, so slices can be checked. */
function cacheOf(ids: readonly number[]): KVCache {
  const k = tf.tensor4d([...ids], [1, 1, ids.length, 1]);
  return makeCache([{ k, v: k.clone() }]);
}

const idsIn = (cache: KVCache): number[] => Array.from(cache.layers[0].k.dataSync());

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('sharedPrefix', () => {
  test.for([
    [[], [], 0],
    [[1, 2, 3], [1, 2, 3], 3],
    [[1, 2, 3], [1, 2], 2],
    [[1, 2, 3], [1, 9, 3], 1],
    [[5], [1], 0],
  ] as const)('%j vs %j -> %i', ([a, b, n]) => {
    expect(sharedPrefix(a, b)).toBe(n);
  });
});

describe('PrefixCache', () => {
  test('lookup gives the longest shared prefix, leaving one token to run, as an owned cache', () => {
    const before = tf.memory().numTensors;
    const pc = new PrefixCache();
    const stored = cacheOf([1, 2, 3, 4]);
    pc.insert([1, 2, 3, 4], stored);
    disposeCache(stored); // the prefix cache keeps its own clone
    const other = cacheOf([7, 8]);
    pc.insert([7, 8], other);
    disposeCache(other);
    const cases: [number[], number | null][] = [
      [[1, 2, 3, 4, 5, 6], 4],
      [[1, 2, 3, 4], 3],
      [[1, 2, 9], 2],
      [[7, 8, 9], 2],
      [[1], null],
      [[9, 9], null],
    ];
    for (const [ids, length] of cases) {
      const hit = pc.lookup(ids);
      expect(hit?.length ?? null).toBe(length);
      if (hit) {
        expect(idsIn(hit.cache)).toEqual(ids.slice(0, hit.length));
        disposeCache(hit.cache);
      }
    }
    pc.clear();
    expect(pc.size).toBe(0);
    expect(pc.bytes).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('memory stays bounded: least recently used entries go first and are disposed', () => {
    const before = tf.memory().numTensors;
    const probe = cacheOf([0, 0, 0, 0]);
    const one = cacheBytes(probe);
    disposeCache(probe);
    const pc = new PrefixCache(3 * one, 100);
    const owned: KVCache[] = [];
    for (let i = 0; i < 10; i++) {
      const c = cacheOf([i, i, i, i]);
      owned.push(c);
      pc.insert([i, i, i, i], c);
      if (i === 5) disposeCache(pc.lookup([0, 0, 0, 0, 1])?.cache); // too old: already gone
      expect(pc.bytes).toBeLessThanOrEqual(3 * one);
    }
    expect(pc.size).toBe(3);
    expect(pc.lookup([2, 2, 2, 2, 2])).toBeNull();
    const recent = pc.lookup([9, 9, 9, 9, 1]);
    expect(recent?.length).toBe(4);
    disposeCache(recent?.cache);
    owned.forEach(disposeCache);
    // Touching an entry protects it from the next eviction.
    const lru = new PrefixCache(2 * one, 100);
    for (const ids of [[1, 1, 1, 1], [2, 2, 2, 2]]) {
      const c = cacheOf(ids);
      lru.insert(ids, c);
      disposeCache(c);
    }
    disposeCache(lru.lookup([1, 1, 1, 1, 5])?.cache);
    const c3 = cacheOf([3, 3, 3, 3]);
    lru.insert([3, 3, 3, 3], c3);
    disposeCache(c3);
    expect(lru.lookup([2, 2, 2, 2, 5])).toBeNull();
    disposeCache(lru.lookup([1, 1, 1, 1, 5])?.cache);
    lru.clear();
    pc.clear();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('an entry extended by a newer prompt is replaced; oversized and batched caches are not stored', () => {
    const before = tf.memory().numTensors;
    const pc = new PrefixCache(1000, 8);
    for (const ids of [[1, 2], [1, 2, 3]]) {
      const c = cacheOf(ids);
      pc.insert(ids, c);
      disposeCache(c);
    }
    expect(pc.size).toBe(1);
    const big = cacheOf(Array.from({ length: 300 }, (_, i) => i));
    pc.insert(Array.from({ length: 300 }, (_, i) => i), big);
    disposeCache(big);
    expect(pc.size).toBe(1);
    pc.clear();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('prefix cache with generate (tiny GPT-2)', () => {
  test('an extended prompt prefills only its new tokens and greedy output is unchanged', async () => {
    const loaded = await loadModelFolder(TINY);
    const { model, tokenizer } = loaded;
    const seen: number[] = [];
    const spy: LanguageModel = {
      config: model.config,
      forward: (ids, cache, o) => {
        seen.push(ids[0].length);
        return model.forward(ids, cache, o);
      },
      dispose: () => model.dispose(),
    };
    try {
      const before = tf.memory().numTensors;
      const pc = new PrefixCache();
      const first = tokenizer.encode('The old lighthouse keeper climbed the stairs');
      const second = tokenizer.encode('The old lighthouse keeper climbed the stairs every night and');
      const a = await generate(spy, tokenizer, first, { greedy: true, maxTokens: 5 }, { prefixCache: pc });
      expect(a.cachedTokens).toBe(0);
      seen.length = 0;
      const b = await generate(spy, tokenizer, second, { greedy: true, maxTokens: 5 }, { prefixCache: pc });
      expect(b.cachedTokens).toBe(first.length);
      expect(seen[0]).toBe(second.length - first.length);
      const plain = await generate(model, tokenizer, second, { greedy: true, maxTokens: 5 });
      expect(b.alternatives).toEqual(plain.alternatives);
      // The same prompt again: all but its last token come from the cache.
      const c = await generate(spy, tokenizer, second, { greedy: true, maxTokens: 5 }, { prefixCache: pc });
      expect(c.cachedTokens).toBe(second.length - 1);
      expect(c.alternatives).toEqual(plain.alternatives);
      // Past the context, typing on at the end still hits the cache: the cut is chunked (128 / 16 = 8 tokens).
      const long = Array.from({ length: 149 }, (_, i) => 300 + i);
      const x = await generate(spy, tokenizer, long.slice(0, 145), { greedy: true, maxTokens: 10 }, { prefixCache: pc });
      const y = await generate(spy, tokenizer, long, { greedy: true, maxTokens: 10 }, { prefixCache: pc });
      expect([x.truncatedPromptTokens, y.truncatedPromptTokens]).toEqual([32, 32]);
      expect(y.cachedTokens).toBe(145 - 32);
      pc.clear();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });
});
