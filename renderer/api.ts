/**
 * The renderer's one door to the rest of the app. In Electron the preload
 * exposes `window.inkwell` (same InkwellApi); in browser mode the page talks
 * over a WebSocket to the server that served it. Components import `api` and
 * `connection` from here and never know which transport is underneath.
 */
import type { InkwellApi, Result } from '../common/contract';
import { WsClient, wsUrlFromLocation, type ConnectionStatus } from './ws-client';

declare global {
  interface Window {
    inkwell?: InkwellApi;
  }
}

/** Connection status for the banner; Electron's IPC is always "open". */
export interface Connection {
  onStatus(fn: (s: ConnectionStatus) => void): () => void;
}

const ALWAYS_OPEN: ConnectionStatus = { state: 'open', everConnected: true, failures: 0, detail: '' };

function pickApi(): { api: InkwellApi; connection: Connection } {
  if (window.inkwell !== undefined) {
    return { api: window.inkwell, connection: { onStatus: (fn) => (fn(ALWAYS_OPEN), () => undefined) } };
  }
  const target = wsUrlFromLocation(window.location);
  const client = new WsClient({ url: target.url, hint: target.hint });
  return { api: client, connection: client };
}

export const { api, connection } = pickApi();

/** Unwraps a Result into its value, or throws an Error whose message names the channel's failure. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new Error(r.error.message);
}
