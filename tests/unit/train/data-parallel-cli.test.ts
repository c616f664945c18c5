import { expect, test } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../../main/cli';
import { FINETUNE_HELP } from '../../../main/cli/finetune';
import { storyText, withTempDir } from './helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; err: () => string } {
  let e = '';
  return { io: { stdout: () => undefined, stderr: (t) => void (e += t) }, err: () => e };
}

test('--threads is in the help text', () => {
  expect(FINETUNE_HELP).toMatch(/--threads N/);
});

// Under vitest there is no built rank worker bundle, so a run that needs one fails with the bundle's name:
// that proves the flag reached runTraining without spending time on a real two-thread run (data-parallel.test.ts does that).
test.for([
  { threads: '0', code: 2, want: /--threads must be between 1 and 64, got 0/ },
  { threads: '1.5', code: 2, want: /--threads must be an integer, got '1\.5'/ },
  { threads: '2', code: 1, want: /threads 2 needs the rank worker bundle/ },
])('inkwell finetune --threads $threads exits $code', async ({ threads, code, want }) => {
  await withTempDir(async (dir) => {
    const f = path.join(dir, 'a.txt');
    await writeFile(f, storyText(20, 2));
    const c = capture();
    const argv = ['finetune', '--model', TINY, '--data', f, '--out', path.join(dir, 'run'), '--block', '32', '--batch', '2', '--steps', '1', '--sample-every', '0', '--backend', 'wasm', '--threads', threads];
    expect(await main(argv, c.io)).toBe(code);
    expect(c.err()).toMatch(want);
  });
});
