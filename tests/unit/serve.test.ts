import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';

// The browser-mode entry as a real process: built with esbuild into a temp
// dist/ (no renderer, no engine worker), started, probed and stopped.
let dir: string;
let script: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-serve-'));
  script = path.join(dir, 'dist', 'main', 'serve.js');
  await build({
    entryPoints: ['main/serve.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script,
    external: ['electron', '@tensorflow/*', 'ws', 'zod'], logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  await fsp.symlink(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  await fsp.mkdir(path.join(dir, 'dist', 'renderer'));
  await fsp.writeFile(path.join(dir, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Inkwell</title>');
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function start(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [script, '--data-dir', path.join(dir, 'data'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

test('a non-loopback --host without --allow-remote is refused with the reason', async () => {
  const { exited, output } = start(['--host', '0.0.0.0']);
  expect(await exited).toBe(2);
  expect(output()).toMatch(/refusing to listen on 0\.0\.0\.0: anyone who can reach .* knows the token can read .* every document .*--allow-remote/s);
});

test.for([['--port', 'abc'], ['--bogus']])('bad flags %j exit 2 with usage', async (args) => {
  const { exited, output } = start(args);
  expect(await exited).toBe(2);
  expect(output()).toMatch(/usage:|--port must be/);
});

test('starts, prints the URL with its token, serves the page and the router, stops on SIGTERM', async () => {
  const { child, output, exited } = start(['--port', '0']);
  let url = '';
  for (let i = 0; i < 200 && !url; i++) {
    url = /running at (http:\/\/\S+)/.exec(output())?.[1] ?? '';
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
  expect(output()).toMatch(/model: none/);
  expect((await fetch(url)).status).toBe(200);
  expect((await fetch(url.replace(/token=.*/, 'token=nope'))).status).toBe(403);

  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/ws${u.search}`, { origin: u.origin });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
  ws.send(JSON.stringify({ t: 'call', id: 1, channel: 'app.info', request: {} }));
  expect(JSON.parse(await reply)).toMatchObject({ t: 'result', id: 1, result: { ok: true, value: { mode: 'browser' } } });
  // No engine worker is built here: generate must fail cleanly, not hang.
  const end = new Promise<string>((resolve) => ws.on('message', (d) => d.toString().includes('"end"') && resolve(d.toString())));
  ws.send(JSON.stringify({ t: 'stream', id: 2, channel: 'engine.generate', request: { task: 'raw', context: 'hi' } }));
  expect(JSON.parse(await end)).toMatchObject({ t: 'end', id: 2, result: { ok: false, error: { code: 'engine_crashed' } } });
  ws.close();

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
