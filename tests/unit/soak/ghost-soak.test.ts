/**
 * Soak test (issue 7, item 4): thousands of ghost-text requests with cancellation storms,
 * against the real engine worker through the router, wired as the app wires it. Proves that
 * every request ends (answered or cancelled), none is left running, the engine still answers
 * correctly afterwards, and the process's memory (the worker is a thread of this process, so
 * RSS covers its tensors) does not grow past a stated bound after a warm-up, and the worker's
 * live tfjs tensors (EngineHost.stats) are exactly as many after the storm as after the warm-up.
 *
 * SOAK_REQUESTS scales the run (default 2000); SOAK_SEED replays a given storm.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GenerateEvent } from '../../../common/contract';
import { createAppServices, type AppServices } from '../../../main/services/app-services';
import { quantile, runStorm, type StormReport } from './typing-storm';

const WORKER = path.resolve('dist/main/engine/worker.js');
const TINY = path.resolve('tests/fixtures/models/tiny');
const ready = existsSync(WORKER) && existsSync(path.join(TINY, 'config.json'));
if (!ready) console.log(`ghost-soak: skipped: needs ${WORKER} (node scripts/build.mjs) and ${TINY} (made by vitest's global setup)`);

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 2000);
const SEED = Number(process.env.SOAK_SEED ?? 20261129);
/** Warm-up: lets the tfjs backend, the prefix cache and V8 reach their working size before RSS is read. */
const WARMUP = Math.min(200, Math.max(20, Math.floor(REQUESTS / 10)));
/** Allowed RSS growth across the measured phase; a leak of one small tensor per request would pass it only for tiny models, a leak of activations would not. */
const RSS_BOUND_MB = 150;
const SCOPE = 'soak-window';

const rssMB = () => Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;

let dir: string;
let app: AppServices;

beforeAll(async () => {
  if (!ready) return;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-soak-'));
  app = await createAppServices({ dataDir: path.join(dir, 'data'), modelDir: TINY, workerPath: WORKER, mode: 'browser', version: '0.0.0-soak', log: () => undefined });
  await app.engine.whenReady();
});

afterAll(async () => {
  if (!ready) return;
  await app.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A normal, uncancelled greedy suggestion: what the writer sees when they stop typing. */
async function suggestion(context: string): Promise<{ texts: string[]; tokens: number }> {
  let tokens = 0;
  const r = await app.router.stream(
    'engine.generate',
    { task: 'continue', context, options: { maxTokens: 8, minTokens: 8, greedy: true } },
    (e) => {
      if ((e as GenerateEvent).type === 'token') tokens++;
    },
    undefined,
    undefined,
    SCOPE,
  );
  if (!r.ok) throw new Error(`ghost-soak: the normal suggestion failed: ${r.error.code}: ${r.error.message}`);
  const done = r.value as Extract<GenerateEvent, { type: 'done' }>;
  return { texts: done.texts, tokens };
}

/** tf.memory().numTensors inside the engine worker (this thread's tfjs sees none of its tensors). */
async function workerTensors(): Promise<number> {
  const r = await app.engine.stats();
  if (!r.ok) throw new Error(`ghost-soak: engine stats failed: ${r.error.code}: ${r.error.message}`);
  return r.value.numTensors;
}

function expectClean(report: StormReport, phase: string): void {
  expect(report.stuck, `${phase}: requests that never ended`).toEqual([]);
  expect(report.failures, `${phase}: requests that ended neither done nor aborted`).toEqual([]);
  expect(report.finished + report.cancelled, `${phase}: every request is accounted for`).toBe(report.requests);
  expect(app.router.activeStreams, `${phase}: streams left registered in the router`).toBe(0);
}

describe.skipIf(!ready)('ghost-text soak through the router', () => {
  test(
    `${REQUESTS} requests with cancellation storms: none stuck, no growth, the engine still answers`,
    async () => {
      // Not a prefix of the storm's typing, so afterwards the prefix cache holds all of it or none of it.
      const context = 'Once upon a time, in a quiet harbour town, the lighthouse keeper';
      const before = await suggestion(context);
      // The same prompt again, now served from the prefix cache: the suggestion must not depend on it.
      expect((await suggestion(context)).texts).toEqual(before.texts);
      // Greedy, so repeatable; a stop (sentence end) may end it before 8 tokens.
      expect(before.tokens).toBeGreaterThan(0);
      expect(before.texts[0]?.length ?? 0).toBeGreaterThan(0);

      const warm = await runStorm({ router: app.router, scope: SCOPE, requests: WARMUP, seed: SEED });
      expectClean(warm, 'warm-up');
      const tensorsAfterWarmUp = await workerTensors();
      const rssBeforeMB = rssMB();
      const started = performance.now();
      const main = await runStorm({ router: app.router, scope: SCOPE, requests: REQUESTS - WARMUP, seed: SEED + 1, firstIndex: WARMUP });
      const seconds = (performance.now() - started) / 1000;
      expectClean(main, 'storm');
      const rssAfterMB = rssMB();
      const tensorsAfterStorm = await workerTensors();

      // The same greedy request gives the same suggestion as before the storm: no state leaked into it.
      const after = await suggestion(context);
      expect(after.tokens).toBe(before.tokens);
      expect(after.texts).toEqual(before.texts);
      expect(app.router.activeStreams).toBe(0);

      const latencies = [...warm.cancelLatenciesMs, ...main.cancelLatenciesMs];
      const summary = {
        requests: warm.requests + main.requests,
        finished: warm.finished + main.finished,
        cancelled: warm.cancelled + main.cancelled,
        cancelAckP50Ms: Math.round(quantile(latencies, 0.5) * 10) / 10,
        cancelAckP95Ms: Math.round(quantile(latencies, 0.95) * 10) / 10,
        stormSeconds: Math.round(seconds * 10) / 10,
        rssBeforeMB,
        rssAfterMB,
        rssBoundMB: RSS_BOUND_MB,
        workerTensorsAfterWarmUp: tensorsAfterWarmUp,
        workerTensorsAfterStorm: tensorsAfterStorm,
        seed: SEED,
      };
      console.log(`ghost-soak ${JSON.stringify(summary)}`);
      // Both fates really happened, or the storm proved nothing.
      expect(summary.finished).toBeGreaterThan(0);
      expect(summary.cancelled).toBeGreaterThan(summary.requests / 2);
      expect(rssAfterMB - rssBeforeMB, `RSS grew from ${rssBeforeMB} MB to ${rssAfterMB} MB`).toBeLessThan(RSS_BOUND_MB);
      // Exactly flat: one leaked tensor per thousand requests would show here long before RSS noticed.
      expect(tensorsAfterStorm, 'live tensors in the engine worker after the storm vs after the warm-up').toBe(tensorsAfterWarmUp);
    },
    240_000,
  );
});
