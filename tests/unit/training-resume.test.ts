/**
 * Resuming from the app (TrainingService.resumable / resumeRun / discard) with
 * the real training worker and the tiny model:
 *  - a run whose worker is killed is listed as 'crashed'; resumed, it goes on
 *    from its last checkpoint and its losses after it equal an uninterrupted
 *    run's (same seed, files, settings) to 1e-5, then registers the fine-tune;
 *  - a cancelled run is listed as 'cancelled'; a run stopped by the app
 *    quitting as 'interrupted'; a swept manuscript is named when resuming;
 *    discard deletes the run folder.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ModelInfo, TrainingEvent } from '../../common/contract';
import { ModelRegistry } from '../../main/services/models/registry';
import { TrainingService, type TrainingModels } from '../../main/services/training';
import { workerJobRunner, type TrainJobHandle, type TrainJobRunner } from '../../main/training-host';
import { bundleWorker } from './helpers/bundle-worker';
import { storyText } from './train/helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');
const OVERRIDES = { steps: 8, block: 32, batch: 1, accum: 1, lr: 2e-3, valEvery: 2, sampleEvery: 0, trainLast: 1 };
type Step = Extract<TrainingEvent, { type: 'step' }>;
type Done = Extract<TrainingEvent, { type: 'done' }>;

let bundle: { dir: string; file: string };
let work: string;
let base: ModelInfo;

beforeAll(async () => {
  bundle = await bundleWorker('main/engine/train-worker.ts', 'inkwell-resume-train-');
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-training-resume-'));
  base = (await ModelRegistry.open({ dataDir: path.join(work, 'registry'), builtinDir: TINY })).active() as ModelInfo;
}, 60_000);

afterAll(async () => {
  for (const d of [bundle.dir, work]) await fs.rm(d, { recursive: true, force: true });
});

/** A service on its own data folder whose runner keeps the current training job, to kill it from outside. */
async function setup(name: string) {
  const dataDir = await fs.mkdtemp(path.join(work, `${name}-`));
  const file = path.join(dataDir, 'story.txt');
  await fs.writeFile(file, storyText(40, 3));
  const added: { name: string; steps: number }[] = [];
  const models: TrainingModels = { get: () => base, active: () => base, addFinetune: async (r) => (added.push(r), { ...base, id: `ft-${added.length}`, name: r.name }) };
  const real = workerJobRunner(bundle.file);
  const jobs: { train: TrainJobHandle | null } = { train: null };
  const runner: TrainJobRunner = (data, onEvent) => {
    const job = real(data, onEvent);
    if (data.job === 'train') jobs.train = job;
    return job;
  };
  const service = new TrainingService({ dataDir, runner, models, backend: 'wasm', stepIntervalMs: 0 });
  return { dataDir, file, added, jobs, service, request: { files: [file], baseModelId: base.id, preset: 'quick' as const, overrides: OVERRIDES, name: 'Story voice' } };
}

const stepsOf = (events: TrainingEvent[]): Step[] => events.filter((e): e is Step => e.type === 'step');
const signal = () => new AbortController().signal;

