import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { AlternativeText, generate, planPrompt, type GenerateOptions } from '../../../main/engine/generate';
import { makeCache } from '../../../main/engine/kv-cache';
import { Gpt2Tokenizer } from '../../../main/engine/tokenizer';
import { loadModelFolder } from '../../../main/engine/model-loader';
import type { GPT2Config, KVCache, LanguageModel, StreamDecoder, TextTokenizer } from '../../../main/engine/types';

const TINY = path.resolve('tests/fixtures/models/tiny');
const V = 50257;
const EOS = 50256;

/**
 * A scripted model with real tensors and a real-shaped cache: the cache holds
 * the token ids themselves, and the logits favour script(tokens so far)
 * (logit 10) over the next id (9) over everything else (0).
 */
class ScriptModel implements LanguageModel {
  readonly config: GPT2Config;
  calls: { rows: number; tokens: number; cached: number; ids: number[][] }[] = [];
  nan = false;
  delayMs = 0;

  constructor(
    private readonly script: (tokens: readonly number[]) => number,
    nPositions = 64,
  ) {
    this.config = { nLayer: 1, nHead: 1, nEmbd: 1, nPositions, vocabSize: V, layerNormEpsilon: 1e-5 };
  }

  forward(ids: readonly (readonly number[])[], cache: KVCache | null): { logits: tf.Tensor; cache: KVCache } {
    const B = ids.length;
    const T = ids[0].length;
    const P = cache?.length ?? 0;
    if (P + T > this.config.nPositions) throw new Error(`script model: ${P} + ${T} positions > ${this.config.nPositions}`);
    if (cache && cache.batch !== B) throw new Error(`script model: cache has ${cache.batch} rows, ids ${B}`);
    this.calls.push({ rows: B, tokens: T, cached: P, ids: ids.map((r) => [...r]) });
    const until = performance.now() + this.delayMs;
    while (performance.now() < until) {
      /* a slow model, for time budgets */
    }
    const past = cache ? Array.from(cache.layers[0].k.dataSync()) : [];
    const rows = ids.map((row, b) => [...past.slice(b * P, (b + 1) * P), ...row]);
    const logits = new Float32Array(B * V);
    rows.forEach((r, b) => {
      const next = this.script(r);
      logits[b * V + next] = 10;
      logits[b * V + ((next + 1) % V)] = 9;
      if (this.nan) logits[b * V + 5] = NaN;
    });
    const k = tf.tensor4d(rows.flat(), [B, 1, P + T, 1]);
    return { logits: tf.tensor2d(logits, [B, V]), cache: makeCache([{ k, v: k.clone() }]) };
  }

  dispose(): void {}
}

let tok: TextTokenizer;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tok = await Gpt2Tokenizer.fromFiles(path.join(TINY, 'vocab.json'), path.join(TINY, 'merges.txt'));
});

/** A script that writes `text` after a prompt of `promptLength` tokens, then EOS. */
function writes(text: string, promptLength: number): (tokens: readonly number[]) => number {
  const target = tok.encode(text);
  return (tokens) => target[tokens.length - promptLength] ?? EOS;
}

async function run(model: LanguageModel, prompt: string, options: GenerateOptions, signal?: AbortSignal) {
  const pieces: string[][] = [];
  const result = await generate(model, tok, tok.encode(prompt), options, {
    signal,
    onToken: (alt, _id, text) => (pieces[alt] ??= []).push(text),
  });
  return { result, pieces };
}

