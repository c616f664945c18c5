import { describe, expect, test } from 'vitest';
import { ADAMW_DEFAULTS, adamwUpdate, clipScale, newMoments, sumOfSquares } from '../../../main/engine/train/adamw';

/** PyTorch's AdamW, written out in float64 for one scalar. */
function reference(p: number, grads: number[], lr: number, wd: number): number {
  const { beta1: b1, beta2: b2, eps } = ADAMW_DEFAULTS;
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    p -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
  });
  return p;
}

describe('adamw', () => {
  test.for([
    { decay: true, wd: 0.1 },
    { decay: false, wd: 0 },
  ])('three steps match the reference (decay $decay)', ({ decay, wd }) => {
    const param = Float32Array.from([0.5, -1.25, 2]);
    const mom = newMoments(3);
    const steps = [
      [0.1, -0.3, 2],
      [0.05, 0.2, -1],
      [-0.2, 0.1, 0.5],
    ];
    steps.forEach((g, i) => adamwUpdate(param, Float32Array.from(g), mom, { ...ADAMW_DEFAULTS, lr: 0.01, step: i + 1, gradScale: 1, decay }));
    [0.5, -1.25, 2].forEach((p0, j) => {
      expect(param[j]).toBeCloseTo(reference(p0, steps.map((s) => s[j]), 0.01, wd), 6);
    });
  });

  test('gradScale scales the gradient before the moments', () => {
    const a = Float32Array.from([1]);
    const b = Float32Array.from([1]);
    adamwUpdate(a, Float32Array.from([4]), newMoments(1), { ...ADAMW_DEFAULTS, lr: 0.1, step: 1, gradScale: 0.25, decay: false });
    adamwUpdate(b, Float32Array.from([1]), newMoments(1), { ...ADAMW_DEFAULTS, lr: 0.1, step: 1, gradScale: 1, decay: false });
    expect(a[0]).toBe(b[0]);
  });

  test('sizes must agree', () => {
    expect(() => adamwUpdate(new Float32Array(2), new Float32Array(3), newMoments(2), { ...ADAMW_DEFAULTS, lr: 1, step: 1, gradScale: 1, decay: false })).toThrow(/sizes differ/);
  });

  test.for([
    [3, 5, 1],
    [10, 5, 0.5],
    [NaN, 5, 1],
  ])('clipScale(norm %d, max %d) ≈ %d', ([norm, max, want]) => {
    expect(clipScale(norm, max)).toBeCloseTo(want, 5);
  });

  test('sumOfSquares over several arrays', () => {
    expect(sumOfSquares([Float32Array.from([3]), Float32Array.from([4, 0])])).toBe(25);
  });
});
