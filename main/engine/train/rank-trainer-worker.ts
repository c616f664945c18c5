/**
 * Entry of a data-parallel training rank (1..N-1) in its own worker_thread:
 * its own tfjs and wasm heap, a TrainModel over the SAME parameter memory as
 * rank 0 (SharedArrayBuffers, no copy), and its own gradient buffers, which
 * rank 0 sums after each step (data-parallel.ts).
 *
 * The worker never writes the parameters: rank 0 updates them between steps,
 * while every worker is idle (it has answered the step), and then posts the
 * changed names. Nothing throws out of the message handler: a failure is
 * answered as 'error' with this rank's number.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend';
import type { FromRankTrainer, RankTrainerInit, ToRankTrainer } from './data-parallel-protocol';
import { ParamStore } from './params';
import { TrainModel } from './train-model';

const port = parentPort;
if (!port) throw new Error('rank trainer worker: started outside worker_threads (no parentPort)');
const init = workerData as RankTrainerInit;
const send = (m: FromRankTrainer): void => port.postMessage(m);
const fault = init.fault?.rank === init.rank ? init.fault : undefined;

let model: TrainModel | null = null;
const grads = new Map<string, Float32Array>(init.grads.map(([name, sab]) => [name, new Float32Array(sab)]));

function step(m: Extract<ToRankTrainer, { type: 'step' }>): void {
  try {
    if (!model) throw new Error('no model (the backend did not start)');
    for (const g of grads.values()) g.fill(0);
    let nll = 0;
    for (const b of m.batches) {
      if (fault && b.B >= fault.minRows) {
        if (fault.kind === 'exit') process.exit(3);
        throw new Error(fault.message);
      }
      nll += model.accumulateGradients(b, grads, m.scale);
    }
    send({ type: 'done', id: m.id, nll });
  } catch (err) {
    send({ type: 'error', id: m.id, message: (err as Error).message });
  }
}

function handle(m: ToRankTrainer): void {
  switch (m.type) {
    case 'step':
      return step(m);
    case 'changed':
      if (model) for (const n of m.names) model.store.changed(n);
      return;
    case 'stats':
      send({ type: 'stats', numTensors: tf.memory().numTensors });
      return;
    default:
      console.error('rank trainer worker: unknown message', m);
  }
}

// Listen before the backend is up so that no early message is lost; handle in arrival order.
let ready: Promise<unknown> = initBackend(init.backend).then(
  () => {
    const data = new Map<string, Float32Array>(init.params.map(([name, sab]) => [name, new Float32Array(sab)]));
    model = new TrainModel(new ParamStore(init.config, init.tied, data), init.selection, { keptBlocks: init.keptBlocks });
    send({ type: 'ready' });
  },
  (err: Error) => send({ type: 'init-error', message: `rank ${init.rank} could not start the ${init.backend} backend: ${err.message}` }),
).catch((err: Error) => send({ type: 'init-error', message: `rank ${init.rank}: ${err.message}` }));
port.on('message', (m: ToRankTrainer) => {
  ready = ready.then(() => handle(m)).catch((err: Error) => console.error(`rank trainer worker ${init.rank}:`, err));
});
