/**
 * TrainingService: presets, the step throttle, one run at a time, pause /
 * resume / cancel by run id, a crashed worker, and a real fine-tune of the
 * tiny model in the real training worker that ends registered as a model.
 */
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { ModelInfo, TrainingEvent } from '../../common/contract';
import { createRouter } from '../../main/router';
import { ModelsService } from '../../main/services/models/models-service';
import { resolvePreset, stepThrottle, TrainingService, testTrainOverrides, type TrainingModels } from '../../main/services/training';
import { workerJobRunner } from '../../main/training-host';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const TINY = path.join(REPO, 'tests', 'fixtures', 'models', 'tiny');
const TEXT = `${Array.from({ length: 40 }, (_, i) => `The lamp on the pier burned low on night ${i}, and the keeper wrote it down.`).join('\n\n')}\n`;

let tmp: string;
let realWorker: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-training-'));
  // The worker must sit under the repo so that its external imports (@tensorflow/*) resolve from node_modules.
  const outDir = path.join(REPO, 'node_modules', '.cache', `inkwell-train-worker-${process.pid}`);
  realWorker = path.join(outDir, 'train-worker.js');
  await build({
    entryPoints: [path.join(REPO, 'main/engine/train-worker.ts')], outfile: realWorker, bundle: true, platform: 'node', target: 'node20', format: 'esm',
    external: ['@tensorflow/*', 'zod'], logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}, 60_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.rm(path.dirname(realWorker), { recursive: true, force: true });
});

const tinyInfo = (): ModelInfo => ({
  id: 'builtin', name: 'Tiny', origin: { kind: 'builtin', date: '2026-01-01T00:00:00Z' }, architecture: { layers: 2, width: 32, heads: 2, context: 64, vocab: 50257, parameters: 1 },
  sizeBytes: 1, validationPerplexity: null, active: true, path: TINY,
});
const fakeModels = (): TrainingModels & { added: unknown[] } => {
  const added: unknown[] = [];
  return { added, get: () => tinyInfo(), active: () => tinyInfo(), addFinetune: async (r) => (added.push(r), { ...tinyInfo(), id: 'ft', name: r.name }) };
};

/** A fake training worker: answers inspect at once; in 'train' it obeys `behaviour`. */
async function fakeWorker(behaviour: 'crash' | 'hang' | 'stall'): Promise<string> {
  const file = path.join(tmp, `fake-${behaviour}.mjs`);
  await fs.writeFile(file, `
import { parentPort, workerData } from 'node:worker_threads';
const report = { documents: 1, words: 10, tokens: 20, trainTokens: 19, valTokens: 1, duplicateParagraphs: 0, steps: 5, estimatedSeconds: 1, backend: 'cpu', warning: null };
if (workerData.job === 'inspect') ${behaviour === 'stall' ? 'setInterval(() => undefined, 1000);' : "parentPort.postMessage({ type: 'report', report });"}
else {
  const step = (n) => ({ type: 'event', event: { type: 'step', step: n, totalSteps: 5, epoch: 0, loss: 3, lr: 1e-4, gradNorm: 1, tokensPerSec: 9, elapsedMs: 1, etaMs: 1 } });
  parentPort.postMessage(step(1));
  ${behaviour === 'crash' ? "setTimeout(() => process.exit(7), 20);" : `
  parentPort.on('message', (m) => {
    if (m.type === 'pause') parentPort.postMessage({ type: 'event', event: { type: 'paused', step: 1 } });
    if (m.type === 'resume') parentPort.postMessage({ type: 'event', event: { type: 'resumed', step: 1 } });
    if (m.type === 'cancel') parentPort.postMessage({ type: 'result', result: { reason: 'cancelled', steps: 1, lastCheckpoint: '/x/checkpoints/step-1', bestCheckpoint: null, bestValLoss: null, losses: [] } });
  });`}
}`);
  return file;
}

/** Worker start-up under a loaded machine can take seconds. */
const WAIT = { timeout: 10_000 };
const request = (files: string[], overrides = {}) => ({ files, baseModelId: 'builtin', preset: 'quick' as const, overrides });

