/**
 * The bridge between the sandboxed renderer and the main process. It exposes
 * exactly `window.inkwell` (satisfying the contract's InkwellApi): never
 * ipcRenderer, never an IPC event object. Listeners are wrapped per stream id.
 * Channel names mirror main/ipc.ts (a sandboxed preload cannot import it).
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { CallChannel, EventOf, InkwellApi, RequestOf, ResponseOf, Result, StreamChannel, StreamHandle } from '../common/contract';

const IPC_CALL = 'inkwell:call';
const IPC_STREAM = 'inkwell:stream';
const IPC_EVENT = 'inkwell:event';

const listeners = new Map<string, (event: unknown) => void>();
let nextStream = 1;

ipcRenderer.on(IPC_EVENT, (_event, streamId: unknown, payload: unknown) => {
  if (typeof streamId === 'string') listeners.get(streamId)?.(payload);
});

const api = {
  call<C extends CallChannel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>> {
    return ipcRenderer.invoke(IPC_CALL, channel, request) as Promise<Result<ResponseOf<C>>>;
  },

  stream<C extends StreamChannel>(channel: C, request: RequestOf<C>, onEvent: (event: EventOf<C>) => void): StreamHandle {
    const streamId = `s${nextStream++}`;
    listeners.set(streamId, (event) => onEvent(event as EventOf<C>));
    const done = (ipcRenderer.invoke(IPC_STREAM, channel, request, streamId) as Promise<Result<EventOf<StreamChannel>>>)
      .catch((err: unknown): Result<EventOf<StreamChannel>> => ({
        ok: false,
        error: { code: 'internal', message: `stream ${channel} failed: ${err instanceof Error ? err.message : String(err)}` },
      }))
      .finally(() => listeners.delete(streamId));
    return {
      done,
      cancel: () => {
        void ipcRenderer.invoke(IPC_CALL, 'engine.cancel', { streamId });
      },
    };
  },
} satisfies InkwellApi;

contextBridge.exposeInMainWorld('inkwell', api);
