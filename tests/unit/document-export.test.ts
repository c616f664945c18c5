/**
 * Export to Markdown and Word: the .docx is opened the way a reader would
 * (unzipped with jszip, converted back with mammoth), with and without the
 * provenance marks.
 */
import JSZip from 'jszip';
import mammoth from 'mammoth';
import { describe, expect, test } from 'vitest';
import type { ProvenanceSpan } from '../../common/contract';
import { exportDocument, exportFilename } from '../../main/services/document-export';
import { parseBlocks, parseInline, runsText } from '../../main/services/markdown-blocks';

const spanOf = (text: string, part: string): ProvenanceSpan => {
  const start = text.indexOf(part);
  return { start, end: start + part.length, text: part };
};

const MD = [
  '# The Title',
  '',
  'First paragraph with **bold**, *italic*, `code` and a [link](https://example.org).',
  '',
  'The machine wrote this sentence. Then I wrote on.',
  '',
  '## A section',
  '',
  '- one',
  '- two',
  '',
  '1. first',
  '2. second',
  '',
  '> a quote',
].join('\n');
const MACHINE = 'The machine wrote this sentence.';
const DOC = { title: 'The Title', content: MD, provenance: [spanOf(MD, MACHINE)] };

const docxXml = async (base64: string) => {
  const zip = await JSZip.loadAsync(Buffer.from(base64, 'base64'));
  const file = zip.file('word/document.xml');
  if (file === null) throw new Error('no word/document.xml in the export');
  return file.async('string');
};

describe('markdown reader', () => {
  test.for([
    ['plain', 'abc', [{ text: 'abc' }]],
    ['bold and italic', 'a **b** *c*', [{ text: 'a ' }, { text: 'b', bold: true }, { text: ' ' }, { text: 'c', italic: true }]],
    ['bold italic', '***x***', [{ text: 'x', bold: true, italic: true }]],
    ['an unclosed star stays text', 'a * b', [{ text: 'a * b' }]],
    ['escapes', 'a \\*b\\* \\_c', [{ text: 'a *b* _c' }]],
    ['entities for edge spaces', '**&#32;x**', [{ text: ' x', bold: true }]],
    ['inline code keeps stars', '`a*b`', [{ text: 'a*b', code: true }]],
    ['a link keeps its text', '[here](http://x) now', [{ text: 'here' }, { text: ' now' }]],
    ['sentinels switch provenance', 'a \uFDD0b **c**\uFDD1 d', [{ text: 'a ' }, { text: 'b ', ai: true }, { text: 'c', bold: true, ai: true }, { text: ' d' }]],
  ] as const)('%s', ([, input, runs]) => {
    expect(parseInline(input)).toEqual(runs);
  });

  test('blocks: headings, paragraphs with line breaks, lists, quotes, code', () => {
    const blocks = parseBlocks('# H\n\npara\nline two\n\n- a\n    - nested\n1. n\n\n> q\n\n```\ncode *x*\n```');
    expect(blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'item', 'item', 'item', 'quote', 'code']);
    expect(blocks[1].kind === 'paragraph' && runsText(blocks[1].runs)).toBe('para\nline two');
    expect(blocks[3]).toMatchObject({ kind: 'item', ordered: false, level: 1 });
    expect(blocks[4]).toMatchObject({ kind: 'item', ordered: true, level: 0 });
    expect(blocks[6]).toEqual({ kind: 'code', lines: ['code *x*'] });
  });
});

describe('export', () => {
  test('Markdown: as stored by default; <mark> around machine text when asked', async () => {
    const plain = await exportDocument(DOC, 'md', false);
    expect(plain).toMatchObject({ filename: 'The Title.md', mime: 'text/markdown' });
    expect(Buffer.from(plain.base64, 'base64').toString('utf8')).toBe(MD);
    const marked = Buffer.from((await exportDocument(DOC, 'md', true)).base64, 'base64').toString('utf8');
    expect(marked).toBe(MD.replace(MACHINE, `<mark>${MACHINE}</mark>`));
  });

  test('Word: the paragraphs are there and mammoth reads the same text back; no underline unless asked', async () => {
    const file = await exportDocument(DOC, 'docx', false);
    expect(file.filename).toBe('The Title.docx');
    expect(file.mime).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const xml = await docxXml(file.base64);
    expect(xml).toContain('The Title');
    expect(xml).toContain(MACHINE);
    expect(xml).not.toContain('w:u ');
    expect(xml).not.toMatch(/[\uFDD0\uFDD1]/);
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(file.base64, 'base64') });
    const paragraphs = value.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    expect(paragraphs).toEqual([
      'The Title',
      'First paragraph with bold, italic, code and a link.',
      'The machine wrote this sentence. Then I wrote on.',
      'A section',
      'one',
      'two',
      'first',
      'second',
      'a quote',
    ]);
    const html = (await mammoth.convertToHtml({ buffer: Buffer.from(file.base64, 'base64') })).value;
    expect(html).toContain('<h1>The Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>italic</em>');
  });

  test('Word with provenance: the machine-written run is underlined dotted, the rest is not', async () => {
    const xml = await docxXml((await exportDocument(DOC, 'docx', true)).base64);
    const underlined = [...xml.matchAll(/<w:r>(?:(?!<\/w:r>).)*?<w:u w:val="dotted"[^>]*\/>(?:(?!<\/w:r>).)*?<w:t[^>]*>([^<]*)<\/w:t>/g)].map((m) => m[1]);
    expect(underlined).toEqual([MACHINE]);
  });

  test.for([
    ['Plain', 'md', 'Plain.md'],
    ['a/b:c*?', 'docx', 'a b c.docx'],
    ['...', 'md', 'document.md'],
    ['文書 名', 'md', '文書 名.md'],
  ] as const)('file name for %j', ([title, format, name]) => {
    expect(exportFilename(title, format)).toBe(name);
  });
});
