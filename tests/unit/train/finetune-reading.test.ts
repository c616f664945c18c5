import { describe, expect, test } from 'vitest';
import { formatEvent, READING_LINE_INTERVAL_MS, readingLineFilter } from '../../../main/cli/finetune';
import type { TrainEvent } from '../../../main/engine/train/run-options';

const reading = (bytesRead: number, totalBytes: number, fileIndex = 0, fileCount = 1): TrainEvent => ({ type: 'reading', bytesRead, totalBytes, fileIndex, fileCount, fileName: 'novel.txt' });

describe('finetune CLI: reading lines', () => {
  test.for([
    { event: reading(12_000_000, 50_000_000, 1, 3), line: 'reading: file 2/3 (novel.txt), 12.0 MB of 50.0 MB (24%)\n' },
    { event: reading(0, 0), line: 'reading: file 1/1 (novel.txt), 0.0 MB of 0.0 MB (100%)\n' },
  ])('$line', ({ event, line }) => {
    expect(formatEvent(event)).toBe(line);
  });

  test('a terminal gets the first line, then one a second, and always the final one; other events pass', () => {
    let now = 0;
    const show = readingLineFilter(READING_LINE_INTERVAL_MS, () => now);
    const shown: number[] = [];
    for (now = 0; now < 3000; now += 250) if (show(reading(now, 10_000))) shown.push(now);
    expect(shown).toEqual([0, 1000, 2000]);
    expect(show(reading(10_000, 10_000))).toBe(true); // 100 %, 250 ms after the last line
    expect(show({ type: 'paused', step: 1 })).toBe(true);
  });
});
