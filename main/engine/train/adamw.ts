/**
 * AdamW (Loshchilov & Hutter 2019) with decoupled weight decay, on plain
 * Float32Arrays in JS. Why not tfjs: GPT-2 124M's weights + gradients + two
 * moments are ~2 GB, which is the whole wasm heap; keeping the moments (and
 * the update) in JS memory leaves the heap for weights and activations.
 *
 * What this is not: no gradient clipping (see clipScale, applied by the
 * caller through `gradScale`), no schedule (the caller passes the rate).
 */

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

/** One parameter's moments. */
export interface Moments {
  m: Float32Array;
  v: Float32Array;
}

export function newMoments(size: number): Moments {
  return { m: new Float32Array(size), v: new Float32Array(size) };
}

/**
 * Updates `param` in place from `grad` (scaled by `gradScale`: clipping and the
 * 1/accumulation factor). `step` is the 1-based optimizer step for the bias
 * correction. `decay` false for biases and LayerNorm weights (GPT-2 practice:
 * decaying a gain pulls it towards 0, which is not regularisation).
 */
export function adamwUpdate(
  param: Float32Array,
  grad: Float32Array,
  mom: Moments,
  o: { lr: number; step: number; gradScale: number; decay: boolean } & AdamWOptions,
): void {
  if (param.length !== grad.length || param.length !== mom.m.length || param.length !== mom.v.length) {
    throw new Error(`adamw: sizes differ (param ${param.length}, grad ${grad.length}, m ${mom.m.length}, v ${mom.v.length})`);
  }
  const { beta1: b1, beta2: b2, eps, lr, gradScale: s } = o;
  const c1 = 1 / (1 - b1 ** o.step);
  const c2 = 1 / (1 - b2 ** o.step);
  // Decoupled decay: p ← p − lr·wd·p, independent of the gradient's scale.
  const keep = o.decay ? 1 - lr * o.weightDecay : 1;
  const { m, v } = mom;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] * s;
    const mi = b1 * m[i] + (1 - b1) * g;
    const vi = b2 * v[i] + (1 - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i] * keep - (lr * (mi * c1)) / (Math.sqrt(vi * c2) + eps);
  }
}

/** Sum of squares of every gradient (for global-norm clipping); NaN/Inf propagate, as the caller wants to see them. */
export function sumOfSquares(grads: Iterable<Float32Array>): number {
  let total = 0;
  for (const g of grads) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    total += s;
  }
  return total;
}

/**
 * The factor that clips the global norm of the (already averaged) gradient to
 * `maxNorm`: 1 when the norm is within it. `norm` is the unclipped norm.
 */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(norm) || norm <= maxNorm) return 1;
  return maxNorm / (norm + 1e-6);
}
