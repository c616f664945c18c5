import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DocumentsService, countWords, slugify, titleOf } from '../../main/services/documents';
import { JournalService } from '../../main/services/journal';

let dataDir: string;
let docsDir: string;
let docs: DocumentsService;
beforeEach(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-docs-'));
  docsDir = path.join(dataDir, 'Documents');
  docs = new DocumentsService({ dataDir, documentsDir: () => docsDir, journal: new JournalService(dataDir) });
});
afterEach(async () => {
  await fsp.rm(dataDir, { recursive: true, force: true });
});

const setMtime = (file: string, ms: number) => fsp.utimes(file, new Date(ms), new Date(ms));

describe('pure helpers', () => {
  test.for([
    ['# Hello world\n\nbody', 'Hello world'],
    ['intro line\n# Heading later', 'Heading later'],
    ['\n\n  first line  \nsecond', 'first line'],
    ['\uFEFF# With BOM', 'With BOM'],
    ['## Sub heading only', 'Sub heading only'],
    ['', 'Untitled'],
    ['   \n\t', 'Untitled'],
  ])('titleOf(%j) = %j', ([content, title]) => {
    expect(titleOf(content)).toBe(title);
  });

  test('titleOf caps the length', () => {
    expect(titleOf('# ' + 'x'.repeat(1000))).toHaveLength(200);
  });

  test.for([
    ['Hello, World!', 'hello-world'],
    ['Crème brûlée', 'creme-brulee'],
    ['../../etc/passwd', 'etc-passwd'],
    ['日本語', 'untitled'],
    ['', 'untitled'],
    ['CON', 'con-doc'],
    ['nul', 'nul-doc'],
    ['a'.repeat(100), 'a'.repeat(60)],
  ])('slugify(%j) = %j', ([title, slug]) => {
    expect(slugify(title)).toBe(slug);
  });

  test.for([
    ['', 0],
    ['one', 1],
    ['  two words  ', 2],
    ['tabs\tand\nnew\r\nlines', 4],
    ['non\u00a0breaking', 2],
    ['# Title\n\n- item -- > quote', 3],
    ['naïve café 日本', 3],
  ] as const)('countWords(%j) = %d', ([text, n]) => {
    expect(countWords(text)).toBe(n);
  });
});

describe('save, open, list', () => {
  test('a new document gets a slug id from its title and round-trips exactly', async () => {
    const content = '# My Story\r\n\r\nIt was a dark night.\u0000 \uD800 end';
    const meta = await docs.save({ content });
    expect(meta).toMatchObject({ id: 'my-story', title: 'My Story', words: 9 });
    expect(Number.isInteger(meta.updatedAt)).toBe(true);
    const opened = await docs.open('my-story');
    expect(opened.recovered).toBe(false);
    expect(opened.content).toBe(content.replace('\uD800', '\uFFFD'));
    expect(await fsp.readdir(docsDir)).toEqual(['my-story.md']);
  });

  test('an explicit title names the file when the content has none', async () => {
    const meta = await docs.save({ title: 'Notes', content: '' });
    expect(meta).toMatchObject({ id: 'notes', title: 'Notes', words: 0 });
  });

  test('ids stay unique, also for racing creates', async () => {
    const metas = await Promise.all([1, 2, 3].map(() => docs.save({ content: '# Same' })));
    expect(metas.map((m) => m.id).sort()).toEqual(['same', 'same-2', 'same-3']);
    expect((await docs.list()).length).toBe(3);
  });

  test('saving by id overwrites, and list sorts by updatedAt desc', async () => {
    await docs.save({ id: 'old', content: '# Old\none two' });
    await docs.save({ id: 'new', content: '# New' });
    await setMtime(path.join(docsDir, 'old.md'), Date.now() - 60_000);
    const list = await docs.list();
    expect(list.map((d) => d.id)).toEqual(['new', 'old']);
    expect(list[1]).toMatchObject({ title: 'Old', words: 3 });
    await docs.save({ id: 'old', content: '# Old again' });
    expect((await docs.list()).map((d) => d.id)).toEqual(['old', 'new']);
    expect((await docs.open('old')).content).toBe('# Old again');
  });

  test('list skips foreign files, bad names and links, and sees external edits', async () => {
    await docs.save({ id: 'good', content: '# Good' });
    await fsp.writeFile(path.join(docsDir, 'Bad Name.md'), 'x');
    await fsp.writeFile(path.join(docsDir, 'notes.txt'), 'x');
    await fsp.symlink('/etc/hostname', path.join(docsDir, 'link.md'));
    expect((await docs.list()).map((d) => d.id)).toEqual(['good']);
    await fsp.writeFile(path.join(docsDir, 'good.md'), '# Edited elsewhere with more words');
    expect((await docs.list())[0]).toMatchObject({ title: 'Edited elsewhere with more words', words: 5 });
    await expect(docs.open('link')).rejects.toMatchObject({ code: 'io_error' });
  });

  test('a missing folder lists nothing; a missing document is not_found', async () => {
    expect(await docs.list()).toEqual([]);
    await expect(docs.open('nothing')).rejects.toMatchObject({ code: 'not_found', message: /nothing/ });
  });

  test.for(['../x', '/etc/passwd', 'A', 'a/b', 'a\0b', ''])('the id %j is refused before any file is touched', async (id) => {
    await expect(docs.open(id)).rejects.toMatchObject({ code: 'invalid_payload' });
    await expect(docs.save({ id, content: 'x' })).rejects.toMatchObject({ code: 'invalid_payload' });
  });

  test('the documents folder follows the setting', async () => {
    let dir = docsDir;
    const moving = new DocumentsService({ dataDir, documentsDir: () => dir, journal: new JournalService(dataDir) });
    await moving.save({ id: 'a', content: 'a' });
    dir = path.join(dataDir, 'elsewhere');
    await moving.save({ id: 'b', content: 'b' });
    expect(await fsp.readdir(dir)).toEqual(['b.md']);
    expect((await moving.list()).map((d) => d.id)).toEqual(['b']);
  });
});

