import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BeamHypotheses, beamSearch, topCandidates } from '../../../main/engine/beam-search';
import { generate, prefill, type GenerateOptions } from '../../../main/engine/generate';
import { loadModelFolder } from '../../../main/engine/model-loader';
import type { LanguageModel, TextTokenizer } from '../../../main/engine/types';

const TINY = path.resolve('tests/fixtures/models/tiny');
const REFERENCE = path.resolve('tests/fixtures/reference/tiny.json');

let model: LanguageModel;
let tok: TextTokenizer;
beforeAll(async () => {
  await tf.setBackend('cpu');
  ({ model, tokenizer: tok } = await loadModelFolder(TINY));
});
afterAll(() => model?.dispose());

async function beams(prompt: string, options: GenerateOptions) {
  const ids = tok.encode(prompt);
  const pre = await prefill(model, ids);
  return beamSearch(model, tok, ids, pre.cache, pre.logits, options);
}

/** Sum of log p(token | everything before) over `continuation`, by one full forward pass. */
async function sequenceLogprob(prompt: number[], continuation: number[]): Promise<number> {
  const all = [...prompt, ...continuation];
  const out = model.forward([all], null, { allPositions: true });
  const logp = tf.tidy(() => tf.logSoftmax(tf.reshape(out.logits, [all.length, -1])));
  const data = await logp.data();
  tf.dispose([logp, out.logits, ...out.cache.layers.flatMap((l) => [l.k, l.v])]);
  const V = model.config.vocabSize;
  return continuation.reduce((s, id, i) => s + data[(prompt.length + i - 1) * V + id], 0);
}

describe('topCandidates', () => {
  test('takes the k best over all rows, with offsets, best first, skipping -Infinity', () => {
    const rows = [new Float32Array([0, 5, -Infinity, 1]), new Float32Array([4, 0, 3, 2])];
    expect(topCandidates(rows, [0, 0.5], 3)).toEqual([
      { value: 5, beam: 0, token: 1 },
      { value: 4.5, beam: 1, token: 0 },
      { value: 3.5, beam: 1, token: 2 },
    ]);
    expect(topCandidates([new Float32Array([-Infinity, 2])], [0], 4)).toEqual([{ value: 2, beam: 0, token: 1 }]);
  });
});

describe('BeamHypotheses', () => {
  test.for([
    // [lengthPenalty, earlyStopping, hyps [sum, len], best running sum, generated length, done]
    [1, false, [[-4, 2], [-6, 2]], -20, 5, true], // -20/5 = -4 cannot beat worst -6/2 = -3
    [1, false, [[-4, 2], [-6, 2]], -10, 5, false], // -10/5 = -2 could
    [1, false, [[-4, 2], [-6, 2]], -5, 5, false], // -1 beats -3
    [1, true, [[-4, 2], [-6, 2]], -1, 5, true],
    [1, true, [[-4, 2]], -100, 5, false], // fewer than numBeams
    [0, false, [[-4, 2], [-6, 2]], -5, 5, false], // no normalisation: -5 beats worst -6
    [0, false, [[-4, 2], [-6, 2]], -7, 5, true],
  ] as const)('penalty %d early %s %j best %d at %d -> %s', ([lp, early, list, best, len, done]) => {
    const h = new BeamHypotheses(2, lp, early);
    for (const [sum, l] of list) h.add([1], sum, l, true);
    expect(h.isDone(best, len)).toBe(done);
  });

  test('keeps the numBeams best by normalised score', () => {
    const h = new BeamHypotheses(2, 1, false);
    h.add([1], -6, 3, true); // -2
    h.add([2], -3, 3, true); // -1
    h.add([3], -9, 3, true); // -3: worse than both, dropped
    h.add([4], -1, 2, false); // -0.5
    expect(h.items.map((x) => x.tokens[0])).toEqual([4, 2]);
  });
});

describe('beam search (tiny GPT-2)', () => {
  test('numBeams 1 equals greedy', async () => {
    for (const prompt of ['The castle', 'In the beginning there was']) {
      const greedy = await generate(model, tok, tok.encode(prompt), { greedy: true, maxTokens: 8 });
      const beam = await beams(prompt, { numBeams: 1, maxTokens: 8 });
      expect(beam.alternatives[0].ids).toEqual(greedy.alternatives[0].ids);
    }
  });

  test('scores are the sequences’ real log-probabilities, sorted best first; runs repeat', async () => {
    const prompt = 'She opened the door and';
    const options: GenerateOptions = { numBeams: 4, n: 4, maxTokens: 6, lengthPenalty: 0 };
    const a = await beams(prompt, options);
    const b = await beams(prompt, options);
    expect(b).toEqual(a);
    expect(a.alternatives).toHaveLength(4);
    for (let i = 1; i < a.scores.length; i++) expect(a.scores[i]).toBeLessThanOrEqual(a.scores[i - 1]);
    for (const [i, alt] of a.alternatives.entries()) {
      if (alt.ids.length === 6) expect(a.scores[i]).toBeCloseTo(await sequenceLogprob(tok.encode(prompt), alt.ids), 3);
    }
    // The best of 4 beams is at least as likely as the greedy sequence here.
    const greedy = await generate(model, tok, tok.encode(prompt), { greedy: true, maxTokens: 6 });
    expect(a.scores[0]).toBeGreaterThanOrEqual((await sequenceLogprob(tok.encode(prompt), greedy.alternatives[0].ids)) - 1e-4);
  });

  test('no_repeat_ngram_size 2 leaves no repeated bigram', async () => {
    const prompt = 'the the the the';
    const out = await beams(prompt, { numBeams: 3, maxTokens: 12, noRepeatNgramSize: 2 });
    const all = [...tok.encode(prompt), ...out.alternatives[0].ids];
    const grams = all.slice(1).map((t, i) => `${all[i]},${t}`);
    const generated = grams.slice(tok.encode(prompt).length - 1);
    for (const g of generated) expect(grams.filter((x) => x === g)).toHaveLength(1);
  });

  test('through generate: numBeams > 1 dispatches to beam search; memory stays flat', async () => {
    const ids = tok.encode('A quiet morning');
    const viaGenerate = await generate(model, tok, ids, { numBeams: 3, maxTokens: 5, earlyStopping: true });
    const direct = await beams('A quiet morning', { numBeams: 3, maxTokens: 5, earlyStopping: true });
    expect(viaGenerate.alternatives).toEqual(direct.alternatives);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await generate(model, tok, ids, { numBeams: 2 + (i % 3), maxTokens: 3, n: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });

  test.skipIf(!existsSync(REFERENCE))('matches the reference beam result when it has one', async () => {
    const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as {
      beam?: { prompt_ids: number[]; num_beams: number; max_new_tokens: number; no_repeat_ngram_size?: number; early_stopping?: boolean; length_penalty?: number; output_ids: number[] };
    };
    if (!ref.beam) return;
    const r = ref.beam;
    const pre = await prefill(model, r.prompt_ids);
    const out = await beamSearch(model, tok, r.prompt_ids, pre.cache, pre.logits, {
      numBeams: r.num_beams,
      maxTokens: r.max_new_tokens,
      noRepeatNgramSize: r.no_repeat_ngram_size,
      earlyStopping: r.early_stopping,
      lengthPenalty: r.length_penalty,
    });
    expect(out.alternatives[0].ids).toEqual(r.output_ids.filter((id) => id !== tok.eosId));
  });
});
