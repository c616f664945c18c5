/**
 * The transport-agnostic heart of the main process: takes an untrusted channel
 * name and payload (from Electron IPC or the browser-mode WebSocket), checks
 * the payload's shape cheaply, validates it against the contract's zod schema
 * and only then calls a service. It never throws: every outcome is a Result.
 *
 * Handlers are a map typed from the contract, so a channel added to
 * common/contract.ts without a handler here is a compile error.
 */
import {
  contract,
  isChannel,
  MAX_DOCUMENT_CHARS,
  type AppInfo,
  type ApiError,
  type CallChannel,
  type EventOf,
  type ParsedRequestOf,
  type ResponseOf,
  type Result,
  type Settings,
  type StreamChannel,
  type DocumentContent,
  type DocumentMeta,
  type DocumentSettings,
  type ExportedFile,
  type ProvenanceSpan,
  type GenerateEvent,
  type CatalogueItem,
  type DownloadEvent,
  type ModelInfo,
  type DatasetReport,
  type TrainingEvent,
  type TrainingCurrent,
  type ResumableRun,
  type CheckpointSample,
  type OpenFilesResult,
} from '../common/contract';
import { ServiceError, toApiError } from './services/service-error';

/** The model library (main/services/models); optional so that tests of other services need not fake it. */
export interface ModelsRouterService {
  list(): Promise<ModelInfo[]>;
  catalogue(): Promise<CatalogueItem[]>;
  setActive(id: string): Promise<ModelInfo>;
  rename(id: string, name: string): Promise<ModelInfo>;
  delete(id: string): Promise<{ ok: true }>;
  import(request: { path: string; name?: string }): Promise<ModelInfo>;
  export(id: string, path: string): Promise<{ path: string }>;
  discardDownload(name: string): Promise<{ ok: true }>;
  download(name: string, onEvent: (event: DownloadEvent) => void, signal: AbortSignal): Promise<Result<DownloadEvent>>;
}

/** Fine-tuning (main/services/training.ts); optional like the model library. */
export interface TrainingRouterService {
  inspect(request: ParsedRequestOf<'training.inspect'>): Promise<DatasetReport>;
  start(request: ParsedRequestOf<'training.start'>, onEvent: (event: TrainingEvent) => void, signal: AbortSignal): Promise<Result<TrainingEvent>>;
  pause(runId: string): { ok: true };
  resume(runId: string): { ok: true };
  cancel(runId: string): { ok: true };
  currentRun(): TrainingCurrent | null;
  watch(runId: string, onEvent: (event: TrainingEvent) => void, signal: AbortSignal): Promise<Result<TrainingEvent>>;
  resumable(): Promise<ResumableRun[]>;
  resumeRun(runId: string, onEvent: (event: TrainingEvent) => void, signal: AbortSignal): Promise<Result<TrainingEvent>>;
  discard(runId: string): Promise<{ ok: true }>;
  samples(modelId: string): Promise<CheckpointSample[]>;
  inbox: {
    begin(request: { name: string; size: number }): Promise<{ stageId: string; name: string }>;
    chunk(request: { stageId: string; index: number; base64: string }): Promise<{ received: number }>;
    end(request: { stageId: string; sha256?: string }): Promise<{ path: string; name: string; size: number }>;
    cancel(stageId: string): Promise<{ ok: true }>;
  };
}

