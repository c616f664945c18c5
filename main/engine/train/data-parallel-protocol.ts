/**
 * Messages between rank 0 of a data-parallel training run (data-parallel.ts,
 * in the trainer's thread) and ranks 1..N-1 (rank-trainer-worker.ts, one
 * worker_thread each). Parameters and gradients do not travel in messages:
 * they live in SharedArrayBuffers that every rank maps (the parameters are
 * the trainer's own master copy; each worker rank has its own gradient
 * buffers, which rank 0 sums after the step). Messages carry only the rows of
 * a step, the names of parameters that changed, and the answers.
 *
 * A worker handles messages in arrival order, so a 'changed' posted after an
 * update is applied before the next 'step'.
 */
import type { ModelConfig } from '../model-config';
import type { MicroBatch, TrainSelection } from './train-model';

/** Tests only: makes one rank fail, to check that the failure reaches the run. */
export interface RankFault {
  rank: number;
  /** 'throw': an error inside the step (the rank lives on); 'exit': the worker thread ends itself. */
  kind: 'throw' | 'exit';
  message: string;
  /** Fails only while the rank's rows per micro-batch are at least this (an out-of-memory error that halving cures). */
  minRows: number;
}

export interface RankTrainerInit {
  rank: number;
  /** The tfjs backend rank 0 runs; the worker starts the same one. */
  backend: string;
  config: ModelConfig;
  tied: boolean;
  /** Every parameter's master copy (shared with rank 0, read-only for the worker). */
  params: [name: string, data: SharedArrayBuffer][];
  /** This rank's gradient buffers, one per trainable parameter (the worker zeroes them at each step). */
  grads: [name: string, data: SharedArrayBuffer][];
  selection: TrainSelection;
  keptBlocks: number;
  fault?: RankFault;
}

export type ToRankTrainer =
  /** Runs forward + backward of this rank's rows of every micro-batch of one optimizer step. */
  | { type: 'step'; id: number; batches: MicroBatch[]; scale: number }
  /** The master copy of these parameters changed: drop their uploaded tensors. */
  | { type: 'changed'; names: string[] }
  /** Tests: answers 'stats'. */
  | { type: 'stats' };

export type FromRankTrainer =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  /** `nll`: Σ −log p over this rank's targets of the step. */
  | { type: 'done'; id: number; nll: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'stats'; numTensors: number };
