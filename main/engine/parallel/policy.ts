/**
 * Whether to run GPT-2 on one thread (gpt2.ts) or split over two
 * (parallel-model.ts), and where the rank worker's bundle lies.
 *
 * INKWELL_THREADS=1 forces one thread, INKWELL_THREADS=2 forces two (where a
 * rank worker bundle exists). Otherwise two only where measurements said two
 * were faster: the wasm backend (the native ones thread by themselves) and at
 * least MIN_CORES_FOR_PARALLEL logical cores. Two ranks meet 2 + 2·nLayer
 * times per token: with a free core for each (measured on the 2-core CI
 * machine in a quiet spell) prefill ran 1.86x and decode 1.55x faster; when
 * neighbours took the cores, each meeting waited for the scheduler and two
 * threads were no faster or slower (bench/README.md). From 4 cores on, a free
 * core is the rule.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** Logical cores below which the default stays on one thread (see bench/README.md for the figures). */
export const MIN_CORES_FOR_PARALLEL = 4;

export interface ThreadsPlan {
  threads: 1 | 2;
  /** Why, for logs and the bench report. */
  reason: string;
  /** The rank worker bundle, when threads is 2. */
  workerUrl?: URL;
}

/**
 * The rank worker bundle beside the running bundle: scripts/build.mjs writes
 * dist/main/engine/parallel/rank-worker.js, next to the engine worker
 * (dist/main/engine/worker.js) and below the CLI (dist/main/cli.js).
 */
export function findRankWorker(from: string | URL = import.meta.url): URL | null {
  for (const rel of ['./parallel/rank-worker.js', './engine/parallel/rank-worker.js', './rank-worker.js']) {
    const url = new URL(rel, from);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return null;
}

export function chooseThreads(input: {
  /** INKWELL_THREADS as given (undefined or '' when unset). */
  env?: string;
  backend: string;
  cores?: number;
  workerUrl: URL | null;
  /**
   * Whether the prefix cache copies caches with kv-cache.ts's cloneCache, which
   * keeps KVCache.remote (rank 1's heads); a copy without them cannot be used.
   */
  prefixCacheKeepsRemote: boolean;
}): ThreadsPlan {
  const env = (input.env ?? '').trim();
  const cores = input.cores ?? os.availableParallelism();
  if (env !== '' && env !== '1' && env !== '2') throw new Error(`INKWELL_THREADS='${env}' is not supported; use 1 or 2`);
  if (env === '1') return { threads: 1, reason: 'INKWELL_THREADS=1' };
  if (!input.prefixCacheKeepsRemote) return { threads: 1, reason: "prefix-cache.ts's cloneCache drops KVCache.remote (use kv-cache.ts's)" };
  if (!input.workerUrl) return { threads: 1, reason: 'no rank worker bundle (dist/main/engine/parallel/rank-worker.js) was found' };
  if (env === '2') return { threads: 2, reason: 'INKWELL_THREADS=2', workerUrl: input.workerUrl };
  if (input.backend !== 'wasm') return { threads: 1, reason: `the ${input.backend} backend runs its own threads` };
  if (cores < MIN_CORES_FOR_PARALLEL) return { threads: 1, reason: `${cores} cores (two ranks need an idle core: at least ${MIN_CORES_FOR_PARALLEL})` };
  return { threads: 2, reason: `${cores} cores, wasm backend`, workerUrl: input.workerUrl };
}
