/**
 * One rank's half of GPT-2's forward pass (see shard-weights.ts for the split).
 * Both ranks run this same code in their own thread, each on its own tfjs and
 * wasm heap; they meet at `Collective.allReduce` after the embedding and after
 * every attention and MLP projection, so that both hold the same residual
 * stream x, and at `Collective.gatherLogits` at the end. Rank 0's partial
 * sums include x itself and the biases; rank 1's are bare matmuls.
 *
 * The math is gpt2.ts's, on fewer heads and hidden units, with LayerNorm as
 * one kernel for decode-sized inputs (fused-layer-norm.ts): the logits agree
 * with the one-thread model up to float32 rounding (tests: 1e-5 relative).
 */
import * as tf from '@tensorflow/tfjs-core';
import { causalSelfAttention } from '../attention';
import type { GPT2Config } from '../types';
import type { ShardData, ShardSpec } from './shard-weights';
import { geluExact, geluNew, layerNorm, linear } from '../ops';

/** Where the ranks meet; implemented over an Exchange by rank-worker.ts and parallel-model.ts. */
export interface Collective {
  /** p0 + p1 (the same on both ranks), as a new tensor of x's shape. Called inside tf.tidy. */
  allReduce(x: tf.Tensor2D): tf.Tensor2D;
  /** Rank 0: its logits columns followed by rank 1's, (N, V); rank 1: sends its columns, returns null. */
  gatherLogits(local: tf.Tensor2D, vocabSize: number): tf.Tensor2D | null;
}

export type ShardLayer = { k: tf.Tensor4D; v: tf.Tensor4D };

interface Block {
  ln1W: tf.Tensor1D; ln1B: tf.Tensor1D;
  attnW: tf.Tensor2D; attnB: tf.Tensor1D;
  attnProjW: tf.Tensor2D; attnProjB?: tf.Tensor1D;
  ln2W: tf.Tensor1D; ln2B: tf.Tensor1D;
  fcW: tf.Tensor2D; fcB: tf.Tensor1D;
  fcProjW: tf.Tensor2D; fcProjB?: tf.Tensor1D;
}

const BLOCK_KEYS = ['ln1W', 'ln1B', 'attnW', 'attnB', 'attnProjW', 'attnProjB', 'ln2W', 'ln2B', 'fcW', 'fcB', 'fcProjW', 'fcProjB'] as const;

export class Shard {
  readonly spec: ShardSpec;
  private readonly tied: boolean;
  private readonly gelu: (x: tf.Tensor2D) => tf.Tensor2D;
  private tensors: tf.Tensor[] = [];
  private readonly lmHead: tf.Tensor2D; // (C, Vr)
  private readonly wte: tf.Tensor2D | null; // (Vr, C) when untied
  private readonly wpe: tf.Tensor2D | null; // rank 0 only
  private readonly lnfW: tf.Tensor1D;
  private readonly lnfB: tf.Tensor1D;
  private readonly blocks: Block[];

