/** Samples by step from metrics.jsonl: order, the val loss beside each sample, and damaged lines skipped. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { linkModelToRun, parseSamples, readRunSamples, samplesOfModel } from '../../main/services/training-samples';

const line = (o: object) => JSON.stringify({ time: '2026-01-01T00:00:00Z', ...o });
const METRICS = [
  line({ type: 'dataset', stats: {}, steps: 8 }),
  line({ type: 'eval', step: 0, valLoss: 5, valPerplexity: 148, best: true }),
  line({ type: 'step', step: 1, loss: 4.9 }),
  line({ type: 'eval', step: 4, valLoss: 4, valPerplexity: 54, best: true }),
  line({ type: 'sample', step: 4, text: 'The lamp', copyRate: 0.25, copiedTokens: 1 }),
  line({ type: 'sample', step: 2, text: 'Early', copyRate: 0 }),
  line({ type: 'eval', step: 6, valLoss: 3.5, valPerplexity: 33, best: true }),
  line({ type: 'sample', step: 8, text: 'The keeper wrote', copyRate: 1.7 }),
].join('\n');

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-samples-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('parseSamples', () => {
  test('samples in step order with the latest val loss at or before their step', () => {
    expect(parseSamples(METRICS)).toEqual([
      { step: 2, text: 'Early', copyRate: 0, valLoss: 5 },
      { step: 4, text: 'The lamp', copyRate: 0.25, valLoss: 4 },
      { step: 8, text: 'The keeper wrote', copyRate: 1, valLoss: 3.5 },
    ]);
  });

  test.for([
    ['a line cut mid-write at the end', `${METRICS}\n{"type":"sample","step":9,"te`],
    ['a corrupt line in the middle', METRICS.replace('\n', '\n\u0000\u0000garbage{{\n')],
    ['wrong shapes', `${METRICS}\n{"type":"sample","step":"ten","text":1}\n[1,2]\nnull\n"x"\n{"type":"eval","step":9,"valLoss":"NaN"}`],
    ['CRLF line ends and blank lines', `${METRICS.replace(/\n/g, '\r\n')}\r\n\r\n`],
  ])('%s: skipped, the rest is read', ([, text]) => {
    expect(parseSamples(text).map((s) => s.step)).toEqual([2, 4, 8]);
  });

  test('no samples, or no evals', () => {
    expect(parseSamples('')).toEqual([]);
    expect(parseSamples(line({ type: 'sample', step: 3, text: 'x', copyRate: 0.5 }))).toEqual([{ step: 3, text: 'x', copyRate: 0.5, valLoss: null }]);
  });
});

describe('files', () => {
  test('a model linked to its run gets the run\'s samples; other models, a missing file or a damaged link give []', async () => {
    const dataDir = path.join(dir, 'data');
    await fs.mkdir(path.join(dataDir, 'runs', 'run-1'), { recursive: true });
    await fs.writeFile(path.join(dataDir, 'runs', 'run-1', 'metrics.jsonl'), METRICS);
    await linkModelToRun(dataDir, 'my-ft', 'run-1');
    expect((await samplesOfModel(dataDir, 'my-ft')).length).toBe(3);
    expect(await samplesOfModel(dataDir, 'builtin')).toEqual([]);
    await linkModelToRun(dataDir, 'gone', 'run-2');
    expect(await samplesOfModel(dataDir, 'gone')).toEqual([]);
    await fs.writeFile(path.join(dataDir, 'runs', 'by-model', 'bad.json'), '{"runId":"../../etc"}');
    expect(await samplesOfModel(dataDir, 'bad')).toEqual([]);
    expect(await readRunSamples(path.join(dir, 'nowhere'))).toEqual([]);
  });
});
