/**
 * The engine worker's entry (worker_threads): a message loop around Engine.
 *
 * Protocol (protocol.ts): the first message out is exactly one 'ready' or
 * 'init-error'. Then, per request id, any number of 'event' messages ending
 * in a 'done' event, or an 'error' message. 'cancel' aborts a running or
 * queued request by id (unknown ids are ignored); the engine checks the
 * signal between tokens and ends the stream with reason 'aborted'.
 * A 'generate' may carry a target model folder (engine.ts loads it into its
 * model cache on the request's turn); 'stats' answers with tfjs's live
 * tensor count and the loaded models.
 * Nothing thrown here escapes: request failures become 'error' messages and
 * a failure to start becomes 'init-error'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerInit } from './protocol';
import type { ApiError } from '../../common/contract';
import { Engine, toApiError } from './engine';

const port = parentPort;
if (!port) throw new Error('engine worker: started outside worker_threads (no parentPort)');

const send = (message: FromWorker): void => port.postMessage(message);
const running = new Map<string, AbortController>();
/** Why the engine could not start, repeated to every later request so the window can say what is wrong. */
let startError: ApiError | null = null;

async function start(): Promise<Engine | null> {
  try {
    const engine = await Engine.create(workerData as WorkerInit);
    send({ type: 'ready', ...engine.info() });
    return engine;
  } catch (err) {
    startError = toApiError(err);
    send({ type: 'init-error', error: startError });
    return null;
  }
}

// Listen before the engine is ready so that no early message is lost; requests wait for start-up.
const engineReady = start();

type GenerateMessage = Extract<ToWorker, { type: 'generate' }>;

function handleGenerate(id: string, request: GenerateMessage['request'], target: GenerateMessage['target']): void {
  if (running.has(id)) {
    send({ type: 'error', id, error: { code: 'invalid_payload', message: `request id '${id}' is already running` } });
    return;
  }
  const controller = new AbortController();
  running.set(id, controller);
  void (async () => {
    try {
      const engine = await engineReady;
      if (!engine) {
        const why = startError ?? { code: 'engine_error', message: 'unknown reason' };
        send({ type: 'error', id, error: { code: why.code, message: `the engine could not start: ${why.message}` } });
        return;
      }
      await engine.generate(request, (event) => send({ type: 'event', id, event }), controller.signal, target);
    } catch (err) {
      send({ type: 'error', id, error: toApiError(err) });
    } finally {
      running.delete(id);
    }
  })();
}

function handleCount(id: string, texts: string[]): void {
  void (async () => {
    try {
      const engine = await engineReady;
      if (!engine) throw new Error(`the engine could not start: ${startError?.message ?? 'unknown reason'}`);
      send({ type: 'counts', id, ...engine.countTokens(texts) });
    } catch (err) {
      send({ type: 'error', id, error: toApiError(err) });
    }
  })();
}

function handleStats(id: string): void {
  void (async () => {
    try {
      const engine = await engineReady;
      if (!engine) throw new Error(`the engine could not start: ${startError?.message ?? 'unknown reason'}`);
      send({ type: 'stats', id, stats: engine.stats() });
    } catch (err) {
      send({ type: 'error', id, error: toApiError(err) });
    }
  })();
}

port.on('message', (message: ToWorker) => {
  try {
    switch (message?.type) {
      case 'generate':
        handleGenerate(message.id, message.request, message.target);
        break;
      case 'cancel':
        running.get(message.id)?.abort();
        break;
      case 'count':
        handleCount(message.id, message.texts);
        break;
      case 'stats':
        handleStats(message.id);
        break;
      default:
        console.warn(`engine worker: ignoring a message of unknown type ${JSON.stringify((message as { type?: unknown })?.type)}`);
    }
  } catch (err) {
    console.error('engine worker: failed to handle a message', err);
  }
});