describe('presets', () => {
  test.each([
    ['quick', 2, true, 64],
    ['thorough', null, false, 64],
  ] as const)('%s trains the last %s blocks, frozen embeddings %s, block fitted to the context', (name, trainLast, frozen, block) => {
    const p = resolvePreset(name, tinyInfo());
    expect(p).toMatchObject({ trainLast, freezeEmbeddings: frozen, block });
  });
  test('overrides win and trainLast is capped at the model depth', () => {
    expect(resolvePreset('quick', tinyInfo(), { steps: 3, trainLast: 9, block: 16 })).toMatchObject({ steps: 3, trainLast: 2, block: 16 });
  });
  test('test overrides come only with test hooks', () => {
    expect(testTrainOverrides({ INKWELL_TRAIN_OVERRIDES: '{"steps":2}' })).toBeUndefined();
    expect(testTrainOverrides({ INKWELL_TEST_HOOKS: '1', INKWELL_TRAIN_OVERRIDES: '{"steps":2}' })).toEqual({ steps: 2 });
    expect(() => testTrainOverrides({ INKWELL_TEST_HOOKS: '1', INKWELL_TRAIN_OVERRIDES: '{"steps":-1}' })).toThrow(/INKWELL_TRAIN_OVERRIDES/);
  });
});

