/**
 * engine.generate's modelId end to end below the window: the contract's schema, the router,
 * the models service resolving the id, and the real engine worker running the named model
 * beside the active one.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contract, DocumentSettingsSchema, type GenerateEvent, type ModelInfo } from '../../common/contract';
import { createAppServices, type AppServices } from '../../main/services/app-services';
import { makeContraryModel, TINY_DIR } from './helpers/contrary-model';

describe('the contract', () => {
  const generate = contract['engine.generate'].request;
  test.for([
    ['novel-ft', true],
    ['gpt2', true],
    ['../etc', false],
    ['Novel', false],
    ['', false],
    ['a'.repeat(81), false],
  ] as const)('engine.generate modelId %j valid: %s', ([modelId, ok]) => {
    expect(generate.safeParse({ task: 'raw', context: 'x', modelId }).success).toBe(ok);
  });

  test.for([
    [{}, true],
    [{ modelId: null }, true],
    [{ modelId: 'novel-ft' }, true],
    [{ modelId: '../up' }, false],
    [{ modelId: 7 }, false],
  ] as const)('document settings %j valid: %s', ([extra, ok]) => {
    expect(DocumentSettingsSchema.safeParse({ memory: '', authorsNote: '', preset: null, generation: {}, ...extra }).success).toBe(ok);
  });
});

const WORKER = path.resolve('dist/main/engine/worker.js');
const ready = existsSync(WORKER) && existsSync(path.join(TINY_DIR, 'config.json'));
if (!ready) console.log(`app-services-model-id: skipped the real-worker part: needs ${WORKER} (npm run build)`);

describe.skipIf(!ready)('engine.generate with a modelId (real worker)', () => {
  let dir: string;
  let app: AppServices;
  let other: ModelInfo;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-model-id-'));
    app = await createAppServices({ dataDir: path.join(dir, 'data'), modelDir: TINY_DIR, workerPath: WORKER, mode: 'browser', version: '0', log: () => undefined });
    const source = await makeContraryModel(path.join(dir, 'contrary'));
    const r = await app.router.call('models.import', { path: source, name: 'Contrary voice' });
    if (!r.ok) throw new Error(`import failed: ${r.error.message}`);
    other = r.value as ModelInfo;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function generate(modelId?: string) {
    const r = await app.router.stream('engine.generate', { task: 'raw', context: 'The harbour', options: { greedy: true, maxTokens: 6 }, ...(modelId ? { modelId } : {}) }, () => undefined);
    return r.ok ? { ok: true as const, done: r.value as Extract<GenerateEvent, { type: 'done' }> } : { ok: false as const, error: r.error };
  }

  test('the named model answers; the active model is still the default', async () => {
    const active = await generate();
    const named = await generate(other.id);
    expect(active.ok && named.ok).toBe(true);
    if (!active.ok || !named.ok) return;
    expect(named.done.model).toBe(path.basename(other.path));
    expect(named.done.texts).not.toEqual(active.done.texts);
    expect(await app.engine.stats()).toMatchObject({ ok: true, value: { models: [{ pinned: true }, { path: other.path, pinned: false }] } });
    expect(app.engine.info().model?.path).toBe(TINY_DIR);
  });

  test('an id that is not installed, or was deleted, is not_found naming it', async () => {
    expect(await generate('never-there')).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('"never-there"') } });
    expect((await app.router.call('models.delete', { id: other.id })).ok).toBe(true);
    expect(await generate(other.id)).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining(other.id) } });
    expect((await generate()).ok).toBe(true);
  });
});
