/**
 * GPT-2 split over two threads (tensor parallelism): a LanguageModel whose
 * forward pass runs rank 0 of shard.ts in the calling thread and rank 1 in a
 * helper worker_thread (rank-worker.ts) with its own tfjs and wasm heap. The
 * ranks meet over shared memory (all-reduce.ts) 2 + 2·nLayer times a pass.
 * Why: tfjs-backend-wasm runs one thread in Node, and decode is bound by
 * memory reads that one core cannot saturate; two halves of the weights on two
 * cores read twice the bytes per second.
 *
 * Caches: a returned KVCache holds rank 0's heads as tensors and rank 1's as
 * `remote` (RankOneCache), a numbered handle; kv-cache.ts's helpers forward
 * each operation to it, so generate, beam search and the prefix cache work
 * unchanged. A cache whose remote part was lost is refused with an error.
 *
 * Failure: a rank that throws tells the other through the Exchange, and
 * forward throws with its message; a rank worker that dies makes the waiting
 * rank 0 throw after `timeoutMs` (never hang), and every later call fails
 * with the reason. dispose() terminates the worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import { makeCache } from '../kv-cache';
import type { SourceTensor } from '../gpt2-weights';
import type { GPT2Config, KVCache, LanguageModel, RemoteCachePart } from '../types';
import { CONTROL_BYTES, dataFloats, Exchange, PeerError } from './all-reduce';
import type { FromRank, RankWorkerInit, ToRank } from './protocol';
import { Shard, type Collective } from './shard';
import { shardBuffers, splitWeights } from './shard-weights';

export const DEFAULT_PEER_TIMEOUT_MS = 60_000;

export interface ParallelOptions {
  /** The built rank-worker.ts (an ES module file next to the engine worker's bundle). */
  workerUrl: URL | string;
  /** Longest wait for rank 1 at one meeting point before forward throws. */
  timeoutMs?: number;
}

/** Rank 1's keys and values of one cache, by number; see types.ts RemoteCachePart. */
class RankOneCache implements RemoteCachePart {
  private disposed = false;
  constructor(
    readonly owner: ParallelGPT2,
    readonly id: number,
    readonly batch: number,
    readonly length: number,
  ) {}

  get bytes(): number {
    return this.owner.rankOneBytes(this.batch, this.length);
  }

  selectRows(rows: readonly number[]): RemoteCachePart {
    return this.derive({ type: 'select', rows: [...rows] }, rows.length, this.length);
  }

  slice(length: number): RemoteCachePart {
    return this.derive({ type: 'slice', length }, this.batch, length);
  }

  clone(): RemoteCachePart {
    return this.derive({ type: 'clone' }, this.batch, this.length);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.post({ type: 'dispose', id: this.id });
  }

  private derive(
    op: { type: 'select'; rows: number[] } | { type: 'slice'; length: number } | { type: 'clone' },
    batch: number,
    length: number,
  ): RankOneCache {
    if (this.disposed) throw new Error(`parallel: rank 1 cache #${this.id} was disposed`);
    const to = this.owner.newCacheId();
    this.owner.post({ ...op, from: this.id, to });
    return new RankOneCache(this.owner, to, batch, length);
  }
}

export class ParallelGPT2 implements LanguageModel {
  private shard: Shard | null;
  private readonly exchange: Exchange;
  private data: { buffer: SharedArrayBuffer; slot: number; floats: number } | null = null;
  private nextStep = 0;
  private nextCacheId = 1;
  private dead: string | null = null;

  private constructor(
    readonly config: GPT2Config & { activation?: string },
    shard: Shard,
    private readonly worker: Worker,
    control: SharedArrayBuffer,
    timeoutMs: number,
  ) {
    this.shard = shard;
    this.exchange = new Exchange(control, 0, timeoutMs);
    const die = (why: string): void => {
      this.dead ??= why;
    };
    worker.on('error', (err) => die(`the rank 1 worker crashed: ${err.message}`));
    worker.on('exit', (code) => die(`the rank 1 worker exited (code ${code})`));
  }

