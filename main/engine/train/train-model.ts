/**
 * GPT-2 for training: the forward pass and the hand-written backward (block-
 * grad.ts, head-grad.ts, embedding-grad.ts) over a ParamStore, producing the
 * loss of a micro-batch and adding its gradients into Float32Arrays (the
 * optimizer's side, outside the wasm heap).
 *
 * Memory: the forward keeps the activations of the top `keptBlocks` blocks
 * (fastest); for the blocks below, it keeps only each block's input and
 * recomputes the block's forward just before its backward (activation
 * checkpointing: one extra forward, and the heap holds one such block's
 * activations at a time). memory-estimate.ts picks how many fit. Blocks below the lowest trained one run
 * forward only, with nothing kept: the cheap fine-tune (last N blocks,
 * embeddings frozen) never backpropagates through them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BLOCK_PARAM_NAMES, blockBackward, blockForward, disposeBlockSaved, type BlockParamName, type BlockSaved, type BlockTensors, type BlockContext } from './block-grad';
import { embedBackward, embedLookup } from './embedding-grad';
import { headLoss, type HeadGrad, type HeadTensors } from './head-grad';
import { addTensorInto, floatView } from './grad-readout';
import type { ParamStore } from './params';
import { causalMaskTT } from './train-ops';

export interface TrainSelection {
  /** Keep wte, wpe (and a tied LM head, which is wte) fixed. */
  freezeEmbeddings: boolean;
  /** Train only the last N blocks (plus ln_f); null trains every block. */
  trainLast: number | null;
}

/** A micro-batch: B rows of T + 1 tokens (inputs and, shifted by one, targets). */
export interface MicroBatch {
  tokens: Int32Array;
  B: number;
  T: number;
}

export class TrainModel {
  readonly store: ParamStore;
  readonly selection: TrainSelection;
  /** Blocks, counted from the top, whose forward activations are kept for the backward. */
  keptBlocks: number;
  private readonly masks = new Map<number, tf.Tensor2D>();
  /** Lowest block whose weights train; nLayer when none. */
  readonly firstTrained: number;
  /** Lowest block the backward must cross (0 when the embeddings train). */
  readonly firstBackprop: number;

  constructor(store: ParamStore, selection: TrainSelection, options: { keepActivations?: boolean; keptBlocks?: number } = {}) {
    const L = store.config.nLayer;
    if (selection.trainLast !== null && (!Number.isInteger(selection.trainLast) || selection.trainLast < 0 || selection.trainLast > L)) {
      throw new Error(`train-model: trainLast ${selection.trainLast} must be a whole number from 0 to the model's ${L} blocks`);
    }
    this.store = store;
    this.selection = selection;
    this.keptBlocks = options.keptBlocks ?? (options.keepActivations ? L : 0);
    this.firstTrained = selection.trainLast === null ? 0 : L - selection.trainLast;
    this.firstBackprop = selection.freezeEmbeddings ? this.firstTrained : 0;
  }

  private get headName(): string {
    return this.store.tied ? 'wte.weight' : 'lm_head.weight';
  }

  private get headTrains(): boolean {
    return !this.selection.freezeEmbeddings;
  }

  /** Names of the parameters the optimizer updates, in checkpoint order. */
  trainableNames(): string[] {
    const trained = (name: string): boolean => {
      const m = /^h\.(\d+)\./.exec(name);
      if (m) return Number(m[1]) >= this.firstTrained;
      if (name.startsWith('ln_f.')) return true;
      return !this.selection.freezeEmbeddings; // wte, wpe, lm_head
    };
    return this.store.infos.map((i) => i.name).filter(trained);
  }

  private mask(T: number): tf.Tensor2D {
    let m = this.masks.get(T);
    if (!m) {
      m = tf.keep(causalMaskTT(T));
      this.masks.set(T, m);
    }
    return m;
  }

  private blockTensors(l: number): BlockTensors {
    return {
      get: (n: BlockParamName) => this.store.tensor(`h.${l}.${n}`),
      transposed: (n: BlockParamName) => this.store.transposed(`h.${l}.${n}`),
    };
  }

  private context(B: number, T: number): BlockContext {
    const c = this.store.config;
    return { shape: { B, T, H: c.nHead, D: c.nEmbd / c.nHead }, eps: c.layerNormEpsilon, gelu: c.activation, mask: this.mask(T) };
  }

  private headTensors(): HeadTensors {
    return {
      lnfW: this.store.tensor('ln_f.weight') as tf.Tensor1D,
      lnfB: this.store.tensor('ln_f.bias') as tf.Tensor1D,
      // Only Wᵀ: the (V, C) original would be a second 154 MB copy in the heap (head-grad.ts).
      headCV: this.store.transposed(this.headName),
      eps: this.store.config.layerNormEpsilon,
    };
  }