/** What the router needs from the services; the real ones are wired in serve.ts / index.ts. */
export interface RouterServices {
  appInfo(): AppInfo;
  settings: { get(): Settings; set(partial: Partial<Settings>): Promise<Settings> };
  documents: {
    list(): Promise<DocumentMeta[]>;
    open(id: string): Promise<DocumentContent>;
    save(request: ParsedRequestOf<'documents.save'>): Promise<DocumentMeta>;
    journal(id: string, content: string, provenance?: ProvenanceSpan[]): Promise<{ ok: true }>;
    delete(id: string): Promise<{ ok: true; stamp: string }>;
    restore(id: string, stamp: string): Promise<DocumentMeta>;
    rename(id: string, title: string): Promise<DocumentMeta>;
    export(id: string, format: 'md' | 'docx', provenance: boolean): Promise<ExportedFile>;
    getSettings(id: string): Promise<DocumentSettings>;
    setSettings(id: string, settings: DocumentSettings): Promise<DocumentSettings>;
  };
  engine: {
    generate(
      request: ParsedRequestOf<'engine.generate'>,
      onEvent: (event: GenerateEvent) => void,
      signal: AbortSignal,
    ): Promise<Result<GenerateEvent>>;
    countTokens(texts: string[]): Promise<Result<{ counts: number[]; model: string | null }>>;
  };
  models?: ModelsRouterService;
  training?: TrainingRouterService;
  /** The native file dialog: Electron's transport answers dialog.openFiles itself (main/ipc.ts); absent means 'unsupported'. */
  dialog?: { openFiles(request: ParsedRequestOf<'dialog.openFiles'>): Promise<OpenFilesResult> };
}

/** Read once: the end-to-end tests start the server with it; the app never sets it. */
const TEST_HOOKS = process.env.INKWELL_TEST_HOOKS === '1';

/** Streams are registered per scope (one window, one WebSocket) so one client cannot cancel another's. */
export interface Router {
  call(channel: unknown, payload: unknown, scope?: string): Promise<Result<unknown>>;
  stream(
    channel: unknown,
    payload: unknown,
    onEvent: (event: unknown) => void,
    signal?: AbortSignal,
    streamId?: string,
    scope?: string,
  ): Promise<Result<unknown>>;
  /** Cancels every running stream of a scope (its window closed, its socket dropped). */
  cancelScope(scope: string): number;
  /** Number of running streams, for tests and diagnostics. */
  readonly activeStreams: number;
}

type CallHandlers = { [C in CallChannel]: (request: ParsedRequestOf<C>, scope: string) => Promise<ResponseOf<C>> | ResponseOf<C> };
type StreamHandlers = {
  [C in StreamChannel]: (
    request: ParsedRequestOf<C>,
    onEvent: (event: EventOf<C>) => void,
    signal: AbortSignal,
  ) => Promise<Result<EventOf<C>>>;
};

// ---- payload guard (BAD-INPUTS F.1-F.3) ----
// Iterative, so a 1e5-deep object cannot overflow the stack; a node budget; no
// cycles or shared references; only plain JSON-like values (no Map, Date, typed
// arrays, BigInt, functions); string caps checked before zod runs at all.
export const GUARD_MAX_DEPTH = 32;
export const GUARD_MAX_NODES = 10_000;
export const GUARD_MAX_TOTAL_CHARS = MAX_DOCUMENT_CHARS + 1_000_000;

function typeName(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? name : 'object';
}

