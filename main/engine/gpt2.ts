/**
 * GPT-2 (Radford et al. 2019) on TensorFlow.js, written as the math reads,
 * nanoGPT-style: pre-LayerNorm blocks of causal self-attention and a gelu MLP,
 * tied (or untied) LM head, learned positions. Inference only; the forward pass
 * takes only the new tokens and an immutable KV cache of the earlier ones.
 *
 * Shapes: B rows, T new tokens, P = positions already cached, C = nEmbd,
 * H = nHead, D = C / H, V = vocabSize. Activations stay 2-D (B·T, C) between
 * the matmuls so that every weight multiply is one plain x @ W.
 *
 * What this file is not: no sampling, no prompt cutting (the generator keeps
 * P + T <= nPositions and this file throws a clear error when it does not),
 * no training (autograd here would use tfjs's slow transposed matmuls).
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildWeights, disposeWeights, parameterCount, type GPT2Weights, type SourceTensor } from './gpt2-weights';
import { causalSelfAttention } from './attention';
import { makeCache } from './kv-cache';
import { geluExact, geluNew, layerNorm, linear } from './ops';
import type { Activation } from './model-config';
import type { GPT2Config, KVCache, LanguageModel } from './types';

export class GPT2 implements LanguageModel {
  readonly config: GPT2Config;
  private weights: GPT2Weights | null;
  private readonly gelu: (x: tf.Tensor2D) => tf.Tensor2D;

  /** `config.activation` (from model-config.ts) picks the gelu; GPT-2's own gelu_new by default. */
  constructor(config: GPT2Config & { activation?: Activation }, weights: GPT2Weights) {
    this.config = config;
    this.weights = weights;
    this.gelu = config.activation === 'gelu' ? geluExact : geluNew;
  }

  /**
   * Checks and uploads HF-named weights (see gpt2-weights.ts); `origin` names the file in errors.
   * `consume` empties `tensors` as it uploads, to keep peak memory near one copy of the weights.
   */
  static fromTensors(
    config: GPT2Config & { activation?: Activation },
    tensors: ReadonlyMap<string, SourceTensor>,
    origin = 'weights',
    options: { consume?: boolean } = {},
  ): GPT2 {
    return new GPT2(config, buildWeights(config, tensors, origin, options));
  }

  get tiedLmHead(): boolean {
    return this.live().tied;
  }

  get parameterCount(): number {
    return parameterCount(this.live());
  }

  private live(): GPT2Weights {
    if (!this.weights) throw new Error('gpt2: the model was disposed');
    return this.weights;
  }

  private checkInput(ids: readonly (readonly number[])[], cache: KVCache | null): { B: number; T: number; P: number } {
    const { vocabSize, nPositions, nLayer } = this.config;
    const B = ids.length;
    if (B === 0) throw new Error('gpt2.forward: ids has no rows');
    const T = ids[0].length;
    if (T === 0) throw new Error('gpt2.forward: ids rows are empty; give at least one token');
    ids.forEach((row, r) => {
      if (row.length !== T) throw new Error(`gpt2.forward: row ${r} has ${row.length} tokens, row 0 has ${T}; rows must be equally long`);
      row.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new Error(`gpt2.forward: token ${id} at row ${r}, position ${t} is not an id below the vocabulary size ${vocabSize}`);
        }
      });
    });
    const P = cache ? cache.length : 0;
    if (cache) {
      if (cache.batch !== B) throw new Error(`gpt2.forward: cache has ${cache.batch} rows, ids has ${B}; use selectRows to match`);
      if (cache.layers.length !== nLayer) throw new Error(`gpt2.forward: cache has ${cache.layers.length} layers, the model ${nLayer}`);
      if (cache.layers[0].k.isDisposed) throw new Error('gpt2.forward: the cache was disposed');
    }
    if (P + T > nPositions) {
      throw new Error(`gpt2.forward: ${P} cached + ${T} new tokens exceed the context of ${nPositions} positions; cut the prompt first`);
    }
    return { B, T, P };
  }

  forward(
    ids: readonly (readonly number[])[],
    cache: KVCache | null,
    options: { allPositions?: boolean } = {},
  ): { logits: tf.Tensor; cache: KVCache } {
    const w = this.live();
    const { B, T, P } = this.checkInput(ids, cache);
    const newLayers: { k: tf.Tensor4D; v: tf.Tensor4D }[] = [];
    let logits: tf.Tensor;
    try {
      logits = tf.tidy(() => this.run(w, ids, cache, newLayers, { B, T, P }, options.allPositions === true));
    } catch (err) {
      // The kept cache tensors would otherwise leak (an out-of-memory is the realistic cause).
      for (const { k, v } of newLayers) tf.dispose([k, v]);
      throw new Error(`gpt2.forward (B=${B}, T=${T}, P=${P}, backend ${tf.getBackend()}): ${(err as Error).message}`, { cause: err });
    }
    return { logits, cache: makeCache(newLayers) };
  }

  /** The forward pass proper; runs inside tf.tidy and keeps each layer's new cache in `newLayers`. */
  private run(
    w: GPT2Weights,
    ids: readonly (readonly number[])[],
    cache: KVCache | null,
    newLayers: { k: tf.Tensor4D; v: tf.Tensor4D }[],
    { B, T, P }: { B: number; T: number; P: number },
    allPositions: boolean,
  ): tf.Tensor {
    const { nHead: H, nEmbd: C, layerNormEpsilon: eps, vocabSize: V } = this.config;
    const D = C / H;

    // Embeddings: token + position.                                           (B·T, C)
    const flat = tf.tensor1d(ids.flat(), 'int32');
    const positions = tf.tensor1d(Array.from({ length: B * T }, (_, i) => P + (i % T)), 'int32');
    // Tied weights keep only lmHead = wteᵀ (C, V): a token's embedding is its column.
    const tok = w.wte ? tf.gather(w.wte, flat) : tf.transpose(tf.gather(w.lmHead, flat, 1));
    let x: tf.Tensor2D = tf.add(tok, tf.gather(w.wpe, positions));

    w.blocks.forEach((blk, l) => {
      // x = x + attn(ln_1(x))
      const qkv = linear(layerNorm(x, blk.ln1W, blk.ln1B, eps), blk.attnW, blk.attnB); // (B·T, 3C)
      const { y, k, v } = causalSelfAttention(qkv, cache?.layers[l], { B, T, P, H, D });
      newLayers.push({ k: tf.keep(k), v: tf.keep(v) }); //                     (B, H, P+T, D)
      x = tf.add(x, linear(y, blk.attnProjW, blk.attnProjB)); //              (B·T, C)
      // x = x + mlp(ln_2(x))
      const hidden = this.gelu(linear(layerNorm(x, blk.ln2W, blk.ln2B, eps), blk.fcW, blk.fcB)); // (B·T, 4C)
      x = tf.add(x, linear(hidden, blk.fcProjW, blk.fcProjB)); //              (B·T, C)
    });

    if (allPositions) {
      const xf = layerNorm(x, w.lnfW, w.lnfB, eps);
      return tf.reshape(tf.matMul(xf, w.lmHead), [B, T, V]); //                 (B, T, V)
    }
    // Only the last position of each row needs logits: the LM head is the biggest matmul.
    const lastRows = Array.from({ length: B }, (_, b) => b * T + T - 1);
    const last: tf.Tensor2D = T === 1 ? x : tf.gather(x, lastRows); //            (B, C)
    return tf.matMul(layerNorm(last, w.lnfW, w.lnfB, eps), w.lmHead); //        (B, V)
  }

  dispose(): void {
    if (this.weights) disposeWeights(this.weights);
    this.weights = null;
  }
}
