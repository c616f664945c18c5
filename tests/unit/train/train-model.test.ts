Error.stackTraceLimit = 60;
import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../main/engine/backend';
import { createRng } from '../../../main/engine/rng';
import { TrainModel, type MicroBatch, type TrainSelection } from '../../../main/engine/train/train-model';
import type { ParamStore } from '../../../main/engine/train/params';
import { MICRO, randomStore } from './helpers';

beforeAll(async () => {
  await initBackend('wasm');
});

function batchOf(seed: number, B: number, T: number, V: number): MicroBatch {
  const rng = createRng(seed);
  return { tokens: Int32Array.from({ length: B * (T + 1) }, () => Math.floor(rng() * V)), B, T };
}

function meanLoss(model: TrainModel, batch: MicroBatch): number {
  return model.evalNll(batch) / (batch.B * batch.T);
}

/** Central difference of the loss along `dir` on parameter `name`, in float64 arithmetic on the float32 losses. */
function directional(store: ParamStore, model: TrainModel, batch: MicroBatch, name: string, dir: Float32Array, eps: number): number {
  const d = store.data.get(name)!;
  const orig = Float32Array.from(d);
  const at = (s: number): number => {
    for (let i = 0; i < d.length; i++) d[i] = orig[i] + s * eps * dir[i];
    store.changed(name);
    return meanLoss(model, batch);
  };
  const up = at(1);
  const down = at(-1);
  d.set(orig);
  store.changed(name);
  return (up - down) / (2 * eps);
}

const selections: [string, TrainSelection, boolean | number][] = [
  ['everything, recompute', { freezeEmbeddings: false, trainLast: null }, false],
  ['everything, kept activations', { freezeEmbeddings: false, trainLast: null }, true],
  ['last block, embeddings frozen', { freezeEmbeddings: true, trainLast: 1 }, false],
  ['everything, top block kept, lower recomputed', { freezeEmbeddings: false, trainLast: null }, 1],
  ['last block, embeddings trained', { freezeEmbeddings: false, trainLast: 1 }, false],
];

describe('hand-written backward matches finite differences', () => {
  test.for(selections)('%s', ([, selection, keep]) => {
    const store = randomStore(MICRO, 7);
    const model = new TrainModel(store, selection, typeof keep === 'number' ? { keptBlocks: keep } : { keepActivations: keep });
    const batch = batchOf(3, 2, 6, MICRO.vocabSize);
    const names = model.trainableNames();
    const grads = new Map(names.map((n) => [n, new Float32Array(store.data.get(n)!.length)]));
    const before = tf.memory().numTensors;
    let nll = 0; try { nll = model.accumulateGradients(batch, grads, 1 / (batch.B * batch.T)); } catch (e) { console.log((e as Error).stack); throw e; }
    expect(nll / 12).toBeCloseTo(meanLoss(model, batch), 4);
    const rng = createRng(11);
    for (const name of names) {
      const g = grads.get(name)!;
      const dir = Float32Array.from(g, () => rng() - 0.5);
      const analytic = g.reduce((s, v, i) => s + v * dir[i], 0);
      const numeric = directional(store, model, batch, name, dir, 1e-2);
      if (process.env.GRADDBG) console.log(name, analytic, numeric, analytic - numeric);
      expect(Math.abs(analytic - numeric), `${name}: analytic ${analytic}, numeric ${numeric}`).toBeLessThan(6e-5 + 0.01 * Math.abs(numeric));
    }
    // Frozen parameters get no gradient slot at all.
    if (selection.freezeEmbeddings) expect(names).not.toContain('wte.weight');
    if (selection.trainLast === 1) expect(names.some((n) => n.startsWith('h.0.'))).toBe(false);
    store.releaseTensors();
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  test('an untied head gets its own gradient', () => {
    const store = randomStore(MICRO, 8, false);
    const model = new TrainModel(store, { freezeEmbeddings: false, trainLast: null });
    const batch = batchOf(4, 1, 5, MICRO.vocabSize);
    const names = model.trainableNames();
    expect(names).toContain('lm_head.weight');
    const grads = new Map(names.map((n) => [n, new Float32Array(store.data.get(n)!.length)]));
    model.accumulateGradients(batch, grads, 1 / 5);
    for (const name of ['lm_head.weight', 'wte.weight']) {
      const g = grads.get(name)!;
      const dir = Float32Array.from(g, (_, i) => ((i * 7919) % 13) / 13 - 0.5);
      const analytic = g.reduce((s, v, i) => s + v * dir[i], 0);
      const numeric = directional(store, model, batch, name, dir, 1e-2);
      expect(Math.abs(analytic - numeric)).toBeLessThan(6e-5 + 0.01 * Math.abs(numeric));
    }
    store.releaseTensors();
    model.dispose();
  });
});

describe('the training forward is GPT-2', () => {
  test('scores the PyTorch reference cases of the tiny model', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { readSafetensors } = await import('../../../main/engine/safetensors');
    const { parseModelConfig } = await import('../../../main/engine/model-config');
    const { ParamStore } = await import('../../../main/engine/train/params');
    const dir = path.resolve('tests/fixtures/models/tiny');
    const ref = JSON.parse(readFileSync('tests/fixtures/reference/tiny.json', 'utf8')) as { cases: { ids: number[]; nllSum: number }[] };
    const config = parseModelConfig(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const store = ParamStore.fromSource(config, (await readSafetensors(path.join(dir, 'model.safetensors'))).tensors, dir);
    const model = new TrainModel(store, { freezeEmbeddings: false, trainLast: null });
    const cases = ref.cases.filter((c) => c.ids.length > 1);
    expect(cases.length).toBeGreaterThan(1);
    for (const c of cases) {
      const nll = model.evalNll({ tokens: Int32Array.from(c.ids), B: 1, T: c.ids.length - 1 });
      expect(Math.abs(nll - c.nllSum) / c.ids.length).toBeLessThan(1e-4);
    }
    model.dispose();
    store.releaseTensors();
  });
});
