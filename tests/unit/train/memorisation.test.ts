import { expect, test } from 'vitest';
import { NgramIndex } from '../../../main/engine/train/memorisation';

const train = Array.from({ length: 100 }, (_, i) => i);

test.for([
  ['a sample copied whole', Array.from({ length: 20 }, (_, i) => i + 30), 1],
  ['a sample with a 12-token copy inside', [500, 501, ...Array.from({ length: 12 }, (_, i) => i + 50), 502, 503, 504, 505, 506, 507], 12 / 20],
  ['11 copied tokens are not a copy', [...Array.from({ length: 11 }, (_, i) => i), 900, ...Array.from({ length: 8 }, () => 901)], 0],
  ['a short sample', [1, 2, 3], 0],
] as const)('%s', ([, sample, rate]) => {
  expect(new NgramIndex(train).copyRate([...sample]).rate).toBeCloseTo(rate, 9);
});

test('the index counts distinct windows', () => {
  expect(new NgramIndex(train).size).toBe(89);
  // 11 new windows cross the seam; the 9 inside the repeated head are already known.
  expect(new NgramIndex([...train, ...train.slice(0, 20)]).size).toBe(89 + 11);
});
