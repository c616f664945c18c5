// The built-in model's corpus cleaning (scripts/builtin-corpus.mjs) and the
// training-curve CSV of the reproduce script, on small strings: no network.
import { describe, expect, test } from 'vitest';
import { cleanText, mobyDickOrder, normaliseWhitespace, sotuOrder, stripGutenberg, stripMarkup, stripStageNotes } from '../../../scripts/builtin-corpus.mjs';
import { trainingCurve } from '../../../scripts/make-builtin-model.mjs';

describe('stripStageNotes', () => {
  test.each([
    ['square-bracket laughter', 'We must act. [Laughter] Now.', 'We must act. Now.'],
    ['lower-case applause', 'a nation of laws [applause] and liberty', 'a nation of laws and liberty'],
    ['parenthesised applause with a period', 'Thank you. (Applause.) Thank you.', 'Thank you. Thank you.'],
    ['a note between dashes', 'Madam Vice President—(applause)—no President', 'Madam Vice President—no President'],
    ['laughs', 'I know. (laughs) Really.', 'I know. Really.'],
    ['two reactions at once', 'So be it. [Laughter and applause] Next.', 'So be it. Next.'],
    ['missing text', 'the [missing text] treaty', 'the treaty'],
    ['page markers', 'the revenue [p.8] of the year', 'the revenue of the year'],
    ['footnote number', 'as reported.[1] The', 'as reported. The'],
    ['editor footnote', 'the report.[Footnote 1: Printed in House Document 398.] Next', 'the report. Next'],
    ['description of the room', 'our troops. [At this point, in the First Lady\'s box, a guest stood.] We', 'our troops. We'],
    ['a short editorial insertion is unwrapped', 'the rights of [the States] remain', 'the rights of the States remain'],
  ])('%s', (_name, input, want) => {
    expect(normaliseWhitespace(stripStageNotes(input))).toBe(want);
  });

  test('keeps long bracketed passages (the author\'s stage directions) and words like "applause" in prose', () => {
    const md = '[Sudden, repeated flashes of lightning; Ahab closes his eyes.]';
    expect(stripStageNotes(md)).toBe(md);
    const prose = 'I thought I would get some applause on that one.';
    expect(stripStageNotes(prose)).toBe(prose);
  });
});

describe('stripMarkup', () => {
  test.each([
    ['tags', '<p>Call me <i>Ishmael</i>.</p>', 'Call me Ishmael.'],
    ['comments', 'a<!-- note -->b', 'ab'],
    ['named entities', '&quot;Yes,&quot; he said&mdash;then left &amp; ran', '"Yes," he said—then left & ran'],
    ['numeric entities', '&#8212;&#x2019;', '—’'],
    ['unknown entities stay', '&bogus; x', '&bogus; x'],
    ['a lone < in prose stays', '3 < 4 and 5 > 2', '3 < 4 and 5 > 2'],
  ])('%s', (_name, input, want) => {
    expect(stripMarkup(input)).toBe(want);
  });
});

describe('stripGutenberg', () => {
  test('keeps only the text between the START and END markers', () => {
    const t = 'Licence blah\n*** START OF THE PROJECT GUTENBERG EBOOK MOBY-DICK ***\nCall me Ishmael.\n*** END OF THE PROJECT GUTENBERG EBOOK ***\nmore licence';
    expect(stripGutenberg(t)).toBe('Call me Ishmael.\n');
  });
  test('leaves a text without markers unchanged', () => {
    expect(stripGutenberg('Just prose.')).toBe('Just prose.');
  });
});

describe('normaliseWhitespace and cleanText', () => {
  test('normalises newlines, spaces, blank lines and space before punctuation', () => {
    expect(normaliseWhitespace('\ufeff  A\r\nB \t c\r\n\r\n\r\n\r\n  D ,  e .  ')).toBe('A\nB c\n\nD, e.');
  });
  test('the whole pipeline keeps chapter headings as prose lines', () => {
    const raw = 'CHAPTER 1. Loomings.\n\nCall me <b>Ishmael</b>. [Laughter]\n\n\n\nSome years ago&mdash;never mind.';
    expect(cleanText(raw)).toBe('CHAPTER 1. Loomings.\n\nCall me Ishmael.\n\nSome years ago—never mind.');
  });
});

describe('file order', () => {
  test('Moby-Dick: etymology, extracts, chapters by number, epilogue; contents and JSON left out', () => {
    const names = ['chapter_10.txt', 'epilogue.txt', 'chapter_2.txt', 'contents.txt', 'data.txt', 'chapter_1.json', 'extracts.txt', 'chapter_1.txt', 'etymology.txt'];
    expect(mobyDickOrder(names)).toEqual(['etymology.txt', 'extracts.txt', 'chapter_1.txt', 'chapter_2.txt', 'chapter_10.txt', 'epilogue.txt']);
  });
  test('State of the Union: chronological .txt files only', () => {
    const names = ['1791_george_washington_n.txt', '1790_george_washington_n.json', '2021_joseph_r_biden_d.txt', '1790_george_washington_n.txt', 'README.md'];
    expect(sotuOrder(names)).toEqual(['1790_george_washington_n.txt', '1791_george_washington_n.txt', '2021_joseph_r_biden_d.txt']);
  });
});

describe('trainingCurve', () => {
  test('one row per step, validation loss where evaluated, later lines win after a resume', () => {
    const lines = [
      { type: 'dataset', stats: {} },
      { type: 'eval', step: 0, valLoss: 10.9 },
      { type: 'step', step: 1, loss: 10.8 },
      { type: 'step', step: 2, loss: 10.5 },
      { type: 'eval', step: 2, valLoss: 10.4 },
      { type: 'checkpoint', step: 2, dir: 'x' },
      { type: 'step', step: 3, loss: 10.2 },
      { type: 'step', step: 3, loss: 10.1 },
    ];
    const csv = trainingCurve(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(csv).toBe('step,train_loss,val_loss\n0,,10.9000\n1,10.8000,\n2,10.5000,10.4000\n3,10.1000,\n');
  });

  test('phases are shifted by the steps before them; a phase\'s baseline lands on the previous phase\'s last step', () => {
    const jsonl = (...events: object[]): string => events.map((e) => JSON.stringify(e)).join('\n');
    const csv = trainingCurve([
      { metrics: jsonl({ type: 'eval', step: 0, valLoss: 11 }, { type: 'step', step: 1, loss: 9 }, { type: 'step', step: 2, loss: 8 }, { type: 'eval', step: 2, valLoss: 8.5 }), offset: 0 },
      { metrics: jsonl({ type: 'eval', step: 0, valLoss: 8.5 }, { type: 'step', step: 1, loss: 7 }), offset: 2 },
    ]);
    expect(csv).toBe('step,train_loss,val_loss\n0,,11.0000\n1,9.0000,\n2,8.0000,8.5000\n3,7.0000,\n');
  });
});
