/**
 * Fuzzes every contract channel through the router with fake services that
 * record each call. A payload reaches a service only when it passes both the
 * shape guard and the channel's zod schema; everything else comes back as
 * invalid_payload with a message, and nothing is called. Unknown names, and
 * calls to streams (or streams of calls), are unknown_channel.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  contract,
  DEFAULT_DOCUMENT_SETTINGS,
  DEFAULT_SETTINGS,
  MAX_DOCUMENT_CHARS,
  type CatalogueItem,
  type Channel,
  type DatasetReport,
  type GenerateEvent,
  type ModelInfo,
  type RequestOf,
  type Result,
} from '../../../common/contract';
import { checkPayloadShape, createRouter, type RouterServices } from '../../../main/router';
import { nastyKey, runs } from './arbitraries';

const done: GenerateEvent = { type: 'done', texts: ['hi'], reason: 'length', truncatedPromptTokens: 0, promptTokens: 1, cachedTokens: 0, elapsedMs: 1 };
// The router never inspects what services return, so stand-ins are enough here.
const model = { id: 'm' } as unknown as ModelInfo;

/** Services whose every method records its name and succeeds at once. */
function recordingServices(): { services: RouterServices; calls: string[] } {
  const calls: string[] = [];
  const rec =
    <T>(name: string, value: T) =>
    (): T => {
      calls.push(name);
      return value;
    };
  const recAsync = <T>(name: string, value: T) => rec(name, Promise.resolve(value));
  const finished = <E>(name: string, event: E) => (_req: unknown, onEvent: (e: E) => void): Promise<Result<E>> => {
    calls.push(name);
    onEvent(event);
    return Promise.resolve({ ok: true, value: event });
  };
  const services: RouterServices = {
    appInfo: rec('appInfo', { version: '0', platform: 'linux', mode: 'browser', backend: null, model: null }),
    settings: { get: rec('settings.get', DEFAULT_SETTINGS), set: recAsync('settings.set', DEFAULT_SETTINGS) },
    documents: {
      list: recAsync('documents.list', []),
      open: recAsync('documents.open', { id: 'a', title: 'a', updatedAt: 1, words: 0, content: '', recovered: false }),
      save: recAsync('documents.save', { id: 'a', title: 'a', updatedAt: 1, words: 0 }),
      journal: recAsync('documents.journal', { ok: true as const }),
      delete: recAsync('documents.delete', { ok: true as const, stamp: '2026-01-01T00-00-00-000Z' }),
      restore: recAsync('documents.restore', { id: 'a', title: 'a', updatedAt: 1, words: 0 }),
      rename: recAsync('documents.rename', { id: 'a', title: 'b', updatedAt: 1, words: 0, titled: true }),
      export: recAsync('documents.export', { filename: 'a.md', mime: 'text/markdown', base64: '' }),
      getSettings: recAsync('documents.getSettings', DEFAULT_DOCUMENT_SETTINGS),
      setSettings: recAsync('documents.setSettings', DEFAULT_DOCUMENT_SETTINGS),
    },
    engine: {
      generate: finished('engine.generate', done),
      countTokens: recAsync('engine.countTokens', { ok: true as const, value: { counts: [], model: null } }),
    },
    models: {
      list: recAsync('models.list', []),
      catalogue: recAsync('models.catalogue', [] as CatalogueItem[]),
      setActive: recAsync('models.setActive', model),
      rename: recAsync('models.rename', model),
      delete: recAsync('models.delete', { ok: true as const }),
      import: recAsync('models.import', model),
      export: recAsync('models.export', { path: '/x' }),
      discardDownload: recAsync('models.discardDownload', { ok: true as const }),
      download: finished('models.download', { type: 'done' } as never),
    },
    training: {
      inspect: recAsync('training.inspect', {} as DatasetReport),
      start: finished('training.start', { type: 'done' } as never),
      pause: rec('training.pause', { ok: true as const }),
      resume: rec('training.resume', { ok: true as const }),
      cancel: rec('training.cancel', { ok: true as const }),
      currentRun: rec('training.current', null),
      watch: finished('training.watch', { type: 'done' } as never),
      resumable: recAsync('training.resumable', []),
      resumeRun: finished('training.resumeRun', { type: 'done' } as never),
      discard: recAsync('training.discard', { ok: true as const }),
      samples: recAsync('models.samples', []),
      inbox: {
        begin: recAsync('training.stageBegin', { stageId: 'a'.repeat(32), name: 'a.txt' }),
        chunk: recAsync('training.stageChunk', { received: 0 }),
        end: recAsync('training.stageEnd', { path: '/a.txt', name: 'a.txt', size: 0 }),
        cancel: recAsync('training.stageCancel', { ok: true as const }),
      },
    },
    dialog: { openFiles: recAsync('dialog.openFiles', { status: 'unsupported' as const }) },
  };
  return { services, calls };
}

