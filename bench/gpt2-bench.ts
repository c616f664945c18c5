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
import { GPT2 } from '../main/engine/gpt2';
import { expectedTensors, type SourceTensor } from '../main/engine/gpt2-weights';
import { disposeCache } from '../main/engine/kv-cache';
import type { GPT2Config, KVCache } from '../main/engine/types';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = flag('runs', 5);
const PROMPT = flag('prompt', 128);
const NEW_TOKENS = flag('new', 128);
const PROFILE = args.includes('--profile');

const CONFIG: GPT2Config = {
  nLayer: flag('layers', 12),
  nHead: 12,
  nEmbd: 768,
  nPositions: 1024,
  vocabSize: 50257,
  layerNormEpsilon: 1e-5,
};

/** Deterministic uniform weights with GPT-2's init std (0.02); LayerNorm weights at 1. */
function randomWeights(config: GPT2Config, seed: number): Map<string, SourceTensor> {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const half = 0.02 * Math.sqrt(3); // uniform on [-half, half] has std 0.02
  const out = new Map<string, SourceTensor>();
  for (const [name, shape] of expectedTensors(config)) {
    const data = new Float32Array(shape.reduce((x, y) => x * y, 1));
    if (/ln_.*\.weight$/.test(name)) data.fill(1);
    else for (let i = 0; i < data.length; i++) data[i] = (2 * next() - 1) * half;
    out.set(`transformer.${name}`, { shape, data });
  }
  return out;
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((x, y) => x - y);
  const round = (x: number): number => Math.round(x * 10) / 10;
  return { median: round(s[Math.floor(s.length / 2)]), min: round(s[0]), max: round(s[s.length - 1]) };
}

function promptIds(n: number, offset: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + offset * 104729 + 13) % 50257);
}

/** CPU seconds of this process (user + system) since `start`; unlike wall time, other processes' load barely moves it. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

interface RunRates {
  prefill: number;
  decode: number;
  prefillCpu: number;
  decodeCpu: number;
}

/** One prefill + `newTokens` greedy decode steps; tokens/s by wall clock and by CPU time. */
function run(model: GPT2, offset: number, newTokens: number): RunRates {
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

async function profile(model: GPT2): Promise<Record<string, unknown>> {
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
  const model = GPT2.fromTensors(CONFIG, randomWeights(CONFIG, 124), 'random GPT-2 124M', { consume: true });
  const loadMs = performance.now() - t0;
  // Warm-up: first use of each weight packs it for XNNPACK; not part of steady-state speed.
  run(model, 0, 4);
  const results = Array.from({ length: RUNS }, (_, r) => run(model, r + 1, NEW_TOKENS));
  const out: Record<string, unknown> = {
    backend: backend.name,
    device: backend.device,
    model: { ...CONFIG, parameters: model.parameterCount },
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
