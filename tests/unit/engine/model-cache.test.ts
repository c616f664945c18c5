import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GenerateEvent } from '../../../common/contract';
import { Engine, toApiError, type GenerateRequest, type ModelTarget } from '../../../main/engine/engine';
import { ModelCache, type ModelLoader } from '../../../main/engine/model-cache';
import type { LanguageModel, TextTokenizer } from '../../../main/engine/types';
import { makeContraryModel } from '../helpers/contrary-model';

const FIXTURES = path.resolve('tests/fixtures/models');
const TINY = path.join(FIXTURES, 'tiny');
const UNTIED = path.join(FIXTURES, 'tiny-untied');
const NOPREFIX = path.join(FIXTURES, 'tiny-noprefix');

/** A loader whose models only record that they were disposed. */
function stubLoader() {
  const loads: string[] = [];
  const disposed: string[] = [];
  const load: ModelLoader = async (dir) => {
    loads.push(dir);
    const model = { config: { nPositions: 16 }, dispose: () => disposed.push(dir) } as unknown as LanguageModel;
    return { model, tokenizer: {} as TextTokenizer, info: { name: path.basename(dir), path: dir, nLayer: 1, nEmbd: 8, nPositions: 16 } };
  };
  return { load, loads, disposed };
}

describe('ModelCache (stub loader)', () => {
  test('keeps the pinned model and the most recently used other one; evicts before loading', async () => {
    const { load, loads, disposed } = stubLoader();
    const cache = new ModelCache(load);
    await cache.loadPinned('/a');
    await cache.get('/b');
    await cache.get('/b'); // a hit: no second load
    expect(loads).toEqual(['/a', '/b']);
    await cache.get('/c');
    expect(disposed).toEqual(['/b']);
    expect(cache.summary()).toEqual([
      { name: 'a', path: '/a', pinned: true },
      { name: 'c', path: '/c', pinned: false },
    ]);
    // The pinned model is never the victim, however long ago it was used.
    await cache.get('/b');
    expect(disposed).toEqual(['/b', '/c']);
    expect(cache.has('/a')).toBe(true);
  });

  test('without a pinned model, the least recently used goes first', async () => {
    const { load, disposed } = stubLoader();
    const cache = new ModelCache(load, 2);
    await cache.get('/a');
    await cache.get('/b');
    await cache.get('/a');
    await cache.get('/c');
    expect(disposed).toEqual(['/b']);
  });

  test('a failed load leaves the cache as it was, minus the evicted model', async () => {
    const { load, disposed } = stubLoader();
    const cache = new ModelCache(async (dir) => (dir === '/bad' ? Promise.reject(new Error('config.json: not found')) : load(dir)));
    await cache.loadPinned('/a');
    await cache.get('/b');
    await expect(cache.get('/bad')).rejects.toThrow(/config.json/);
    expect(disposed).toEqual(['/b']);
    expect(cache.summary().map((m) => m.path)).toEqual(['/a']);
  });

  test('clear disposes everything; a bad capacity is refused', async () => {
    const { load, disposed } = stubLoader();
    const cache = new ModelCache(load);
    await cache.loadPinned('/a');
    await cache.get('/b');
    cache.clear();
    expect(disposed.sort()).toEqual(['/a', '/b']);
    expect(cache.pinned).toBeNull();
    expect(() => new ModelCache(load, 0)).toThrow(/capacity/);
  });
});

async function run(engine: Engine, request: GenerateRequest, target?: ModelTarget) {
  const events: GenerateEvent[] = [];
  await engine.generate(request, (e) => events.push(e), undefined, target);
  const done = events[events.length - 1];
  if (done?.type !== 'done') throw new Error('no done event');
  return done;
}

const GREEDY: GenerateRequest = { task: 'raw', context: 'The lighthouse keeper', options: { greedy: true, maxTokens: 8 } };

describe('Engine with two models (real tiny models, cpu backend)', () => {
  let engine: Engine;
  let tmp: string;
  let contrary: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-model-cache-'));
    contrary = await makeContraryModel(path.join(tmp, 'contrary'));
    engine = await Engine.create({ modelDir: TINY, backend: 'cpu' });
  });
  afterAll(async () => {
    engine?.dispose();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  test('a target model gives the same greedy text as loading it alone; the done event names it', async () => {
    const alone = await Engine.create({ modelDir: contrary, backend: 'cpu' });
    const expected = await run(alone, GREEDY);
    alone.dispose();
    const base = await run(engine, GREEDY);
    const other = await run(engine, GREEDY, { modelDir: contrary });
    expect(other.texts).toEqual(expected.texts);
    expect(other.model).toBe('contrary');
    expect(base.model).toBe('tiny');
    // The two fixtures really differ, or the compare screen would show nothing.
    expect(other.texts).not.toEqual(base.texts);
    // The active model is untouched by the other one being loaded beside it.
    expect((await run(engine, GREEDY)).texts).toEqual(base.texts);
    expect(engine.info().model?.name).toBe('tiny');
  });

  test('each model has its own prefix cache', async () => {
    const request: GenerateRequest = { task: 'raw', context: 'A quiet harbour town at dusk', options: { greedy: true, maxTokens: 2 } };
    await run(engine, request);
    const first = await run(engine, request, { modelDir: UNTIED });
    // Same tokens, other model: the active model's cached keys and values must not be reused.
    expect(first.cachedTokens).toBe(0);
    expect((await run(engine, request, { modelDir: UNTIED })).cachedTokens).toBeGreaterThan(0);
  });

  test('a third model evicts the second and frees its tensors exactly', async () => {
    await run(engine, GREEDY, { modelDir: UNTIED });
    engine.clearPrefixCaches();
    const withTwo = tf.memory().numTensors;
    expect(engine.stats().models.map((m) => [m.name, m.pinned])).toEqual([
      ['tiny', true],
      ['tiny-untied', false],
    ]);
    await run(engine, GREEDY, { modelDir: NOPREFIX });
    engine.clearPrefixCaches();
    // tiny-noprefix has the same shapes as tiny-untied minus its separate LM head.
    expect(engine.stats().models.map((m) => m.name)).toEqual(['tiny', 'tiny-noprefix']);
    await run(engine, GREEDY, { modelDir: UNTIED });
    engine.clearPrefixCaches();
    expect(tf.memory().numTensors).toBe(withTwo);
    expect(engine.stats().numTensors).toBe(withTwo);
  });

  test('a folder that is not a model is invalid_model naming it; the engine keeps serving', async () => {
    const err = await run(engine, GREEDY, { modelDir: '/nonexistent/novel-ft', label: 'Novel' }).catch((e: unknown) => e);
    expect(toApiError(err)).toMatchObject({ code: 'invalid_model', message: expect.stringMatching(/Novel \(\/nonexistent\/novel-ft\)/) });
    expect((await run(engine, GREEDY)).model).toBe('tiny');
  });

  test('a request cancelled while queued never loads its model', async () => {
    const ac = new AbortController();
    ac.abort();
    const events: GenerateEvent[] = [];
    await engine.generate(GREEDY, (e) => events.push(e), ac.signal, { modelDir: path.join(FIXTURES, 'tiny-f16') });
    expect(events).toMatchObject([{ type: 'done', reason: 'aborted' }]);
    expect(engine.stats().models.map((m) => m.name)).not.toContain('tiny-f16');
  });
});
