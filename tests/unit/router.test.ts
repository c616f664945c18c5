import { describe, expect, test, vi } from 'vitest';
import { DEFAULT_DOCUMENT_SETTINGS, DEFAULT_SETTINGS, type DocumentSettings, type GenerateEvent, type Result, type Settings } from '../../common/contract';
import { GUARD_MAX_DEPTH, checkPayloadShape, createRouter, type RouterServices } from '../../main/router';
import { ServiceError } from '../../main/services/service-error';

const done: GenerateEvent = {
  type: 'done', texts: ['hi'], reason: 'length', truncatedPromptTokens: 0, promptTokens: 1, cachedTokens: 0, elapsedMs: 1,
};

function fakeServices() {
  let settings: Settings = structuredClone(DEFAULT_SETTINGS);
  const services = {
    appInfo: vi.fn(() => ({ version: '0', platform: 'linux', mode: 'browser' as const, backend: null, model: null })),
    settings: {
      get: vi.fn(() => settings),
      set: vi.fn(async (p: Partial<Settings>) => (settings = { ...settings, ...p })),
    },
    documents: {
      list: vi.fn(async () => []),
      open: vi.fn(async (id: string) => {
        throw new ServiceError('not_found', `no document "${id}"`);
      }),
      save: vi.fn(async (r: { id?: string; content: string }) => ({ id: r.id ?? 'new', title: 't', updatedAt: 1, words: 0 })),
      journal: vi.fn(async () => ({ ok: true as const })),
      delete: vi.fn(async () => {
        throw new TypeError('boom');
      }),
      getSettings: vi.fn(async () => structuredClone(DEFAULT_DOCUMENT_SETTINGS)),
      setSettings: vi.fn(async (_id: string, s: DocumentSettings) => s),
      restore: vi.fn(async (id: string) => ({ id, title: 't', updatedAt: 1, words: 0 })),
      rename: vi.fn(async (id: string, title: string) => ({ id, title, updatedAt: 1, words: 0, titled: true })),
      export: vi.fn(async () => ({ filename: 'a.md', mime: 'text/markdown', base64: '' })),
    },
    engine: {
      countTokens: vi.fn(async (texts: string[]): Promise<Result<{ counts: number[]; model: string | null }>> => ({
        ok: true,
        value: { counts: texts.map((t) => t.length), model: 'fake' },
      })),
      // Emits a token, then waits until cancelled or 'finish' is called.
      generate: vi.fn(
        (_r: unknown, onEvent: (e: GenerateEvent) => void, signal: AbortSignal) =>
          new Promise<Result<GenerateEvent>>((resolve) => {
            const end = (reason: string) => {
              const ev = { ...done, reason };
              onEvent(ev);
              resolve({ ok: true, value: ev });
            };
            signal.addEventListener('abort', () => end('aborted'));
            finishers.push(() => end('length'));
            onEvent({ type: 'token', alternative: 0, text: 'hi', tokenId: 5 });
          }),
      ),
    },
  } satisfies RouterServices;
  const finishers: (() => void)[] = [];
  return { services, finishers };
}

