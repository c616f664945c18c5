/**
 * The browser-mode transport: InkwellApi over one WebSocket (frames in
 * common/wire.ts). Every request carries a client-chosen id; a map of pending
 * requests routes answers back. When the socket drops, every pending call and
 * stream fails at once with a clear error (the server may or may not have run
 * it), and the client reconnects with exponential backoff. Requests made while
 * a (re)connection is in progress wait for it; they fail if that attempt fails.
 */
import type { ApiError, EventOf, InkwellApi, Result, StreamChannel, StreamHandle } from '../common/contract';
import { TOKEN_PARAM, WS_PATH, type ClientMessage, type ServerMessage } from '../common/wire';

/** The subset of the DOM WebSocket this client uses, so tests can hand in a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export type ConnectionState = 'connecting' | 'open' | 'closed';
export interface ConnectionStatus {
  state: ConnectionState;
  /** True once a connection has been open at least once: a drop, not a slow start. */
  everConnected: boolean;
  /** Failed attempts since the last open connection. */
  failures: number;
  /** Why the client is not connected, for the banner; '' when open. */
  detail: string;
}

export const BACKOFF_INITIAL_MS = 250;
export const BACKOFF_MAX_MS = 5_000;
const OPEN = 1;

/** Delay before reconnect attempt `failures` (1-based): doubling from the initial delay, capped. */
export function backoffDelayMs(failures: number, initialMs = BACKOFF_INITIAL_MS, maxMs = BACKOFF_MAX_MS): number {
  const exp = Math.min(30, Math.max(0, failures - 1));
  return Math.min(maxMs, initialMs * 2 ** exp);
}

/**
 * ws(s)://host/ws?token=… from the page location. Without a token in the page
 * address the socket is still tried without one (the server's HttpOnly cookie
 * may carry it), and `hint` says what to do if the server refuses.
 */
export function wsUrlFromLocation(loc: { protocol: string; host: string; search: string }): { url: string; hint?: string } {
  const token = new URLSearchParams(loc.search).get(TOKEN_PARAM);
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const base = `${scheme}//${loc.host}${WS_PATH}`;
  if (token === null || token === '') {
    return { url: base, hint: `this page address has no access token: open the link (ending in ?${TOKEN_PARAM}=…) that the Inkwell server printed` };
  }
  return { url: `${base}?${TOKEN_PARAM}=${encodeURIComponent(token)}` };
}

