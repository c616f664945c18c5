/**
 * 'reading' events through the training service: both the inspect pass and
 * the run's own reading reach the training.start stream, and a window that
 * reattaches gets only the newest reading event in its replay.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ModelInfo, TrainingEvent } from '../../common/contract';
import type { TrainEvent } from '../../main/engine/train/run-options';
import { toTrainingEvent } from '../../main/services/training-events';
import { RunLog } from '../../main/services/training-replay';
import { TrainingService, type TrainingModels } from '../../main/services/training';
import type { JobOutcome, TrainJobRunner } from '../../main/training-host';

const TINY = path.resolve('tests/fixtures/models/tiny');
const reading = (bytesRead: number, fileIndex = 0): Extract<TrainEvent, { type: 'reading' }> => ({ type: 'reading', bytesRead, totalBytes: 100, fileIndex, fileCount: 2, fileName: 'ch.txt' });
const info = (): ModelInfo => ({
  id: 'builtin', name: 'Tiny', origin: { kind: 'builtin', date: '2026-01-01T00:00:00Z' }, architecture: { layers: 2, width: 32, heads: 2, context: 64, vocab: 50257, parameters: 1 },
  sizeBytes: 1, validationPerplexity: null, active: true, path: TINY,
});
const models: TrainingModels = { get: () => info(), active: () => info(), addFinetune: async () => info() };

/** In process: each job emits its reading events, then ends (the run as cancelled, so nothing is registered). */
const runner: TrainJobRunner = (data, onEvent) => {
  const outcome: Promise<JobOutcome> = (async () => {
    await Promise.resolve();
    if (data.job === 'inspect') {
      for (const b of [10, 60, 100]) onEvent(reading(b, b === 100 ? 1 : 0));
      return { type: 'report', report: { documents: 2, words: 10, tokens: 20, trainTokens: 19, valTokens: 1, duplicateParagraphs: 0, steps: 3, estimatedSeconds: 1, backend: 'cpu', warning: null } };
    }
    for (const b of [20, 100]) onEvent(reading(b, b === 100 ? 1 : 0));
    onEvent({ type: 'done', reason: 'cancelled', step: 0, message: 'cancelled while reading' });
    return { type: 'result', result: { reason: 'cancelled', steps: 0, lastCheckpoint: null, bestCheckpoint: null, bestValLoss: null, losses: [] } };
  })();
  return { send: () => undefined, outcome, terminate: async () => undefined };
};

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-training-reading-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('reading events in the training stream', () => {
  test('toTrainingEvent passes them on unchanged', () => {
    expect(toTrainingEvent(reading(42))).toEqual(reading(42));
  });

  test('training.start streams the inspect pass and the run\'s pass; the replay keeps only the newest', async () => {
    const svc = new TrainingService({ dataDir: tmp, runner, models, stepIntervalMs: 0 });
    const live: TrainingEvent[] = [];
    const r = await svc.start({ files: ['/a.txt', '/b.txt'], baseModelId: 'builtin', preset: 'quick' }, (e) => live.push(e), new AbortController().signal);
    expect(r).toMatchObject({ ok: true, value: { type: 'done', reason: 'cancelled' } });
    const seq = live.map((e) => (e.type === 'reading' ? `reading ${e.bytesRead}` : e.type));
    expect(seq).toEqual(['reading 10', 'reading 60', 'reading 100', 'started', 'dataset', 'reading 20', 'reading 100', 'done']);

    const replayed: TrainingEvent[] = [];
    const runId = (live.find((e) => e.type === 'started') as Extract<TrainingEvent, { type: 'started' }>).runId;
    await svc.watch(runId, (e) => replayed.push(e), new AbortController().signal);
    expect(replayed.filter((e) => e.type === 'reading')).toEqual([reading(100, 1)]);
    expect(replayed.map((e) => e.type)).toEqual(['started', 'dataset', 'reading', 'done']);
  });

  test('RunLog keeps one reading event however many arrive', () => {
    const log = new RunLog({ baseModelId: 'b', preset: 'quick', files: ['/a.txt'] });
    for (let b = 0; b <= 100; b++) log.push(reading(b));
    expect(log.snapshot()).toEqual([reading(100)]);
  });
});
