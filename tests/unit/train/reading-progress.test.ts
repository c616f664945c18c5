import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { DatasetProgress } from '../../../main/engine/train/dataset';
import { fileBaseName, READING_INTERVAL_MS, readingReporter, type ReadingEvent } from '../../../main/engine/train/reading-progress';

const progress = (bytesRead: number, totalBytes = 1000, fileIndex = 0, fileCount = 1, file = '/home/ada/novel/ch1.txt'): DatasetProgress => ({
  bytesRead, totalBytes, fileIndex, fileCount, file,
});

describe('readingReporter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-29T12:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('the first progress goes out at once, later ones at most every READING_INTERVAL_MS', () => {
    const out: ReadingEvent[] = [];
    const report = readingReporter((e) => out.push(e));
    report(progress(10));
    report(progress(20));
    vi.advanceTimersByTime(READING_INTERVAL_MS - 1);
    report(progress(30));
    expect(out.map((e) => e.bytesRead)).toEqual([10]);
    vi.advanceTimersByTime(1);
    report(progress(40));
    expect(out.map((e) => e.bytesRead)).toEqual([10, 40]);
  });

  test('a chunk every millisecond for 10 s gives about 4 events a second, and the final 100 % one', () => {
    const out: ReadingEvent[] = [];
    const report = readingReporter((e) => out.push(e));
    const total = 10_000;
    for (let ms = 1; ms <= total; ms++) {
      vi.advanceTimersByTime(1);
      report(progress(ms, total));
    }
    expect(out.length).toBeGreaterThanOrEqual(40);
    expect(out.length).toBeLessThanOrEqual(41);
    expect(out.at(-1)).toMatchObject({ bytesRead: total, totalBytes: total });
  });

  test.for([
    { name: 'the last file reaching its end', calls: [progress(0, 100, 0, 2), progress(50, 100, 0, 2), progress(100, 100, 1, 2)], finals: 1 },
    { name: 'an empty file', calls: [progress(0, 0)], finals: 1 },
    { name: 'the end reported twice (a chunk, then buildDataset\'s per-file report)', calls: [progress(1000), progress(1000)], finals: 1 },
  ])('the final event is sent even inside the interval, and once: $name', ({ calls, finals }) => {
    const out: ReadingEvent[] = [];
    const report = readingReporter((e) => out.push(e));
    for (const c of calls) report(c); // all at the same instant
    expect(out.filter((e) => e.bytesRead >= e.totalBytes && e.fileIndex === e.fileCount - 1)).toHaveLength(finals);
    expect(out.at(-1)).toMatchObject({ bytesRead: calls.at(-1)!.totalBytes });
  });

  test('the end of an earlier file is not the final event', () => {
    const out: ReadingEvent[] = [];
    const report = readingReporter((e) => out.push(e));
    report(progress(0, 200, 0, 2));
    report(progress(200, 200, 0, 2)); // all bytes of the total but not the last file: throttled like any other
    expect(out).toHaveLength(1);
  });

  test('an injected clock works without fake timers', () => {
    let now = 0;
    const out: ReadingEvent[] = [];
    const report = readingReporter((e) => out.push(e), 100, () => now);
    for (now = 0; now < 1000; now += 10) report(progress(now, 5000));
    expect(out).toHaveLength(10);
  });

  test('the event carries the file\'s base name, never its folders', () => {
    const out: ReadingEvent[] = [];
    readingReporter((e) => out.push(e))(progress(5, 10, 1, 3, '/home/ada/Secret Project/draft 2.md'));
    expect(out).toEqual([{ type: 'reading', bytesRead: 5, totalBytes: 10, fileIndex: 1, fileCount: 3, fileName: 'draft 2.md' }]);
  });
});

describe('fileBaseName', () => {
  test.for([
    ['/home/ada/novel/ch1.txt', 'ch1.txt'],
    ['C:\\Users\\Ada\\Novel\\ch2.docx', 'ch2.docx'],
    ['\\\\server\\share\\ch3.md', 'ch3.md'],
    ['relative/dir/ch4.odt', 'ch4.odt'],
    ['plain.txt', 'plain.txt'],
  ])('%s → %s', ([input, expected]) => {
    expect(fileBaseName(input)).toBe(expected);
  });
});
