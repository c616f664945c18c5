/**
 * The models the engine worker holds in memory: the active model (pinned,
 * loaded at start) and, beside it, the most recently used other model, so
 * that comparing two models or writing in a document bound to a fine-tune
 * does not reload the active one each time.
 *
 * Bound: at most `capacity` models (default 2: the active one + one more).
 * A model that must make room is evicted BEFORE the new one loads, so three
 * models are never in memory together; eviction disposes its weights and its
 * prefix cache (each model has its own: KV tensors of one model mean nothing
 * to another). Two GPT-2 124M models at fp32 are about 1 GB, which fits the
 * wasm heap (about 2 GiB); a 355M model beside another does not, and loading
 * it then fails with the loader's own error.
 *
 * Not thread-safe by design: the engine runs requests one at a time, and
 * calls get() only from inside its queue, so no model is evicted mid-forward.
 */
import type { AppInfo } from '../../common/contract';
import { PrefixCache } from './prefix-cache';
import type { LanguageModel, TextTokenizer } from './types';

export interface CachedModel {
  model: LanguageModel;
  tokenizer: TextTokenizer;
  info: NonNullable<AppInfo['model']>;
  prefixCache: PrefixCache;
}

/** Loads one model folder; the engine passes loadModelFolder, tests a stub. */
export type ModelLoader = (dir: string) => Promise<Omit<CachedModel, 'prefixCache'>>;

/** The default bound: the active model and one more. */
export const MODEL_CACHE_CAPACITY = 2;

export interface CachedModelSummary {
  name: string;
  path: string;
  /** True for the pinned (active) model. */
  pinned: boolean;
}

export class ModelCache {
  /** Least recently used first (a Map keeps insertion order; get() re-inserts). */
  private readonly entries = new Map<string, CachedModel>();
  private pinnedDir: string | null = null;

  constructor(
    private readonly load: ModelLoader,
    readonly capacity = MODEL_CACHE_CAPACITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`model cache: capacity must be a whole number ≥ 1, got ${capacity}`);
  }

  /** Loads `dir` as the pinned model, which is never evicted. */
  async loadPinned(dir: string): Promise<CachedModel> {
    const entry = await this.get(dir);
    this.pinnedDir = dir;
    return entry;
  }

  get pinned(): CachedModel | null {
    return this.pinnedDir === null ? null : (this.entries.get(this.pinnedDir) ?? null);
  }

  /** The loaded model of `dir`, loading it (and evicting the least recently used unpinned model) when needed. */
  async get(dir: string): Promise<CachedModel> {
    const hit = this.entries.get(dir);
    if (hit) {
      this.entries.delete(dir);
      this.entries.set(dir, hit);
      return hit;
    }
    // Make room first: the peak is `capacity` models, never one more.
    while (this.entries.size >= this.capacity) {
      const victim = [...this.entries.keys()].find((k) => k !== this.pinnedDir);
      if (victim === undefined) break; // capacity 1 with the pinned model: it stays, and the new one joins it
      this.evict(victim);
    }
    const loaded = await this.load(dir);
    const entry: CachedModel = { ...loaded, prefixCache: new PrefixCache() };
    this.entries.set(dir, entry);
    return entry;
  }

  has(dir: string): boolean {
    return this.entries.has(dir);
  }

  /** What is loaded, least recently used first (the worker's stats). */
  summary(): CachedModelSummary[] {
    return [...this.entries.entries()].map(([path, e]) => ({ name: e.info.name, path, pinned: path === this.pinnedDir }));
  }

  clearPrefixCaches(): void {
    for (const e of this.entries.values()) e.prefixCache.clear();
  }

  /** Frees every model and prefix cache. */
  clear(): void {
    for (const dir of [...this.entries.keys()]) this.evict(dir);
    this.pinnedDir = null;
  }

  private evict(dir: string): void {
    const entry = this.entries.get(dir);
    if (!entry) return;
    this.entries.delete(dir);
    entry.prefixCache.clear();
    entry.model.dispose();
  }
}
