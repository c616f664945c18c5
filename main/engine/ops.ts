/**
 * The elementwise and linear pieces of a GPT-2 block, shared by the one-thread
 * model (gpt2.ts) and each rank of the tensor-parallel one (parallel/shard.ts),
 * so that both compute exactly the same function.
 */
import * as tf from '@tensorflow/tfjs-core';

export { layerNorm } from './layer-norm';

const GELU_K2 = 2 * Math.sqrt(2 / Math.PI);

/**
 * gelu_new, GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 * Computed as x·σ(2·√(2/π)·x·(1 + 0.044715·x²)), the same function (0.5·(1 + tanh z) = σ(2z)):
 * on wasm, Sigmoid is XNNPACK's vector kernel, ~10x faster than Tanh and Pow.
 */
export function geluNew(x: tf.Tensor2D): tf.Tensor2D {
  const z = tf.mul(x, tf.add(tf.mul(tf.square(x), GELU_K2 * 0.044715), GELU_K2));
  return tf.mul(x, tf.sigmoid(z));
}

/** HF's exact "gelu": 0.5·x·(1 + erf(x / √2)). */
export function geluExact(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** x @ W (+ b) as one fused kernel (a plain matmul: no transpose flags, which are slow on wasm). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return (b ? tf.fused.matMul({ a: x, b: w, bias: b }) : tf.matMul(x, w)) as tf.Tensor2D;
}
