import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../main/engine/backend';
import { cacheBytes, cloneCache, disposeCache, makeCache, selectRows, sliceCache } from '../../../main/engine/kv-cache';
import type { KVCache, RemoteCachePart } from '../../../main/engine/types';

/** A RemoteCachePart that records what the helpers asked of it. */
class FakeRemote implements RemoteCachePart {
  disposed = 0;
  constructor(
    readonly log: string[],
    readonly name: string,
    readonly bytes: number,
  ) {}
  selectRows(rows: readonly number[]): RemoteCachePart {
    this.log.push(`${this.name}.selectRows(${rows.join()})`);
    return new FakeRemote(this.log, `${this.name}/rows`, this.bytes);
  }
  slice(length: number): RemoteCachePart {
    this.log.push(`${this.name}.slice(${length})`);
    return new FakeRemote(this.log, `${this.name}/slice`, this.bytes);
  }
  clone(): RemoteCachePart {
    this.log.push(`${this.name}.clone()`);
    return new FakeRemote(this.log, `${this.name}/clone`, this.bytes);
  }
  dispose(): void {
    this.disposed++;
    this.log.push(`${this.name}.dispose()`);
  }
}

function cacheWith(remote?: RemoteCachePart): KVCache {
  const layer = () => ({ k: tf.ones([2, 1, 4, 3]) as tf.Tensor4D, v: tf.ones([2, 1, 4, 3]) as tf.Tensor4D });
  return makeCache([layer(), layer()], remote);
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('kv-cache helpers forward each operation to KVCache.remote', () => {
  test.for([
    { name: 'selectRows', op: (c: KVCache) => selectRows(c, [1, 1, 0]), call: 'r.selectRows(1,1,0)', child: 'r/rows' },
    { name: 'sliceCache to a prefix', op: (c: KVCache) => sliceCache(c, 2), call: 'r.slice(2)', child: 'r/slice' },
    { name: 'sliceCache of every position', op: (c: KVCache) => sliceCache(c, 4), call: 'r.clone()', child: 'r/clone' },
    { name: 'cloneCache', op: (c: KVCache) => cloneCache(c), call: 'r.clone()', child: 'r/clone' },
  ])('$name', ({ op, call, child }) => {
    const log: string[] = [];
    const before = tf.memory().numTensors;
    const cache = cacheWith(new FakeRemote(log, 'r', 100));
    const out = op(cache);
    expect(log).toEqual([call]);
    expect((out.remote as FakeRemote).name).toBe(child);
    disposeCache(out);
    disposeCache(cache);
    expect(log.slice(1)).toEqual([`${child}.dispose()`, 'r.dispose()']);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('cacheBytes adds the remote bytes; a cache without remote is unchanged', () => {
    const local = cacheWith();
    const split = cacheWith(new FakeRemote([], 'r', 1000));
    expect(local.remote).toBeUndefined();
    expect('remote' in local).toBe(false);
    expect(cacheBytes(local)).toBe(2 * 2 * 2 * 4 * 3 * 4);
    expect(cacheBytes(split)).toBe(cacheBytes(local) + 1000);
    [local, split].forEach(disposeCache);
  });

  test('cloneCache keeps ordinary caches as they were (shares data, new owners)', () => {
    const cache = cacheWith();
    const copy = cloneCache(cache);
    disposeCache(cache);
    expect(copy.layers[0].k.isDisposed).toBe(false);
    expect(copy.layers[0].k.dataSync()[0]).toBe(1);
    expect(copy.remote).toBeUndefined();
    disposeCache(copy);
  });
});
