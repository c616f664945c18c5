/**
 * The IPC boundary: main/ipc.ts refuses every message whose sender fails the
 * check before anything reaches the router (run for real against a mocked
 * ipcMain), and preload/index.ts exposes only `window.inkwell`, never
 * ipcRenderer or an IPC event (static checks over its source).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { IpcMainInvokeEvent } from 'electron';
import { readSource } from './source-text';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
const handlers = new Map<string, Handler>();

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: Handler) => handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}));

const { IPC_CALL, IPC_STREAM, registerIpc } = await import('../../../main/ipc');
type RouterArg = Parameters<typeof registerIpc>[0];

function fakeRouter() {
  const calls: string[] = [];
  const router = {
    call: (channel: unknown) => {
      calls.push(`call ${String(channel)}`);
      return Promise.resolve({ ok: true, value: null });
    },
    stream: (channel: unknown) => {
      calls.push(`stream ${String(channel)}`);
      return Promise.resolve({ ok: true, value: null });
    },
    cancelScope: () => undefined,
  };
  return { router: router as unknown as RouterArg, calls };
}

const fakeEvent = (url: string) =>
  ({ sender: { id: 7, isDestroyed: () => false, once: () => undefined, send: () => undefined }, senderFrame: { url } }) as unknown as IpcMainInvokeEvent;

describe('registerIpc sender check', () => {
  beforeEach(() => handlers.clear());

  it('registers exactly the call and stream channels', () => {
    const unregister = registerIpc(fakeRouter().router, () => true, () => undefined);
    expect([...handlers.keys()].sort()).toEqual([IPC_CALL, IPC_STREAM].sort());
    unregister();
    expect(handlers.size).toBe(0);
  });

  it.each([
    [IPC_CALL, ['documents.list', {}]],
    [IPC_STREAM, ['engine.generate', {}, 's1']],
  ])('%s from an untrusted frame is refused before the router sees it', async (channel, args) => {
    const { router, calls } = fakeRouter();
    const logs: string[] = [];
    registerIpc(router, () => false, (m) => logs.push(m));
    const result = await handlers.get(channel)?.(fakeEvent('https://evil.example/'), ...args);
    expect(result).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(calls).toEqual([]);
    expect(logs.join('\n')).toContain('https://evil.example/');
  });

  it.each([
    [IPC_CALL, ['documents.list', {}], 'call documents.list'],
    [IPC_STREAM, ['engine.generate', {}, 's1'], 'stream engine.generate'],
  ])('%s from a trusted frame reaches the router', async (channel, args, expected) => {
    const { router, calls } = fakeRouter();
    registerIpc(router, () => true, () => undefined);
    await handlers.get(channel)?.(fakeEvent('file:///app/index.html'), ...args);
    expect(calls).toEqual([expected]);
  });

  it('every ipcMain handler in the source checks the sender first', () => {
    const src = readSource('main/ipc.ts');
    const handlerCount = src.match(/ipcMain\.(handle|on|once|handleOnce)\(/g)?.length ?? 0;
    const checked = src.match(/ipcMain\.handle\([A-Z_]+, \(event[^)]*\) => \{\s*if \(!isTrustedSender\(event\)\)/g)?.length ?? 0;
    expect(handlerCount).toBeGreaterThan(0);
    expect(checked).toBe(handlerCount);
  });
});

describe('preload/index.ts', () => {
  const src = readSource('preload/index.ts');
  // The import of ipcRenderer itself is fine; what matters is where it goes after.
  const body = src.replace(/^import .*$/gm, '');

  it('exposes exactly one API, window.inkwell', () => {
    expect(src.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(src).toMatch(/contextBridge\.exposeInMainWorld\('inkwell', api\);/);
  });

  it.each([
    ['ipcRenderer as a value', /exposeInMainWorld\([^)]*ipcRenderer/],
    ['ipcRenderer as a property', /[{,]\s*ipcRenderer\s*[,}]|:\s*ipcRenderer\b(?!\.)/],
    ['a raw send/on/invoke passthrough', /\(\.\.\.args\)|ipcRenderer\.(send|on|invoke)\(\s*channel\b/],
    ['the IPC event object to listeners', /listeners\.get\([^)]*\)\?\.\(\s*_?event\b/],
  ])('never passes %s to the page', (_name, pattern) => {
    expect(body).not.toMatch(pattern);
  });

  it('imports nothing but electron and contract types', () => {
    const imports = [...src.matchAll(/^import (type )?.* from '([^']+)';$/gm)].map((m) => `${m[1] ?? ''}${m[2]}`);
    expect(imports.sort()).toEqual(['electron', 'type ../common/contract']);
    expect(body).not.toMatch(/require\(/);
  });

  it('invokes only the two fixed channels', () => {
    const invoked = [...src.matchAll(/ipcRenderer\.invoke\((\w+)/g)].map((m) => m[1]);
    expect(new Set(invoked)).toEqual(new Set(['IPC_CALL', 'IPC_STREAM']));
  });
});
