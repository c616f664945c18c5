import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../../main/engine/backend';
import { disposeCache } from '../../../main/engine/kv-cache';
import { loadModelFolder } from '../../../main/engine/model-loader';
import { encodeSafetensors, readSafetensors } from '../../../main/engine/safetensors';

const TINY = path.resolve('tests/fixtures/models/tiny');
const REFERENCE = JSON.parse(readFileSync('tests/fixtures/reference/tiny.json', 'utf8')) as {
  cases: { ids: number[]; lastArgmax: number }[];
};

let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-loader-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let counter = 0;
/** A model folder in tmp: the tiny fixture's files (symlinked), minus `drop`, plus `extra` (name → contents). */
async function folder(opts: { drop?: string[]; extra?: Record<string, string | Uint8Array>; config?: Record<string, unknown> } = {}): Promise<string> {
  const dir = path.join(tmp, `m${counter++}`);
  await fs.mkdir(dir);
  for (const name of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'generation_config.json']) {
    if (opts.drop?.includes(name) || opts.extra?.[name] !== undefined) continue;
    await fs.symlink(path.join(TINY, name), path.join(dir, name));
  }
  if (opts.config) {
    const base = JSON.parse(readFileSync(path.join(TINY, 'config.json'), 'utf8')) as Record<string, unknown>;
    await fs.rm(path.join(dir, 'config.json'), { force: true });
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...base, ...opts.config }));
  }
  for (const [name, body] of Object.entries(opts.extra ?? {})) await fs.writeFile(path.join(dir, name), body);
  return dir;
}

function argmaxOf(t: tf.Tensor): number {
  const d = t.dataSync();
  let best = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[best]) best = i;
  return best;
}

describe('loadModelFolder', () => {
  test.for(['tiny', 'tiny-noprefix', 'tiny-f16', 'tiny-untied'])('loads the %s fixture and it predicts like the reference', async (name) => {
    const loaded = await loadModelFolder(path.resolve('tests/fixtures/models', name));
    expect(loaded.name).toBe(name);
    expect(loaded.config).toMatchObject({ nLayer: 2, nHead: 4, nEmbd: 64, nPositions: 128, vocabSize: 50257, activation: 'gelu_new' });
    expect(loaded.generationConfig).toMatchObject({ eos_token_id: 50256 });
    expect(loaded.tokenizer.eosId).toBe(50256);
    expect(loaded.tokenizer.encode('Hello, world!')).toEqual(REFERENCE.cases[3].ids);
    const { logits, cache } = loaded.model.forward([REFERENCE.cases[0].ids], null);
    expect(argmaxOf(logits)).toBe(REFERENCE.cases[0].lastArgmax);
    logits.dispose();
    disposeCache(cache);
    loaded.model.dispose();
  });

  test('generation_config.json is optional', async () => {
    const loaded = await loadModelFolder(await folder({ drop: ['generation_config.json'] }));
    expect(loaded.generationConfig).toEqual({});
    loaded.model.dispose();
  });

  test.for([
    { what: 'a missing folder', make: async () => path.join(tmp, 'nope'), err: /nope: model folder not found/ },
    { what: 'a file instead of a folder', make: async () => path.join(await folder(), 'vocab.json'), err: /vocab\.json: not a folder/ },
    { what: 'missing vocab and merges', make: () => folder({ drop: ['vocab.json', 'merges.txt'] }), err: /missing vocab\.json, merges\.txt/ },
    { what: 'missing config and weights', make: () => folder({ drop: ['config.json', 'model.safetensors'] }), err: /missing config\.json, model\.safetensors/ },
    {
      what: 'pytorch_model.bin alone',
      make: () => folder({ drop: ['model.safetensors'], extra: { 'pytorch_model.bin': 'PK\x03\x04 not really' } }),
      err: /pytorch_model\.bin but no model\.safetensors.*loading a pickle can run any code.*safe_serialization=True/,
    },
    {
      what: 'a sharded checkpoint',
      make: () => folder({ drop: ['model.safetensors'], extra: { 'model.safetensors.index.json': '{}', 'model-00001-of-00002.safetensors': '' } }),
      err: /sharded checkpoint/,
    },
    { what: 'a bad config', make: () => folder({ config: { n_head: 5 } }), err: /config\.json: n_embd 64 is not divisible by n_head 5/ },
    { what: 'vocab_size above the wte rows', make: () => folder({ config: { vocab_size: 50304 } }), err: /wte\.weight has 50257 rows but config\.json says vocab_size 50304/ },
    { what: 'a tokenizer bigger than vocab_size', make: () => folder({ config: { vocab_size: 50000 } }), err: /vocab\.json has 50257 tokens but config\.json's vocab_size is 50000/ },
    { what: 'n_positions != wpe rows', make: () => folder({ config: { n_positions: 256, n_ctx: 256 } }), err: /wpe\.weight has 128 rows but config\.json says n_positions 256/ },
    { what: 'more layers than the file holds', make: () => folder({ config: { n_layer: 3 } }), err: /missing tensors h\.2\.ln_1\.weight, .* and 7 more/ },
    {
      what: 'model.safetensors that is a folder',
      make: async () => {
        const d = await folder({ drop: ['model.safetensors'] });
        await fs.mkdir(path.join(d, 'model.safetensors'));
        return d;
      },
      err: /not a regular file/,
    },
    { what: 'a broken generation_config.json', make: () => folder({ extra: { 'generation_config.json': '{"eos_token_id": 50256,}' } }), err: /generation_config\.json: not valid JSON/ },
    { what: 'a huge config.json', make: () => folder({ extra: { 'config.json': ' '.repeat(2_000_000) } }), err: /config\.json: 2000000 bytes; expected a small JSON file/ },
  ])('refuses $what with a clear error', async ({ make, err }) => {
    const dir = await make();
    const before = tf.memory().numTensors;
    await expect(loadModelFolder(dir)).rejects.toThrow(err);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('NaN in one ln_f element is refused, naming the tensor and the file', async () => {
    const { tensors } = await readSafetensors(path.join(TINY, 'model.safetensors'));
    const lnf = tensors.get('transformer.ln_f.weight')!;
    const bad = Float32Array.from(lnf.data);
    bad[3] = NaN;
    const out = new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: k === 'transformer.ln_f.weight' ? bad : t.data }]));
    const dir = await folder({ extra: { 'model.safetensors': encodeSafetensors(out) } });
    const before = tf.memory().numTensors;
    await expect(loadModelFolder(dir)).rejects.toThrow(/model\.safetensors: tensor transformer\.ln_f\.weight holds NaN at flat index 3/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
