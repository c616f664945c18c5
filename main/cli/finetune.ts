/**
 * `inkwell finetune`: fine-tunes a GPT-2 folder on the writer's files
 * (main/engine/train/run-training.ts) and prints one progress line per event,
 * or with --json one JSON object per line. Ctrl-C cancels between steps and
 * keeps the last checkpoint. Exit codes: 0 finished (or stopped early),
 * 1 failure, 2 bad command line, 130 cancelled.
 */
import { readFile } from 'node:fs/promises';
import { initBackend } from '../engine/backend';
import { parseModelConfig } from '../engine/model-config';
import type { TrainEvent, TrainOptions } from '../engine/train/run-options';
import { runTraining } from '../engine/train/run-training';
import { numberFlag, parseFlags, requiredString, stringFlag, UsageError } from './args';
import type { Io } from './commands';

export const FINETUNE_HELP = `  inkwell finetune --model DIR --data FILE [--data FILE ...] --out DIR
                   [--steps N | --epochs E] [--lr X] [--batch N] [--block N] [--accum N]
                   [--freeze-embeddings] [--train-last N] [--val-every K] [--sample-every K]
                   [--checkpoint-every K] [--keep M] [--seed S] [--resume] [--scratch-config FILE]
                   [--threads N] [--backend NAME] [--json]
      Fine-tunes the model on .txt, .md, .docx or .odt files; checkpoints (Hugging Face
      folders) and metrics.jsonl go to --out. Ctrl-C stops after the current step.
      --scratch-config trains a new model of that config.json from scratch
      (--model then only supplies the tokenizer).
      --threads N splits each step's rows over N threads (default: 2 on the wasm
      backend with 4 or more cores and 16 GB of memory, else 1); the same --seed
      and --threads give the same losses.
`;

/** Pulls every `--data X` / `--data=X` out of argv (parseArgs keeps only the last of a repeated flag). */
export function takeDataFlags(argv: readonly string[]): { files: string[]; rest: string[] } {
  const files: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError('finetune: --data needs a file name');
      files.push(v);
      i++;
    } else if (a.startsWith('--data=')) files.push(a.slice('--data='.length));
    else rest.push(a);
  }
  return { files, rest };
}

