/**
 * LayerNorm as one wasm-backend kernel written in JS over views of the wasm
 * heap. tfjs composes LayerNorm from ~11 kernels (moments, sub, rsqrt, mul,
 * add...), and in a decode step each kernel costs more in dispatch than in
 * arithmetic (a row is 768 floats): ~3 ms of a GPT-2 124M decode step, and
 * more on a rank of the split model, whose matmuls are half-size but whose
 * LayerNorms are not. Other backends, and prefill-sized inputs, use the
 * composed form.
 *
 * Same math as PyTorch's LayerNorm (biased variance, eps inside the root),
 * accumulated in float64, so the two paths differ by float32 rounding only.
 */
import * as tf from '@tensorflow/tfjs-core';

const KERNEL = 'InkwellLayerNorm';
/**
 * Rows up to which the JS kernel runs: it saves ~130 µs a call at 1 row
 * (35-50 µs vs 160-290 µs); at 128 rows it is ~10 % slower than the composed
 * form, whose kernels then do real work.
 */
export const FUSED_MAX_ROWS = 16;

/** The parts of BackendWasm used here (as in wasm-kernels.ts). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, w, b } = inputs as { x: tf.TensorInfo; w: tf.TensorInfo; b: tf.TensorInfo };
      const eps = (attrs as unknown as { eps: number }).eps;
      const be = backend as unknown as WasmBackendLike;
      // makeOutput may grow the heap and detach older views: take views only after it.
      const out = be.makeOutput([...x.shape], 'float32');
      const xs = be.typedArrayFromHeap(x) as Float32Array;
      const ws = be.typedArrayFromHeap(w) as Float32Array;
      const bs = be.typedArrayFromHeap(b) as Float32Array;
      const os = be.typedArrayFromHeap(out) as Float32Array;
      const C = x.shape[x.shape.length - 1];
      for (let at = 0; at < xs.length; at += C) {
        let sum = 0;
        for (let i = 0; i < C; i++) sum += xs[at + i];
        const mean = sum / C;
        let sq = 0;
        for (let i = 0; i < C; i++) {
          const d = xs[at + i] - mean;
          sq += d * d;
        }
        const inv = 1 / Math.sqrt(sq / C + eps);
        for (let i = 0; i < C; i++) os[at + i] = (xs[at + i] - mean) * inv * ws[i] + bs[i];
      }
      return out;
    },
  });
}

/** (x - mean) / sqrt(var + eps) * w + b over the last axis of a (N, C) tensor. */
export function layerNorm(x: tf.Tensor2D, w: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (x.shape[0] <= FUSED_MAX_ROWS && tf.getBackend() === 'wasm' && x.dtype === 'float32') {
    register();
    return tf.engine().runKernel(KERNEL, { x, w, b }, { eps }) as tf.Tensor2D;
  }
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
}
