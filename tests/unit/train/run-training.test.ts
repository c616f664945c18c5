import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { initBackend } from '../../../main/engine/backend';
import { loadModelFolder } from '../../../main/engine/model-loader';
import { loadLatestCheckpoint } from '../../../main/engine/train/checkpoint';
import { PauseGate, type TrainEvent } from '../../../main/engine/train/run-options';
import { evaluationsSinceBest, isOutOfMemory, runTraining } from '../../../main/engine/train/run-training';
import { TrainModel } from '../../../main/engine/train/train-model';
import { TrainingDivergedError } from '../../../main/engine/train/trainer';
import { withStory } from './helpers';


beforeAll(async () => {
  await initBackend('wasm');
});

describe('runTraining on the tiny model', () => {
  test('fine-tuning lowers the held-out perplexity, checkpoints load in the engine and score the same', async () => {
    await withStory(async (_dir, base) => {
      const events: TrainEvent[] = [];
      const r = await runTraining({ ...base, steps: 8, valEvery: 8, sampleEvery: 8, batch: 4 }, { onEvent: (e) => events.push(e) });
      expect(r.reason).toBe('completed');
      const evals = events.filter((e): e is Extract<TrainEvent, { type: 'eval' }> => e.type === 'eval');
      expect(evals.map((e) => e.step)).toEqual([0, 8]);
      expect(evals[1].valPerplexity).toBeLessThan(evals[0].valPerplexity * 0.5);
      const sample = events.find((e) => e.type === 'sample');
      expect(sample).toMatchObject({ step: 8, copyRate: expect.any(Number) });
      expect(events.map((e) => e.type)).toContain('dataset');
      // metrics.jsonl holds one JSON object per event.
      const lines = (await readFile(path.join(base.outDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
      expect(lines.length).toBe(events.length);
      expect(JSON.parse(lines[0]).type).toBe(events[0].type);

      // The checkpoint is a Hugging Face folder the inference engine loads; it scores text as the trainer does.
      const loaded = await loadModelFolder(r.lastCheckpoint!);
      const ck = (await loadLatestCheckpoint(base.outDir))!;
      const ids = loaded.tokenizer.encode('The lamp turned slowly across the dark water of the harbour.');
      const { logits, cache } = loaded.model.forward([ids.slice(0, -1)], null, { allPositions: true });
      const lp = tf.tidy(() => tf.logSoftmax(tf.reshape(logits, [ids.length - 1, -1])).arraySync() as number[][]);
      const engineNll = lp.reduce((s, row, t) => s - row[ids[t + 1]], 0);
      tf.dispose([logits, ...cache.layers.flatMap((l) => [l.k, l.v])]);
      loaded.model.dispose();
      const tm = new TrainModel(ck.store, { freezeEmbeddings: false, trainLast: null });
      const trainerNll = tm.evalNll({ tokens: Int32Array.from(ids), B: 1, T: ids.length - 1 });
      tm.dispose();
      ck.store.releaseTensors();
      expect(Math.abs(engineNll - trainerNll) / ids.length).toBeLessThan(1e-4);
    });
  });

  test('resume reproduces the uninterrupted loss curve', async () => {
    await withStory(async (dir, base) => {
      const opts = { ...base, steps: 6, checkpointEvery: 3, valEvery: 3 };
      const full = await runTraining({ ...opts, outDir: path.join(dir, 'a') });
      const ac = new AbortController();
      const first = await runTraining({ ...opts, outDir: path.join(dir, 'b') }, { signal: ac.signal, onEvent: (e) => e.type === 'checkpoint' && e.step === 3 && ac.abort() });
      expect(first.reason).toBe('cancelled');
      expect(first.steps).toBe(3);
      const rest = await runTraining({ ...opts, outDir: path.join(dir, 'b'), resume: true });
      expect(rest.reason).toBe('completed');
      const joined = [...first.losses, ...rest.losses];
      expect(joined.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
      joined.forEach((l, i) => expect(Math.abs(l.loss - full.losses[i].loss)).toBeLessThanOrEqual(1e-5));
      // A resume with other settings is refused, naming the setting.
      await expect(runTraining({ ...opts, outDir: path.join(dir, 'b'), resume: true, lr: 1e-3 })).rejects.toThrow(/lr was 0.003/);
    });
  });

  test('a diverging run (lr 1e9) restores, lowers the rate, then stops with a clear message', async () => {
    await withStory(async (_dir, base) => {
      const events: TrainEvent[] = [];
      const before = tf.memory().numTensors;
      await expect(runTraining({ ...base, steps: 20, lr: 1e9, warmupSteps: 1 }, { onEvent: (e) => events.push(e) })).rejects.toThrow(TrainingDivergedError);
      expect(tf.memory().numTensors).toBe(before); // the error path frees everything too
      const warn = events.find((e) => e.type === 'warning' && e.code === 'nan-loss');
      expect(warn).toBeDefined();
      expect(JSON.stringify(warn)).toMatch(/lowered the learning rate to 5\.00e\+8/);
    });
  });

  test('out of memory halves the micro-batch, keeps the effective batch and goes on', async () => {
    await withStory(async (_dir, base) => {
      const events: TrainEvent[] = [];
      const seen: number[] = [];
      const before = tf.memory().numTensors;
      const r = await runTraining({ ...base, steps: 2, batch: 4 }, {
        onEvent: (e) => events.push(e),
        beforeMicroBatch: (mb) => {
          seen.push(mb);
          if (mb > 1) throw new Error('Failed to allocate memory: out of memory');
        },
      });
      expect(r.reason).toBe('completed');
      const warnings = events.filter((e) => e.type === 'warning' && e.code === 'out-of-memory');
      expect(warnings).toHaveLength(2);
      expect(JSON.stringify(warnings[1])).toMatch(/micro-batch 1 × 4 accumulation steps \(the same effective batch\)/);
      expect(seen.slice(0, 2)).toEqual([4, 2]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  test('pause holds the run between steps; resume continues; cancel before start does nothing', async () => {
    await withStory(async (dir, base) => {
      const gate = new PauseGate();
      gate.pause();
      const events: TrainEvent[] = [];
      let onPaused: () => void = () => undefined;
      const paused = new Promise<void>((r) => (onPaused = r));
      const run = runTraining({ ...base, steps: 2 }, { pause: gate, onEvent: (e) => { events.push(e); if (e.type === 'paused') onPaused(); } });
      await paused;
      await new Promise((r) => setTimeout(r, 100));
      expect(events.some((e) => e.type === 'step')).toBe(false);
      gate.resume();
      expect((await run).reason).toBe('completed');
      expect(events.some((e) => e.type === 'resumed')).toBe(true);

      const ac = new AbortController();
      ac.abort();
      await expect(runTraining({ ...base, outDir: path.join(dir, 'c'), steps: 2 }, { signal: ac.signal })).rejects.toThrow();
    });
  });

  test('warns before starting: a small dataset for the planned steps, and a zero learning rate', async () => {
    await withStory(async (_dir, base) => {
      const events: TrainEvent[] = [];
      const ac = new AbortController();
      const r = await runTraining({ ...base, steps: 1000, lr: 0 }, { signal: ac.signal, onEvent: (e) => (events.push(e), e.type === 'dataset' && ac.abort()) });
      expect(r).toMatchObject({ reason: 'cancelled', steps: 0, lastCheckpoint: null });
      const codes = events.filter((e) => e.type === 'warning').map((e) => (e as { code: string }).code);
      expect(codes).toEqual(expect.arrayContaining(['small-dataset', 'lr-zero']));
      expect(events.some((e) => e.type === 'step')).toBe(false);
    });
  });

  test.for([
    ['a run that cannot fit in memory, with a suggestion', { memoryBudgetBytes: 1e6 }, /more than the 0\.00 GiB available/],
    ['a block longer than the text', { block: 120, dataFiles: ['SHORT'] }, /fewer than one block of 121; use a block of at most \d+ tokens/],
    ['no files', { dataFiles: [] }, /no files given/],
    ['a block beyond the context', { block: 4096 }, /block must be a whole number from 1 to 128/],
  ] as const)('refuses %s', async ([, extra, message]) => {
    await withStory(async (dir, base) => {
      const short = path.join(dir, 'short.txt');
      await writeFile(short, 'A short note, just a few words long.\n\nAnother line of it.');
      const dataFiles = 'dataFiles' in extra ? extra.dataFiles.map((f) => (f === 'SHORT' ? short : f)) : base.dataFiles;
      await expect(runTraining({ ...base, steps: 1, ...extra, dataFiles })).rejects.toThrow(message);
    });
  });
});

describe('policies', () => {
  test.for([
    [[3, 2, 1], 2, null],
    [[3, 2, 2.1, 2.2], 2, 2],
    [[3, 2, 2.1, 1.9, 2.0], 2, null],
    [[3, 4, 5, 6], 0, null],
  ] as const)('early stop for val losses %j, patience %d → %j', ([losses, patience, want]) => {
    expect(evaluationsSinceBest(losses.map((valLoss) => ({ valLoss })), patience)).toBe(want);
  });

  test.for([
    [new Error('Failed to allocate memory'), true],
    [new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'), true],
    [new Error('Cannot allocate Wasm memory for new instance'), true],
    [new RangeError('Array buffer allocation failed'), true],
    [new Error('out of memory'), true],
    [new Error('shape mismatch'), false],
  ] as const)('isOutOfMemory(%s) is %s', ([err, want]) => {
    expect(isOutOfMemory(err)).toBe(want);
  });
});
