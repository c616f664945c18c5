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
 * batches.ts's job. Files stream through (text-chunks.ts): a 50 MB
 * manuscript never exists as one string, and tokens live in typed arrays.
 */
import { createHash } from 'node:crypto';
import type { TextTokenizer } from '../types';
import { filePieces, type PieceOptions } from './text-chunks';
import { checkFile, DatasetInputError, SUPPORTED_EXTENSIONS, type FileKind } from './text-extract';

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

/** A growing Int32 token stream: typed storage (4 bytes a token), not a JS array of numbers. */
export class TokenBuffer {
  private data = new Int32Array(1024);
  length = 0;

  push(ids: ArrayLike<number>): void {
    this.reserve(ids.length);
    this.data.set(ids, this.length);
    this.length += ids.length;
  }

  pushOne(id: number): void {
    this.reserve(1);
    this.data[this.length++] = id;
  }

  /** A view of the tokens so far (valid until the next push). */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }

  /** The tokens in an array of exactly their size; the buffer is emptied. */
  take(): Int32Array {
    const out = this.data.slice(0, this.length);
    this.data = new Int32Array(1024);
    this.length = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    let size = this.data.length;
    while (size < this.length + n) size = Math.ceil(size * 1.5);
    const next = new Int32Array(size);
    next.set(this.view());
    this.data = next;
  }
}

/**
 * Builds the two token streams paragraph by paragraph, with the same result
 * as cleaning, deduplicating and encoding each whole document: a document is
 * its kept paragraphs joined by blank lines, and GPT-2's pre-tokenizer cuts
 * "a\n\nb" into "a", "\n", "\n", "b", so each paragraph encodes alone and the
 * separator's ids go between. Duplicates are found by a 128-bit hash, so the
 * paragraphs themselves are never kept.
 */
export class DatasetBuilder {
  private readonly seen = new Set<string>();
  private readonly separator: number[];
  private readonly train = new TokenBuffer();
  private readonly val = new TokenBuffer();
  private readonly doc = new TokenBuffer();
  private docParagraphs = 0;
  private documents = 0;
  private words = 0;
  private tokens = 0;
  private dropped = 0;

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly valFraction = DEFAULT_VAL_FRACTION,
  ) {
    if (!(valFraction >= 0 && valFraction < 0.5)) throw new Error(`dataset: valFraction ${valFraction} must be in [0, 0.5)`);
    const dot = tokenizer.encode('.');
    const probe = tokenizer.encode('.\n\n.');
    this.separator = probe.slice(dot.length, probe.length - dot.length);
    if (probe.length <= 2 * dot.length || probe.slice(0, dot.length).some((id, i) => id !== dot[i])) {
      throw new Error('dataset: the tokenizer does not encode a blank line between paragraphs on its own; paragraph-wise encoding would differ');
    }
  }

  /** Adds cleaned paragraphs (paragraphsOf) of the current document. */
  addParagraphs(paragraphs: readonly string[]): void {
    for (const p of paragraphs) {
      const key = createHash('md5').update(p).digest('base64');
      if (this.seen.has(key)) {
        this.dropped++;
        continue;
      }
      this.seen.add(key);
      if (this.docParagraphs > 0) this.doc.push(this.separator);
      // encode() without allowSpecial: a literal "<|endoftext|>" in a manuscript is text, not a separator.
      this.doc.push(this.tokenizer.encode(p));
      this.words += countWords(p);
      this.docParagraphs++;
    }
  }

  /** Ends the current document: its last valFraction of tokens goes to validation. */
  endDocument(): void {
    if (this.docParagraphs === 0) return;
    const ids = this.doc.view();
    const nVal = Math.floor(ids.length * this.valFraction);
    this.train.push(ids.subarray(0, ids.length - nVal));
    this.train.pushOne(this.tokenizer.eosId);
    if (nVal > 0) {
      this.val.push(ids.subarray(ids.length - nVal));
      this.val.pushOne(this.tokenizer.eosId);
    }
    this.documents++;
    this.tokens += ids.length;
    this.doc.take();
    this.docParagraphs = 0;
  }

  finish(): Dataset {
    this.endDocument();
    if (this.documents === 0) throw new DatasetInputError('the files hold no text once blank lines and duplicates are removed');
    const train = this.train.take();
    const val = this.val.take();
    return {
      train,
      val,
      stats: { documents: this.documents, words: this.words, tokens: this.tokens, trainTokens: train.length, valTokens: val.length, duplicateParagraphs: this.dropped },
    };
  }
}

/** Builds the dataset from texts already read (tests and callers with text in memory). */
export function buildDatasetFromTexts(texts: readonly string[], tokenizer: TextTokenizer, valFraction = DEFAULT_VAL_FRACTION): Dataset {
  const builder = new DatasetBuilder(tokenizer, valFraction);
  for (const text of texts) {
    builder.addParagraphs(paragraphsOf(text));
    builder.endDocument();
  }
  return builder.finish();
}

/** How far reading has come: bytes of all the files together. */
export interface DatasetProgress {
  bytesRead: number;
  totalBytes: number;
  file: string;
  fileIndex: number;
  fileCount: number;
}

export interface BuildOptions extends Omit<PieceOptions, 'onBytes'> {
  /** Called after each chunk read (every CHUNK_BYTES, and once per file). */
  onProgress?: (progress: DatasetProgress) => void;
}

/**
 * Reads every file (text-chunks.ts: in chunks, cut at blank lines), cleans,
 * deduplicates and tokenizes it as it goes, and builds the dataset. Memory
 * stays near the size of the token streams, whatever the size of the text.
 * Every file is checked (exists, size, kind) before any is read.
 */
export async function buildDataset(
  files: readonly string[],
  tokenizer: TextTokenizer,
  valFraction = DEFAULT_VAL_FRACTION,
  signal?: AbortSignal,
  options: BuildOptions = {},
): Promise<Dataset> {
  if (files.length === 0) throw new DatasetInputError(`no files given; pass one or more ${SUPPORTED_EXTENSIONS.join(', ')} files`);
  const checked: { size: number; kind: FileKind }[] = [];
  for (const f of files) checked.push(await checkFile(f));
  const totalBytes = checked.reduce((a, c) => a + c.size, 0);
  const builder = new DatasetBuilder(tokenizer, valFraction);
  let done = 0;
  for (let i = 0; i < files.length; i++) {
    signal?.throwIfAborted();
    const report = (bytes: number): void => options.onProgress?.({ bytesRead: done + Math.min(bytes, checked[i].size), totalBytes, file: files[i], fileIndex: i, fileCount: files.length });
    const pieces = filePieces(files[i], checked[i].kind, checked[i].size, { ...options, onBytes: report });
    for await (const piece of pieces) {
      signal?.throwIfAborted();
      builder.addParagraphs(paragraphsOf(piece));
    }
    builder.endDocument();
    report(checked[i].size);
    done += checked[i].size;
  }
  return builder.finish();
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
