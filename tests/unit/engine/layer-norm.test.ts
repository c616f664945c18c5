import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../main/engine/backend';
import { FUSED_MAX_ROWS, layerNorm } from '../../../main/engine/layer-norm';

/** gpt2.ts's composed LayerNorm, the reference. */
function composed(x: tf.Tensor2D, w: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
  });
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('fused LayerNorm (wasm)', () => {
  test.for([
    { rows: 1, C: 768, scale: 1 },
    { rows: 3, C: 64, scale: 100 },
    { rows: FUSED_MAX_ROWS, C: 768, scale: 0.01 },
    { rows: FUSED_MAX_ROWS + 1, C: 64, scale: 1 }, // the composed path
  ])('$rows × $C, values ~$scale: equals the composed form', ({ rows, C, scale }) => {
    const x = tf.mul(tf.randomNormal([rows, C], 0, 1, 'float32', 1), scale) as tf.Tensor2D;
    const w = tf.randomNormal([C], 1, 0.5, 'float32', 2) as tf.Tensor1D;
    const b = tf.randomNormal([C], 0, 0.5, 'float32', 3) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => layerNorm(x, w, b, 1e-5)); // the composed path's intermediates must not escape
    const want = composed(x, w, b, 1e-5);
    expect(got.shape).toEqual([rows, C]);
    const g = got.dataSync();
    const r = want.dataSync();
    for (let i = 0; i < r.length; i++) expect(Math.abs(g[i] - r[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(r[i])));
    tf.dispose([got, want]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b]);
  });

  test('a constant row (zero variance) gives the bias, not NaN', () => {
    const x = tf.fill([1, 8], 3) as tf.Tensor2D;
    const w = tf.ones([8]) as tf.Tensor1D;
    const b = tf.fill([8], 0.5) as tf.Tensor1D;
    const y = layerNorm(x, w, b, 1e-5);
    expect(Array.from(y.dataSync())).toEqual(new Array(8).fill(0.5));
    tf.dispose([x, w, b, y]);
  });
});
