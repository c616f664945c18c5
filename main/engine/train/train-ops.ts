/**
 * The differentiable pieces of GPT-2 with their backward passes written out
 * (llm.c style), on tfjs ops but without tfjs's autograd. Why by hand:
 *   - the CommonJS tfjs-core that Node loads registers no gradients at all;
 *   - tfjs's matMul gradient uses transposed matmuls, 6-20x slower on wasm
 *     (docs PERFORMANCE): here every weight gradient transposes explicitly and
 *     then runs a plain matMul;
 *   - the gather gradient needs UnsortedSegmentSum, which wasm lacks
 *     (embedding-grad.ts does it in JS instead).
 * Each forward returns what its backward needs ("saved"); callers own every
 * returned tensor. Shapes: N = B·T rows, C channels.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * tf.tidy for results typed as interfaces (tfjs's TensorContainer wants an
 * index signature); tidy still finds and keeps every tensor nested in the result.
 */
export function tidyTyped<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

const GELU_K2 = 2 * Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

export interface LayerNormSaved {
  xhat: tf.Tensor2D; // (N, C)
  rstd: tf.Tensor2D; // (N, 1)
}

/** y = (x − mean)/√(var + eps) · w + b, biased variance (PyTorch). */
export function layerNormForward(x: tf.Tensor2D, w: tf.Tensor1D, b: tf.Tensor1D, eps: number): { y: tf.Tensor2D; saved: LayerNormSaved } {
  return tf.tidy(() => {
    const xc = tf.sub(x, tf.mean(x, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)) as tf.Tensor2D;
    const xhat = tf.mul(xc, rstd) as tf.Tensor2D;
    const y = tf.add(tf.mul(xhat, w), b) as tf.Tensor2D;
    return { y, saved: { xhat, rstd } };
  });
}

/** dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), with dx̂ = dy · w. */
export function layerNormBackward(
  dy: tf.Tensor2D,
  w: tf.Tensor1D,
  s: LayerNormSaved,
  wantParams: boolean,
): { dx: tf.Tensor2D; dw?: tf.Tensor1D; db?: tf.Tensor1D } {
  return tf.tidy(() => {
    const dxhat = tf.mul(dy, w);
    const inner = tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(s.xhat, tf.mean(tf.mul(dxhat, s.xhat), -1, true)));
    const dx = tf.mul(inner, s.rstd) as tf.Tensor2D;
    if (!wantParams) return { dx };
    return { dx, dw: tf.sum(tf.mul(dy, s.xhat), 0) as tf.Tensor1D, db: tf.sum(dy, 0) as tf.Tensor1D };
  });
}

/** x @ W + b as one fused kernel. */
export function linearForward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
}

/**
 * Gradients of y = x @ W + b. `wT` is Wᵀ made once per weight update (the
 * caller caches it): dx = dy @ Wᵀ; dW = xᵀ @ dy; db = Σ dy. No transpose flags.
 */
export function linearBackward(
  dy: tf.Tensor2D,
  x: tf.Tensor2D,
  wT: tf.Tensor2D,
  want: { dx: boolean; params: boolean },
): { dx?: tf.Tensor2D; dw?: tf.Tensor2D; db?: tf.Tensor1D } {
  return tf.tidy(() => {
    const out: { dx?: tf.Tensor2D; dw?: tf.Tensor2D; db?: tf.Tensor1D } = {};
    if (want.dx) out.dx = tf.matMul(dy, wT) as tf.Tensor2D;
    if (want.params) {
      out.dw = tf.matMul(tf.transpose(x), dy) as tf.Tensor2D;
      out.db = tf.sum(dy, 0) as tf.Tensor1D;
    }
    return out;
  });
}

export type GeluKind = 'gelu_new' | 'gelu';

/** gelu_new as x·σ(z), z = K2·(x + a·x³) (Sigmoid is a fast XNNPACK kernel), or exact gelu. */
export function geluForward(x: tf.Tensor2D, kind: GeluKind): tf.Tensor2D {
  return tf.tidy(() => {
    if (kind === 'gelu') return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as tf.Tensor2D;
    const z = tf.mul(x, tf.add(tf.mul(tf.square(x), GELU_K2 * GELU_A), GELU_K2));
    return tf.mul(x, tf.sigmoid(z)) as tf.Tensor2D;
  });
}

