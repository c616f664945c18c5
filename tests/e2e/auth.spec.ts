import { expect, test } from './fixtures';
import { tryConnect, wsUrl } from './rpc';

test.describe('the per-launch token', () => {
  test('the right token opens the page and the WebSocket', async ({ server, page }) => {
    const res = await page.goto(server.current.url);
    expect(res?.status()).toBe(200);
    const ws = await tryConnect(wsUrl(server.current.origin, server.current.token), server.current.origin);
    expect(ws.outcome).toBe('open');
    if (ws.outcome === 'open') ws.socket.close();
  });

  for (const [name, token] of [
    ['a wrong token', 'wrong-token'],
    ['an empty token', ''],
    ['no token', null],
  ] as const) {
    test(`${name} is refused over HTTP and WebSocket`, async ({ server, page }) => {
      const url = token === null ? `${server.current.origin}/` : `${server.current.origin}/?token=${token}`;
      const res = await page.request.get(url);
      expect([401, 403]).toContain(res.status());
      const nav = await page.goto(url);
      expect([401, 403]).toContain(nav?.status());

      const ws = await tryConnect(wsUrl(server.current.origin, token), server.current.origin);
      expect(ws.outcome).toBe('refused');
      if (ws.outcome === 'refused' && ws.status !== null) expect([401, 403]).toContain(ws.status);
    });
  }

  test('a near-miss token (one character changed) is refused too', async ({ server }) => {
    const t = server.current.token;
    const near = t.slice(0, -1) + (t.endsWith('a') ? 'b' : 'a');
    const ws = await tryConnect(wsUrl(server.current.origin, near), server.current.origin);
    expect(ws.outcome).toBe('refused');
  });

  test('the right token from a foreign origin (another site in the same browser) is refused', async ({ server }) => {
    const ws = await tryConnect(wsUrl(server.current.origin, server.current.token), 'http://evil.example');
    expect(ws.outcome).toBe('refused');
  });
});
