import { describe, expect, test } from 'vitest';
import {
  applyProcessors,
  argmax,
  buildProcessors,
  logSoftmax,
  minNewTokens,
  noRepeatNgram,
  normalizeSampling,
  repetitionPenalty,
  sampleToken,
  SamplingError,
  temperature,
  topK,
  topP,
} from '../../../main/engine/sampling';
import { createRng } from '../../../main/engine/rng';
import type { LogitsProcessor } from '../../../main/engine/types';

const row = (...v: number[]): Float32Array => Float32Array.from(v);
const run = (p: LogitsProcessor, logits: number[], tokens: number[] = [], generated = 0): number[] =>
  Array.from(applyProcessors([p], row(...logits), Object.freeze(tokens.slice()), generated));
const NEG = -Infinity;

describe('rng', () => {
  test('same seed, same sequence; different seeds differ; values in [0, 1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });

  test('seeds are reduced to 32 bits; non-finite seeds are refused', () => {
    expect(createRng(2 ** 32 + 5)()).toBe(createRng(5)());
    expect(createRng(5.7)()).toBe(createRng(5)());
    expect(() => createRng(NaN)).toThrow(/finite/);
  });
});

describe('processors', () => {
  const cases: { name: string; p: LogitsProcessor; logits: number[]; tokens?: number[]; generated?: number; want: number[] }[] = [
    { name: 'temperature 0.5 doubles', p: temperature(0.5), logits: [1, -2, 0], want: [2, -4, 0] },
    { name: 'temperature 2 halves', p: temperature(2), logits: [1, -2, 0], want: [0.5, -1, 0] },
    { name: 'topK 2', p: topK(2), logits: [1, 5, 3, 2], want: [NEG, 5, 3, NEG] },
    { name: 'topK keeps ties with the k-th', p: topK(2), logits: [3, 5, 3, 2], want: [3, 5, 3, NEG] },
    { name: 'topK above size is a no-op', p: topK(10), logits: [1, 2], want: [1, 2] },
    { name: 'topK 1', p: topK(1), logits: [1, 2, 9, 4], want: [NEG, NEG, 9, NEG] },
    // probs of [ln .5, ln .3, ln .2] are .5, .3, .2
    { name: 'topP 0.7 keeps .5 and .3', p: topP(0.7), logits: [Math.log(0.5), Math.log(0.3), Math.log(0.2)], want: [Math.fround(Math.log(0.5)), Math.fround(Math.log(0.3)), NEG] },
    { name: 'topP 0.5 keeps .5 only', p: topP(0.5), logits: [Math.log(0.5), Math.log(0.3), Math.log(0.2)], want: [Math.fround(Math.log(0.5)), NEG, NEG] },
    { name: 'topP 0.51 keeps .5 and .3', p: topP(0.51), logits: [Math.log(0.5), Math.log(0.3), Math.log(0.2)], want: [Math.fround(Math.log(0.5)), Math.fround(Math.log(0.3)), NEG] },
    { name: 'topP 0 keeps at least one', p: topP(0), logits: [1, 3, 2], want: [NEG, 3, NEG] },
    { name: 'topP 0 on a flat row keeps one', p: topP(0), logits: [1, 1, 1], want: [1, NEG, NEG] },
    { name: 'topP 1 is a no-op', p: topP(1), logits: [1, 3, 2], want: [1, 3, 2] },
    { name: 'repetition penalty divides positive, multiplies negative, once per token', p: repetitionPenalty(2), logits: [4, -1, 3, 5], tokens: [0, 1, 0, 0, 1], want: [2, -2, 3, 5] },
    { name: 'repetition penalty ignores ids outside the row', p: repetitionPenalty(2), logits: [4], tokens: [7, -1], want: [4] },
    { name: 'no-repeat 2-gram bans the continuation of a seen pair', p: noRepeatNgram(2), logits: [0, 0, 0, 0], tokens: [1, 2, 3, 1], want: [0, 0, NEG, 0] },
    { name: 'no-repeat 3-gram', p: noRepeatNgram(3), logits: [0, 0, 0, 0], tokens: [1, 2, 3, 0, 1, 2], want: [0, 0, 0, NEG] },
    { name: 'no-repeat 3-gram, prefix never seen', p: noRepeatNgram(3), logits: [0, 0, 0, 0], tokens: [1, 2, 3, 2, 1], want: [0, 0, 0, 0] },
    { name: 'no-repeat 1-gram bans every seen token', p: noRepeatNgram(1), logits: [0, 0, 0, 0], tokens: [3, 1], want: [0, NEG, 0, NEG] },
    { name: 'no-repeat, too few tokens', p: noRepeatNgram(4), logits: [0, 0], tokens: [1, 1], want: [0, 0] },
    { name: 'min tokens bans EOS before N', p: minNewTokens(3, 1), logits: [0, 5, 0], generated: 2, want: [0, NEG, 0] },
    { name: 'min tokens allows EOS at N', p: minNewTokens(3, 1), logits: [0, 5, 0], generated: 3, want: [0, 5, 0] },
  ];
  test.for(cases)('$name', ({ p, logits, tokens, generated, want }) => {
    const got = run(p, logits, tokens, generated);
    want.forEach((w, i) => (w === NEG ? expect(got[i]).toBe(NEG) : expect(got[i]).toBeCloseTo(w, 5)));
  });

  test.for(cases)('$name is a pure function of its inputs', ({ p, logits, tokens, generated }) => {
    const t = Object.freeze((tokens ?? []).slice());
    expect(run(p, logits, t as number[], generated)).toEqual(run(p, logits, t as number[], generated));
    expect(t).toEqual(tokens ?? []);
  });

  test('topK on a large row matches sorting', () => {
    const rng = createRng(9);
    const logits = Float32Array.from({ length: 50257 }, () => rng() * 20 - 10);
    const sorted = Array.from(logits).sort((a, b) => b - a);
    const out = applyProcessors([topK(40)], Float32Array.from(logits), [], 0);
    expect(Array.from(out).filter((x) => x !== NEG).sort((a, b) => b - a)).toEqual(sorted.slice(0, 40));
  });

  test('topP on a large row keeps a prefix of the sorted distribution whose mass reaches p', () => {
    const rng = createRng(10);
    const logits = Float32Array.from({ length: 50257 }, () => rng() * 12);
    const out = applyProcessors([topP(0.9)], Float32Array.from(logits), [], 0);
    const probs = Array.from(logits, (l) => Math.exp(l));
    const z = probs.reduce((a, b) => a + b, 0);
    const kept = Array.from(out).map((x, i) => (x === NEG ? -1 : probs[i] / z)).filter((x) => x >= 0).sort((a, b) => b - a);
    const mass = kept.reduce((a, b) => a + b, 0);
    expect(mass).toBeGreaterThanOrEqual(0.9 - 1e-9);
    expect(mass - kept[kept.length - 1]).toBeLessThan(0.9);
    const minKept = kept[kept.length - 1];
    const droppedMax = Math.max(...Array.from(out).map((x, i) => (x === NEG ? probs[i] / z : 0)));
    expect(droppedMax).toBeLessThanOrEqual(minKept);
  });

  test.for([
    { name: 'temperature 0', make: () => temperature(0) },
    { name: 'topK 0', make: () => topK(0) },
    { name: 'topP 1.5', make: () => topP(1.5) },
    { name: 'topP NaN', make: () => topP(NaN) },
    { name: 'penalty 0.5', make: () => repetitionPenalty(0.5) },
    { name: 'ngram 0', make: () => noRepeatNgram(0) },
  ])('constructor refuses $name', ({ make }) => {
    expect(make).toThrow(SamplingError);
  });
});

describe('normalizeSampling and buildProcessors', () => {
  const V = 100;
  const table: { name: string; options: Parameters<typeof normalizeSampling>[0]; want: Partial<ReturnType<typeof normalizeSampling>> }[] = [
    { name: 'defaults', options: {}, want: { greedy: false, temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1, noRepeatNgramSize: 0, minTokens: 0 } },
    { name: 'temperature 0 is greedy', options: { temperature: 0 }, want: { greedy: true, temperature: 1 } },
    { name: 'negative temperature is greedy', options: { temperature: -1 }, want: { greedy: true } },
    { name: 'NaN temperature is the default', options: { temperature: NaN }, want: { greedy: false, temperature: 1 } },
    { name: 'temperature 1e9 is clamped', options: { temperature: 1e9 }, want: { temperature: 5 } },
    { name: 'greedy flag', options: { greedy: true, temperature: 0.7 }, want: { greedy: true } },
    { name: 'topK 0 is off', options: { topK: 0 }, want: { topK: 0 } },
    { name: 'topK above vocab is off', options: { topK: 1000 }, want: { topK: 0 } },
    { name: 'topK fraction floors', options: { topK: 40.7 }, want: { topK: 40 } },
    { name: 'topP 1.5 clamps to 1', options: { topP: 1.5 }, want: { topP: 1 } },
    { name: 'topP negative clamps to 0', options: { topP: -0.2 }, want: { topP: 0 } },
    { name: 'topP NaN is off', options: { topP: NaN }, want: { topP: 1 } },
    { name: 'penalty below 1 is off', options: { repetitionPenalty: 0.5 }, want: { repetitionPenalty: 1 } },
    { name: 'penalty 1e9 clamps', options: { repetitionPenalty: 1e9 }, want: { repetitionPenalty: 5 } },
    { name: 'ngram 99 clamps', options: { noRepeatNgramSize: 99 }, want: { noRepeatNgramSize: 16 } },
    { name: 'minTokens negative is 0', options: { minTokens: -3 }, want: { minTokens: 0 } },
  ];
  test.for(table)('$name', ({ options, want }) => {
    expect(normalizeSampling(options, V)).toMatchObject(want);
  });

  test('order: constraints then warpers; greedy drops the warpers', () => {
    const all = { temperature: 0.5, topK: 2, topP: 0.9, repetitionPenalty: 2, noRepeatNgramSize: 2, minTokens: 1 };
    expect(buildProcessors(all, { vocabSize: 4, eosId: 3 }).processors).toHaveLength(6);
    expect(buildProcessors({ ...all, temperature: 0 }, { vocabSize: 4, eosId: 3 }).processors).toHaveLength(3);
    expect(buildProcessors({}, { vocabSize: 4, eosId: 3 }).processors).toHaveLength(0);
    const { processors } = buildProcessors({ repetitionPenalty: 5, topK: 1 }, { vocabSize: 3, eosId: 2 });
    // The penalty runs before top-k: token 0 was seen, 10 / 5 = 2 < 3, so top-1 keeps token 1.
    expect(argmax(applyProcessors(processors, row(10, 3, 0), [0], 0))).toBe(1);
    // Padded embeddings: ids past the tokenizer's vocabulary are never chosen.
    const padded = buildProcessors({}, { vocabSize: 4, eosId: 1, tokenizerVocabSize: 2 }).processors;
    expect(Array.from(applyProcessors(padded, row(0, 1, 9, 9), [], 0))).toEqual([0, 1, NEG, NEG]);
    const eos = buildProcessors({ minTokens: 2 }, { vocabSize: 3, eosId: 2 }).processors;
    expect(argmax(applyProcessors(eos, row(0, 1, 9), [], 1))).toBe(1);
  });
});

describe('sampling', () => {
  test('sampleToken follows softmax(logits) (chi-square, fixed seed)', () => {
    const probs = [0.5, 0.25, 0.15, 0.07, 0.03];
    const logits = row(...probs.map((p) => Math.log(p) + 3));
    const rng = createRng(1234);
    const N = 20_000;
    const counts = new Array<number>(probs.length).fill(0);
    for (let i = 0; i < N; i++) counts[sampleToken(logits, rng)]++;
    const chi2 = counts.reduce((s, c, i) => s + (c - N * probs[i]) ** 2 / (N * probs[i]), 0);
    // 4 degrees of freedom: 18.47 is the 99.9th percentile.
    expect(chi2).toBeLessThan(18.47);
  });

  test('sampleToken never picks a -Infinity token and is reproducible', () => {
    const logits = row(NEG, 0, NEG, 0.5, NEG);
    const a = createRng(5);
    const b = createRng(5);
    const xs = Array.from({ length: 500 }, () => sampleToken(logits, a));
    expect(xs.every((x) => x === 1 || x === 3)).toBe(true);
    expect(Array.from({ length: 500 }, () => sampleToken(logits, b))).toEqual(xs);
  });

  test('huge logits do not overflow', () => {
    expect(sampleToken(row(1e30, 1e30 - 1e24, -1e30), createRng(1))).toBeLessThan(2);
    expect(Array.from(logSoftmax(row(1000, 1000)))).toEqual([Math.fround(-Math.LN2), Math.fround(-Math.LN2)]);
  });

  test('argmax picks the first of ties; logSoftmax sums to one', () => {
    expect(argmax(row(1, 3, 3, 2))).toBe(1);
    const ls = logSoftmax(row(1, 2, 3, NEG));
    expect(Array.from(ls).reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(1, 6);
    expect(ls[3]).toBe(NEG);
  });

  test.for([
    { name: 'NaN', logits: [0, NaN, 1], error: /logit 1 is NaN/ },
    { name: '+Infinity', logits: [0, Infinity], error: /logit 1 is \+Infinity/ },
    { name: 'all banned', logits: [NEG, NEG], error: /every token is banned/ },
    { name: 'empty', logits: [], error: /every token is banned/ },
  ])('$name logits are refused by sampleToken, argmax and logSoftmax', ({ logits, error }) => {
    expect(() => sampleToken(row(...logits), createRng(1))).toThrow(error);
    expect(() => argmax(row(...logits))).toThrow(error);
    expect(() => logSoftmax(row(...logits))).toThrow(error);
  });

  test('topP refuses NaN logits too', () => {
    expect(() => run(topP(0.9), [0, NaN])).toThrow(/topP: logit 1 is NaN/);
  });
});