/** Returns null when the payload may go to zod, else a message naming the problem and where it is. */
export function checkPayloadShape(payload: unknown): string | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: payload, depth: 0, path: '(root)' }];
  const seen = new Set<object>();
  let nodes = 0;
  let chars = 0;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string };
    if (++nodes > GUARD_MAX_NODES) return `payload has more than ${GUARD_MAX_NODES} values`;
    if (typeof value === 'string') {
      chars += value.length;
      if (value.length > MAX_DOCUMENT_CHARS) return `${path}: string of ${value.length} chars exceeds ${MAX_DOCUMENT_CHARS}`;
      if (chars > GUARD_MAX_TOTAL_CHARS) return `payload strings exceed ${GUARD_MAX_TOTAL_CHARS} chars in total`;
      continue;
    }
    if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) continue;
    if (typeof value !== 'object') return `${path}: unsupported value of type ${typeof value}`;
    if (depth >= GUARD_MAX_DEPTH) return `${path}: nested deeper than ${GUARD_MAX_DEPTH} levels`;
    if (seen.has(value)) return `${path}: cyclic or shared reference`;
    seen.add(value);
    if (Array.isArray(value)) {
      if (value.length > GUARD_MAX_NODES) return `${path}: array of ${value.length} items exceeds ${GUARD_MAX_NODES}`;
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], depth: depth + 1, path: `${path}[${i}]` });
      continue;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path}: unsupported value of type ${typeName(value)}`;
    const keys = Object.keys(value);
    if (keys.length > GUARD_MAX_NODES) return `${path}: object with ${keys.length} keys exceeds ${GUARD_MAX_NODES}`;
    for (const key of keys) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return `${path}: forbidden key "${key}"`;
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: path === '(root)' ? key : `${path}.${key}` });
    }
  }
  return null;
}

const MAX_ISSUES_IN_MESSAGE = 8;

function fail(code: ApiError['code'], message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

/** Guard + zod; the message lists zod's issues as `path: message`. */
function validate(channel: string, payload: unknown): Result<unknown> {
  const shape = checkPayloadShape(payload);
  if (shape !== null) return fail('invalid_payload', `${channel}: ${shape}`);
  const parsed = contract[channel as keyof typeof contract].request.safeParse(payload);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues;
  const listed = issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  const more = issues.length > MAX_ISSUES_IN_MESSAGE ? `; and ${issues.length - MAX_ISSUES_IN_MESSAGE} more` : '';
  return fail('invalid_payload', `${channel}: ${listed}${more}`);
}

function describeChannel(channel: unknown): string {
  if (typeof channel !== 'string') return `a ${channel === null ? 'null' : typeof channel} channel name`;
  return JSON.stringify(channel.length > 64 ? `${channel.slice(0, 64)}…` : channel);
}

export function createRouter(services: RouterServices): Router {
  /** Running streams by scope + '\0' + streamId. */
  const running = new Map<string, AbortController>();
  let nextStreamId = 1;
  let cancels = 0;
  const keyOf = (scope: string, streamId: string) => `${scope}\0${streamId}`;
  const models = (): ModelsRouterService => {
    if (!services.models) throw new ServiceError('not_found', 'the model library is not available in this process');
    return services.models;
  };
  const training = (): TrainingRouterService => {
    if (!services.training) throw new ServiceError('not_found', 'training is not available in this process');
    return services.training;
  };

  const calls: CallHandlers = {
    // INKWELL_TEST_HOOKS=1 (end-to-end tests only) adds counters the specs assert on, e.g. that a cancel arrived.
    'app.info': () => (TEST_HOOKS ? { ...services.appInfo(), testHooks: { cancels } } : services.appInfo()),
    'settings.get': () => services.settings.get(),
    'settings.set': (request) => services.settings.set(request),
    'documents.list': () => services.documents.list(),
    'documents.open': (request) => services.documents.open(request.id),
    'documents.save': (request) => services.documents.save(request),
    'documents.journal': (request) => services.documents.journal(request.id, request.content, request.provenance),
    'documents.delete': (request) => services.documents.delete(request.id),
    'documents.restore': (request) => services.documents.restore(request.id, request.stamp),
    'documents.rename': (request) => services.documents.rename(request.id, request.title),
    'documents.export': (request) => services.documents.export(request.id, request.format, request.provenance),
    'documents.getSettings': (request) => services.documents.getSettings(request.id),
    'documents.setSettings': (request) => services.documents.setSettings(request.id, request.settings),
    'engine.countTokens': async (request) => {
      const r = await services.engine.countTokens(request.texts);
      if (!r.ok) throw new ServiceError(r.error.code, r.error.message);
      return r.value;
    },
    'engine.cancel': (request, scope) => {
      const controller = running.get(keyOf(scope, request.streamId));
      if (!controller) return { cancelled: false };
      cancels++;
      controller.abort();
      return { cancelled: true };
    },
    'models.list': () => models().list(),
    'models.catalogue': () => models().catalogue(),
    'models.setActive': (request) => models().setActive(request.id),
    'models.rename': (request) => models().rename(request.id, request.name),
    'models.delete': (request) => models().delete(request.id),
    'models.import': (request) => models().import(request),
    'models.export': (request) => models().export(request.id, request.path),
    'models.discardDownload': (request) => models().discardDownload(request.name),
    'training.inspect': (request) => training().inspect(request),
    'training.pause': (request) => training().pause(request.runId),
    'training.resume': (request) => training().resume(request.runId),
    'training.cancel': (request) => training().cancel(request.runId),
    'training.current': () => training().currentRun(),
    'training.resumable': () => training().resumable(),
    'training.discard': (request) => training().discard(request.runId),
    'training.stageBegin': (request) => training().inbox.begin(request),
    'training.stageChunk': (request) => training().inbox.chunk(request),
    'training.stageEnd': (request) => training().inbox.end(request),
    'training.stageCancel': (request) => training().inbox.cancel(request.stageId),
    'models.samples': (request) => training().samples(request.id),
    'dialog.openFiles': (request) => services.dialog?.openFiles(request) ?? { status: 'unsupported' },
  };

  const streams: StreamHandlers = {
    'engine.generate': (request, onEvent, signal) => services.engine.generate(request, onEvent, signal),
    'models.download': (request, onEvent, signal) => models().download(request.name, onEvent, signal),
    'training.start': (request, onEvent, signal) => training().start(request, onEvent, signal),
    'training.watch': (request, onEvent, signal) => training().watch(request.runId, onEvent, signal),
    'training.resumeRun': (request, onEvent, signal) => training().resumeRun(request.runId, onEvent, signal),
  };

  return {
    get activeStreams() {
      return running.size;
    },

    async call(channel, payload, scope = '') {
      try {
        if (!isChannel(channel)) return fail('unknown_channel', `unknown channel ${describeChannel(channel)}`);
        if (contract[channel].kind !== 'call') return fail('unknown_channel', `${channel} is a stream; open it as a stream, not a call`);
        const checked = validate(channel, payload);
        if (!checked.ok) return checked;
        const handler = calls[channel as CallChannel] as (request: unknown, scope: string) => unknown;
        return { ok: true, value: await handler(checked.value, scope) };
      } catch (err) {
        return { ok: false, error: toApiError(err) };
      }
    },

    async stream(channel, payload, onEvent, signal, streamId, scope = '') {
      let key: string | null = null;
      try {
        if (!isChannel(channel)) return fail('unknown_channel', `unknown channel ${describeChannel(channel)}`);
        if (contract[channel].kind !== 'stream') return fail('unknown_channel', `${channel} is a call, not a stream`);
        const id = streamId ?? `auto-${nextStreamId++}`;
        if (running.has(keyOf(scope, id))) return fail('conflict', `${channel}: stream id ${JSON.stringify(id)} is already running`);
        const checked = validate(channel, payload);
        if (!checked.ok) return checked;
        if (signal?.aborted) return fail('aborted', `${channel}: cancelled before it started`);
        const controller = new AbortController();
        const onOuterAbort = () => controller.abort();
        signal?.addEventListener('abort', onOuterAbort, { once: true });
        key = keyOf(scope, id);
        running.set(key, controller);
        try {
          const handler = streams[channel as StreamChannel] as (
            request: unknown,
            onEvent: (event: unknown) => void,
            signal: AbortSignal,
          ) => Promise<Result<unknown>>;
          // A listener that throws (a closed window) must not break the stream for the engine.
          const safeOnEvent = (event: unknown) => {
            try {
              onEvent(event);
            } catch {
              controller.abort();
            }
          };
          return await handler(checked.value, safeOnEvent, controller.signal);
        } finally {
          signal?.removeEventListener('abort', onOuterAbort);
        }
      } catch (err) {
        return { ok: false, error: toApiError(err) };
      } finally {
        if (key !== null) running.delete(key);
      }
    },

    cancelScope(scope) {
      let n = 0;
      const prefix = `${scope}\0`;
      for (const [key, controller] of running) {
        if (key.startsWith(prefix)) {
          controller.abort();
          n++;
        }
      }
      return n;
    },
  };
}
