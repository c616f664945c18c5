/**
 * Electron's security checklist, checked without launching Electron: the
 * window's webPreferences and CSP (imported from main/window-security.ts),
 * the sender check, and the hardening that main/index.ts must apply (read
 * as source text). Each test fails if the matching setting is flipped.
 * docs/SECURITY.md maps checklist items to these tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSP, isOurPage, makeSenderCheck, secureWebPreferences, type WindowLike } from '../../../main/window-security';
import { parseCsp, readSource, repoRoot } from './source-text';

const prefs = secureWebPreferences('/app/preload/index.cjs');

describe('secureWebPreferences', () => {
  it.each([
    ['contextIsolation', true],
    ['sandbox', true],
    ['nodeIntegration', false],
    ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false],
    ['webSecurity', true],
    ['allowRunningInsecureContent', false],
    ['experimentalFeatures', false],
    ['webviewTag', false],
    ['navigateOnDragDrop', false],
  ] as const)('%s is %s', (key, expected) => {
    expect(prefs[key]).toBe(expected);
  });

  it.each(['enableRemoteModule', 'enableBlinkFeatures', 'additionalArguments'])('never sets %s', (key) => {
    expect(key in prefs).toBe(false);
  });

  it('loads the given preload and nothing else', () => {
    expect(prefs.preload).toBe('/app/preload/index.cjs');
  });
});

describe('renderer CSP', () => {
  const sources: Array<[string, string]> = [
    ['main/window-security.ts CSP header', CSP],
    ['renderer/index.html meta', metaCsp()],
  ];

  it.each(sources)('%s: default-src and script-src are only self, no eval or inline script', (_where, csp) => {
    const d = parseCsp(csp);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    for (const [name, values] of d) {
      expect(values, `${name} must not allow eval`).not.toContain("'unsafe-eval'");
      expect(values, `${name} must not allow wasm eval outside script-src`).not.toContain('*');
    }
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
  });

  it('connect-src stays on our own origin (nothing sent away)', () => {
    for (const [, csp] of sources) expect(parseCsp(csp).get('connect-src')).toEqual(["'self'"]);
  });
});

function metaCsp(): string {
  const html = fs.readFileSync(path.join(repoRoot, 'renderer', 'index.html'), 'utf8');
  const match = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('renderer/index.html: no Content-Security-Policy meta tag');
  return match[1];
}

describe('isOurPage', () => {
  const page = 'file:///app/dist/renderer/index.html';
  it.each([
    [page, true],
    [`${page}?doc=1#top`, true],
    ['file:///app/dist/renderer/other.html', false],
    ['file:///etc/passwd', false],
    ['https://example.com/', false],
    [`${page}.evil`, false],
    ['', false],
  ])('%s -> %s', (url, expected) => {
    expect(isOurPage(url, page)).toBe(expected);
  });
});

describe('makeSenderCheck (IPC sender frame)', () => {
  const page = 'file:///app/dist/renderer/index.html';
  const mainFrame = { url: page };
  const webContents = { mainFrame };
  const win: WindowLike = { isDestroyed: () => false, webContents };
  const check = makeSenderCheck(() => win, page);

  it.each([
    ['our main frame', { sender: webContents, senderFrame: mainFrame }, true],
    ['an iframe of our window', { sender: webContents, senderFrame: { url: page } }, false],
    ['another web contents', { sender: {}, senderFrame: mainFrame }, false],
    ['a destroyed frame', { sender: webContents, senderFrame: null }, false],
  ])('%s -> %s', (_name, event, expected) => {
    expect(check(event)).toBe(expected);
  });

  it('refuses our main frame once it navigated elsewhere', () => {
    const frame = { url: 'https://example.com/' };
    const moved: WindowLike = { isDestroyed: () => false, webContents: { mainFrame: frame } };
    expect(makeSenderCheck(() => moved, page)({ sender: moved.webContents, senderFrame: frame })).toBe(false);
  });

  it('refuses everything with no window or a destroyed one', () => {
    expect(makeSenderCheck(() => null, page)({ sender: webContents, senderFrame: mainFrame })).toBe(false);
    const dead: WindowLike = { isDestroyed: () => true, webContents };
    expect(makeSenderCheck(() => dead, page)({ sender: webContents, senderFrame: mainFrame })).toBe(false);
  });
});

describe('main/index.ts applies the policy', () => {
  const src = readSource('main/index.ts');

  it.each([
    ['every window uses secureWebPreferences', /webPreferences:\s*secureWebPreferences\(/],
    ['the sandbox is enabled app-wide', /app\.enableSandbox\(\)/],
    ['navigation away is prevented', /on\('will-navigate',\s*\(event,\s*url\)\s*=>\s*\{\s*if \(!isOurPage\(url\)\) event\.preventDefault\(\)/],
    ['redirects away are prevented', /on\('will-redirect',\s*\(event,\s*url\)\s*=>\s*\{\s*if \(!isOurPage\(url\)\) event\.preventDefault\(\)/],
    ['webviews cannot attach', /on\('will-attach-webview',\s*\(event\)\s*=>\s*event\.preventDefault\(\)\)/],
    ['new windows are denied', /setWindowOpenHandler\(\(\)\s*=>\s*\(\{\s*action:\s*'deny'\s*\}\)\)/],
    ['permission requests are denied', /setPermissionRequestHandler\(\([^)]*\)\s*=>\s*callback\(false\)\)/],
    ['permission checks are denied', /setPermissionCheckHandler\(\(\)\s*=>\s*false\)/],
    ['the CSP header is set on every response', /'Content-Security-Policy':\s*\[CSP\]/],
    ['IPC is registered with the sender check', /registerIpc\([^)]*isTrustedSender/],
    ['the sender check is the tested one', /const isTrustedSender\b.*= makeSenderCheck\(\(\) => mainWindow, RENDERER_URL\)/],
    ['devtools only in development', /app\.isPackaged \? \[\] : \[[^\]]*toggleDevTools/],
  ])('%s', (_name, pattern) => {
    expect(src).toMatch(pattern);
  });

  it.each([
    ['an inline webPreferences object', /webPreferences:\s*\{/],
    ['the remote module', /enableRemoteModule|@electron\/remote/],
    ['disabled web security', /webSecurity:\s*false/],
    ['a custom or file protocol privilege', /registerSchemesAsPrivileged|protocol\.registerFileProtocol/],
    ['shell.openExternal on renderer input', /shell\.openExternal/],
    ['insecure content', /allowRunningInsecureContent:\s*true/],
  ])('never uses %s', (_name, pattern) => {
    expect(src).not.toMatch(pattern);
  });

  it('creates exactly one kind of window', () => {
    expect(src.match(/new BrowserWindow\(/g)).toHaveLength(1);
  });
});
