import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { GenerateEvent } from '../../common/contract';
import { EngineHost } from '../../main/engine-host';
import type { WorkerInit } from '../../main/engine/protocol';

const FAKE = path.join(import.meta.dirname, 'helpers/fake-worker.mjs');
const hosts: EngineHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.terminate()));
});

function host(mode?: string, workerPath = FAKE) {
  const logs: string[] = [];
  // The fake reads its behaviour from workerData.mode, an extra field the real worker ignores.
  const init: WorkerInit & { mode?: string } = { modelDir: '/models/x', mode };
  const h = new EngineHost({ workerPath, init, log: (m) => logs.push(m) });
  hosts.push(h);
  return { h, logs };
}

const req = (context: string) => ({ task: 'raw' as const, context });

describe('EngineHost with a fake worker', () => {
  test('streams events and resolves with done; info shows the backend', async () => {
    const { h } = host();
    const events: GenerateEvent[] = [];
    const r = await h.generate(req('abc'), (e) => events.push(e));
    expect(r).toMatchObject({ ok: true, value: { type: 'done', texts: ['abc'] } });
    expect(events.map((e) => (e.type === 'token' ? e.text : e.type))).toEqual(['a', 'b', 'c', 'done']);
    expect(h.info()).toMatchObject({ backend: { name: 'fake' }, model: { path: '/models/x' }, initError: null });
    expect(h.inFlight).toBe(0);
  });

  test('concurrent requests are kept apart by id', async () => {
    const { h } = host();
    const results = await Promise.all(['one', 'two', 'three'].map((c) => h.generate(req(c), () => undefined)));
    expect(results.map((r) => r.ok && r.value.type === 'done' && r.value.texts[0])).toEqual(['one', 'two', 'three']);
  });

  test('an engine error ends only its request', async () => {
    const { h } = host();
    expect(await h.generate(req('error'), () => undefined)).toEqual({ ok: false, error: { code: 'engine_error', message: 'NaN logits at step 3' } });
    expect((await h.generate(req('ok'), () => undefined)).ok).toBe(true);
  });

  test('cancel by signal ends the stream with reason aborted', async () => {
    const { h } = host();
    const ac = new AbortController();
    let tokens = 0;
    const p = h.generate(req('hang'), (e) => {
      if (e.type === 'token' && ++tokens === 3) ac.abort();
    }, ac.signal);
    expect(await p).toMatchObject({ ok: true, value: { reason: 'aborted' } });
  });

  test('an already-aborted signal never reaches the worker', async () => {
    const { h } = host();
    const ac = new AbortController();
    ac.abort();
    expect(await h.generate(req('abc'), () => undefined, ac.signal)).toMatchObject({ ok: false, error: { code: 'aborted' } });
  });

  test('a worker that ignores cancel releases the caller after the grace period', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { h } = host();
      await h.whenReady();
      const ac = new AbortController();
      const p = h.generate(req('deaf'), () => undefined, ac.signal);
      ac.abort();
      await vi.advanceTimersByTimeAsync(6_000);
      expect(await p).toMatchObject({ ok: false, error: { code: 'aborted', message: expect.stringContaining('did not confirm') } });
    } finally {
      vi.useRealTimers();
    }
  });

  test.for(['crash', 'throw'])('a worker that dies (%s) fails every in-flight call, then restarts lazily', async (how) => {
    const { h, logs } = host();
    const hanging = h.generate(req('hang'), () => undefined);
    const dying = h.generate(req(how), () => undefined);
    for (const r of await Promise.all([hanging, dying])) {
      expect(r).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
      if (!r.ok) expect(r.error.message).toMatch(how === 'crash' ? /exited with code 3.*restarts/ : /threw: tensor h\.0\.attn exploded/);
    }
    expect(h.info().crashes).toBe(1);
    expect(logs.join('\n')).toMatch(/restarts on the next request/);
    expect(await h.generate(req('again'), () => undefined)).toMatchObject({ ok: true, value: { texts: ['again'] } });
    expect(h.info().backend).toMatchObject({ name: 'fake' });
  });

  test('init-error is reported by info while the worker keeps serving', async () => {
    const { h } = host('init-error');
    await h.whenReady();
    expect(h.info()).toMatchObject({ backend: null, initError: { code: 'no_model', message: 'no model at /models/x' } });
  });

  test('a missing worker script is engine_crashed with its path', async () => {
    const { h } = host(undefined, path.join(import.meta.dirname, 'helpers/does-not-exist.mjs'));
    const r = await h.generate(req('abc'), () => undefined);
    expect(r).toMatchObject({ ok: false, error: { code: 'engine_crashed', message: expect.stringContaining('does-not-exist.mjs') } });
  });

  test('a worker that dies at start fails the call and waiters are released', async () => {
    const { h } = host('die-at-start');
    const r = await h.generate(req('abc'), () => undefined);
    expect(r).toMatchObject({ ok: false, error: { code: 'engine_crashed', message: expect.stringContaining('code 7') } });
    await h.whenReady();
  });

  test('terminate fails in-flight calls and refuses new ones', async () => {
    const { h } = host();
    const p = h.generate(req('hang'), () => undefined);
    await h.terminate();
    expect(await p).toMatchObject({ ok: false, error: { code: 'engine_crashed', message: expect.stringContaining('quitting') } });
    expect(await h.generate(req('abc'), () => undefined)).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
  });
});

