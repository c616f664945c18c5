/**
 * Memory planning before a run starts: what the wasm heap (or the native
 * backend's memory) and the JS heap will hold for a model, micro-batch,
 * block and selection, the process's peak RSS, whether that fits, and, when
 * it does not, the largest micro-batch and block that would. Figures are
 * estimates from tensor sizes (fp32), checked against the peaks measured by
 * bench/train.mjs (its memoryAtPeak); they err on the high side.
 */
import type { ModelConfig } from '../model-config';
import { estimateParameters } from '../model-config';
import { headChunkRows } from './head-grad';

/** tfjs-backend-wasm grows its heap to at most 2 GiB; keep a margin for fragmentation. */
export const WASM_HEAP_BUDGET_BYTES = 1.85 * 2 ** 30;

/** Node, V8 and the backend's code and buffers besides tensors and the optimizer's arrays (measured RSS minus both). */
export const RUNTIME_BYTES = 100 * 2 ** 20;

export interface MemoryPlanInput {
  config: ModelConfig;
  microBatch: number;
  block: number;
  /** Blocks whose weights train (nLayer for all). */
  trainedBlocks: number;
  freezeEmbeddings: boolean;
  keepActivations: boolean;
  /** Keep the activations of only this many of the top blocks (overrides keepActivations). */
  keptBlocks?: number;
}

export interface MemoryEstimate {
  /** Bytes in the tensor backend (the wasm heap on wasm). */
  deviceBytes: number;
  /** Bytes of JS typed arrays: weights' master copy, gradients, AdamW moments. */
  hostBytes: number;
  /** The process's peak resident memory: both of the above and the runtime. */
  peakRssBytes: number;
  trainableParameters: number;
}

const F32 = 4;

/** Blocks the backward crosses: all of them when the embeddings train, else only the trained ones. */
function backpropBlocks(p: Omit<MemoryPlanInput, 'keepActivations'>): number {
  return p.freezeEmbeddings ? p.trainedBlocks : p.config.nLayer;
}

/**
 * tfjs-backend-wasm multiplies through XNNPACK, which packs the right-hand operand of every
 * product into a copy it caches until that tensor is disposed: a weight used on the right
 * (x · W) costs twice its size for as long as it lives.
 */
const PACKED = 2;

/**
 * Peak heap bytes: the weights, the activations kept across the pass, and the larger of the
 * transient peaks (they never overlap): the head's chunk, one block's backward, one forward-only
 * block.
 */
function liveTensorBytes(p: MemoryPlanInput): number {
  const { nEmbd: C, nLayer: L, nHead: H, vocabSize: V } = p.config;
  const N = p.microBatch * p.block;
  const crossed = backpropBlocks(p);
  const blockMatrices = 12 * C * C * F32;
  const head = V * C * F32;
  // Block matrices with their packed copies, biases and gains; the head as (C, V) with its packed
  // copy (ParamStore uploads the (V, C) W only for the transpose: see headChunk). Embeddings are looked up in JS.
  const weights = L * (PACKED * blockMatrices + 13 * C * F32) + 2 * C * F32 + head * PACKED;
  // Trained blocks build their Wᵀ (packed too) for their backward and drop it after; frozen ones crossed by the backward keep it.
  const transposed = (crossed - p.trainedBlocks + (crossed > 0 ? 1 : 0)) * PACKED * blockMatrices;
  // One block's saved activations: ~22 (N, C) tensors plus the (B·H, T, T) attention weights.
  const blockActs = (22 * N * C + p.microBatch * H * p.block * p.block) * F32;
  const kept = Math.min(crossed, p.keptBlocks ?? (p.keepActivations ? crossed : 0));
  const recomputed = crossed - kept;
  // Recomputed blocks keep their input; one at a time holds its activations again for its backward.
  const activations = kept * blockActs + recomputed * N * C * F32 + (recomputed > 0 ? blockActs : 0);
  // A block's backward: ~2x its activations of temporaries, the packed dy of each weight gradient (~9 (N, C)), its gradients.
  const blockBackward = crossed > 0 ? 2 * blockActs + 9 * N * C * F32 + blockMatrices : 0;
  // The head's chunk: logits, softmax, pᵀ and its packed copy (n, V) each, and the (V, C) gradient of the head.
  // (A trained head's (V, C) upload for its transpose, once a step just before the chunks, is freed before them
  // and smaller: it never sets the peak.)
  const rows = headChunkRows(V, N);
  const headChunk = 4 * rows * V * F32 + (p.freezeEmbeddings ? 0 : head);
  // Blocks below the backprop run forward only, one at a time, keeping nothing.
  const forwardOnly = crossed < L ? blockActs : 0;
  return weights + transposed + activations + Math.max(blockBackward, headChunk, forwardOnly);
}

/**
 * The heap holding `live` bytes at its peak: the wasm heap grows by 20 % of its size at a time (at
 * most 96 MiB past the request) and never shrinks; 10 % more for fragmentation (fitted to the
 * full fine-tune's measured heap, the tightest case).
 */
