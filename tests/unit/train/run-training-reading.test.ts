import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { initBackend } from '../../../main/engine/backend';
import type { TrainEvent, TrainOptions } from '../../../main/engine/train/run-options';
import { runTraining } from '../../../main/engine/train/run-training';
import { storyText, withTempDir } from './helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');

beforeAll(async () => {
  await initBackend('wasm');
});

async function withTwoFiles<T>(fn: (base: TrainOptions) => Promise<T>): Promise<T> {
  return withTempDir(async (dir) => {
    const a = path.join(dir, 'chapter one.txt');
    const b = path.join(dir, 'chapter two.md');
    await writeFile(a, storyText(30, 1));
    await writeFile(b, storyText(30, 2));
    return fn({ modelDir: TINY, dataFiles: [a, b], outDir: path.join(dir, 'run'), lr: 3e-3, batch: 2, block: 32, sampleEvery: 0, valEvery: 100, maxValBlocks: 2 });
  });
}

type Reading = Extract<TrainEvent, { type: 'reading' }>;

describe('runTraining: reading progress', () => {
  test('reading events come before the dataset and the first step, end at 100 %, carry base names only', async () => {
    await withTwoFiles(async (base) => {
      const events: TrainEvent[] = [];
      const before = tf.memory().numTensors;
      const r = await runTraining({ ...base, steps: 1 }, { onEvent: (e) => events.push(e) });
      expect(r.reason).toBe('completed');
      expect(tf.memory().numTensors).toBe(before);
      const reading = events.filter((e): e is Reading => e.type === 'reading');
      expect(reading.length).toBeGreaterThanOrEqual(1);
      const last = reading.at(-1)!;
      expect(last).toMatchObject({ fileIndex: 1, fileCount: 2, fileName: 'chapter two.md' });
      expect(last.bytesRead).toBe(last.totalBytes);
      for (const e of reading) expect(e.fileName).not.toMatch(/[/\\]/);
      const types = events.map((e) => e.type);
      expect(types.lastIndexOf('reading')).toBeLessThan(types.indexOf('dataset'));
      expect(types.lastIndexOf('reading')).toBeLessThan(types.indexOf('step'));
      // metrics.jsonl records them like every other event, without the folder either.
      const lines = (await readFile(path.join(base.outDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').filter((l) => l.includes('"type":"reading"'));
      expect(lines).toHaveLength(reading.length);
      for (const l of lines) expect(l).not.toContain(path.dirname(base.dataFiles[0]));
    });
  });

  test('a cancel while the files are read ends the run as cancelled (not a failure), before any step or checkpoint', async () => {
    await withTwoFiles(async (base) => {
      const events: TrainEvent[] = [];
      const ac = new AbortController();
      const before = tf.memory().numTensors;
      const r = await runTraining(
        { ...base, steps: 5 },
        {
          signal: ac.signal,
          onEvent: (e) => {
            events.push(e);
            if (e.type === 'reading') ac.abort(); // the first file's first chunk: the second file is never read
          },
        },
      );
      expect(r).toMatchObject({ reason: 'cancelled', steps: 0, lastCheckpoint: null, losses: [] });
      expect(tf.memory().numTensors).toBe(before);
      expect(events.map((e) => e.type)).toEqual(['reading', 'done']);
      expect(events[1]).toMatchObject({ type: 'done', reason: 'cancelled', step: 0 });
      expect((events[0] as Reading).fileIndex).toBe(0);
    });
  });

  test('a reading failure that is not a cancel still fails the run', async () => {
    await withTwoFiles(async (base) => {
      await expect(runTraining({ ...base, dataFiles: [...base.dataFiles, path.join(path.dirname(base.outDir), 'missing.txt')], steps: 1 })).rejects.toThrow(/missing\.txt/);
    });
  });
});
