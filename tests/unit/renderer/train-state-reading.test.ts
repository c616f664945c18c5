import { describe, expect, test } from 'vitest';
import type { TrainingEvent } from '../../../common/contract';
import { elapsedSeconds, failRun, PREPARING, readingFractionOf, reduceRun, resumingRun, type RunState } from '../../../renderer/train-state';

const reading = (bytesRead: number, totalBytes: number, fileIndex = 0, fileCount = 2): TrainingEvent => ({ type: 'reading', bytesRead, totalBytes, fileIndex, fileCount, fileName: 'ch1.txt' });
const step = (n: number): TrainingEvent => ({ type: 'step', step: n, totalSteps: 4, epoch: 0, loss: 3, lr: 1e-4, tokensPerSec: 50, elapsedMs: 100, etaMs: 300 });
const started: TrainingEvent = { type: 'started', runId: 'run-1', runDir: '/d/runs/run-1', steps: 4, preset: 'quick', baseModelId: 'builtin' };
const fold = (events: TrainingEvent[], from: RunState = PREPARING): RunState => events.reduce(reduceRun, from);

describe('reduceRun: reading the manuscripts', () => {
  test.for([
    { name: 'before started (the inspect pass)', events: [reading(10, 100), reading(60, 100, 1)], reading: { bytesRead: 60, fileIndex: 1 }, phase: 'preparing' },
    { name: 'after started (the run\'s own pass)', events: [started, reading(100, 100, 1)], reading: { bytesRead: 100, fileIndex: 1 }, phase: 'training' },
    { name: 'the first step replaces it', events: [started, reading(100, 100, 1), step(1)], reading: null, phase: 'training' },
    { name: 'an eval alone does not (the baseline runs after reading)', events: [started, reading(100, 100, 1), { type: 'eval', step: 0, valLoss: 5, valPerplexity: 148, best: true }], reading: { bytesRead: 100 }, phase: 'training' },
    {
      name: 'a cancel while reading ends it',
      events: [reading(10, 100), { type: 'done', runId: 'run-1', reason: 'cancelled', steps: 0, message: 'Cancelled before training started.', model: null, perplexityBefore: null, perplexityAfter: null }],
      reading: null, phase: 'done',
    },
  ] as const)('$name', ({ events, reading: expected, phase }) => {
    const s = fold([...events]);
    expect(s.phase).toBe(phase);
    if (expected === null) expect(s.reading).toBeNull();
    else expect(s.reading).toMatchObject(expected);
  });

  test('only the latest reading event counts (a replay of a reattached window gives the same state)', () => {
    const live = fold([reading(10, 100), reading(50, 100), reading(90, 100, 1)]);
    const replayed = fold([reading(90, 100, 1)]);
    expect(live.reading).toEqual(replayed.reading);
    expect(live.reading).toEqual({ bytesRead: 90, totalBytes: 100, fileIndex: 1, fileCount: 2, fileName: 'ch1.txt' });
  });

  test('a resumed run keeps its step progress while reading', () => {
    const s = fold([reading(5, 100)], resumingRun({ runId: 'r', step: 12, totalSteps: 40 }));
    expect(s).toMatchObject({ step: 12, totalSteps: 40, reading: { bytesRead: 5 } });
  });

  test('a failure clears it', () => {
    expect(failRun(fold([reading(10, 100)]), 'boom').reading).toBeNull();
  });
});

describe('readingFractionOf', () => {
  test.for([
    [0, 100, 0],
    [25, 100, 0.25],
    [100, 100, 1],
    [150, 100, 1],
    [0, 0, 1],
  ])('%d of %d bytes → %d', ([bytesRead, totalBytes, expected]) => {
    expect(readingFractionOf({ bytesRead, totalBytes, fileIndex: 0, fileCount: 1, fileName: 'a.txt' })).toBe(expected);
  });
});

describe('elapsedSeconds', () => {
  test.for([
    [1_000, 1_000, 0],
    [1_000, 1_999, 0],
    [1_000, 13_500, 12],
    [5_000, 1_000, 0], // the clock went back
  ])('since %d, now %d → %d s', ([since, now, expected]) => {
    expect(elapsedSeconds(since, now)).toBe(expected);
  });
});
