/**
 * The documents service's newer verbs: provenance sidecars (save, open,
 * journal, outside edits), rename, delete + restore from the trash.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ProvenanceSpan } from '../../common/contract';
import { DocumentsService } from '../../main/services/documents';
import { JournalService } from '../../main/services/journal';

let dataDir: string;
let docsDir: string;
let docs: DocumentsService;
beforeEach(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-prov-'));
  docsDir = path.join(dataDir, 'Documents');
  docs = new DocumentsService({ dataDir, documentsDir: () => docsDir, journal: new JournalService(dataDir) });
});
afterEach(async () => {
  await fsp.rm(dataDir, { recursive: true, force: true });
});

const spanOf = (text: string, part: string): ProvenanceSpan => {
  const start = text.indexOf(part);
  if (start < 0) throw new Error(`"${part}" not in the text`);
  return { start, end: start + part.length, text: part };
};

const CONTENT = '# Story\n\nI began. The model went on for a while. I ended.';
const MACHINE = 'The model went on for a while.';

describe('provenance', () => {
  test('save keeps the Markdown clean and the spans beside it; open returns them', async () => {
    const meta = await docs.save({ content: CONTENT, provenance: [spanOf(CONTENT, MACHINE)] });
    expect(await fsp.readFile(path.join(docsDir, `${meta.id}.md`), 'utf8')).toBe(CONTENT);
    const sidecar = JSON.parse(await fsp.readFile(docs.provenanceFileOf(meta.id), 'utf8')) as { spans: ProvenanceSpan[]; textHash: string };
    expect(sidecar.spans).toEqual([spanOf(CONTENT, MACHINE)]);
    expect(sidecar.textHash).toMatch(/^[0-9a-f]{64}$/);
    const doc = await docs.open(meta.id);
    expect(doc.provenance).toEqual([spanOf(CONTENT, MACHINE)]);
    expect(doc.provenanceDropped).toBeUndefined();
  });

  test('a save without spans removes the sidecar', async () => {
    const meta = await docs.save({ content: CONTENT, provenance: [spanOf(CONTENT, MACHINE)] });
    await docs.save({ id: meta.id, content: CONTENT });
    await expect(fsp.stat(docs.provenanceFileOf(meta.id))).rejects.toThrow(/ENOENT/);
    expect((await docs.open(meta.id)).provenance).toBeUndefined();
  });

  test('spans that do not match the saved text are never stored', async () => {
    const meta = await docs.save({ content: CONTENT, provenance: [{ start: 0, end: 3, text: 'xyz' }] });
    expect((await docs.open(meta.id)).provenance).toBeUndefined();
  });

  test('after an outside edit the spans are found again by their text; lost ones are counted', async () => {
    const meta = await docs.save({ content: CONTENT, provenance: [spanOf(CONTENT, MACHINE), spanOf(CONTENT, 'I ended.')] });
    const edited = '# Story\n\nA new opening line.\n\nI began. The model went on for a while. Finally it stopped.';
    await fsp.writeFile(path.join(docsDir, `${meta.id}.md`), edited);
    const doc = await docs.open(meta.id);
    expect(doc.provenance).toEqual([spanOf(edited, MACHINE)]);
    expect(doc.provenanceDropped).toBe(1);
  });

  test('a sidecar that is not JSON loses the marks, never the document', async () => {
    const meta = await docs.save({ content: CONTENT, provenance: [spanOf(CONTENT, MACHINE)] });
    await fsp.writeFile(docs.provenanceFileOf(meta.id), '{ not json');
    const doc = await docs.open(meta.id);
    expect(doc.content).toBe(CONTENT);
    expect(doc.provenance).toBeUndefined();
  });

  test('the journal carries spans, so a recovery keeps the marks; a save clears them', async () => {
    const meta = await docs.save({ content: CONTENT });
    const unsaved = `${CONTENT} More from the model.`;
    await docs.journal(meta.id, unsaved, [spanOf(unsaved, 'More from the model.')]);
    const doc = await docs.open(meta.id);
    expect(doc.recovered).toBe(true);
    expect(doc.provenance).toEqual([spanOf(unsaved, 'More from the model.')]);
    await docs.save({ id: meta.id, content: unsaved, provenance: doc.provenance });
    await expect(fsp.stat(path.join(dataDir, 'journal', `${meta.id}.provenance.json`))).rejects.toThrow(/ENOENT/);
    expect((await docs.open(meta.id)).provenance).toEqual([spanOf(unsaved, 'More from the model.')]);
  });
});

describe('rename', () => {
  test('a renamed document keeps its name through saves, list and open; an empty name follows the text again', async () => {
    const meta = await docs.save({ content: CONTENT });
    const renamed = await docs.rename(meta.id, '  My own name ');
    expect(renamed).toMatchObject({ id: meta.id, title: 'My own name', titled: true });
    expect((await docs.save({ id: meta.id, content: `${CONTENT} More.` })).title).toBe('My own name');
    expect((await docs.list()).find((d) => d.id === meta.id)?.title).toBe('My own name');
    expect((await docs.open(meta.id)).title).toBe('My own name');
    expect(await fsp.readFile(path.join(docsDir, `${meta.id}.md`), 'utf8')).toBe(`${CONTENT} More.`);
    const back = await docs.rename(meta.id, '');
    expect(back.title).toBe('Story');
    expect(back.titled).toBeUndefined();
  });

  test('renaming a missing document is not_found', async () => {
    await expect(docs.rename('nope', 'x')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('delete and restore', () => {
  test('restore brings the document back with its marks, title and settings', async () => {
    const meta = await docs.save({ content: CONTENT, provenance: [spanOf(CONTENT, MACHINE)] });
    await docs.rename(meta.id, 'Named');
    await docs.setSettings(meta.id, { memory: 'remember', authorsNote: '', preset: null, generation: {} });
    const { stamp } = await docs.delete(meta.id);
    expect(await docs.list()).toEqual([]);
    const back = await docs.restore(meta.id, stamp);
    expect(back).toMatchObject({ id: meta.id, title: 'Named', titled: true });
    const doc = await docs.open(meta.id);
    expect(doc.content).toBe(CONTENT);
    expect(doc.provenance).toEqual([spanOf(CONTENT, MACHINE)]);
    expect((await docs.getSettings(meta.id)).memory).toBe('remember');
  });

  test('restore never overwrites a document that took the id meanwhile', async () => {
    const meta = await docs.save({ content: '# Same\n\nold' });
    const { stamp } = await docs.delete(meta.id);
    const other = await docs.save({ content: '# Same\n\nnew' });
    expect(other.id).toBe(meta.id);
    const back = await docs.restore(meta.id, stamp);
    expect(back.id).not.toBe(meta.id);
    expect((await docs.open(back.id)).content).toBe('# Same\n\nold');
    expect((await docs.open(meta.id)).content).toBe('# Same\n\nnew');
  });

  test('restoring what is not in the trash is not_found', async () => {
    await expect(docs.restore('ghost', '2026-01-01T00-00-00-000Z')).rejects.toMatchObject({ code: 'not_found' });
  });
});
