import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { JournalService } from '../../main/services/journal';

let dataDir: string;
let journal: JournalService;
beforeEach(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-journal-'));
  journal = new JournalService(dataDir);
});
afterEach(async () => {
  await fsp.rm(dataDir, { recursive: true, force: true });
});

test('write, read, overwrite, clear', async () => {
  expect(await journal.read('doc')).toBeNull();
  await journal.write('doc', 'one');
  await journal.write('doc', 'two');
  const entry = await journal.read('doc');
  expect(entry?.content).toBe('two');
  expect(entry?.updatedAt).toBeGreaterThan(Date.now() - 60_000);
  expect(await journal.ids()).toEqual(['doc']);
  await journal.clear('doc');
  await journal.clear('doc');
  expect(await journal.read('doc')).toBeNull();
  expect(await journal.ids()).toEqual([]);
});

test.for(['../escape', '/abs', 'UP', 'a\\b'])('refuses the id %j', async (id) => {
  await expect(journal.write(id, 'x')).rejects.toMatchObject({ code: 'invalid_payload' });
  await expect(journal.read(id)).rejects.toMatchObject({ code: 'invalid_payload' });
});

test('ids ignores foreign files and old temp leftovers are swept', async () => {
  await journal.write('a', 'x');
  await fsp.writeFile(path.join(journal.dir, 'Not An Id.md'), 'x');
  const temp = path.join(journal.dir, '.inkwell-tmp-a.md-1-ff');
  await fsp.writeFile(temp, 'half');
  await fsp.utimes(temp, new Date(0), new Date(0));
  expect(await journal.ids()).toEqual(['a']);
  expect(await fsp.readdir(journal.dir)).not.toContain('.inkwell-tmp-a.md-1-ff');
});

test('a directory in place of an entry reads as no entry', async () => {
  await fsp.mkdir(path.join(journal.dir, 'dir.md'), { recursive: true });
  expect(await journal.read('dir')).toBeNull();
});

test('a journal write into an unwritable place is io_error with the id', async () => {
  await fsp.writeFile(path.join(dataDir, 'journal'), 'a file where the folder should be');
  await expect(journal.write('doc', 'x')).rejects.toMatchObject({ code: 'io_error', message: /"doc"/ });
});

test('moveTo moves an entry and reports a missing one', async () => {
  await journal.write('doc', 'x');
  const target = path.join(dataDir, 'moved.md');
  expect(await journal.moveTo('doc', target)).toBe(true);
  expect(await fsp.readFile(target, 'utf8')).toBe('x');
  expect(await journal.moveTo('doc', target)).toBe(false);
});
