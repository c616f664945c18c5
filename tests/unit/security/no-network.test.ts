/**
 * Inkwell works with no network at all (issue 7, item 5): the command line
 * (generate, score, finetune) and the browser-mode server run inside a fresh
 * network namespace (`unshare -n`: no interface but loopback, no route), and
 * succeed. The server's namespace gets its loopback brought up so a client in
 * the same namespace can load the page and drive the engine over the
 * WebSocket. Built here with esbuild into a temp dist/, so it tests the
 * sources, not whatever dist/ holds.
 *
 * Where unshare is not permitted (no CAP_SYS_ADMIN) or `ip` is missing, the
 * tests skip and print why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
const TINY = path.join(REPO, 'tests', 'fixtures', 'models', 'tiny');
/** The plain-Node entries of scripts/build.mjs that the CLI and the server load. */
const ENTRIES: Record<string, string> = {
  'main/serve': 'main/serve.ts',
  'main/cli': 'main/cli.ts',
  'main/engine/worker': 'main/engine/worker.ts',
  'main/engine/train-worker': 'main/engine/train-worker.ts',
  'main/engine/parallel/rank-worker': 'main/engine/parallel/rank-worker.ts',
};
/** Generous: these machines are shared, and a loaded one takes ~40 s for the 4-step fine-tune. */
const RUN_TIMEOUT_MS = 150_000;
const TEST_TIMEOUT_MS = RUN_TIMEOUT_MS + 20_000;

function problemRunning(command: string, args: string[]): string | null {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) return `${command} could not start: ${r.error.message}`;
  if (r.status !== 0) return `\`${[command, ...args].join(' ')}\` exited ${r.status}: ${r.stderr.trim()}`;
  return null;
}

const UNSHARE_PROBLEM = process.platform !== 'linux' ? `network namespaces need Linux; this is ${process.platform}` : problemRunning('unshare', ['-n', 'true']);
// `ip` (iproute2) brings the namespace's loopback up; without it 127.0.0.1 is unreachable there too.
const LOOPBACK_PROBLEM = UNSHARE_PROBLEM ?? problemRunning('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up']);
if (UNSHARE_PROBLEM !== null) console.warn(`[no-network] SKIPPED (all): ${UNSHARE_PROBLEM}`);
else if (LOOPBACK_PROBLEM !== null) console.warn(`[no-network] SKIPPED (browser mode): cannot bring loopback up in the namespace: ${LOOPBACK_PROBLEM}`);

