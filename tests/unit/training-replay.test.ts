/** RunLog: the summary, replay then live with no gap, detaching, and the bounded step log. */
import { describe, expect, test } from 'vitest';
import type { TrainingEvent } from '../../common/contract';
import { MAX_REPLAY_STEPS, RunLog } from '../../main/services/training-replay';

const step = (n: number): TrainingEvent => ({ type: 'step', step: n, totalSteps: 10_000, epoch: 0, loss: 1, lr: 1, tokensPerSec: 1, elapsedMs: 0, etaMs: 0 });
const started: TrainingEvent = { type: 'started', runId: 'r', runDir: '/r', steps: 10_000, preset: 'quick', baseModelId: 'b' };
const newLog = () => new RunLog({ baseModelId: 'b', preset: 'quick', files: ['/a.txt'] });

describe('RunLog', () => {
  test('the summary follows the events', () => {
    const log = newLog();
    expect(log.state).toMatchObject({ phase: 'preparing', step: 0, totalSteps: 0 });
    for (const [e, want] of [
      [started, { phase: 'training', totalSteps: 10_000 }],
      [step(3), { step: 3 }],
      [{ type: 'paused', step: 3 }, { phase: 'paused' }],
      [{ type: 'resumed', step: 3 }, { phase: 'training' }],
    ] as const) {
      log.push(e);
      expect(log.state).toMatchObject(want);
    }
  });

  test('a watcher gets the replay, then live events, until it detaches; a throwing listener is dropped', async () => {
    const log = newLog();
    log.push(started);
    log.push(step(1));
    const got: TrainingEvent[] = [];
    const ac = new AbortController();
    const watching = log.attach((e) => got.push(e), ac.signal, true);
    let throws = 0;
    void log.attach(() => {
      throws++;
      throw new Error('closed window');
    }, new AbortController().signal, false);
    log.push(step(2));
    log.push(step(3));
    expect(throws).toBe(1);
    ac.abort();
    log.push(step(4));
    expect(got.map((e) => e.type === 'step' ? e.step : e.type)).toEqual(['started', 1, 2, 3]);
    expect(await watching).toMatchObject({ ok: false, error: { code: 'aborted' } });
  });

  test('the end resolves every watcher with the result; later watchers get the replay and the result', async () => {
    const log = newLog();
    log.push(started);
    const a = log.attach(() => undefined, new AbortController().signal, false);
    log.finish({ ok: false, error: { code: 'engine_crashed', message: 'x' } });
    expect(await a).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
    const replay: TrainingEvent[] = [];
    expect(await log.attach((e) => replay.push(e), new AbortController().signal, true)).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
    expect(replay).toEqual([started]);
    expect(log.finished).toBe(true);
  });

  test('step events are thinned past MAX_REPLAY_STEPS; others and the latest step are kept', () => {
    const log = newLog();
    log.push(started);
    for (let i = 1; i <= MAX_REPLAY_STEPS * 3; i++) {
      log.push(step(i));
      if (i % 1000 === 0) log.push({ type: 'eval', step: i, valLoss: 1, valPerplexity: 2, best: false });
    }
    const kept = log.snapshot();
    const steps = kept.filter((e) => e.type === 'step');
    expect(steps.length).toBeLessThanOrEqual(MAX_REPLAY_STEPS);
    expect(steps.length).toBeGreaterThan(MAX_REPLAY_STEPS / 2);
    expect(steps.at(-1)).toMatchObject({ step: MAX_REPLAY_STEPS * 3 });
    expect(kept.filter((e) => e.type === 'eval').length).toBe(6);
    expect(kept[0]).toBe(started);
    const order = steps.map((e) => (e.type === 'step' ? e.step : 0));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
