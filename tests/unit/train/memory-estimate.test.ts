import { expect, test } from 'vitest';
import type { ModelConfig } from '../../../main/engine/model-config';
import { estimateMemory, planMemory, RUNTIME_BYTES, WASM_HEAP_BUDGET_BYTES } from '../../../main/engine/train/memory-estimate';

const GPT2_124M: ModelConfig = { nLayer: 12, nHead: 12, nEmbd: 768, nPositions: 1024, vocabSize: 50257, layerNormEpsilon: 1e-5, activation: 'gelu_new' };
const base = { config: GPT2_124M, microBatch: 4, block: 256, trainedBlocks: 12, freezeEmbeddings: false };

test('the cheap fine-tune needs far less than the full one, and no moments for frozen weights', () => {
  const full = estimateMemory({ ...base, keepActivations: false });
  const cheap = estimateMemory({ ...base, trainedBlocks: 2, freezeEmbeddings: true, keepActivations: false });
  expect(full.trainableParameters).toBeGreaterThan(124e6);
  expect(cheap.trainableParameters).toBe(2 * (12 * 768 * 768 + 13 * 768) + 2 * 768);
  expect(cheap.hostBytes).toBeLessThan(full.hostBytes / 2);
  expect(cheap.deviceBytes).toBeLessThan(full.deviceBytes);
});

test.for([
  ['GPT-2 124M, 4 × 256, in the wasm heap', base, WASM_HEAP_BUDGET_BYTES, true],
  ['GPT-2 124M, 64 × 1024', { ...base, microBatch: 64, block: 1024 }, WASM_HEAP_BUDGET_BYTES, false],
] as const)('%s fits: %s', ([, input, budget, fits]) => {
  const v = planMemory(input, budget);
  expect(v.fits).toBe(fits);
  if (!fits) {
    expect(v.suggestion!.text).toMatch(/GiB of tensor memory/);
    const s = v.suggestion!;
    expect(planMemory({ ...input, microBatch: s.microBatch, block: s.block }, budget).fits).toBe(true);
  }
});

test('activations are kept when they fit and recomputed when they do not', () => {
  expect(planMemory({ ...base, microBatch: 1, block: 64 }, WASM_HEAP_BUDGET_BYTES).keepActivations).toBe(true);
  const tight = estimateMemory({ ...base, keepActivations: false }).deviceBytes + 1;
  expect(planMemory(base, tight)).toMatchObject({ fits: true, keepActivations: false, keptBlocks: 0 });
  const some = estimateMemory({ ...base, keepActivations: false, keptBlocks: 5 }).deviceBytes;
  expect(some).toBeGreaterThan(estimateMemory({ ...base, keepActivations: false }).deviceBytes);
  expect(some).toBeLessThan(estimateMemory({ ...base, keepActivations: true }).deviceBytes);
});

test('GPT-2 774M cannot train in the wasm heap at all, and the message says why', () => {
  const large: ModelConfig = { ...GPT2_124M, nLayer: 36, nHead: 20, nEmbd: 1280 };
  const v = planMemory({ ...base, config: large, trainedBlocks: 2, freezeEmbeddings: true, microBatch: 1 }, WASM_HEAP_BUDGET_BYTES);
  expect(v.fits).toBe(false);
  expect(v.suggestion!.text).toMatch(/weights alone.*native backend/);
});

// Measured by `node bench/train.mjs --mode full|cheap --runs 2` (wasm, 1 thread, idle machine, 2026-11-29): the wasm heap's size
// (HEAPU8.length, which never shrinks) and the process's peak RSS, in MiB. The estimate may err
// high, by little: it refuses runs that would fit otherwise.
test.for([
  ['GPT-2 124M full fine-tune, 4 × 256', base, 1554, 3492, 1.05],
  ['GPT-2 124M last 2 blocks, embeddings frozen, 4 × 256', { ...base, trainedBlocks: 2, freezeEmbeddings: true }, 1437, 2128, 1.2],
] as const)('%s: the estimate covers the measured peak, and not by much', ([, input, heapMiB, rssMiB, slack]) => {
  const e = planMemory(input, WASM_HEAP_BUDGET_BYTES).estimate;
  const MiB = 2 ** 20;
  expect(e.deviceBytes / MiB).toBeGreaterThanOrEqual(heapMiB);
  expect(e.deviceBytes / MiB).toBeLessThanOrEqual(heapMiB * slack);
  expect(e.peakRssBytes / MiB).toBeGreaterThanOrEqual(rssMiB);
  expect(e.peakRssBytes / MiB).toBeLessThanOrEqual(rssMiB * slack);
});

test('peak RSS is the tensors, the optimizer arrays and the runtime', () => {
  const e = estimateMemory({ ...base, keepActivations: false });
  expect(e.peakRssBytes).toBe(e.deviceBytes + e.hostBytes + RUNTIME_BYTES);
  // Host: the master copy of all 124 M weights plus gradients and two moments of the trained ones.
  expect(e.hostBytes).toBe((124439808 + 3 * e.trainableParameters) * 4);
});

test('a block costs its weights twice: XNNPACK keeps a packed copy of every right-hand operand', () => {
  const at = (nLayer: number): number =>
    estimateMemory({ ...base, config: { ...GPT2_124M, nLayer }, trainedBlocks: 1, freezeEmbeddings: true, keepActivations: false }).deviceBytes;
  const blockMatrices = 12 * 768 * 768 * 4;
  expect(at(13) - at(12)).toBeGreaterThanOrEqual(2 * blockMatrices);
});
