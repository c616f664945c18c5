// Shared plumbing of the fault tests (tests/unit/faults/*.test.ts): bundling a
// child script, starting it, killing it with SIGKILL at a seeded random moment,
// hashing folders to prove "byte-identical", and the FAULTS_SCALE knob.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createRng } from '../../../main/engine/rng';
import { bundleWorker } from '../helpers/bundle-worker';

/** FAULTS_SCALE=5 runs five times the default kill counts (for a long soak; CI uses 1). */
export function scaled(count: number): number {
  const k = Number(process.env.FAULTS_SCALE ?? '1');
  return Math.max(1, Math.round(count * (Number.isFinite(k) && k > 0 ? k : 1)));
}

/**
 * How long a kill loop may run before it stops early (a child's start-up — tfjs,
 * tokenizer, model — costs seconds on a loaded machine): the loop then reports
 * the kills it achieved; it always goes on to its minimum count, however slow.
 */
export function timeBudgetMs(defaultMs: number): number {
  return scaled(defaultMs);
}

/** A seeded random source; FAULTS_SEED replays a failing run. The seed is printed so a failure can be replayed. */
export function faultRng(name: string, fallbackSeed: number): { seed: number; next: () => number } {
  const seed = process.env.FAULTS_SEED !== undefined ? Number(process.env.FAULTS_SEED) : fallbackSeed;
  console.info(`[faults] ${name}: seed ${seed} (replay with FAULTS_SEED=${seed})`);
  return { seed, next: createRng(seed) };
}

/** Bundles tests/unit/faults/children/<name>.ts into a temp folder; the caller removes `dir`. */
export async function bundleChild(name: string): Promise<{ dir: string; file: string }> {
  return bundleWorker(path.join(import.meta.dirname, 'children', `${name}.ts`), `inkwell-fault-${name}-`);
}

export interface ChildRun {
  child: ChildProcess;
  /** Everything the child printed so far. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves when a line of stdout matches (rejects if the child exits first). */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node <file> ...args`, or, with `shellPrefix`, `bash -c '<prefix>; exec node <file> "$@"'`
 * (how a test gives the child a kernel-enforced limit such as ulimit -f).
 */
export function startChild(file: string, args: string[], options: { shellPrefix?: string; env?: NodeJS.ProcessEnv } = {}): ChildRun {
  const child = options.shellPrefix
    ? spawn('bash', ['-c', `${options.shellPrefix}; exec "$0" "$@"`, process.execPath, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env })
    : spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of [...listeners]) l();
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const l of [...listeners]) l();
    });
  });
  let ended = false;
  void exited.then(() => (ended = true));
  const waitFor = (pattern: RegExp, timeoutMs = 60_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`child ${path.basename(file)}: no output matching ${pattern} within ${timeoutMs} ms; stdout: ${out.slice(-500)} stderr: ${err.slice(-1500)}`));
      }, timeoutMs);
      function check(): void {
        const line = out.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(line);
        } else if (ended || child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          listeners.delete(check);
          reject(new Error(`child ${path.basename(file)} exited (code ${child.exitCode}, signal ${child.signalCode}) before printing ${pattern}; stdout: ${out.slice(-500)} stderr: ${err.slice(-1500)}`));
        }
      }
      listeners.add(check);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** SIGKILLs the child after `delayMs` and waits for it to be gone. Returns true if the kill (not a normal exit) ended it. */
export async function killAfter(run: ChildRun, delayMs: number): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  run.child.kill('SIGKILL');
  const { signal } = await run.exited;
  return signal === 'SIGKILL';
}

/** sha256 of every file under `dir` by relative path (folders sorted), for "byte-identical" checks. */
export async function hashTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) await walk(r);
      else out.set(r, createHash('sha256').update(await fsp.readFile(path.join(dir, r))).digest('hex'));
    }
  };
  await walk('');
  return out;
}

export async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await fsp.readFile(file)).digest('hex');
}

/** The last JSON line a child printed (children report results as one JSON object per line). */
export function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`child printed no JSON line; stdout: ${stdout.slice(-500)}`);
  return JSON.parse(lines[lines.length - 1]) as T;
}
