/**
 * One GPT-2 block (pre-LayerNorm attention + MLP, both residual) forward and
 * backward for training, from the pieces in train-ops.ts:
 *
 *   x2 = x  + c_proj(attn(c_attn(ln_1(x))))
 *   x3 = x2 + mlp.c_proj(gelu(mlp.c_fc(ln_2(x2))))
 *
 * The forward can keep what the backward needs (`save`), or the trainer can
 * keep only the block's input and recompute the forward right before the
 * backward (activation checkpointing: one extra forward, ~1/20 of the memory).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  attentionBackward,
  attentionForward,
  geluBackward,
  geluForward,
  layerNormBackward,
  layerNormForward,
  linearBackward,
  linearForward,
  type AttentionSaved,
  type AttentionShape,
  type GeluKind,
  type LayerNormSaved,
  tidyTyped,
} from './train-ops';

/** The block's parameters by their Hugging Face suffix (after `h.{l}.`). */
export const BLOCK_PARAM_NAMES = [
  'ln_1.weight',
  'ln_1.bias',
  'attn.c_attn.weight',
  'attn.c_attn.bias',
  'attn.c_proj.weight',
  'attn.c_proj.bias',
  'ln_2.weight',
  'ln_2.bias',
  'mlp.c_fc.weight',
  'mlp.c_fc.bias',
  'mlp.c_proj.weight',
  'mlp.c_proj.bias',
] as const;

export type BlockParamName = (typeof BLOCK_PARAM_NAMES)[number];

/** Weights as tensors, plus the transposed matrices the backward multiplies by. */
export interface BlockTensors {
  get(name: BlockParamName): tf.Tensor;
  /** Wᵀ of a 2-D weight, cached by the owner until the weight changes. */
  transposed(name: BlockParamName): tf.Tensor2D;
}

export interface BlockSaved {
  x: tf.Tensor2D;
  ln1: LayerNormSaved;
  h1: tf.Tensor2D;
  attn: AttentionSaved;
  y: tf.Tensor2D;
  ln2: LayerNormSaved;
  h2: tf.Tensor2D;
  f: tf.Tensor2D;
  g: tf.Tensor2D;
}

export interface BlockContext {
  shape: AttentionShape;
  eps: number;
  gelu: GeluKind;
  mask: tf.Tensor2D;
}

const w1 = (p: BlockTensors, n: BlockParamName): tf.Tensor1D => p.get(n) as tf.Tensor1D;
const w2 = (p: BlockTensors, n: BlockParamName): tf.Tensor2D => p.get(n) as tf.Tensor2D;

/** x (N, C) → out (N, C); with `save`, also everything the backward needs (the caller disposes it). */
export function blockForward(p: BlockTensors, x: tf.Tensor2D, ctx: BlockContext, save: boolean): { out: tf.Tensor2D; saved?: BlockSaved } {
  return tidyTyped((): { out: tf.Tensor2D; saved?: BlockSaved } => {
    const ln1 = layerNormForward(x, w1(p, 'ln_1.weight'), w1(p, 'ln_1.bias'), ctx.eps);
    const qkv = linearForward(ln1.y, w2(p, 'attn.c_attn.weight'), w1(p, 'attn.c_attn.bias')); // (N, 3C)
    const attn = attentionForward(qkv, ctx.mask, ctx.shape);
    const x2 = tf.add(x, linearForward(attn.y, w2(p, 'attn.c_proj.weight'), w1(p, 'attn.c_proj.bias'))) as tf.Tensor2D;
    const ln2 = layerNormForward(x2, w1(p, 'ln_2.weight'), w1(p, 'ln_2.bias'), ctx.eps);
    const f = linearForward(ln2.y, w2(p, 'mlp.c_fc.weight'), w1(p, 'mlp.c_fc.bias')); //         (N, 4C)
    const g = geluForward(f, ctx.gelu);
    const out = tf.add(x2, linearForward(g, w2(p, 'mlp.c_proj.weight'), w1(p, 'mlp.c_proj.bias'))) as tf.Tensor2D;
    if (!save) return { out };
    // x is the caller's; keep a clone so that disposing `saved` never frees the caller's tensor.
    const saved: BlockSaved = { x: tf.clone(x), ln1: ln1.saved, h1: ln1.y, attn: attn.saved, y: attn.y, ln2: ln2.saved, h2: ln2.y, f, g };
    return { out, saved };
  });
}

export function disposeBlockSaved(s: BlockSaved): void {
  tf.dispose([s.x, s.ln1.xhat, s.ln1.rstd, s.h1, s.attn.qs, s.attn.k, s.attn.v, s.attn.att, s.y, s.ln2.xhat, s.ln2.rstd, s.h2, s.f, s.g]);
}

/**
 * Backward through one block. `wantParams` false gives only dx (a frozen block
 * that gradients must still cross); `wantDx` false skips dx (the first trained
 * block when nothing below it trains). Returns gradients by parameter name.
 */
export function blockBackward(
  p: BlockTensors,
  s: BlockSaved,
  dOut: tf.Tensor2D,
  ctx: BlockContext,
  want: { params: boolean; dx: boolean },
): { dx?: tf.Tensor2D; grads: Map<BlockParamName, tf.Tensor> } {
  const grads = new Map<BlockParamName, tf.Tensor>();
  const dx = tf.tidy(() => {
    const put = (n: BlockParamName, t: tf.Tensor | undefined): void => {
      if (t) grads.set(n, tf.keep(t));
    };
    // MLP: x3 = x2 + g @ Wm + bm.
    const m = linearBackward(dOut, s.g, p.transposed('mlp.c_proj.weight'), { dx: true, params: want.params });
    put('mlp.c_proj.weight', m.dw);
    put('mlp.c_proj.bias', m.db);
    const df = geluBackward(m.dx!, s.f, ctx.gelu);
    const fc = linearBackward(df, s.h2, p.transposed('mlp.c_fc.weight'), { dx: true, params: want.params });
    put('mlp.c_fc.weight', fc.dw);
    put('mlp.c_fc.bias', fc.db);
    const ln2 = layerNormBackward(fc.dx!, w1(p, 'ln_2.weight'), s.ln2, want.params);
    put('ln_2.weight', ln2.dw);
    put('ln_2.bias', ln2.db);
    const dx2 = tf.add(dOut, ln2.dx) as tf.Tensor2D; // the residual carries dOut straight through
    // Attention: x2 = x + y @ Wp + bp.
    const proj = linearBackward(dx2, s.y, p.transposed('attn.c_proj.weight'), { dx: true, params: want.params });
    put('attn.c_proj.weight', proj.dw);
    put('attn.c_proj.bias', proj.db);
    const dqkv = attentionBackward(proj.dx!, s.attn, ctx.shape);
    // ln_1's weights need dh1 even when nothing below wants dx.
    const qkv = linearBackward(dqkv, s.h1, p.transposed('attn.c_attn.weight'), { dx: true, params: want.params });
    put('attn.c_attn.weight', qkv.dw);
    put('attn.c_attn.bias', qkv.db);
    const ln1 = layerNormBackward(qkv.dx!, w1(p, 'ln_1.weight'), s.ln1, want.params);
    put('ln_1.weight', ln1.dw);
    put('ln_1.bias', ln1.db);
    return want.dx ? (tf.add(dx2, ln1.dx) as tf.Tensor2D) : undefined;
  });
  return dx ? { dx, grads } : { grads };
}
