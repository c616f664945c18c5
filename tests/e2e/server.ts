/**
 * Starts and stops the browser-mode server (`node dist/main/serve.js`) for one
 * test: any free port, the given data directory and the tiny fixture model. The
 * server prints a line with its URL and per-launch token; we wait for it and
 * keep all output so a failure can show what the server said.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The server entry under test; INKWELL_SERVE_JS points the specs at another build. */
export const SERVE_JS = process.env.INKWELL_SERVE_JS ?? path.join(REPO_ROOT, 'dist', 'main', 'serve.js');
export const TINY_MODEL = path.join(REPO_ROOT, 'tests', 'fixtures', 'models', 'tiny');
const START_TIMEOUT_MS = 30_000;
const URL_RE = /(https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)\/?\?token=([A-Za-z0-9._~%-]+))/;

export interface ServerHandle {
  /** The page URL with the token, as printed by the server. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  token: string;
  port: number;
  dataDir: string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** Stops the server (SIGTERM by default) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The socket calls `traceSyscallsTo` records: every way a process can reach an address, and what it listens on. */
export const TRACED_SYSCALLS = ['connect', 'sendto', 'sendmsg', 'sendmmsg', 'bind'] as const;

export async function startServer(opts: {
  dataDir: string;
  model?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** Runs the server under `strace -f` (every thread, the engine worker included), writing TRACED_SYSCALLS to this file. */
  traceSyscallsTo?: string;
}): Promise<ServerHandle> {
  // Port 0: the server binds any free port (no race with other tests) and prints the URL it got.
  const args = [SERVE_JS, '--port', '0', '--data-dir', opts.dataDir, '--model', opts.model ?? TINY_MODEL, ...(opts.extraArgs ?? [])];
  const trace = opts.traceSyscallsTo;
  // --seccomp-bpf stops only on the traced calls, so the engine's tensor work runs at full speed; -s 1 keeps payloads out of the log.
  const command = trace === undefined ? process.execPath : 'strace';
  const commandArgs = trace === undefined ? args : ['-f', '-qq', '--seccomp-bpf', '-s', '1', '-e', `trace=${TRACED_SYSCALLS.join(',')}`, '-o', trace, process.execPath, ...args];
  const proc: ChildProcess = spawn(command, commandArgs, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Test-only counters in app.info (e.g. cancels the engine saw); the app never sets this.
    env: { ...process.env, INKWELL_TEST_HOOKS: '1', ...opts.env },
  });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const found = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      proc.kill('SIGKILL');
      reject(new Error(`server did not print its URL within ${START_TIMEOUT_MS} ms: node ${args.join(' ')}\n--- output ---\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      const m = URL_RE.exec(out);
      if (m !== null) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`server exited (code ${code}, signal ${signal}) before printing its URL: node ${args.join(' ')}\n--- output ---\n${out}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.stderr?.off('data', onData);
      proc.off('exit', onExit);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', onExit);
    onData();
  });

  const url = found[1];
  const parsed = new URL(url);
  // Under strace, signals must reach node itself (strace's only child), not strace.
  let target: number | undefined;
  try {
    target = trace === undefined ? undefined : tracedChild(proc.pid);
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    origin: parsed.origin,
    token: decodeURIComponent(found[3]),
    port: Number(found[2]),
    dataDir: opts.dataDir,
    output: () => out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      if (target === undefined) proc.kill(signal);
      else process.kill(target, signal);
      const timer = setTimeout(() => (target === undefined ? proc.kill('SIGKILL') : process.kill(target, 'SIGKILL')), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The pid of the one process strace started (Linux: /proc/PID/task/PID/children). */
function tracedChild(stracePid: number | undefined): number {
  const children = stracePid === undefined ? '' : readFileSync(`/proc/${stracePid}/task/${stracePid}/children`, 'utf8').trim();
  const pid = Number(children.split(/\s+/)[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`strace (pid ${stracePid}) has no child process: ${JSON.stringify(children)}`);
  return pid;
}
