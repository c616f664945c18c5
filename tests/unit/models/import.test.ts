import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sha256File } from '../../../main/services/models/catalogue';
import { importModel } from '../../../main/services/models/import';
import { ModelRegistry } from '../../../main/services/models/registry';
import { writeTar } from '../../../main/services/models/tar';
import { writeZip } from '../../../main/services/models/zip';

const TINY = path.resolve('tests/fixtures/models/tiny');
const FILES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'generation_config.json'];

let tmp: string;
let registry: ModelRegistry;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-import-'));
  registry = await ModelRegistry.open({ dataDir: path.join(tmp, 'data') });
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function sourceFolder(name = 'My Tiny', skip: string[] = []): Promise<string> {
  const dir = path.join(tmp, name);
  await fs.mkdir(dir, { recursive: true });
  for (const f of FILES) if (!skip.includes(f)) await fs.copyFile(path.join(TINY, f), path.join(dir, f));
  return dir;
}

/** Rewrites the safetensors header of `file` through `edit`, keeping the data section. */
async function editHeader(file: string, edit: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void): Promise<void> {
  const bytes = await fs.readFile(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  await fs.writeFile(file, Buffer.concat([len, json, bytes.subarray(8 + n)]));
}

/** Nothing of a failed import may be left behind: no model, no staging folder. */
async function expectNothingImported(): Promise<void> {
  expect(registry.list()).toEqual([]);
  const left = (await fs.readdir(registry.modelsDir)).filter((n) => n !== 'models.json');
  expect(left).toEqual([]);
}

describe('importModel', () => {
  test('imports a valid folder: files copied byte for byte, registered with its name and figures', async () => {
    const src = await sourceFolder();
    await fs.writeFile(path.join(src, 'notes.txt'), 'not part of a model');
    const { model, warnings } = await importModel(registry, src);
    expect(warnings).toEqual([]);
    expect(model).toMatchObject({ id: 'my-tiny', name: 'My Tiny', origin: { kind: 'imported', from: src }, architecture: { layers: 2, width: 64 } });
    for (const f of FILES) expect(await sha256File(path.join(model.path, f))).toBe(await sha256File(path.join(src, f)));
    await expect(fs.stat(path.join(model.path, 'notes.txt'))).rejects.toThrow();
    expect((await importModel(registry, src, 'Second copy')).model.id).toBe('second-copy');
  });

  test('a lying safetensors header is refused with a message naming the tensor', async () => {
    const src = await sourceFolder();
    await editHeader(path.join(src, 'model.safetensors'), (h) => {
      h['transformer.h.1.mlp.c_fc.weight'].shape = [64, 512]; // claims twice the bytes its offsets hold
    });
    await expect(importModel(registry, src)).rejects.toMatchObject({
      code: 'invalid_model',
      message: expect.stringContaining('transformer.h.1.mlp.c_fc.weight'),
    });
    await expectNothingImported();
  });

  test('weights that disagree with config.json are refused, naming tensor and both shapes', async () => {
    const src = await sourceFolder();
    const config = JSON.parse(await fs.readFile(path.join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path.join(src, 'config.json'), JSON.stringify({ ...config, n_layer: 3 }));
    await expect(importModel(registry, src)).rejects.toThrow(/tensor transformer\.h\.2\.ln_1\.weight is missing/);
    await fs.writeFile(path.join(src, 'config.json'), JSON.stringify({ ...config, n_positions: 256, n_ctx: 256 }));
    await expect(importModel(registry, src)).rejects.toThrow(/transformer\.wpe\.weight has shape \[128, 64\] but config\.json implies \[256, 64\]/);
    await expectNothingImported();
  });

  test('a pickle without safetensors is refused with the reason and a conversion hint', async () => {
    const src = await sourceFolder('pickled', ['model.safetensors']);
    await fs.writeFile(path.join(src, 'pytorch_model.bin'), 'not really a pickle');
    const err = await importModel(registry, src).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'invalid_model' });
    expect((err as Error).message).toMatch(/pytorch_model\.bin.*can run any code.*safe_serialization=True/s);
    await expect(importModel(registry, path.join(src, 'pytorch_model.bin'))).rejects.toThrow(/can run any code/);
    await expectNothingImported();
  });

  test('a pickle beside model.safetensors is ignored with a warning and never copied', async () => {
    const src = await sourceFolder();
    await fs.writeFile(path.join(src, 'pytorch_model.bin'), 'x');
    const { model, warnings } = await importModel(registry, src);
    expect(warnings.join()).toMatch(/ignored pytorch_model\.bin/);
    await expect(fs.stat(path.join(model.path, 'pytorch_model.bin'))).rejects.toThrow();
  });

  test('a symlink pointing outside the folder is refused', async () => {
    const src = await sourceFolder('linked', ['vocab.json']);
    await fs.symlink(path.join(TINY, 'vocab.json'), path.join(src, 'vocab.json'));
    await expect(importModel(registry, src)).rejects.toThrow(/vocab\.json: a symbolic link pointing outside the folder/);
    await expectNothingImported();
  });

  test.for([
    ['missing merges.txt', async (d: string) => fs.rm(path.join(d, 'merges.txt')), /missing merges\.txt/],
    ['model.safetensors is a folder', async (d: string) => {
      await fs.rm(path.join(d, 'model.safetensors'));
      await fs.mkdir(path.join(d, 'model.safetensors'));
    }, /model\.safetensors: not a regular file/],
    ['config.json says gpt-neo', async (d: string) => fs.writeFile(path.join(d, 'config.json'), '{"model_type":"gpt_neo"}'), /model_type is "gpt_neo"/],
    ['vocab.json is the config', async (d: string) => fs.copyFile(path.join(d, 'config.json'), path.join(d, 'vocab.json')), /vocab\.json/],
    ['a truncated weights file', async (d: string) => fs.truncate(path.join(d, 'model.safetensors'), 1_000_000), /model\.safetensors.*(truncated|runs past|ends at)/],
  ] as const)('refused: %s', async ([, spoil, message]) => {
    const src = await sourceFolder();
    await spoil(src);
    await expect(importModel(registry, src)).rejects.toThrow(message);
    await expectNothingImported();
  });

  test('a missing path and a file that is not a zip give clear errors', async () => {
    await expect(importModel(registry, path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'not_found' });
    await fs.writeFile(path.join(tmp, 'm.zip'), 'PK');
    await expect(importModel(registry, path.join(tmp, 'm.zip'))).rejects.toThrow(/not a zip file/);
    await expectNothingImported();
  });

  test('imports a .zip written by our writer, by system zip (deflated) and refuses a zip symlink', async () => {
    const src = await sourceFolder();
    const ours = path.join(tmp, 'ours.zip');
    await writeZip(ours, 'tiny', FILES.map((f) => path.join(src, f)));
    expect(execFileSync('unzip', ['-tq', ours], { encoding: 'utf8' })).toMatch(/No errors/);
    const a = await importModel(registry, ours);
    expect(await sha256File(path.join(a.model.path, 'model.safetensors'))).toBe(await sha256File(path.join(TINY, 'model.safetensors')));

    const theirs = path.join(tmp, 'theirs.zip');
    execFileSync('zip', ['-qr', theirs, 'My Tiny'], { cwd: tmp });
    const b = await importModel(registry, theirs, 'Zipped');
    expect(await sha256File(path.join(b.model.path, 'vocab.json'))).toBe(await sha256File(path.join(TINY, 'vocab.json')));

    const linked = path.join(tmp, 'linked');
    await fs.mkdir(linked);
    for (const f of FILES) await fs.symlink(path.join(src, f), path.join(linked, f));
    execFileSync('zip', ['-qry', path.join(tmp, 'links.zip'), 'linked'], { cwd: tmp });
    await expect(importModel(registry, path.join(tmp, 'links.zip'))).rejects.toThrow(/symbolic link/);
  });

  test('a zip whose entry is corrupted fails its CRC check', async () => {
    const src = await sourceFolder();
    const z = path.join(tmp, 'bad.zip');
    await writeZip(z, 'tiny', FILES.map((f) => path.join(src, f)));
    const bytes = await fs.readFile(z);
    bytes[200_000] ^= 0xff; // inside vocab.json or the weights, stored uncompressed
    await fs.writeFile(z, bytes);
    await expect(importModel(registry, z)).rejects.toThrow(/CRC-32/);
    await expectNothingImported();
  });

  test('imports a .tar written by our writer and one written by system tar', async () => {
    const src = await sourceFolder();
    const ours = path.join(tmp, 'ours.tar');
    await writeTar(ours, 'tiny', FILES.map((f) => path.join(src, f)));
    const a = await importModel(registry, ours);
    expect(a.model.name).toBe('ours');
    expect(await sha256File(path.join(a.model.path, 'model.safetensors'))).toBe(await sha256File(path.join(TINY, 'model.safetensors')));

    const theirs = path.join(tmp, 'theirs.tar');
    execFileSync('tar', ['-cf', theirs, '-C', tmp, 'My Tiny']);
    const b = await importModel(registry, theirs, 'From tar');
    expect(b.model.architecture.layers).toBe(2);
  });

  test('a .tar with an entry climbing out of its folder is refused', async () => {
    const src = await sourceFolder();
    const evil = path.join(tmp, 'evil.tar');
    await writeTar(evil, '..', FILES.map((f) => path.join(src, f)));
    await expect(importModel(registry, evil)).rejects.toThrow(/points outside the archive's folder/);
    await expectNothingImported();
  });
});
