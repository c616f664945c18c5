import { describe, expect, test } from 'vitest';
import { installDropGuard, shouldBlockDrop } from '../../../renderer/drop-guard';

describe('shouldBlockDrop', () => {
  test.for([
    [['Files'], true],
    [['text/uri-list', 'text/plain'], true],
    [['text/plain'], false],
    [['text/html', 'text/plain'], false],
    [[], false],
  ] as const)('%j → %s', ([types, block]) => {
    expect(shouldBlockDrop(types)).toBe(block);
  });
});

describe('installDropGuard', () => {
  function fakeTarget() {
    const listeners = new Map<string, (e: DragEvent) => void>();
    return {
      listeners,
      addEventListener: (type: string, fn: (e: DragEvent) => void) => listeners.set(type, fn),
      removeEventListener: (type: string) => listeners.delete(type),
    };
  }
  function fakeEvent(type: string, types: string[]) {
    let prevented = false;
    const dataTransfer = { types, dropEffect: 'copy' };
    const e = { type, dataTransfer, preventDefault: () => (prevented = true) } as unknown as DragEvent;
    return { e, prevented: () => prevented, dataTransfer };
  }

  test('prevents the navigation of a dropped file, leaves text drags alone, and uninstalls', () => {
    const t = fakeTarget();
    const remove = installDropGuard(t as unknown as Window);
    const file = fakeEvent('drop', ['Files']);
    t.listeners.get('drop')?.(file.e);
    expect(file.prevented()).toBe(true);
    const over = fakeEvent('dragover', ['text/uri-list']);
    t.listeners.get('dragover')?.(over.e);
    expect(over.prevented()).toBe(true);
    expect(over.dataTransfer.dropEffect).toBe('none');
    const text = fakeEvent('drop', ['text/plain']);
    t.listeners.get('drop')?.(text.e);
    expect(text.prevented()).toBe(false);
    remove();
    expect(t.listeners.size).toBe(0);
  });
});
