// Two AdamW steps on the tiny model against PyTorch (float64 autograd, torch.optim.AdamW,
// clip_grad_norm_): see reference/torch_train_reference.py, which wrote the JSON.
import { beforeAll, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../../main/engine/backend';
import { parseModelConfig } from '../../../main/engine/model-config';
import { readSafetensors } from '../../../main/engine/safetensors';
import { decays, ParamStore } from '../../../main/engine/train/params';
import { Trainer, type StepInfo, type TrainerModel } from '../../../main/engine/train/trainer';
import { TrainModel } from '../../../main/engine/train/train-model';

interface Reference {
  batches: number[][][];
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  clipNorm: number;
  steps: { loss: number; gradNorm: number }[];
  params: Record<string, { sum: number; head: number[] }>;
}

const REF = JSON.parse(readFileSync(path.resolve('tests/unit/train/reference/train-reference.json'), 'utf8')) as Reference;
const TINY = path.resolve('tests/fixtures/models/tiny');

beforeAll(async () => {
  await initBackend('wasm');
});

test('loss, gradient norm and weights after two clipped AdamW steps match PyTorch', async () => {
  const config = parseModelConfig(readFileSync(path.join(TINY, 'config.json'), 'utf8'));
  const store = ParamStore.fromSource(config, (await readSafetensors(path.join(TINY, 'model.safetensors'))).tensors, TINY);
  const model = new TrainModel(store, { freezeEmbeddings: false, trainLast: null });
  const adapter: TrainerModel = {
    params: model.trainableNames().map((name) => ({ name, data: store.data.get(name)!, decay: decays({ name, shape: store.shapeOf(name) }) })),
    gradients: (step, grads) => {
      const rows = REF.batches[step];
      const T = rows[0].length - 1;
      const n = rows.length * T;
      return { loss: model.accumulateGradients({ tokens: Int32Array.from(rows.flat()), B: rows.length, T }, grads, 1 / n) / n, tokens: n };
    },
    paramsChanged: (names) => names.forEach((n) => store.changed(n)),
  };
  const trainer = new Trainer(adapter, {
    schedule: { peakLr: REF.lr, warmupSteps: 0, totalSteps: REF.steps.length, minLrRatio: 1 },
    adamw: { beta1: REF.betas[0], beta2: REF.betas[1], eps: REF.eps, weightDecay: REF.weightDecay },
    clipNorm: REF.clipNorm,
  });
  const seen: StepInfo[] = [];
  await trainer.run(undefined, { onStep: (s) => void seen.push(s) });
  REF.steps.forEach((want, i) => {
    expect(seen[i].loss).toBeCloseTo(want.loss, 4);
    expect(Math.abs(seen[i].gradNorm - want.gradNorm) / want.gradNorm).toBeLessThan(1e-3);
  });
  for (const [name, want] of Object.entries(REF.params)) {
    const got = store.data.get(name)!;
    want.head.forEach((v, i) => expect(Math.abs(got[i] - v), `${name}[${i}]`).toBeLessThan(2e-5));
    const sum = got.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - want.sum), `${name} sum`).toBeLessThan(1e-3 + 1e-4 * got.length ** 0.5);
  }
  model.dispose();
  store.releaseTensors();
});
