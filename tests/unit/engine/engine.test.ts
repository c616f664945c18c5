import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { continuationComplete, Engine, EngineError, taskPlan, toApiError, type GenerateRequest } from '../../../main/engine/engine';
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
    engine['prefixCache'].clear();
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