  private split(batch: MicroBatch): { ids: Int32Array; targets: Int32Array } {
    const { tokens, B, T } = batch;
    if (tokens.length !== B * (T + 1)) throw new Error(`train-model: batch holds ${tokens.length} tokens, expected ${B} × ${T + 1}`);
    if (T > this.store.config.nPositions) throw new Error(`train-model: block of ${T} tokens exceeds the model's ${this.store.config.nPositions} positions`);
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const V = this.store.config.vocabSize;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const id = tokens[b * (T + 1) + t];
        if (id < 0 || id >= V) throw new Error(`train-model: token ${id} at row ${b}, position ${t} is outside the vocabulary of ${V}`);
        ids[b * T + t] = id;
        targets[b * T + t] = tokens[b * (T + 1) + t + 1];
      }
    }
    return { ids, targets };
  }

  private embed(ids: Int32Array, T: number): tf.Tensor2D {
    const C = this.store.config.nEmbd;
    return tf.tensor2d(embedLookup(ids, T, this.store.data.get('wte.weight')!, this.store.data.get('wpe.weight')!, C), [ids.length, C]);
  }

  /** Σ −log p over the batch's B·T targets (validation; no gradients). */
  evalNll(batch: MicroBatch): number {
    const { ids, targets } = this.split(batch);
    const ctx = this.context(batch.B, batch.T);
    let x = this.embed(ids, batch.T);
    try {
      for (let l = 0; l < this.store.config.nLayer; l++) {
        const { out } = blockForward(this.blockTensors(l), x, ctx, false);
        x.dispose();
        x = out;
      }
      return headLoss(x, targets, this.headTensors(), { grad: false, scale: 0, wantLnf: false }).nllSum;
    } finally {
      x.dispose();
    }
  }

  /**
   * Forward and backward of one micro-batch. Adds d(loss · scale)/dθ into
   * `grads` (one Float32Array per trainable name) and returns Σ −log p.
   * `scale` is 1 / (target tokens in the whole optimizer step).
   */
  accumulateGradients(batch: MicroBatch, grads: Map<string, Float32Array>, scale: number): number {
    const { ids, targets } = this.split(batch);
    const { B, T } = batch;
    const L = this.store.config.nLayer;
    const ctx = this.context(B, T);
    const inputs: (tf.Tensor2D | undefined)[] = new Array(L);
    const saved: (BlockSaved | undefined)[] = new Array(L);
    const addInto = (name: string, t: tf.Tensor): void => {
      const acc = grads.get(name);
      // Read in place (grad-readout.ts): a dataSync copy per tensor left up to several 154 MB head chunks as garbage.
      if (acc) addTensorInto(acc, t, `gradient of ${name}`);
    };
    const add = (name: string, t: tf.Tensor | undefined): void => {
      if (!t) return;
      addInto(name, t);
      t.dispose();
    };
    let x: tf.Tensor2D | undefined = this.embed(ids, T);
    let dx: tf.Tensor2D | undefined;
    try {
      for (let l = 0; l < L; l++) {
        const crosses = l >= this.firstBackprop;
        const keep = crosses && l >= L - this.keptBlocks;
        if (crosses && !keep) inputs[l] = tf.clone(x);
        const r = blockForward(this.blockTensors(l), x, ctx, keep);
        saved[l] = r.saved;
        x.dispose();
        x = r.out;
      }
      const onHeadGrad = this.headTrains
        ? (g: HeadGrad) => {
            addInto(this.headName, g.dense);
            const acc = grads.get(this.headName);
            // The same scatter-add as the embedding's gradient: row rows[i] += rowUpdates[i].
            if (acc) embedBackward(g.rows, 1, floatView(g.rowUpdates, `row updates of ${this.headName}`), this.store.config.nEmbd, acc, null);
          }
        : undefined;
      const head = headLoss(x, targets, this.headTensors(), { grad: true, scale, wantLnf: true, onHeadGrad });
      x.dispose();
      x = undefined;
      add('ln_f.weight', head.dLnfW);
      add('ln_f.bias', head.dLnfB);
      dx = head.dx;
      for (let l = L - 1; l >= this.firstBackprop; l--) {
        const p = this.blockTensors(l);
        let s = saved[l];
        if (!s) {
          const again = blockForward(p, inputs[l]!, ctx, true);
          again.out.dispose(); // only what the backward needs
          s = again.saved!;
        }
        const wantDx = l > this.firstBackprop || !this.selection.freezeEmbeddings;
        const r = blockBackward(p, s, dx!, ctx, { params: l >= this.firstTrained, dx: wantDx });
        disposeBlockSaved(s);
        saved[l] = undefined;
        inputs[l]?.dispose();
        inputs[l] = undefined;
        for (const [n, g] of r.grads) add(`h.${l}.${n}`, g);
        // A trained block's Wᵀ changes at every update: keeping it would only hold heap
        // (340 MB for GPT-2 124M) until the next micro-batch rebuilds it.
        if (l >= this.firstTrained) for (const n of BLOCK_PARAM_NAMES) this.store.dropTransposed(`h.${l}.${n}`);
        dx!.dispose();
        dx = r.dx;
      }
      if (dx && !this.selection.freezeEmbeddings) {
        const C = this.store.config.nEmbd;
        embedBackward(ids, T, floatView(dx, 'gradient of the embeddings'), C, grads.get('wte.weight') ?? null, grads.get('wpe.weight') ?? null);
      }
      return head.nllSum;
    } finally {
      x?.dispose();
      dx?.dispose();
      for (const t of inputs) t?.dispose();
      for (const s of saved) if (s) disposeBlockSaved(s);
    }
  }

  dispose(): void {
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }
}

