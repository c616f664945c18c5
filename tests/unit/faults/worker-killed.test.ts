// BAD-INPUTS K.2, with the real workers (bundled from source) and the tiny model:
//  - the engine worker is terminated mid-generation: the caller gets
//    engine_crashed at once, the next call restarts the worker and returns the
//    same greedy text as before the crash;
//  - the training worker is terminated mid-training through the training
//    service: the run ends with engine_crashed naming the kept checkpoints, and
//    a resumed run continues from the last checkpoint: its step numbers follow
//    on, and its first step reproduces the loss the killed run had reported
//    for that step (same weights, moments and data position).
// A thread has no pid to SIGKILL: Worker.terminate() is the hard stop that
// worker_threads offers, and it is what the host sees when the thread dies.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GenerateEvent, ModelInfo, TrainingEvent } from '../../../common/contract';
import { EngineHost } from '../../../main/engine-host';
import { CHECKPOINTS_DIR, LATEST_FILE, type CheckpointPointer } from '../../../main/engine/train/checkpoint';
import type { TrainOptions, TrainResult } from '../../../main/engine/train/run-options';
import { ModelRegistry } from '../../../main/services/models/registry';
import { resolvePreset, TrainingService, type TrainingModels } from '../../../main/services/training';
import { workerJobRunner, type TrainJobHandle, type TrainJobRunner } from '../../../main/training-host';
import { storyText } from '../train/helpers';
import { bundleWorker } from '../helpers/bundle-worker';
import { scaled } from './fault-helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');
const KILLS = scaled(2);
const PROMPT = { task: 'raw' as const, context: 'The lighthouse keeper counted the ships', options: { maxTokens: 16, greedy: true } };

let engineBundle: { dir: string; file: string };
let trainBundle: { dir: string; file: string };
let work: string;

beforeAll(async () => {
  engineBundle = await bundleWorker('main/engine/worker.ts', 'inkwell-fault-engine-');
  trainBundle = await bundleWorker('main/engine/train-worker.ts', 'inkwell-fault-train-');
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-worker-killed-'));
});

afterAll(async () => {
  for (const d of [engineBundle.dir, trainBundle.dir, work]) await fsp.rm(d, { recursive: true, force: true });
});

/** The host's current worker thread; private to EngineHost, reached here only to kill it from outside. */
const workerOf = (host: EngineHost): Worker | null => (host as unknown as { worker: Worker | null }).worker;

describe('engine worker killed mid-generation', () => {
  test(`the caller gets engine_crashed, the next call works and answers the same (${KILLS} kills)`, async () => {
    const logs: string[] = [];
    const host = new EngineHost({ workerPath: engineBundle.file, init: { modelDir: TINY, backend: 'wasm' }, log: (m) => logs.push(m) });
    try {
      const before = await host.generate(PROMPT, () => undefined);
      expect(before).toMatchObject({ ok: true, value: { type: 'done' } });
      const text = before.ok && before.value.type === 'done' ? before.value.texts[0] : '';
      expect(text.length).toBeGreaterThan(0);

      for (let k = 0; k < KILLS; k++) {
        let tokens = 0;
        const inFlight = host.generate({ ...PROMPT, options: { maxTokens: 500, greedy: true } }, (e: GenerateEvent) => {
          // Killed between two tokens of a long generation, from outside the thread.
          if (e.type === 'token' && ++tokens === 3) void workerOf(host)?.terminate();
        });
        const result = await inFlight;
        expect(result, `kill ${k}`).toMatchObject({ ok: false, error: { code: 'engine_crashed', message: expect.stringMatching(/restarts on the next request/) } });
        expect(tokens).toBeLessThan(500);
        expect(host.inFlight).toBe(0);

        const after = await host.generate(PROMPT, () => undefined);
        expect(after, `after kill ${k}`).toMatchObject({ ok: true, value: { type: 'done', texts: [text] } });
      }
      expect(host.info().crashes).toBe(KILLS);
      console.info(`[faults] worker-killed: engine worker killed ${KILLS} times mid-generation; each caller got engine_crashed; the next call gave the same greedy text`);
    } finally {
      await host.terminate();
    }
  }, 120_000);
});

