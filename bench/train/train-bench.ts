// One training benchmark mode in a fresh process (bench/train.mjs runs it): GPT-2 124M shapes,
// random weights, a full optimizer step (forward + backward + AdamW) per run; prints one JSON object.
//   --mode full|cheap  --batch 4 --block 256 --runs 5 --layers 12 --embd 768 --heads 12
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../main/engine/backend';
import { createRng } from '../../main/engine/rng';
import type { ModelConfig } from '../../main/engine/model-config';
import { decays, ParamStore, parameterList } from '../../main/engine/train/params';
import { TrainModel } from '../../main/engine/train/train-model';
import { Trainer, type TrainerModel } from '../../main/engine/train/trainer';
import { planMemory, WASM_HEAP_BUDGET_BYTES } from '../../main/engine/train/memory-estimate';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const mode = arg('mode', 'full');
const B = Number(arg('batch', '4'));
const T = Number(arg('block', '256'));
const runs = Number(arg('runs', '5'));
const config: ModelConfig = {
  nLayer: Number(arg('layers', '12')), nHead: Number(arg('heads', '12')), nEmbd: Number(arg('embd', '768')),
  nPositions: 1024, vocabSize: 50257, layerNormEpsilon: 1e-5, activation: 'gelu_new',
};
const cheap = mode === 'cheap';
const selection = { freezeEmbeddings: cheap, trainLast: cheap ? 2 : null };

const backend = await initBackend(process.env.INKWELL_BACKEND);
const rng = createRng(1);
const data = new Map<string, Float32Array>();
for (const info of parameterList(config, true)) {
  const n = info.shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  const gain = /ln_.*weight/.test(info.name);
  for (let i = 0; i < n; i++) d[i] = gain ? 1 : (rng() - 0.5) * 0.04;
  data.set(info.name, d);
}
const store = new ParamStore(config, true, data);
const plan = planMemory({ config, microBatch: B, block: T, trainedBlocks: cheap ? 2 : config.nLayer, freezeEmbeddings: cheap }, WASM_HEAP_BUDGET_BYTES);
const keep = Number(arg('kept-blocks', String(plan.keptBlocks)));
const model = new TrainModel(store, selection, { keptBlocks: keep });
const tokens = Int32Array.from({ length: B * (T + 1) }, () => Math.floor(rng() * config.vocabSize));
const times: number[] = [];
const cpuMs: number[] = [];
let cpuMark = process.cpuUsage();
const gradMs: number[] = [];
let peakHeap = 0;
const adapter: TrainerModel = {
  params: model.trainableNames().map((name) => ({ name, data: store.data.get(name)!, decay: decays({ name, shape: store.shapeOf(name) }) })),
  gradients: (_s, grads) => {
    const t0 = performance.now();
    const loss = model.accumulateGradients({ tokens, B, T }, grads, 1 / (B * T)) / (B * T);
    peakHeap = Math.max(peakHeap, tf.memory().numBytes);
    gradMs.push(performance.now() - t0);
    return { loss, tokens: B * T };
  },
  paramsChanged: (names) => names.forEach((n) => store.changed(n)),
};
const trainer = new Trainer(adapter, { schedule: { peakLr: 1e-4, warmupSteps: 1, totalSteps: runs + 1 }, clipNorm: 1 });
let error: string | null = null;
try {
  await trainer.run(undefined, {
    onStep: (s) => {
      times.push(s.ms);
      // CPU time of this process: on a machine shared with other jobs, wall time overstates the step.
      const cpu = process.cpuUsage(cpuMark);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      cpuMark = process.cpuUsage();
      process.stderr.write(`step ${s.step}: ${(s.ms / 1000).toFixed(1)} s (forward+backward ${(gradMs[gradMs.length - 1] / 1000).toFixed(1)} s), loss ${s.loss.toFixed(3)}\n`);
    },
  });
} catch (err) {
  error = (err as Error).message.slice(0, 300);
}
const measured = times.slice(1).sort((a, b) => a - b); // the first step pays for uploads and kernel warm-up
const median = measured.length ? measured[Math.floor(measured.length / 2)] : NaN;
const cpuMeasured = cpuMs.slice(1).sort((a, b) => a - b);
const cpuMedian = cpuMeasured.length ? cpuMeasured[Math.floor(cpuMeasured.length / 2)] : NaN;
console.log(JSON.stringify({
  mode, backend: backend.device, batch: B, block: T, layers: config.nLayer, keptBlocks: keep,
  trainableParameters: adapter.params.reduce((a, p) => a + p.data.length, 0),
  runs: measured.length, medianStepS: +(median / 1000).toFixed(2), tokensPerSec: +((B * T) / (median / 1000)).toFixed(1),
  medianStepCpuS: +(cpuMedian / 1000).toFixed(2), tokensPerCpuSec: +((B * T) / (cpuMedian / 1000)).toFixed(1),
  firstStepS: times.length ? +(times[0] / 1000).toFixed(2) : null,
  estimatedDeviceGiB: +(plan.estimate.deviceBytes / 2 ** 30).toFixed(2), peakTensorGiB: +(peakHeap / 2 ** 30).toFixed(2),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), error,
}));
