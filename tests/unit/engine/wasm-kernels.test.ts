import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../main/engine/backend';
import { fastWasmKernelsInstalled } from '../../../main/engine/wasm-kernels';

// initBackend('wasm') installs the replacement kernels; their results are compared with the
// pure-JS cpu backend's stock kernels on the same data.
beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-cpu');
  await initBackend('wasm');
});

function iota(shape: number[], dtype: 'float32' | 'int32' | 'bool' = 'float32'): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : i * 1.5 - 7));
  return tf.tensor(vals as number[], shape, dtype);
}

async function onCpu<T>(fn: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return fn();
  } finally {
    await tf.setBackend('wasm');
  }
}

describe('wasm Slice and Unpack replacements', () => {
  test('are installed by initBackend', () => {
    expect(fastWasmKernelsInstalled()).toBe(true);
  });

  test.for([
    { shape: [12, 8, 4], begin: [5, 0, 0], size: [1, -1, -1] },
    { shape: [12, 8, 4], begin: [2, 0, 0], size: [3, 8, 4] },
    { shape: [1, 4, 10, 3], begin: [0, 0, 0, 0], size: [-1, -1, 7, -1] }, // sliceCache's shape: not contiguous
    { shape: [6, 5], begin: [1, 2], size: [4, 3] }, // not contiguous: falls back
    { shape: [6, 5], begin: [3, 0], size: [1, 5] },
    { shape: [7], begin: [2], size: [4] },
    { shape: [2, 3, 10, 4], begin: [1, 1, 2, 0], size: [1, 2, 5, 4] }, // runs over two outer axes
    { shape: [3, 4, 5], begin: [1, 0, 1], size: [2, 4, 3] }, // innermost partial
    { shape: [3, 4, 5], begin: [0, 2, 0], size: [3, 2, 5] }, // middle partial
    { shape: [2, 2, 2, 2, 3], begin: [1, 0, 1, 0, 1], size: [1, 2, 1, 2, 2] }, // rank 5
    { shape: [4, 0], begin: [1, 0], size: [2, 0] }, // empty
    { shape: [3, 4], begin: [0, 0], size: [0, 4] },
  ])('slice $shape from $begin size $size', async ({ shape, begin, size }) => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const got = tf.tidy(() => tf.slice(iota(shape, dtype), begin, size).arraySync());
      const want = await onCpu(() => tf.tidy(() => tf.slice(iota(shape, dtype), begin, size).arraySync()));
      expect(got).toEqual(want);
    }
  });

  test.for([
    { shape: [3, 4, 5], axis: 0 },
    { shape: [1, 4, 5], axis: 1 },
    { shape: [3, 4, 5], axis: 1 }, // falls back
    { shape: [2, 3], axis: -1 },
    { shape: [5], axis: 0 },
  ])('unstack $shape on axis $axis', async ({ shape, axis }) => {
    const got = tf.tidy(() => tf.unstack(iota(shape), axis).map((t) => t.arraySync()));
    const want = await onCpu(() => tf.tidy(() => tf.unstack(iota(shape), axis).map((t) => t.arraySync())));
    expect(got).toEqual(want);
  });

  test('results survive heap growth and leak nothing', () => {
    const before = tf.memory().numTensors;
    const x = iota([16, 1024]);
    const parts = tf.unstack(x);
    // Force the wasm heap to grow while the parts are alive.
    const big = tf.zeros([64 * 1024 * 1024 / 4]);
    expect(Array.from(parts[3].dataSync().slice(0, 3))).toEqual([3 * 1024 * 1.5 - 7, 3 * 1024 * 1.5 - 5.5, 3 * 1024 * 1.5 - 4]);
    tf.dispose([x, big, ...parts]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
