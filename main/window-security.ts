/**
 * The renderer's security policy, kept free of Electron imports so unit tests
 * can assert it without launching Electron (tests/unit/security/): the
 * BrowserWindow webPreferences, the CSP header, which URLs count as our page,
 * and which IPC senders are trusted. main/index.ts applies them; docs/SECURITY.md
 * maps each to Electron's security checklist.
 */
import type { WebPreferences } from 'electron';

/** The renderer's CSP; the same as browser mode's, minus the WebSocket (IPC needs no connect-src). */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Sandboxed, isolated, no Node: the renderer only reaches the main process through the preload's `window.inkwell`. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: true,
  };
}

/** file:// URLs have an opaque origin, so compare the page itself (ignoring query and hash). */
export function isOurPage(url: string, rendererUrl: string): boolean {
  return url.split(/[?#]/)[0] === rendererUrl;
}

/** The parts of Electron's IPC event and window that the sender check reads (structural, so tests can fake them). */
export interface SenderFrameLike {
  readonly url: string;
}
export interface SenderEventLike {
  readonly sender: unknown;
  readonly senderFrame: SenderFrameLike | null;
}
export interface WindowLike {
  isDestroyed(): boolean;
  readonly webContents: { readonly mainFrame: SenderFrameLike };
}

/**
 * Trusts an IPC message only from our live window's web contents, its main
 * frame (not an iframe), showing our own page.
 */
export function makeSenderCheck(
  getWindow: () => WindowLike | null,
  rendererUrl: string,
): (event: SenderEventLike) => boolean {
  return (event) => {
    const win = getWindow();
    const frame = event.senderFrame;
    if (!win || win.isDestroyed() || !frame) return false;
    return event.sender === win.webContents && frame === win.webContents.mainFrame && isOurPage(frame.url, rendererUrl);
  };
}
