import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { main, type Io } from '../../main/cli';
import { scoreIds } from '../../main/cli/score';
import { makeCache } from '../../main/engine/kv-cache';
import { initBackend } from '../../main/engine/backend';
import { loadModelFolder } from '../../main/engine/model-loader';
import type { KVCache, LanguageModel } from '../../main/engine/types';

const TINY = path.resolve('tests/fixtures/models/tiny');
const REF = JSON.parse(readFileSync('tests/fixtures/reference/tiny.json', 'utf8')) as {
  cases: { ids: number[]; nllSum: number; greedy: number[] }[];
};

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => void (out += t), stderr: (t) => void (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}

let dir: string;
beforeAll(async () => {
  process.env.INKWELL_BACKEND = 'cpu';
  dir = await mkdtemp(path.join(os.tmpdir(), 'inkwell-cli-'));
});
afterAll(async () => {
  delete process.env.INKWELL_BACKEND;
  await rm(dir, { recursive: true, force: true });
});

describe('command line errors', () => {
  test.for([
    [[], 2, /Usage/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['tokenize', '--model', TINY, '--text', 'x', '--bogus'], 2, /bogus/],
    [['tokenize', '--text', 'x'], 2, /--model is required/],
    [['tokenize', '--model', TINY], 2, /exactly one of --text or --file/],
    [['detokenize', '--model', TINY, '--ids', '1,x'], 2, /'x' is not a token id/],
    [['detokenize', '--model', TINY, '--ids', '99999'], 2, /not a token id/],
    [['generate', '--model', TINY, '--prompt', 'a', '--max-tokens', 'ten'], 2, /--max-tokens must be an integer/],
    [['generate', '--model', TINY, '--prompt', 'a', '--temperature', '-1'], 2, /temperature/],
    [['generate', '--model', TINY, '--prompt', 'a', '--top-p', 'NaN'], 2, /--top-p must be a number/],
    [['generate', '--model', TINY, '--prompt', 'a', '--greedy', '--seed', '3'], 2, /--greedy cannot be combined with --seed/],
    [['generate', '--model', TINY, '--prompt', 'a', '--beams', '2', '--n', '3'], 2, /--n 3 is more than --beams 2/],
    [['generate', '--model', TINY], 2, /--prompt is required/],
    [['generate', '--model', '/nonexistent/model', '--prompt', 'a'], 1, /nonexistent/],
    [['score', '--model', TINY, '--text', 'Hi'], 1, /at least 2/],
    [['tokenize', '--model', TINY, '--file', '/nonexistent/file.txt'], 1, /cannot read/],
  ] as const)('%j exits %i', async ([argv, code, message]) => {
    const r = await cli(...argv);
    expect(r.code).toBe(code);
    expect(code === 2 && argv.length === 0 ? r.out : r.err).toMatch(message);
  });

  test('--help prints the usage and exits 0', async () => {
    for (const argv of [['--help'], ['generate', '--help']]) {
      const r = await cli(...argv);
      expect(r.code).toBe(0);
      expect(r.out).toContain('inkwell generate --model DIR --prompt T');
    }
  });
});

describe('tokenize / detokenize', () => {
  test('round trip through ids, from --text and --file', async () => {
    const r = await cli('tokenize', '--model', TINY, '--text', 'Hello world', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ ids: [15496, 995] });
    const file = path.join(dir, 'in.txt');
    await writeFile(file, 'Hello world');
    expect((await cli('tokenize', '--model', TINY, '--file', file)).out).toBe('15496 995\n');
    const d = await cli('detokenize', '--model', TINY, '--ids', '15496,995');
    expect(d).toMatchObject({ code: 0, out: 'Hello world\n' });
  });
});

