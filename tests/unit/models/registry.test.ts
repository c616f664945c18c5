import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BUILTIN_ID, INDEX_FILE, META_FILE, ModelRegistry, slugify, TRASH_DIR } from '../../../main/services/models/registry';

const TINY = path.resolve('tests/fixtures/models/tiny');

let dataDir: string;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-registry-'));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** Puts a copy of the tiny model where download/import would have moved it. */
async function installTiny(id: string): Promise<string> {
  const dir = path.join(dataDir, 'models', id);
  await fs.mkdir(dir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']) await fs.copyFile(path.join(TINY, f), path.join(dir, f));
  return dir;
}

const origin = (kind: 'downloaded' | 'imported' | 'finetuned') => ({ kind, from: 'tiny', date: '2026-11-29T10:00:00.000Z' });

describe('ModelRegistry', () => {
  test('lists the built-in model first and makes it active by default', async () => {
    const reg = await ModelRegistry.open({ dataDir, builtinDir: TINY });
    const list = reg.list();
    expect(list.map((m) => m.id)).toEqual([BUILTIN_ID]);
    expect(list[0]).toMatchObject({ active: true, origin: { kind: 'builtin' }, path: TINY });
    expect(list[0].architecture).toMatchObject({ layers: 2, width: 64, heads: 4, context: 128, vocab: 50257 });
    expect(list[0].architecture.parameters).toBeGreaterThan(3_000_000);
  });

  test('registers a model with figures, size and origin, and persists the index', async () => {
    const reg = await ModelRegistry.open({ dataDir, builtinDir: TINY });
    await installTiny('my-model');
    const info = await reg.register('my-model', { name: 'My model', origin: origin('imported'), validationPerplexity: 42.5 });
    expect(info).toMatchObject({ id: 'my-model', name: 'My model', validationPerplexity: 42.5, active: false });
    expect(info.sizeBytes).toBeGreaterThan(13_000_000);
    const again = await ModelRegistry.open({ dataDir, builtinDir: TINY });
    expect(again.loadReport.problem).toBeNull();
    expect(again.get('my-model')).toEqual(info);
  });

  test('rename, setActive and delete (to the trash, never the built-in)', async () => {
    const reg = await ModelRegistry.open({ dataDir, builtinDir: TINY });
    await installTiny('m1');
    await reg.register('m1', { name: 'One', origin: origin('downloaded') });
    expect((await reg.rename('m1', '  Uno  ')).name).toBe('Uno');
    expect((await reg.setActive('m1')).active).toBe(true);
    expect(reg.active()?.id).toBe('m1');
    await expect(reg.delete(BUILTIN_ID)).rejects.toMatchObject({ code: 'conflict' });
    await expect(reg.rename(BUILTIN_ID, 'x')).rejects.toMatchObject({ code: 'conflict' });
    await expect(reg.delete('nope')).rejects.toMatchObject({ code: 'not_found' });
    await expect(reg.setActive('nope')).rejects.toMatchObject({ code: 'not_found' });
    const { trashedTo } = await reg.delete('m1');
    expect(trashedTo.startsWith(path.join(dataDir, 'models', TRASH_DIR))).toBe(true);
    expect((await fs.stat(path.join(trashedTo, 'model.safetensors'))).isFile()).toBe(true);
    expect(reg.list().map((m) => m.id)).toEqual([BUILTIN_ID]);
    expect(reg.active()?.id).toBe(BUILTIN_ID); // the active model was deleted: back to the built-in
    const again = await ModelRegistry.open({ dataDir, builtinDir: TINY });
    expect(again.list().map((m) => m.id)).toEqual([BUILTIN_ID]);
  });

  test.for([
    ['corrupt JSON', '{"version": 1, "models": [ {"id": '],
    ['wrong schema', '{"version": 2, "models": "all of them"}'],
    ['empty file', ''],
    ['missing', null],
  ] as const)('a %s index is rebuilt from the model folders', async ([, content]) => {
    const reg = await ModelRegistry.open({ dataDir, builtinDir: TINY });
    await installTiny('kept');
    await reg.register('kept', { name: 'Kept name', origin: origin('finetuned'), validationPerplexity: 30 });
    await reg.setActive('kept');
    const index = path.join(dataDir, 'models', INDEX_FILE);
    if (content === null) await fs.rm(index);
    else await fs.writeFile(index, content);

    const rebuilt = await ModelRegistry.open({ dataDir, builtinDir: TINY });
    expect(rebuilt.loadReport.rebuilt).toBe(true);
    // Name, origin and perplexity come back from the folder's own meta file.
    expect(rebuilt.get('kept')).toMatchObject({ name: 'Kept name', origin: { kind: 'finetuned' }, validationPerplexity: 30 });
    // The active choice lives only in the index: it falls back to the built-in.
    expect(rebuilt.active()?.id).toBe(BUILTIN_ID);
    const written = JSON.parse(await fs.readFile(index, 'utf8')) as { models: { id: string }[] };
    expect(written.models.map((m) => m.id)).toEqual(['kept']);
  });

  test('reconciles an index with folders added or removed by hand', async () => {
    const reg = await ModelRegistry.open({ dataDir });
    await installTiny('gone');
    await reg.register('gone', { name: 'Gone', origin: origin('imported') });
    await fs.rm(path.join(dataDir, 'models', 'gone'), { recursive: true });
    await installTiny('new-one'); // no meta file: named after its folder
    await fs.mkdir(path.join(dataDir, 'models', 'junk')); // not a model: skipped, reported
    const again = await ModelRegistry.open({ dataDir });
    expect(again.list().map((m) => [m.id, m.name, m.origin.kind])).toEqual([['new-one', 'new-one', 'imported']]);
    expect(again.loadReport.problem).toMatch(/gone.*folder is gone/);
    expect(again.loadReport.problem).toMatch(/junk is not a usable model/);
    expect(again.active()?.id).toBe('new-one');
  });

  test('a broken meta file does not stop a rebuild', async () => {
    await installTiny('odd');
    await fs.writeFile(path.join(dataDir, 'models', 'odd', META_FILE), '{"name": 7}');
    const reg = await ModelRegistry.open({ dataDir });
    expect(reg.get('odd').name).toBe('odd');
  });

  test('concurrent renames are serialised and the last one wins on disk', async () => {
    const reg = await ModelRegistry.open({ dataDir });
    await installTiny('m');
    await reg.register('m', { name: 'A', origin: origin('imported') });
    await Promise.all(['B', 'C', 'D', 'E'].map((n) => reg.rename('m', n)));
    const again = await ModelRegistry.open({ dataDir });
    expect(again.get('m').name).toBe('E');
  });

  test('allocateId avoids taken ids and the built-in id', async () => {
    const reg = await ModelRegistry.open({ dataDir, builtinDir: TINY });
    await installTiny('gpt-2-medium');
    await reg.register('gpt-2-medium', { name: 'x', origin: origin('downloaded') });
    expect(await reg.allocateId('GPT-2 Medium')).toBe('gpt-2-medium-2');
    expect(await reg.allocateId('Built-in')).toBe('built-in');
    expect(await reg.allocateId('builtin')).toBe('builtin-2');
  });

  test.for([
    ['GPT-2 Medium (mine)', 'gpt-2-medium-mine'],
    ['Éclair', 'eclair'],
    ['../../etc', 'etc'],
    ['***', 'model'],
  ])('slugify(%s) = %s', ([name, slug]) => {
    expect(slugify(name)).toBe(slug);
  });
});
