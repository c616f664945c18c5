// One training benchmark mode in a fresh process (bench/train.mjs runs it): GPT-2 124M shapes,
// random weights, a full optimizer step (forward + backward + AdamW) per run; prints one JSON object.
//   --mode full|cheap  --batch 4 --block 256 --runs 5 --layers 12 --embd 768 --heads 12 --threads 1
// With --threads N > 1 the rows of each step split over N data-parallel ranks (data-parallel.ts);
// CPU time then counts every thread of the process, so tokensPerCpuSec shows the threads' efficiency.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../main/engine/backend';
import { createRng } from '../../main/engine/rng';
import type { ModelConfig } from '../../main/engine/model-config';
import { DataParallel, findRankTrainerWorker, rowRanges } from '../../main/engine/train/data-parallel';
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
const threads = Number(arg('threads', '1'));
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
const ranks = rowRanges(B, threads).length;
// Each rank's heap holds its share of the rows (as run-training.ts plans it).
const plan = planMemory({ config, microBatch: Math.ceil(B / ranks), block: T, trainedBlocks: cheap ? 2 : config.nLayer, freezeEmbeddings: cheap }, WASM_HEAP_BUDGET_BYTES);
const keep = Number(arg('kept-blocks', String(plan.keptBlocks)));
const model = new TrainModel(store, selection, { keptBlocks: keep });
let parallel: DataParallel | null = null;
if (ranks > 1) {
  const workerUrl = findRankTrainerWorker(import.meta.url);
  if (!workerUrl) throw new Error('train-bench: --threads needs rank-trainer-worker.js beside the bench bundle (run it through bench/train.mjs)');
  store.shareMemory();
  parallel = await DataParallel.start({ threads: ranks, workerUrl, store, trainable: model.trainableNames(), selection, keptBlocks: keep });
}
const tokens = Int32Array.from({ length: B * (T + 1) }, () => Math.floor(rng() * config.vocabSize));
const times: number[] = [];
const cpuMs: number[] = [];
let cpuMark = process.cpuUsage();
/**
 * CPU ms of this process's main thread (Linux /proc; null elsewhere). With --threads 2 on a shared
 * machine, the wall time shows the neighbours, not the split: the main thread's CPU time per step
 * (rank 0's rows, the summing, AdamW) is the step's length when every rank has a core of its own.
 */
const mainThreadCpuMs = (): number | null => {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in 100 Hz ticks
  } catch {
    return null;
  }
};
const mainCpuMs: number[] = [];
let mainCpuMark = mainThreadCpuMs();
const gradMs: number[] = [];
let peakHeap = 0;
// Memory at the highest RSS sampled (at every gradient read-out, through ProbeMap, and after each
// step; the wasm heap never shrinks); maxRSS below is the kernel's true peak.
const wasmHeapBytes = (): number | null => {
  const be = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return be.wasm?.HEAPU8 ? be.wasm.HEAPU8.length : null;
};
const mb = (b: number | null): number | null => (b === null ? null : Math.round(b / 2 ** 20));
let atPeak: Record<string, number | null> = {};
const sampleMemory = (): void => {
  const m = process.memoryUsage();
  peakHeap = Math.max(peakHeap, tf.memory().numBytes);
  if (m.rss / 2 ** 20 <= (atPeak.rssMB ?? 0)) return;
  atPeak = { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers), wasmHeapMB: mb(wasmHeapBytes()), tensorMB: mb(tf.memory().numBytes) };
};
/** The gradient map TrainModel reads once per gradient tensor: a free probe inside the backward. */
class ProbeMap extends Map<string, Float32Array> {
  override get(key: string): Float32Array | undefined {
    sampleMemory();
    return super.get(key);
  }
}
const adapter: TrainerModel = {
  params: model.trainableNames().map((name) => ({ name, data: store.data.get(name)!, decay: decays({ name, shape: store.shapeOf(name) }) })),
  gradients: async (_s, grads) => {
    const t0 = performance.now();
    const batch = { tokens, B, T };
    // Rank 0's memory is probed; the workers' heaps are their own (peak RSS counts every thread).
    const nll = parallel ? await parallel.gradients([batch], model, new ProbeMap(grads), 1 / (B * T)) : model.accumulateGradients(batch, new ProbeMap(grads), 1 / (B * T));
    const loss = nll / (B * T);
    peakHeap = Math.max(peakHeap, tf.memory().numBytes);
    sampleMemory();
    gradMs.push(performance.now() - t0);
    return { loss, tokens: B * T };
  },
  paramsChanged: (names) => {
    names.forEach((n) => store.changed(n));
    parallel?.changed(names);
  },
};
const trainer = new Trainer(adapter, { schedule: { peakLr: 1e-4, warmupSteps: 1, totalSteps: runs + 1 }, clipNorm: 1 });
let error: string | null = null;
try {
  await trainer.run(undefined, {
    onStep: (s) => {
      times.push(s.ms);
      sampleMemory();
      // CPU time of this process: on a machine shared with other jobs, wall time overstates the step.
      const cpu = process.cpuUsage(cpuMark);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      cpuMark = process.cpuUsage();
      const mainNow = mainThreadCpuMs();
      if (mainNow !== null && mainCpuMark !== null) mainCpuMs.push(mainNow - mainCpuMark);
      mainCpuMark = mainNow;
      process.stderr.write(`step ${s.step}: ${(s.ms / 1000).toFixed(1)} s (forward+backward ${(gradMs[gradMs.length - 1] / 1000).toFixed(1)} s), loss ${s.loss.toFixed(3)}, wasm heap ${mb(wasmHeapBytes())} MB\n`);
    },
  });
} catch (err) {
  error = (err as Error).message.slice(0, 300);
} finally {
  await parallel?.dispose();
}
const measured = times.slice(1).sort((a, b) => a - b); // the first step pays for uploads and kernel warm-up
const median = measured.length ? measured[Math.floor(measured.length / 2)] : NaN;
const cpuMeasured = cpuMs.slice(1).sort((a, b) => a - b);
const cpuMedian = cpuMeasured.length ? cpuMeasured[Math.floor(cpuMeasured.length / 2)] : NaN;
const mainMeasured = mainCpuMs.slice(1).sort((a, b) => a - b);
const mainMedian = mainMeasured.length ? mainMeasured[Math.floor(mainMeasured.length / 2)] : NaN;
console.log(JSON.stringify({
  mode, backend: backend.device, batch: B, block: T, layers: config.nLayer, keptBlocks: keep, threads: ranks,
  trainableParameters: adapter.params.reduce((a, p) => a + p.data.length, 0),
  runs: measured.length, medianStepS: +(median / 1000).toFixed(2), tokensPerSec: +((B * T) / (median / 1000)).toFixed(1),
  medianStepCpuS: +(cpuMedian / 1000).toFixed(2), tokensPerCpuSec: +((B * T) / (cpuMedian / 1000)).toFixed(1),
  medianStepMainThreadCpuS: +(mainMedian / 1000).toFixed(2), tokensPerMainThreadCpuSec: +((B * T) / (mainMedian / 1000)).toFixed(1),
  firstStepS: times.length ? +(times[0] / 1000).toFixed(2) : null,
  estimatedDeviceGiB: +(plan.estimate.deviceBytes / 2 ** 30).toFixed(2), peakTensorGiB: +(peakHeap / 2 ** 30).toFixed(2),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), memoryAtPeak: atPeak, error,
}));
