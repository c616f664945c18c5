/**
 * The trainable model's parameters: one Float32Array per Hugging Face tensor
 * (the master copy that AdamW updates and checkpoints write), and tfjs
 * tensors uploaded from it on demand, with the transposed copies the backward
 * multiplies by. After an update, `changed(name)` drops the stale tensors; they
 * are uploaded again at their next use. Frozen parameters are uploaded once.
 *
 * Names are HF's without the `transformer.` prefix ('wte.weight',
 * 'h.0.attn.c_attn.weight', ..., 'lm_head.weight' for untied heads).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BlockWeights, GPT2Weights, SourceTensor } from '../gpt2-weights';
import type { ModelConfig } from '../model-config';
import { BLOCK_PARAM_NAMES } from './block-grad';

export interface ParamInfo {
  name: string;
  shape: number[];
}

/** Every parameter of a GPT-2 config, in checkpoint order. */
export function parameterList(config: ModelConfig, tied: boolean): ParamInfo[] {
  const { nLayer, nEmbd: C, nPositions, vocabSize: V } = config;
  const shapes: Record<string, number[]> = {
    'ln_1.weight': [C], 'ln_1.bias': [C],
    'attn.c_attn.weight': [C, 3 * C], 'attn.c_attn.bias': [3 * C],
    'attn.c_proj.weight': [C, C], 'attn.c_proj.bias': [C],
    'ln_2.weight': [C], 'ln_2.bias': [C],
    'mlp.c_fc.weight': [C, 4 * C], 'mlp.c_fc.bias': [4 * C],
    'mlp.c_proj.weight': [4 * C, C], 'mlp.c_proj.bias': [C],
  };
  const out: ParamInfo[] = [
    { name: 'wte.weight', shape: [V, C] },
    { name: 'wpe.weight', shape: [nPositions, C] },
  ];
  for (let l = 0; l < nLayer; l++) for (const n of BLOCK_PARAM_NAMES) out.push({ name: `h.${l}.${n}`, shape: shapes[n] });
  out.push({ name: 'ln_f.weight', shape: [C] }, { name: 'ln_f.bias', shape: [C] });
  if (!tied) out.push({ name: 'lm_head.weight', shape: [V, C] });
  return out;
}

/** AdamW's weight decay applies to matrices only: not to biases or LayerNorm gains (GPT-2 / nanoGPT practice). */
export function decays(info: ParamInfo): boolean {
  return info.shape.length >= 2;
}

/** Whether a parameter's data lives in a SharedArrayBuffer (visible to data-parallel ranks). */
export function isShared(d: Float32Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && d.buffer instanceof SharedArrayBuffer;
}

export class ParamStore {
  readonly config: ModelConfig;
  readonly tied: boolean;
  readonly infos: ParamInfo[];
  readonly data = new Map<string, Float32Array>();
  private readonly tensors = new Map<string, tf.Tensor>();
  private readonly transposedTensors = new Map<string, tf.Tensor2D>();

  constructor(config: ModelConfig, tied: boolean, data: Map<string, Float32Array>) {
    this.config = config;
    this.tied = tied;
    this.infos = parameterList(config, tied);
    for (const info of this.infos) {
      const d = data.get(info.name);
      const size = info.shape.reduce((a, b) => a * b, 1);
      if (!d) throw new Error(`params: tensor ${info.name} is missing`);
      if (d.length !== size) throw new Error(`params: tensor ${info.name} holds ${d.length} values, shape [${info.shape.join(', ')}] needs ${size}`);
      this.data.set(info.name, d);
    }
  }

  /**
   * From a safetensors map (names with or without `transformer.`); copies the
   * data so that the caller's map stays untouched. Untied when lm_head.weight
   * is present and differs from wte.
   */
  static fromSource(config: ModelConfig, source: ReadonlyMap<string, SourceTensor>, origin: string): ParamStore {
    const find = (name: string): SourceTensor | undefined => source.get(`transformer.${name}`) ?? source.get(name);
    const lm = source.get('lm_head.weight');
    const wte = find('wte.weight');
    const tied = !lm || (wte !== undefined && lm.data.every((v, i) => v === wte.data[i]));
    const data = new Map<string, Float32Array>();
    for (const info of parameterList(config, tied)) {
      const t = find(info.name);
      if (!t) throw new Error(`${origin}: tensor ${info.name} is missing`);
      if (t.shape.join(',') !== info.shape.join(',')) {
        throw new Error(`${origin}: tensor ${info.name} has shape [${t.shape.join(', ')}], expected [${info.shape.join(', ')}]`);
      }
      data.set(info.name, Float32Array.from(t.data));
    }
    return new ParamStore(config, tied, data);
  }

  /**
   * Moves every parameter's data into its own SharedArrayBuffer (once; a
   * no-op for data already there), so that data-parallel ranks in other
   * threads read the same master copy that AdamW updates in place. Call it
   * before handing out `data` arrays: the arrays are replaced. Drops the
   * uploaded tensors (their contents are unchanged).
   */
  shareMemory(): void {
    for (const [name, d] of this.data) {
      if (isShared(d)) continue;
      const shared = new Float32Array(new SharedArrayBuffer(d.byteLength));
      shared.set(d);
      this.data.set(name, shared);
    }
    this.releaseTensors();
  }

