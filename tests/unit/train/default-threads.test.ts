import { describe, expect, test } from 'vitest';
import { defaultTrainThreads, MIN_MEMORY_FOR_PARALLEL_BYTES } from '../../../main/engine/train/data-parallel';

const big = { cores: 8, memoryBytes: 32 * 2 ** 30 };

describe('defaultTrainThreads', () => {
  test.each([
    ['wasm, 8 cores, 32 GB, worker bundle', 'wasm', true, big, 2],
    ['wasm on this 2-core machine', 'wasm', true, { cores: 2, memoryBytes: 24 * 2 ** 30 }, 1],
    ['wasm with 4 cores but little memory', 'wasm', true, { cores: 4, memoryBytes: MIN_MEMORY_FOR_PARALLEL_BYTES - 1 }, 1],
    ['wasm, 4 cores, just enough memory', 'wasm', true, { cores: 4, memoryBytes: MIN_MEMORY_FOR_PARALLEL_BYTES }, 2],
    ['no rank worker bundle (running from source)', 'wasm', false, big, 1],
    ['tfjs-node threads by itself', 'tensorflow', true, big, 1],
    ['the pure-JS cpu backend', 'cpu', true, big, 1],
  ] as const)('%s', (_why, backend, worker, machine, want) => {
    expect(defaultTrainThreads(backend, worker, machine)).toBe(want);
  });
});
