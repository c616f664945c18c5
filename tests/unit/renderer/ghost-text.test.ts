import { describe, expect, test } from 'vitest';
import {
  announcement,
  appendToken,
  consume,
  contextWindow,
  cycle,
  finish,
  newGhost,
  nextWord,
  remaining,
  suggestionText,
  type Ghost,
} from '../../../renderer/ghost-text';

const ghost = (alternatives: string[], extra: Partial<Ghost> = {}): Ghost => ({ ...newGhost(false), alternatives, streaming: false, ...extra });

describe('suggestionText', () => {
  test.for([
    [' the sea.', false, ' the sea.'],
    [' the sea.', true, 'the sea.'],
    [' the sea.\nNext paragraph', false, ' the sea.'],
    [' the end<|endoftext|>garbage', false, ' the end'],
  ] as const)('%j (after a space: %s) shows %j', ([raw, afterSpace, shown]) => {
    expect(suggestionText(ghost([raw], { afterSpace }))).toBe(shown);
  });
});

describe('consume', () => {
  test('typing the suggestion\'s own characters consumes them', () => {
    const g = consume(ghost([' and the sea.']), ' an');
    expect(g && remaining(g)).toBe('d the sea.');
  });

  test('anything else does not match (the caller cancels)', () => {
    expect(consume(ghost([' and the sea.']), ' or')).toBeNull();
  });

  test('typing past what has streamed so far does not match', () => {
    expect(consume(ghost([''], { streaming: true }), 'Q')).toBeNull();
    expect(consume(ghost([' and'], { streaming: true }), ' and t')).toBeNull();
  });

  test('another alternative that matches what was typed takes over', () => {
    const g = consume(ghost([' and the sea.', ' or the sky.']), ' o');
    expect(g?.index).toBe(1);
    expect(g && remaining(g)).toBe('r the sky.');
  });
});

test.for([
  [' the sea.', ' the'],
  ['sea, then', 'sea,'],
  ['', ''],
  ['   ', '   '],
] as const)('nextWord(%j) is %j', ([rest, word]) => {
  expect(nextWord(rest)).toBe(word);
});

describe('streaming and alternatives', () => {
  test('tokens append to their alternative, interleaved', () => {
    let g = newGhost(false);
    g = appendToken(g, 1, ' b');
    g = appendToken(g, 0, ' a');
    g = appendToken(g, 1, 'c');
    expect(g.alternatives).toEqual([' a', ' bc']);
  });

  test('finish keeps the final texts, drops empty and duplicate alternatives, and keeps the shown one', () => {
    const g = finish(ghost([' x', ' y', ' z'], { index: 2, streaming: true }), [' one.', '', ' one.', ' three.']);
    expect(g.alternatives).toEqual([' one.', ' three.']);
    expect(g.streaming).toBe(false);
    expect(g.index).toBe(0);
    const kept = finish(ghost([' a', ' b'], { index: 1, streaming: true }), [' a.', ' b.']);
    expect(kept.index).toBe(1);
  });

  test('cycle moves through alternatives that agree with what was typed, both ways', () => {
    const g = ghost([' a.', ' b.', ' a, then.']);
    expect(cycle(g, 1).index).toBe(1);
    expect(cycle(g, -1).index).toBe(2);
    expect(cycle({ ...g, typed: ' a' }, 1).index).toBe(2);
    expect(cycle(ghost([' only.']), 1).index).toBe(0);
  });

  test('the announcement reads the suggestion and how to act on it', () => {
    expect(announcement(ghost([' the sea.']))).toBe('Suggestion: “the sea.” Tab to accept, Escape to dismiss.');
    expect(announcement(ghost([' a.', ' b.']))).toContain('Suggestion 1 of 2');
    expect(announcement(ghost(['']))).toBe('');
  });
});

describe('contextWindow', () => {
  test('short text is sent whole', () => {
    expect(contextWindow('abc', 10)).toBe('abc');
  });

  test('long text starts at a paragraph boundary', () => {
    const text = `${'a'.repeat(50)}\n\n${'b'.repeat(20)}\n\n${'c'.repeat(20)}`;
    expect(contextWindow(text, 60)).toBe(`${'b'.repeat(20)}\n\n${'c'.repeat(20)}`);
  });

  test('the start stays put while the writer types at the end, so the prefix cache keeps hitting', () => {
    let text = `${'a'.repeat(50)}\n\n${'b'.repeat(20)}\n\n`;
    const starts = new Set<string>();
    for (let i = 0; i < 15; i++) {
      text += 'c';
      starts.add(contextWindow(text, 60).slice(0, 5));
    }
    expect(starts.size).toBe(1);
  });

  test('without paragraph boundaries the start moves on a coarse grid, not every keystroke', () => {
    let text = 'x'.repeat(100);
    const lengths: number[] = [];
    for (let i = 0; i < 10; i++) {
      text += 'y';
      lengths.push(text.length - contextWindow(text, 40).length);
    }
    expect(new Set(lengths).size).toBeLessThanOrEqual(2);
    for (const cut of lengths) expect(cut % 10).toBe(0);
  });
});
