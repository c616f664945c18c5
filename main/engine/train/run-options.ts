/**
 * Options of a fine-tuning run, their defaults, and the events a run emits
 * (for the UI, the CLI's --json lines and metrics.jsonl). The engine worker
 * forwards these events over the contract; they are plain JSON.
 */
import type { ModelConfig } from '../model-config';
import type { DatasetStats } from './dataset';

export interface TrainOptions {
  /** Hugging Face GPT-2 folder to start from. */
  modelDir: string;
  dataFiles: string[];
  /** Run folder: checkpoints/, metrics.jsonl. */
  outDir: string;
  /** Optimizer steps; when absent, `epochs` decides (default 1 epoch). */
  steps?: number;
  epochs?: number;
  /** Peak learning rate (gpt-2-simple's 1e-4 by default). */
  lr?: number;
  /** Micro-batch rows. */
  batch?: number;
  /** Tokens per row (default min(256, n_positions)). */
  block?: number;
  /** Micro-batches per optimizer step. */
  accum?: number;
  freezeEmbeddings?: boolean;
  /** Train only the last N blocks; absent trains all. */
  trainLast?: number;
  valEvery?: number;
  sampleEvery?: number;
  /** Checkpoint every K steps (default: valEvery) and at the end. */
  checkpointEvery?: number;
  keepCheckpoints?: number;
  seed?: number;
  resume?: boolean;
  warmupSteps?: number;
  weightDecay?: number;
  clipNorm?: number;
  /** Evaluations without a new best before stopping (0 disables). */
  earlyStopPatience?: number;
  valFraction?: number;
  /** Validation blocks per evaluation (bounds its cost on big datasets). */
  maxValBlocks?: number;
  sampleTokens?: number;
  /**
   * Train from scratch with this config (weights initialised as GPT-2's);
   * `modelDir` then only supplies the tokenizer (vocab.json, merges.txt).
   */
  scratchConfig?: ModelConfig;
  /** Device memory budget; defaults to the wasm heap's on wasm. */
  memoryBudgetBytes?: number;
  /**
   * Data-parallel ranks (data-parallel.ts): each step's rows split over this
   * thread and threads − 1 worker threads, each with its own wasm heap. The
   * split is deterministic: the same seed and threads give the same losses.
   * Absent: data-parallel.ts defaultTrainThreads (2 on wasm from 4 cores).
   */
  threads?: number;
}

export const TRAIN_DEFAULTS = {
  lr: 1e-4,
  batch: 1,
  accum: 1,
  valEvery: 50,
  sampleEvery: 100,
  keepCheckpoints: 3,
  seed: 1234,
  weightDecay: 0.1,
  clipNorm: 1,
  earlyStopPatience: 4,
  valFraction: 0.05,
  maxValBlocks: 32,
  sampleTokens: 48,
} as const;

export type TrainEvent =
  | { type: 'dataset'; stats: DatasetStats; trainBlocks: number; valBlocks: number; steps: number; epochEstimateS: number }
  /** Progress of reading the files (throttled: reading-progress.ts); fileName is the base name only. */
  | { type: 'reading'; bytesRead: number; totalBytes: number; fileIndex: number; fileCount: number; fileName: string }
  /** The plan's estimate before the first step (memory-estimate.ts); peakRssBytes is the whole process. */
  | { type: 'memory'; deviceBytes: number; hostBytes: number; peakRssBytes: number; trainableParameters: number; keptBlocks: number }
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      epoch: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokensPerSec: number;
      elapsedMs: number;
      etaMs: number;
    }
  | { type: 'eval'; step: number; valLoss: number; valPerplexity: number; best: boolean }
  | { type: 'sample'; step: number; text: string; copyRate: number; copiedTokens: number }
  | { type: 'checkpoint'; step: number; dir: string }
  | { type: 'warning'; code: 'small-dataset' | 'lr-zero' | 'nan-loss' | 'out-of-memory' | 'no-validation' | 'early-stop'; message: string }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | { type: 'done'; reason: TrainResult['reason']; step: number; message: string };

export interface TrainResult {
  reason: 'completed' | 'cancelled' | 'early-stopped';
  steps: number;
  /** The newest checkpoint folder (a loadable HF GPT-2 folder), null if none was written. */
  lastCheckpoint: string | null;
  bestCheckpoint: string | null;
  bestValLoss: number | null;
  /** Train losses by step, as emitted (resume tests compare these). */
  losses: { step: number; loss: number }[];
}

/** Pause and resume from outside the run (UI buttons, worker messages). */
export class PauseGate {
  private waiters: (() => void)[] = [];
  private pausedFlag = false;

  get paused(): boolean {
    return this.pausedFlag;
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    this.pausedFlag = false;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves at once when running; otherwise when resumed or when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    if (!this.pausedFlag || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
