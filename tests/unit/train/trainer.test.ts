import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../main/engine/backend';
import { decays } from '../../../main/engine/train/params';
import { Trainer, TrainingDivergedError, type TrainerModel } from '../../../main/engine/train/trainer';
import { TrainModel } from '../../../main/engine/train/train-model';
import { MICRO, randomStore } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

/** One parameter p, loss (p − 3)²; `nanAt` makes chosen gradient calls return NaN. */
function quadratic(nanAt: (call: number) => boolean = () => false): TrainerModel & { calls: number } {
  const data = Float32Array.from([0]);
  const m = {
    calls: 0,
    params: [{ name: 'p', data, decay: false }],
    gradients(_step: number, grads: Map<string, Float32Array>) {
      m.calls++;
      grads.get('p')![0] += 2 * (data[0] - 3);
      return { loss: nanAt(m.calls) ? NaN : (data[0] - 3) ** 2, tokens: 1 };
    },
    paramsChanged() {},
  };
  return m;
}

const schedule = { peakLr: 0.1, warmupSteps: 1, totalSteps: 200 };

describe('Trainer', () => {
  test('minimises a quadratic', async () => {
    const m = quadratic();
    const t = new Trainer(m, { schedule, clipNorm: 0 });
    expect(await t.run(undefined)).toBe('completed');
    expect(m.params[0].data[0]).toBeCloseTo(3, 1);
  });

  test('a NaN loss updates nothing, calls onNonFinite, and a second one before getting past it throws', async () => {
    const m = quadratic((c) => c >= 3);
    const t = new Trainer(m, { schedule, clipNorm: 1 });
    const seen: number[] = [];
    await expect(t.run(undefined, { onNonFinite: ({ step }) => void seen.push(step) })).rejects.toThrow(TrainingDivergedError);
    expect(seen).toEqual([3]);
    expect(t.state.step).toBe(2);
  });

  test('a single NaN, then progress, is survived', async () => {
    const m = quadratic((c) => c === 3);
    const t = new Trainer(m, { schedule: { ...schedule, totalSteps: 10 }, clipNorm: 1 });
    expect(await t.run(undefined, { onNonFinite: () => undefined })).toBe('completed');
    expect(t.state.step).toBe(10);
  });

  test('cancel and early stop end between steps', async () => {
    const ac = new AbortController();
    const t = new Trainer(quadratic(), { schedule, clipNorm: 0 });
    expect(await t.run(ac.signal, { onStep: ({ step }) => void (step === 5 && ac.abort()) })).toBe('cancelled');
    expect(t.state.step).toBe(5);
    expect(await t.run(undefined, { shouldStop: () => t.state.step >= 7 })).toBe('stopped');
    expect(t.state.step).toBe(7);
  });

  test('a step error is retried when the callback says so', async () => {
    let fail = true;
    const base = quadratic();
    const m: TrainerModel = { ...base, params: base.params, gradients: (s, g) => {
      if (fail) {
        fail = false;
        throw new Error('out of memory');
      }
      return base.gradients(s, g);
    } };
    const t = new Trainer(m, { schedule: { ...schedule, totalSteps: 3 }, clipNorm: 0 });
    expect(await t.run(undefined, { onStepError: () => true })).toBe('completed');
    await expect(new Trainer({ ...m, gradients: () => { throw new Error('boom'); } }, { schedule, clipNorm: 0 }).run(undefined)).rejects.toThrow('boom');
  });

  test('GPT-2 training: tensor count flat over 50 steps, and one sentence is overfitted', async () => {
    const store = randomStore(MICRO, 5);
    const model = new TrainModel(store, { freezeEmbeddings: false, trainLast: null });
    const sentence = Int32Array.from([1, 4, 2, 8, 5, 7, 3, 9, 6]);
    const adapter: TrainerModel = {
      params: model.trainableNames().map((name) => ({ name, data: store.data.get(name)!, decay: decays({ name, shape: store.shapeOf(name) }) })),
      gradients: (_s, grads) => ({ loss: model.accumulateGradients({ tokens: sentence, B: 1, T: 8 }, grads, 1 / 8) / 8, tokens: 8 }),
      paramsChanged: (names) => names.forEach((n) => store.changed(n)),
    };
    const counts: number[] = [];
    const losses: number[] = [];
    const t = new Trainer(adapter, { schedule: { peakLr: 1e-2, warmupSteps: 5, totalSteps: 50 }, clipNorm: 1 });
    await t.run(undefined, { onStep: ({ loss }) => void (counts.push(tf.memory().numTensors), losses.push(loss)) });
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(losses[49]).toBeLessThan(losses[0] * 0.2);
    model.dispose();
    store.releaseTensors();
  });
});
