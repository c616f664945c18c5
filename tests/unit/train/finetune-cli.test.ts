import { describe, expect, test } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../../main/cli';
import { formatEvent, takeDataFlags } from '../../../main/cli/finetune';
import { storyText, withTempDir } from './helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; out: () => string; err: () => string } {
  let o = '';
  let e = '';
  return { io: { stdout: (t) => void (o += t), stderr: (t) => void (e += t) }, out: () => o, err: () => e };
}

describe('inkwell finetune', () => {
  test('runs, prints one JSON object per event, and resumes', async () => {
    await withTempDir(async (dir) => {
      const a = path.join(dir, 'a.txt');
      const b = path.join(dir, 'b.md');
      await writeFile(a, storyText(20, 2));
      await writeFile(b, '# Notes\n\n' + storyText(20, 3));
      const out = path.join(dir, 'run');
      const common = ['finetune', '--model', TINY, '--data', a, `--data=${b}`, '--out', out, '--block', '32', '--batch', '2', '--val-every', '2', '--sample-every', '0', '--backend', 'wasm'];
      const c = capture();
      expect(await main([...common, '--steps', '2', '--json'], c.io)).toBe(0);
      const events = c.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string; stats?: { documents: number } });
      expect(events.find((e) => e.type === 'dataset')?.stats?.documents).toBe(2);
      expect(events.filter((e) => e.type === 'step')).toHaveLength(2);
      expect(events.at(-1)?.type).toBe('done');
      expect(await readdir(path.join(out, 'checkpoints'))).toContain('step-000002');

      const r = capture();
      expect(await main([...common, '--steps', '3', '--resume'], r.io)).toBe(0);
      expect(r.out()).toMatch(/^step 3\/3 {2}epoch [\d.]+ {2}loss \d+\.\d{4}/m);
      expect(r.out()).not.toMatch(/^step 1\//m);
    });
  });

  test.for([
    [['--data', 'x.txt', '--out', 'o'], /--model is required/],
    [['--model', 'm', '--out', 'o'], /at least one --data/],
    [['--model', 'm', '--data', 'x', '--out', 'o', '--steps', '2', '--epochs', '1'], /--steps or --epochs, not both/],
    [['--model', 'm', '--data', 'x', '--out', 'o', '--lr', 'fast'], /--lr must be a number/],
    [['--model', 'm', '--data'], /--data needs a file name/],
  ] as const)('usage error %#', async ([argv, message]) => {
    const c = capture();
    expect(await main(['finetune', ...argv], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
  });

  test('--scratch-config trains a new model of that shape from scratch', async () => {
    await withTempDir(async (dir) => {
      const f = path.join(dir, 'a.txt');
      await writeFile(f, storyText(20, 4));
      const cfg = path.join(dir, 'small.json');
      await writeFile(cfg, JSON.stringify({ model_type: 'gpt2', n_layer: 1, n_head: 2, n_embd: 16, n_positions: 32, vocab_size: 50257 }));
      const out = path.join(dir, 'run');
      const c = capture();
      const code = await main(['finetune', '--model', TINY, '--scratch-config', cfg, '--data', f, '--out', out, '--block', '32', '--batch', '4', '--steps', '6', '--lr', '0.01', '--sample-every', '0', '--json', '--backend', 'wasm'], c.io);
      expect(code, c.err()).toBe(0);
      const losses = c.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string; loss?: number }).filter((e) => e.type === 'step').map((e) => e.loss!);
      expect(losses[5]).toBeLessThan(losses[0] - 0.5);
      const saved = JSON.parse(await readFile(path.join(out, 'checkpoints', 'step-000006', 'config.json'), 'utf8'));
      expect(saved).toMatchObject({ n_layer: 1, n_embd: 16, n_positions: 32 });
    });
  });

  test('a missing model folder is a runtime failure (exit 1) with the path', async () => {
    await withTempDir(async (dir) => {
      const f = path.join(dir, 'a.txt');
      await writeFile(f, 'text');
      const c = capture();
      expect(await main(['finetune', '--model', path.join(dir, 'nope'), '--data', f, '--out', path.join(dir, 'o'), '--backend', 'wasm'], c.io)).toBe(1);
      expect(c.err()).toMatch(/nope/);
    });
  });

  test('takeDataFlags collects repeated --data and leaves the rest', () => {
    expect(takeDataFlags(['--data', 'a', '--json', '--data=b'])).toEqual({ files: ['a', 'b'], rest: ['--json'] });
  });

  test.for([
    [{ type: 'eval', step: 4, valLoss: 2, valPerplexity: Math.exp(2), best: true }, 'step 4: validation loss 2.0000 (perplexity 7.39), best so far\n'],
    [{ type: 'warning', code: 'lr-zero', message: 'the learning rate is 0' }, 'warning: the learning rate is 0\n'],
    [
      { type: 'memory', deviceBytes: 1.5 * 2 ** 30, hostBytes: 2 * 2 ** 30, peakRssBytes: 3.6 * 2 ** 30, trainableParameters: 124439808, keptBlocks: 0 },
      'memory: about 1.50 GiB of tensors and 2.00 GiB of optimizer state, 3.60 GiB at the peak in all; 124439808 trainable parameters\n',
    ],
    [{ type: 'sample', step: 2, text: 'Hi', copyRate: 0.25, copiedTokens: 3 }, '--- sample at step 2 (25% copied from the training text) ---\nHi\n---\n'],
  ] as const)('formats %j', ([event, line]) => {
    expect(formatEvent(event)).toBe(line);
  });
});