/** d gelu/dx · dy: gelu_new' = σ(z) + x·σ(z)(1−σ(z))·K2·(1 + 3a·x²); exact gelu' = Φ(x) + x·φ(x). */
export function geluBackward(dy: tf.Tensor2D, x: tf.Tensor2D, kind: GeluKind): tf.Tensor2D {
  return tf.tidy(() => {
    if (kind === 'gelu') {
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return tf.mul(dy, tf.add(cdf, tf.mul(x, pdf))) as tf.Tensor2D;
    }
    const x2 = tf.square(x);
    const sg = tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, GELU_K2 * GELU_A), GELU_K2)));
    const dz = tf.add(tf.mul(x2, 3 * GELU_A * GELU_K2), GELU_K2); //  dz/dx
    const d = tf.add(sg, tf.mul(tf.mul(tf.mul(x, sg), tf.sub(1, sg)), dz));
    return tf.mul(dy, d) as tf.Tensor2D;
  });
}

/**
 * Additive causal mask (T, T): 0 on and below the diagonal, −1e9 above. Its
 * softmax weights there are exactly 0, so the backward needs no mask.
 */
export function causalMaskTT(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) m.fill(-1e9, i * T + i + 1, (i + 1) * T);
  return tf.tensor2d(m, [T, T]);
}

export interface AttentionSaved {
  qs: tf.Tensor3D; // (B·H, T, D), q already scaled by 1/√D
  k: tf.Tensor3D; // (B·H, T, D)
  v: tf.Tensor3D; // (B·H, T, D)
  att: tf.Tensor3D; // (B·H, T, T) softmax weights
}

export interface AttentionShape {
  B: number;
  T: number;
  H: number;
  D: number;
}

/** Causal self-attention over the whole block (no cache). qkv (N, 3C) → y (N, C). */
export function attentionForward(qkv: tf.Tensor2D, mask: tf.Tensor2D, d: AttentionShape): { y: tf.Tensor2D; saved: AttentionSaved } {
  const { B, T, H, D } = d;
  return tf.tidy(() => {
    // (B, T, 3, H, D) → (3, B, H, T, D): q, k, v and heads apart in one transpose.
    const split = tf.reshape(tf.transpose(tf.reshape(qkv, [B, T, 3, H, D]), [2, 0, 3, 1, 4]), [3, B * H, T, D]);
    const [q, k, v] = tf.split(split, 3, 0).map((t) => tf.reshape(t, [B * H, T, D]) as tf.Tensor3D);
    const qs = tf.mul(q, 1 / Math.sqrt(D)) as tf.Tensor3D;
    const att = tf.softmax(tf.add(tf.matMul(qs, tf.transpose(k, [0, 2, 1])), mask)) as tf.Tensor3D; // (B·H, T, T)
    const yh = tf.matMul(att, v); //                                                             (B·H, T, D)
    const y = tf.reshape(tf.transpose(tf.reshape(yh, [B, H, T, D]), [0, 2, 1, 3]), [B * T, H * D]) as tf.Tensor2D;
    return { y, saved: { qs, k, v, att } };
  });
}

/** dy (N, C) → dqkv (N, 3C). */
export function attentionBackward(dy: tf.Tensor2D, s: AttentionSaved, d: AttentionShape): tf.Tensor2D {
  const { B, T, H, D } = d;
  return tf.tidy(() => {
    const dyh = tf.reshape(tf.transpose(tf.reshape(dy, [B, T, H, D]), [0, 2, 1, 3]), [B * H, T, D]);
    const datt = tf.matMul(dyh, tf.transpose(s.v, [0, 2, 1])); //                   (B·H, T, T)
    const dv = tf.matMul(tf.transpose(s.att, [0, 2, 1]), dyh); //                   (B·H, T, D)
    // Softmax backward: ds = a ⊙ (da − Σ_j da·a).
    const ds = tf.mul(s.att, tf.sub(datt, tf.sum(tf.mul(datt, s.att), -1, true)));
    const dq = tf.mul(tf.matMul(ds, s.k), 1 / Math.sqrt(D)); //                      (B·H, T, D)
    const dk = tf.matMul(tf.transpose(ds, [0, 2, 1]), s.qs); //                      (B·H, T, D)
    // (3, B, H, T, D) → (B, T, 3, H, D): the inverse of the forward's permutation.
    const stacked = tf.reshape(tf.stack([dq, dk, dv]), [3, B, H, T, D]);
    return tf.reshape(tf.transpose(stacked, [1, 3, 0, 2, 4]), [B * T, 3 * H * D]) as tf.Tensor2D;
  });
}
