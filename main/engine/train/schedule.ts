/**
 * The learning-rate schedule: linear warmup from 0 to the peak over
 * `warmupSteps`, then cosine decay to `minLrRatio · peak` at `totalSteps`
 * (nanoGPT's get_lr). A pure function of the step, so a resumed run needs no
 * schedule state: the step number alone gives the same rate.
 */

export interface ScheduleOptions {
  peakLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor as a fraction of the peak (nanoGPT uses 0.1). */
  minLrRatio?: number;
}

/** Learning rate for optimizer step `step` (0-based). */
export function learningRate(step: number, o: ScheduleOptions): number {
  const minLr = o.peakLr * (o.minLrRatio ?? 0.1);
  // step + 1 so that the very first update already moves the weights (a 0 rate wastes a step).
  if (step < o.warmupSteps) return (o.peakLr * (step + 1)) / o.warmupSteps;
  if (step >= o.totalSteps) return minLr;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = (step - o.warmupSteps) / span; //                          0 → 1
  return minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (o.peakLr - minLr);
}

/** A warmup of ~5 % of the run, at least 1 and at most 200 steps: long enough to settle AdamW's moments. */
export function defaultWarmup(totalSteps: number): number {
  return Math.max(1, Math.min(200, Math.round(totalSteps * 0.05)));
}
