import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_DOCUMENT_SETTINGS, DEFAULT_SETTINGS, type GenerateEvent, type Result } from '../../common/contract';
import type { ServerMessage } from '../../common/wire';
import { createRouter, type RouterServices } from '../../main/router';
import { isLoopbackPeer, serve, type RunningServer } from '../../main/web/server';

const TOKEN = 'test-token-0123456789';
let root: string;
let server: RunningServer;
let aborted = 0;

const doneEvent = (texts: string[], reason: string): GenerateEvent => ({
  type: 'done', texts, reason, truncatedPromptTokens: 0, promptTokens: 1, cachedTokens: 0, elapsedMs: 1,
});

const services: RouterServices = {
  appInfo: () => ({ version: '0', platform: 'linux', mode: 'browser', backend: null, model: null }),
  settings: { get: () => DEFAULT_SETTINGS, set: async () => DEFAULT_SETTINGS },
  documents: {
    list: async () => [],
    open: async () => ({ id: 'a', title: 'A', updatedAt: 1, words: 1, content: '# A', recovered: false }),
    save: async () => ({ id: 'a', title: 'A', updatedAt: 1, words: 1 }),
    journal: async () => ({ ok: true }),
    delete: async () => ({ ok: true, stamp: 's' }),
    restore: async (id) => ({ id, title: 'A', updatedAt: 1, words: 1 }),
    rename: async (id, title) => ({ id, title, updatedAt: 1, words: 1, titled: true }),
    export: async () => ({ filename: 'A.md', mime: 'text/markdown', base64: '' }),
    getSettings: async () => DEFAULT_DOCUMENT_SETTINGS,
    setSettings: async (_id, settings) => settings,
  },
  engine: {
    countTokens: async (texts) => ({ ok: true, value: { counts: texts.map(() => 0), model: null } }),
    // 'forever' streams until cancelled; anything else streams its characters.
    generate: (request, onEvent, signal) =>
      new Promise<Result<GenerateEvent>>((resolve) => {
        if (request.context === 'forever') {
          const timer = setInterval(() => onEvent({ type: 'token', alternative: 0, text: '.', tokenId: 13 }), 5);
          signal.addEventListener('abort', () => {
            clearInterval(timer);
            aborted++;
            const ev = doneEvent([''], 'aborted');
            onEvent(ev);
            resolve({ ok: true, value: ev });
          });
          return;
        }
        for (const ch of request.context) onEvent({ type: 'token', alternative: 0, text: ch, tokenId: 1 });
        const ev = doneEvent([request.context], 'length');
        onEvent(ev);
        resolve({ ok: true, value: ev });
      }),
  },
};

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-web-'));
  const staticDir = path.join(root, 'renderer');
  await fsp.mkdir(path.join(staticDir, 'assets'), { recursive: true });
  await fsp.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Inkwell</title>');
  await fsp.writeFile(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  await fsp.writeFile(path.join(root, 'secret.txt'), 'do not serve');
  await fsp.symlink(path.join(root, 'secret.txt'), path.join(staticDir, 'assets', 'link.js'));
  server = await serve(createRouter(services), { host: '127.0.0.1', port: 0, token: TOKEN, staticDir });
});
afterAll(async () => {
  await server.close();
  await fsp.rm(root, { recursive: true, force: true });
});

const base = () => `http://127.0.0.1:${server.port}`;

