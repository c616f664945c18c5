import { expect, test } from 'vitest';
import { defaultWarmup, learningRate } from '../../../main/engine/train/schedule';

const o = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 110 };

test.for([
  [0, 1e-4],
  [4, 5e-4],
  [9, 1e-3],
  [10, 1e-3],
  [60, 1e-4 + 0.5 * 9e-4],
  [110, 1e-4],
  [500, 1e-4],
])('step %d → %d', ([step, want]) => {
  expect(learningRate(step, o)).toBeCloseTo(want, 9);
});

test('decays monotonically after warmup', () => {
  for (let s = 10; s < 110; s++) expect(learningRate(s + 1, o)).toBeLessThanOrEqual(learningRate(s, o));
});

test.for([
  [10, 1],
  [1000, 50],
  [100000, 200],
])('warmup for %d steps is %d', ([total, want]) => {
  expect(defaultWarmup(total)).toBe(want);
});
