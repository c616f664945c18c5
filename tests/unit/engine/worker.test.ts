import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorker } from '../helpers/bundle-worker';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerInit } from '../../../main/engine/protocol';
import type { GenerateEvent } from '../../../common/contract';

const TINY = path.resolve('tests/fixtures/models/tiny');

let dir: string;
let entry: string;
const workers: Worker[] = [];

beforeAll(async () => {
  ({ dir, file: entry } = await bundleWorker('main/engine/worker.ts', 'inkwell-worker-'));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
  await rm(dir, { recursive: true, force: true });
});

/** A worker with a queue of its messages. */
function start(init: WorkerInit) {
  const worker = new Worker(entry, { workerData: init, stdout: true, stderr: true });
  workers.push(worker);
  const inbox: FromWorker[] = [];
  const waiters: (() => void)[] = [];
  let log = '';
  worker.stderr.on('data', (d: Buffer) => (log += d.toString()));
  worker.on('message', (m: FromWorker) => {
    inbox.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  /** Resolves with the first message (removed from the inbox) that matches. */
  const next = async <T extends FromWorker>(match: (m: FromWorker) => m is T, timeoutMs = 30_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const at = inbox.findIndex(match);
      if (at >= 0) return inbox.splice(at, 1)[0] as T;
      if (Date.now() > until) throw new Error(`worker: no matching message in ${timeoutMs} ms; got ${JSON.stringify(inbox)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  const post = (m: ToWorker | { type: string }) => worker.postMessage(m);
  return { worker, inbox, next, post, log: () => log };
}

const isType =
  <K extends FromWorker['type']>(type: K) =>
  (m: FromWorker): m is Extract<FromWorker, { type: K }> =>
    m.type === type;
const endOf =
  (id: string) =>
  (m: FromWorker): m is Extract<FromWorker, { type: 'event' | 'error' }> =>
    (m.type === 'event' && m.id === id && m.event.type === 'done') || (m.type === 'error' && m.id === id);

describe('engine worker (built with esbuild, real worker_threads)', () => {
  test('ready, then streamed tokens and one done event; cancel ends a run early', async () => {
    const w = start({ modelDir: TINY });
    const ready = await w.next(isType('ready'));
    expect(ready.model).toMatchObject({ name: 'tiny', nPositions: 128 });
    expect(w.inbox.filter((m) => m.type === 'init-error')).toHaveLength(0);

    w.post({ type: 'nonsense' }); // logged and ignored
    w.post({ type: 'generate', id: 'r1', request: { task: 'raw', context: 'Hello there', options: { maxTokens: 8, seed: 3 } } });
    const done = await w.next(endOf('r1'));
    expect(done.type).toBe('event');
    const tokens = w.inbox.filter((m): m is Extract<FromWorker, { type: 'event' }> => m.type === 'event' && m.id === 'r1');
    const text = tokens.map((m) => (m.event.type === 'token' ? m.event.text : '')).join('');
    expect((done as { event: Extract<GenerateEvent, { type: 'done' }> }).event.texts[0]).toBe(text);
    expect(w.log()).toMatch(/unknown type "nonsense"/);

    // Cancel after the first token of a long run: it ends 'aborted', well before its 120 tokens.
    w.inbox.length = 0;
    w.post({ type: 'generate', id: 'r2', request: { task: 'raw', context: 'Long', options: { maxTokens: 120, seed: 1 } } });
    await w.next((m): m is FromWorker => m.type === 'event' && m.id === 'r2' && m.event.type === 'token');
    w.post({ type: 'cancel', id: 'r2' });
    w.post({ type: 'cancel', id: 'no-such-id' });
    const end = await w.next(endOf('r2'));
    const ev = (end as { event: Extract<GenerateEvent, { type: 'done' }> }).event;
    expect(ev.reason).toBe('aborted');
    const streamedBeforeCancel = w.inbox.filter((m) => m.type === 'event' && m.id === 'r2').length;
    expect(streamedBeforeCancel).toBeLessThan(100);
  });

  test('no model: ready without one, and generate answers no_model', async () => {
    const w = start({ modelDir: null });
    const ready = await w.next(isType('ready'));
    expect(ready.model).toBeNull();
    w.post({ type: 'generate', id: 'x', request: { task: 'raw', context: 'hi' } });
    const err = await w.next(endOf('x'));
    expect(err).toMatchObject({ type: 'error', id: 'x', error: { code: 'no_model' } });
  });

  test('a model folder that cannot load posts init-error, and requests then fail', async () => {
    const w = start({ modelDir: path.join(dir, 'missing-model') });
    const initError = await w.next(isType('init-error'));
    expect(initError.error.message).toMatch(/missing-model/);
    w.post({ type: 'generate', id: 'y', request: { task: 'raw', context: 'hi' } });
    expect(await w.next(endOf('y'))).toMatchObject({ type: 'error', error: { code: 'engine_error' } });
  });
});
