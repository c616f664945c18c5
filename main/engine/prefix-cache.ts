/**
 * Keeps the KV caches of the last few prompts so that a request which shares
 * a token prefix with an earlier one (the writer typed a few more words)
 * prefills only its new tokens.
 *
 * Entries are batch-1 caches, least recently used first out, bounded by total
 * bytes and by count. Stored caches are clones (tf.clone shares the data, so
 * this costs no copy) that the cache alone owns and disposes on eviction;
 * lookup hands out a fresh cache the caller owns. A hit always leaves at least
 * one prompt token to run, because the generator needs that token's logits.
 */
import type { KVCache } from './types';
import { cacheBytes, cloneCache, disposeCache, sliceCache } from './kv-cache';

export const DEFAULT_PREFIX_CACHE_BYTES = 256 * 1024 * 1024;
export const DEFAULT_PREFIX_CACHE_ENTRIES = 8;

export interface PrefixHit {
  /** Keys and values of the first `length` prompt tokens; the caller disposes it. */
  cache: KVCache;
  length: number;
}

interface Entry {
  ids: number[];
  cache: KVCache;
  bytes: number;
}

// One clone for every cache kind: kv-cache.ts's also clones a tensor-parallel model's remote half.
export { cloneCache } from './kv-cache';

/** Number of leading tokens `a` and `b` share. */
export function sharedPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class PrefixCache {
  /** Least recently used first. */
  private entries: Entry[] = [];
  private totalBytes = 0;

  constructor(
    readonly maxBytes = DEFAULT_PREFIX_CACHE_BYTES,
    readonly maxEntries = DEFAULT_PREFIX_CACHE_ENTRIES,
  ) {}

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * The longest stored prefix of `ids`, leaving at least one token of `ids`
   * to run; null when nothing useful is stored.
   */
  lookup(ids: readonly number[]): PrefixHit | null {
    let best: Entry | null = null;
    let bestLength = 0;
    for (const entry of this.entries) {
      const length = Math.min(sharedPrefix(entry.ids, ids), ids.length - 1, entry.cache.length);
      if (length > bestLength) {
        best = entry;
        bestLength = length;
      }
    }
    if (!best) return null;
    this.touch(best);
    const cache = bestLength === best.cache.length ? cloneCache(best.cache) : sliceCache(best.cache, bestLength);
    return { cache, length: bestLength };
  }

  /**
   * Remembers the cache of `ids` (batch 1, covering exactly `ids`). The caller
   * keeps ownership of `cache`; the prefix cache stores its own clone.
   */
  insert(ids: readonly number[], cache: KVCache): void {
    if (cache.batch !== 1 || cache.length !== ids.length || ids.length === 0) return;
    const bytes = cacheBytes(cache);
    if (bytes > this.maxBytes) return;
    // An entry that is a prefix of the new ids is covered by it: drop it.
    for (const entry of [...this.entries]) {
      if (entry.ids.length <= ids.length && sharedPrefix(entry.ids, ids) === entry.ids.length) this.remove(entry);
    }
    this.entries.push({ ids: [...ids], cache: cloneCache(cache), bytes });
    this.totalBytes += bytes;
    while (this.entries.length > this.maxEntries || this.totalBytes > this.maxBytes) this.remove(this.entries[0]);
  }

  clear(): void {
    for (const entry of [...this.entries]) this.remove(entry);
  }

  private touch(entry: Entry): void {
    this.entries = [...this.entries.filter((e) => e !== entry), entry];
  }

  private remove(entry: Entry): void {
    this.entries = this.entries.filter((e) => e !== entry);
    this.totalBytes -= entry.bytes;
    disposeCache(entry.cache);
  }
}
