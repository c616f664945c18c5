/**
 * Token and position embeddings for training, done in JS on the weights'
 * Float32Arrays: the lookup builds x0 = wte[ids] + wpe[positions], and the
 * backward scatter-adds each row of dx0 into the rows of the gradient that
 * its token and position picked. This is the gather gradient that tfjs would
 * compute with UnsortedSegmentSum, which the wasm backend lacks; in JS it
 * costs O(B·T·C) and touches only the rows the batch used, instead of a dense
 * (V, C) one-hot matmul.
 */

/** x0 (N·C, row-major) for ids (N) at positions 0..T−1 of each row of length T. */
export function embedLookup(ids: Int32Array, T: number, wte: Float32Array, wpe: Float32Array, C: number): Float32Array {
  const N = ids.length;
  const out = new Float32Array(N * C);
  for (let i = 0; i < N; i++) {
    const tok = ids[i] * C;
    const pos = (i % T) * C;
    const o = i * C;
    for (let c = 0; c < C; c++) out[o + c] = wte[tok + c] + wpe[pos + c];
  }
  return out;
}

/** gradWte[ids[i]] += dx0[i]; gradWpe[i mod T] += dx0[i]. Either gradient may be null (frozen). */
export function embedBackward(
  ids: Int32Array,
  T: number,
  dx0: Float32Array,
  C: number,
  gradWte: Float32Array | null,
  gradWpe: Float32Array | null,
): void {
  if (dx0.length !== ids.length * C) throw new Error(`embedding-grad: dx0 holds ${dx0.length} values, expected ${ids.length} × ${C}`);
  for (let i = 0; i < ids.length; i++) {
    const o = i * C;
    if (gradWte) {
      const tok = ids[i] * C;
      for (let c = 0; c < C; c++) gradWte[tok + c] += dx0[o + c];
    }
    if (gradWpe) {
      const pos = (i % T) * C;
      for (let c = 0; c < C; c++) gradWpe[pos + c] += dx0[o + c];
    }
  }
}
