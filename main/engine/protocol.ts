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
  /** How many models the worker keeps loaded, the active one included (default 2; model-cache.ts). */
  modelCacheCapacity?: number;
}

/** The worker's memory as the soak test reads it: tfjs's live tensors, and which models are loaded. */
export interface EngineStats {
  numTensors: number;
  numBytes: number;
  /** Least recently used first; `pinned` marks the active model. */
  models: { name: string; path: string; pinned: boolean }[];
}

export type ToWorker =
  /** `target`: run on this model folder instead of the active model (the host resolved a request's modelId to it). */
  | { type: 'generate'; id: string; request: ParsedRequestOf<'engine.generate'>; target?: { modelDir: string; label?: string } }
  | { type: 'cancel'; id: string }
  /** Token counts for the context inspector; answered by one 'counts' or 'error' message. */
  | { type: 'count'; id: string; texts: string[] }
  /** Answered by one 'stats' message (or 'error' when the engine did not start). */
  | { type: 'stats'; id: string };

export type FromWorker =
  | { type: 'ready'; backend: BackendInfo; model: AppInfo['model'] }
  | { type: 'init-error'; error: ApiError }
  | { type: 'event'; id: string; event: GenerateEvent }
  | { type: 'counts'; id: string; counts: number[]; model: string | null }
  | { type: 'stats'; id: string; stats: EngineStats }
  /** Ends request `id` with an error (after zero or more events). */
  | { type: 'error'; id: string; error: ApiError };
