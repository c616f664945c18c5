/**
 * Helpers over KV caches (types.ts: KVCache). A cache holds, per layer, the
 * keys and values of every position seen so far as (B, nHead, T, headDim)
 * tensors. Caches are immutable values: every helper here returns a new cache
 * whose tensors the caller owns, and leaves its input untouched (dispose it
 * yourself when it is no longer needed). That makes sharing safe: the prefix
 * cache can hand the same cache to several generations.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KVCache, RemoteCachePart } from './types';

type Layer = { readonly k: tf.Tensor4D; readonly v: tf.Tensor4D };

/**
 * Builds a cache from per-layer tensors, checking they agree with each other.
 * `remote` is the part held by another thread (tensor-parallel models), if any.
 */
export function makeCache(layers: readonly Layer[], remote?: RemoteCachePart): KVCache {
  if (layers.length === 0) throw new Error('kv-cache: a cache needs at least one layer');
  const [batch, , length] = layers[0].k.shape;
  layers.forEach(({ k, v }, i) => {
    if (k.rank !== 4 || v.rank !== 4 || k.shape.join() !== v.shape.join() || k.shape[0] !== batch || k.shape[2] !== length) {
      throw new Error(
        `kv-cache: layer ${i} has k ${JSON.stringify(k.shape)} and v ${JSON.stringify(v.shape)}, ` +
          `expected (B=${batch}, nHead, T=${length}, headDim) for both`,
      );
    }
  });
  return remote ? { layers, length, batch, remote } : { layers, length, batch };
}

/** Frees every tensor of the cache. Disposing twice is harmless. */
export function disposeCache(cache: KVCache | null | undefined): void {
  if (!cache) return;
  for (const { k, v } of cache.layers) {
    k.dispose();
    v.dispose();
  }
  cache.remote?.dispose();
}

/** A new cache whose tensors share the data of `cache`'s but are owned separately (no copy). */
export function cloneCache(cache: KVCache): KVCache {
  return makeCache(
    cache.layers.map((l) => ({ k: tf.clone(l.k), v: tf.clone(l.v) })),
    cache.remote?.clone(),
  );
}

/**
 * A cache whose row i is row rows[i] of the input. Rows may repeat and may
 * come in any order: beam search reorders beams with it, and a single prompt
 * row becomes n identical rows with selectRows(cache, [0, 0, ..., 0]).
 */
export function selectRows(cache: KVCache, rows: readonly number[]): KVCache {
  if (rows.length === 0) throw new Error('kv-cache: selectRows needs at least one row');
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= cache.batch) {
      throw new Error(`kv-cache: row ${r} is out of range for a cache of ${cache.batch} rows`);
    }
  }
  const identity = rows.length === cache.batch && rows.every((r, i) => r === i);
  // Slices of whole rows + one concat, not tf.gather: rows are contiguous blocks, and on wasm
  // gather is a generic element loop (~3x slower here; a beam step copies the whole cache).
  const pick = (t: tf.Tensor4D): tf.Tensor4D => {
    if (identity) return t.clone(); // shares the data, copies nothing
    const piece = new Map<number, tf.Tensor4D>();
    for (const r of rows) {
      if (!piece.has(r)) piece.set(r, cache.batch === 1 ? t : tf.slice(t, [r, 0, 0, 0], [1, -1, -1, -1]));
    }
    return rows.length === 1 ? piece.get(rows[0])!.clone() : tf.concat(rows.map((r) => piece.get(r)!), 0);
  };
  const layers = tf.tidy(() => cache.layers.map(({ k, v }) => ({ k: pick(k), v: pick(v) })));
  return makeCache(layers, cache.remote?.selectRows(rows));
}

/** A cache of the first `length` positions (0 < length <= cache.length), for the prefix cache. */
export function sliceCache(cache: KVCache, length: number): KVCache {
  if (!Number.isInteger(length) || length < 1 || length > cache.length) {
    throw new Error(`kv-cache: cannot keep ${length} positions of a cache of ${cache.length}`);
  }
  const layers = tf.tidy(() =>
    cache.layers.map(({ k, v }) =>
      length === cache.length
        ? { k: k.clone(), v: v.clone() }
        : {
            k: tf.slice(k, [0, 0, 0, 0], [-1, -1, length, -1]) as tf.Tensor4D,
            v: tf.slice(v, [0, 0, 0, 0], [-1, -1, length, -1]) as tf.Tensor4D,
          },
    ),
  );
  return makeCache(layers, cache.remote && (length === cache.length ? cache.remote.clone() : cache.remote.slice(length)));
}

/** Bytes the cache's tensors hold (float32), for the prefix cache's memory budget. */
export function cacheBytes(cache: KVCache): number {
  let elements = 0;
  for (const { k, v } of cache.layers) elements += k.size + v.size;
  return elements * 4 + (cache.remote?.bytes ?? 0);
}
