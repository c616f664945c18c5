/**
 * Entry of the helper thread that runs rank 1 of a tensor-parallel GPT-2
 * (parallel-model.ts runs rank 0). It has its own tfjs-core and wasm heap
 * (each worker_thread loads its own module instances), its own half of the
 * weights, and the keys and values of its own heads, by cache number.
 *
 * A failure inside a forward pass is reported through the Exchange (rank 0
 * throws it at once); a failed cache operation is reported at the next
 * forward. Nothing here throws out of the message handler.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend';
import { cloneCache, disposeCache, makeCache, selectRows, sliceCache } from '../kv-cache';
import type { KVCache } from '../types';
import { Exchange, PeerError } from './all-reduce';
import type { FromRank, RankWorkerInit, ToRank } from './protocol';
import { Shard, type Collective } from './shard';

const port = parentPort;
if (!port) throw new Error('parallel rank worker: started outside worker_threads (no parentPort)');
const init = workerData as RankWorkerInit;
const send = (m: FromRank): void => port.postMessage(m);

const exchange = new Exchange(init.control, 1, init.timeoutMs);
const caches = new Map<number, KVCache>();
let shard: Shard | null = null;
/** A cache operation's failure, told to rank 0 at the next forward. */
let pending: string | null = null;

const comm: Collective = {
  allReduce: (x) => tf.tensor2d(exchange.allReduce(x.dataSync() as Float32Array), x.shape),
  gatherLogits: (local) => {
    exchange.sendLogits(local.dataSync() as Float32Array);
    return null;
  },
};

function cache(id: number): KVCache {
  const c = caches.get(id);
  if (!c) throw new Error(`rank 1 has no cache #${id} (disposed already?)`);
  return c;
}

function forward(m: Extract<ToRank, { type: 'forward' }>): void {
  if (m.data) exchange.setData(m.data.buffer, m.data.slot);
  try {
    exchange.begin(m.firstStep, m.epoch);
    if (pending) throw new Error(pending);
    if (!shard) throw new Error('rank 1 has no weights loaded');
    const past = m.cacheIn === null ? null : cache(m.cacheIn).layers;
    const { layers } = shard.forward(m.ids, past, comm, m.allPositions);
    caches.set(m.cacheOut, makeCache(layers));
  } catch (err) {
    // A PeerError means rank 0 failed first and already knows.
    if (!(err instanceof PeerError)) exchange.fail(`rank 1: ${(err as Error).message}`);
  } finally {
    pending = null;
  }
}

function handle(m: ToRank): void {
  switch (m.type) {
    case 'load':
      if (pending) {
        send({ type: 'load-error', message: pending });
        return;
      }
      try {
        shard = new Shard(m.config, m.shard);
        send({ type: 'ready' });
      } catch (err) {
        send({ type: 'load-error', message: (err as Error).message });
      }
      return;
    case 'forward':
      return forward(m);
    case 'select':
    case 'slice':
    case 'clone':
      try {
        const from = cache(m.from);
        caches.set(m.to, m.type === 'select' ? selectRows(from, m.rows) : m.type === 'slice' ? sliceCache(from, m.length) : cloneCache(from));
      } catch (err) {
        pending ??= `${m.type} of cache #${m.from}: ${(err as Error).message}`;
      }
      return;
    case 'dispose':
      disposeCache(caches.get(m.id));
      caches.delete(m.id);
      return;
    case 'stats':
      send({ type: 'stats', numTensors: tf.memory().numTensors, caches: caches.size });
      return;
    default:
      console.error('parallel rank worker: unknown message', m);
  }
}

// Listen before the backend is up so that no early message is lost; handle in arrival order.
let ready: Promise<unknown> = initBackend(init.backend).catch((err: Error) => {
  pending = `rank 1 could not start the ${init.backend} backend: ${err.message}`;
});
port.on('message', (m: ToRank) => {
  // handle() catches its own failures; the catch keeps one unexpected throw from stalling the chain.
  ready = ready.then(() => handle(m)).catch((err: Error) => console.error('parallel rank worker:', err));
});
