/**
 * Faster Slice and Unpack kernels for tfjs-backend-wasm 4.22.
 *
 * The stock kernels read their input with `backend.readSync`, which copies the
 * WHOLE input tensor out of the wasm heap into a fresh ArrayBuffer on every
 * call, even for a contiguous slice. Unstacking 12 attention heads therefore
 * copies the tensor 12 times (O(n²)); in a 124M prefill that was ~40 % of the
 * time. These replacements copy only the bytes they return, through views of
 * the heap, one contiguous run at a time. Strings and Unpack on an inner axis
 * go to the original kernels; tests compare both against the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of BackendWasm these kernels use (the class's own typings are not exported from its index). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let installed = false;

function copyOut(backend: WasmBackendLike, x: tf.TensorInfo, outShape: number[], offset: number): tf.TensorInfo {
  // makeOutput may grow the heap and detach older views: take views only after it.
  const out = backend.makeOutput(outShape, x.dtype);
  const n = outShape.reduce((a, b) => a * b, 1);
  const src = backend.typedArrayFromHeap(x);
  backend.typedArrayFromHeap(out).set(src.subarray(offset, offset + n));
  return out;
}

/**
 * A slice as contiguous runs: the axes after the last partial one are whole, so
 * each run is size[k]·(their product) elements; one run for a contiguous slice,
 * B·H runs for sliceCache's (B, H, length, D).
 */
function sliceRuns(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const rank = x.shape.length;
  let k = rank - 1; // innermost axis that is not taken whole
  while (k > 0 && begin[k] === 0 && size[k] === x.shape[k]) k--;
  const st = strides(x.shape);
  const run = size[k] * st[k];
  const runs = size.slice(0, k).reduce((a, b) => a * b, 1);
  if (runs === 1 || run === 0) {
    return copyOut(backend, x, size, begin.reduce((acc, bi, i) => acc + bi * st[i], 0));
  }
  const out = backend.makeOutput(size, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const idx = new Array<number>(k).fill(0); // position among the outer axes 0..k-1
  for (let r = 0; r < runs; r++) {
    let from = begin[k] * st[k];
    for (let i = 0; i < k; i++) from += (begin[i] + idx[i]) * st[i];
    dst.set(src.subarray(from, from + run), r * run);
    for (let i = k - 1; i >= 0; i--) {
      if (++idx[i] < size[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function numeric(dtype: tf.DataType): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

/** Whether the replacements are registered (for tests and the bench report). */
export function fastWasmKernelsInstalled(): boolean {
  return installed;
}

/**
 * Replaces the wasm backend's Slice and Unpack kernels (once per process).
 * Call after the wasm backend is registered; harmless to call again.
 */
export function installFastWasmKernels(): void {
  if (installed) return;
  const slice = tf.getKernel('Slice', 'wasm');
  const unpack = tf.getKernel('Unpack', 'wasm');
  if (!slice || !unpack) return;
  installed = true;

  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
      if (!numeric(x.dtype)) return slice.kernelFunc(args);
      return sliceRuns(args.backend as unknown as WasmBackendLike, x, b, s);
    },
  });

  tf.unregisterKernel('Unpack', 'wasm');
  tf.registerKernel({
    kernelName: 'Unpack',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const value = args.inputs.value as tf.TensorInfo;
      let axis = (args.attrs as unknown as { axis: number }).axis;
      if (axis < 0) axis += value.shape.length;
      // Contiguous pieces only when every axis before `axis` has size 1.
      if (!numeric(value.dtype) || value.shape.slice(0, axis).some((d) => d !== 1)) return unpack.kernelFunc(args);
      const outShape = value.shape.filter((_, i) => i !== axis);
      const n = outShape.reduce((a, b) => a * b, 1);
      const backend = args.backend as unknown as WasmBackendLike;
      return Array.from({ length: value.shape[axis] }, (_, i) => copyOut(backend, value, outShape, i * n));
    },
  });
}
