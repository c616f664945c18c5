/**
 * Serves the built renderer (dist/renderer) read-only. Paths are decoded once,
 * NUL bytes and '..' escapes are refused, and the resolved real path must stay
 * inside the static root (a symlink inside it cannot point out of it).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export type StaticResult =
  | { status: 200; body: Buffer; contentType: string }
  | { status: 400 | 404; message: string };

/** Resolves a URL path to a file under `root`, or explains why not. SPA routes (no extension) get index.html. */
export async function readStatic(root: string, urlPath: string): Promise<StaticResult> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { status: 400, message: 'malformed path encoding' };
  }
  if (decoded.includes('\0')) return { status: 400, message: 'NUL byte in path' };
  if (decoded.split(/[\\/]/).includes('..')) return { status: 400, message: 'path escapes the app folder' };
  let rel = path.posix.normalize(decoded.replace(/\\/g, '/')).replace(/^\/+/, '');
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  if (path.posix.extname(rel) === '') rel = 'index.html';

  let realRoot: string;
  try {
    realRoot = await fsp.realpath(root);
  } catch {
    return { status: 404, message: `the renderer build is missing (${root}); run npm run build` };
  }
  const candidate = path.join(realRoot, rel);
  try {
    const real = await fsp.realpath(candidate);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return { status: 404, message: 'not found' };
    const st = await fsp.stat(real);
    if (!st.isFile()) return { status: 404, message: 'not found' };
    const contentType = CONTENT_TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
    return { status: 200, body: await fsp.readFile(real), contentType };
  } catch {
    return { status: 404, message: 'not found' };
  }
}
