/**
 * The training stream as the window sees it: the trainer's events mapped to
 * the contract's, and step events thinned to a few a second.
 */
import type { TrainingEvent } from '../../common/contract';
import type { TrainEvent } from '../engine/train/run-options';

/** Step events at most every `intervalMs`; any other event first flushes the held step so order is kept. */
export function stepThrottle(emit: (e: TrainingEvent) => void, intervalMs: number, now: () => number = Date.now) {
  let last = -Infinity;
  let held: TrainingEvent | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (held) {
      const e = held;
      held = null;
      last = now();
      emit(e);
    }
  };
  return {
    push(e: TrainingEvent): void {
      if (e.type !== 'step') {
        flush();
        emit(e);
        return;
      }
      const wait = last + intervalMs - now();
      if (wait <= 0 && !held) {
        last = now();
        emit(e);
        return;
      }
      held = e;
      timer ??= setTimeout(flush, Math.max(0, wait));
    },
    flush,
  };
}

/** The trainer's events as the window sees them (memory plans and the trainer's dataset event stay in metrics.jsonl). */
export function toTrainingEvent(e: TrainEvent): TrainingEvent | null {
  switch (e.type) {
    case 'reading':
      return { type: 'reading', bytesRead: e.bytesRead, totalBytes: e.totalBytes, fileIndex: e.fileIndex, fileCount: e.fileCount, fileName: e.fileName };
    case 'step':
      return { type: 'step', step: e.step, totalSteps: e.totalSteps, epoch: e.epoch, loss: e.loss, lr: e.lr, tokensPerSec: e.tokensPerSec, elapsedMs: e.elapsedMs, etaMs: e.etaMs };
    case 'eval':
      return { type: 'eval', step: e.step, valLoss: e.valLoss, valPerplexity: e.valPerplexity, best: e.best };
    case 'sample':
      return { type: 'sample', step: e.step, text: e.text, copyRate: e.copyRate };
    case 'checkpoint':
      return { type: 'checkpoint', step: e.step };
    case 'warning':
      return { type: 'warning', code: e.code, message: e.message };
    case 'paused':
    case 'resumed':
      return { type: e.type, step: e.step };
    default:
      return null;
  }
}
