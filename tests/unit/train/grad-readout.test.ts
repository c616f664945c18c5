import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../../main/engine/backend';
import { addTensorInto, floatView } from '../../../main/engine/train/grad-readout';

beforeAll(async () => {
  await initBackend('wasm');
});

afterAll(async () => {
  await tf.setBackend('wasm');
});

const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);

describe.for(['wasm', 'cpu'] as const)('on %s', (backend) => {
  test('adds every value into the accumulator, leaving no tensor behind', async () => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const t = tf.tensor2d(values, [10, 100]);
    const acc = Float32Array.from({ length: 1000 }, (_, i) => i);
    addTensorInto(acc, t, 'test gradient');
    addTensorInto(acc, t, 'test gradient');
    t.dispose();
    expect(Array.from(acc)).toEqual(Array.from(values, (v, i) => Math.fround(Math.fround(i + v) + v)));
    expect(tf.memory().numTensors).toBe(before);
  });

  test.for([
    ['a size mismatch', () => tf.zeros([3, 4]), 11, /test gradient has 12 values \(shape \[3, 4\]\), its gradient array 11/],
    ['an int32 tensor', () => tf.zeros([12], 'int32'), 12, /test gradient is int32, expected float32/],
  ] as const)('refuses %s with the tensor named', async ([, make, size, message]) => {
    await tf.setBackend(backend);
    const t = make();
    expect(() => addTensorInto(new Float32Array(size), t, 'test gradient')).toThrow(message);
    t.dispose();
  });
});

test('on wasm the read-out is a view on the heap: no dataSync copy per gradient', async () => {
  await tf.setBackend('wasm');
  const t = tf.tensor1d(values);
  const copy = vi.spyOn(t, 'dataSync');
  const view = floatView(t, 'test gradient');
  addTensorInto(new Float32Array(values.length), t, 'test gradient');
  expect(copy).not.toHaveBeenCalled();
  const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
  expect(view.buffer).toBe(heap.buffer);
  expect(Array.from(view)).toEqual(Array.from(values));
  t.dispose();
});

test('a tensor left on another backend is read with dataSync, not through the wasm heap', async () => {
  await tf.setBackend('cpu');
  const t = tf.tensor1d(values);
  await tf.setBackend('wasm');
  // Switching backends moves data lazily: until then the wasm heap has no record of the tensor.
  const view = floatView(t, 'test gradient');
  expect(Array.from(view)).toEqual(Array.from(values));
  t.dispose();
});
