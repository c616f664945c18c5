import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { AppInfo, ModelInfo } from '../../common/contract';
import { createAppServices, testCatalogue, type AppServices } from '../../main/services/app-services';

const TINY = path.resolve('tests/fixtures/models/tiny');

/**
 * A stand-in engine worker (no tfjs): reports the model folder it was given as loaded, or an
 * init error when the folder's name contains "broken"; a 'hang' request runs until stopped.
 */
const WORKER = `
import { parentPort, workerData } from 'node:worker_threads';
const dir = String(workerData.modelDir);
if (dir.includes('broken')) parentPort.postMessage({ type: 'init-error', error: { code: 'invalid_model', message: 'config.json: n_embd is missing in ' + dir } });
else parentPort.postMessage({ type: 'ready', backend: { name: 'fake', device: 'test', skipped: [] }, model: { name: dir.split('/').pop(), path: dir, nLayer: 1, nEmbd: 8, nPositions: 16 } });
parentPort.on('message', (m) => {
  if (m.type === 'generate' && m.request.context === 'hang') setInterval(() => parentPort.postMessage({ type: 'event', id: m.id, event: { type: 'token', alternative: 0, text: '.', tokenId: 1 } }), 5);
});
`;

let dir: string;
let app: AppServices;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-app-services-'));
  const workerPath = path.join(dir, 'worker.mjs');
  await fs.writeFile(workerPath, WORKER);
  app = await createAppServices({ dataDir: path.join(dir, 'data'), modelDir: TINY, workerPath, mode: 'browser', version: '0.0.0-test', log: () => undefined });
  await app.engine.whenReady();
});
afterEach(async () => {
  await app.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function call<T>(channel: string, payload: unknown): Promise<T> {
  const r = await app.router.call(channel, payload);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

async function importCopy(name: string, folderName = name): Promise<ModelInfo> {
  const src = path.join(dir, folderName);
  await fs.cp(TINY, src, { recursive: true });
  return call<ModelInfo>('models.import', { path: src, name });
}

describe('switching the active model', () => {
  test('setActive reloads the engine at once and app.info names the new model', async () => {
    expect((await call<AppInfo>('app.info', {})).model?.path).toBe(TINY);
    const copy = await importCopy('second');
    const active = await call<ModelInfo>('models.setActive', { id: copy.id });
    expect(active).toMatchObject({ id: copy.id, active: true });
    // No waiting: when setActive has answered, the engine runs the new model.
    expect((await call<AppInfo>('app.info', {})).model?.path).toBe(copy.path);
  });

  test('a generation in flight ends with an error naming the model being loaded', async () => {
    const copy = await importCopy('second');
    const hanging = app.router.stream('engine.generate', { task: 'raw', context: 'hang' }, () => undefined, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 50));
    await call('models.setActive', { id: copy.id });
    expect(await hanging).toMatchObject({ ok: false, error: { code: 'engine_error', message: expect.stringContaining('restarted to load model second') } });
  });

  test('a model that cannot be loaded is not left active: the previous one comes back', async () => {
    const broken = await importCopy('broken one', 'broken');
    const r = await app.router.call('models.setActive', { id: broken.id });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_model', message: expect.stringMatching(/broken one could not be loaded.*still the active model.*n_embd is missing/) } });
    const list = await call<ModelInfo[]>('models.list', {});
    expect(list.find((m) => m.active)?.id).toBe('builtin');
    expect((await call<AppInfo>('app.info', {})).model?.path).toBe(TINY);
  });

  test('deleting the active model reloads the built-in one', async () => {
    const copy = await importCopy('second');
    await call('models.setActive', { id: copy.id });
    await call('models.delete', { id: copy.id });
    expect((await call<AppInfo>('app.info', {})).model?.path).toBe(TINY);
  });
});

describe('testCatalogue (end-to-end tests only)', () => {
  const entry = { name: 'e2e-tiny', displayName: 'Tiny', repo: 'test/tiny', revision: 'main', parameters: 1, files: [{ name: 'config.json', size: 3, sha256: null }] };

  test.for([
    ['no hooks', { INKWELL_TEST_CATALOGUE: 'x.json' }],
    ['no file', { INKWELL_TEST_HOOKS: '1' }],
  ] as const)('is ignored without both variables (%s)', ([, env]) => {
    expect(testCatalogue(env)).toBeUndefined();
  });

  test('reads a valid file, and names a bad one', async () => {
    const good = path.join(dir, 'good.json');
    await fs.writeFile(good, JSON.stringify([entry]));
    expect(testCatalogue({ INKWELL_TEST_HOOKS: '1', INKWELL_TEST_CATALOGUE: good })).toEqual([entry]);
    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(bad, JSON.stringify([{ ...entry, files: [] }]));
    expect(() => testCatalogue({ INKWELL_TEST_HOOKS: '1', INKWELL_TEST_CATALOGUE: bad })).toThrow(/bad\.json is not a list of catalogue entries/);
  });
});