const REAL_WORKER = path.resolve('dist/main/engine/worker.js');
const TINY_MODEL = path.resolve('tests/fixtures/models/tiny');
const realReady = existsSync(REAL_WORKER) && existsSync(path.join(TINY_MODEL, 'config.json'));
if (!realReady) console.log(`engine-host: skipping the real-worker test: needs ${REAL_WORKER} (npm run build) and ${TINY_MODEL} (npm run fixtures)`);

describe.skipIf(!realReady)('EngineHost with the real worker', () => {
  test('generates a few tokens with the tiny model', async () => {
    const h = new EngineHost({ workerPath: REAL_WORKER, init: { modelDir: TINY_MODEL } });
    hosts.push(h);
    const events: GenerateEvent[] = [];
    const r = await h.generate({ task: 'raw', context: 'Hello', options: { maxTokens: 4, greedy: true } }, (e) => events.push(e));
    expect(r).toMatchObject({ ok: true, value: { type: 'done' } });
    expect(events.filter((e) => e.type === 'token').length).toBeGreaterThan(0);
    expect(h.info().backend).not.toBeNull();
  });
});

describe('EngineHost.countTokens', () => {
  test('answers with the worker counts, kept apart from concurrent generations', async () => {
    const { h } = host();
    const [counts, gen] = await Promise.all([h.countTokens(['abc', '']), h.generate(req('xy'), () => undefined)]);
    expect(counts).toEqual({ ok: true, value: { counts: [3, 0], model: 'fake' } });
    expect(gen.ok).toBe(true);
  });

  test('a worker error reaches the caller with its code', async () => {
    const { h } = host();
    expect(await h.countTokens(['error'])).toEqual({ ok: false, error: { code: 'no_model', message: 'no tokenizer' } });
  });

  test('a crash fails a pending count with engine_crashed', async () => {
    const { h } = host();
    expect(await h.countTokens(['crash'])).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
  });
});

