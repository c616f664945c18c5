/**
 * The per-launch secret of browser mode. Every HTTP and WebSocket request must
 * carry it, in the `token` query parameter or in the HttpOnly cookie set when
 * the page was first loaded with it. Comparison is constant-time over SHA-256
 * digests, so neither the length nor a prefix of the token leaks by timing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_PARAM } from '../../common/wire';

export const TOKEN_COOKIE = 'inkwell_token';
const TOKEN_BYTES = 32;

/** 256 random bits, URL-safe. */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time equality: both sides are hashed to equal-length digests first. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    try {
      cookies.set(name, decodeURIComponent(raw));
    } catch {
      cookies.set(name, raw);
    }
  }
  return cookies;
}

export type TokenCheck = { ok: true; via: 'query' | 'cookie' } | { ok: false; status: 401 | 403; reason: string };

/**
 * Checks the request's token. A query token wins over the cookie (a fresh
 * launch's link must work even with a stale cookie from the previous launch).
 */
export function checkToken(req: Pick<IncomingMessage, 'url' | 'headers'>, expected: string): TokenCheck {
  let queryToken: string | null = null;
  try {
    queryToken = new URL(req.url ?? '/', 'http://localhost').searchParams.get(TOKEN_PARAM);
  } catch {
    return { ok: false, status: 403, reason: 'malformed request URL' };
  }
  if (queryToken !== null) {
    return tokensEqual(queryToken, expected) ? { ok: true, via: 'query' } : { ok: false, status: 403, reason: 'wrong token' };
  }
  const cookie = parseCookies(req.headers.cookie).get(TOKEN_COOKIE);
  if (cookie !== undefined) {
    return tokensEqual(cookie, expected) ? { ok: true, via: 'cookie' } : { ok: false, status: 403, reason: 'wrong token' };
  }
  return { ok: false, status: 401, reason: `missing token: open the URL printed at start-up (it ends in ?${TOKEN_PARAM}=...)` };
}

/** The cookie that lets the page's own asset requests through without the token in every URL. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}
