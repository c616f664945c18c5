import { beforeAll, describe, expect, test } from 'vitest';
import { truncate, writeFile } from 'node:fs/promises';
import { MAX_FILE_BYTES } from '../../../main/engine/train/text-extract';
import path from 'node:path';
import { Gpt2Tokenizer } from '../../../main/engine/tokenizer';
import { BatchSource, blockCount, epochOrder } from '../../../main/engine/train/batches';
import { buildDataset, buildDatasetFromTexts, dedupeParagraphs, paragraphsOf, smallDatasetAdvice } from '../../../main/engine/train/dataset';
import { withTempDir } from './helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');
let tok: Gpt2Tokenizer;

beforeAll(async () => {
  tok = await Gpt2Tokenizer.fromFiles(path.join(TINY, 'vocab.json'), path.join(TINY, 'merges.txt'));
});

describe('cleaning', () => {
  test.for([
    ['CRLF and blank runs', 'One.\r\n\r\n\r\nTwo.', ['One.', 'Two.']],
    ['spaces, tabs, NBSP collapse; lines trimmed', '  a \t b\u00a0 c  \nd  ', ['a b c\nd']],
    ['zero-width and BOM dropped', '\ufeffwo\u200brd', ['word']],
    ['whitespace-only paragraphs vanish', 'x\n \n\t\ny', ['x', 'y']],
  ] as const)('%s', ([, input, want]) => {
    expect(paragraphsOf(input)).toEqual(want);
  });

  test('exact duplicate paragraphs are dropped across documents', () => {
    const r = dedupeParagraphs([['Chapter One', 'Text a'], ['Chapter One', 'Text b'], ['Chapter One']]);
    expect(r.docs).toEqual(['Chapter One\n\nText a', 'Text b']);
    expect(r.dropped).toBe(2);
  });
});

describe('dataset', () => {
  test('holds out the tail of each document and joins documents with <|endoftext|>', () => {
    const a = 'word '.repeat(200).trim();
    const b = 'other '.repeat(100).trim();
    const d = buildDatasetFromTexts([a, b], tok, 0.1);
    const ta = tok.encode(a).length;
    const tb = tok.encode(b).length;
    expect(d.stats).toMatchObject({ documents: 2, words: 300, tokens: ta + tb });
    expect(d.train.length).toBe(ta - Math.floor(ta * 0.1) + tb - Math.floor(tb * 0.1) + 2);
    expect(d.val.length).toBe(Math.floor(ta * 0.1) + Math.floor(tb * 0.1) + 2);
    expect([...d.train].filter((t) => t === tok.eosId)).toHaveLength(2);
    expect(tok.decode([...d.val]).endsWith('other<|endoftext|>')).toBe(true);
  });

  test('a literal <|endoftext|> in a manuscript is text, not a separator', () => {
    const d = buildDatasetFromTexts(['before <|endoftext|> after'], tok, 0);
    expect([...d.train].filter((t) => t === tok.eosId)).toHaveLength(1);
  });

  test('refuses text that is empty after cleaning', () => {
    expect(() => buildDatasetFromTexts(['  \n\n \t'], tok)).toThrow(/no text/);
  });

  test('reads .txt, .md and .docx files and refuses binary, non-UTF-8 and unknown ones', async () => {
    await withTempDir(async (dir) => {
      const f = (n: string): string => path.join(dir, n);
      await writeFile(f('a.txt'), 'Plain prose here.');
      await writeFile(f('b.md'), '---\ntitle: x\n---\n# Heading\n\nSome *emphasis* and a [link](http://example.invalid).\n\n```js\ncode();\n```\n');
      const JSZip = (await import('jszip')).default;
      const zip = new JSZip();
      zip.file('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>');
      zip.file('_rels/.rels', '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>');
      zip.file('word/document.xml', '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>From a Word file.</w:t></w:r></w:p></w:body></w:document>');
      await writeFile(f('c.docx'), await zip.generateAsync({ type: 'uint8array' }));
      const d = await buildDataset([f('a.txt'), f('b.md'), f('c.docx')], tok, 0);
      const text = tok.decode([...d.train]);
      expect(text).toBe('Plain prose here.<|endoftext|>Heading\n\nSome emphasis and a link.<|endoftext|>From a Word file.<|endoftext|>');

      await writeFile(f('bin.txt'), Uint8Array.from([0x50, 0x4b, 0, 0, 1, 2]));
      await writeFile(f('latin1.txt'), Uint8Array.from([0x63, 0x61, 0x66, 0xe9]));
      await writeFile(f('x.odt'), 'x');
      await writeFile(f('x.xyz'), 'x');
      await writeFile(f('bad.docx'), 'not a zip');
      await expect(buildDataset([f('bin.txt')], tok)).rejects.toThrow(/binary/);
      await expect(buildDataset([f('latin1.txt')], tok)).rejects.toThrow(/not valid UTF-8/);
      await writeFile(f('x.doc'), 'x');
      await expect(buildDataset([f('x.doc')], tok)).rejects.toThrow(/\.doc files are not supported/);
      await expect(buildDataset([f('x.odt')], tok)).rejects.toThrow(/x\.odt: not a zip archive/);
      await expect(buildDataset([f('x.xyz')], tok)).rejects.toThrow(/unknown file type/);
      await expect(buildDataset([f('bad.docx')], tok)).rejects.toThrow(/not a readable \.docx/);
      await expect(buildDataset([f('missing.txt')], tok)).rejects.toThrow(/cannot read \(ENOENT\)/);
      await expect(buildDataset([], tok)).rejects.toThrow(/no files given/);
      // A sparse file: the size check runs before any read.
      await writeFile(f('huge.txt'), '');
      await truncate(f('huge.txt'), MAX_FILE_BYTES + 1);
      await expect(buildDataset([f('huge.txt')], tok)).rejects.toThrow(/the limit is 256 MB per file/);
    });
  });

  test.for([
    [100_000, 1024, 100, null],
    [2_000, 1024, 100, /read it 51\.2 times.*Try about 5 steps/],
  ] as const)('small-dataset advice for %d tokens', ([tokens, perStep, steps, want]) => {
    const a = smallDatasetAdvice(tokens, perStep, steps, 1e-4);
    if (want === null) expect(a).toBeNull();
    else expect(a).toMatch(want);
  });
});

