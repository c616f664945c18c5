/**
 * Reading float32 tensors out of the backend into the optimizer's JS arrays
 * without a transient copy.
 *
 * Why: on tfjs-backend-wasm `dataSync()` returns a fresh copy of the tensor's
 * heap bytes (`HEAPU8.slice`). The backward reads every gradient that way,
 * including GPT-2's (V, C) head gradient once per row chunk (154 MB each, ~7
 * per micro-batch of 4 × 256), and V8 collects those garbage buffers late: at
 * the peak several of them were alive at once. On wasm a tensor's data is one
 * contiguous run of the heap (BackendWasm.typedArrayFromHeap gives a view on
 * it), so the add can read the heap directly. Other backends fall back to
 * dataSync (tfjs-node and cpu have no shared heap to view).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of BackendWasm used here (its class typings are not exported from the package index). */
interface WasmBackendLike {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  dataIdMap: { has(dataId: object): boolean };
}

function wasmBackendOf(t: tf.Tensor): WasmBackendLike | null {
  const be = tf.backend() as unknown as Partial<WasmBackendLike>;
  if (typeof be.typedArrayFromHeap !== 'function' || !be.dataIdMap || typeof be.dataIdMap.has !== 'function') return null;
  // A tensor made on another backend (before a switch) is not in this heap.
  return be.dataIdMap.has(t.dataId) ? (be as WasmBackendLike) : null;
}

/**
 * The tensor's float32 values: a view on the wasm heap when the backend is
 * wasm (valid only until the next tensor operation, which may grow the heap
 * and detach it, or reuse the memory once the tensor is disposed), else a
 * dataSync copy. Read it at once; never keep it.
 */
export function floatView(t: tf.Tensor, what: string): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`grad-readout: ${what} is ${t.dtype}, expected float32`);
  const be = wasmBackendOf(t);
  if (be) return be.typedArrayFromHeap(t) as Float32Array;
  return t.dataSync() as Float32Array;
}

/** acc[i] += t[i] for every value of `t` (same size), reading the wasm heap in place. */
export function addTensorInto(acc: Float32Array, t: tf.Tensor, what: string): void {
  if (t.size !== acc.length) throw new Error(`grad-readout: ${what} has ${t.size} values (shape [${t.shape.join(', ')}]), its gradient array ${acc.length}`);
  const d = floatView(t, what);
  for (let i = 0; i < d.length; i++) acc[i] += d[i];
}
