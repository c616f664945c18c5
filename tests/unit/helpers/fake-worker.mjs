// A stand-in for main/engine/worker.ts that speaks the same protocol without
// tfjs, so engine-host.test.ts can test crashes, cancels and restarts.
// The request's context picks the behaviour:
//   'crash'  one token, then process exit 3      'throw'  one token, then an uncaught error
//   'hang'   a token every 5 ms until cancelled   'deaf'   ignores cancel and never ends
//   'error'  an engine_error                      other    one token per character, then done
// 'count' messages answer with character counts ('error' fails, 'crash' exits).
// A 'generate' with a target model folder reports that folder as the done event's model;
// 'stats' answers with the targets seen so far as its models.
// workerData.mode: 'init-error' reports a failed model load; 'die-at-start' exits at once.
import { parentPort, workerData } from 'node:worker_threads';

if (workerData.mode === 'die-at-start') process.exit(7);

const backend = { name: 'fake', device: 'test double', skipped: [] };
if (workerData.mode === 'init-error') {
  parentPort.postMessage({ type: 'init-error', error: { code: 'no_model', message: `no model at ${workerData.modelDir}` } });
} else {
  parentPort.postMessage({ type: 'ready', backend, model: { name: 'fake', path: String(workerData.modelDir), nLayer: 1, nEmbd: 8, nPositions: 16 } });
}

const timers = new Map();
const done = (texts, reason, model) => ({ type: 'done', texts, reason, truncatedPromptTokens: 0, promptTokens: 1, cachedTokens: 0, elapsedMs: 1, ...(model ? { model } : {}) });
const targets = [];
const token = (id, text) => parentPort.postMessage({ type: 'event', id, event: { type: 'token', alternative: 0, text, tokenId: 1 } });

parentPort.on('message', (msg) => {
  if (msg.type === 'cancel') {
    const timer = timers.get(msg.id);
    if (timer === 'deaf') return;
    if (timer) clearInterval(timer);
    timers.delete(msg.id);
    parentPort.postMessage({ type: 'event', id: msg.id, event: done([''], 'aborted') });
    return;
  }
  if (msg.type === 'count') {
    // Counts characters; a text 'crash' kills the worker mid-request.
    if (msg.texts.includes('crash')) process.exit(4);
    if (msg.texts.includes('error')) parentPort.postMessage({ type: 'error', id: msg.id, error: { code: 'no_model', message: 'no tokenizer' } });
    else parentPort.postMessage({ type: 'counts', id: msg.id, counts: msg.texts.map((t) => t.length), model: 'fake' });
    return;
  }
  if (msg.type === 'stats') {
    const models = [{ name: 'fake', path: String(workerData.modelDir), pinned: true }, ...targets.map((t) => ({ name: t, path: t, pinned: false }))];
    parentPort.postMessage({ type: 'stats', id: msg.id, stats: { numTensors: 42, numBytes: 4200, models } });
    return;
  }
  if (msg.type !== 'generate') return;
  const { id, request } = msg;
  if (msg.target && !targets.includes(msg.target.modelDir)) targets.push(msg.target.modelDir);
  switch (request.context) {
    case 'crash':
      token(id, 'x');
      setTimeout(() => process.exit(3), 5);
      return;
    case 'throw':
      token(id, 'x');
      setTimeout(() => { throw new Error('tensor h.0.attn exploded'); }, 5);
      return;
    case 'hang':
      timers.set(id, setInterval(() => token(id, '.'), 5));
      return;
    case 'deaf':
      timers.set(id, 'deaf');
      return;
    case 'error':
      parentPort.postMessage({ type: 'error', id, error: { code: 'engine_error', message: 'NaN logits at step 3' } });
      return;
    default:
      for (const ch of request.context) token(id, ch);
      parentPort.postMessage({ type: 'event', id, event: done([request.context], 'length', msg.target?.modelDir) });
  }
});