/** Reads one server frame; null (and the reason) when it is not one this client understands. */
export function parseServerMessage(data: unknown): { message: ServerMessage } | { error: string } {
  if (typeof data !== 'string') return { error: 'frame is not text' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (err) {
    return { error: `frame is not JSON (${(err as Error).message})` };
  }
  if (typeof value !== 'object' || value === null) return { error: 'frame is not an object' };
  const m = value as Record<string, unknown>;
  switch (m.t) {
    case 'result':
    case 'end':
      if (typeof m.id !== 'number' || !isResult(m.result)) return { error: `'${m.t}' frame without id or result` };
      return { message: value as ServerMessage };
    case 'event':
      if (typeof m.id !== 'number' || typeof m.event !== 'object' || m.event === null) return { error: "'event' frame without id or event" };
      return { message: value as ServerMessage };
    case 'protocol-error':
      return { message: value as ServerMessage };
    default:
      return { error: `unknown frame type ${JSON.stringify(m.t)}` };
  }
}

function isResult(v: unknown): v is Result<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

function fail(code: ApiError['code'], message: string): { ok: false; error: ApiError } {
  return { ok: false, error: { code, message } };
}

type Pending =
  | { kind: 'call'; channel: string; resolve: (r: Result<unknown>) => void }
  | { kind: 'stream'; channel: string; onEvent: (e: unknown) => void; resolve: (r: Result<unknown>) => void };

export interface WsClientOptions {
  url: string;
  /** Added to the failure detail while no connection has ever opened (e.g. a missing token). */
  hint?: string;
  createSocket?: SocketFactory;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WsClient implements InkwellApi {
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Frames of requests made while connecting; sent on open. */
  private queue: string[] = [];
  private readonly listeners = new Set<(s: ConnectionStatus) => void>();
  private status: ConnectionStatus = { state: 'connecting', everConnected: false, failures: 0, detail: '' };
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  private readonly createSocket: SocketFactory;

  constructor(private readonly options: WsClientOptions) {
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.connect();
  }

  call: InkwellApi['call'] = (channel, request) => {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, { kind: 'call', channel, resolve: resolve as (r: Result<unknown>) => void });
      this.send({ t: 'call', id, channel, request });
    });
  };

  stream<C extends StreamChannel>(channel: C, request: unknown, onEvent: (event: EventOf<C>) => void): StreamHandle {
    const id = this.nextId++;
    let settled = false;
    const done = new Promise<Result<EventOf<StreamChannel>>>((resolve) => {
      this.pending.set(id, {
        kind: 'stream',
        channel,
        onEvent: (e) => onEvent(e as EventOf<C>),
        resolve: (r) => {
          settled = true;
          resolve(r as Result<EventOf<StreamChannel>>);
        },
      });
    });
    this.send({ t: 'stream', id, channel, request });
    return {
      done,
      cancel: () => {
        if (settled) return;
        if (this.socket !== null && this.socket.readyState === OPEN) {
          // The server answers with an 'end' frame (reason 'aborted'); that settles `done`.
          this.socket.send(JSON.stringify({ t: 'cancel', id } satisfies ClientMessage));
        } else {
          this.settle(id, fail('aborted', `${channel} was cancelled before the connection opened`));
        }
      },
    };
  }

  /** Subscribes to connection changes (for the banner); the listener gets the current status at once. */
  onStatus(fn: (s: ConnectionStatus) => void): () => void {
    this.listeners.add(fn);
    fn(this.status);
    return () => this.listeners.delete(fn);
  }

  getStatus(): ConnectionStatus {
    return this.status;
  }

  /** Closes for good: pending requests fail, no reconnect. */
  dispose(): void {
    this.disposed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const s = this.socket;
    this.socket = null;
    s?.close(1000, 'client closed');
    this.failAll('the client was closed');
    this.setStatus({ ...this.status, state: 'closed', detail: 'closed' });
  }

  private send(message: ClientMessage): void {
    const frame = JSON.stringify(message);
    if (this.disposed) {
      this.settle(message.id, fail('internal', `${describe(message)}: the connection was closed`));
    } else if (this.socket !== null && this.socket.readyState === OPEN) {
      this.socket.send(frame);
    } else {
      this.queue.push(frame);
      if (this.socket === null && this.reconnectTimer !== null) {
        // Waiting out a backoff delay: try now, the writer is waiting on this request.
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = null;
        this.connect();
      }
    }
  }

  private connect(): void {
    if (this.disposed) return;
    this.setStatus({ ...this.status, state: 'connecting' });
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch (err) {
      this.onDisconnected(`cannot open ${redact(this.options.url)}: ${(err as Error).message}`);
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.setStatus({ state: 'open', everConnected: true, failures: 0, detail: '' });
      const queued = this.queue;
      this.queue = [];
      for (const frame of queued) socket.send(frame);
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    socket.onerror = () => {
      // The close event follows and carries what little the browser tells us.
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      let why = ev.reason !== '' ? ev.reason : ev.code === 1006 ? 'connection refused or dropped' : `code ${ev.code}`;
      if (!this.status.everConnected && this.options.hint !== undefined) why = `${why}; ${this.options.hint}`;
      this.onDisconnected(why);
    };
  }

  private onDisconnected(why: string): void {
    const failures = this.status.failures + 1;
    this.failAll(this.status.everConnected ? `the connection to the Inkwell server was lost (${why})` : `cannot reach the Inkwell server (${why})`);
    this.setStatus({ state: 'closed', everConnected: this.status.everConnected, failures, detail: why });
    if (this.disposed) return;
    const delay = backoffDelayMs(failures, this.options.initialBackoffMs, this.options.maxBackoffMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private failAll(why: string): void {
    this.queue = [];
    const entries = [...this.pending.entries()];
    this.pending.clear();
    for (const [, p] of entries) p.resolve(fail('io_error', `${p.channel}: ${why}`));
  }

  private settle(id: number, result: Result<unknown>): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    p.resolve(result);
  }

  private receive(data: unknown): void {
    const parsed = parseServerMessage(data);
    if ('error' in parsed) {
      console.warn(`ws-client: dropped a server frame: ${parsed.error}`);
      return;
    }
    const m = parsed.message;
    switch (m.t) {
      case 'result':
      case 'end':
        this.settle(m.id, m.result);
        break;
      case 'event': {
        const p = this.pending.get(m.id);
        if (p !== undefined && p.kind === 'stream') p.onEvent(m.event);
        break;
      }
      case 'protocol-error':
        console.warn(`ws-client: server reported a protocol error: ${m.error.code}: ${m.error.message}`);
        break;
      default:
        console.warn('ws-client: unhandled frame', m satisfies never);
    }
  }

  private setStatus(s: ConnectionStatus): void {
    this.status = s;
    for (const fn of this.listeners) fn(s);
  }
}

function describe(m: ClientMessage): string {
  return m.t === 'cancel' ? `cancel #${m.id}` : m.channel;
}

/** The token is a secret: never print it in messages. */
function redact(url: string): string {
  return url.replace(/([?&]token=)[^&]*/, '$1…');
}