describe('score', () => {
  test('matches the PyTorch reference NLL within 1e-4 relative', async () => {
    const relErr = (got: number, c: { ids: number[]; nllSum: number }) => Math.abs(got - c.nllSum / (c.ids.length - 1)) / (c.nllSum / (c.ids.length - 1));
    // Every reference sequence, scored from its ids.
    await initBackend('cpu');
    const loaded = await loadModelFolder(TINY);
    try {
      for (const c of REF.cases.filter((x) => x.ids.length >= 2)) {
        const r = await scoreIds(loaded.model, c.ids);
        expect(r.tokens).toBe(c.ids.length);
        expect(relErr(r.nll, c)).toBeLessThan(1e-4);
      }
    } finally {
      loaded.model.dispose();
    }
    // The command end to end, on a text whose tokens are the first reference sequence.
    const c = REF.cases[0];
    const text = (await cli('detokenize', '--model', TINY, '--ids', c.ids.join(','))).out.slice(0, -1);
    const file = path.join(dir, 'score.txt');
    await writeFile(file, text);
    const r = await cli('score', '--model', TINY, '--file', file, '--json');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out) as { tokens: number; nll: number; perplexity: number };
    expect(got.tokens).toBe(c.ids.length);
    expect(relErr(got.nll, c)).toBeLessThan(1e-4);
    expect(got.perplexity).toBeCloseTo(Math.exp(got.nll), 6);
  });

  /** logits depend on the current token only, so any windowing must give the plain bigram sum. */
  class BigramModel implements LanguageModel {
    readonly config = { nLayer: 1, nHead: 1, nEmbd: 1, nPositions: 8, vocabSize: 5, layerNormEpsilon: 1e-5 };
    seen: number[] = [];
    row = (id: number): number[] => [0, 1, 2, 3, 4].map((j) => Math.sin(id * 5 + j));
    forward(ids: readonly (readonly number[])[], _c: KVCache | null, o?: { allPositions?: boolean }) {
      this.seen.push(ids[0].length);
      expect(o?.allPositions).toBe(true);
      const k = tf.zeros([1, 1, ids[0].length, 1]) as tf.Tensor4D;
      return { logits: tf.tensor3d([ids[0].map(this.row)]), cache: makeCache([{ k, v: k.clone() }]) };
    }
    dispose(): void {}
  }

  test.for([[5], [20], [21], [3]] as const)('sliding windows score each of %i tokens once', async ([n]) => {
    const model = new BigramModel();
    const ids = Array.from({ length: n }, (_, i) => (i * 3 + 1) % 5);
    let expected = 0;
    for (let t = 1; t < n; t++) {
      const row = model.row(ids[t - 1]);
      const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
      expected += lse - row[ids[t]];
    }
    const before = tf.memory().numTensors;
    const r = await scoreIds(model, ids);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.nll).toBeCloseTo(expected / (n - 1), 5);
    expect(model.seen.every((len) => len <= 8)).toBe(true);
    if (n > 8) expect(model.seen.length).toBe(Math.ceil((n - 8) / 4) + 1);
  });
});

describe('generate', () => {
  test('--greedy --json gives the reference continuation; --n gives an array', async () => {
    const c = REF.cases[0];
    const prompt = (await cli('detokenize', '--model', TINY, '--ids', c.ids.join(','))).out.slice(0, -1);
    const r = await cli('generate', '--model', TINY, '--prompt', prompt, '--greedy', '--max-tokens', '5', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).ids).toEqual(c.greedy.slice(0, 5));
    // Without --json the text streams out token by token, and is the same text.
    let writes = 0;
    let plain = '';
    const code = await main(['generate', '--model', TINY, '--prompt', prompt, '--greedy', '--max-tokens', '5'], {
      stdout: (t) => {
        writes++;
        plain += t;
      },
      stderr: () => undefined,
    });
    expect(code).toBe(0);
    expect(plain).toBe(JSON.parse(r.out).text + '\n');
    expect(writes).toBeGreaterThan(2);
    const many = await cli('generate', '--model', TINY, '--prompt', prompt, '--max-tokens', '3', '--n', '2', '--seed', '1', '--json');
    const outs = JSON.parse(many.out) as { ids: number[]; text: string }[];
    expect(outs).toHaveLength(2);
    expect(outs[0].ids).toHaveLength(3);
    const beams = await cli('generate', '--model', TINY, '--prompt', prompt, '--beams', '3', '--no-repeat-ngram', '2', '--max-tokens', '4');
    expect(beams.code).toBe(0);
    expect(beams.out.length).toBeGreaterThan(1);
  });

  test('info names the backend and the skipped ones', async () => {
    const r = await cli('info', '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out) as { name: string; skipped: unknown[] };
    expect(info.name).toBe('cpu');
    expect((await cli('info')).out).toMatch(/^backend: cpu/);
  });
});

test('bin/inkwell.mjs without a build says to run npm run build', async () => {
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  await copyFile('bin/inkwell.mjs', path.join(bin, 'inkwell.mjs'));
  const r = spawnSync(process.execPath, [path.join(bin, 'inkwell.mjs'), '--help'], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/npm run build/);
});

describe.skipIf(!existsSync('dist/main/cli.js'))('the built CLI', () => {
  test('bin/inkwell.mjs runs dist/main/cli.js', () => {
    const ok = spawnSync(process.execPath, ['bin/inkwell.mjs', '--help'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('Usage');
    const bad = spawnSync(process.execPath, ['bin/inkwell.mjs', 'tokenize', '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/nope/);
  });
});
