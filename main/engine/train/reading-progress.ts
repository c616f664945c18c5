/**
 * The 'reading' event: buildDataset's per-chunk progress (every 64 kB or so,
 * hundreds a second on a fast disk) thinned to what a progress bar needs.
 *
 * At most one event per READING_INTERVAL_MS, the first at once, and always a
 * final one at 100 % (the last file's last byte), so a window or a CLI never
 * stays at 97 % while the run moves on to the baseline evaluation. No timer:
 * progress arrives as reading goes, and a held event would only land after
 * the phase it describes is over. The file travels as its base name: events
 * reach the window and metrics.jsonl, where a full path has no business.
 */
import path from 'node:path';
import type { DatasetProgress } from './dataset';
import type { TrainEvent } from './run-options';

export type ReadingEvent = Extract<TrainEvent, { type: 'reading' }>;

/** About 4 a second: smooth enough for a bar, cheap for the IPC stream. */
export const READING_INTERVAL_MS = 250;

/** Both separators, whatever the platform: a Windows path read on POSIX still loses its folders. */
export function fileBaseName(file: string): string {
  return path.win32.basename(path.posix.basename(file));
}

/** Returns buildDataset's onProgress: it calls `emit` with throttled reading events. */
export function readingReporter(
  emit: (e: ReadingEvent) => void,
  intervalMs: number = READING_INTERVAL_MS,
  now: () => number = Date.now,
): (p: DatasetProgress) => void {
  let last = -Infinity;
  let finalSent = false;
  return (p) => {
    if (finalSent) return;
    const final = p.fileIndex >= p.fileCount - 1 && p.bytesRead >= p.totalBytes;
    const t = now();
    if (!final && t - last < intervalMs) return;
    last = t;
    finalSent = final;
    emit({ type: 'reading', bytesRead: p.bytesRead, totalBytes: p.totalBytes, fileIndex: p.fileIndex, fileCount: p.fileCount, fileName: fileBaseName(p.file) });
  };
}
