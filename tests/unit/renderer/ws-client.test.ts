import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { GenerateEvent } from '../../../common/contract';
import type { ClientMessage, ServerMessage } from '../../../common/wire';
import {
  backoffDelayMs,
  parseServerMessage,
  WsClient,
  wsUrlFromLocation,
  type ConnectionStatus,
  type SocketLike,
} from '../../../renderer/ws-client';

/** A scripted stand-in for the browser WebSocket: the test opens, answers and drops it. */
class FakeSocket implements SocketLike {
  readyState = 0;
  sent: ClientMessage[] = [];
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onerror: SocketLike['onerror'] = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  reply(m: ServerMessage | string): void {
    this.onmessage?.({ data: typeof m === 'string' ? m : JSON.stringify(m) });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const client = new WsClient({
    url: 'ws://127.0.0.1:1/ws?token=t',
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
  });
  const statuses: ConnectionStatus[] = [];
  client.onStatus((s) => statuses.push(s));
  return { client, sockets, statuses, last: () => sockets[sockets.length - 1] };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('pure helpers', () => {
  test.for([
    [1, 250],
    [2, 500],
    [3, 1000],
    [5, 4000],
    [6, 5000],
    [100, 5000],
  ] as const)('backoff after %i failures is %i ms', ([n, ms]) => {
    expect(backoffDelayMs(n)).toBe(ms);
  });

  test.for([
    [{ protocol: 'http:', host: '127.0.0.1:8080', search: '?token=abc' }, 'ws://127.0.0.1:8080/ws?token=abc'],
    [{ protocol: 'https:', host: 'box:443', search: '?x=1&token=a%2Bb' }, 'wss://box:443/ws?token=a%2Bb'],
  ] as const)('url from %j', ([loc, url]) => {
    expect(wsUrlFromLocation(loc)).toEqual({ url });
  });

  test.for(['', '?token=', '?other=1'])('no token in %j: the bare endpoint (the cookie may carry it) and a hint', (search) => {
    const r = wsUrlFromLocation({ protocol: 'http:', host: 'h', search });
    expect(r.url).toBe('ws://h/ws');
    expect(r.hint).toMatch(/no access token/);
  });

  test.for([
    [42, 'not text'],
    ['{', 'not JSON'],
    ['null', 'not an object'],
    ['{"t":"result","id":1}', 'without id or result'],
    ['{"t":"event","id":1}', 'without id or event'],
    ['{"t":"nope","id":1}', 'unknown frame type'],
  ] as const)('rejects frame %j', ([data, why]) => {
    const r = parseServerMessage(data);
    expect('error' in r && r.error).toMatch(why);
  });
});

describe('WsClient', () => {
  test('queues calls until the socket opens, then routes answers by id', async () => {
    const { client, last } = setup();
    const a = client.call('settings.get', {});
    const b = client.call('documents.list', {});
    expect(last().sent).toEqual([]);
    last().open();
    expect(last().sent.map((m) => m.t === 'call' && m.channel)).toEqual(['settings.get', 'documents.list']);
    const [ida, idb] = last().sent.map((m) => m.id);
    expect(ida).not.toBe(idb);
    last().reply({ t: 'result', id: idb, result: { ok: true, value: [] } });
    last().reply({ t: 'result', id: ida, result: { ok: false, error: { code: 'io_error', message: 'disk' } } });
    await expect(b).resolves.toEqual({ ok: true, value: [] });
    await expect(a).resolves.toEqual({ ok: false, error: { code: 'io_error', message: 'disk' } });
  });

  test('streams deliver events in order and settle with the end frame', async () => {
    const { client, last } = setup();
    last().open();
    const events: GenerateEvent[] = [];
    const h = client.stream('engine.generate', { task: 'continue', context: 'Once' }, (e) => events.push(e));
    const id = last().sent[0].id;
    const done: GenerateEvent = { type: 'done', texts: [' upon'], reason: 'length', truncatedPromptTokens: 0, promptTokens: 1, cachedTokens: 0, elapsedMs: 5 };
    last().reply({ t: 'event', id, event: { type: 'token', alternative: 0, text: ' up', tokenId: 1 } });
    last().reply({ t: 'event', id, event: { type: 'token', alternative: 0, text: 'on', tokenId: 2 } });
    last().reply({ t: 'event', id, event: done });
    last().reply({ t: 'end', id, result: { ok: true, value: done } });
    await expect(h.done).resolves.toEqual({ ok: true, value: done });
    expect(events.map((e) => e.type)).toEqual(['token', 'token', 'done']);
  });

  test('cancel sends a cancel frame for the stream id', () => {
    const { client, last } = setup();
    last().open();
    const h = client.stream('engine.generate', { task: 'continue', context: '' }, () => undefined);
    h.cancel();
    expect(last().sent[1]).toEqual({ t: 'cancel', id: last().sent[0].id });
  });

  test('a drop fails every pending call and stream with a clear error, then reconnects with backoff', async () => {
    const { client, sockets, statuses, last } = setup();
    last().open();
    const c = client.call('documents.save', { content: 'x' });
    const s = client.stream('engine.generate', { task: 'continue', context: '' }, () => undefined);
    last().drop();
    await expect(c).resolves.toMatchObject({ ok: false, error: { code: 'io_error', message: expect.stringMatching(/documents\.save: the connection to the Inkwell server was lost/) } });
    await expect(s.done).resolves.toMatchObject({ ok: false, error: { code: 'io_error' } });
    expect(statuses.at(-1)).toMatchObject({ state: 'closed', everConnected: true, failures: 1 });
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(249);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    last().drop();
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    last().open();
    expect(statuses.at(-1)).toMatchObject({ state: 'open', failures: 0 });
  });

  test('a call during the backoff wait reconnects at once instead of waiting', async () => {
    const { client, sockets, last } = setup();
    last().open();
    last().drop();
    const c = client.call('settings.get', {});
    expect(sockets).toHaveLength(2);
    last().open();
    last().reply({ t: 'result', id: last().sent[0].id, result: { ok: true, value: 1 } });
    await expect(c).resolves.toEqual({ ok: true, value: 1 });
  });

  test('a refused first connection carries the hint (missing token) into the status', () => {
    const client = new WsClient({ url: 'ws://h/ws', hint: 'no token here', createSocket: (url) => new FakeSocket(url) });
    const statuses: ConnectionStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    (client as unknown as { socket: FakeSocket }).socket.drop();
    expect(statuses.at(-1)?.detail).toBe('connection refused or dropped; no token here');
    client.dispose();
  });

  test('a first connection that fails says it cannot reach the server', async () => {
    const { client, last } = setup();
    const c = client.call('settings.get', {});
    last().drop(1006, '');
    await expect(c).resolves.toMatchObject({ ok: false, error: { message: expect.stringMatching(/cannot reach the Inkwell server/) } });
  });

  test('bad and unknown frames are dropped with a warning and break nothing', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { client, last } = setup();
    last().open();
    const c = client.call('settings.get', {});
    last().reply('not json');
    last().reply({ t: 'result', id: 9999, result: { ok: true, value: 'stray' } });
    last().reply({ t: 'protocol-error', error: { code: 'invalid_payload', message: 'x' } });
    last().reply({ t: 'result', id: last().sent[0].id, result: { ok: true, value: 2 } });
    await expect(c).resolves.toEqual({ ok: true, value: 2 });
    expect(warn).toHaveBeenCalledTimes(2);
  });

  test('after dispose calls fail at once and nothing reconnects', async () => {
    const { client, sockets, last } = setup();
    last().open();
    client.dispose();
    await expect(client.call('settings.get', {})).resolves.toMatchObject({ ok: false, error: { code: 'internal' } });
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });
});
