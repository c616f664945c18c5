/**
 * Memory planning before a run starts: what the wasm heap (or the native
 * backend's memory) and the JS heap will hold for a model, micro-batch,
 * block and selection, whether that fits, and, when it does not, the
 * largest micro-batch and block that would. Figures are estimates from
 * tensor sizes (fp32), checked against measured peaks in bench/train.mjs;
 * they err on the high side.
 */
import type { ModelConfig } from '../model-config';
import { estimateParameters } from '../model-config';

/** tfjs-backend-wasm grows its heap to at most 2 GiB; keep a margin for fragmentation. */
export const WASM_HEAP_BUDGET_BYTES = 1.85 * 2 ** 30;

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
  trainableParameters: number;
}

const F32 = 4;

export function estimateMemory(p: MemoryPlanInput): MemoryEstimate {
  const { nEmbd: C, nLayer: L, nHead: H, vocabSize: V } = p.config;
  const N = p.microBatch * p.block;
  const total = estimateParameters(p.config);
  const blockParams = 12 * C * C + 13 * C;
  const embedParams = V * C + p.config.nPositions * C;
  const trainable = p.trainedBlocks * blockParams + 2 * C + (p.freezeEmbeddings ? 0 : embedParams);
  const backpropBlocks = p.freezeEmbeddings ? p.trainedBlocks : L;
  // Weights (block weights and the head in both orientations; embeddings are looked up in JS).
  // Trained blocks build their Wᵀ during their backward and drop it after; frozen ones crossed by the backward keep it.
  const transposedBlocks = Math.min(backpropBlocks, backpropBlocks - p.trainedBlocks + 1);
  const weights = (total - p.config.nPositions * C) * F32 + V * C * F32 + Math.max(0, transposedBlocks) * 12 * C * C * F32;
  // One block's saved activations: ~22 (N, C) tensors plus the (B·H, T, T) attention weights.
  const blockActs = (22 * N * C + p.microBatch * H * p.block * p.block) * F32;
  const keptBlocks = Math.min(backpropBlocks, p.keptBlocks ?? (p.keepActivations ? backpropBlocks : 0));
  const recomputed = backpropBlocks - keptBlocks;
  const kept = keptBlocks * blockActs + recomputed * N * C * F32 + (recomputed > 0 ? blockActs : 0);
  // Backward temporaries of one block (~2x its activations) and the head's chunk (logits, softmax, one-hot, dlogits).
  const transient = 2 * blockActs + Math.min(N, Math.max(1, Math.floor(8e6 / V))) * V * 4 * F32 + (p.freezeEmbeddings ? 0 : V * C * F32);
  // Samples run the inference model on these same tensors (params.ts inferenceWeights): no second copy.
  const deviceBytes = Math.round((weights + kept + transient) * 1.1);
  const hostBytes = total * F32 + trainable * 3 * F32;
  return { deviceBytes, hostBytes, trainableParameters: trainable };
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

/**
 * Decides how many blocks keep their activations and whether the run fits `budgetBytes` of device
 * memory; suggests the largest micro-batch (then block) that would. Callers
 * keep the effective batch with gradient accumulation.
 */
export function planMemory(p: Omit<MemoryPlanInput, 'keepActivations'>, budgetBytes: number): MemoryVerdict {
  const backpropBlocks = p.freezeEmbeddings ? p.trainedBlocks : p.config.nLayer;
  const keep = estimateMemory({ ...p, keepActivations: true });
  if (keep.deviceBytes <= budgetBytes) return { fits: true, estimate: keep, keepActivations: true, keptBlocks: backpropBlocks };
  const recompute = estimateMemory({ ...p, keepActivations: false });
  // All or nothing: keeping 7 of GPT-2 124M's 12 blocks at 4 × 256 measured ~3 % faster but grew the
  // wasm heap (peak RSS 4.1 → 4.7 GB); TrainModel still takes any keptBlocks (bench: --kept-blocks).
  if (recompute.deviceBytes <= budgetBytes) return { fits: true, estimate: recompute, keepActivations: false, keptBlocks: 0 };
  const gib = (b: number): string => (b / 2 ** 30).toFixed(2);
  const weightsOnly = estimateMemory({ ...p, microBatch: 1, block: 1, trainedBlocks: 0, freezeEmbeddings: true, keepActivations: false });
  if (weightsOnly.deviceBytes > budgetBytes) {
    return {
      fits: false,
      estimate: recompute,
      keepActivations: false,
      keptBlocks: 0,
      suggestion: {
        microBatch: 1,
        block: 1,
        text:
          `needs about ${gib(weightsOnly.deviceBytes)} GiB for the model's weights alone, more than the ${gib(budgetBytes)} GiB available ` +
          '(the WebAssembly backend holds at most 2 GiB); train a smaller model, or install the native backend (tfjs-node)',
      },
    };
  }
  for (let block = p.block; block >= 16; block = Math.floor(block / 2)) {
    for (let mb = block === p.block ? p.microBatch - 1 : p.microBatch; mb >= 1; mb--) {
      const e = estimateMemory({ ...p, microBatch: mb, block, keepActivations: false });
      if (e.deviceBytes <= budgetBytes) {
        return {
          fits: false,
          estimate: recompute,
          keepActivations: false,
          keptBlocks: 0,
          suggestion: {
            microBatch: mb,
            block,
            text:
              `needs about ${gib(recompute.deviceBytes)} GiB of tensor memory, more than the ${gib(budgetBytes)} GiB available; ` +
              `micro-batch ${mb} × block ${block} fits (${gib(e.deviceBytes)} GiB)` +
              (mb < p.microBatch ? `: use --batch ${mb} with --accum ${Math.ceil(p.microBatch / mb)} to keep the effective batch` : ''),
          },
        };
      }
    }
  }
  return {
    fits: false,
    estimate: recompute,
    keepActivations: false,
    keptBlocks: 0,
    suggestion: {
      microBatch: 1,
      block: 16,
      text:
        `needs about ${gib(recompute.deviceBytes)} GiB of tensor memory, more than the ${gib(budgetBytes)} GiB available, even at micro-batch 1; ` +
        'train fewer blocks with frozen embeddings (--train-last 2 --freeze-embeddings), or use a native backend',
    },
  };
}