  /**
   * Splits HF-named weights between the two ranks, starts the rank worker and
   * loads both halves. Rejects (and stops the worker) if either rank fails.
   */
  static async create(
    config: GPT2Config & { activation?: string },
    tensors: ReadonlyMap<string, SourceTensor>,
    origin: string,
    options: ParallelOptions,
  ): Promise<ParallelGPT2> {
    const [s0, s1] = splitWeights(config, tensors, origin);
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const timeoutMs = options.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    const init: RankWorkerInit = { control, timeoutMs, backend: tf.getBackend() };
    const worker = new Worker(options.workerUrl, { workerData: init });
    try {
      const loaded = new Promise<void>((resolve, reject) => {
        worker.once('error', (err) => reject(new Error(`parallel: the rank 1 worker failed to start: ${err.message}`, { cause: err })));
        worker.once('exit', (code) => reject(new Error(`parallel: the rank 1 worker exited (code ${code}) while loading`)));
        worker.on('message', (m: FromRank) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'load-error') reject(new Error(`${origin}: ${m.message}`));
        });
      });
      loaded.catch(() => undefined); // awaited below; this only keeps an early rank 0 failure from leaving it unhandled
      worker.postMessage({ type: 'load', config, shard: s1 } satisfies ToRank, shardBuffers(s1));
      const shard = new Shard(config, s0);
      try {
        await loaded;
      } catch (err) {
        shard.dispose();
        throw err;
      }
      worker.removeAllListeners('error').removeAllListeners('exit');
      return new ParallelGPT2(config, shard, worker, control, timeoutMs);
    } catch (err) {
      void worker.terminate();
      throw err;
    }
  }

  /** Sends a message to rank 1, unless it is gone (then there is nothing left to free there). */
  post(m: ToRank): void {
    if (this.dead || !this.shard) return;
    this.worker.postMessage(m);
  }

  newCacheId(): number {
    return this.nextCacheId++;
  }

  /** Bytes of rank 1's keys and values for `batch` rows of `length` positions. */
  rankOneBytes(batch: number, length: number): number {
    const { nLayer, nHead, nEmbd } = this.config;
    const heads = nHead - Math.floor(nHead / 2);
    return nLayer * 2 * batch * heads * length * (nEmbd / nHead) * 4;
  }

  private check(ids: readonly (readonly number[])[], cache: KVCache | null): { B: number; T: number; P: number; past: RankOneCache | null } {
    if (this.dead) throw new Error(`parallel.forward: ${this.dead}; reload the model`);
    if (!this.shard) throw new Error('parallel.forward: the model was disposed');
    const { vocabSize, nPositions } = this.config;
    const B = ids.length;
    if (B === 0) throw new Error('parallel.forward: ids has no rows');
    const T = ids[0].length;
    if (T === 0) throw new Error('parallel.forward: ids rows are empty; give at least one token');
    ids.forEach((row, r) => {
      if (row.length !== T) throw new Error(`parallel.forward: row ${r} has ${row.length} tokens, row 0 has ${T}; rows must be equally long`);
      row.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new Error(`parallel.forward: token ${id} at row ${r}, position ${t} is not an id below the vocabulary size ${vocabSize}`);
        }
      });
    });
    const P = cache ? cache.length : 0;
    let past: RankOneCache | null = null;
    if (cache) {
      if (!(cache.remote instanceof RankOneCache) || cache.remote.owner !== this) {
        throw new Error('parallel.forward: this cache lacks rank 1 heads (made by another model, or copied by code that drops KVCache.remote)');
      }
      if (cache.batch !== B) throw new Error(`parallel.forward: cache has ${cache.batch} rows, ids has ${B}; use selectRows to match`);
      if (cache.layers[0].k.isDisposed) throw new Error('parallel.forward: the cache was disposed');
      past = cache.remote;
    }
    if (P + T > nPositions) {
      throw new Error(`parallel.forward: ${P} cached + ${T} new tokens exceed the context of ${nPositions} positions; cut the prompt first`);
    }
    return { B, T, P, past };
  }

  /** Grows the shared data buffer when this pass needs more; returns it when rank 1 must be told. */
  private ensureData(slot: number, logits: number): { buffer: SharedArrayBuffer; slot: number } | undefined {
    if (this.data && this.data.slot >= slot && this.data.floats >= dataFloats(this.data.slot, logits)) return undefined;
    const newSlot = Math.max(slot, this.data?.slot ?? 0);
    const floats = dataFloats(newSlot, Math.max(logits, this.data ? this.data.floats - 4 * this.data.slot : 0));
    this.data = { buffer: new SharedArrayBuffer(floats * 4), slot: newSlot, floats };
    this.exchange.setData(this.data.buffer, newSlot);
    return { buffer: this.data.buffer, slot: newSlot };
  }

  forward(
    ids: readonly (readonly number[])[],
    cache: KVCache | null,
    options: { allPositions?: boolean } = {},
  ): { logits: tf.Tensor; cache: KVCache } {
    const { B, T, P, past } = this.check(ids, cache);
    const shard = this.shard!;
    const allPositions = options.allPositions === true;
    const { nEmbd: C, nLayer, vocabSize: V } = this.config;
    const rankOneVocab = V - Math.floor(V / 2);
    const data = this.ensureData(B * T * C, (allPositions ? B * T : B) * rankOneVocab);
    const epoch = this.exchange.currentEpoch();
    const firstStep = this.nextStep;
    // Above every step this pass can reach, even if it fails half-way (see all-reduce.ts).
    this.nextStep = (this.nextStep + 2 * nLayer + 3) | 0;
    const cacheOut = this.newCacheId();
    this.worker.postMessage({
      type: 'forward',
      ids: ids.map((r) => [...r]),
      cacheIn: past?.id ?? null,
      cacheOut,
      allPositions,
      firstStep,
      epoch,
      ...(data ? { data } : {}),
    } satisfies ToRank);
    const comm: Collective = {
      allReduce: (x) => tf.tensor2d(this.exchange.allReduce(x.dataSync() as Float32Array), x.shape),
      gatherLogits: (local) => {
        const [n, mine] = local.shape;
        const other = tf.tensor2d(this.exchange.receiveLogits(n * (V - mine)), [n, V - mine]);
        return tf.concat([local, other], 1);
      },
    };
    try {
      this.exchange.begin(firstStep, epoch);
      const { logits, layers } = shard.forward(ids, cache?.layers ?? null, comm, allPositions);
      const remote = new RankOneCache(this, cacheOut, B, P + T);
      return { logits: logits!, cache: makeCache(layers, remote) };
    } catch (err) {
      if (!(err instanceof PeerError)) this.exchange.fail(`rank 0: ${(err as Error).message}`);
      this.post({ type: 'dispose', id: cacheOut }); // rank 1 may have finished its half
      throw new Error(`parallel.forward (B=${B}, T=${T}, P=${P}, backend ${tf.getBackend()}): ${(err as Error).message}`, { cause: err });
    }
  }

  /** Rank 0's time spent waiting for rank 1, and meetings so far (benchmarks). */
  get waitStats(): { waitedMs: number; meetings: number } {
    return { waitedMs: this.exchange.waitedMs, meetings: this.exchange.meetings };
  }

  /** For tests: rank 1's live tensors and caches. */
  rankOneStats(): Promise<{ numTensors: number; caches: number }> {
    return new Promise((resolve, reject) => {
      if (this.dead || !this.shard) return reject(new Error(`parallel: rank 1 is gone (${this.dead ?? 'disposed'})`));
      const onMessage = (m: FromRank): void => {
        if (m.type !== 'stats') return;
        this.worker.off('message', onMessage);
        resolve({ numTensors: m.numTensors, caches: m.caches });
      };
      this.worker.on('message', onMessage);
      this.worker.postMessage({ type: 'stats' } satisfies ToRank);
    });
  }

  /** Resolves when the rank worker has exited (after dispose, or a crash). */
  exited(): Promise<void> {
    return new Promise((resolve) => {
      if (this.worker.threadId === -1) return resolve();
      this.worker.once('exit', () => resolve());
    });
  }

  /** Frees rank 0's weights and stops the rank worker (its heap, weights and caches go with it). */
  dispose(): void {
    if (!this.shard) return;
    this.shard.dispose();
    this.shard = null;
    void this.worker.terminate();
  }
}
