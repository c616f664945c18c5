/**
 * A run's events kept in memory, so a window that reloads mid-run
 * (training.current + training.watch) gets the chart, the progress and the
 * latest sample back, then the live events, with no gap between the two:
 * the replay and the subscription happen in the same turn of the event loop.
 *
 * The log is bounded: step events (the only numerous kind) are thinned to
 * every other one once there are MAX_REPLAY_STEPS of them, so a 100k-step run
 * keeps the shape of its curve in a few hundred kB; of the 'reading' events only
 * the newest is kept; every other event is kept.
 */
import type { Result, TrainingCurrent, TrainingEvent } from '../../common/contract';

export const MAX_REPLAY_STEPS = 2_000;

type Listener = (e: TrainingEvent) => void;

export class RunLog {
  private events: TrainingEvent[] = [];
  private steps = 0;
  private readonly listeners = new Set<Listener>();
  private result: Result<TrainingEvent> | null = null;
  private readonly ended: Promise<Result<TrainingEvent>>;
  private resolveEnded: (r: Result<TrainingEvent>) => void = () => undefined;
  readonly state: Omit<TrainingCurrent, 'runId'>;

  constructor(init: Omit<TrainingCurrent, 'runId' | 'phase' | 'step' | 'totalSteps'>) {
    this.state = { ...init, phase: 'preparing', step: 0, totalSteps: 0 };
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Records the event, updates the summary and hands it to every listener (a throwing listener is dropped). */
  push(e: TrainingEvent): void {
    this.record(e);
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        this.listeners.delete(l);
      }
    }
  }

  /** The run is over: listeners get nothing more; later watchers get the replay and this result. */
  finish(result: Result<TrainingEvent>): void {
    this.result = result;
    this.listeners.clear();
    this.resolveEnded(result);
  }

  get finished(): boolean {
    return this.result !== null;
  }

  /** Everything kept so far (for tests and diagnostics). */
  snapshot(): readonly TrainingEvent[] {
    return this.events;
  }

  /**
   * Replays the kept events to `onEvent`, then streams new ones until the run
   * ends (its result) or `signal` aborts: that only detaches, the run goes on.
   */
  attach(onEvent: Listener, signal: AbortSignal, replay: boolean): Promise<Result<TrainingEvent>> {
    if (replay) for (const e of this.events) onEvent(e);
    if (this.result) return Promise.resolve(this.result);
    if (signal.aborted) return Promise.resolve(detached());
    this.listeners.add(onEvent);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.listeners.delete(onEvent);
        resolve(detached());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void this.ended.then((r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      });
    });
  }

  private record(e: TrainingEvent): void {
    const s = this.state;
    switch (e.type) {
      case 'started':
        s.phase = 'training';
        s.totalSteps = e.steps;
        break;
      case 'dataset':
        s.totalSteps = e.steps;
        break;
      case 'step':
        s.step = e.step;
        s.totalSteps = e.totalSteps;
        break;
      case 'paused':
        s.phase = 'paused';
        break;
      case 'resumed':
        s.phase = 'training';
        break;
      default:
        break;
    }
    // Reading progress is a position, not a history: a reattaching window needs only the newest one.
    if (e.type === 'reading') this.events = this.events.filter((x) => x.type !== 'reading');
    this.events.push(e);
    if (e.type !== 'step') return;
    if (++this.steps <= MAX_REPLAY_STEPS) return;
    let odd = false;
    this.events = this.events.filter((x) => x.type !== 'step' || (odd = !odd) || x === e);
    this.steps = this.events.filter((x) => x.type === 'step').length;
  }
}

function detached(): Result<TrainingEvent> {
  return { ok: false, error: { code: 'aborted', message: 'stopped watching the training run; it goes on (training.current and training.watch reattach)' } };
}
