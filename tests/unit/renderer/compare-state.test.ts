import { describe, expect, test } from 'vitest';
import type { GenerateEvent, ModelInfo } from '../../../common/contract';
import {
  anyRunning,
  COMPARE_MIN_TOKENS,
  compareReducer,
  compareRequest,
  defaultPair,
  initialCompare,
  newSeed,
  paragraphsOf,
  type CompareState,
} from '../../../renderer/compare-state';

function model(id: string, kind: ModelInfo['origin']['kind'], date: string, active = false): ModelInfo {
  return {
    id,
    name: id.toUpperCase(),
    origin: { kind, date },
    architecture: { layers: 2, width: 64, heads: 4, context: 128, vocab: 50257, parameters: 1e5 },
    sizeBytes: 1,
    validationPerplexity: null,
    active,
    path: `/m/${id}`,
  };
}

const base = model('base', 'builtin', '2026-01-01', true);
const oldFt = model('old-ft', 'finetuned', '2026-03-01');
const newFt = model('new-ft', 'finetuned', '2026-05-01');
const imported = model('imp', 'imported', '2026-06-01');

describe('defaultPair', () => {
  test.for([
    ['the newest fine-tune against the active model', [base, oldFt, newFt, imported], { a: 'base', b: 'new-ft' }],
    ['without fine-tunes, the newest other model', [base, imported, model('dl', 'downloaded', '2026-02-01')], { a: 'base', b: 'imp' }],
    ['a single model has no B', [base], { a: 'base', b: null }],
    ['nothing installed', [], { a: null, b: null }],
    ['no active model: the first is A', [model('x', 'imported', '2026-01-01'), newFt], { a: 'x', b: 'new-ft' }],
  ] as const)('%s', ([, models, pair]) => {
    expect(defaultPair(models)).toEqual(pair);
  });
});

test('both columns send the same prompt, options and seed; only the model differs', () => {
  const options = { temperature: 0.7, topK: 40, maxTokens: 24, n: 3 };
  const a = compareRequest('Once upon', 'base', options, 42);
  const b = compareRequest('Once upon', 'new-ft', options, 42);
  expect({ ...a, modelId: 'x' }).toEqual({ ...b, modelId: 'x' });
  expect(a).toMatchObject({ task: 'raw', context: 'Once upon', modelId: 'base', options: { temperature: 0.7, topK: 40, n: 1, seed: 42, maxTokens: COMPARE_MIN_TOKENS } });
  expect(compareRequest('x', 'm', { maxTokens: 200 }, 1).options?.maxTokens).toBe(200);
  const seeds = [0, 0.5, 0.999999].map((r) => newSeed(() => r));
  expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
});

const token = (text: string, alternative = 0): GenerateEvent => ({ type: 'token', alternative, text, tokenId: 1 });
const done = (texts: string[], reason = 'length', model?: string): GenerateEvent => ({
  type: 'done', texts, reason, truncatedPromptTokens: 0, promptTokens: 1, cachedTokens: 0, elapsedMs: 1, ...(model ? { model } : {}),
});

describe('compareReducer', () => {
  const start = (): CompareState => {
    let s = initialCompare([base, newFt]);
    s = compareReducer(s, { type: 'start', side: 'a', run: 1 });
    return compareReducer(s, { type: 'start', side: 'b', run: 1 });
  };

  test('two streams fill two columns; done takes the engine text and model name', () => {
    let s = start();
    expect(anyRunning(s)).toBe(true);
    s = compareReducer(s, { type: 'event', side: 'a', run: 1, event: token(' The') });
    s = compareReducer(s, { type: 'event', side: 'b', run: 1, event: token(' A') });
    s = compareReducer(s, { type: 'event', side: 'a', run: 1, event: token(' sea', 1) }); // another alternative: ignored
    s = compareReducer(s, { type: 'event', side: 'a', run: 1, event: token(' sea') });
    expect([s.a.text, s.b.text]).toEqual([' The sea', ' A']);
    s = compareReducer(s, { type: 'event', side: 'a', run: 1, event: done([' The sea.'], 'eos', 'base') });
    expect(s.a).toMatchObject({ status: 'done', text: ' The sea.', answeredBy: 'base' });
    expect(s.b.status).toBe('running');
    s = compareReducer(s, { type: 'event', side: 'b', run: 1, event: done([' A'], 'length', 'new-ft') });
    expect(anyRunning(s)).toBe(false);
  });

  test('a stopped run keeps what streamed; stale events of a replaced run are dropped', () => {
    let s = start();
    s = compareReducer(s, { type: 'event', side: 'a', run: 1, event: token(' half') });
    s = compareReducer(s, { type: 'event', side: 'a', run: 1, event: done([''], 'aborted') });
    expect(s.a).toMatchObject({ status: 'done', text: ' half' });
    s = compareReducer(s, { type: 'stopped', side: 'b', run: 1 });
    expect(s.b.status).toBe('done');
    s = compareReducer(s, { type: 'start', side: 'a', run: 2 });
    s = compareReducer(s, { type: 'event', side: 'a', run: 1, event: token(' late') });
    s = compareReducer(s, { type: 'failed', side: 'a', run: 1, message: 'late' });
    expect(s.a).toMatchObject({ status: 'running', text: '', error: null });
    s = compareReducer(s, { type: 'failed', side: 'a', run: 2, message: 'model "gone" is not installed' });
    expect(s.a).toMatchObject({ status: 'error', error: 'model "gone" is not installed' });
  });

  test('picking a model clears its column; reset keeps picks that are still installed', () => {
    let s = start();
    s = compareReducer(s, { type: 'event', side: 'b', run: 1, event: token(' x') });
    s = compareReducer(s, { type: 'pick', side: 'b', modelId: 'imp' });
    expect(s.b).toMatchObject({ modelId: 'imp', text: '', status: 'idle', run: 1 });
    s = compareReducer(s, { type: 'reset', models: [base, newFt, imported] });
    expect([s.a.modelId, s.b.modelId]).toEqual(['base', 'imp']);
    // 'imp' was deleted: B goes back to the default.
    s = compareReducer(s, { type: 'reset', models: [base, newFt] });
    expect([s.a.modelId, s.b.modelId]).toEqual(['base', 'new-ft']);
  });
});

test.for([
  ['  one line \n', ['one line']],
  ['first\nstill first\n\nsecond\n \n\nthird', ['first still first', 'second', 'third']],
  ['   ', []],
] as const)('paragraphsOf(%j)', ([text, paragraphs]) => {
  expect(paragraphsOf(text)).toEqual(paragraphs);
});
