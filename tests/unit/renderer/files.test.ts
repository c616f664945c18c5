import { describe, expect, test } from 'vitest';
import { exportedBytes, importedMarkdown, isImportable, titleFromFileName } from '../../../renderer/editor/files';
import { filterByTitle } from '../../../renderer/panels/Sidebar';

describe('opening files', () => {
  test.for([
    ['notes.md', '\uFEFF# Title\r\n\r\nBody *x*\r\n', '# Title\n\nBody *x*\n'],
    ['poem.txt', 'Line one\nline *two*\n\n\nline_three\r\n', 'Line one\n\nline \\*two\\*\n\nline\\_three'],
    ['nul.txt', 'a\u0000b', 'ab'],
  ] as const)('%s', ([name, text, markdown]) => {
    expect(importedMarkdown(name, text)).toBe(markdown);
  });

  test.for([
    ['a.md', true],
    ['A.TXT', true],
    ['b.markdown', true],
    ['c.docx', false],
    ['md', false],
  ] as const)('isImportable(%j) = %j', ([name, ok]) => {
    expect(isImportable(name)).toBe(ok);
  });

  test('the title of an opened file is its name without the extension', () => {
    expect(titleFromFileName('My notes.final.txt')).toBe('My notes.final');
    expect(titleFromFileName('.md')).toBe('.md');
  });

  test('export bytes decode from base64', () => {
    expect([...exportedBytes({ filename: 'a', mime: 'x', base64: Buffer.from([0, 255, 80, 75]).toString('base64') })]).toEqual([0, 255, 80, 75]);
  });
});

describe('the sidebar title filter', () => {
  const docs = ['Café notes', 'Apples and pears', 'Pear tart'].map((title, i) => ({ id: `d${i}`, title, updatedAt: i, words: 0 }));
  test.for([
    ['', ['Café notes', 'Apples and pears', 'Pear tart']],
    ['  ', ['Café notes', 'Apples and pears', 'Pear tart']],
    ['cafe', ['Café notes']],
    ['PEAR', ['Apples and pears', 'Pear tart']],
    ['pear apple', ['Apples and pears']],
    ['zebra', []],
  ] as const)('%j', ([query, titles]) => {
    expect(filterByTitle(docs, query).map((d) => d.title)).toEqual(titles);
  });
});
