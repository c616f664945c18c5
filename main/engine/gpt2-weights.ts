/**
 * GPT-2's parameters, found by their Hugging Face names and turned into tfjs
 * tensors once, in the orientation the forward pass multiplies without a
 * transpose flag (tfjs-backend-wasm's transposed matmuls are 6-20x slower,
 * see docs PERFORMANCE): HF's Conv1D weights are already [in, out], which
 * suits x @ W; the LM head wants [C, V], the transpose of wte (or of an
 * untied lm_head.weight). With tied weights only that [C, V] copy is kept and
 * embeddings are gathered from its columns: one copy of the biggest matrix
 * instead of two (154 MB less for GPT-2 124M).
 *
 * Names may carry the `transformer.` prefix (GPT2LMHeadModel) or not
 * (GPT2Model, nanoGPT exports). Strict: every tensor must be present with its
 * exact shape, and finite; errors name the tensor, both shapes and the file.
 * Unknown extra tensors (e.g. the `attn.bias` mask buffers of old checkpoints)
 * are ignored.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GPT2Config } from './types';

/** One tensor as the safetensors reader returns it (already converted to float32). */
export interface SourceTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface BlockWeights {
  ln1W: tf.Tensor1D; ln1B: tf.Tensor1D;
  attnW: tf.Tensor2D; attnB: tf.Tensor1D; // (C, 3C), (3C)  — q, k, v side by side
  attnProjW: tf.Tensor2D; attnProjB: tf.Tensor1D; // (C, C), (C)
  ln2W: tf.Tensor1D; ln2B: tf.Tensor1D;
  fcW: tf.Tensor2D; fcB: tf.Tensor1D; // (C, 4C), (4C)
  fcProjW: tf.Tensor2D; fcProjB: tf.Tensor1D; // (4C, C), (C)
}

export interface GPT2Weights {
  /** (V, C) token embeddings; null when tied (they are then the columns of lmHead). */
  wte: tf.Tensor2D | null;
  wpe: tf.Tensor2D; // (nPositions, C)
  blocks: BlockWeights[];
  lnfW: tf.Tensor1D; lnfB: tf.Tensor1D;
  lmHead: tf.Tensor2D; // (C, V): x @ lmHead gives logits without a transposed matmul
  tied: boolean;
}

const BLOCK_PARTS: [keyof BlockWeights, string, (C: number) => number[]][] = [
  ['ln1W', 'ln_1.weight', (C) => [C]],
  ['ln1B', 'ln_1.bias', (C) => [C]],
  ['attnW', 'attn.c_attn.weight', (C) => [C, 3 * C]],
  ['attnB', 'attn.c_attn.bias', (C) => [3 * C]],
  ['attnProjW', 'attn.c_proj.weight', (C) => [C, C]],
  ['attnProjB', 'attn.c_proj.bias', (C) => [C]],
  ['ln2W', 'ln_2.weight', (C) => [C]],
  ['ln2B', 'ln_2.bias', (C) => [C]],
  ['fcW', 'mlp.c_fc.weight', (C) => [C, 4 * C]],
  ['fcB', 'mlp.c_fc.bias', (C) => [4 * C]],
  ['fcProjW', 'mlp.c_proj.weight', (C) => [4 * C, C]],
  ['fcProjB', 'mlp.c_proj.bias', (C) => [C]],
];

/** Every tensor GPT-2 needs, by its name without the `transformer.` prefix, with its shape. */
export function expectedTensors(config: GPT2Config): Map<string, number[]> {
  const { nLayer, nEmbd: C, nPositions, vocabSize: V } = config;
  const out = new Map<string, number[]>([
    ['wte.weight', [V, C]],
    ['wpe.weight', [nPositions, C]],
  ]);
  for (let l = 0; l < nLayer; l++) {
    for (const [, name, shape] of BLOCK_PARTS) out.set(`h.${l}.${name}`, shape(C));
  }
  out.set('ln_f.weight', [C]);
  out.set('ln_f.bias', [C]);
  return out;
}

function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    // x - x is NaN exactly when x is NaN or ±Inf; cheaper than two Number.isFinite calls.
    if (data[i] - data[i] !== 0) return i;
  }
  return -1;
}

/** Row-major (rows, cols) → (cols, rows), in blocks so that both sides stay in cache. */
function transposeData(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  const BLOCK = 64;
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = src[r * cols + c];
    }
  }
  return out;
}

