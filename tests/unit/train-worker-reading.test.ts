import { describe, expect, test } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serveTrainJob, type FromTrainWorker, type StepPlan } from '../../main/engine/train-worker';
import { storyText, withTempDir } from './train/helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');
const PLAN: StepPlan = { tokensPerStep: 64, passes: 1, minSteps: 1, maxSteps: 10, trainLast: null, freezeEmbeddings: false, lr: 1e-3 };

describe('train worker: the inspect job reports its reading', () => {
  test("'reading' events (base names only) come before the one 'report', the last at 100 %", async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'memoir.txt');
      await writeFile(file, storyText(20, 3));
      const posted: FromTrainWorker[] = [];
      await serveTrainJob({ job: 'inspect', modelDir: TINY, files: [file], plan: PLAN, backend: 'wasm' }, (m) => posted.push(m), () => undefined);
      expect(posted.at(-1)?.type).toBe('report');
      const reading = posted.flatMap((m) => (m.type === 'event' && m.event.type === 'reading' ? [m.event] : []));
      expect(reading.length).toBeGreaterThanOrEqual(1);
      expect(reading.at(-1)).toMatchObject({ fileName: 'memoir.txt', fileIndex: 0, fileCount: 1 });
      expect(reading.at(-1)!.bytesRead).toBe(reading.at(-1)!.totalBytes);
      expect(posted.slice(0, -1).every((m) => m.type === 'event')).toBe(true);
    });
  });
});
