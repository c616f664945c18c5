/**
 * The LM head and the loss: ln_f, logits = x̂ @ W_head (C, V), cross-entropy
 * against the next tokens, and its backward, in chunks of rows so that the
 * (rows, V) logits never exceed HEAD_CHUNK_FLOATS (GPT-2's V = 50257 makes
 * the logits of 1024 rows 206 MB; with softmax and the one-hot that would be
 * a third of the wasm heap).
 *
 * Cross-entropy gradient without autograd: dlogits = (softmax − onehot) · scale,
 * where `scale` is 1 / (tokens in the optimizer step) so that micro-batch
 * gradients simply add up. The one-hot is never materialised: (V)-wide
 * one-hots, their cast and the elementwise passes over them cost more than
 * the matmuls for the small built-in model. The head weight's gradient is produced as (V, C),
 * the layout of wte.weight / lm_head.weight in the checkpoint, one chunk of
 * rows at a time through `onHeadGrad`.
 *
 * Memory: the head weight lives in the heap once, as (C, V), and is the left operand of every
 * product but the logits'. tfjs-backend-wasm caches an XNNPACK operator per right-hand
 * operand, holding a packed copy of it until that tensor is disposed: a (V, C) copy used as
 * the right operand of dx = p · W_head cost 154 MB for its upload plus 154 MB packed, for the
 * whole run (GPT-2 124M). dxᵀ = W_head(C, V) · pᵀ packs only the chunk's pᵀ, freed with it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layerNormBackward, layerNormForward } from './train-ops';

/** Upper bound on logits values per chunk (8 M floats, 32 MB). */
export const HEAD_CHUNK_FLOATS = 8_000_000;

export interface HeadTensors {
  lnfW: tf.Tensor1D;
  lnfB: tf.Tensor1D;
  /** (C, V): logits = x @ headCV and dxᵀ = headCV @ dlogitsᵀ, with no transpose flag. */
  headCV: tf.Tensor2D;
  eps: number;
}

export interface HeadResult {
  /** Σ of −log p(target) over the rows. */
  nllSum: number;
  dx?: tf.Tensor2D; // (N, C)
  dLnfW?: tf.Tensor1D;
  dLnfB?: tf.Tensor1D;
}

/**
 * One chunk's head gradient, (V, C): `dense` plus, for each i, `rowUpdates[i]` added to row
 * `rows[i]` (the one-hot part of dlogits, kept sparse; rows may repeat).
 */
export interface HeadGrad {
  dense: tf.Tensor2D;
  rows: Int32Array;
  rowUpdates: tf.Tensor2D; // (n, C)
}

/** (n, 2) int32 [[0, t0], [1, t1], …] for gatherND. */
function targetIndices(rowTargets: Int32Array): tf.Tensor2D {
  const idx = new Int32Array(rowTargets.length * 2);
  for (let i = 0; i < rowTargets.length; i++) {
    idx[2 * i] = i;
    idx[2 * i + 1] = rowTargets[i];
  }
  return tf.tensor2d(idx, [rowTargets.length, 2], 'int32');
}

export function headChunkRows(vocabSize: number, rows: number): number {
  return Math.max(1, Math.min(rows, Math.floor(HEAD_CHUNK_FLOATS / vocabSize)));
}

/** Accumulates `next` into `acc` (disposing both inputs' old values) and returns the sum. */
function accumulate<T extends tf.Tensor>(acc: T | undefined, next: T): T {
  if (!acc) return next;
  const sum = tf.add(acc, next) as T;
  tf.dispose([acc, next]);
  return sum;
}

/**
 * x (N, C) the last block's output, targets (N) next-token ids. With `grad`
 * false only the loss is computed (validation). `wantHead`/`wantLnf` select
 * which parameter gradients to produce.
 */
