import { describe, expect, test } from 'vitest';
import { quantile, seededRandom, typedContext } from './typing-storm';

describe('soak helpers', () => {
  test('seededRandom replays the same sequence for the same seed, in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(8)()).not.toBe(xs[0]);
  });

  test.each([
    [[], 0.5, 0],
    [[5], 0.95, 5],
    [[3, 1, 2], 0.5, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
  ])('quantile(%j, %d) is %d', (values, q, expected) => {
    expect(quantile(values, q)).toBe(expected);
  });

  test('typedContext grows by one character per keystroke, each a prefix of the next', () => {
    for (const n of [0, 1, 50, 300]) {
      expect(typedContext(n)).toHaveLength(n + 1);
      expect(typedContext(n + 1).startsWith(typedContext(n))).toBe(true);
    }
  });
});
