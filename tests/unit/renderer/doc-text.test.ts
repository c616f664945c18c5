import { describe, expect, test } from 'vitest';
import { MAX_TITLE_CHARS } from '../../../common/contract';
import { countWords, relativeTime, titleFromMarkdown, UNTITLED } from '../../../renderer/doc-text';

describe('countWords', () => {
  test.for([
    ['', 0],
    ['   \n\n  ', 0],
    ['one', 1],
    ['Hello, world!', 2],
    ["don't stop", 2],
    ['a well-known fact', 3],
    ['# Title\n\n- one\n- two\n\n> quoted *bold* text', 6],
    ['1. first\n2. second', 4],
    ['café naïve Zürich', 3],
    ['写作 テスト', 2],
    ['— dash — only —', 2],
  ] as const)('%j has %i words', ([text, n]) => {
    expect(countWords(text)).toBe(n);
  });
});

describe('titleFromMarkdown', () => {
  test.for([
    ['', UNTITLED],
    ['\n\n   \n', UNTITLED],
    ['# My Story\n\nOnce upon', 'My Story'],
    ['Intro line\n\n## Chapter One', 'Chapter One'],
    ['Just a paragraph here.', 'Just a paragraph here.'],
    ['> Quoted opening', 'Quoted opening'],
    ['- list item first', 'list item first'],
    ['1. numbered', 'numbered'],
    ['# **Bold** and *italic* [link](http://x)', 'Bold and italic link'],
    ['#\n\nBody', 'Body'],
    ['### Closed heading ###', 'Closed heading'],
    ['#NoSpace is not a heading', '#NoSpace is not a heading'],
  ] as const)('%j → %j', ([md, title]) => {
    expect(titleFromMarkdown(md)).toBe(title);
  });

  test('caps long titles at the contract limit with an ellipsis', () => {
    const title = titleFromMarkdown('# ' + 'word '.repeat(200));
    expect(title.length).toBeLessThanOrEqual(MAX_TITLE_CHARS);
    expect(title.endsWith('…')).toBe(true);
  });
});

describe('relativeTime', () => {
  const now = 1_800_000_000_000;
  test.for([
    [now, 'just now'],
    [now - 59_000, 'just now'],
    [now - 5 * 60_000, '5 min ago'],
    [now - 3 * 3_600_000, '3 h ago'],
    [now + 10_000, 'just now'], // a clock jump backwards never shows "in the future"
  ] as const)('%i', ([then, text]) => {
    expect(relativeTime(then, now)).toBe(text);
  });

  test('older than a day shows a date', () => {
    expect(relativeTime(now - 3 * 86_400_000, now)).toMatch(/\d/);
  });
});
