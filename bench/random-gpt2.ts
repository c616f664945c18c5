/**
 * GPT-2 124M's shapes with seeded random weights, built in memory (no file, no
 * download), shared by the benchmarks. Speed does not depend on the values, so
 * uniform weights with GPT-2's init std stand in for a real checkpoint.
 */
import type { SourceTensor } from '../main/engine/gpt2-weights';
import { expectedTensors } from '../main/engine/gpt2-weights';
import type { GPT2Config } from '../main/engine/types';

/** GPT-2 124M (12 layers, 12 heads, 768 wide, 1024 positions, 50257 tokens); `nLayer` may be cut for quick runs. */
export function gpt2SmallConfig(nLayer = 12): GPT2Config {
  return { nLayer, nHead: 12, nEmbd: 768, nPositions: 1024, vocabSize: 50257, layerNormEpsilon: 1e-5 };
}

/** Deterministic uniform weights with GPT-2's init std (0.02); LayerNorm weights at 1. */
export function randomWeights(config: GPT2Config, seed: number): Map<string, SourceTensor> {
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

/** Median, min and max, rounded to 0.1. */
export function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((x, y) => x - y);
  const round = (x: number): number => Math.round(x * 10) / 10;
  return { median: round(s[Math.floor(s.length / 2)]), min: round(s[0]), max: round(s[s.length - 1]) };
}

/** The value below which `q` (0..1) of the samples lie (nearest rank), rounded to 0.1. */
export function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((x, y) => x - y);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return Math.round(s[i] * 10) / 10;
}

/** CPU seconds of this process (user + system) since `start`; unlike wall time, other processes' load barely moves it. */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}