function sameData(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Looks up, checks and uploads every weight. `origin` (usually the file path)
 * prefixes error messages. On error nothing stays allocated. With `consume`,
 * each source tensor is deleted from `source` once uploaded, so that the
 * garbage collector can free the JS copy while the rest uploads: peak memory
 * is then about one copy of the weights instead of two.
 */
export function buildWeights(
  config: GPT2Config,
  source: ReadonlyMap<string, SourceTensor>,
  origin: string,
  options: { consume?: boolean } = {},
): GPT2Weights {
  const find = (name: string): [string, SourceTensor] | undefined => {
    for (const full of [`transformer.${name}`, name]) {
      const t = source.get(full);
      if (t) return [full, t];
    }
    return undefined;
  };
  const check = (name: string, shape: readonly number[], t: SourceTensor, full: string): void => {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${origin}: tensor ${full} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from config.json`);
    }
    if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`${origin}: tensor ${full} holds ${t.data.length} values, its shape [${shape.join(', ')}] needs more`);
    }
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new Error(`${origin}: tensor ${full} holds ${t.data[bad]} at flat index ${bad}; weights must be finite`);
  };

  // Check everything before allocating anything.
  const expected = expectedTensors(config);
  const missing: string[] = [];
  for (const [name, shape] of expected) {
    const hit = find(name);
    if (!hit) missing.push(name);
    else check(name, shape, hit[1], hit[0]);
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, and ${missing.length - 5} more` : '');
    throw new Error(`${origin}: missing tensor${missing.length > 1 ? 's' : ''} ${shown} (with or without the 'transformer.' prefix)`);
  }
  const lmSource = source.get('lm_head.weight');
  const wteSource = find('wte.weight')![1];
  if (lmSource) check('lm_head.weight', [config.vocabSize, config.nEmbd], lmSource, 'lm_head.weight');
  const tied = !lmSource || sameData(lmSource.data, wteSource.data);

  // Upload. Only an out-of-memory can fail here; free what was made if it does.
  const made: tf.Tensor[] = [];
  const up = <R extends tf.Rank>(data: Float32Array, shape: readonly number[]): tf.Tensor<R> => {
    const t = tf.tensor(data, [...shape], 'float32') as unknown as tf.Tensor<R>;
    made.push(t);
    return t;
  };
  const release = (full: string): void => {
    if (options.consume) (source as Map<string, SourceTensor>).delete(full);
  };
  const byName = <R extends tf.Rank>(name: string): tf.Tensor<R> => {
    const [full, t] = find(name)!;
    const out = up<R>(t.data, t.shape);
    release(full);
    return out;
  };
  try {
    const { vocabSize: V, nEmbd: C } = config;
    // (C, V) built on the JS side: a tfjs transpose would hold both copies in the wasm heap at once.
    const lmHead = up<tf.Rank.R2>(transposeData(tied ? wteSource.data : lmSource!.data, V, C), [C, V]);
    if (lmSource) release('lm_head.weight');
    const wte = tied ? null : byName<tf.Rank.R2>('wte.weight');
    if (tied) release(find('wte.weight')![0]);
    const blocks = Array.from({ length: config.nLayer }, (_, l) => {
      const b = {} as Record<keyof BlockWeights, tf.Tensor>;
      for (const [key, name] of BLOCK_PARTS) b[key] = byName(`h.${l}.${name}`);
      return b as unknown as BlockWeights;
    });
    return {
      wte,
      wpe: byName<tf.Rank.R2>('wpe.weight'),
      blocks,
      lnfW: byName<tf.Rank.R1>('ln_f.weight'),
      lnfB: byName<tf.Rank.R1>('ln_f.bias'),
      lmHead,
      tied,
    };
  } catch (err) {
    tf.dispose(made);
    throw new Error(`${origin}: could not load the weights into the ${tf.getBackend()} backend: ${(err as Error).message}`, { cause: err });
  }
}

/** Frees every tensor of the weights. */
export function disposeWeights(w: GPT2Weights): void {
  const all: tf.Tensor[] = [w.wpe, w.lnfW, w.lnfB, w.lmHead];
  if (w.wte) all.push(w.wte);
  for (const b of w.blocks) all.push(...(Object.values(b) as tf.Tensor[]));
  tf.dispose(all);
}

/** Number of parameters (a tied wte counted once, as in GPT-2's "124M"). */
export function parameterCount(w: GPT2Weights): number {
  let n = w.lmHead.size + (w.wte?.size ?? 0) + w.wpe.size + w.lnfW.size + w.lnfB.size;
  for (const b of w.blocks) for (const t of Object.values(b) as tf.Tensor[]) n += t.size;
  return n;
}
