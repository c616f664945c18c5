/**
 * The writer's files → token streams for training and validation.
 *
 * Cleaning: newlines normalised, runs of spaces and tabs collapsed, lines
 * trimmed, exact duplicate paragraphs dropped (front matter, repeated
 * headers and chapter boilerplate would otherwise be memorised first).
 * Split: the last `valFraction` of each document's tokens is held out, so
 * validation measures how well the model continues the writer's text, and
 * never leaks into training (no shuffle crosses the split). Documents are
 * joined with <|endoftext|> in both streams. Packing into blocks is
 * batches.ts's job.
 */
import type { TextTokenizer } from '../types';
import { DatasetInputError, extractText } from './text-extract';

export const DEFAULT_VAL_FRACTION = 0.05;

export interface DatasetStats {
  documents: number;
  words: number;
  tokens: number;
  trainTokens: number;
  valTokens: number;
  duplicateParagraphs: number;
}

export interface Dataset {
  train: Int32Array;
  val: Int32Array;
  stats: DatasetStats;
}

/** Normalises whitespace and splits into paragraphs (blank-line separated). */
export function paragraphsOf(text: string): string[] {
  const t = text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000\t ]+/g, ' ')
    .replace(/[\u200b\ufeff]/g, '');
  return t
    .split(/\n\s*\n/)
    .map((p) =>
      p
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .join('\n'),
    )
    .filter((p) => p !== '');
}

/** Drops paragraphs already seen (in any earlier document); returns the kept text and the drop count. */
export function dedupeParagraphs(docs: readonly string[][]): { docs: string[]; dropped: number } {
  const seen = new Set<string>();
  let dropped = 0;
  const out = docs.map((paras) =>
    paras
      .filter((p) => {
        if (seen.has(p)) {
          dropped++;
          return false;
        }
        seen.add(p);
        return true;
      })
      .join('\n\n'),
  );
  return { docs: out.filter((d) => d !== ''), dropped };
}

const countWords = (s: string): number => (s.match(/\S+/g) ?? []).length;

/** Builds the dataset from texts already read (tests and callers with text in memory). */
export function buildDatasetFromTexts(texts: readonly string[], tokenizer: TextTokenizer, valFraction = DEFAULT_VAL_FRACTION): Dataset {
  if (!(valFraction >= 0 && valFraction < 0.5)) throw new Error(`dataset: valFraction ${valFraction} must be in [0, 0.5)`);
  const { docs, dropped } = dedupeParagraphs(texts.map(paragraphsOf));
  if (docs.length === 0) throw new DatasetInputError('the files hold no text once blank lines and duplicates are removed');
  const trainParts: number[][] = [];
  const valParts: number[][] = [];
  let words = 0;
  let tokens = 0;
  for (const doc of docs) {
    words += countWords(doc);
    // encode() without allowSpecial: a literal "<|endoftext|>" in a manuscript is text, not a separator.
    const ids = tokenizer.encode(doc);
    tokens += ids.length;
    const nVal = Math.floor(ids.length * valFraction);
    trainParts.push(ids.slice(0, ids.length - nVal));
    if (nVal > 0) valParts.push(ids.slice(ids.length - nVal));
  }
  const join = (parts: number[][]): Int32Array => {
    const total = parts.reduce((a, p) => a + p.length + 1, 0);
    const out = new Int32Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
      out[o++] = tokenizer.eosId;
    }
    return out;
  };
  const train = join(trainParts);
  const val = join(valParts);
  return {
    train,
    val,
    stats: { documents: docs.length, words, tokens, trainTokens: train.length, valTokens: val.length, duplicateParagraphs: dropped },
  };
}

/** Reads every file (see text-extract.ts) and builds the dataset. */
export async function buildDataset(files: readonly string[], tokenizer: TextTokenizer, valFraction = DEFAULT_VAL_FRACTION, signal?: AbortSignal): Promise<Dataset> {
  if (files.length === 0) throw new DatasetInputError('no files given; pass one or more .txt, .md or .docx files');
  const texts: string[] = [];
  for (const f of files) {
    signal?.throwIfAborted();
    texts.push(await extractText(f));
  }
  signal?.throwIfAborted();
  return buildDatasetFromTexts(texts, tokenizer, valFraction);
}

/**
 * The small-dataset warning (gpt-2-simple's users' most common mistake): how
 * many passes over the text the planned steps make, and a suggestion when it
 * is more than a few. Returns null when the plan looks reasonable.
 */
export function smallDatasetAdvice(trainTokens: number, tokensPerStep: number, steps: number, lr: number): string | null {
  const epochs = (tokensPerStep * steps) / Math.max(1, trainTokens);
  if (epochs <= 4) return null;
  const goodSteps = Math.max(1, Math.floor((3 * trainTokens) / tokensPerStep));
  const goodLr = Math.min(lr, trainTokens < 50_000 ? 5e-5 : 1e-4);
  return (
    `the dataset has ${trainTokens} training tokens; ${steps} steps of ${tokensPerStep} tokens read it ${epochs.toFixed(1)} times, ` +
    `which teaches the model to copy it. Try about ${goodSteps} steps (3 passes) at a learning rate of ${goodLr.toExponential(0)} or lower, or add more text`
  );
}
