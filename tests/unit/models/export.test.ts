import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ModelInfo } from '../../../common/contract';
import { sha256File } from '../../../main/services/models/catalogue';
import { exportModel } from '../../../main/services/models/export';
import { importModel } from '../../../main/services/models/import';
import { fileNamesOnly, renderModelCard } from '../../../main/services/models/model-card';
import { META_FILE, ModelRegistry } from '../../../main/services/models/registry';

const TINY = path.resolve('tests/fixtures/models/tiny');
const FILES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt'];
const NOW = new Date('2026-11-29T12:00:00Z');

let tmp: string;
let registry: ModelRegistry;
let model: ModelInfo;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-export-'));
  registry = await ModelRegistry.open({ dataDir: path.join(tmp, 'data') });
  const id = 'my-story-model';
  const dir = path.join(registry.modelsDir, id);
  await fs.mkdir(dir);
  for (const f of FILES) await fs.copyFile(path.join(TINY, f), path.join(dir, f));
  model = await registry.register(id, {
    name: 'My story model',
    origin: { kind: 'finetuned', from: 'gpt2', files: ['/home/ann/Private/novel draft.md', 'C:\\Users\\ann\\notes.txt'], steps: 1200, date: '2026-11-28T09:00:00Z' },
    validationPerplexity: 31.4159,
  });
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('exportModel', () => {
  test('writes HF layout plus a model card, without Inkwell bookkeeping, and it imports back', async () => {
    const target = path.join(tmp, 'out');
    expect(await exportModel(registry, model.id, target, NOW)).toEqual({ path: target });
    expect((await fs.readdir(target)).sort()).toEqual([...FILES, 'README.md'].sort());
    for (const f of FILES) expect(await sha256File(path.join(target, f))).toBe(await sha256File(path.join(TINY, f)));
    await expect(fs.stat(path.join(target, META_FILE))).rejects.toThrow();
    expect((await fs.readdir(tmp)).filter((n) => n.includes('inkwell-export'))).toEqual([]);
    const back = await importModel(registry, target, 'Round trip');
    expect(back.model.architecture).toEqual(model.architecture);
  });

  test('exports to a .tar that system tar lists', async () => {
    const target = path.join(tmp, 'model.tar');
    await exportModel(registry, model.id, target, NOW);
    const listed = execFileSync('tar', ['-tf', target], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listed).toEqual([...FILES, 'README.md'].map((f) => `${model.id}/${f}`).sort());
    execFileSync('tar', ['-xf', target, '-C', tmp]);
    expect(await sha256File(path.join(tmp, model.id, 'model.safetensors'))).toBe(await sha256File(path.join(TINY, 'model.safetensors')));
  });

  test('exports to a .zip that system unzip tests clean', async () => {
    const target = path.join(tmp, 'model.zip');
    await exportModel(registry, model.id, target, NOW);
    expect(execFileSync('unzip', ['-tq', target], { encoding: 'utf8' })).toMatch(/No errors/);
    const listed = execFileSync('unzip', ['-Z1', target], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listed).toEqual([...FILES, 'README.md'].map((f) => `${model.id}/${f}`).sort());
  });

  test('refuses to overwrite, and reports unknown ids and missing parents', async () => {
    const target = path.join(tmp, 'busy');
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, 'x'), 'mine');
    await expect(exportModel(registry, model.id, target)).rejects.toMatchObject({ code: 'conflict' });
    expect(await fs.readFile(path.join(target, 'x'), 'utf8')).toBe('mine');
    await expect(exportModel(registry, 'nope', path.join(tmp, 'n'))).rejects.toMatchObject({ code: 'not_found' });
    await expect(exportModel(registry, model.id, path.join(tmp, 'no', 'such', 'dir'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('renderModelCard', () => {
  test('names the base model, training files by name only, steps, perplexity and dates', () => {
    const card = renderModelCard(model, NOW);
    expect(card).toMatch(/^---\nlibrary_name: transformers\npipeline_tag: text-generation\nbase_model: openai-community\/gpt2\n/);
    expect(card).toContain('# My story model');
    expect(card).toContain('| Base model | GPT-2 (124M) (openai-community/gpt2) |');
    expect(card).toContain('| Training files | novel draft.md, notes.txt |');
    expect(card).not.toContain('/home/ann');
    expect(card).not.toContain('Users');
    expect(card).toContain('| Training steps | 1200 |');
    expect(card).toContain('| Validation perplexity | 31.42 |');
    expect(card).toContain('| Origin | fine-tuned with Inkwell on 2026-11-28 |');
    expect(card).toContain('| Exported | 2026-11-29 |');
    expect(card).toMatch(/2 layers, width 64, 4 heads, context 128, \dM parameters/);
  });

  test('an imported model does not leak its source path; pipes and newlines in names stay in their cell', () => {
    const card = renderModelCard({ ...model, name: 'a|b\nc', origin: { kind: 'imported', from: '/secret/path', date: '2026-01-01' }, validationPerplexity: null }, NOW);
    expect(card).not.toContain('/secret/path');
    expect(card).not.toContain('base_model');
    expect(card).toContain('# a\\|b c');
    expect(card).toContain('| Validation perplexity | not measured |');
  });

  test.for([
    [['/a/b/c.md'], ['c.md']],
    [['C:\\x\\y.txt', 'plain.docx'], ['y.txt', 'plain.docx']],
  ])('fileNamesOnly(%o) = %o', ([input, output]) => {
    expect(fileNamesOnly(input)).toEqual(output);
  });
});
