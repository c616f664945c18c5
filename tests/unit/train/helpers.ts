// Shared helpers for the training tests: a small random GPT-2 and a temp folder.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../../../main/engine/rng';
import type { ModelConfig } from '../../../main/engine/model-config';
import { ParamStore, parameterList } from '../../../main/engine/train/params';
import type { TrainOptions } from '../../../main/engine/train/run-options';

export const MICRO: ModelConfig = { nLayer: 2, nHead: 2, nEmbd: 8, nPositions: 16, vocabSize: 11, layerNormEpsilon: 1e-5, activation: 'gelu_new' };

/** Weights ~ N(0, 0.3²)-ish (uniform), LayerNorm gains near 1: big enough that every gradient is visible. */
export function randomStore(config: ModelConfig, seed: number, tied = true): ParamStore {
  const rng = createRng(seed);
  const data = new Map<string, Float32Array>();
  for (const info of parameterList(config, tied)) {
    const n = info.shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n);
    const gain = /ln_.*weight/.test(info.name);
    for (let i = 0; i < n; i++) d[i] = (gain ? 1 : 0) + (rng() - 0.5) * 1.2;
    data.set(info.name, d);
  }
  return new ParamStore(config, tied, data);
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inkwell-train-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const SENTENCES = [
  'The lighthouse keeper counted the ships as they passed the northern rocks.',
  'Every evening the fog rolled in from the sea and covered the harbour.',
  'Margaret wrote letters to her brother, who never answered any of them.',
  'The old dog slept by the stove while the kettle sang its quiet song.',
  'In the morning the fishermen mended their nets and talked about the weather.',
  'She kept a notebook of every storm, with the date and the height of the waves.',
  'Nobody in the village remembered who had built the lighthouse.',
  'The lamp turned slowly, and its beam swept across the dark water.',
];

/** Prose of a small closed vocabulary: learnable in a few dozen steps by a tiny model. */
export function storyText(paragraphs: number, seed: number): string {
  const rng = createRng(seed);
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const n = 3 + Math.floor(rng() * 3);
    out.push(Array.from({ length: n }, () => SENTENCES[Math.floor(rng() * SENTENCES.length)]).join(' ') + ` (${p})`);
  }
  return out.join('\n\n');
}

/** The tiny fixture model (npm run fixtures). */
export const TINY = path.resolve('tests/fixtures/models/tiny');

/** A temp folder with a 40-paragraph story and the base options of a small run on the tiny model. */
export async function withStory<T>(fn: (dir: string, base: TrainOptions) => Promise<T>): Promise<T> {
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'story.txt');
    await writeFile(file, storyText(40, 1));
    const base: TrainOptions = { modelDir: TINY, dataFiles: [file], outDir: path.join(dir, 'run'), lr: 3e-3, batch: 2, block: 32, sampleEvery: 0, valEvery: 100, maxValBlocks: 4 };
    return fn(dir, base);
  });
}
