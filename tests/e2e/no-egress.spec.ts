/**
 * Nothing sent away (issue 7, item 5). The browser-mode server runs under
 * `strace -f` (every thread: the router, the engine worker, the training
 * worker, libc's resolver) while Chromium drives the main flows; afterwards
 * every connect/sendto/sendmsg/sendmmsg/bind it made must name a Unix socket,
 * netlink, 127.0.0.0/8 or ::1. The page's own requests must all go to the
 * server's origin. Model download, the one network feature, must touch the
 * network only when the writer clicks Download.
 *
 * Where strace is missing or cannot attach (ptrace refused in the container),
 * the tests that need it skip and say why; the parser checks always run.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { InkwellPage } from './pages';
import { rpc } from './rpc';
import { startServer, TRACED_SYSCALLS, type ServerHandle } from './server';

/** One traced socket call that named an address. */
interface SocketCall {
  syscall: string;
  /** AF_INET, AF_INET6, AF_UNIX, ... */
  family: string;
  /** The IP address for AF_INET/AF_INET6, else null. */
  address: string | null;
  port: number | null;
  /** The strace line, for failure messages. */
  line: string;
}

const CALL_RE = new RegExp(`^(?:\\d+\\s+)?(${TRACED_SYSCALLS.join('|')})\\((.*)$`);

/**
 * The socket calls in an strace log that carry an address. Calls on an already
 * connected socket (sendto ... NULL, msg_name=NULL) have none: their connect() was
 * traced. "<... resumed>" lines carry no arguments; the address is on the first half.
 */
export function parseStraceLog(log: string): SocketCall[] {
  const calls: SocketCall[] = [];
  for (const line of log.split('\n')) {
    const m = CALL_RE.exec(line);
    if (m === null) continue;
    const args = m[2];
    const family = /sa_family=(AF_\w+)/.exec(args)?.[1] ?? /nl_family=(AF_\w+)/.exec(args)?.[1];
    if (family === undefined) continue;
    const v4 = /inet_addr\("([^"]*)"\)/.exec(args)?.[1];
    const v6 = /inet_pton\(AF_INET6, "([^"]*)"/.exec(args)?.[1];
    const port = /sin6?_port=htons\((\d+)\)/.exec(args)?.[1];
    calls.push({ syscall: m[1], family, address: v4 ?? v6 ?? null, port: port === undefined ? null : Number(port), line });
  }
  return calls;
}

/** Local kernel sockets; everything else must name a loopback address. */
const LOCAL_FAMILIES = new Set(['AF_UNIX', 'AF_LOCAL', 'AF_NETLINK', 'AF_UNSPEC']);

export function isLoopbackAddress(address: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(address) || address === '::1' || /^::ffff:127\.\d+\.\d+\.\d+$/i.test(address);
}

/** The calls that could reach (or listen to) another machine. */
export function egress(calls: SocketCall[]): SocketCall[] {
  return calls.filter((c) => !LOCAL_FAMILIES.has(c.family) && !(c.address !== null && isLoopbackAddress(c.address)));
}

function describeCalls(calls: SocketCall[]): string {
  return calls.map((c) => `  ${c.syscall} ${c.family} ${c.address ?? '?'}:${c.port ?? '?'}  <- ${c.line}`).join('\n');
}

/** Why strace cannot watch a process here, or null when it can (one tiny traced node run). */
function straceProblem(): string | null {
  const r = spawnSync('strace', ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=connect', '-o', '/dev/null', process.execPath, '-e', '0'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'strace is not installed (apt-get install strace)' : `strace could not start: ${r.error.message}`;
  }
  if (r.status !== 0) return `strace cannot trace a process here (ptrace refused?): exit ${r.status}: ${r.stderr.trim()}`;
  return null;
}

const STRACE_PROBLEM = process.platform === 'linux' ? straceProblem() : `strace needs Linux; this is ${process.platform}`;
function skipWithoutStrace(): void {
  if (STRACE_PROBLEM !== null) console.warn(`[no-egress] SKIPPED: ${STRACE_PROBLEM}`);
  test.skip(STRACE_PROBLEM !== null, `no-egress: ${STRACE_PROBLEM}`);
}

/** Requests the page makes anywhere but the server (data: and blob: URLs are in-page). */
function watchPageRequests(page: Page, origin: string): string[] {
  const foreign: string[] = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url)) foreign.push(`${r.method()} ${url}`);
  });
  return foreign;
}

const FLAGGED: [line: string, where: string][] = [
  ['16484 connect(19, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("10.255.255.1")}, 16) = -1 EINPROGRESS', '10.255.255.1:9'],
  ['17029 connect(18, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0', '10.255.255.53:53'],
  ['17009 sendmsg(19, {msg_name={sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("192.0.2.7")}, msg_namelen=16}, 0) = 1', '192.0.2.7:9'],
  ['7 bind(21, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("0.0.0.0")}, 16) = 0', '0.0.0.0:0'],
  ['7 connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>', '2001:db8::1:443'],
  ['connect(5, {sa_family=AF_PACKET, sll_protocol=htons(ETH_P_ALL)}, 20) = 0', '?:?'],
  ['7 sendto(4, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.4.4")}, 16) = 1', '8.8.4.4:53'],
];