/** One valid payload per channel; typed so that a channel added to the contract needs one here. */
const VALID: { [C in Channel]: RequestOf<C> } = {
  'app.info': {},
  'settings.get': {},
  'settings.set': { theme: 'dark', generation: { temperature: 0.5 } },
  'documents.list': {},
  'documents.open': { id: 'my-doc' },
  'documents.save': { content: 'Hello\r\n\u0000world', title: 'T' },
  'documents.journal': { id: 'my-doc', content: '' },
  'documents.delete': { id: 'my-doc' },
  'documents.restore': { id: 'my-doc', stamp: '2026-01-01T00-00-00-000Z' },
  'documents.rename': { id: 'my-doc', title: 'A new name' },
  'documents.export': { id: 'my-doc', format: 'docx', provenance: true },
  'documents.getSettings': { id: 'my-doc' },
  'documents.setSettings': { id: 'my-doc', settings: DEFAULT_DOCUMENT_SETTINGS },
  'engine.generate': { task: 'continue', context: 'Once upon', options: { maxTokens: 8 } },
  'engine.countTokens': { texts: ['a', 'b'] },
  'engine.cancel': { streamId: 's1' },
  'models.list': {},
  'models.catalogue': {},
  'models.setActive': { id: 'gpt2' },
  'models.rename': { id: 'gpt2', name: ' Mine ' },
  'models.delete': { id: 'gpt2' },
  'models.import': { path: '/home/me/model' },
  'models.export': { id: 'gpt2', path: 'C:\\out' },
  'models.discardDownload': { name: 'gpt2' },
  'models.download': { name: 'gpt2' },
  'training.inspect': { files: ['/a.txt'] },
  'training.start': { files: ['/a.txt'], baseModelId: 'gpt2', preset: 'quick' },
  'training.pause': { runId: 'r' },
  'training.resume': { runId: 'r' },
  'training.cancel': { runId: 'r' },
  'training.current': {},
  'training.watch': { runId: 'r' },
  'training.resumable': {},
  'training.resumeRun': { runId: 'run-20260101-120000-abc123' },
  'training.discard': { runId: 'run-20260101-120000-abc123' },
  'training.stageBegin': { name: '../Chapter 1.md', size: 10 },
  'training.stageChunk': { stageId: 'ab'.repeat(16), index: 0, base64: 'aGVsbG8=' },
  'training.stageEnd': { stageId: 'ab'.repeat(16) },
  'training.stageCancel': { stageId: 'ab'.repeat(16) },
  'models.samples': { id: 'gpt2' },
  'dialog.openFiles': { purpose: 'training' },
};
const CHANNELS = Object.keys(contract) as Channel[];

const HUGE = 'x'.repeat(MAX_DOCUMENT_CHARS + 1);
const weird = fc.oneof(
  fc.anything({
    maxDepth: 4,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
  }),
  fc.constantFrom(NaN, -0, Infinity, HUGE, '', '\u0000', null, undefined, [], Symbol('s'), () => 1),
);
/** Deep nesting beyond the guard's depth limit. */
const deep = fc.integer({ min: 1, max: 60 }).map((n) => {
  let v: unknown = 'leaf';
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
});

