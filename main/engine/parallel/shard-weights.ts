/**
 * Splits GPT-2's weights between two ranks, Megatron-style (Shoeybi et al. 2019):
 *
 *   attention  c_attn columns by head (each rank's q | k | v for its heads),
 *              c_proj rows by head;
 *   MLP        c_fc columns and mlp c_proj rows by hidden unit;
 *   LM head    columns by vocabulary range, and the token embedding likewise
 *              (a rank looks up only the ids it owns; the all-reduce adds the
 *              rows up, exactly, since the other rank contributes zeros).
 *
 * LayerNorms are small and run on both ranks; the projection biases and the
 * position embedding belong to rank 0 only, so that the all-reduce adds them
 * once. Everything here is plain Float32Arrays (JS side): the slices travel to
 * the rank worker as transferable buffers, and each rank uploads its own.
 */
import { expectedTensors, type SourceTensor } from '../gpt2-weights';
import type { GPT2Config } from '../types';

export type Rank = 0 | 1;

/** The half-open ranges a rank owns. */
export interface ShardSpec {
  rank: Rank;
  heads: [number, number];
  hidden: [number, number];
  vocab: [number, number];
}

/** Rank 0 takes the first half of heads, hidden units and vocabulary (rounded down), rank 1 the rest. */
export function shardSpec(config: GPT2Config, rank: Rank): ShardSpec {
  const { nHead: H, nEmbd: C, vocabSize: V } = config;
  if (H < 2) throw new Error(`parallel: a model with ${H} attention head cannot be split between two ranks`);
  const cut = (n: number): [number, number] => (rank === 0 ? [0, Math.floor(n / 2)] : [Math.floor(n / 2), n]);
  return { rank, heads: cut(H), hidden: cut(4 * C), vocab: cut(V) };
}

/** One rank's weights as flat arrays, keyed like gpt2-weights.ts's BlockWeights (biases of rank 1 absent). */
export interface ShardData {
  spec: ShardSpec;
  /** Whether `emb` is the (C, Vr) LM head slice (tied weights) rather than a (Vr, C) wte slice. */
  tied: boolean;
  tensors: Map<string, SourceTensor>;
}

function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) return i;
  return -1;
}

/** Columns [from, to) of each range of a row-major (rows, cols) matrix, side by side. */
function columns(src: Float32Array, rows: number, cols: number, ranges: readonly [number, number][]): Float32Array {
  const width = ranges.reduce((w, [a, b]) => w + b - a, 0);
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let at = r * width;
    for (const [a, b] of ranges) {
      out.set(src.subarray(r * cols + a, r * cols + b), at);
      at += b - a;
    }
  }
  return out;
}

/** Rows [from, to) of a (rows, cols) matrix, transposed to (cols, to - from), in cache-sized blocks. */
function rowsTransposed(src: Float32Array, cols: number, from: number, to: number): Float32Array {
  const n = to - from;
  const out = new Float32Array(n * cols);
  const BLOCK = 64;
  for (let r0 = 0; r0 < n; r0 += BLOCK) {
    const r1 = Math.min(n, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * n + r] = src[(from + r) * cols + c];
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
 * Checks the source (every tensor present with its shape, finite) and cuts
 * both ranks' shards from it. Errors name the tensor and `origin`.
 */
export function splitWeights(config: GPT2Config, source: ReadonlyMap<string, SourceTensor>, origin: string): [ShardData, ShardData] {
  const find = (name: string): SourceTensor => {
    const t = source.get(`transformer.${name}`) ?? source.get(name);
    if (!t) throw new Error(`${origin}: missing tensor ${name} (with or without the 'transformer.' prefix)`);
    return t;
  };
  for (const [name, shape] of expectedTensors(config)) {
    const t = find(name);
    if (t.shape.join() !== shape.join() || t.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`${origin}: tensor ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from config.json`);
    }
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new Error(`${origin}: tensor ${name} holds ${t.data[bad]} at flat index ${bad}; weights must be finite`);
  }
  const lm = source.get('lm_head.weight');
  const wte = find('wte.weight');
  if (lm && lm.shape.join() !== wte.shape.join()) {
    throw new Error(`${origin}: tensor lm_head.weight has shape [${lm.shape.join(', ')}], expected [${wte.shape.join(', ')}]`);
  }
  const tied = !lm || sameData(lm.data, wte.data);
  return [cut(config, find, 0, tied, lm), cut(config, find, 1, tied, lm)];
}

function cut(
  config: GPT2Config,
  find: (name: string) => SourceTensor,
  rank: Rank,
  tied: boolean,
  lm: SourceTensor | undefined,
): ShardData {
  const spec = shardSpec(config, rank);
  const { nEmbd: C, nHead: H } = config;
  const D = C / H;
  const [h0, h1] = spec.heads;
  const [f0, f1] = spec.hidden;
  const [v0, v1] = spec.vocab;
  const out = new Map<string, SourceTensor>();
  const put = (name: string, shape: number[], data: Float32Array): void => void out.set(name, { shape, data });
  const whole = (name: string): Float32Array => find(name).data.slice();

  const wte = find('wte.weight').data;
  put('lmHead', [C, v1 - v0], rowsTransposed(tied ? wte : lm!.data, C, v0, v1));
  if (!tied) put('wte', [v1 - v0, C], wte.slice(v0 * C, v1 * C));
  if (rank === 0) put('wpe', find('wpe.weight').shape.slice(), whole('wpe.weight'));
  put('lnfW', [C], whole('ln_f.weight'));
  put('lnfB', [C], whole('ln_f.bias'));

  const qkv: [number, number][] = [0, 1, 2].map((part) => [part * C + h0 * D, part * C + h1 * D]);
  const width = (h1 - h0) * D;
  for (let l = 0; l < config.nLayer; l++) {
    const p = `h.${l}.`;
    put(`${l}.ln1W`, [C], whole(`${p}ln_1.weight`));
    put(`${l}.ln1B`, [C], whole(`${p}ln_1.bias`));
    put(`${l}.ln2W`, [C], whole(`${p}ln_2.weight`));
    put(`${l}.ln2B`, [C], whole(`${p}ln_2.bias`));
    put(`${l}.attnW`, [C, 3 * width], columns(find(`${p}attn.c_attn.weight`).data, C, 3 * C, qkv));
    put(`${l}.attnB`, [3 * width], columns(find(`${p}attn.c_attn.bias`).data, 1, 3 * C, qkv));
    put(`${l}.attnProjW`, [width, C], find(`${p}attn.c_proj.weight`).data.slice(h0 * D * C, h1 * D * C));
    put(`${l}.fcW`, [C, f1 - f0], columns(find(`${p}mlp.c_fc.weight`).data, C, 4 * C, [[f0, f1]]));
    put(`${l}.fcB`, [f1 - f0], find(`${p}mlp.c_fc.bias`).data.slice(f0, f1));
    put(`${l}.fcProjW`, [f1 - f0, C], find(`${p}mlp.c_proj.weight`).data.slice(f0 * C, f1 * C));
    if (rank === 0) {
      put(`${l}.attnProjB`, [C], whole(`${p}attn.c_proj.bias`));
      put(`${l}.fcProjB`, [C], whole(`${p}mlp.c_proj.bias`));
    }
  }
  return { spec, tied, tensors: out };
}

/** The ArrayBuffers of a shard, to transfer it to the rank worker without a copy. */
export function shardBuffers(shard: ShardData): ArrayBuffer[] {
  return [...shard.tensors.values()].map((t) => t.data.buffer as ArrayBuffer);
}