describe('resuming a run from the app', () => {
  test('a killed run is listed as crashed, resumes from its checkpoint and matches an uninterrupted run', async () => {
    // The reference: the same run, never interrupted.
    const ref = await setup('reference');
    const refEvents: TrainingEvent[] = [];
    expect(await ref.service.start(ref.request, (e) => refEvents.push(e), signal())).toMatchObject({ ok: true, value: { reason: 'completed', steps: 8 } });
    expect(await ref.service.resumable()).toEqual([]); // a finished run is not offered

    const s = await setup('killed');
    const events: TrainingEvent[] = [];
    let checkpoints = 0;
    let killedAfter: number | null = null;
    const first = await s.service.start(s.request, (e) => {
      events.push(e);
      if (e.type === 'checkpoint') checkpoints++;
      // Killed just after the step that follows the second checkpoint (step 4 is on disk, step 5 reported).
      if (e.type === 'step' && checkpoints === 2 && killedAfter === null) {
        killedAfter = e.step;
        void s.jobs.train?.terminate();
      }
    }, signal());
    expect(first).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
    const runId = (events.find((e) => e.type === 'started') as Extract<TrainingEvent, { type: 'started' }>).runId;
    const [listed, ...others] = await s.service.resumable();
    expect(others).toEqual([]);
    // A slow kill can let checkpoint 6 through; resume follows the pointer either way.
    expect(listed).toMatchObject({ runId, name: 'Story voice', totalSteps: 8, reason: 'crashed' });
    expect([4, 6]).toContain(listed.step);
    expect(existsSync(s.file)).toBe(true);

    const resumed: TrainingEvent[] = [];
    const r = await s.service.resumeRun(runId, (e) => resumed.push(e), signal());
    expect(r, JSON.stringify(r).slice(0, 300)).toMatchObject({ ok: true, value: { type: 'done', runId, reason: 'completed', steps: 8 } });
    expect(resumed.slice(0, 2).map((e) => e.type)).toEqual(['started', 'dataset']);
    expect(resumed[0]).toMatchObject({ runId, steps: 8, preset: 'quick', baseModelId: base.id });
    const after = stepsOf(resumed);
    expect(after.map((e) => e.step)).toEqual(Array.from({ length: 8 - listed.step }, (_, i) => listed.step + 1 + i));
    const refLoss = new Map(stepsOf(refEvents).map((e) => [e.step, e.loss]));
    for (const e of after) expect(Math.abs(e.loss - refLoss.get(e.step)!), `step ${e.step}`).toBeLessThanOrEqual(1e-5);
    // The perplexity before training comes from the first session's step-0 evaluation.
    const refDone = refEvents.at(-1) as Done;
    expect((r as { value: Done }).value.perplexityBefore).toBeCloseTo(refDone.perplexityBefore!, 4);
    expect(s.added).toMatchObject([{ name: 'Story voice', steps: 8 }]);
    expect(await s.service.resumable()).toEqual([]);
    console.info(`[training-resume] killed after step ${killedAfter}, resumed from checkpoint ${listed.step}; steps ${after[0].step}-8 match the uninterrupted run to 1e-5`);
  }, 180_000);

  test('cancel → cancelled; quit → interrupted; a missing manuscript is named; discard deletes the run', async () => {
    const s = await setup('cancel');
    // The manuscript is an upload (staged in the inbox): it must outlive the cancelled run, which can still be resumed.
    const text = await fs.readFile(s.file);
    const { stageId } = await s.service.inbox.begin({ name: 'story.txt', size: text.length });
    await s.service.inbox.chunk({ stageId, index: 0, base64: text.toString('base64') });
    const staged = (await s.service.inbox.end({ stageId })).path;
    const request = { ...s.request, files: [staged] };
    const cancelled = await s.service.start(request, (e) => e.type === 'checkpoint' && s.service.cancel(s.service.running!), signal());
    expect(cancelled).toMatchObject({ ok: true, value: { reason: 'cancelled' } });
    const [run] = await s.service.resumable();
    expect(run).toMatchObject({ reason: 'cancelled', step: 2, totalSteps: 8 });
    expect(existsSync(staged)).toBe(true);

    // The app quits mid-run: the record stays 'running', which the next session offers as 'interrupted'.
    const quit = s.service.resumeRun(run.runId, (e) => e.type === 'step' && void s.service.close(), signal());
    expect(await quit).toMatchObject({ ok: false, error: { code: 'engine_crashed' } });
    const next = new TrainingService({ dataDir: s.dataDir, runner: workerJobRunner(bundle.file), models: { get: () => base, active: () => base, addFinetune: () => Promise.reject(new Error('unused')) } });
    expect(await next.resumable()).toMatchObject([{ runId: run.runId, reason: 'interrupted' }]);

    expect(existsSync(staged)).toBe(true);
    await fs.rm(staged);
    await expect(next.resumeRun(run.runId, () => undefined, signal())).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining(staged) });
    expect(next.running).toBeNull();
    await expect(next.resumeRun('run-nope', () => undefined, signal())).rejects.toMatchObject({ code: 'not_found' });

    const runDir = path.join(s.dataDir, 'runs', run.runId);
    expect(existsSync(runDir)).toBe(true);
    expect(await next.discard(run.runId)).toEqual({ ok: true });
    expect(existsSync(runDir)).toBe(false);
    expect(existsSync(path.dirname(staged))).toBe(false); // its upload's inbox folder went with it
    expect(await next.resumable()).toEqual([]);
    await expect(next.discard(run.runId)).rejects.toMatchObject({ code: 'not_found' });
  }, 180_000);
});