export function headLoss(
  x: tf.Tensor2D,
  targets: Int32Array,
  h: HeadTensors,
  opts: { grad: boolean; scale: number; wantLnf: boolean; onHeadGrad?: (g: HeadGrad) => void },
): HeadResult {
  const [N, C] = x.shape;
  const V = h.headCV.shape[1];
  if (targets.length !== N) throw new Error(`head-grad: ${targets.length} targets for ${N} rows`);
  const chunk = headChunkRows(V, N);
  let nllSum = 0;
  const dxParts: tf.Tensor2D[] = [];
  let dLnfW: tf.Tensor1D | undefined;
  let dLnfB: tf.Tensor1D | undefined;
  try {
    for (let r0 = 0; r0 < N; r0 += chunk) {
      const n = Math.min(chunk, N - r0);
      const rowTargets = targets.subarray(r0, r0 + n);
      const out = tf.tidy(() => {
        const xs = n === N ? x : tf.slice(x, [r0, 0], [n, C]);
        const ln = layerNormForward(xs, h.lnfW, h.lnfB, h.eps);
        const logits = tf.matMul(ln.y, h.headCV); //                                    (n, V)
        const picked = tf.gatherND(logits, targetIndices(rowTargets)) as tf.Tensor1D; // logit of each target (n)
        // log Σ exp(logits) from the softmax: its largest value is exactly exp(max − lse) ≥ 1/V, so
        // lse = max − log(max p) never underflows; the wasm Softmax kernel is vectorised, its Exp is not.
        const p = tf.softmax(logits); //                                                  (n, V)
        const lse = tf.sub(tf.max(logits, 1), tf.log(tf.max(p, 1)));
        const nll = tf.sum(tf.sub(lse, picked));
        if (!opts.grad) return { nll };
        // dlogits = (p − onehot) · scale, never built densely: the one-hot part is a gather of the
        // targets' head columns for dx and a sparse row update for the head gradient (`HeadGrad.rowUpdates`).
        // Transposed so that the head weight stays the left operand (see the file's comment).
        const pT = tf.transpose(p); //                                                     (V, n)
        const targetCols = tf.tensor1d(rowTargets, 'int32');
        const dyT = tf.mul(tf.sub(tf.matMul(h.headCV, pT), tf.gather(h.headCV, targetCols, 1)), opts.scale); // (C, n)
        const dy = tf.transpose(dyT) as tf.Tensor2D; //                                    (n, C)
        const lnb = layerNormBackward(dy, h.lnfW, ln.saved, opts.wantLnf);
        let dh: tf.Tensor2D | undefined;
        let rowUpdates: tf.Tensor2D | undefined;
        if (opts.onHeadGrad) {
          const scaled = tf.mul(ln.y, opts.scale) as tf.Tensor2D; //                       (n, C)
          dh = tf.matMul(pT, scaled) as tf.Tensor2D; //                                  (V, C)
          rowUpdates = tf.neg(scaled) as tf.Tensor2D;
        }
        return { nll, dx: lnb.dx, dh, rowUpdates, dw: lnb.dw, db: lnb.db };
      });
      nllSum += scalarValue(out.nll);
      tf.dispose(out.nll);
      if (out.dx) dxParts.push(out.dx);
      // Handed over per chunk (the caller adds it into its JS gradient): summing (V, C) chunks in
      // the heap would hold three 154 MB copies at once for GPT-2.
      if (out.dh) {
        try {
          opts.onHeadGrad!({ dense: out.dh, rows: rowTargets, rowUpdates: out.rowUpdates! });
        } finally {
          tf.dispose([out.dh, out.rowUpdates!]);
        }
      }
      if (out.dw) dLnfW = accumulate(dLnfW, out.dw);
      if (out.db) dLnfB = accumulate(dLnfB, out.db);
    }
    if (!opts.grad) return { nllSum };
    const dx = dxParts.length === 1 ? dxParts[0] : (tf.concat(dxParts, 0) as tf.Tensor2D);
    if (dxParts.length > 1) tf.dispose(dxParts);
    dxParts.length = 0;
    return { nllSum, dx, dLnfW, dLnfB };
  } catch (err) {
    tf.dispose([...dxParts, ...(dLnfW ? [dLnfW] : []), ...(dLnfB ? [dLnfB] : [])]);
    throw err;
  }
}

/** A scalar's value (sync read: the trainer is synchronous between event-loop yields). */
function scalarValue(t: tf.Tensor): number {
  return t.dataSync()[0];
}
