import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TEMP_PREFIX } from '../../main/services/atomic-write';

// Real kills of a real saving process (BAD-INPUTS E.1): after every SIGKILL the
// document is exactly the old or the new version, never empty or mixed.
const SIZE = 1 << 20;
const ITERATIONS = 55;
/** Node start-up dominates each iteration (~0.2-0.6 s on a loaded machine); the budget only stops a pathological run. */
const TIME_BUDGET_MS = 100_000;
const versions = ['A', 'B'].map((ch) => `# ${ch}\n` + ch.repeat(SIZE));

let dir: string;
let script: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-save-kill-'));
  script = path.join(dir, 'save-loop.mjs');
  await build({
    entryPoints: [path.join(import.meta.dirname, 'helpers/save-loop.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script, logLevel: 'warning',
  });
});

afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function runAndKill(target: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, target, String(SIZE)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`save loop exited on its own (code ${_code}): ${stderr}`));
    });
  });
}

test(`the file is always the old or the new version across ${ITERATIONS} SIGKILLs`, async () => {
  const target = path.join(dir, 'doc.md');
  await fsp.writeFile(target, versions[0]);
  const started = Date.now();
  const seen = new Set<string>();
  let done = 0;
  for (; done < ITERATIONS && Date.now() - started < TIME_BUDGET_MS; done++) {
    await runAndKill(target, Math.floor(Math.random() * 40));
    const content = await fsp.readFile(target, 'utf8');
    const which = content === versions[0] ? 'A' : content === versions[1] ? 'B' : null;
    expect(which, `iteration ${done}: file has ${content.length} chars starting ${JSON.stringify(content.slice(0, 8))}`).not.toBeNull();
    seen.add(which as string);
  }
  expect(done).toBeGreaterThanOrEqual(50);
  // Both versions were observed, so the kills really landed between and during saves.
  expect(seen.size).toBe(2);
  // Killed writers leave temp files behind (that is what sweepTempFiles is for), never a broken target.
  const leftovers = (await fsp.readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX));
  expect(leftovers.length).toBeLessThanOrEqual(done);
}, 150_000);
