/**
 * The main thread's handle on the engine worker (main/engine/worker.ts): all
 * tensor work runs there, never here. Like Actual's server host, it tags each
 * request with an id, keeps a map of pending requests, fails them all with
 * 'engine_crashed' when the worker dies, restarts the worker lazily on the next
 * request, and terminates it on quit. Cancellation is a message. reload()
 * swaps the model at once: the worker is replaced by one that loads the new
 * folder, and calls in flight end with an error that says why.
 *
 * A request may name another installed model (request.modelId: compare, a
 * document bound to a fine-tune): resolveModel turns the id into its folder
 * here, and the worker keeps that model loaded beside the active one
 * (engine/model-cache.ts). The worker stays one thread with one queue.
 */
import { Worker } from 'node:worker_threads';
import type { ApiError, AppInfo, BackendInfo, GenerateEvent, ParsedRequestOf, Result } from '../common/contract';
import type { EngineStats, FromWorker, ToWorker, WorkerInit } from './engine/protocol';

/** After a cancel, how long the worker has to answer before the caller is released anyway. */
export const CANCEL_GRACE_MS = 5_000;

export interface EngineHostOptions {
  /** The built worker script (dist/main/engine/worker.js), or a fake one in tests. */
  workerPath: string;
  init: WorkerInit;
  /** Where to report unexpected worker messages and crashes (default console.warn). */
  log?: (message: string) => void;
  /**
   * The folder and name of an installed model, for requests that name one (the models
   * service's registry); null or a throw: no such model. Without it, a modelId is not_found.
   */
  resolveModel?: (id: string) => { path: string; name: string } | null;
}

interface Pending {
  onEvent: (event: GenerateEvent) => void;
  resolve: (result: Result<GenerateEvent>) => void;
  cleanup: () => void;
}

export interface TokenCounts {
  counts: number[];
  model: string | null;
}

export interface EngineInfo {
  backend: BackendInfo | null;
  model: AppInfo['model'];
  /** Set when the worker reported that it could not load its model or backend. */
  initError: ApiError | null;
  /** How many times the worker has died; a restart follows on the next request. */
  crashes: number;
}

export class EngineHost {
  private worker: Worker | null = null;
  private readonly pending = new Map<string, Pending>();
  /** Token-count requests waiting for their 'counts' (or 'error') answer; they share the id sequence. */
  private readonly counting = new Map<string, (result: Result<TokenCounts>) => void>();
  /** Stats requests waiting for their 'stats' (or 'error') answer; same id sequence. */
  private readonly statting = new Map<string, (result: Result<EngineStats>) => void>();
  private nextId = 1;
  private backend: BackendInfo | null = null;
  private model: AppInfo['model'] = null;
  private initError: ApiError | null = null;
  private crashes = 0;
  private stopping = false;
  private readyWaiters: (() => void)[] = [];
  private readonly log: (message: string) => void;
  /** What the next worker starts with; reload() changes its model folder. */
  private init: WorkerInit;

  constructor(private readonly options: EngineHostOptions) {
    this.log = options.log ?? ((m) => console.warn(m));
    this.init = options.init;
  }

  /** Starts the worker now (it also starts on the first request). */
  start(): void {
    this.ensureWorker();
  }

  info(): EngineInfo {
    return { backend: this.backend, model: this.model, initError: this.initError, crashes: this.crashes };
  }