describe('planPrompt', () => {
  test.for([
    // [prompt length, nPositions, maxTokens] -> [kept, truncated, maxNew]
    [[10, 64, 10], [10, 0, 10]],
    [[54, 64, 10], [54, 0, 10]],
    // cut in whole chunks of 64 / 16 = 4 tokens
    [[55, 64, 10], [51, 4, 10]],
    [[58, 64, 10], [54, 4, 10]],
    [[59, 64, 10], [51, 8, 10]],
    [[100_000, 64, 10], [52, 99_948, 10]],
    // GPT-2's 1024 positions (chunks of 64), 24 new tokens: prompts of 1023, 1024, 1025 tokens
    [[1000, 1024, 24], [1000, 0, 24]],
    [[1023, 1024, 24], [959, 64, 24]],
    [[1024, 1024, 24], [960, 64, 24]],
    [[1025, 1024, 24], [961, 64, 24]],
    [[10, 64, 64], [1, 9, 63]],
    [[10, 64, 1024], [1, 9, 63]],
    [[0, 64, 10], [0, 0, 10]],
  ] as const)('%j', ([[len, nPos, max], [kept, truncated, maxNew]]) => {
    const ids = Array.from({ length: len }, (_, i) => i % 1000);
    const plan = planPrompt(ids, EOS, nPos, max);
    expect([plan.promptTokens, plan.truncated, plan.maxNew]).toEqual([kept, truncated, maxNew]);
    expect(plan.ids.length + plan.maxNew).toBeLessThanOrEqual(nPos);
    expect(plan.promptTokens).toBeLessThanOrEqual(Math.max(0, nPos - plan.maxNew));
    if (len > 0) expect(plan.ids).toEqual(ids.slice(ids.length - kept));
    else expect(plan.ids).toEqual([EOS]);
  });
});

describe('AlternativeText', () => {
  /** A decoder over a fixed list of pieces, one per "token". */
  const fake = (pieces: string[]): StreamDecoder => ({ push: (i) => pieces[i], flush: () => '' });
  test.for([
    // pieces, stops -> emitted chunks, final text, stopped
    [['Hello', ' world', '.\n', '\nNext'], ['\n\n'], ['Hello', ' world', '.'], 'Hello world.', true],
    [['Hello', ' wor', 'ld.', ' x'], ['ld.'], ['Hello', ' wor'], 'Hello wor', true],
    [['Hello', ' worl', 'd.', ' x'], ['ld.'], ['Hello', ' wor'], 'Hello wor', true],
    [['Hello', ' worl', 'd!'], ['ld.'], ['Hello', ' wor', 'ld!'], 'Hello world!', false],
    [['a\n', 'b'], ['\n\n'], ['a', '\nb'], 'a\nb', false],
    [['abc'], [], ['abc'], 'abc', false],
    [['STO', 'P!'], ['STOP'], ['', ''], '', true],
  ] as const)('%j stops %j', ([pieces, stops, chunks, text, stopped]) => {
    const view = new AlternativeText(fake([...pieces]), [...stops]);
    const out = pieces.map((_, i) => view.push(i));
    out.push(view.finish());
    expect(out.filter((s) => s !== '')).toEqual(chunks.filter((s) => s !== ''));
    expect(out.join('')).toBe(text);
    expect(view.text).toBe(text);
    expect(view.stopped).toBe(stopped);
  });
});