describe('EngineHost.reload', () => {
  test('switches the model at once; the next call runs on the new worker', async () => {
    const { h, logs } = host();
    await h.whenReady();
    expect(h.info().model?.path).toBe('/models/x');
    const info = await h.reload('/models/y', 'Y');
    expect(info).toMatchObject({ model: { path: '/models/y' }, initError: null, crashes: 0 });
    expect(await h.generate(req('abc'), () => undefined)).toMatchObject({ ok: true, value: { texts: ['abc'] } });
    // A reload is not a crash: nothing is counted or logged as one.
    expect(logs.join('\n')).not.toMatch(/restarts on the next request/);
  });

  test('calls in flight end with an error naming the model being loaded', async () => {
    const { h } = host();
    const hanging = h.generate(req('hang'), () => undefined);
    await h.whenReady();
    await h.reload('/models/y', 'GPT-2 Medium');
    expect(await hanging).toEqual({
      ok: false,
      error: { code: 'engine_error', message: 'the engine restarted to load model GPT-2 Medium; this request was stopped, please try again' },
    });
    expect(h.inFlight).toBe(0);
  });

  test('a reload during start-up never shows the old model as loaded', async () => {
    const { h } = host();
    h.start();
    const info = await h.reload('/models/y');
    expect(info.model?.path).toBe('/models/y');
  });

  test('back-to-back reloads end on the last model', async () => {
    const { h } = host();
    await h.whenReady();
    const [first, second] = await Promise.all([h.reload('/models/y'), h.reload('/models/z')]);
    expect(second.model?.path).toBe('/models/z');
    expect(first.model?.path).toBe('/models/z');
    expect(h.info().model?.path).toBe('/models/z');
  });

  test('a model that fails to load is reported by info().initError', async () => {
    const { h } = host('init-error');
    await h.whenReady();
    const info = await h.reload('/models/broken');
    expect(info).toMatchObject({ model: null, initError: { code: 'no_model', message: 'no model at /models/broken' } });
  });

  test('after terminate, reload starts nothing', async () => {
    const { h } = host();
    await h.terminate();
    expect(await h.reload('/models/y')).toMatchObject({ backend: null, model: null });
    expect(h.inFlight).toBe(0);
  });
});

describe('EngineHost: a request on another model (modelId)', () => {
  const library: Record<string, { path: string; name: string }> = {
    active: { path: '/models/x', name: 'Active' },
    novel: { path: '/models/novel-ft', name: 'Novel fine-tune' },
  };
  function withLibrary() {
    const h = new EngineHost({
      workerPath: FAKE,
      init: { modelDir: '/models/x' },
      log: () => undefined,
      resolveModel: (id) => library[id] ?? null,
    });
    hosts.push(h);
    return h;
  }

  test.for([
    ['novel', '/models/novel-ft'],
    ['active', undefined],
    [undefined, undefined],
  ] as const)('modelId %s runs on folder %s (the active model needs no target)', async ([modelId, folder]) => {
    const h = withLibrary();
    const r = await h.generate({ ...req('abc'), ...(modelId ? { modelId } : {}) }, () => undefined);
    expect(r.ok && r.value.type === 'done' ? r.value.model : 'failed').toBe(folder);
  });

  test.for([
    ['deleted', true],
    ['novel', false],
  ] as const)('an id the library does not know (%s) is not_found naming it; no resolver: every id is', async ([modelId, withResolver]) => {
    const h = withResolver ? withLibrary() : host().h;
    const r = await h.generate({ ...req('abc'), modelId }, () => undefined);
    expect(r).toEqual({ ok: false, error: { code: 'not_found', message: expect.stringContaining(`"${modelId}" is not installed`) } });
    expect(h.inFlight).toBe(0);
  });

  test('a resolver that throws (the registry says not_found) is not_found too', async () => {
    const h = new EngineHost({ workerPath: FAKE, init: { modelDir: '/m' }, resolveModel: () => { throw new Error('no model with id "x"'); } });
    hosts.push(h);
    expect(await h.generate({ ...req('abc'), modelId: 'x' }, () => undefined)).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('EngineHost.stats', () => {
  test("answers with the worker's tensor count and loaded models", async () => {
    const h = new EngineHost({ workerPath: FAKE, init: { modelDir: '/models/x' }, resolveModel: () => ({ path: '/models/y', name: 'Y' }) });
    hosts.push(h);
    await h.generate({ ...req('a'), modelId: 'y' }, () => undefined);
    expect(await h.stats()).toEqual({
      ok: true,
      value: { numTensors: 42, numBytes: 4200, models: [{ name: 'fake', path: '/models/x', pinned: true }, { name: '/models/y', path: '/models/y', pinned: false }] },
    });
  });

  test('after terminate, stats is refused', async () => {
    const { h } = host();
    await h.terminate();
    expect(await h.stats()).toMatchObject({ ok: false, error: { code: 'engine_crashed', message: expect.stringContaining('shutting down') } });
  });
});
