/**
 * Fuzzes the document format: whatever the writer types (CRLF, BOM, NUL, long
 * lines, any script), save then open returns it byte for byte; titles and
 * word counts never throw; generated ids are always valid slugs. Runs are few
 * because each one touches the disk.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DocumentId, MAX_TITLE_CHARS } from '../../../common/contract';
import { DocumentsService, countWords, slugify, titleOf } from '../../../main/services/documents';
import { JournalService } from '../../../main/services/journal';
import { runs, trickyText, wellFormedText } from './arbitraries';

let dataDir: string;
let docs: DocumentsService;
beforeAll(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-fuzz-docs-'));
  docs = new DocumentsService({ dataDir, documentsDir: () => path.join(dataDir, 'Documents'), journal: new JournalService(dataDir) });
});
afterAll(async () => {
  await fsp.rm(dataDir, { recursive: true, force: true });
});

/** Document bodies: well-formed text around line-ending, BOM and NUL pieces, sometimes one very long line. */
const content = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: wellFormedText },
      { weight: 2, arbitrary: fc.constantFrom('\r\n', '\r', '\n', '\ufeff', '\u0000', '# ', '#\t', '\u2028', '\u0085') },
      { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'w'.repeat(n)) },
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''));

describe('documents fuzz', () => {
  test('save then open returns exactly the content, for new and existing documents', async () => {
    await fc.assert(
      fc.asyncProperty(content, fc.option(trickyText, { nil: undefined }), content, async (first, title, second) => {
        const created = await docs.save({ content: first, title });
        expect(DocumentId.safeParse(created.id).success).toBe(true);
        expect((await docs.open(created.id)).content).toBe(first);
        const again = await docs.save({ id: created.id, content: second });
        expect(again.id).toBe(created.id);
        const opened = await docs.open(created.id);
        expect(opened.content).toBe(second);
        expect(opened.recovered).toBe(false);
        expect(opened.title).toBe(titleOf(second));
      }),
      runs(40),
    );
  });

  test('a journal entry round-trips through open as a recovered document', async () => {
    await fc.assert(
      fc.asyncProperty(content, async (text) => {
        const { id } = await docs.save({ content: 'saved' });
        await docs.journal(id, text);
        const opened = await docs.open(id);
        expect(opened.content).toBe(text);
        expect(opened.recovered).toBe(true);
      }),
      runs(25),
    );
  });

  test('lone surrogates (which UTF-8 cannot hold) come back as U+FFFD, the rest unchanged', async () => {
    const withLone = fc.array(fc.oneof(wellFormedText, fc.constantFrom('\ud800', '\udfff', 'a\ud83d', '\ude00b')), { maxLength: 5 }).map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(withLone, async (text) => {
        const { id } = await docs.save({ content: text });
        expect((await docs.open(id)).content).toBe(text.replace(/\p{Cs}/gu, '\ufffd'));
      }),
      runs(20),
    );
  });

  test('titleOf and countWords never throw; titles are bounded', () => {
    fc.assert(
      fc.property(content, fc.string(), (text, fallback) => {
        const title = titleOf(text, fallback);
        expect(title.length).toBeLessThanOrEqual(MAX_TITLE_CHARS);
        expect(Number.isSafeInteger(countWords(text))).toBe(true);
      }),
      runs(300),
    );
  });

  test('slugify always yields a valid document id', () => {
    fc.assert(
      fc.property(fc.oneof(trickyText, fc.string({ unit: 'binary' }), fc.constantFrom('CON', 'nul', 'Lpt1', '---', 'Ç'.repeat(200))), (title) => {
        const slug = slugify(title);
        expect(DocumentId.safeParse(slug).success, `slug ${JSON.stringify(slug)}`).toBe(true);
        expect(slug).not.toMatch(/^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/);
      }),
      runs(500),
    );
  });
});

describe('documents regression (found by the fuzz above)', () => {
  test('a journal with the same mtime as the saved file is recovered, not dropped', async () => {
    const { id } = await docs.save({ content: 'saved' });
    await docs.journal(id, 'typed within the same clock tick');
    // File times are coarse (a few ms): force the tie the fuzz hit by chance.
    const when = new Date(Date.now() - 5_000);
    await fsp.utimes(path.join(dataDir, 'Documents', `${id}.md`), when, when);
    await fsp.utimes(path.join(dataDir, 'journal', `${id}.md`), when, when);
    expect(await docs.open(id)).toMatchObject({ content: 'typed within the same clock tick', recovered: true });
  });
});
