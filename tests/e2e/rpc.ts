/**
 * A tiny Node-side client for the server's WebSocket, for test setup (e.g.
 * a long autosave delay) and for checking that bad tokens are refused. The
 * app itself talks through renderer/ws-client.ts; this stays deliberately dumb.
 */
import WebSocket from 'ws';
import type { CallChannel, RequestOf, ResponseOf, Result } from '../../common/contract';
import { TOKEN_PARAM, WS_PATH } from '../../common/wire';

export function wsUrl(origin: string, token: string | null): string {
  const base = origin.replace(/^http/, 'ws') + WS_PATH;
  return token === null ? base : `${base}?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
}

/**
 * Opens a socket as a page of `origin` would (the server refuses foreign
 * origins); resolves 'open', or how it was refused (HTTP status of the upgrade, or the error).
 */
export function tryConnect(url: string, origin: string): Promise<{ outcome: 'open'; socket: WebSocket } | { outcome: 'refused'; status: number | null; detail: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { origin });
    socket.once('open', () => resolve({ outcome: 'open', socket }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ outcome: 'refused', status: res.statusCode ?? null, detail: `HTTP ${res.statusCode}` });
      socket.terminate();
    });
    socket.once('error', (err) => resolve({ outcome: 'refused', status: null, detail: err.message }));
    socket.once('close', (code) => resolve({ outcome: 'refused', status: null, detail: `closed with code ${code}` }));
  });
}

/** One call over a fresh connection. */
export async function rpc<C extends CallChannel>(origin: string, token: string, channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>> {
  const c = await tryConnect(wsUrl(origin, token), origin);
  if (c.outcome !== 'open') throw new Error(`rpc ${channel}: connection refused (${c.detail})`);
  const socket = c.socket;
  try {
    return await new Promise((resolve, reject) => {
      socket.on('message', (data) => {
        const m = JSON.parse(String(data)) as { t: string; id?: number; result?: Result<ResponseOf<C>> };
        if (m.t === 'result' && m.id === 1 && m.result !== undefined) resolve(m.result);
      });
      socket.once('close', () => reject(new Error(`rpc ${channel}: connection closed before the answer`)));
      socket.send(JSON.stringify({ t: 'call', id: 1, channel, request }));
    });
  } finally {
    socket.close();
  }
}

/**
 * Opens `count` streams on one fresh connection and leaves them running (e.g. generations
 * that keep the engine busy, so a later request is certainly still queued). close() drops
 * the connection, which cancels whatever is still running.
 */
export async function openStreams(origin: string, token: string, channel: string, request: unknown, count: number): Promise<{ close(): void }> {
  const c = await tryConnect(wsUrl(origin, token), origin);
  if (c.outcome !== 'open') throw new Error(`openStreams ${channel}: connection refused (${c.detail})`);
  for (let id = 1; id <= count; id++) c.socket.send(JSON.stringify({ t: 'stream', id, channel, request }));
  return { close: () => c.socket.close() };
}
