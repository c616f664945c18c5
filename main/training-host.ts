/**
 * The main thread's handle on one training worker (main/engine/train-worker.ts).
 * A worker per job: the run's tensors, its wasm heap and any crash stay in that
 * thread, and the inference worker keeps serving suggestions meanwhile.
 *
 * A job ends with exactly one outcome: the worker's final message ('result' or
 * 'report'), its 'error', or — when the worker dies or exits without one — a
 * crash outcome naming the exit code, so the service can fail the stream
 * clearly (the run's checkpoints are on disk and are left alone).
 */
import { Worker } from 'node:worker_threads';
import type { FromTrainWorker, ToTrainWorker, TrainWorkerData } from './engine/train-worker';
import type { TrainEvent } from './engine/train/run-options';

export type JobOutcome =
  | Extract<FromTrainWorker, { type: 'result' | 'report' | 'error' }>
  | { type: 'crashed'; message: string };

export interface TrainJobHandle {
  send(message: ToTrainWorker): void;
  /** Resolves once, with the job's outcome; never rejects. */
  readonly outcome: Promise<JobOutcome>;
  /** Stops the worker now (app quit); the outcome becomes 'crashed' if none came yet. */
  terminate(): Promise<void>;
}

/** Starts a job; the service takes one of these so tests can run jobs another way. */
export type TrainJobRunner = (data: TrainWorkerData, onEvent: (event: TrainEvent) => void) => TrainJobHandle;

/** The real runner: a worker_threads Worker running the built train-worker script. */
export function workerJobRunner(workerPath: string): TrainJobRunner {
  return (data, onEvent) => {
    const worker = new Worker(workerPath, { workerData: data });
    let settled = false;
    let settle: (o: JobOutcome) => void = () => undefined;
    const outcome = new Promise<JobOutcome>((resolve) => {
      settle = (o) => {
        if (settled) return;
        settled = true;
        resolve(o);
        // The job is over: free the thread and its heap at once.
        void worker.terminate();
      };
    });
    let lastError: string | null = null;
    worker.on('message', (m: FromTrainWorker) => {
      if (m.type === 'event') onEvent(m.event);
      else settle(m);
    });
    worker.on('error', (err) => {
      lastError = err instanceof Error ? err.message : String(err);
    });
    worker.on('exit', (code) => {
      const why = lastError ? `: ${lastError}` : '';
      settle({ type: 'crashed', message: `the training worker stopped unexpectedly (exit code ${code})${why}` });
    });
    return {
      send: (message) => {
        if (!settled) worker.postMessage(message);
      },
      outcome,
      terminate: async () => {
        await worker.terminate();
      },
    };
  };
}