/** Runs `sh -c script` in a new network namespace; returns its output either way. */
function inNamespace(script: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], {
    cwd: dir,
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    env: { ...process.env, ...env },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? `\n${r.error.message}` : ''}` };
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const node = q(process.execPath);

let dir = '';
let cli = '';

beforeAll(async () => {
  if (UNSHARE_PROBLEM !== null) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'inkwell-nonet-'));
  const present = Object.fromEntries(Object.entries(ENTRIES).filter(([, src]) => existsSync(path.join(REPO, src))).map(([k, v]) => [k, path.join(REPO, v)]));
  await build({
    entryPoints: present, outdir: path.join(dir, 'dist'), bundle: true, platform: 'node', target: 'node20', format: 'esm',
    external: ['electron', '@tensorflow/*', 'ws', 'zod'], logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  // The bundles keep packages external: a node_modules link resolves them from the temp dir.
  await symlink(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  await mkdir(path.join(dir, 'dist', 'renderer'));
  await writeFile(path.join(dir, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Inkwell offline</title>');
  cli = q(path.join(dir, 'dist', 'main', 'cli.js'));
}, 60_000);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe.skipIf(UNSHARE_PROBLEM !== null)('inside a network namespace with no route', () => {
  test('the namespace really has no network: a connect outside fails at once', () => {
    // Without this, a test that passes could mean unshare did nothing.
    const r = inNamespace(`${node} -e "require('node:net').connect(9, '10.255.255.1').on('error', (e) => { console.log(e.code); process.exit(0); })"`);
    expect(r.out.trim()).toMatch(/^(ENETUNREACH|EHOSTUNREACH)$/);
  }, TEST_TIMEOUT_MS);

  test.for([
    ['generate', `generate --model ${q(TINY)} --prompt 'The lighthouse keeper' --max-tokens 8 --seed 1`, /\S/],
    ['score', `score --model ${q(TINY)} --text 'The lamp on the pier burned low, and Mara wrote the weather into the log.'`, /perplexity|nll|loss/i],
  ] as const)('inkwell %s works', { timeout: TEST_TIMEOUT_MS }, ([, args, expected]) => {
    const r = inNamespace(`${node} ${cli} ${args}`);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(expected);
  });

  test('inkwell finetune runs a few steps and writes a checkpoint', async () => {
    const data = path.join(dir, 'manuscript.txt');
    const out = path.join(dir, 'finetune-out');
    await writeFile(data, Array.from({ length: 40 }, (_, i) => `Night ${i + 1}. The lamp on the pier burned low.`).join('\n\n'));
    const r = inNamespace(`${node} ${cli} finetune --model ${q(TINY)} --data ${q(data)} --out ${q(out)} --steps 4 --block 16 --batch 2 --val-every 2 --sample-every 4 --seed 1`);
    expect(r.status, r.out).toBe(0);
    expect(existsSync(path.join(out, 'metrics.jsonl')), r.out).toBe(true);
    expect(r.out).toMatch(/finished 4 steps/);
  }, TEST_TIMEOUT_MS);

  test.skipIf(LOOPBACK_PROBLEM !== null)('browser mode serves the page and runs the engine over loopback', async () => {
    const driver = path.join(dir, 'driver.mjs');
    await writeFile(driver, driverSource(path.join(dir, 'dist', 'main', 'serve.js'), path.join(dir, 'serve-data')));
    const r = inNamespace(`ip link set lo up && exec ${node} ${q(driver)}`);
    expect(r.status, r.out).toBe(0);
    const result = JSON.parse(/^RESULT (.*)$/m.exec(r.out)?.[1] ?? 'null') as { page: number; title: boolean; info: boolean; tokens: number; end: boolean } | null;
    expect(result, r.out).toEqual({ page: 200, title: true, info: true, tokens: expect.any(Number) as number, end: true });
    expect(result?.tokens).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);
});

/**
 * A script run inside the namespace: starts the server, loads the page with the token,
 * calls app.info and streams a short generation over the WebSocket, prints one RESULT line.
 */
function driverSource(serveJs: string, dataDir: string): string {
  return `
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
const WebSocket = createRequire(${JSON.stringify(path.join(REPO, 'package.json'))})('ws');
const server = spawn(process.execPath, [${JSON.stringify(serveJs)}, '--port', '0', '--data-dir', ${JSON.stringify(dataDir)}, '--model', ${JSON.stringify(TINY)}], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
const timer = setTimeout(() => fail('timed out'), ${RUN_TIMEOUT_MS - 10_000});
function fail(why) { console.error('driver: ' + why + '\\n--- server ---\\n' + out); server.kill('SIGKILL'); process.exit(1); }
server.on('exit', (code) => fail('server exited with ' + code));
const url = await new Promise((resolve) => {
  const onData = (d) => { out += d; const m = /(http:\\/\\/127\\.0\\.0\\.1:\\d+\\/\\?token=\\S+)/.exec(out); if (m) resolve(m[1]); };
  server.stdout.on('data', onData); server.stderr.on('data', onData);
});
const res = await fetch(url);
const body = await res.text();
const origin = new URL(url).origin;
const token = new URL(url).searchParams.get('token');
const ws = new WebSocket(origin.replace('http', 'ws') + '/ws?token=' + encodeURIComponent(token), { origin });
await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
const result = { page: res.status, title: body.includes('Inkwell offline'), info: false, tokens: 0, end: false };
await new Promise((resolve) => {
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.t === 'result' && m.id === 1) {
      result.info = m.result.ok === true;
      ws.send(JSON.stringify({ t: 'stream', id: 2, channel: 'engine.generate', request: { task: 'raw', context: 'The lighthouse keeper', options: { maxTokens: 6 } } }));
    } else if (m.t === 'event' && m.id === 2 && m.event.type === 'token') result.tokens++;
    else if (m.t === 'end' && m.id === 2) { result.end = m.result.ok === true; if (!result.end) console.error(JSON.stringify(m.result)); resolve(); }
  });
  ws.send(JSON.stringify({ t: 'call', id: 1, channel: 'app.info', request: {} }));
});
ws.close();
clearTimeout(timer);
server.removeAllListeners('exit');
server.kill('SIGTERM');
console.log('RESULT ' + JSON.stringify(result));
`;
}
