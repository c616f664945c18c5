/**
 * The optimisation loop, minGPT style: it knows nothing about GPT. A model
 * hands it its trainable parameters (Float32Arrays) and a function that fills
 * their gradients for one optimizer step (all micro-batches of it); the loop
 * clips by global norm, applies AdamW with the warmup + cosine schedule,
 * checks for NaN/Inf, and calls back after every step. Pause, cancel, out-of-
 * memory recovery and restoring a good state are the caller's policies,
 * reached through callbacks.
 */
import { ADAMW_DEFAULTS, adamwUpdate, clipScale, newMoments, sumOfSquares, type AdamWOptions, type Moments } from './adamw';
import { learningRate, type ScheduleOptions } from './schedule';

export interface TrainerParam {
  name: string;
  data: Float32Array;
  /** Weight decay applies (matrices yes; biases and LayerNorm no). */
  decay: boolean;
}

export interface TrainerModel {
  readonly params: readonly TrainerParam[];
  /**
   * Adds the gradient of the mean loss of optimizer step `step` into `grads`
   * (zeroed by the loop) and returns that mean loss and its target count.
   * May be async (data-parallel.ts waits for its worker ranks with a promise
   * rather than blocking this thread: a worker's exit event then still arrives).
   */
  gradients(step: number, grads: Map<string, Float32Array>): { loss: number; tokens: number } | Promise<{ loss: number; tokens: number }>;
  /** The named parameters' data changed (drop cached tensors). */
  paramsChanged(names: readonly string[]): void;
}

export interface TrainerConfig {
  schedule: ScheduleOptions;
  adamw?: Partial<AdamWOptions>;
  /** Global-norm clip (GPT-2 practice: 1.0); 0 disables. */
  clipNorm: number;
}

export interface StepInfo {
  step: number; // optimizer steps completed
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  ms: number;
}

export interface TrainerCallbacks {
  /** After every update. */
  onStep?(info: StepInfo): Promise<void> | void;
  /**
   * The step's loss or gradient was NaN/Inf; nothing was updated. The caller
   * restores a good state (through `trainer.state`) and lowers the rate.
   * A second one before the run gets past that step again makes run() throw TrainingDivergedError.
   */
  onNonFinite?(info: { step: number; loss: number; gradNorm: number }): Promise<void> | void;
  /** A step failed; return true when the caller adjusted something (e.g. halved the micro-batch) and the step should be retried. */
  onStepError?(err: unknown): Promise<boolean> | boolean;
  /** Resolves when training may continue (pause); checked before each step. */
  waitUntilRunnable?(): Promise<void>;
  /** Checked before each step: true ends the run ('stopped'), e.g. early stopping. */
  shouldStop?(): boolean;
}

export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

export interface TrainerState {
  step: number;
  lrScale: number;
  moments: Map<string, Moments>;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Trainer {
  readonly model: TrainerModel;
  readonly config: TrainerConfig;
  readonly adamw: AdamWOptions;
  state: TrainerState;
  private readonly grads = new Map<string, Float32Array>();

  constructor(model: TrainerModel, config: TrainerConfig, start?: Partial<TrainerState>) {
    this.model = model;
    this.config = config;
    this.adamw = { ...ADAMW_DEFAULTS, ...config.adamw };
    const moments = start?.moments ?? new Map<string, Moments>();
    for (const p of model.params) {
      const m = moments.get(p.name);
      if (!m) moments.set(p.name, newMoments(p.data.length));
      else if (m.m.length !== p.data.length || m.v.length !== p.data.length) {
        throw new Error(`trainer: optimizer state for ${p.name} holds ${m.m.length} values, the parameter ${p.data.length}`);
      }
      this.grads.set(p.name, new Float32Array(p.data.length));
    }
    this.state = { step: start?.step ?? 0, lrScale: start?.lrScale ?? 1, moments };
  }

  /** Runs until `schedule.totalSteps`; resolves with why it ended. */
  async run(signal: AbortSignal | undefined, cb: TrainerCallbacks = {}): Promise<'completed' | 'cancelled' | 'stopped'> {
    // The step a NaN/Inf happened at, until the run gets past it again: a second
    // NaN before then means restoring and lowering the rate did not help.
    let badStep: number | null = null;
    while (this.state.step < this.config.schedule.totalSteps) {
      if (signal?.aborted) return 'cancelled';
      await cb.waitUntilRunnable?.();
      if (signal?.aborted) return 'cancelled';
      if (cb.shouldStop?.()) return 'stopped';
      const started = performance.now();
      for (const g of this.grads.values()) g.fill(0);
      let r: { loss: number; tokens: number };
      try {
        r = await this.model.gradients(this.state.step, this.grads);
      } catch (err) {
        if (await cb.onStepError?.(err)) continue;
        throw err;
      }
      const gradNorm = Math.sqrt(sumOfSquares(this.grads.values()));
      if (!Number.isFinite(r.loss) || !Number.isFinite(gradNorm)) {
        const at = this.state.step + 1;
        if (badStep !== null) {
          throw new TrainingDivergedError(
            `step ${at}: the loss is ${r.loss} (gradient norm ${gradNorm}) again after restoring the last good state with a lower learning rate; ` +
              'training stopped. Lower the learning rate (e.g. 1e-4 or less) and start again',
          );
        }
        badStep = at;
        await cb.onNonFinite?.({ step: at, loss: r.loss, gradNorm });
        continue;
      }
      const lr = learningRate(this.state.step, this.config.schedule) * this.state.lrScale;
      const scale = clipScale(gradNorm, this.config.clipNorm);
      const step = this.state.step + 1;
      for (const p of this.model.params) {
        adamwUpdate(p.data, this.grads.get(p.name)!, this.state.moments.get(p.name)!, { ...this.adamw, lr, step, gradScale: scale, decay: p.decay });
      }
      this.model.paramsChanged(this.model.params.map((p) => p.name));
      this.state.step = step;
      if (badStep !== null && step >= badStep) badStep = null;
      await cb.onStep?.({ step, loss: r.loss, lr, gradNorm, tokens: r.tokens, ms: performance.now() - started });
      // Let cancel/pause messages and progress I/O through between steps.
      await yieldToEventLoop();
    }
    return 'completed';
  }
}