  /** Uploads the shard's arrays into this thread's tfjs backend (consumes `data.tensors`). */
  constructor(
    readonly config: GPT2Config & { activation?: string },
    data: ShardData,
  ) {
    this.spec = data.spec;
    this.tied = data.tied;
    this.gelu = config.activation === 'gelu' ? geluExact : geluNew;
    const source = data.tensors as Map<string, { shape: readonly number[]; data: Float32Array }>;
    const up = <T extends tf.Tensor>(name: string, optional = false): T => {
      const t = source.get(name);
      if (!t) {
        if (optional) return null as unknown as T;
        throw new Error(`parallel: rank ${data.spec.rank} shard lacks ${name}`);
      }
      const out = tf.tensor(t.data, [...t.shape], 'float32');
      this.tensors.push(out);
      source.delete(name); // lets the JS copy go while the rest uploads
      return out as T;
    };
    try {
      this.lmHead = up<tf.Tensor2D>('lmHead');
      this.wte = up<tf.Tensor2D>('wte', true);
      this.wpe = up<tf.Tensor2D>('wpe', true);
      this.lnfW = up<tf.Tensor1D>('lnfW');
      this.lnfB = up<tf.Tensor1D>('lnfB');
      this.blocks = Array.from({ length: config.nLayer }, (_, l) => {
        const b: Record<string, tf.Tensor | undefined> = {};
        for (const key of BLOCK_KEYS) b[key] = up(`${l}.${key}`, key === 'attnProjB' || key === 'fcProjB') ?? undefined;
        return b as unknown as Block;
      });
    } catch (err) {
      this.dispose();
      throw new Error(`parallel: rank ${data.spec.rank} could not load its shard into ${tf.getBackend()}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Runs `ids` (B rows of T) after `past` (this rank's heads, P positions).
   * Returns the logits (rank 0: (B, V), or (B, T, V) with allPositions; rank 1:
   * null) and this rank's new per-layer cache (kept, owned by the caller).
   */
  forward(
    ids: readonly (readonly number[])[],
    past: readonly ShardLayer[] | null,
    comm: Collective,
    allPositions: boolean,
  ): { logits: tf.Tensor | null; layers: ShardLayer[] } {
    if (this.tensors.length === 0) throw new Error(`parallel: rank ${this.spec.rank} shard was disposed`);
    const layers: ShardLayer[] = [];
    try {
      // run returns undefined on rank 1 (tidy's containers have no null).
      const logits = tf.tidy(() => this.run(ids, past, comm, layers, allPositions));
      return { logits: logits ?? null, layers };
    } catch (err) {
      for (const { k, v } of layers) tf.dispose([k, v]);
      throw err;
    }
  }

  private run(
    ids: readonly (readonly number[])[],
    past: readonly ShardLayer[] | null,
    comm: Collective,
    layers: ShardLayer[],
    allPositions: boolean,
  ): tf.Tensor | undefined {
    const { nHead, nEmbd: C, layerNormEpsilon: eps, vocabSize: V } = this.config;
    const D = C / nHead;
    const H = this.spec.heads[1] - this.spec.heads[0];
    const [v0, v1] = this.spec.vocab;
    const B = ids.length;
    const T = ids[0].length;
    const P = past ? past[0].k.shape[2] : 0;

    // Token embeddings of the ids this rank owns, zeros elsewhere; rank 0 adds the positions. (B·T, C)
    const flat = ids.flat();
    const local = tf.tensor1d(flat.map((id) => (id >= v0 && id < v1 ? id - v0 : 0)), 'int32');
    const owned = tf.tensor2d(flat.map((id) => (id >= v0 && id < v1 ? 1 : 0)), [flat.length, 1]);
    const rows: tf.Tensor2D = this.wte ? tf.gather(this.wte, local) : tf.transpose(tf.gather(this.lmHead, local, 1));
    let part: tf.Tensor2D = tf.mul(rows, owned);
    if (this.wpe) {
      const positions = tf.tensor1d(Array.from({ length: B * T }, (_, i) => P + (i % T)), 'int32');
      part = tf.add(part, tf.gather(this.wpe, positions));
    }
    let x = comm.allReduce(part);

    this.blocks.forEach((blk, l) => {
      const qkv = linear(layerNorm(x, blk.ln1W, blk.ln1B, eps), blk.attnW, blk.attnB); // (B·T, 3·H·D)
      const { y, k, v } = causalSelfAttention(qkv, past?.[l], { B, T, P, H, D });
      layers.push({ k: tf.keep(k), v: tf.keep(v) }); //                                (B, H, P+T, D)
      const attn = linear(y, blk.attnProjW, blk.attnProjB); //                          (B·T, C)
      x = comm.allReduce(blk.attnProjB ? tf.add(x, attn) : attn);
      const hidden = this.gelu(linear(layerNorm(x, blk.ln2W, blk.ln2B, eps), blk.fcW, blk.fcB)); // (B·T, Fr)
      const mlp = linear(hidden, blk.fcProjW, blk.fcProjB);
      x = comm.allReduce(blk.fcProjB ? tf.add(x, mlp) : mlp);
    });

    const last: tf.Tensor2D = allPositions || T === 1 ? x : tf.gather(x, Array.from({ length: B }, (_, b) => b * T + T - 1));
    const mine: tf.Tensor2D = tf.matMul(layerNorm(last, this.lnfW, this.lnfB, eps), this.lmHead); //   (N, Vr)
    const all = comm.gatherLogits(mine, V);
    if (!all) return undefined;
    if (all.shape[1] !== V || v1 - v0 !== mine.shape[1]) throw new Error(`parallel: gathered logits are ${all.shape}, expected (…, ${V})`);
    return allPositions ? tf.reshape(all, [B, T, V]) : all;
  }

  /** Whether tied embeddings are looked up in the LM head's columns. */
  get tiedLmHead(): boolean {
    return this.tied;
  }

  dispose(): void {
    tf.dispose(this.tensors);
    this.tensors = [];
  }
}