function heapBytes(live: number): number {
  return Math.round(live * 1.1 + Math.min(0.2 * live, 96 * 2 ** 20));
}

export function estimateMemory(p: MemoryPlanInput): MemoryEstimate {
  const { nEmbd: C, vocabSize: V, nPositions: P } = p.config;
  const blockParams = 12 * C * C + 13 * C;
  const trainable = p.trainedBlocks * blockParams + 2 * C + (p.freezeEmbeddings ? 0 : V * C + P * C);
  // Samples run the inference model on these same tensors (params.ts inferenceWeights): no second copy.
  const deviceBytes = heapBytes(liveTensorBytes(p));
  // The master copy of every weight; gradients and AdamW's two moments of the trained ones.
  const hostBytes = (estimateParameters(p.config) + trainable * 3) * F32;
  return { deviceBytes, hostBytes, peakRssBytes: deviceBytes + hostBytes + RUNTIME_BYTES, trainableParameters: trainable };
}

export interface MemoryVerdict {
  fits: boolean;
  estimate: MemoryEstimate;
  /** Whether activations can be kept (faster) within the budget. */
  keepActivations: boolean;
  /** Blocks (from the top) whose activations are kept; the others are recomputed in the backward. */
  keptBlocks: number;
  /** When it does not fit: a plan that would, in words, and as numbers. */
  suggestion?: { microBatch: number; block: number; text: string };
}

const gib = (b: number): string => (b / 2 ** 30).toFixed(2);

/** The largest micro-batch (then block, halved down to 16) whose recomputing plan fits, or null. */
function largestFitting(p: Omit<MemoryPlanInput, 'keepActivations'>, budgetBytes: number): { microBatch: number; block: number; bytes: number } | null {
  for (let block = p.block; block >= 16; block = Math.floor(block / 2)) {
    for (let mb = block === p.block ? p.microBatch - 1 : p.microBatch; mb >= 1; mb--) {
      const bytes = estimateMemory({ ...p, microBatch: mb, block, keepActivations: false }).deviceBytes;
      if (bytes <= budgetBytes) return { microBatch: mb, block, bytes };
    }
  }
  return null;
}

/**
 * Decides how many blocks keep their activations and whether the run fits `budgetBytes` of device
 * memory; suggests the largest micro-batch (then block) that would. Callers
 * keep the effective batch with gradient accumulation.
 */
export function planMemory(p: Omit<MemoryPlanInput, 'keepActivations'>, budgetBytes: number): MemoryVerdict {
  const keep = estimateMemory({ ...p, keepActivations: true });
  if (keep.deviceBytes <= budgetBytes) return { fits: true, estimate: keep, keepActivations: true, keptBlocks: backpropBlocks(p) };
  const recompute = estimateMemory({ ...p, keepActivations: false });
  // All or nothing: keeping 7 of GPT-2 124M's 12 blocks at 4 × 256 measured ~3 % faster but grew the
  // wasm heap (peak RSS 4.1 → 4.7 GB); TrainModel still takes any keptBlocks (bench: --kept-blocks).
  if (recompute.deviceBytes <= budgetBytes) return { fits: true, estimate: recompute, keepActivations: false, keptBlocks: 0 };
  const refuse = (microBatch: number, block: number, text: string): MemoryVerdict => ({
    fits: false,
    estimate: recompute,
    keepActivations: false,
    keptBlocks: 0,
    suggestion: { microBatch, block, text },
  });
  const needs = `needs about ${gib(recompute.deviceBytes)} GiB of tensor memory, more than the ${gib(budgetBytes)} GiB available`;
  const weightsOnly = estimateMemory({ ...p, microBatch: 1, block: 1, trainedBlocks: 0, freezeEmbeddings: true, keepActivations: false });
  if (weightsOnly.deviceBytes > budgetBytes) {
    return refuse(
      1,
      1,
      `needs about ${gib(weightsOnly.deviceBytes)} GiB for the model's weights alone, more than the ${gib(budgetBytes)} GiB available ` +
        '(the WebAssembly backend holds at most 2 GiB); train a smaller model, or install the native backend (tfjs-node)',
    );
  }
  const fit = largestFitting(p, budgetBytes);
  if (!fit) {
    return refuse(
      1,
      16,
      `${needs}, even at micro-batch 1; train fewer blocks with frozen embeddings (--train-last 2 --freeze-embeddings), or use a native backend`,
    );
  }
  return refuse(
    fit.microBatch,
    fit.block,
    `${needs}; micro-batch ${fit.microBatch} × block ${fit.block} fits (${gib(fit.bytes)} GiB)` +
      (fit.microBatch < p.microBatch ? `: use --batch ${fit.microBatch} with --accum ${Math.ceil(p.microBatch / fit.microBatch)} to keep the effective batch` : ''),
  );
}