const PASSED: string[] = [
  '16501 connect(25, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS',
  '9 bind(21, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
  '9 sendmsg(18, {msg_name={sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, msg_namelen=28}, 0) = 1',
  '9 connect(7, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
  '17029 connect(18, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
  '9 sendto(3, "x", 1, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 20',
  '9 sendto(3, "x", 1, MSG_NOSIGNAL, NULL, 0) = 1',
  '9 sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}]}, 0) = 1',
  '9 <... connect resumed>) = 0',
  '9 +++ exited with 0 +++',
];

test.describe('the strace log parser', () => {
  for (const [line, where] of FLAGGED) {
    test(`flags ${line}`, () => {
      const flagged = egress(parseStraceLog(line));
      expect(flagged.map((c) => `${c.address ?? '?'}:${c.port ?? '?'}`)).toEqual([where]);
    });
  }
  for (const line of PASSED) {
    test(`passes ${line}`, () => {
      expect(egress(parseStraceLog(line))).toEqual([]);
    });
  }
});

test('positive control: strace sees a worker thread connect to 10.255.255.1 and the parser flags it', async () => {
  skipWithoutStrace();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-e2e-egress-'));
  try {
    const log = path.join(dir, 'strace.log');
    // The main thread talks to loopback, a worker thread (as the engine is) to an address outside.
    const script = `const { Worker } = require('node:worker_threads'); const net = require('node:net');
      net.connect(9, '127.0.0.1').on('error', () => {});
      const w = new Worker("require('node:net').connect(9, '10.255.255.1').on('error', () => {}); setTimeout(() => process.exit(0), 200);", { eval: true });
      w.on('exit', () => process.exit(0));`;
    const r = spawnSync('strace', ['-f', '-qq', '--seccomp-bpf', '-e', `trace=${TRACED_SYSCALLS.join(',')}`, '-o', log, process.execPath, '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const calls = parseStraceLog(await fs.readFile(log, 'utf8'));
    expect(calls.some((c) => c.address === '127.0.0.1' && c.port === 9)).toBe(true);
    expect(egress(calls).map((c) => `${c.syscall} ${c.address}:${c.port}`)).toEqual(['connect 10.255.255.1:9']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

const SENTENCE = 'The lighthouse keeper climbed the stairs';
const MANUSCRIPT = Array.from({ length: 40 }, (_, i) => `Night ${i + 1}. The lamp on the pier burned low, and Mara wrote the weather into the log.`).join('\n\n');
const TRAIN_OVERRIDES = JSON.stringify({ steps: 8, block: 16, batch: 2, accum: 1, lr: 3e-3, valEvery: 4, sampleEvery: 8, sampleTokens: 8 });

test.describe('with the server under strace', () => {
  let dir = '';
  let app: ServerHandle | null = null;

  test.beforeEach(async () => {
    skipWithoutStrace();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-e2e-egress-'));
  });

  // Playwright reads a hook's fixtures from this destructuring pattern; this one needs none.
  // eslint-disable-next-line no-empty-pattern
  test.afterEach(async ({}, testInfo) => {
    if (app !== null) {
      await app.stop('SIGTERM');
      if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('server-output', { body: app.output(), contentType: 'text/plain' });
      app = null;
    }
    if (dir) {
      const log = await fs.readFile(path.join(dir, 'strace.log'), 'utf8').catch(() => '');
      if (testInfo.status !== testInfo.expectedStatus && log !== '') await testInfo.attach('strace-log', { body: log, contentType: 'text/plain' });
      await fs.rm(dir, { recursive: true, force: true });
      dir = '';
    }
  });

  test('open, type, suggestions, outline, fine-tune and export connect to nothing but loopback', async ({ page }) => {
    test.setTimeout(240_000);
    const traceFile = path.join(dir, 'strace.log');
    const server = await startServer({ dataDir: path.join(dir, 'data'), traceSyscallsTo: traceFile, env: { INKWELL_TRAIN_OVERRIDES: TRAIN_OVERRIDES } });
    app = server;
    const foreign = watchPageRequests(page, server.origin);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const inkwell = new InkwellPage(page);
    await inkwell.goto(server.url);

    // Open and type: two documents, switching between them.
    await inkwell.type('# Harbour notes\nThe fog came in at dusk.');
    await inkwell.press('Mod+s');
    await inkwell.expectSaved();
    await inkwell.newDocument();

    // Suggestions: ghost text shown and accepted.
    const ghost = await inkwell.typeAndWaitForGhost(SENTENCE);
    await page.keyboard.press('Tab');
    await expect(inkwell.editor).toHaveText(SENTENCE + ghost);
    await inkwell.openDocument('Harbour notes');
    await expect(inkwell.editor).toContainText('The fog came in at dusk.');

    // Outline: the brief runs to a result or to "nothing usable" (the tiny model writes gibberish).
    await page.getByRole('button', { name: 'Outline', exact: true }).click();
    const outline = page.getByRole('region', { name: 'Outline' });
    await outline.getByLabel('Topic').fill('Riverside opens a night library for shift workers');
    await outline.getByRole('button', { name: 'Draft outline' }).click();
    await expect(outline.getByTestId('outline-result').or(outline.getByText('Nothing usable came back'))).toBeVisible({ timeout: 60_000 });

    // Fine-tune: a few steps on a small manuscript, to the end.
    const manuscript = path.join(dir, 'lighthouse.txt');
    await fs.writeFile(manuscript, MANUSCRIPT);
    await page.getByRole('tab', { name: 'Train' }).click();
    const train = page.getByRole('region', { name: 'Train' });
    // Added as a writer does, through the file picker (uploaded to the server over the loopback socket).
    await train.getByLabel('Manuscript files to upload').setInputFiles(manuscript);
    await expect(train).toContainText('lighthouse.txt');
    await train.getByRole('button', { name: 'Check files' }).click();
    await expect(train.getByLabel('Dataset report')).toContainText('Documents1');
    await train.getByRole('button', { name: 'Start training' }).click();
    await expect(train.getByLabel('Training result')).toContainText('Finished', { timeout: 90_000 });

    // Export: every document, both formats. (Through the contract: the export UI is being added.)
    const list = await rpc(server.origin, server.token, 'documents.list', {});
    expect(list.ok && list.value.length).toBe(2);
    for (const doc of list.ok ? list.value : []) {
      for (const format of ['md', 'docx'] as const) {
        const file = await rpc(server.origin, server.token, 'documents.export', { id: doc.id, format, provenance: true });
        expect(file.ok && file.value.base64.length, `export ${doc.title} as ${format}: ${JSON.stringify(file)}`).toBeGreaterThan(0);
      }
    }
    expect(errors, 'uncaught errors in the page').toEqual([]);

    await server.stop('SIGTERM');
    const calls = parseStraceLog(await fs.readFile(traceFile, 'utf8'));
    // The watch saw the server: its listening socket's bind (port 0: the kernel picks) is in the log.
    expect(calls.filter((c) => c.syscall === 'bind' && c.address === '127.0.0.1'), 'bind of the server socket in the strace log').not.toEqual([]);
    const away = egress(calls);
    expect(away, `socket calls to non-loopback addresses:\n${describeCalls(away)}`).toEqual([]);
    expect(foreign, 'page requests to anything but the server').toEqual([]);
  });

  test('the model downloader touches the network only when Download is clicked', async ({ page }) => {
    test.setTimeout(120_000);
    // An address off this machine's loopback that answers at once: this host's own interface (a closed
    // port refuses), or with no interface at all an address with no route (refused by the kernel).
    const outside = Object.values(os.networkInterfaces()).flat().find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address ?? '10.255.255.1';
    const PORT = 9;
    const catalogueFile = path.join(dir, 'catalogue.json');
    await fs.writeFile(catalogueFile, JSON.stringify([{
      name: 'egress-probe', displayName: 'Egress probe model', repo: 'inkwell-test/egress', revision: 'main', parameters: 0,
      files: [{ name: 'config.json', size: 100, sha256: null }],
    }]));
    const traceFile = path.join(dir, 'strace.log');
    const server = await startServer({
      dataDir: path.join(dir, 'data'),
      traceSyscallsTo: traceFile,
      env: { INKWELL_TEST_CATALOGUE: catalogueFile, INKWELL_MODELS_BASE_URL: `http://${outside}:${PORT}` },
    });
    app = server;
    const foreign = watchPageRequests(page, server.origin);
    const inkwell = new InkwellPage(page);
    await inkwell.goto(server.url);
    await inkwell.typeAndWaitForGhost(SENTENCE);

    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('tab', { name: 'Models' }).click();
    const models = page.getByRole('region', { name: 'Models' });
    const card = models.getByRole('listitem', { name: 'Egress probe model' });
    await expect(card.getByRole('button', { name: 'Download Egress probe model' })).toBeVisible();
    await expect(models.getByRole('list', { name: 'Installed models' }).getByRole('listitem').first()).toBeVisible();

    const before = egress(parseStraceLog(await fs.readFile(traceFile, 'utf8')));
    expect(before, `socket calls to non-loopback addresses before any download:\n${describeCalls(before)}`).toEqual([]);

    await card.getByRole('button', { name: 'Download Egress probe model' }).click();
    // Nothing answers there: the writer sees why, and nothing was installed.
    await expect(card.getByRole('alert')).toContainText(/\w{3,}/, { timeout: 60_000 });
    const after = egress(parseStraceLog(await fs.readFile(traceFile, 'utf8')));
    expect(after.length, 'a connect to the download address after Download was clicked').toBeGreaterThan(0);
    // ...and only to it: no DNS lookup, no other host.
    expect(after.filter((c) => c.syscall !== 'connect' || c.address !== outside || c.port !== PORT), describeCalls(after)).toEqual([]);
    expect(foreign, 'page requests to anything but the server').toEqual([]);
  });
});