describe('HTTP', () => {
  test('the page with the token is served with security headers and a strict cookie', async () => {
    expect(server.url).toBe(`${base()}/?token=${TOKEN}`);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Inkwell</title>');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const part of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", 'connect-src \'self\' ws://127.0.0.1:*']) {
      expect(csp).toContain(part);
    }
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('set-cookie')).toMatch(/^inkwell_token=.*HttpOnly; SameSite=Strict/);
  });

  test('assets load with the cookie instead of the query token', async () => {
    const res = await fetch(`${base()}/assets/app.js`, { headers: { cookie: `inkwell_token=${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
  });

  test.for([
    ['/', {}, 401],
    ['/assets/app.js', {}, 401],
    ['/?token=wrong', {}, 403],
    ['/assets/app.js', { cookie: 'inkwell_token=wrong' }, 403],
  ] as const)('%s with %o is %d and serves nothing', async ([url, headers, status]) => {
    const res = await fetch(`${base()}${url}`, { headers });
    expect(res.status).toBe(status);
    expect(await res.text()).not.toContain('Inkwell</title>');
  });

  // fetch normalises '..' away, so traversal attempts go over a raw socket.
  const rawGet = (target: string, host = `127.0.0.1:${server.port}`) =>
    new Promise<string>((resolve, reject) => {
      const sock = net.connect(server.port, '127.0.0.1', () => {
        sock.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nCookie: inkwell_token=${TOKEN}\r\nConnection: close\r\n\r\n`);
      });
      let data = '';
      sock.on('data', (d) => (data += d.toString()));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
    });

  test.for(['/../secret.txt', '/assets/..%2F..%2Fsecret.txt', '/%2e%2e/secret.txt', '/assets/link.js', '/a%00b.js', '/%E0%A4%A.js', '/..\\secret.txt'])(
    'traversal %s is refused', async (target) => {
      const res = await rawGet(target);
      expect(res).toMatch(/^HTTP\/1\.1 (400|404)/);
      expect(res).not.toContain('do not serve');
    },
  );

  test('a foreign Host header is refused (DNS rebinding)', async () => {
    expect(await rawGet('/', 'evil.example:80')).toMatch(/^HTTP\/1\.1 421/);
  });

  test('unknown routes fall back to index.html; other methods are refused', async () => {
    expect(await (await fetch(`${base()}/documents/x?token=${TOKEN}`)).text()).toContain('Inkwell');
    expect((await fetch(server.url, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  test('a non-loopback host needs allowRemote', async () => {
    await expect(serve(createRouter(services), { host: '0.0.0.0', port: 0, token: TOKEN, staticDir: root })).rejects.toThrow(/allowRemote/);
  });

  test.each([
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false],
    ['::ffff:192.168.1.9', false],
    ['fe80::1', false],
    [undefined, false],
  ])('peer %s is loopback: %s', (address, expected) => {
    expect(isLoopbackPeer(address)).toBe(expected);
  });

  // A connection to 127.0.0.1 whose source is this machine's network address: the peer is not loopback.
  const outside = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  if (outside === undefined) console.warn('[web-server] SKIPPED the non-loopback client test: this machine has no non-loopback IPv4 address');
  test.skipIf(outside === undefined)('a client from a non-loopback address is cut before any reply, even with the token', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port, localAddress: outside }, () => {
        socket.write(`GET /?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(data) : reject(err)));
    });
    expect(reply).toBe('');
    // The same request from loopback is answered: the cut is about the address, not the request.
    expect((await fetch(server.url)).status).toBe(200);
  });
});

function connect(opts: { token?: string | null; origin?: string | null } = {}): Promise<WebSocket> {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const origin = opts.origin === undefined ? base() : opts.origin;
  const url = `ws://127.0.0.1:${server.port}/ws${token === null ? '' : `?token=${token}`}`;
  const ws = new WebSocket(url, origin === null ? {} : { origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function collect(ws: WebSocket) {
  const messages: ServerMessage[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as ServerMessage));
  const waitFor = async (pred: (m: ServerMessage) => boolean) => {
    for (let i = 0; i < 400; i++) {
      const m = messages.find(pred);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no matching message; got ${JSON.stringify(messages).slice(0, 500)}`);
  };
  return { messages, waitFor };
}

describe('WebSocket', () => {
  test.for([
    [{ token: null }, 401],
    [{ token: 'wrong' }, 403],
    [{ origin: 'http://evil.example' }, 403],
    [{ origin: null }, 403],
    [{ origin: `http://127.0.0.1:${1}` }, 403],
  ] as const)('%o is refused with %d', async ([opts, status]) => {
    await expect(connect(opts)).rejects.toThrow(`refused ${status}`);
  });

  test('a call round-trips', async () => {
    const ws = await connect();
    const { waitFor } = collect(ws);
    ws.send(JSON.stringify({ t: 'call', id: 1, channel: 'settings.get', request: {} }));
    expect(await waitFor((m) => m.t === 'result' && m.id === 1)).toEqual({ t: 'result', id: 1, result: { ok: true, value: DEFAULT_SETTINGS } });
    ws.send(JSON.stringify({ t: 'call', id: 2, channel: 'documents.open', request: { id: '../x' } }));
    expect(await waitFor((m) => m.t === 'result' && m.id === 2)).toMatchObject({ result: { ok: false, error: { code: 'invalid_payload' } } });
    ws.close();
  });

  test('a stream sends events then end', async () => {
    const ws = await connect();
    const { messages, waitFor } = collect(ws);
    ws.send(JSON.stringify({ t: 'stream', id: 7, channel: 'engine.generate', request: { task: 'raw', context: 'hey' } }));
    const end = await waitFor((m) => m.t === 'end' && m.id === 7);
    expect(end).toMatchObject({ result: { ok: true, value: { type: 'done', texts: ['hey'] } } });
    const events = messages.filter((m) => m.t === 'event' && m.id === 7);
    expect(events.map((m) => (m.t === 'event' && m.event.type === 'token' ? m.event.text : 'done'))).toEqual(['h', 'e', 'y', 'done']);
    expect(messages.indexOf(end)).toBe(messages.length - 1);
    ws.close();
  });

  test('cancel stops a stream; closing the socket stops the rest', async () => {
    const ws = await connect();
    const { waitFor } = collect(ws);
    ws.send(JSON.stringify({ t: 'stream', id: 1, channel: 'engine.generate', request: { task: 'raw', context: 'forever' } }));
    ws.send(JSON.stringify({ t: 'stream', id: 2, channel: 'engine.generate', request: { task: 'raw', context: 'forever' } }));
    await waitFor((m) => m.t === 'event' && m.id === 2);
    ws.send(JSON.stringify({ t: 'cancel', id: 1 }));
    expect(await waitFor((m) => m.t === 'end' && m.id === 1)).toMatchObject({ result: { ok: true, value: { reason: 'aborted' } } });
    const before = aborted;
    ws.close();
    for (let i = 0; i < 200 && aborted === before; i++) await new Promise((r) => setTimeout(r, 5));
    expect(aborted).toBe(before + 1);
  });

  test.for([
    ['not json', 'protocol-error'],
    ['[1,2]', 'protocol-error'],
    ['{"t":"call","channel":"app.info"}', 'protocol-error'],
    ['{"t":"call","id":-1,"channel":"app.info"}', 'protocol-error'],
    ['{"t":"bogus","id":3}', 'result'],
    ['{"t":"call","id":4,"channel":5}', 'result'],
    ['{"t":"call","id":5,"channel":"nope","request":{}}', 'result'],
  ] as const)('malformed frame %s gets %s and the connection survives', async ([frame, kind]) => {
    const ws = await connect();
    const { waitFor } = collect(ws);
    ws.send(frame);
    const reply = await waitFor((m) => m.t === kind);
    if (reply.t === 'result') expect(reply.result.ok).toBe(false);
    ws.send(JSON.stringify({ t: 'call', id: 99, channel: 'app.info', request: {} }));
    expect(await waitFor((m) => m.t === 'result' && m.id === 99)).toMatchObject({ result: { ok: true } });
    ws.close();
  });

  test('a binary frame is a protocol error', async () => {
    const ws = await connect();
    const { waitFor } = collect(ws);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await waitFor((m) => m.t === 'protocol-error')).toMatchObject({ error: { message: expect.stringContaining('binary') } });
    ws.close();
  });
});