  shapeOf(name: string): number[] {
    const info = this.infos.find((i) => i.name === name);
    if (!info) throw new Error(`params: no parameter ${name}`);
    return info.shape;
  }

  /** The parameter as a tensor (uploaded at first use after a change). */
  tensor(name: string): tf.Tensor {
    let t = this.tensors.get(name);
    if (!t) {
      const d = this.data.get(name);
      if (!d) throw new Error(`params: no parameter ${name}`);
      // keep: the first use is often inside a caller's tf.tidy, which must not free the cache.
      t = tf.keep(tf.tensor(d, this.shapeOf(name), 'float32'));
      this.tensors.set(name, t);
    }
    return t;
  }

  /**
   * Wᵀ of a 2-D parameter, transposed by the backend from W (~10x faster than
   * a JS loop over wte's 38 M values). W is used as uploaded when cached (a
   * block's W serves its forward too); otherwise it is uploaded for the
   * transpose and freed: training reads the LM head only as (C, V), so
   * keeping wte's (V, C) would hold 154 MB of heap for GPT-2 124M.
   */
  transposed(name: string): tf.Tensor2D {
    let t = this.transposedTensors.get(name);
    if (!t) {
      const cached = this.tensors.get(name);
      const d = this.data.get(name);
      if (!cached && !d) throw new Error(`params: no parameter ${name}`);
      const w = cached ?? tf.tensor(d!, this.shapeOf(name), 'float32');
      t = tf.keep(tf.tidy(() => tf.transpose(w) as tf.Tensor2D));
      if (!cached) w.dispose();
      this.transposedTensors.set(name, t);
    }
    return t;
  }

  /** Frees the cached Wᵀ only (it is rebuilt at its next use). */
  dropTransposed(name: string): void {
    this.transposedTensors.get(name)?.dispose();
    this.transposedTensors.delete(name);
  }

  /** The master copy changed: drop its tensors. */
  changed(name: string): void {
    this.tensors.get(name)?.dispose();
    this.tensors.delete(name);
    this.transposedTensors.get(name)?.dispose();
    this.transposedTensors.delete(name);
  }

  /** Frees every tensor (the JS data stays). */
  releaseTensors(): void {
    for (const name of [...this.tensors.keys(), ...this.transposedTensors.keys()]) this.changed(name);
  }

  /** Tensors for a safetensors file, HF GPT2LMHeadModel names (`transformer.` prefix; a tied head is not repeated). */
  toHfTensors(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const info of this.infos) {
      const key = info.name === 'lm_head.weight' ? info.name : `transformer.${info.name}`;
      out.set(key, { shape: info.shape, data: this.data.get(info.name)! });
    }
    return out;
  }

  /**
   * The inference model's weights made of this store's own tensors (no second
   * copy in the heap: for samples during training). Do not dispose the GPT2
   * built on them; the store owns them and drops them on the next update.
   */
  inferenceWeights(): GPT2Weights {
    const parts: [keyof BlockWeights, string][] = [
      ['ln1W', 'ln_1.weight'], ['ln1B', 'ln_1.bias'], ['attnW', 'attn.c_attn.weight'], ['attnB', 'attn.c_attn.bias'],
      ['attnProjW', 'attn.c_proj.weight'], ['attnProjB', 'attn.c_proj.bias'], ['ln2W', 'ln_2.weight'], ['ln2B', 'ln_2.bias'],
      ['fcW', 'mlp.c_fc.weight'], ['fcB', 'mlp.c_fc.bias'], ['fcProjW', 'mlp.c_proj.weight'], ['fcProjB', 'mlp.c_proj.bias'],
    ];
    const blocks = Array.from({ length: this.config.nLayer }, (_, l) => {
      const b = {} as Record<keyof BlockWeights, tf.Tensor>;
      for (const [key, name] of parts) b[key] = this.tensor(`h.${l}.${name}`);
      return b as unknown as BlockWeights;
    });
    return {
      wte: this.tied ? null : (this.tensor('wte.weight') as tf.Tensor2D),
      wpe: this.tensor('wpe.weight') as tf.Tensor2D,
      blocks,
      lnfW: this.tensor('ln_f.weight') as tf.Tensor1D,
      lnfB: this.tensor('ln_f.bias') as tf.Tensor1D,
      lmHead: this.transposed(this.tied ? 'wte.weight' : 'lm_head.weight'),
      tied: this.tied,
    };
  }

  /** As SourceTensors for GPT2.fromTensors (sampling with the inference model). */
  toSource(): Map<string, SourceTensor> {
    const out = new Map<string, SourceTensor>();
    for (const info of this.infos) out.set(info.name, { shape: info.shape, data: this.data.get(info.name)! });
    return out;
  }
}
