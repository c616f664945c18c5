/**
 * Messages between the engine host (main thread, main/engine-host.ts) and the
 * engine worker (main/engine/worker.ts). Tensor work happens only in the worker.
 */
import type { ApiError, AppInfo, BackendInfo, GenerateEvent, ParsedRequestOf } from '../../common/contract';

export interface WorkerInit {
  /** A Hugging Face GPT-2 folder, or null to start without a model (generate then fails with no_model). */
  modelDir: string | null;
  /** Forces a backend ('tensorflow' | 'wasm' | 'cpu'); otherwise the best available is used. */
  backend?: string;
}

export type ToWorker =
  | { type: 'generate'; id: string; request: ParsedRequestOf<'engine.generate'> }
  | { type: 'cancel'; id: string }
  /** Token counts for the context inspector; answered by one 'counts' or 'error' message. */
  | { type: 'count'; id: string; texts: string[] };

export type FromWorker =
  | { type: 'ready'; backend: BackendInfo; model: AppInfo['model'] }
  | { type: 'init-error'; error: ApiError }
  | { type: 'event'; id: string; event: GenerateEvent }
  | { type: 'counts'; id: string; counts: number[]; model: string | null }
  /** Ends request `id` with an error (after zero or more events). */
  | { type: 'error'; id: string; error: ApiError };