describe('training worker killed mid-training', () => {
  test('the run fails with engine_crashed; a resumed run continues from the last checkpoint', async () => {
    const dataFile = path.join(work, 'story.txt');
    await fsp.writeFile(dataFile, storyText(40, 3));
    const base: ModelInfo = (await ModelRegistry.open({ dataDir: path.join(work, 'registry'), builtinDir: TINY })).active() as ModelInfo;
    const models: TrainingModels = {
      get: () => base,
      active: () => base,
      addFinetune: () => Promise.reject(new Error('a killed run must not register a model')),
    };
    const overrides = { steps: 12, block: 32, batch: 1, accum: 1, lr: 2e-3, valEvery: 2, sampleEvery: 0, trainLast: 1 };
    const realRunner = workerJobRunner(trainBundle.file);
    let trainJob: TrainJobHandle | null = null;
    const runner: TrainJobRunner = (data, onEvent) => {
      const job = realRunner(data, onEvent);
      if (data.job === 'train') trainJob = job;
      return job;
    };
    const service = new TrainingService({ dataDir: work, runner, models, backend: 'wasm', stepIntervalMs: 0 });

    // Kill the worker right after the step that follows the second checkpoint: step 5 is reported, step 4 is on disk.
    const events: TrainingEvent[] = [];
    let checkpoints = 0;
    let killedAfterStep: number | null = null;
    const result = await service.start({ files: [dataFile], baseModelId: base.id, preset: 'quick', overrides }, (e) => {
      events.push(e);
      if (e.type === 'checkpoint') checkpoints++;
      if (e.type === 'step' && checkpoints === 2 && killedAfterStep === null) {
        killedAfterStep = e.step;
        void trainJob?.terminate();
      }
    }, new AbortController().signal);
    expect(killedAfterStep).toBe(5);
    expect(result).toMatchObject({ ok: false, error: { code: 'engine_crashed', message: expect.stringMatching(/training worker stopped unexpectedly.*checkpoints written so far are kept/s) } });
    expect(service.running).toBeNull();

    // Resume the same run (the options the service used, plus resume) in a fresh training worker.
    const started = events.find((e): e is Extract<TrainingEvent, { type: 'started' }> => e.type === 'started')!;
    // The kill lands between steps 5 and 6; a slow kill could let checkpoint 6 through, which is as good: resume follows the pointer.
    const pointer = JSON.parse(await fsp.readFile(path.join(started.runDir, CHECKPOINTS_DIR, LATEST_FILE), 'utf8')) as CheckpointPointer;
    expect([4, 6]).toContain(pointer.step);
    const p = resolvePreset('quick', base, overrides);
    const options: TrainOptions = {
      modelDir: base.path, dataFiles: [dataFile], outDir: started.runDir, steps: started.steps, lr: p.lr, block: p.block, batch: p.batch, accum: p.accum,
      freezeEmbeddings: p.freezeEmbeddings, ...(p.trainLast !== null ? { trainLast: p.trainLast } : {}),
      valEvery: p.valEvery, sampleEvery: p.sampleEvery, checkpointEvery: p.valEvery, sampleTokens: p.sampleTokens, resume: true,
    };
    const steps: { step: number; loss: number }[] = [];
    const outcome = await realRunner({ job: 'train', options, backend: 'wasm' }, (e) => e.type === 'step' && steps.push({ step: e.step, loss: e.loss })).outcome;
    expect(outcome, JSON.stringify(outcome).slice(0, 400)).toMatchObject({ type: 'result' });
    const resumed = (outcome as { result: TrainResult }).result;
    expect(resumed.reason).toBe('completed');
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 12 - pointer.step }, (_, i) => pointer.step + 1 + i));
    const before = events.find((e): e is Extract<TrainingEvent, { type: 'step' }> => e.type === 'step' && e.step === pointer.step + 1);
    // The loss curve continues: the resumed first step is the killed run's same step, from the same weights, moments and data position.
    if (before) expect(Math.abs(steps[0].loss - before.loss)).toBeLessThanOrEqual(1e-5);
    console.info(`[faults] worker-killed: training worker killed after step ${killedAfterStep} (last checkpoint: step ${pointer.step}); resumed steps ${pointer.step + 1}-12; first resumed loss ${steps[0].loss.toFixed(6)} vs ${before?.loss.toFixed(6) ?? 'n/a'} before the kill`);
  }, 180_000);
});
