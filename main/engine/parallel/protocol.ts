/**
 * Messages from rank 0 (parallel-model.ts, in the engine's thread) to the rank
 * worker (rank-worker.ts). The forward pass itself meets over shared memory
 * (all-reduce.ts); messages only start it and manage rank 1's caches, which
 * rank 0 names by number. Messages are handled in order, so a cache made by
 * 'select' is there when the next 'forward' names it.
 */
import type { GPT2Config } from '../types';
import type { ShardData } from './shard-weights';

export interface RankWorkerInit {
  /** The control block of the Exchange (all-reduce.ts). */
  control: SharedArrayBuffer;
  timeoutMs: number;
  /** The tfjs backend rank 0 runs; rank 1 starts the same one. */
  backend: string;
}

export type ToRank =
  | { type: 'load'; config: GPT2Config & { activation?: string }; shard: ShardData }
  | {
      type: 'forward';
      ids: number[][];
      cacheIn: number | null;
      cacheOut: number;
      allPositions: boolean;
      firstStep: number;
      epoch: number;
      /** A new, bigger data buffer (and its all-reduce slot size), when rank 0 grew it. */
      data?: { buffer: SharedArrayBuffer; slot: number };
    }
  | { type: 'select'; from: number; to: number; rows: number[] }
  | { type: 'slice'; from: number; to: number; length: number }
  | { type: 'clone'; from: number; to: number }
  | { type: 'dispose'; id: number }
  /** For tests: answers 'stats'. */
  | { type: 'stats' };

export type FromRank =
  | { type: 'ready' }
  | { type: 'load-error'; message: string }
  | { type: 'stats'; numTensors: number; caches: number };