/** For one channel: its valid payload, mutated (a key replaced, added or removed), or anything at all. */
function payloadFor(channel: Channel): fc.Arbitrary<unknown> {
  const valid = VALID[channel] as Record<string, unknown>;
  const keys = Object.keys(valid);
  const mutated = fc
    .tuple(fc.oneof(fc.constantFrom(...(keys.length > 0 ? keys : ['x'])), nastyKey, fc.string({ maxLength: 6 })), fc.oneof(weird, deep), fc.boolean())
    .map(([key, value, drop]) => {
      const out: Record<string, unknown> = { ...valid };
      if (drop) delete out[key];
      // defineProperty, so a "__proto__" key becomes an own property as JSON.parse would make it.
      else Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
      return out;
    });
  return fc.oneof(fc.constant(valid), mutated, weird, deep);
}

const channelAndPayload = fc.constantFrom(...CHANNELS).chain((c) => fc.tuple(fc.constant(c), payloadFor(c)));

describe('router fuzz', () => {
  test('every channel: ok only for valid payloads, else invalid_payload with a message and no service call', async () => {
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(channelAndPayload, async ([channel, payload]) => {
        const { services, calls } = recordingServices();
        const router = createRouter(services);
        const events: unknown[] = [];
        const r = contract[channel].kind === 'call' ? await router.call(channel, payload) : await router.stream(channel, payload, (e) => events.push(e));
        const valid = checkPayloadShape(payload) === null && contract[channel].request.safeParse(payload).success;
        if (valid) {
          expect(r, `${channel} ${String(r.ok ? '' : r.error.message)}`).toMatchObject({ ok: true });
          // Exactly one service method ran (engine.cancel only touches the router's own stream table).
          if (channel !== 'engine.cancel') expect(calls).toEqual([channel === 'app.info' ? 'appInfo' : channel]);
          accepted++;
        } else {
          expect(r.ok).toBe(false);
          if (!r.ok) {
            expect(r.error.code).toBe('invalid_payload');
            expect(r.error.message.startsWith(`${channel}: `)).toBe(true);
            expect(r.error.message.length).toBeGreaterThan(channel.length + 2);
          }
          expect(calls).toEqual([]);
          expect(events).toEqual([]);
          rejected++;
        }
        expect(router.activeStreams).toBe(0);
      }),
      runs(1500),
    );
    // Both sides of the property were really exercised.
    expect(accepted).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(50);
  });

  test('random channel names are unknown_channel and call nothing', async () => {
    const name = fc.oneof(
      fc.string({ maxLength: 30 }).filter((s) => !Object.prototype.hasOwnProperty.call(contract, s)),
      nastyKey,
      fc.constantFrom('valueOf', '__defineGetter__', 'settings.get ', 'Settings.get', 'settings.get\u0000'),
      weird.filter((v) => typeof v !== 'string'),
    );
    await fc.assert(
      fc.asyncProperty(name, weird, fc.boolean(), async (channel, payload, asStream) => {
        const { services, calls } = recordingServices();
        const router = createRouter(services);
        const r = asStream ? await router.stream(channel, payload, () => undefined) : await router.call(channel, payload);
        expect(r).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
        if (!r.ok) expect(r.error.message.length).toBeGreaterThan(0);
        expect(calls).toEqual([]);
      }),
      runs(500),
    );
  });

  test('a stream channel used as a call, or a call channel as a stream, is unknown_channel', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHANNELS), async (channel) => {
        const { services, calls } = recordingServices();
        const router = createRouter(services);
        const r = contract[channel].kind === 'call' ? await router.stream(channel, VALID[channel], () => undefined) : await router.call(channel, VALID[channel]);
        expect(r).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
        expect(calls).toEqual([]);
      }),
      runs(60),
    );
  });
});
