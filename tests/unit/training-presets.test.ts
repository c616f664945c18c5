import { describe, expect, test } from 'vitest';
import { TrainOverrides } from '../../common/contract';
import { resolvePreset, trainOptionsFor, TRAINING_PRESETS } from '../../main/services/training-presets';

const base = { architecture: { layers: 12, context: 1024, width: 768, heads: 12, vocab: 50257, parameters: 124_439_808 } };
const run = { modelDir: '/m', dataFiles: ['/a.txt'], outDir: '/r', steps: 40, resume: false };

describe('training presets → trainer options', () => {
  test('the quick preset takes two rows a step so that two data-parallel threads can split them', () => {
    expect(TRAINING_PRESETS.quick.batch).toBeGreaterThanOrEqual(2);
    expect(TRAINING_PRESETS.quick.batch * TRAINING_PRESETS.quick.accum).toBe(4);
  });

  test('threads reaches the trainer only when the request sets it', () => {
    expect(trainOptionsFor(resolvePreset('quick', base), run)).not.toHaveProperty('threads');
    expect(trainOptionsFor(resolvePreset('quick', base, { threads: 2 }), run)).toMatchObject({ threads: 2 });
  });

  test('the preset, the base model and the run become the options', () => {
    const o = trainOptionsFor(resolvePreset('thorough', { architecture: { ...base.architecture, context: 128 } }, { lr: 3e-4 }), { ...run, resume: true });
    expect(o).toMatchObject({ modelDir: '/m', dataFiles: ['/a.txt'], outDir: '/r', steps: 40, lr: 3e-4, block: 128, freezeEmbeddings: false, resume: true });
    expect(o).not.toHaveProperty('trainLast');
    expect(trainOptionsFor(resolvePreset('quick', base), run)).toMatchObject({ trainLast: 2, freezeEmbeddings: true });
  });

  test('the contract bounds threads', () => {
    expect(TrainOverrides.safeParse({ threads: 2 }).success).toBe(true);
    expect(TrainOverrides.safeParse({ threads: 0 }).success).toBe(false);
    expect(TrainOverrides.safeParse({ threads: 1.5 }).success).toBe(false);
    expect(TrainOverrides.safeParse({ threads: 99 }).success).toBe(false);
  });
});
