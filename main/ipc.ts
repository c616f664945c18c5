/**
 * Electron transport for the router: two ipcMain.handle channels, one for
 * calls and one for streams, with every sender frame checked against our own
 * window's main frame and origin before anything is parsed (VS Code refuses
 * unexpected frames the same way). Stream events go back to the sender by
 * stream id; a window's streams are cancelled when its web contents go away.
 *
 * The channel names are repeated in preload/index.ts (a sandboxed preload
 * cannot import this file); tests/unit/router.test.ts checks that the two
 * lists agree.
 */
import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { contract, type Result } from '../common/contract';
import { openFilesHandler } from './open-files-dialog';
import type { Router } from './router';

export const IPC_CALL = 'inkwell:call';
export const IPC_STREAM = 'inkwell:stream';
export const IPC_EVENT = 'inkwell:event';

/** Decides whether an IPC message comes from our own window's top frame at our own origin. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

const refused: Result<never> = { ok: false, error: { code: 'unauthorized', message: 'IPC from an unexpected frame or origin was refused' } };

const scopeOf = (contents: WebContents) => `wc-${contents.id}`;

export function registerIpc(router: Router, isTrustedSender: SenderCheck, log: (message: string) => void): () => void {
  const watched = new WeakSet<WebContents>();
  const watch = (contents: WebContents) => {
    if (watched.has(contents)) return;
    watched.add(contents);
    contents.once('destroyed', () => router.cancelScope(scopeOf(contents)));
  };

  ipcMain.handle(IPC_CALL, (event, channel: unknown, request: unknown) => {
    if (!isTrustedSender(event)) {
      log(`ipc: refused ${String(channel).slice(0, 64)} from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
      return refused;
    }
    // The native dialog needs the asking window, which the transport-agnostic router never sees.
    if (channel === 'dialog.openFiles') {
      const parsed = contract['dialog.openFiles'].request.safeParse(request);
      if (!parsed.success) return { ok: false, error: { code: 'invalid_payload', message: `dialog.openFiles: ${parsed.error.issues[0]?.message ?? 'invalid'}` } };
      const open = openFilesHandler(dialog, () => BrowserWindow.fromWebContents(event.sender));
      return open(parsed.data).then(
        (value) => ({ ok: true, value }),
        (err: unknown) => ({ ok: false, error: { code: 'internal', message: `dialog.openFiles: ${err instanceof Error ? err.message : String(err)}` } }),
      );
    }
    return router.call(channel, request, scopeOf(event.sender));
  });

  ipcMain.handle(IPC_STREAM, (event, channel: unknown, request: unknown, streamId: unknown) => {
    if (!isTrustedSender(event)) {
      log(`ipc: refused stream ${String(channel).slice(0, 64)} from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
      return refused;
    }
    if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > 64) {
      return { ok: false, error: { code: 'invalid_payload', message: `${String(channel).slice(0, 64)}: stream id must be a string of 1-64 chars` } };
    }
    const sender = event.sender;
    watch(sender);
    const onEvent = (ev: unknown) => {
      // The window may close mid-stream; throwing here makes the router cancel the stream.
      if (sender.isDestroyed()) throw new Error('window closed');
      sender.send(IPC_EVENT, streamId, ev);
    };
    return router.stream(channel, request, onEvent, undefined, streamId, scopeOf(sender));
  });

  return () => {
    ipcMain.removeHandler(IPC_CALL);
    ipcMain.removeHandler(IPC_STREAM);
  };
}
