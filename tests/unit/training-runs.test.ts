/**
 * training-runs.ts: which run folders are resumable and why, read from
 * hand-made run folders (run.json + checkpoints/latest.json + metrics.jsonl).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { firstMissingFile, listResumable, recordedEvals, runDirOf, writeRunRecord, type RunRecord } from '../../main/services/training-runs';

let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-training-runs-'));
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const record = (runId: string, state: RunRecord['state'], patch: Partial<RunRecord> = {}): RunRecord => ({
  version: 1, runId, name: `Tiny · ${runId}`, baseModelId: 'builtin', preset: 'quick', overrides: { steps: 8 }, files: ['/a.txt'],
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', steps: 8, dataset: { documents: 1, words: 10, tokens: 20, estimatedSeconds: 1 }, state, ...patch,
});

async function makeRun(runId: string, rec: RunRecord | string | null, checkpointStep: number | null): Promise<void> {
  const dir = path.join(dataDir, 'runs', runId);
  await fs.mkdir(path.join(dir, 'checkpoints'), { recursive: true });
  if (typeof rec === 'string') await fs.writeFile(path.join(dir, 'run.json'), rec);
  else if (rec) await writeRunRecord(dir, rec);
  if (checkpointStep !== null) await fs.writeFile(path.join(dir, 'checkpoints', 'latest.json'), JSON.stringify({ latest: 'step-x', step: checkpointStep, best: null }));
}

describe('listResumable', () => {
  test('lists unfinished runs with a checkpoint, with the reason from their recorded state', async () => {
    const cases: [string, RunRecord | string | null, number | null, string | null][] = [
      ['run-a-crashed', record('run-a-crashed', 'crashed'), 4, 'crashed'],
      ['run-b-cancelled', record('run-b-cancelled', 'cancelled'), 2, 'cancelled'],
      ['run-c-interrupted', record('run-c-interrupted', 'running'), 6, 'interrupted'],
      ['run-d-completed', record('run-d-completed', 'completed'), 8, null],
      ['run-e-no-checkpoint', record('run-e-no-checkpoint', 'crashed'), null, null],
      ['run-f-no-record', null, 4, null], // from before run.json
      ['run-g-damaged', '{"version":1,', 4, null],
      ['run-h-copied', record('run-a-crashed', 'crashed'), 4, null], // names another folder's run
      ['run-i-not-inspected', record('run-i-not-inspected', 'crashed', { steps: null }), 4, null],
    ];
    for (const [id, rec, step] of cases) await makeRun(id, rec, step);
    await fs.mkdir(path.join(dataDir, 'runs', 'by-model'), { recursive: true }); // not a run folder

    const listed = await listResumable(dataDir, null);
    const expected = cases.filter((c) => c[3] !== null).map(([id, , step, reason]) => ({ runId: id, reason, step, totalSteps: 8, name: `Tiny · ${id}` }));
    expect(listed.map(({ updatedAt: _u, ...r }) => r).sort((a, b) => a.runId.localeCompare(b.runId))).toEqual(expected);
    for (const r of listed) expect(Date.parse(r.updatedAt)).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
    // The run in progress is not offered.
    expect((await listResumable(dataDir, 'run-a-crashed')).map((r) => r.runId)).not.toContain('run-a-crashed');
  });

  test('no runs folder: nothing to resume', async () => {
    expect(await listResumable(path.join(dataDir, 'nowhere'), null)).toEqual([]);
  });
});

describe('helpers', () => {
  test.each(['../etc', 'run-../x', 'run-a/b', '', 'other-1'])('runDirOf refuses %j', (id) => {
    expect(() => runDirOf(dataDir, id)).toThrow(/not a training run id/);
  });

  test('firstMissingFile names the first file that is gone', async () => {
    const present = path.join(dataDir, 'present.txt');
    await fs.writeFile(present, 'x');
    expect(await firstMissingFile([present])).toBeNull();
    expect(await firstMissingFile([present, path.join(dataDir, 'gone.txt'), '/also-gone.txt'])).toBe(path.join(dataDir, 'gone.txt'));
    expect(await firstMissingFile([dataDir])).toBe(dataDir); // a folder is not a manuscript
  });

  test('recordedEvals keeps evaluations up to the checkpoint, the later line winning, and skips cut lines', async () => {
    const dir = path.join(dataDir, 'runs', 'run-evals');
    await fs.mkdir(dir, { recursive: true });
    const lines = [
      { type: 'eval', step: 0, valLoss: 5 }, { type: 'step', step: 1, loss: 4 }, { type: 'eval', step: 2, valLoss: 4.5 },
      { type: 'eval', step: 4, valLoss: 4.1 }, { type: 'eval', step: 6, valLoss: 3.9 }, { type: 'eval', step: 4, valLoss: 4.0 },
    ].map((l) => JSON.stringify(l));
    await fs.writeFile(path.join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n{"type":"eval","st`);
    expect(await recordedEvals(dir, 4)).toEqual([{ step: 0, valLoss: 5 }, { step: 2, valLoss: 4.5 }, { step: 4, valLoss: 4.0 }]);
    expect(await recordedEvals(path.join(dataDir, 'runs', 'none'), 4)).toEqual([]);
  });
});
