/**
 * Speed of the GPT-2 forward pass at GPT-2 124M's shapes, with random weights
 * built in memory (no file, no download): prefill of a 128-token prompt and
 * 128 decode steps with the KV cache. Compiled and run by bench/run.mjs;
 * prints one JSON object on stdout. `--profile` adds where the time goes
 * (tf.profile per kernel) for one prefill and one decode step.
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { initBackend } from '../main/engine/backend';
import { disposeCache } from '../main/engine/kv-cache';
import type { GPT2Config, KVCache, LanguageModel } from '../main/engine/types';
import { loadBenchModel, parameterCount } from './load-model';
import { cpuSince, gpt2SmallConfig, stats } from './random-gpt2';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = flag('runs', 5);
const PROMPT = flag('prompt', 128);
const NEW_TOKENS = flag('new', 128);
const PROFILE = args.includes('--profile');
/** 2: the tensor-parallel model (parallel/), one rank per thread. */
const THREADS = flag('threads', 1);

const CONFIG: GPT2Config = gpt2SmallConfig(flag('layers', 12));

function promptIds(n: number, offset: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + offset * 104729 + 13) % 50257);
}

interface RunRates {
  prefill: number;
  decode: number;
  prefillCpu: number;
  decodeCpu: number;
}

/** One prefill + `newTokens` greedy decode steps; tokens/s by wall clock and by CPU time. */
function run(model: LanguageModel, offset: number, newTokens: number): RunRates {
  const ids = promptIds(PROMPT, offset);
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  let { logits, cache } = model.forward([ids], null);
  let next = tf.tidy(() => tf.argMax(logits, 1).dataSync()[0]);
  const prefillS = (performance.now() - t0) / 1000;
  const prefillCpuS = cpuSince(c0);
  logits.dispose();
  t0 = performance.now();
  c0 = process.cpuUsage();
  for (let i = 0; i < newTokens; i++) {
    const step: { logits: tf.Tensor; cache: KVCache } = model.forward([[next]], cache);
    disposeCache(cache);
    ({ logits, cache } = step);
    next = tf.tidy(() => tf.argMax(logits, 1).dataSync()[0]);
    logits.dispose();
  }
  const decodeS = (performance.now() - t0) / 1000;
  const decodeCpuS = cpuSince(c0);
  disposeCache(cache);
  return {
    prefill: PROMPT / prefillS,
    decode: newTokens / decodeS,
    prefillCpu: PROMPT / prefillCpuS,
    decodeCpu: newTokens / decodeCpuS,
  };
}

async function profile(model: LanguageModel): Promise<Record<string, unknown>> {
  const byKernel = async (fn: () => void): Promise<Record<string, number>> => {
    const info = await tf.profile(fn);
    const totals = new Map<string, number>();
    for (const k of info.kernels) {
      // Op wrappers (e.g. fusedMatMul__op) are listed besides their kernels: count kernels only.
      if (k.name.includes('__op')) continue;
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      totals.set(k.name, (totals.get(k.name) ?? 0) + ms);
    }
    return Object.fromEntries([...totals].sort((x, y) => y[1] - x[1]).map(([n, ms]) => [n, Math.round(ms * 100) / 100]));
  };
  const ids = promptIds(PROMPT, 99);
  const prefill = await byKernel(() => {
    const r = model.forward([ids], null);
    r.logits.dispose();
    disposeCache(r.cache);
  });
  const base = model.forward([ids], null);
  base.logits.dispose();
  const decode = await byKernel(() => {
    const r = model.forward([[42]], base.cache);
    r.logits.dispose();
    disposeCache(r.cache);
  });
  disposeCache(base.cache);
  return { prefillMsByKernel: prefill, decodeStepMsByKernel: decode };
}

async function main(): Promise<void> {
  const backend = await initBackend(process.env.INKWELL_BACKEND);
  const t0 = performance.now();
  const model = await loadBenchModel(CONFIG, THREADS);
  const loadMs = performance.now() - t0;
  // Warm-up: first use of each weight packs it for XNNPACK; not part of steady-state speed.
  run(model, 0, 4);
  const results = Array.from({ length: RUNS }, (_, r) => run(model, r + 1, NEW_TOKENS));
  const out: Record<string, unknown> = {
    backend: backend.name,
    device: backend.device,
    model: { ...CONFIG, parameters: parameterCount(CONFIG) },
    threads: THREADS,
    runs: RUNS,
    promptTokens: PROMPT,
    newTokens: NEW_TOKENS,
    loadMs: Math.round(loadMs),
    prefillTokPerS: stats(results.map((r) => r.prefill)),
    decodeTokPerS: stats(results.map((r) => r.decode)),
    // The same rates per CPU-second of this process: on a shared machine these are the stable ones.
    prefillTokPerCpuS: stats(results.map((r) => r.prefillCpu)),
    decodeTokPerCpuS: stats(results.map((r) => r.decodeCpu)),
    loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    numTensors: tf.memory().numTensors,
  };
  if (PROFILE) out.profile = await profile(model);
  model.dispose();
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
