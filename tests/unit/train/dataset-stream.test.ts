/**
 * The streaming dataset path (text-chunks.ts + DatasetBuilder): identical to
 * cleaning and encoding whole documents, whatever the chunk size, and bounded
 * in memory on a 50 MB manuscript, with progress as it reads.
 */
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { Gpt2Tokenizer } from '../../../main/engine/tokenizer';
import { buildDataset, dedupeParagraphs, paragraphsOf, type Dataset, type DatasetProgress } from '../../../main/engine/train/dataset';
import { lastBlankLine, PieceCutter } from '../../../main/engine/train/text-chunks';
import { stripMarkdown } from '../../../main/engine/train/text-extract';
import type { TextTokenizer } from '../../../main/engine/types';
import { withTempDir } from './helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');
let tok: Gpt2Tokenizer;

beforeAll(async () => {
  tok = await Gpt2Tokenizer.fromFiles(path.join(TINY, 'vocab.json'), path.join(TINY, 'merges.txt'));
});

/** The whole-text dataset as it was built before streaming: the oracle the streaming path must equal. */
function referenceDataset(texts: readonly string[], tokenizer: TextTokenizer, valFraction: number): Dataset {
  const { docs, dropped } = dedupeParagraphs(texts.map(paragraphsOf));
  const train: number[] = [];
  const val: number[] = [];
  let words = 0;
  let tokens = 0;
  for (const doc of docs) {
    words += (doc.match(/\S+/g) ?? []).length;
    const ids = tokenizer.encode(doc);
    tokens += ids.length;
    const nVal = Math.floor(ids.length * valFraction);
    train.push(...ids.slice(0, ids.length - nVal), tokenizer.eosId);
    if (nVal > 0) val.push(...ids.slice(ids.length - nVal), tokenizer.eosId);
  }
  return {
    train: Int32Array.from(train),
    val: Int32Array.from(val),
    stats: { documents: docs.length, words, tokens, trainTokens: train.length, valTokens: val.length, duplicateParagraphs: dropped },
  };
}

/** Text made of the pieces that matter at cut points: blank-line runs with spaces, CRLF, lone CR, Markdown fences and comments. */
const messyText = fc
  .array(
    fc.constantFrom('Word', 'the sea', "don't", '  ', '\t', '\n', '\n\n', '\r\n', '\r\n\r\n', '\r', ' \n \n', '\u00a0', '```', '~~~', '<!--', '-->', '# ', '- ', '*bold*', 'é', '😀', '---\n', '12', '.', "'s"),
    { maxLength: 80 },
  )
  .map((parts) => parts.join(''));

describe('streaming equals the whole-text build', () => {
  test('paragraph cuts: the last blank-line run', () => {
    expect(lastBlankLine('a\n\nb\n \t\nc')).toEqual({ start: 4, end: 8 });
    expect(lastBlankLine('a\nb\nc')).toBeNull();
    expect(lastBlankLine('a\n\n')).toEqual({ start: 1, end: 3 });
  });

  test('a 16-char piece limit cuts a long paragraph at a line break or space', () => {
    const c = new PieceCutter(false, 16);
    expect(c.push('one two three four five')).toEqual(['one two three']);
    expect([...c.push(' six'), ...c.finish()]).toEqual([' four five six']);
  });

  test('fenced code with several lines and blank lines is removed whole', () => {
    expect(stripMarkdown('Before.\n\n```\na\n\nb\n```\nAfter.')).toBe('Before.\n\n\nAfter.');
  });

  test.for([
    ['plain', '.txt'],
    ['markdown', '.md'],
  ] as const)('%s files, any chunk size (property)', async ([, ext]) => {
    await withTempDir(async (dir) => {
      await fc.assert(
        fc.asyncProperty(fc.array(messyText, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 40 }), async (texts, chunkBytes) => {
          const files = texts.map((_, i) => path.join(dir, `d${i}${ext}`));
          for (let i = 0; i < texts.length; i++) await writeFile(files[i], texts[i]);
          const cleaned = ext === '.md' ? texts.map(stripMarkdown) : texts;
          let want: Dataset | Error;
          try {
            want = referenceDataset(cleaned, tok, 0.1);
            if (want.stats.documents === 0) want = new Error('no text');
          } catch (err) {
            want = err as Error;
          }
          const got = await buildDataset(files, tok, 0.1, undefined, { chunkBytes }).catch((err: Error) => err);
          if (want instanceof Error) {
            expect(got).toBeInstanceOf(Error);
            return;
          }
          expect(got).not.toBeInstanceOf(Error);
          const d = got as Dataset;
          expect(d.stats).toEqual(want.stats);
          expect([...d.train]).toEqual([...want.train]);
          expect([...d.val]).toEqual([...want.val]);
        }),
        { numRuns: 60, seed: 20261129 },
      );
    });
  });
});

/** ~`bytes` of deterministic prose with repeated chapter headings (duplicates) and paragraph breaks. */
async function writeManuscript(file: string, bytes: number): Promise<void> {
  const words = 'the keeper climbed stairs every night while gulls turned above grey water and she wrote letters nobody read'.split(' ');
  const handle = await open(file, 'w');
  try {
    let written = 0;
    let s = 1;
    let chapter = 0;
    while (written < bytes) {
      const paras: string[] = [`Chapter ${chapter++ % 40}`];
      for (let p = 0; p < 200; p++) {
        const out: string[] = [];
        for (let w = 0; w < 90; w++) {
          s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
          out.push(words[(s >>> 8) % words.length]);
        }
        paras.push(out.join(' ') + '.');
      }
      const block = paras.join('\n\n') + '\n\n';
      await handle.write(block);
      written += Buffer.byteLength(block);
    }
  } finally {
    await handle.close();
  }
}

test('a 50 MB manuscript streams: progress before the end, bounded memory', { timeout: 600_000 }, async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'novel.txt');
    const SIZE = 50 * 1024 * 1024;
    await writeManuscript(file, SIZE);
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const progress: DatasetProgress[] = [];
    const started = performance.now();
    let d: Dataset;
    try {
      d = await buildDataset([file], tok, 0.05, undefined, {
        onProgress: (p) => {
          peak = Math.max(peak, process.memoryUsage().rss);
          progress.push(p);
        },
      });
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const growthMb = (peak - baseline) / 2 ** 20;
    const total = progress[0].totalBytes;
    console.log(`[dataset-stream] ${(total / 2 ** 20).toFixed(1)} MB → ${d.stats.tokens} tokens in ${seconds.toFixed(1)} s; peak RSS +${growthMb.toFixed(0)} MB; ${progress.length} progress events`);
    expect(total).toBeGreaterThanOrEqual(SIZE);
    // Monotone, several before the end, ending at the total.
    for (let i = 1; i < progress.length; i++) expect(progress[i].bytesRead).toBeGreaterThanOrEqual(progress[i - 1].bytesRead);
    expect(progress.filter((p) => p.bytesRead < total).length).toBeGreaterThanOrEqual(10);
    expect(progress.at(-1)?.bytesRead).toBe(total);
    // Headings repeat every 40 chapters: dropped as duplicates, counted.
    expect(d.stats.duplicateParagraphs).toBeGreaterThan(0);
    expect(d.stats.trainTokens + d.stats.valTokens).toBe(d.stats.tokens + 2);
    // Before streaming, pre-tokenizing the whole text alone made ~10 M strings (well over 1 GB).
    expect(growthMb).toBeLessThan(600);
  });
});