describe('generate (scripted model)', () => {
  test('greedy follows the model, ends on EOS, streams exactly the final text', async () => {
    const prompt = 'Once upon a time';
    const model = new ScriptModel(writes(' there was a cat.', tok.encode(prompt).length));
    const { result, pieces } = await run(model, prompt, { greedy: true, maxTokens: 30 });
    expect(result.reason).toBe('eos');
    expect(result.alternatives[0].text).toBe(' there was a cat.');
    expect(result.alternatives[0].ids).toEqual(tok.encode(' there was a cat.'));
    expect(pieces[0].join('')).toBe(' there was a cat.');
    // One prefill of the whole prompt, then one token per step.
    expect(model.calls[0]).toMatchObject({ rows: 1, tokens: tok.encode(prompt).length, cached: 0 });
    expect(model.calls.slice(1).every((c) => c.tokens === 1)).toBe(true);
  });

  test.for([
    // [model wants, options, reason, new tokens]
    ['token 11', { maxTokens: 3 }, 'length', 3],
    ['EOS', { maxTokens: 30 }, 'eos', 0],
    ['EOS', { maxTokens: 30, minTokens: 4 }, 'eos', 4],
    ['EOS', { maxTokens: 2, minTokens: 4 }, 'length', 2],
  ] as const)('model wants %s, %j: ends with %s after %i tokens', async ([wants, options, reason, count]) => {
    // With EOS suppressed by minTokens, the scripted model's next best token (0) comes instead.
    const model = new ScriptModel(() => (wants === 'EOS' ? EOS : 11));
    const { result } = await run(model, 'Hi', { greedy: true, ...options });
    expect(result.reason).toBe(reason);
    expect(result.alternatives[0].ids).toHaveLength(count);
  });

  test('stop strings end the text before them, spanning tokens, and are never streamed', async () => {
    const prompt = 'Title';
    const p = tok.encode(prompt).length;
    const { result, pieces } = await run(new ScriptModel(writes('\nHello world.\n\nMore text', p)), prompt, { greedy: true, stop: ['\n\n', 'xyz'] });
    expect(result.reason).toBe('stop');
    expect(result.alternatives[0].text).toBe('\nHello world.');
    expect(pieces[0].join('')).toBe('\nHello world.');
    const spanning = await run(new ScriptModel(writes(' Hello world. Bye', p)), prompt, { greedy: true, stop: ['ld. B'] });
    expect(spanning.result.alternatives[0].text).toBe(' Hello wor');
    expect(spanning.pieces[0].join('')).toBe(' Hello wor');
  });

  test('streaming never splits a multi-byte character', async () => {
    const text = ' smile 🙂 and 漢字 done';
    const prompt = 'A';
    const { result, pieces } = await run(new ScriptModel(writes(text, 1)), prompt, { greedy: true, maxTokens: 40 });
    expect(result.alternatives[0].text).toBe(text);
    expect(pieces[0].join('')).toBe(text);
    expect(pieces[0].some((s) => s.includes('\uFFFD'))).toBe(false);
  });

  test('an abort between tokens resolves with what was generated and reason aborted', async () => {
    const controller = new AbortController();
    let seen = 0;
    const result = await generate(new ScriptModel(() => 11), tok, tok.encode('Hi'), { greedy: true, maxTokens: 40 }, {
      signal: controller.signal,
      onToken: () => {
        if (++seen === 3) controller.abort();
      },
    });
    expect(result.reason).toBe('aborted');
    expect(result.alternatives[0].ids).toHaveLength(3);
    const pre = new AbortController();
    pre.abort();
    const early = await generate(new ScriptModel(() => 11), tok, tok.encode('Hi'), {}, { signal: pre.signal });
    expect(early).toMatchObject({ reason: 'aborted', alternatives: [{ ids: [], text: '' }] });
  });

  test('a time budget ends the run with reason time', async () => {
    const model = new ScriptModel(() => 11);
    model.delayMs = 20;
    const { result } = await run(model, 'Hi', { greedy: true, maxTokens: 200, timeBudgetMs: 60 });
    expect(result.reason).toBe('time');
    expect(result.alternatives[0].ids.length).toBeLessThan(20);
  });

  test('long prompts are cut from the left and never overflow the context', async () => {
    const model = new ScriptModel(() => 11, 64);
    const ids = Array.from({ length: 100 }, (_, i) => 100 + i);
    const result = await generate(model, tok, ids, { greedy: true, maxTokens: 10 });
    expect(result).toMatchObject({ truncatedPromptTokens: 48, promptTokens: 52, reason: 'length' });
    expect(model.calls[0].ids[0]).toEqual(ids.slice(48));
    // max tokens beyond the context is capped, the model never sees more than 64 positions
    const big = await generate(new ScriptModel(() => 11, 64), tok, ids, { greedy: true, maxTokens: 1024 });
    expect(big.alternatives[0].ids).toHaveLength(63);
  });

  test('an empty prompt starts from EOS', async () => {
    const model = new ScriptModel(() => 11);
    const result = await generate(model, tok, [], { greedy: true, maxTokens: 2 });
    expect(model.calls[0].ids).toEqual([[EOS]]);
    expect(result.promptTokens).toBe(0);
  });

  test('n alternatives run as one batch from a single prefill; seeded runs repeat', async () => {
    const model = new ScriptModel(() => 11);
    const a = await generate(model, tok, tok.encode('Hi'), { n: 3, maxTokens: 8, seed: 7, temperature: 1 });
    expect(model.calls[0].rows).toBe(1);
    expect(model.calls[1].rows).toBe(3);
    expect(a.alternatives).toHaveLength(3);
    const b = await generate(new ScriptModel(() => 11), tok, tok.encode('Hi'), { n: 3, maxTokens: 8, seed: 7, temperature: 1 });
    expect(b.alternatives).toEqual(a.alternatives);
    const c = await generate(new ScriptModel(() => 11), tok, tok.encode('Hi'), { n: 3, maxTokens: 8, seed: 8, temperature: 1 });
    expect(c.alternatives).not.toEqual(a.alternatives);
  });

  test('finished alternatives leave the batch', async () => {
    // Alternatives that sampled token 12 end at once (EOS next); the rest continue.
    const model = new ScriptModel((t) => (t[t.length - 1] === 12 ? EOS : 11));
    const result = await generate(model, tok, tok.encode('Hi'), { n: 6, maxTokens: 6, seed: 3, temperature: 1, topK: 2 });
    const lengths = result.alternatives.map((a) => a.ids.length);
    expect(Math.min(...lengths)).toBeLessThan(6);
    const rows = model.calls.slice(1).map((c) => c.rows);
    expect(rows[rows.length - 1]).toBeLessThan(6);
  });

  test('NaN logits are an error, not random tokens', async () => {
    const model = new ScriptModel(() => 11);
    model.nan = true;
    await expect(generate(model, tok, tok.encode('Hi'), { maxTokens: 3 })).rejects.toThrow(/NaN/);
  });

  test('numTensors is flat across 100 generations', async () => {
    const model = new ScriptModel(() => 11);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) await generate(model, tok, tok.encode('Hi there'), { n: 1 + (i % 3), maxTokens: 3, seed: i });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('generate (tiny GPT-2)', () => {
  test('greedy decoding matches the PyTorch reference (an empty prompt starts from EOS)', async () => {
    const ref = JSON.parse(readFileSync('tests/fixtures/reference/tiny.json', 'utf8')) as { cases: { ids: number[]; greedy: number[] }[] };
    const loaded = await loadModelFolder(TINY);
    try {
      for (const c of ref.cases) {
        const prompt = c.ids.length === 1 && c.ids[0] === EOS ? [] : c.ids;
        const out = await generate(loaded.model, loaded.tokenizer, prompt, { greedy: true, maxTokens: c.greedy.length });
        const expected = c.greedy.slice(0, c.greedy.includes(EOS) ? c.greedy.indexOf(EOS) : undefined);
        expect(out.alternatives[0].ids).toEqual(expected);
      }
    } finally {
      loaded.model.dispose();
    }
  });

  test('seeded sampling repeats; memory flat across 100 generations', async () => {
    const loaded = await loadModelFolder(TINY);
    try {
      const ids = loaded.tokenizer.encode('The weather today is');
      const opts: GenerateOptions = { maxTokens: 6, seed: 42, temperature: 0.9, topK: 40, n: 2 };
      const a = await generate(loaded.model, loaded.tokenizer, ids, opts);
      const b = await generate(loaded.model, loaded.tokenizer, ids, opts);
      expect(b.alternatives).toEqual(a.alternatives);
      expect(a.alternatives[0].ids).toHaveLength(6);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 100; i++) await generate(loaded.model, loaded.tokenizer, ids, { maxTokens: 2, seed: i, n: 1 + (i % 2) });
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      loaded.model.dispose();
    }
  });
});