  /** Resolves once the running worker has said 'ready' or 'init-error' (starting it if needed). */
  whenReady(): Promise<void> {
    this.ensureWorker();
    if (this.backend !== null || this.initError !== null) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  generate(
    request: ParsedRequestOf<'engine.generate'>,
    onEvent: (event: GenerateEvent) => void,
    signal?: AbortSignal,
  ): Promise<Result<GenerateEvent>> {
    if (this.stopping) return Promise.resolve(failure('engine_crashed', 'the engine is shutting down'));
    if (signal?.aborted) return Promise.resolve(failure('aborted', 'generation cancelled before it started'));
    const target = this.targetOf(request.modelId);
    if (target !== undefined && !target.ok) return Promise.resolve(target);
    const started = this.startedWorker();
    if (!started.ok) return Promise.resolve(started);
    const worker = started.value;
    const id = String(this.nextId++);
    return new Promise((resolve) => {
      let graceTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        this.post(worker, { type: 'cancel', id });
        // A wedged worker must not hold the caller forever; its late answer is then dropped.
        graceTimer = setTimeout(() => this.settle(id, failure('aborted', `generation ${id} cancelled; the engine did not confirm within ${CANCEL_GRACE_MS} ms`)), CANCEL_GRACE_MS);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        onEvent,
        resolve,
        cleanup: () => {
          signal?.removeEventListener('abort', onAbort);
          if (graceTimer) clearTimeout(graceTimer);
        },
      });
      this.post(worker, { type: 'generate', id, request, ...(target?.ok ? { target: target.value } : {}) });
    });
  }

  /**
   * The folder a request's modelId names, or undefined for the active model. A model that
   * is not (or no longer) installed is not_found with its id, before the worker is bothered.
   */
  private targetOf(modelId: string | undefined): Result<{ modelDir: string; label: string }> | undefined {
    if (modelId === undefined) return undefined;
    let model: { path: string; name: string } | null = null;
    try {
      model = this.options.resolveModel?.(modelId) ?? null;
    } catch {
      model = null;
    }
    if (model === null) return failure('not_found', `model ${JSON.stringify(modelId)} is not installed (it may have been deleted); choose another model`);
    // The active model needs no target: the worker already has it pinned.
    if (model.path === this.init.modelDir) return undefined;
    return { ok: true, value: { modelDir: model.path, label: model.name } };
  }

  /**
   * The worker's live tensor count and loaded models (tf.memory() in the worker thread, where
   * the tensors are; this thread's tfjs, if any, knows nothing of them). For the soak test.
   */
  stats(): Promise<Result<EngineStats>> {
    return this.ask(this.statting, (id) => ({ type: 'stats', id }));
  }

  /** Counts tokens of each text with the loaded model's tokenizer (for the context inspector). */
  countTokens(texts: string[]): Promise<Result<TokenCounts>> {
    return this.ask(this.counting, (id) => ({ type: 'count', id, texts }));
  }

  /** One request/answer round trip with the worker; `pending` is where its answer is awaited. */
  private ask<T>(pending: Map<string, (result: Result<T>) => void>, message: (id: string) => ToWorker): Promise<Result<T>> {
    if (this.stopping) return Promise.resolve(failure('engine_crashed', 'the engine is shutting down'));
    const started = this.startedWorker();
    if (!started.ok) return Promise.resolve(started);
    const id = String(this.nextId++);
    return new Promise((resolve) => {
      pending.set(id, resolve);
      this.post(started.value, message(id));
    });
  }

  /** The running worker, started now if need be; a failed start is engine_crashed with its cause. */
  private startedWorker(): Result<Worker> {
    try {
      return { ok: true, value: this.ensureWorker() };
    } catch (err) {
      return failure('engine_crashed', `could not start the engine worker ${this.options.workerPath}: ${messageOf(err)}`);
    }
  }

  /**
   * Replaces the worker with one that loads `modelDir` (the model switch takes effect now,
   * not at the next start). Calls in flight end with engine_error naming the new model: their
   * tokens came from the old one. The old worker is stopped before the new one loads, so two
   * large models are never in memory together. Resolves when the new worker is ready or has
   * reported its init error (see info().initError); a later reload supersedes this one.
   */
  async reload(modelDir: string | null, label: string = modelDir ?? 'no model'): Promise<EngineInfo> {
    if (this.stopping) return this.info();
    this.init = { ...this.init, modelDir };
    const old = this.worker;
    this.worker = null;
    this.backend = null;
    this.model = null;
    this.initError = null;
    this.failAll('engine_error', `the engine restarted to load model ${label}; this request was stopped, please try again`);
    if (old) await old.terminate();
    if (this.stopping) return this.info();
    try {
      await this.whenReady();
    } catch (err) {
      this.initError = { code: 'engine_crashed', message: `could not start the engine worker ${this.options.workerPath} for model ${label}: ${messageOf(err)}` };
    }
    return this.info();
  }

  /** Stops the worker for good (app quit); pending requests end with an error. */
  async terminate(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll('engine_crashed', 'the engine was stopped because the app is quitting');
    if (worker) await worker.terminate();
  }

  private post(worker: Worker, message: ToWorker): void {
    try {
      worker.postMessage(message);
    } catch (err) {
      if (message.type === 'count') this.settleCount(message.id, failure('engine_crashed', `could not send request ${message.id} to the engine: ${messageOf(err)}`));
      if (message.type === 'stats') this.settleStats(message.id, failure('engine_crashed', `could not send request ${message.id} to the engine: ${messageOf(err)}`));
      if (message.type === 'generate') this.settle(message.id, failure('engine_crashed', `could not send request ${message.id} to the engine: ${messageOf(err)}`));
    }
  }

  private settle(id: string, result: Result<GenerateEvent>): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.cleanup();
    entry.resolve(result);
  }

  private settleCount(id: string, result: Result<TokenCounts>): void {
    const resolve = this.counting.get(id);
    if (!resolve) return;
    this.counting.delete(id);
    resolve(result);
  }

  private settleStats(id: string, result: Result<EngineStats>): void {
    const resolve = this.statting.get(id);
    if (!resolve) return;
    this.statting.delete(id);
    resolve(result);
  }

  private failAll(code: ApiError['code'], message: string): void {
    for (const id of [...this.statting.keys()]) this.settleStats(id, failure(code, message));
    for (const id of [...this.pending.keys()]) this.settle(id, failure(code, message));
    for (const id of [...this.counting.keys()]) this.settleCount(id, failure(code, message));
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    if (this.stopping) throw new Error('the engine is shutting down');
    this.backend = null;
    this.model = null;
    this.initError = null;
    const worker = new Worker(this.options.workerPath, { workerData: this.init });
    this.worker = worker;
    let errorMessage: string | null = null;
    // A replaced worker's late 'ready' must not describe the new model as the old one.
    worker.on('message', (message: FromWorker) => {
      if (this.worker === worker) this.onMessage(message);
    });
    worker.on('messageerror', (err) => this.log(`engine worker: a message could not be deserialised: ${messageOf(err)}`));
    worker.on('error', (err) => {
      // An uncaught exception in the worker; 'exit' follows and does the bookkeeping.
      errorMessage = messageOf(err);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (this.stopping) return;
      this.crashes++;
      const why = errorMessage !== null ? `threw: ${errorMessage}` : `exited with code ${code}`;
      const message = `the engine worker (${this.options.workerPath}) ${why}; it restarts on the next request`;
      this.log(message);
      this.failAll('engine_crashed', message);
      this.initError ??= { code: 'engine_crashed', message };
      this.flushReadyWaiters();
    });
    return worker;
  }

  private flushReadyWaiters(): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w();
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        this.backend = message.backend;
        this.model = message.model;
        this.flushReadyWaiters();
        return;
      case 'init-error':
        this.initError = message.error;
        this.flushReadyWaiters();
        return;
      case 'event': {
        const entry = this.pending.get(message.id);
        if (!entry) return; // a late event of a request already released (cancel grace expired)
        try {
          entry.onEvent(message.event);
        } catch (err) {
          this.log(`engine host: a listener of request ${message.id} threw: ${messageOf(err)}`);
        }
        if (message.event.type === 'done') this.settle(message.id, { ok: true, value: message.event });
        return;
      }
      case 'counts':
        this.settleCount(message.id, { ok: true, value: { counts: message.counts, model: message.model } });
        return;
      case 'stats':
        this.settleStats(message.id, { ok: true, value: message.stats });
        return;
      case 'error':
        this.settleStats(message.id, { ok: false, error: message.error });
        this.settleCount(message.id, { ok: false, error: message.error });
        this.settle(message.id, { ok: false, error: message.error });
        return;
      default:
        this.log(`engine host: unknown message from the worker: ${JSON.stringify(message).slice(0, 200)}`);
    }
  }
}

function failure(code: ApiError['code'], message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
