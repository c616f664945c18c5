/**
 * Browser mode's transport: a node:http server for the built renderer plus a
 * WebSocket on WS_PATH that speaks common/wire.ts to the router. It listens on
 * 127.0.0.1 unless allowRemote; every HTTP and WebSocket request must carry the
 * per-launch token; WebSocket upgrades must also come from the server's own
 * origin, so a page on another site cannot drive the app even if it guessed
 * the port (and it cannot learn the token).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, TOKEN_PARAM, WS_PATH } from '../../common/wire';
import type { Router } from '../router';
import { readStatic } from './static-files';
import { checkToken, tokenCookie } from './token-auth';
import { attachConnection } from './ws-bridge';

export interface ServeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** Required to listen on anything but a loopback address. */
  allowRemote?: boolean;
  log?: (message: string) => void;
}

export interface RunningServer {
  /** The page URL including the token. */
  url: string;
  /** http://host:port, the origin WebSocket upgrades must come from. */
  origin: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A peer address as Node reports it (IPv4-mapped IPv6 included) that is this machine's loopback. */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4 === '::1' || /^127\.\d+\.\d+\.\d+$/.test(v4);
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The security headers of every response; the CSP is what the renderer needs and no more. */
export function securityHeaders(host: string, port: number): Record<string, string> {
  const ws = `ws://${formatHost(host)}:${port}`;
  const connect = host === '127.0.0.1' ? `'self' ws://127.0.0.1:*` : `'self' ${ws}`;
  return {
    'Content-Security-Policy':
      `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src ${connect}; ` +
      `img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

export async function serve(router: Router, options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? (() => undefined);
  if (!options.allowRemote && !isLoopback(options.host)) {
    throw new Error(`refusing to listen on ${options.host}: only loopback addresses are allowed without allowRemote`);
  }
  let port = options.port;
  /** Host headers we answer to: a defence against DNS rebinding on top of the token. */
  const allowedHosts = () =>
    options.allowRemote ? null : new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${formatHost(options.host)}:${port}`]);
  const allowedOrigins = () => {
    const hosts = allowedHosts();
    return hosts ? new Set([...hosts].map((h) => `http://${h}`)) : null;
  };

  const server = http.createServer((req, res) => {
    const headers = securityHeaders(options.host, port);
    const reply = (status: number, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const hosts = allowedHosts();
    if (hosts && !hosts.has(req.headers.host ?? '')) return reply(421, 'unexpected Host header');
    const auth = checkToken(req, options.token);
    if (!auth.ok) return reply(auth.status, auth.reason);
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed', { Allow: 'GET, HEAD' });
    const pathname = (req.url ?? '/').split('?')[0];
    void readStatic(options.staticDir, pathname).then(
      (file) => {
        if (file.status !== 200) return reply(file.status, file.message);
        const extra: Record<string, string> = { 'Content-Type': file.contentType, 'Content-Length': String(file.body.length) };
        // The query token is swapped for a cookie so asset requests need not repeat it.
        if (auth.via === 'query') extra['Set-Cookie'] = tokenCookie(options.token);
        res.writeHead(200, { ...headers, ...extra });
        res.end(req.method === 'HEAD' ? undefined : file.body);
      },
      (err: unknown) => reply(500, `internal error: ${err instanceof Error ? err.message : String(err)}`),
    );
  });

  // Without --allow-remote only this machine may talk to us, whatever address reached the socket:
  // a peer that is not loopback is cut before it can send a byte of HTTP.
  if (!options.allowRemote) {
    server.on('connection', (socket) => {
      if (isLoopbackPeer(socket.remoteAddress)) return;
      log(`connection from ${socket.remoteAddress ?? 'an unknown address'} refused: not loopback`);
      socket.destroy();
    });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, reason: string) => {
      log(`ws upgrade refused (${status}): ${reason}`);
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}`);
    };
    if ((req.url ?? '').split('?')[0] !== WS_PATH) return refuse(404, 'no such endpoint');
    const hosts = allowedHosts();
    if (hosts && !hosts.has(req.headers.host ?? '')) return refuse(421, 'unexpected Host header');
    const auth = checkToken(req, options.token);
    if (!auth.ok) return refuse(auth.status, auth.reason);
    const origin = req.headers.origin;
    const origins = allowedOrigins();
    const ok = origins ? origins.has(origin ?? '') : origin === `http://${req.headers.host}`;
    if (!ok) return refuse(403, `origin ${JSON.stringify(origin ?? null)} is not this server's`);
    wss.handleUpgrade(req, socket, head, (ws) => attachConnection(ws, router, log));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${formatHost(options.host)}:${port}`;

  return {
    url: `${origin}/?${TOKEN_PARAM}=${encodeURIComponent(options.token)}`,
    origin,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
