import { describe, expect, test } from 'vitest';
import type { ModelInfo, TrainingEvent } from '../../../common/contract';
import { translator } from '../../../renderer/i18n';
import { trainMessages } from '../../../renderer/i18n/messages/train';
import { chartSeries, defaultBase, failRun, formatDuration, IDLE, parsePaths, pathsFromUriList, PREPARING, progressOf, reattachedRun, reduceRun } from '../../../renderer/train-state';

const step = (n: number, loss: number): TrainingEvent => ({ type: 'step', step: n, totalSteps: 4, epoch: 0, loss, lr: 1e-4, tokensPerSec: 50, elapsedMs: n * 100, etaMs: (4 - n) * 100 });

describe('reduceRun', () => {
  test('folds a whole run: steps, evals, sample, pause, warnings once, done', () => {
    const events: TrainingEvent[] = [
      { type: 'started', runId: 'run-1', runDir: '/d/runs/run-1', steps: 4, preset: 'quick', baseModelId: 'builtin' },
      { type: 'eval', step: 0, valLoss: 5, valPerplexity: Math.exp(5), best: true },
      step(1, 4.5),
      { type: 'paused', step: 1 },
      step(2, 4),
      { type: 'resumed', step: 2 },
      { type: 'warning', code: 'small-dataset', message: 'small' },
      { type: 'warning', code: 'small-dataset', message: 'small' },
      { type: 'eval', step: 2, valLoss: 4.2, valPerplexity: Math.exp(4.2), best: true },
      { type: 'sample', step: 2, text: 'The lamp', copyRate: 0.25 },
    ];
    const s = events.reduce(reduceRun, PREPARING);
    expect(s).toMatchObject({ phase: 'training', runId: 'run-1', step: 2, totalSteps: 4, tokensPerSec: 50, etaMs: 200, warnings: ['small'], sample: { text: 'The lamp' } });
    expect(s.loss).toEqual([{ step: 1, value: 4.5 }, { step: 2, value: 4 }]);
    expect(s.valLoss.map((p) => p.step)).toEqual([0, 2]);
    expect(progressOf(s)).toBe(0.5);
    const paused = reduceRun(reduceRun(s, { type: 'paused', step: 2 }), step(2, 4));
    expect(paused.phase).toBe('paused');
    const done = reduceRun(s, { type: 'done', runId: 'run-1', reason: 'completed', steps: 4, message: 'ok', model: null, perplexityBefore: 100, perplexityAfter: 60 });
    expect(done).toMatchObject({ phase: 'done', step: 4, etaMs: 0 });
    expect(progressOf(done)).toBe(1);
  });

  test('a cancelled run does not show a full bar; a failure keeps the curve and adds the error', () => {
    const s = [step(1, 3)].reduce(reduceRun, { ...IDLE, totalSteps: 4 });
    expect(progressOf(reduceRun(s, { type: 'done', runId: 'r', reason: 'cancelled', steps: 1, message: '', model: null, perplexityBefore: null, perplexityAfter: null }))).toBe(0.25);
    expect(failRun(s, 'worker crashed')).toMatchObject({ phase: 'failed', error: 'worker crashed', loss: [{ step: 1, value: 3 }] });
  });
});

test('chartSeries aligns both losses on the union of steps, with nulls for gaps', () => {
  expect(chartSeries({ loss: [{ step: 1, value: 4 }, { step: 2, value: 3 }], valLoss: [{ step: 0, value: 5 }, { step: 2, value: 3.5 }] })).toEqual([
    [0, 1, 2],
    [null, 4, 3],
    [5, null, 3.5],
  ]);
});

describe('file paths', () => {
  test.each([
    ['/a/b.txt\n\n  /a/c.md  \n/a/b.txt', ['/a/b.txt', '/a/c.md'], []],
    ['"C:\\Users\\me\\novel.docx"', ['C:\\Users\\me\\novel.docx'], []],
    ['notes.txt\n~/x.md', [], ['notes.txt', '~/x.md']],
    ['\\\\server\\share\\a.txt', ['\\\\server\\share\\a.txt'], []],
  ])('parsePaths(%j)', (text, paths, invalid) => {
    expect(parsePaths(text)).toEqual({ paths, invalid });
  });

  test('pathsFromUriList keeps local file URIs only, decoded', () => {
    const list = '# comment\nfile:///home/me/My%20Novel/ch%201.md\r\nhttps://example.test/a.txt\nfile://otherhost/x.txt\nfile:///C:/Users/me/a.txt\nnot a uri';
    expect(pathsFromUriList(list)).toEqual(['/home/me/My Novel/ch 1.md', 'C:\\Users\\me\\a.txt']);
  });
});

test.each([
  [null, '—'],
  [NaN, '—'],
  [300, 'under a second'],
  [4_000, '4 s'],
  [30 * 60_000, '30 min'],
  [125 * 60_000, '2 h 05 min'],
])('formatDuration(%s) = %s', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});

test('formatDuration speaks the interface language through the train messages', () => {
  const zh = translator(trainMessages, 'zh-CN');
  expect([300, 4_000, 30 * 60_000, 125 * 60_000].map((ms) => formatDuration(ms, zh))).toEqual(['不到一秒', '4 秒', '30 分钟', '2 小时 05 分钟']);
  expect(formatDuration(4_000, translator(trainMessages, 'en'))).toBe('4 s');
});

test('a reattached run waits for its replay, which rebuilds the chart from the start', () => {
  let s = reattachedRun('run-1');
  expect(s).toMatchObject({ phase: 'preparing', runId: 'run-1', loss: [] });
  s = reduceRun(s, { type: 'started', runId: 'run-1', runDir: '/r', steps: 8, preset: 'quick', baseModelId: 'b' });
  s = reduceRun(s, { type: 'step', step: 2, totalSteps: 8, epoch: 0, loss: 3, lr: 1, tokensPerSec: 5, elapsedMs: 1, etaMs: 1 });
  s = reduceRun(s, { type: 'paused', step: 2 });
  expect(s).toMatchObject({ phase: 'paused', step: 2, totalSteps: 8, loss: [{ step: 2, value: 3 }] });
});

test('defaultBase prefers the active model', () => {
  const m = (id: string, active: boolean) => ({ id, active }) as ModelInfo;
  expect(defaultBase([m('a', false), m('b', true)])).toBe('b');
  expect(defaultBase([m('a', false)])).toBe('a');
  expect(defaultBase([])).toBeNull();
});
