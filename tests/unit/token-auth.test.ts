import { describe, expect, test } from 'vitest';
import { TOKEN_COOKIE, checkToken, generateToken, parseCookies, tokenCookie, tokensEqual } from '../../main/web/token-auth';

const TOKEN = 'the-right-token';
const req = (url: string, cookie?: string) => ({ url, headers: cookie === undefined ? {} : { cookie } });

describe('tokens', () => {
  test('are 256-bit, URL-safe and unique', () => {
    const a = generateToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(a);
  });

  test.for([
    [TOKEN, true],
    ['the-right-toke', false],
    ['the-right-token!', false],
    ['', false],
    ['x'.repeat(10_000), false],
  ] as const)('tokensEqual(%j) = %s (any length, no throw)', ([given, equal]) => {
    expect(tokensEqual(given, TOKEN)).toBe(equal);
  });
});

describe('checkToken', () => {
  test.for([
    ['/?token=the-right-token', undefined, { ok: true, via: 'query' }],
    ['/ws?token=the-right-token', undefined, { ok: true, via: 'query' }],
    ['/app.js', `${TOKEN_COOKIE}=the-right-token`, { ok: true, via: 'cookie' }],
    ['/app.js', `other=1; ${TOKEN_COOKIE}=the-right-token; x=y`, { ok: true, via: 'cookie' }],
    ['/', undefined, { ok: false, status: 401 }],
    ['/?token=', undefined, { ok: false, status: 403 }],
    ['/?token=wrong', undefined, { ok: false, status: 403 }],
    ['/?token=wrong', `${TOKEN_COOKIE}=the-right-token`, { ok: false, status: 403 }],
    ['/?token=the-right-token', `${TOKEN_COOKIE}=stale`, { ok: true, via: 'query' }],
    ['/app.js', `${TOKEN_COOKIE}=stale`, { ok: false, status: 403 }],
    ['/app.js', 'garbage;;=;', { ok: false, status: 401 }],
  ] as const)('%s with cookie %j', ([url, cookie, expected]) => {
    expect(checkToken(req(url, cookie), TOKEN)).toMatchObject(expected);
  });

  test('the 401 message says where the token comes from', () => {
    const r = checkToken(req('/'), TOKEN);
    expect(!r.ok && r.reason).toMatch(/URL printed at start-up/);
  });
});

test('cookies parse and the token cookie is HttpOnly and SameSite=Strict', () => {
  expect(parseCookies('a=1; b=%20x; c=%E0%A4%A')).toEqual(new Map([['a', '1'], ['b', ' x'], ['c', '%E0%A4%A']]));
  expect(tokenCookie('t/k')).toBe(`${TOKEN_COOKIE}=t%2Fk; HttpOnly; SameSite=Strict; Path=/`);
});
