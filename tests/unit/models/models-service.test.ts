import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { DownloadEvent, ModelInfo } from '../../../common/contract';
import { createRouter, type RouterServices } from '../../../main/router';
import { catalogueEntryForFolder, type CatalogueEntry } from '../../../main/services/models/catalogue';
import { ModelsService } from '../../../main/services/models/models-service';
import { startFaultServer, type FaultServer } from '../helpers/fault-http-server';

const TINY = path.resolve('tests/fixtures/models/tiny');
const REPO = 'test/tiny';

let server: FaultServer;
let entry: CatalogueEntry;
beforeAll(async () => {
  server = await startFaultServer();
  entry = await catalogueEntryForFolder(TINY, { name: 'tiny', displayName: 'Tiny GPT-2', repo: REPO });
  for (const f of entry.files) server.setFile(REPO, f.name, await fs.readFile(path.join(TINY, f.name)));
});
afterAll(async () => {
  await server.close();
});

let dataDir: string;
let service: ModelsService;
let activated: ModelInfo[];
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-models-svc-'));
  activated = [];
  service = await ModelsService.open({
    dataDir,
    builtinDir: TINY,
    baseUrl: server.baseUrl,
    catalogue: [entry],
    transfer: { retries: 0 },
    onActiveChanged: (m) => activated.push(m),
  });
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** A router with only the model library behind it (the other services are never called here). */
function router() {
  return createRouter({ models: service } as unknown as RouterServices);
}

describe('models.* through the router', () => {
  test('list, catalogue, import, rename, setActive, export, delete', async () => {
    const r = router();
    const list = await r.call('models.list', {});
    expect(list).toMatchObject({ ok: true, value: [{ id: 'builtin', active: true }] });
    expect(await r.call('models.catalogue', {})).toMatchObject({ ok: true, value: [{ name: 'tiny', installed: false, partialBytes: 0 }] });

    const imported = await r.call('models.import', { path: TINY, name: 'Copy' });
    expect(imported).toMatchObject({ ok: true, value: { id: 'copy', origin: { kind: 'imported' } } });
    expect(await r.call('models.rename', { id: 'copy', name: 'Renamed' })).toMatchObject({ ok: true, value: { name: 'Renamed' } });
    expect(await r.call('models.setActive', { id: 'copy' })).toMatchObject({ ok: true, value: { active: true } });
    expect(activated.map((m) => m.id)).toEqual(['copy']);
    const out = path.join(dataDir, 'exported');
    expect(await r.call('models.export', { id: 'copy', path: out })).toEqual({ ok: true, value: { path: out } });
    expect(await r.call('models.delete', { id: 'copy' })).toEqual({ ok: true, value: { ok: true } });
    expect(activated.map((m) => m.id)).toEqual(['copy', 'builtin']);
    expect(await r.call('models.delete', { id: 'builtin' })).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  test.for([
    ['models.setActive', { id: '../etc' }],
    ['models.rename', { id: 'x', name: '   ' }],
    ['models.import', { path: '/a\0b' }],
    ['models.import', { path: 'relative/folder' }],
    ['models.import', { path: 'file:///etc' }],
    ['models.export', { id: 'x' }],
    ['models.delete', { id: 'x', extra: 1 }],
  ] as const)('%s rejects %o as invalid_payload', async ([channel, payload]) => {
    expect(await router().call(channel, payload)).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
  });

  test('models.download streams progress and ends with done; the model is listed', async () => {
    const events: DownloadEvent[] = [];
    const result = await router().stream('models.download', { name: 'tiny' }, (e) => events.push(e as DownloadEvent));
    expect(result).toMatchObject({ ok: true, value: { type: 'done', model: { name: 'Tiny GPT-2' } } });
    expect(events.some((e) => e.type === 'progress')).toBe(true);
    expect((await service.list()).map((m) => m.name)).toContain('Tiny GPT-2');
  });

  test('engine.cancel on the stream id pauses the download; the next one resumes', async () => {
    const r = router();
    server.fail('model.safetensors', { kind: 'stall', afterBytes: 2_000_000 });
    let cancelled = false;
    const onEvent = (e: unknown) => {
      const ev = e as DownloadEvent;
      if (!cancelled && ev.type === 'progress' && ev.file === 'model.safetensors' && ev.bytes > 2_000_000) {
        cancelled = true;
        void r.call('engine.cancel', { streamId: 'dl-1' }, 'window-1');
      }
    };
    const paused = await r.stream('models.download', { name: 'tiny' }, onEvent, undefined, 'dl-1', 'window-1');
    expect(paused).toMatchObject({ ok: false, error: { code: 'aborted' } });
    const status = await r.call('models.catalogue', {});
    expect(status).toMatchObject({ ok: true, value: [{ partialBytes: expect.any(Number) as number }] });
    expect((status as { value: { partialBytes: number }[] }).value[0].partialBytes).toBeGreaterThan(2_000_000);
    expect(await r.stream('models.download', { name: 'tiny' }, () => undefined)).toMatchObject({ ok: true });
  });

  test('addFinetune registers a checkpoint folder with its provenance, file names only', async () => {
    const model = await service.addFinetune({
      path: TINY, name: 'Story tune', baseModel: 'gpt2', files: ['/home/ann/novel.md'], steps: 300, validationPerplexity: 27.5,
    });
    expect(model).toMatchObject({ origin: { kind: 'finetuned', from: 'gpt2', files: ['novel.md'], steps: 300 }, validationPerplexity: 27.5 });
    const reopened = await ModelsService.open({ dataDir });
    expect((await reopened.list()).find((m) => m.id === model.id)).toMatchObject({ origin: { kind: 'finetuned', steps: 300 } });
  });

  test('an unknown model name is a not_found error result', async () => {
    expect(await router().stream('models.download', { name: 'gpt5' }, () => undefined)).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  test('without a model library the channels say so instead of crashing', async () => {
    const bare = createRouter({} as unknown as RouterServices);
    expect(await bare.call('models.list', {})).toMatchObject({ ok: false, error: { code: 'not_found', message: /model library/ } });
  });
});
