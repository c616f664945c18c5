import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { continuationComplete, Engine, EngineError, promptIds, taskPlan, toApiError, type GenerateRequest } from '../../../main/engine/engine';
import { trimContinuation } from '../../../main/engine/tasks';
import type { GenerateEvent } from '../../../common/contract';

const TINY = path.resolve('tests/fixtures/models/tiny');

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ modelDir: TINY, backend: 'cpu' });
});
afterAll(() => engine?.dispose());

async function collect(e: Engine, request: GenerateRequest, signal?: AbortSignal) {
  const events: GenerateEvent[] = [];
  await e.generate(request, (ev) => events.push(ev), signal);
  const done = events[events.length - 1];
  if (done.type !== 'done') throw new Error('the last event is not done');
  const streamed: string[] = [];
  for (const ev of events) if (ev.type === 'token') streamed[ev.alternative] = (streamed[ev.alternative] ?? '') + ev.text;
  return { events, done, streamed };
}

describe('Engine', () => {
  test('info names the backend and the model', () => {
    const info = engine.info();
    expect(info.backend.name).toBe('cpu');
    expect(info.model).toMatchObject({ name: 'tiny', path: TINY, nLayer: 2, nEmbd: 64, nPositions: 128 });
  });

  test('raw: token events then one done event whose texts equal the streamed text', async () => {
    const { events, done, streamed } = await collect(engine, { task: 'raw', context: 'Once upon a time', options: { maxTokens: 6, seed: 1, n: 2 } });
    expect(events.filter((e) => e.type === 'done')).toHaveLength(1);
    expect(done.texts).toHaveLength(2);
    expect(done.texts).toEqual([streamed[0] ?? '', streamed[1] ?? '']);
    expect(done).toMatchObject({ reason: 'length', promptTokens: 4, truncatedPromptTokens: 0 });
  });

  test('the prefix cache serves a repeated prompt', async () => {
    const request: GenerateRequest = { task: 'raw', context: 'The river ran quietly past the mill', options: { greedy: true, maxTokens: 3 } };
    const first = await collect(engine, request);
    const second = await collect(engine, request);
    expect(second.done.cachedTokens).toBe(second.done.promptTokens - 1);
    expect(second.done.texts).toEqual(first.done.texts);
  });

  test('requests run one at a time in order; an aborted queued request ends at once', async () => {
    const order: string[] = [];
    const tag = (name: string) => (ev: GenerateEvent) => order.push(`${name}:${ev.type}`);
    const controller = new AbortController();
    const a = engine.generate({ task: 'raw', context: 'First', options: { greedy: true, maxTokens: 4 } }, tag('a'));
    const b = engine.generate({ task: 'raw', context: 'Second', options: { greedy: true, maxTokens: 4 } }, tag('b'), controller.signal);
    const c = engine.generate({ task: 'raw', context: 'Third', options: { greedy: true, maxTokens: 4 } }, tag('c'));
    controller.abort();
    await Promise.all([a, b, c]);
    const firstOf = (n: string) => order.findIndex((x) => x.startsWith(n));
    expect(order.indexOf('a:done')).toBeLessThan(firstOf('b'));
    expect(order.filter((x) => x.startsWith('b'))).toEqual(['b:done']);
    expect(order.indexOf('b:done')).toBeLessThan(firstOf('c'));
  });

  test('continue: the done text is the trimmed continuation', async () => {
    const { done, streamed } = await collect(engine, { task: 'continue', context: 'It was a dark and stormy night', options: { maxTokens: 12, seed: 5 } });
    expect(['stop', 'length', 'eos']).toContain(done.reason);
    expect(done.texts[0]).toBe(trimContinuation(streamed[0] ?? '', { ended: done.reason === 'eos' }));
  });

  test('without a model, generate fails with no_model; memory is flat across requests', async () => {
    const empty = await Engine.create({ modelDir: null, backend: 'cpu' });
    expect(empty.info().model).toBeNull();
    const err = await empty.generate({ task: 'raw', context: 'x' }, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(toApiError(err)).toMatchObject({ code: 'no_model' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) await collect(engine, { task: 'raw', context: `Line ${i}`, options: { maxTokens: 2, seed: i } });
    // The prefix cache may hold new entries; clearing it must return to the baseline.
    engine.clearPrefixCaches();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  test('a folder that is not a model fails to start with a message naming it', async () => {
    await expect(Engine.create({ modelDir: '/nonexistent/model', backend: 'cpu' })).rejects.toThrow(/nonexistent/);
    expect(toApiError(new Error('boom'))).toEqual({ code: 'engine_error', message: 'boom' });
  });

  test.for([
    [' The cat', false],
    [' The cat sat.', true],
    [' Yes.', false],
    [' He met Dr.', false],
    [' He met Dr. Smith at noon.', true],
    [' "Go away," she said. "Now!"', true],
    [' and then\nmore', true],
    ['\n\nA new paragraph', false],
  ] as const)('continuationComplete(%j) is %s', ([text, complete]) => {
    expect(continuationComplete(text)).toBe(complete);
  });

  test.for(['raw', 'continue', 'outline', 'ideas'] as const)('task %s builds a prompt', (task) => {
    const plan = taskPlan({ task, context: 'a lighthouse' });
    expect(plan.prompt.length).toBeGreaterThan(0);
    if (task === 'raw') expect(plan.prompt).toBe('a lighthouse');
  });
});

describe('structured tasks', () => {
  test('continue: memory comes first and the author\'s note sits near the end, so typing changes only the suffix', () => {
    const memory = 'Mara is a lighthouse keeper.';
    const a = taskPlan({ task: 'continue', context: 'One.\nTwo.\nThree.\nFour', memory, authorsNote: 'short sentences' }).prompt;
    const b = taskPlan({ task: 'continue', context: 'One.\nTwo.\nThree.\nFour five', memory, authorsNote: 'short sentences' }).prompt;
    expect(a.startsWith(`${memory}\n***\nOne.`)).toBe(true);
    expect(a).toContain("[ Author's note: short sentences ]");
    let common = 0;
    while (a[common] === b[common]) common++;
    expect(common).toBe(a.length);
  });

  test('outline: the done event carries the skeleton parsed after the prompt tail', () => {
    const plan = taskPlan({ task: 'outline', context: '', outline: { topic: 'Bridge closes', notes: 'two years', shape: 'feature' } });
    expect(plan.prompt).toContain('Topic: Bridge closes\nShape: feature\nNotes: two years');
    const parsed = plan.parse?.([' Bridge shuts for repairs\n2. Commuters brace\nLede: The bridge closed.\nSections:\n## Why — the cracks\nEND']);
    expect(parsed?.outline).toEqual({
      headlines: ['Bridge shuts for repairs', 'Commuters brace'],
      lede: 'The bridge closed.',
      nutGraf: '',
      sections: [{ heading: 'Why', note: 'the cracks' }],
    });
  });

  test('outline: gibberish parses to an empty skeleton rather than failing', () => {
    const parsed = taskPlan({ task: 'outline', context: 'x' }).parse?.(['ĠĠ ,,, ..']);
    expect(parsed?.outline?.sections).toEqual([]);
    expect(parsed?.outline?.lede).toBe('');
  });

  test('ideas: distinct ideas across alternatives, duplicates dropped, at most n', () => {
    const plan = taskPlan({ task: 'ideas', context: '', ideas: { premise: 'A keeper finds letters', kind: 'twists', n: 3 } });
    expect(plan.prompt).toContain('Premise: A keeper finds letters\nPlot twists:\n1.');
    const ideas = plan.parse?.([
      ' The letters were written by her own future self.\n2. A ship arrives that sank a century ago.\n',
      ' The letters were written by her own future self!\n2. Her brother has been forging every single letter.\n3. The lamp has not been lit for years at all.\n',
    ]).ideas;
    expect(ideas).toEqual([
      'The letters were written by her own future self.',
      'A ship arrives that sank a century ago.',
      'Her brother has been forging every single letter.',
    ]);
  });

  test('countTokens counts with the model tokenizer; empty text is zero', () => {
    const r = engine.countTokens(['Once upon a time', '']);
    expect(r).toEqual({ counts: [4, 0], model: 'tiny' });
  });

  test('an ideas request end to end: the done event has an ideas array (maybe empty with random weights)', async () => {
    const { done } = await collect(engine, { task: 'ideas', context: '', ideas: { premise: 'A storm', kind: 'ideas', n: 2 }, options: { maxTokens: 4, seed: 3 } });
    expect(Array.isArray(done.ideas)).toBe(true);
    expect(done.ideas?.length ?? 0).toBeLessThanOrEqual(2);
  });
});

test('with memory, a suggestion after more typing reuses the cached prefix (memory and the text so far)', async () => {
  const memory = 'Mara Voss keeps the Tern Point light. Winter, 1911.';
  const first = await collect(engine, { task: 'continue', context: 'The fog came in at dusk and', memory, options: { maxTokens: 2, seed: 1 } });
  const second = await collect(engine, { task: 'continue', context: 'The fog came in at dusk and the lamp', memory, options: { maxTokens: 2, seed: 1 } });
  expect(first.done.promptTokens).toBeGreaterThan(10);
  // Everything up to the end of the first prompt is served from the cache, only the new words are computed.
  expect(second.done.cachedTokens).toBeGreaterThanOrEqual(first.done.promptTokens - 1);
});

describe('prompts longer than the context keep the memory', () => {
  // A tokenizer with one token per character makes the budget arithmetic visible.
  const chars = {
    vocabSize: 256,
    eosId: 0,
    encode: (t: string) => [...t].map((c) => c.charCodeAt(0) % 256),
    decode: (ids: readonly number[]) => String.fromCharCode(...ids),
    streamDecoder: () => ({ push: () => '', flush: () => '' }),
  };

  test('the text is cut from the left in whole chunks; the memory stays whole', () => {
    const plan = taskPlan({ task: 'continue', context: 'x'.repeat(200), memory: 'MEMORY' });
    const { ids, cut } = promptIds(chars, plan, 128, 24);
    const head = chars.encode('MEMORY\n***\n');
    expect(ids.slice(0, head.length)).toEqual(head);
    expect(ids.length).toBeLessThanOrEqual(128 - 24);
    expect(cut % (128 / 16)).toBe(0);
    expect(ids.length + cut).toBe(head.length + 200);
  });

  test('typing one more character keeps the same kept start (the prefix cache still hits)', () => {
    const a = promptIds(chars, taskPlan({ task: 'continue', context: 'y'.repeat(150) + 'abc', memory: 'M' }), 128, 24);
    const b = promptIds(chars, taskPlan({ task: 'continue', context: 'y'.repeat(150) + 'abcd', memory: 'M' }), 128, 24);
    expect(b.cut).toBe(a.cut);
    expect(b.ids.slice(0, a.ids.length)).toEqual(a.ids);
  });

  test('a prompt that fits, or one without memory, is not touched here', () => {
    expect(promptIds(chars, taskPlan({ task: 'continue', context: 'short', memory: 'M' }), 128, 24).cut).toBe(0);
    const raw = promptIds(chars, taskPlan({ task: 'raw', context: 'z'.repeat(500) }), 128, 24);
    expect(raw).toEqual({ ids: chars.encode('z'.repeat(500)), cut: 0 });
  });

  test('end to end, a long document with memory still sends the memory to the model', async () => {
    const { done } = await collect(engine, {
      task: 'continue',
      context: 'The tide came in. '.repeat(60),
      memory: 'Setting: a lighthouse.',
      options: { greedy: true, maxTokens: 8 },
    });
    expect(done.truncatedPromptTokens).toBeGreaterThan(0);
    expect(done.promptTokens).toBeLessThanOrEqual(128 - 8);
  });
});
