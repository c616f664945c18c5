/**
 * Drives a "writer typing fast" storm of ghost-text requests through the router: the context
 * grows by one character per keystroke, most requests are cancelled after a random 0–20 ms
 * (half through their AbortSignal, half through engine.cancel, as the renderer and the browser
 * client do), some run to the end. At most `maxInFlight` requests run at once, as in the UI
 * where a new keystroke cancels the previous suggestion. Every random choice comes from a
 * seeded PRNG so that a failing run can be replayed with the same seed.
 */
import type { Router } from '../../../main/router';

/** mulberry32: small, fast, seeded; good enough to pick delays and fates. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Fate = 'signal' | 'cancel-call' | 'finish';

export interface StormOptions {
  router: Router;
  scope: string;
  requests: number;
  seed: number;
  /** Index of the first request (ids and context length continue across phases). */
  firstIndex?: number;
  maxInFlight?: number;
  /** A request that has not ended this long after it started counts as stuck. */
  stuckAfterMs?: number;
  /** Share of requests allowed to finish (the rest are cancelled). */
  finishShare?: number;
}

export interface StormReport {
  requests: number;
  finished: number;
  cancelled: number;
  /** Requests that ended any other way: the message of each, for the failure output. */
  failures: string[];
  /** Requests still running after stuckAfterMs, by stream id. */
  stuck: string[];
  /** Milliseconds from the cancel to the request's end, one per cancelled request. */
  cancelLatenciesMs: number[];
}

const TEXT = 'The rain had not stopped for three days, and the river was rising faster than anyone in the valley remembered. ';

/** The text before the caret after `n` keystrokes. */
export function typedContext(n: number): string {
  let s = '';
  while (s.length < n + 1) s += TEXT;
  return s.slice(0, n + 1);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A cancelled request ends with done/'aborted' (the engine stopped it) or error 'aborted' (it never started). */
function isCancelled(r: Awaited<ReturnType<Router['stream']>>): boolean {
  if (r.ok) return (r.value as { reason?: unknown }).reason === 'aborted';
  return r.error.code === 'aborted';
}

export async function runStorm(options: StormOptions): Promise<StormReport> {
  const { router, scope, requests, seed } = options;
  const first = options.firstIndex ?? 0;
  const maxInFlight = options.maxInFlight ?? 3;
  const stuckAfterMs = options.stuckAfterMs ?? 20_000;
  const finishShare = options.finishShare ?? 0.1;
  const random = seededRandom(seed);
  const report: StormReport = { requests, finished: 0, cancelled: 0, failures: [], stuck: [], cancelLatenciesMs: [] };
  const inFlight = new Set<Promise<void>>();

  const one = async (index: number): Promise<void> => {
    const streamId = `soak-${index}`;
    const roll = random();
    const fate: Fate = roll < finishShare ? 'finish' : roll < finishShare + (1 - finishShare) / 2 ? 'signal' : 'cancel-call';
    const cancelAfterMs = Math.floor(random() * 21);
    const controller = new AbortController();
    let cancelledAt: number | null = null;
    const request = router.stream(
      'engine.generate',
      { task: 'continue', context: typedContext(index), options: { maxTokens: 8 } },
      () => undefined,
      controller.signal,
      streamId,
      scope,
    );
    let cancelTimer: NodeJS.Timeout | undefined;
    if (fate !== 'finish') {
      cancelTimer = setTimeout(() => {
        cancelledAt = performance.now();
        if (fate === 'signal') controller.abort();
        else void router.call('engine.cancel', { streamId }, scope);
      }, cancelAfterMs);
    }
    let stuckTimer: NodeJS.Timeout | undefined;
    const stuck = new Promise<'stuck'>((resolve) => {
      stuckTimer = setTimeout(() => resolve('stuck'), stuckAfterMs);
    });
    const outcome = await Promise.race([request, stuck]);
    const endedAt = performance.now();
    clearTimeout(cancelTimer);
    clearTimeout(stuckTimer);
    if (outcome === 'stuck') {
      report.stuck.push(streamId);
      controller.abort();
      return;
    }
    if (outcome.ok && !isCancelled(outcome)) {
      report.finished++;
    } else if (isCancelled(outcome)) {
      report.cancelled++;
      if (cancelledAt !== null) report.cancelLatenciesMs.push(endedAt - cancelledAt);
    } else {
      report.failures.push(`${streamId} (${fate}): ${outcome.ok ? 'ok' : `${outcome.error.code}: ${outcome.error.message}`}`);
    }
    // A request meant to finish must not come back cancelled: nothing cancelled it.
    if (fate === 'finish' && isCancelled(outcome)) report.failures.push(`${streamId}: meant to finish but ended as aborted`);
  };

  for (let i = first; i < first + requests; i++) {
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const p: Promise<void> = one(i).finally(() => inFlight.delete(p));
    inFlight.add(p);
    // The next keystroke: a fast typist, 0–4 ms apart.
    await delay(Math.floor(random() * 5));
  }
  await Promise.all(inFlight);
  return report;
}

/** The q-quantile (0..1) of a list of numbers, by nearest rank; 0 for an empty list. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