describe('stepThrottle', () => {
  test('passes one step per interval, keeps the latest, and flushes it before any other event', () => {
    vi.useFakeTimers();
    try {
      const out: TrainingEvent[] = [];
      const t = stepThrottle((e) => out.push(e), 250, () => Date.now());
      const step = (n: number): TrainingEvent => ({ type: 'step', step: n, totalSteps: 9, epoch: 0, loss: 1, lr: 1, tokensPerSec: 1, elapsedMs: 0, etaMs: 0 });
      for (let i = 1; i <= 5; i++) t.push(step(i));
      expect(out.map((e) => e.type === 'step' && e.step)).toEqual([1]);
      vi.advanceTimersByTime(250);
      expect(out.map((e) => e.type === 'step' && e.step)).toEqual([1, 5]);
      t.push(step(6));
      t.push({ type: 'checkpoint', step: 6 });
      expect(out.map((e) => e.type)).toEqual(['step', 'step', 'step', 'checkpoint']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('control and failures (fake worker)', () => {
  test('one run at a time; pause, resume and cancel reach the worker by run id; cancel registers nothing', async () => {
    const models = fakeModels();
    const svc = new TrainingService({ dataDir: tmp, runner: workerJobRunner(await fakeWorker('hang')), models, stepIntervalMs: 0 });
    const events: TrainingEvent[] = [];
    const first = svc.start(request(['/a.txt']), (e) => events.push(e), new AbortController().signal);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'step')).toBe(true), WAIT);
    const runId = (events.find((e) => e.type === 'started') as Extract<TrainingEvent, { type: 'started' }>).runId;
    expect(runId).toMatch(/^run-/);
    expect(await svc.start(request(['/a.txt']), () => undefined, new AbortController().signal)).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(() => svc.pause('run-nope')).toThrow(/no training run/);
    svc.pause(runId);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'paused')).toBe(true), WAIT);
    svc.resume(runId);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'resumed')).toBe(true), WAIT);
    svc.cancel(runId);
    const r = await first;
    expect(r).toMatchObject({ ok: true, value: { type: 'done', reason: 'cancelled', model: null, message: expect.stringContaining('checkpoint is kept') } });
    expect(models.added).toEqual([]);
    expect(svc.running).toBeNull();
  });

  test('aborting the stream only detaches (a reloaded window); current() finds the run and watch() replays then streams to the end', async () => {
    const svc = new TrainingService({ dataDir: tmp, runner: workerJobRunner(await fakeWorker('hang')), models: fakeModels(), stepIntervalMs: 0 });
    expect(svc.currentRun()).toBeNull();
    const ac = new AbortController();
    const events: TrainingEvent[] = [];
    const p = svc.start(request(['/a.txt']), (e) => events.push(e), ac.signal);
    expect(svc.currentRun()).toMatchObject({ phase: 'preparing', step: 0, baseModelId: 'builtin', preset: 'quick', files: ['/a.txt'] });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'step')).toBe(true), { timeout: 10_000 });
    ac.abort();
    expect(await p).toMatchObject({ ok: false, error: { code: 'aborted', message: expect.stringContaining('goes on') } });
    const seen = events.length;
    const current = svc.currentRun()!;
    expect(current).toMatchObject({ runId: svc.running, phase: 'training', step: 1, totalSteps: 5 });
    svc.pause(current.runId);
    await vi.waitFor(() => expect(svc.currentRun()?.phase).toBe('paused'), { timeout: 10_000 });
    expect(events.length).toBe(seen); // the detached listener gets nothing more

    const replay: TrainingEvent[] = [];
    const watching = svc.watch(current.runId, (e) => replay.push(e), new AbortController().signal);
    expect(replay.map((e) => e.type)).toEqual(['started', 'dataset', 'step', 'paused']);
    expect(() => svc.watch('run-other', () => undefined, new AbortController().signal)).toThrow(/no training run/);
    svc.cancel(current.runId);
    expect(await watching).toMatchObject({ ok: true, value: { type: 'done', reason: 'cancelled' } });
    expect(replay.at(-1)).toMatchObject({ type: 'done' });
    expect(svc.currentRun()).toBeNull();
    // Just after the end, a watcher still gets the whole run and its result.
    const late: TrainingEvent[] = [];
    expect(await svc.watch(current.runId, (e) => late.push(e), new AbortController().signal)).toMatchObject({ ok: true, value: { type: 'done' } });
    expect(late).toEqual(replay);
  });

  test('a cancel while the files are being read stops that worker at once', { timeout: 10_000 }, async () => {
    const svc = new TrainingService({ dataDir: tmp, runner: workerJobRunner(await fakeWorker('stall')), models: fakeModels() });
    const p = svc.start(request(['/a.txt']), () => undefined, new AbortController().signal);
    // Let the inspect worker start (and stall) before cancelling.
    await new Promise((r) => setTimeout(r, 200));
    svc.cancel(svc.running!);
    expect(await p).toMatchObject({ ok: true, value: { type: 'done', reason: 'cancelled', steps: 0, message: expect.stringContaining('before training started') } });
  });

  test('a crashed training worker fails the stream clearly and the next run may start', async () => {
    const svc = new TrainingService({ dataDir: tmp, runner: workerJobRunner(await fakeWorker('crash')), models: fakeModels() });
    const r = await svc.start(request(['/a.txt']), () => undefined, new AbortController().signal);
    expect(r).toMatchObject({ ok: false, error: { code: 'engine_crashed', message: expect.stringMatching(/exit code 7.*checkpoints/) } });
    expect(svc.running).toBeNull();
  });

  test('the router validates training requests before the service sees them', async () => {
    const router = createRouter({ training: new TrainingService({ dataDir: tmp, runner: () => { throw new Error('not called'); }, models: fakeModels() }) } as unknown as Parameters<typeof createRouter>[0]);
    expect(await router.call('training.inspect', { files: ['relative.txt'] })).toMatchObject({ ok: false, error: { code: 'invalid_payload', message: expect.stringContaining('absolute') } });
    expect(await router.stream('training.start', { files: ['/a.txt'], baseModelId: 'builtin', preset: 'huge' }, () => undefined)).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(await router.call('training.cancel', { runId: 'run-x' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('a real fine-tune of the tiny model in the training worker', () => {
  test('inspects, trains a few steps, and registers the fine-tune with its perplexities', async () => {
    expect(existsSync(path.join(TINY, 'config.json'))).toBe(true);
    const dataDir = await fs.mkdtemp(path.join(tmp, 'app-'));
    const file = path.join(dataDir, 'manuscript.txt');
    await fs.writeFile(file, TEXT);
    const models = await ModelsService.open({ dataDir, builtinDir: TINY, log: () => undefined });
    const base = models.registry.active()!;
    const svc = new TrainingService({
      dataDir, runner: workerJobRunner(realWorker), backend: 'wasm', stepIntervalMs: 0,
      // The lag check below covers the run itself; registering (ModelsService's own checks) happens after it.
      models: { get: (id) => models.registry.get(id), active: () => models.registry.active(), addFinetune: (r) => (clearInterval(monitor.ticker), models.addFinetune(r)) },
    });
    const monitor: { ticker?: ReturnType<typeof setInterval> } = {};

    const report = await svc.inspect({ files: [file], baseModelId: base.id, preset: 'quick' });
    expect(report).toMatchObject({ documents: 1, files: [file], backend: 'wasm' });
    expect(report.tokens).toBeGreaterThan(500);
    expect(report.steps).toBeGreaterThanOrEqual(20);

    const events: TrainingEvent[] = [];
    const overrides = { steps: 4, block: 16, batch: 2, accum: 1, lr: 3e-3, valEvery: 2, sampleEvery: 4, sampleTokens: 4 };
    // The main thread must stay free while the worker trains: measure its event-loop lag meanwhile (under load, so the bound is loose).
    let maxLag = 0;
    let last = performance.now();
    const spikes: string[] = [];
    monitor.ticker = setInterval(() => {
      const now = performance.now();
      const lag = now - last - 10;
      if (lag > 100) spikes.push(`${lag.toFixed(0)}ms after ${events.at(-1)?.type ?? 'start'}`);
      maxLag = Math.max(maxLag, lag);
      last = now;
    }, 10);
    const r = await svc.start({ ...request([file], overrides), baseModelId: base.id }, (e) => events.push(e), new AbortController().signal);
    clearInterval(monitor.ticker);
    console.log(`training-service: main-thread event-loop lag during the run: max ${maxLag.toFixed(0)} ms`, spikes);
    expect(maxLag).toBeLessThan(250);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const done = events.at(-1) as Extract<TrainingEvent, { type: 'done' }>;
    expect(done).toMatchObject({ type: 'done', reason: 'completed', steps: 4 });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['started', 'dataset', 'step', 'eval', 'sample', 'checkpoint', 'done']));
    expect(done.perplexityAfter!).toBeLessThan(done.perplexityBefore!);
    const listed = (await models.list()).find((m) => m.id === done.model!.id)!;
    expect(listed).toMatchObject({ origin: { kind: 'finetuned', from: base.id, files: ['manuscript.txt'], steps: 4 }, validationPerplexity: done.perplexityAfter });
    const started = events.find((e) => e.type === 'started') as Extract<TrainingEvent, { type: 'started' }>;
    expect(started.runDir).toBe(path.join(dataDir, 'runs', started.runId));
    expect(existsSync(path.join(started.runDir, 'metrics.jsonl'))).toBe(true);
    // Samples by step, read back from the run's real metrics.jsonl through the model id.
    const samples = await svc.samples(done.model!.id);
    expect(samples.map((x) => x.step)).toEqual([4]);
    expect(samples[0]).toMatchObject({ text: expect.any(String), valLoss: expect.any(Number) });
    expect(samples[0].copyRate).toBeGreaterThanOrEqual(0);
    expect(await svc.samples(base.id)).toEqual([]);
  }, 120_000);

  test('pause holds the run between steps; cancel keeps the last checkpoint and registers nothing', async () => {
    const dataDir = await fs.mkdtemp(path.join(tmp, 'cancel-'));
    const file = path.join(dataDir, 'manuscript.txt');
    await fs.writeFile(file, TEXT);
    const models = fakeModels();
    const svc = new TrainingService({ dataDir, runner: workerJobRunner(realWorker), backend: 'wasm', stepIntervalMs: 0, models });
    const events: TrainingEvent[] = [];
    const overrides = { steps: 200, block: 16, batch: 2, accum: 1, valEvery: 2, sampleEvery: 0 };
    let pausedAt = -1;
    const r = await svc.start(request([file], overrides), (e) => {
      events.push(e);
      if (e.type === 'step' && e.step === 1) svc.pause(svc.running!);
      if (e.type === 'paused') {
        pausedAt = events.length;
        // No step may arrive while paused; then resume and cancel at the next checkpoint.
        setTimeout(() => svc.resume(svc.running!), 300);
      }
      if (e.type === 'checkpoint' && events.some((x) => x.type === 'resumed')) svc.cancel(svc.running!);
    }, new AbortController().signal);
    expect(pausedAt).toBeGreaterThan(0);
    expect(events[pausedAt]).toMatchObject({ type: 'resumed' });
    expect(r).toMatchObject({ ok: true, value: { type: 'done', reason: 'cancelled', model: null, message: expect.stringContaining('checkpoint is kept') } });
    const done = (r as { ok: true; value: Extract<TrainingEvent, { type: 'done' }> }).value;
    expect(done.steps).toBeLessThan(200);
    const started = events.find((e) => e.type === 'started') as Extract<TrainingEvent, { type: 'started' }>;
    expect(await fs.readdir(path.join(started.runDir, 'checkpoints'))).toEqual(expect.arrayContaining(['latest.json']));
    expect(models.added).toEqual([]);
  }, 60_000);

  test('a file with no text is refused as bad input, not as a crash', async () => {
    const file = path.join(tmp, 'empty.txt');
    await fs.writeFile(file, '\n\n  \n');
    const svc = new TrainingService({ dataDir: tmp, runner: workerJobRunner(realWorker), backend: 'cpu', models: fakeModels() });
    const r = await svc.start(request([file]), () => undefined, new AbortController().signal);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_payload', message: expect.stringContaining('no text') } });
  }, 60_000);
});
