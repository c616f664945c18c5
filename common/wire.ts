/**
 * Messages of the browser-mode WebSocket (main/web/ ⇄ renderer/ws-client.ts).
 * The payloads are the contract's own requests, results and events; this file
 * only frames them. Ids are chosen by the client and unique per connection.
 */
import type { ApiError, GenerateEvent, Result } from './contract';

export type ClientMessage =
  | { t: 'call'; id: number; channel: string; request: unknown }
  | { t: 'stream'; id: number; channel: string; request: unknown }
  | { t: 'cancel'; id: number };

export type ServerMessage =
  | { t: 'result'; id: number; result: Result<unknown> }
  | { t: 'event'; id: number; event: GenerateEvent }
  | { t: 'end'; id: number; result: Result<unknown> }
  /** A frame the server could not read at all (not JSON, no id): it says so and drops it. */
  | { t: 'protocol-error'; error: ApiError };

/** Query parameter (page and WebSocket URL) carrying the per-launch token. */
export const TOKEN_PARAM = 'token';
/** Path of the WebSocket endpoint. */
export const WS_PATH = '/ws';
/** Largest frame the server accepts; bigger is refused before parsing (BAD-INPUTS F.3). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