const pad = (n: number): string => String(n).padStart(2, '0');
function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
}
const gib = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`;
const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;

/** Human reading lines at most this often (the run emits ~4 a second: --json keeps them all). */
export const READING_LINE_INTERVAL_MS = 1000;

/** Thins 'reading' events for a terminal: the first, then one a second, and the final 100 % one; other events pass. */
export function readingLineFilter(intervalMs = READING_LINE_INTERVAL_MS, now: () => number = Date.now): (e: TrainEvent) => boolean {
  let last = -Infinity;
  return (e) => {
    if (e.type !== 'reading') return true;
    const final = e.fileIndex >= e.fileCount - 1 && e.bytesRead >= e.totalBytes;
    if (!final && now() - last < intervalMs) return false;
    last = now();
    return true;
  };
}

/** One human-readable line (or block, for samples) per event. */
export function formatEvent(e: TrainEvent): string {
  switch (e.type) {
    case 'dataset': {
      const s = e.stats;
      return (
        `dataset: ${s.documents} document${s.documents === 1 ? '' : 's'}, ${s.words} words, ${s.tokens} tokens ` +
        `(training ${s.trainTokens}, validation ${s.valTokens}${s.duplicateParagraphs ? `, ${s.duplicateParagraphs} duplicate paragraphs dropped` : ''}); ` +
        `${e.steps} steps; about ${duration(e.epochEstimateS * 1000)} per epoch\n`
      );
    }
    case 'reading': {
      const pct = e.totalBytes > 0 ? Math.floor((100 * e.bytesRead) / e.totalBytes) : 100;
      return `reading: file ${e.fileIndex + 1}/${e.fileCount} (${e.fileName}), ${mb(e.bytesRead)} of ${mb(e.totalBytes)} (${pct}%)\n`;
    }
    case 'memory':
      return `memory: about ${gib(e.deviceBytes)} of tensors and ${gib(e.hostBytes)} of optimizer state, ${gib(e.peakRssBytes)} at the peak in all; ${e.trainableParameters} trainable parameters\n`;
    case 'step':
      return (
        `step ${e.step}/${e.totalSteps}  epoch ${e.epoch.toFixed(2)}  loss ${e.loss.toFixed(4)}  lr ${e.lr.toExponential(2)}  ` +
        `${e.tokensPerSec.toFixed(0)} tok/s  elapsed ${duration(e.elapsedMs)}  eta ${duration(e.etaMs)}\n`
      );
    case 'eval':
      return `step ${e.step}: validation loss ${e.valLoss.toFixed(4)} (perplexity ${e.valPerplexity.toFixed(2)})${e.best ? ', best so far' : ''}\n`;
    case 'sample':
      return `--- sample at step ${e.step} (${(e.copyRate * 100).toFixed(0)}% copied from the training text) ---\n${e.text}\n---\n`;
    case 'checkpoint':
      return `checkpoint: ${e.dir}\n`;
    case 'warning':
      return `warning: ${e.message}\n`;
    case 'paused':
      return `paused at step ${e.step}\n`;
    case 'resumed':
      return `resumed at step ${e.step}\n`;
    case 'done':
      return `done: ${e.message}\n`;
    default:
      return `${JSON.stringify(e)}\n`;
  }
}

export async function finetuneCommand(argv: readonly string[], io: Io, signal?: AbortSignal): Promise<number> {
  const { files, rest } = takeDataFlags(argv);
  const flags = parseFlags('finetune', rest, {
    model: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' }, epochs: { type: 'string' },
    lr: { type: 'string' }, batch: { type: 'string' }, block: { type: 'string' }, accum: { type: 'string' },
    'freeze-embeddings': { type: 'boolean' }, 'train-last': { type: 'string' }, 'val-every': { type: 'string' },
    'sample-every': { type: 'string' }, 'checkpoint-every': { type: 'string' }, keep: { type: 'string' },
    seed: { type: 'string' }, resume: { type: 'boolean' }, backend: { type: 'string' }, json: { type: 'boolean' },
    'scratch-config': { type: 'string' }, threads: { type: 'string' },
  });
  const modelDir = requiredString(flags, 'model', 'finetune');
  const outDir = requiredString(flags, 'out', 'finetune');
  if (files.length === 0) throw new UsageError('finetune: give at least one --data FILE');
  const int = (name: string, min = 1): number | undefined => numberFlag(flags, name, { min, integer: true });
  const steps = int('steps');
  const epochs = numberFlag(flags, 'epochs', { min: 0.01, max: 1000 });
  if (steps !== undefined && epochs !== undefined) throw new UsageError('finetune: give --steps or --epochs, not both');
  const options: TrainOptions = {
    modelDir, outDir, dataFiles: files, steps, epochs,
    lr: numberFlag(flags, 'lr', { min: 0, max: 1e12 }),
    batch: int('batch'), block: int('block'), accum: int('accum'),
    freezeEmbeddings: flags['freeze-embeddings'] === true,
    trainLast: int('train-last', 0),
    valEvery: int('val-every'), sampleEvery: int('sample-every', 0), checkpointEvery: int('checkpoint-every'),
    keepCheckpoints: int('keep'), seed: int('seed', 0), resume: flags.resume === true,
    threads: numberFlag(flags, 'threads', { min: 1, max: 64, integer: true }),
  };
  const scratch = stringFlag(flags, 'scratch-config');
  if (scratch !== undefined) {
    let text: string;
    try {
      text = await readFile(scratch, 'utf8');
    } catch (err) {
      throw new Error(`cannot read --scratch-config ${scratch}: ${(err as Error).message}`);
    }
    options.scratchConfig = parseModelConfig(text, scratch);
  }
  await initBackend(stringFlag(flags, 'backend'));

  // Ctrl-C: stop between steps and keep the last checkpoint; a second Ctrl-C kills as usual.
  const ac = new AbortController();
  signal?.addEventListener('abort', () => ac.abort(), { once: true });
  const onSigint = (): void => {
    io.stderr('finetune: stopping after the current step (Ctrl-C again to quit at once)\n');
    ac.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const showLine = readingLineFilter();
  try {
    const result = await runTraining(options, {
      signal: ac.signal,
      onEvent: (e) => {
        if (flags.json) io.stdout(JSON.stringify(e) + '\n');
        else if (showLine(e)) io.stdout(formatEvent(e));
      },
    });
    return result.reason === 'cancelled' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
