/**
 * One browser-mode WebSocket connection ⇄ the router, framed by common/wire.ts.
 * Each connection is its own router scope: it can cancel only its own streams,
 * and all of them are cancelled when it closes.
 */
import type { RawData, WebSocket } from 'ws';
import type { ApiError } from '../../common/contract';
import type { ClientMessage, ServerMessage } from '../../common/wire';
import type { Router } from '../router';

/** In-flight requests one connection may hold; more is a flood (BAD-INPUTS F.6), refused per request. */
export const MAX_IN_FLIGHT_PER_CONNECTION = 512;

let connections = 0;

function protocolError(message: string): ServerMessage {
  return { t: 'protocol-error', error: { code: 'invalid_payload', message } };
}

/** Reads a frame into a ClientMessage, or says what is wrong with it (and which id, when it has one). */
export function parseFrame(data: RawData, isBinary: boolean): ClientMessage | { error: string; id?: number } {
  if (isBinary) return { error: 'binary frames are not part of the protocol; send JSON text' };
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    return { error: `frame is not JSON (${text.length} chars): ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { error: 'frame is not a JSON object' };
  const m = msg as Record<string, unknown>;
  if (typeof m.id !== 'number' || !Number.isSafeInteger(m.id) || m.id < 0) return { error: 'frame has no valid id (a non-negative integer)' };
  const id = m.id;
  switch (m.t) {
    case 'call':
    case 'stream':
      if (typeof m.channel !== 'string') return { error: `frame ${id}: channel must be a string`, id };
      return { t: m.t, id, channel: m.channel, request: m.request };
    case 'cancel':
      return { t: 'cancel', id };
    default:
      return { error: `frame ${id}: unknown type ${JSON.stringify(m.t)}`, id };
  }
}

export function attachConnection(ws: WebSocket, router: Router, log: (message: string) => void = () => undefined): void {
  const scope = `ws-${++connections}`;
  let inFlight = 0;
  let closed = false;

  const send = (message: ServerMessage) => {
    if (closed || ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify(message), (err) => {
      if (err) log(`ws ${scope}: send failed: ${err.message}`);
    });
  };
  const refuse = (id: number, kind: 'call' | 'stream', error: ApiError) =>
    send(kind === 'call' ? { t: 'result', id, result: { ok: false, error } } : { t: 'end', id, result: { ok: false, error } });

  ws.on('message', (data, isBinary) => {
    const msg = parseFrame(data, isBinary);
    if ('error' in msg) {
      if (msg.id !== undefined) send({ t: 'result', id: msg.id, result: { ok: false, error: { code: 'invalid_payload', message: msg.error } } });
      else send(protocolError(msg.error));
      return;
    }
    if (msg.t === 'cancel') {
      void router.call('engine.cancel', { streamId: String(msg.id) }, scope);
      return;
    }
    if (inFlight >= MAX_IN_FLIGHT_PER_CONNECTION) {
      refuse(msg.id, msg.t, { code: 'conflict', message: `too many requests in flight on this connection (${MAX_IN_FLIGHT_PER_CONNECTION}); retry later` });
      return;
    }
    inFlight++;
    if (msg.t === 'call') {
      void router.call(msg.channel, msg.request, scope).then((result) => {
        inFlight--;
        send({ t: 'result', id: msg.id, result });
      });
    } else {
      const onEvent = (event: unknown) => send({ t: 'event', id: msg.id, event: event as Extract<ServerMessage, { t: 'event' }>['event'] });
      void router.stream(msg.channel, msg.request, onEvent, undefined, String(msg.id), scope).then((result) => {
        inFlight--;
        send({ t: 'end', id: msg.id, result });
      });
    }
  });

  ws.on('close', () => {
    closed = true;
    const n = router.cancelScope(scope);
    if (n > 0) log(`ws ${scope}: closed; cancelled ${n} stream(s)`);
  });
  ws.on('error', (err) => log(`ws ${scope}: ${err.message}`));
}
