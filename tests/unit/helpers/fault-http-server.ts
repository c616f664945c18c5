/**
 * A local HTTP server on 127.0.0.1 for download tests: serves files under the
 * hub's URL pattern (/<repo>/resolve/main/<file>) with HTTP Range support,
 * and injects one fault per request from a queue (BAD-INPUTS J): a connection
 * dropped after N bytes, a stall, a server that ignores Range, a wrong
 * Content-Range, a 416, a lying Content-Length, wrong bytes, any status code,
 * redirects.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Sends the headers and `afterBytes` of the body, then destroys the socket. */
  | { kind: 'drop'; afterBytes: number }
  /** Sends `afterBytes` of the body, then nothing more (until the client gives up). */
  | { kind: 'stall'; afterBytes: number }
  /** Answers 200 with the whole file even when a Range was asked for. */
  | { kind: 'ignoreRange' }
  /** Answers 206 claiming the body starts at byte 0 whatever was asked. */
  | { kind: 'wrongContentRange' }
  /** Flips every byte of the body (right length, wrong content). */
  | { kind: 'wrongBytes' }
  /** Claims `contentLength` bytes, sends the real body, then closes. */
  | { kind: 'lieLength'; contentLength: number }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'redirect'; location: string; status?: number };

export interface RecordedRequest {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
  fault: Fault['kind'] | null;
}

export interface FaultServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Queues faults for the next requests of `file` (the name after resolve/main/), in order. */
  fail(file: string, ...faults: Fault[]): void;
  /** Serves `bytes` at /<repo>/resolve/main/<file>. */
  setFile(repo: string, file: string, bytes: Uint8Array): void;
  close(): Promise<void>;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header);
  if (!m) return null;
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

export async function startFaultServer(): Promise<FaultServer> {
  const files = new Map<string, Uint8Array>();
  const faults = new Map<string, Fault[]>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathName = decodeURIComponent(url.pathname);
    const fileName = pathName.split('/resolve/main/')[1] ?? '';
    const fault = faults.get(fileName)?.shift() ?? null;
    const ifRange = req.headers['if-range'];
    const record: RecordedRequest = { path: pathName, range: req.headers.range, ifRange: typeof ifRange === 'string' ? ifRange : undefined, status: 0, fault: fault?.kind ?? null };
    requests.push(record);
    res.on('close', () => (record.status = res.statusCode));
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers });
      res.end(`status ${fault.status}`);
      return;
    }
    if (fault?.kind === 'redirect') {
      res.writeHead(fault.status ?? 302, { location: fault.location });
      res.end();
      return;
    }
    const body = files.get(pathName);
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Entry not found');
      return;
    }
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    // If-Range: the range only applies while the file is still the one the client started.
    const stale = req.headers['if-range'] !== undefined && req.headers['if-range'] !== etag;
    let range = fault?.kind === 'ignoreRange' || stale ? null : parseRange(req.headers.range, body.length);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` });
      res.end();
      return;
    }
    let slice = range ? body.subarray(range.start, range.end + 1) : body;
    if (fault?.kind === 'wrongBytes') slice = slice.map((b) => b ^ 0xff);
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', etag };
    headers['content-length'] = fault?.kind === 'lieLength' ? fault.contentLength : slice.length;
    if (range) {
      if (fault?.kind === 'wrongContentRange') range = { start: 0, end: slice.length - 1 };
      headers['content-range'] = `bytes ${range.start}-${range.end}/${body.length}`;
    }
    res.writeHead(range ? 206 : 200, headers);
    if (fault?.kind === 'drop' || fault?.kind === 'stall') {
      const n = Math.min(fault.afterBytes, slice.length);
      res.write(slice.subarray(0, n), () => {
        if (fault.kind === 'drop') setTimeout(() => res.socket?.destroy(), 5);
      });
      return;
    }
    if (fault?.kind === 'lieLength') {
      res.write(slice, () => res.socket?.destroy());
      return;
    }
    res.end(slice);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    fail(file, ...list) {
      faults.set(file, [...(faults.get(file) ?? []), ...list]);
    },
    setFile(repo, file, bytes) {
      files.set(`/${repo}/resolve/main/${file}`, bytes);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