describe('journal and recovery', () => {
  test('a journal newer than the file is recovered; a save clears it', async () => {
    await docs.save({ id: 'doc', content: 'saved' });
    await setMtime(path.join(docsDir, 'doc.md'), Date.now() - 10_000);
    await docs.journal('doc', 'unsaved edits');
    const opened = await docs.open('doc');
    expect(opened).toMatchObject({ content: 'unsaved edits', recovered: true });
    await docs.save({ id: 'doc', content: 'saved again' });
    expect(await fsp.readdir(path.join(dataDir, 'journal'))).toEqual([]);
    expect(await docs.open('doc')).toMatchObject({ content: 'saved again', recovered: false });
  });

  test('a journal older than the file is ignored', async () => {
    await docs.journal('doc', 'stale');
    await setMtime(path.join(dataDir, 'journal', 'doc.md'), Date.now() - 10_000);
    await docs.save({ id: 'doc', content: 'fresh' });
    await docs.journal('other', 'x');
    await fsp.writeFile(path.join(dataDir, 'journal', 'doc.md'), 'stale');
    await setMtime(path.join(dataDir, 'journal', 'doc.md'), Date.now() - 10_000);
    expect(await docs.open('doc')).toMatchObject({ content: 'fresh', recovered: false });
  });

  test('a journal without a saved file is still recovered', async () => {
    await docs.journal('draft', '# Draft');
    expect(await docs.open('draft')).toMatchObject({ title: 'Draft', recovered: true });
  });

  test('journal writes and saves of one document are ordered', async () => {
    await Promise.all([docs.journal('doc', 'j1'), docs.save({ id: 'doc', content: 's1' }), docs.journal('doc', 'j2')]);
    expect(await docs.open('doc')).toMatchObject({ content: 'j2', recovered: true });
  });
});

describe('delete', () => {
  test('moves the file and its journal to the trash, never unlinks', async () => {
    await docs.save({ id: 'gone', content: '# Gone' });
    await docs.journal('gone', 'edits');
    await expect(docs.delete('gone')).resolves.toMatchObject({ ok: true, stamp: expect.any(String) });
    const trash = (await fsp.readdir(path.join(dataDir, 'Trash'))).sort();
    expect(trash).toHaveLength(2);
    expect(trash.some((n) => /^gone-.*\.journal\.md$/.test(n))).toBe(true);
    const docFile = trash.find((n) => !n.includes('.journal.'));
    expect(await fsp.readFile(path.join(dataDir, 'Trash', docFile as string), 'utf8')).toBe('# Gone');
    expect(await docs.list()).toEqual([]);
    await expect(docs.open('gone')).rejects.toMatchObject({ code: 'not_found' });
  });

  test('deleting twice is not_found the second time; a new doc may reuse the id', async () => {
    await docs.save({ id: 'x', content: 'x' });
    await docs.delete('x');
    await expect(docs.delete('x')).rejects.toMatchObject({ code: 'not_found' });
    expect((await docs.save({ content: '# X' })).id).toBe('x');
  });
});

describe('per-document settings', () => {
  const settings = { memory: 'Mara keeps the light.', authorsNote: 'short sentences', preset: 'balanced' as const, generation: { temperature: 0.7 } };

  test('defaults when none are stored; set then get round-trips through .inkwell/<id>.json', async () => {
    const meta = await docs.save({ content: '# Light' });
    expect(await docs.getSettings(meta.id)).toEqual({ memory: '', authorsNote: '', preset: null, generation: {} });
    await docs.setSettings(meta.id, settings);
    expect(await docs.getSettings(meta.id)).toEqual(settings);
    const file = path.join(docsDir, '.inkwell', `${meta.id}.json`);
    expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toEqual(settings);
    // The sidecar folder is not a document.
    expect((await docs.list()).map((d) => d.id)).toEqual([meta.id]);
  });

  test.for(['{ not json', JSON.stringify({ memory: 5 }), JSON.stringify({ ...settings, extra: 1 })])('a broken sidecar (%s) reads as the defaults', async (text) => {
    const meta = await docs.save({ content: 'x' });
    await fsp.mkdir(path.join(docsDir, '.inkwell'), { recursive: true });
    await fsp.writeFile(path.join(docsDir, '.inkwell', `${meta.id}.json`), text);
    expect(await docs.getSettings(meta.id)).toMatchObject({ memory: '', preset: null });
  });

  test('settings of a missing document are refused with not_found', async () => {
    await expect(docs.setSettings('nope', settings)).rejects.toMatchObject({ code: 'not_found' });
  });
});

test('deleting a document moves its settings to the trash too, so a new document with its id starts clean', async () => {
  const meta = await docs.save({ content: '# Gone' });
  await docs.setSettings(meta.id, { memory: 'secret', authorsNote: '', preset: null, generation: {} });
  await docs.delete(meta.id);
  const again = await docs.save({ id: meta.id, content: '# Gone' });
  expect((await docs.getSettings(again.id)).memory).toBe('');
  expect((await fsp.readdir(path.join(dataDir, 'Trash'))).some((n) => n.endsWith('.settings.json'))).toBe(true);
});