describe('batches', () => {
  const stream = Int32Array.from({ length: 41 }, (_, i) => i);

  test('blocks overlap by one token so every target is used', () => {
    expect(blockCount(41, 10)).toBe(4);
    expect(blockCount(10, 10)).toBe(0);
    const src = new BatchSource(stream, 10, 1);
    const all = [...src.sequential(3)];
    expect(all.map((b) => b.B)).toEqual([3, 1]);
    expect([...all[0].tokens.subarray(11, 22)]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  });

  test('validation capped below its size spreads over the whole held-out stream, not its start', () => {
    const long = Int32Array.from({ length: 10 * 100 + 1 }, (_, i) => i);
    const src = new BatchSource(long, 10, 1);
    expect(src.blocks).toBe(100);
    const firsts = [...src.sequential(2, 4)].flatMap((b) => Array.from({ length: b.B }, (_, r) => b.tokens[r * 11]));
    expect(firsts).toEqual([0, 250, 500, 750]);
    // Uncapped, every block in order, as before.
    expect([...src.sequential(50)].flatMap((b) => Array.from({ length: b.B }, (_, r) => b.tokens[r * 11]))).toEqual(Array.from({ length: 100 }, (_, i) => i * 10));
  });

  test('the order is a permutation per epoch, fixed by seed and epoch', () => {
    expect([...epochOrder(8, 5, 0)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...epochOrder(8, 5, 0)]).toEqual([...epochOrder(8, 5, 0)]);
    expect([...epochOrder(8, 5, 0)]).not.toEqual([...epochOrder(8, 5, 1)]);
  });

  test('a cursor resumes the same sequence, wrapping into the next epoch', () => {
    const src = new BatchSource(stream, 10, 9);
    let c = { epoch: 0, index: 0 };
    const firsts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = src.next(c, 1);
      firsts.push(r.batch.tokens[0]);
      c = r.cursor;
    }
    expect(c).toEqual({ epoch: 1, index: 2 });
    const again = new BatchSource(stream, 10, 9).next({ epoch: 1, index: 1 }, 1);
    expect(again.batch.tokens[0]).toBe(firsts[5]);
  });
});