describe('call', () => {
  test('routes valid calls to services', async () => {
    const { services } = fakeServices();
    const router = createRouter(services);
    expect(await router.call('settings.get', {})).toEqual({ ok: true, value: DEFAULT_SETTINGS });
    expect(await router.call('documents.save', { content: 'x' })).toMatchObject({ ok: true, value: { id: 'new' } });
    expect(services.documents.save).toHaveBeenCalledWith({ content: 'x' });
  });

  test.for([
    ['nope', 'unknown channel "nope"'],
    [42, 'a number channel name'],
    [null, 'a null channel name'],
    ['__proto__', 'unknown channel'],
    ['toString', 'unknown channel'],
    ['engine.generate', 'is a stream'],
  ])('channel %j is unknown_channel', async ([channel, message]) => {
    const r = await createRouter(fakeServices().services).call(channel, {});
    expect(r).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    if (!r.ok) expect(r.error.message).toContain(message);
  });

  const deep = (n: number) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };
  const cyclic: Record<string, unknown> = { id: 'a' };
  cyclic.self = cyclic;

  test.for([
    ['documents.open undefined', 'documents.open', undefined, '(root)'],
    ['documents.open null', 'documents.open', null, '(root)'],
    ['documents.open {}', 'documents.open', {}, 'id'],
    ['documents.open { id: ’../etc’ }', 'documents.open', { id: '../etc' }, 'id: a document id'],
    ['documents.open { id: ’a’, extra: 1 }', 'documents.open', { id: 'a', extra: 1 }, 'extra'],
    ['documents.open { id: ’a\0’ }', 'documents.open', { id: 'a\0' }, 'id'],
    ['settings.set { autosaveDelayMs: NaN }', 'settings.set', { autosaveDelayMs: NaN }, 'autosaveDelayMs'],
    ['settings.set { autosaveDelayMs: Infinity }', 'settings.set', { autosaveDelayMs: Infinity }, 'autosaveDelayMs'],
    ['settings.set { generation: { temperature: ’hot’ } }', 'settings.set', { generation: { temperature: 'hot' } }, 'generation.temperature'],
    ['settings.set { theme: new Date() }', 'settings.set', { theme: new Date() }, 'unsupported value of type Date'],
    ['documents.save { content: new Map() }', 'documents.save', { content: new Map() }, 'unsupported value of type Map'],
    ['documents.save { content: new Uint8Array(4) }', 'documents.save', { content: new Uint8Array(4) }, 'unsupported value of type Uint8Array'],
    ['documents.save { content: 10n }', 'documents.save', { content: 10n }, 'unsupported value of type bigint'],
    ['documents.save { content: () => 1 }', 'documents.save', { content: () => 1 }, 'unsupported value of type function'],
    ['documents.open cyclic', 'documents.open', cyclic, 'cyclic'],
    ['documents.open deep(100_000)', 'documents.open', deep(100_000), `deeper than ${GUARD_MAX_DEPTH}`],
    ['documents.save JSON.parse(’{"content":"x","__proto__":{"poll', 'documents.save', JSON.parse('{"content":"x","__proto__":{"polluted":1}}'), 'forbidden key "__proto__"'],
    ['documents.save { content: ’x’.repeat(20_000_001) }', 'documents.save', { content: 'x'.repeat(20_000_001) }, 'exceeds 20000000'],
    ['engine.cancel { streamId: ’’ }', 'engine.cancel', { streamId: '' }, 'streamId'],
  ] as const)('%s is invalid_payload', async ([, channel, payload, message]) => {
    const { services } = fakeServices();
    const r = await createRouter(services).call(channel, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid_payload');
      expect(r.error.message).toContain(message);
    }
    for (const group of [services.documents, services.settings]) {
      for (const fn of Object.values(group)) if (fn !== services.settings.get) expect(fn).not.toHaveBeenCalled();
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a huge string is refused quickly, before zod', () => {
    const big = 'x'.repeat(500_000_000);
    const t0 = performance.now();
    expect(checkPayloadShape({ content: big })).toMatch(/exceeds/);
    expect(performance.now() - t0).toBeLessThan(50);
  });

  test('many issues are summarised, not dumped', async () => {
    const r = await createRouter(fakeServices().services).call('settings.set', {
      theme: 1, documentsDir: 1, autosaveDelayMs: 'x', ghostText: 1, suggestDelayMs: 'x',
      generation: { maxTokens: 'x', temperature: 'x', topK: 'x', topP: 'x', seed: 'x' },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/and \d+ more$/);
  });

  test('service errors travel as data; programmer errors become internal', async () => {
    const router = createRouter(fakeServices().services);
    expect(await router.call('documents.open', { id: 'missing' })).toEqual({
      ok: false, error: { code: 'not_found', message: 'no document "missing"' },
    });
    expect(await router.call('documents.delete', { id: 'x' })).toMatchObject({
      ok: false, error: { code: 'internal', message: expect.stringContaining('boom') },
    });
  });
});

describe('stream', () => {
  test('delivers events and resolves with the final event', async () => {
    const { services, finishers } = fakeServices();
    const router = createRouter(services);
    const events: unknown[] = [];
    const p = router.stream('engine.generate', { task: 'raw', context: 'a' }, (e) => events.push(e), undefined, 's1');
    await vi.waitFor(() => expect(finishers).toHaveLength(1));
    expect(router.activeStreams).toBe(1);
    finishers[0]();
    expect(await p).toEqual({ ok: true, value: { ...done, reason: 'length' } });
    expect(events.map((e) => (e as GenerateEvent).type)).toEqual(['token', 'done']);
    expect(router.activeStreams).toBe(0);
  });

  test('engine.cancel cancels by stream id, only within its scope', async () => {
    const { services } = fakeServices();
    const router = createRouter(services);
    const p = router.stream('engine.generate', { task: 'raw', context: 'a' }, () => undefined, undefined, 's1', 'win1');
    await vi.waitFor(() => expect(router.activeStreams).toBe(1));
    expect(await router.call('engine.cancel', { streamId: 's1' }, 'win2')).toEqual({ ok: true, value: { cancelled: false } });
    expect(await router.call('engine.cancel', { streamId: 's1' }, 'win1')).toEqual({ ok: true, value: { cancelled: true } });
    expect(await p).toMatchObject({ ok: true, value: { reason: 'aborted' } });
    expect(await router.call('engine.cancel', { streamId: 's1' }, 'win1')).toEqual({ ok: true, value: { cancelled: false } });
  });

  test('an outer signal and cancelScope both abort', async () => {
    const { services } = fakeServices();
    const router = createRouter(services);
    const outer = new AbortController();
    const a = router.stream('engine.generate', { task: 'raw', context: '' }, () => undefined, outer.signal, 'a', 'sc');
    const b = router.stream('engine.generate', { task: 'raw', context: '' }, () => undefined, undefined, 'b', 'sc');
    outer.abort();
    expect(await a).toMatchObject({ ok: true, value: { reason: 'aborted' } });
    expect(router.cancelScope('sc')).toBe(1);
    expect(await b).toMatchObject({ ok: true, value: { reason: 'aborted' } });
    const pre = new AbortController();
    pre.abort();
    expect(await router.stream('engine.generate', { task: 'raw', context: '' }, () => undefined, pre.signal)).toMatchObject({
      ok: false, error: { code: 'aborted' },
    });
  });

  test('a duplicate stream id is a conflict; bad payloads and call channels are refused', async () => {
    const { services } = fakeServices();
    const router = createRouter(services);
    const p = router.stream('engine.generate', { task: 'raw', context: '' }, () => undefined, undefined, 'dup');
    expect(await router.stream('engine.generate', { task: 'raw', context: '' }, () => undefined, undefined, 'dup')).toMatchObject({
      ok: false, error: { code: 'conflict' },
    });
    expect(await router.stream('engine.generate', { task: 'poem', context: '' }, () => undefined)).toMatchObject({
      ok: false, error: { code: 'invalid_payload', message: expect.stringContaining('task') },
    });
    expect(await router.stream('settings.get', {}, () => undefined)).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    expect(services.engine.generate).toHaveBeenCalledTimes(1);
    router.cancelScope('');
    await p;
  });

  test('a throwing listener aborts the stream instead of breaking it', async () => {
    const { services } = fakeServices();
    const router = createRouter(services);
    const r = await router.stream('engine.generate', { task: 'raw', context: '' }, () => {
      throw new Error('window closed');
    });
    expect(r).toMatchObject({ ok: true, value: { reason: 'aborted' } });
  });
});

test('main/ipc.ts and preload/index.ts name the same IPC channels', async () => {
  const { readFile } = await import('node:fs/promises');
  const names = (text: string) => [...text.matchAll(/const (IPC_\w+) = '([^']+)'/g)].map((m) => `${m[1]}=${m[2]}`).sort();
  const main = names(await readFile('main/ipc.ts', 'utf8'));
  expect(main).toHaveLength(3);
  expect(names(await readFile('preload/index.ts', 'utf8'))).toEqual(main);
});

describe('writing-experience channels', () => {
  test('engine.countTokens returns the engine counts; engine failures keep their code', async () => {
    const { services } = fakeServices();
    const router = createRouter(services);
    expect(await router.call('engine.countTokens', { texts: ['abc', ''] })).toEqual({ ok: true, value: { counts: [3, 0], model: 'fake' } });
    services.engine.countTokens.mockResolvedValueOnce({ ok: false, error: { code: 'no_model', message: 'no model' } });
    expect(await router.call('engine.countTokens', { texts: ['x'] })).toMatchObject({ ok: false, error: { code: 'no_model' } });
  });

  test('documents.setSettings validates the settings before the service sees them', async () => {
    const { services } = fakeServices();
    const router = createRouter(services);
    const bad = await router.call('documents.setSettings', { id: 'a', settings: { memory: 'm', authorsNote: '', preset: 'loud', generation: {} } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(services.documents.setSettings).not.toHaveBeenCalled();
    const settings = { memory: 'm', authorsNote: 'n', preset: 'wild' as const, generation: { temperature: 1.2 } };
    expect(await router.call('documents.setSettings', { id: 'a', settings })).toEqual({ ok: true, value: settings });
    expect(await router.call('documents.getSettings', { id: 'a' })).toMatchObject({ ok: true, value: { memory: '' } });
  });

  test('app.info has no test hooks unless the server runs with INKWELL_TEST_HOOKS=1', async () => {
    const r = await createRouter(fakeServices().services).call('app.info', {});
    expect(r.ok && typeof r.value === 'object' && r.value !== null && 'testHooks' in r.value).toBe(false);
  });
});
