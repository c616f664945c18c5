/**
 * Fuzzes the settings file and set(): any file content opens to valid settings
 * without throwing, and any partial update either yields schema-valid settings
 * that are what the file now holds, or fails with a clear invalid_payload error
 * and leaves both the file and the in-memory settings exactly as they were.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from '../../../common/contract';
import { ServiceError } from '../../../main/services/service-error';
import { SETTINGS_FILE, SettingsService } from '../../../main/services/settings';
import { nastyKey, runs } from './arbitraries';

let root: string;
let next = 0;
/** A fresh data folder per run, so runs stay independent. */
const freshDir = async () => {
  const dir = path.join(root, String(next++));
  await fsp.mkdir(dir, { recursive: true });
  return dir;
};
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-fuzz-settings-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** Values for one settings key: often plausible (so some sets succeed), often not. */
const plausible: Record<keyof Settings, fc.Arbitrary<unknown>> = {
  theme: fc.constantFrom('system', 'light', 'dark', 'hot', '', null),
  language: fc.constantFrom('system', 'en', 'zh-CN', 'zh', 'EN', 7),
  documentsDir: fc.oneof(fc.constantFrom('', '/tmp/docs', 'relative/dir', '/a\u0000b', 'C:\\Docs'), fc.string()),
  autosaveDelayMs: fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.constantFrom(-1, 1.5, NaN, Infinity, '2000')),
  ghostText: fc.oneof(fc.boolean(), fc.constantFrom(0, 'true', null)),
  showProvenance: fc.oneof(fc.boolean(), fc.constantFrom(1, 'false', null, undefined)),
  suggestDelayMs: fc.oneof(fc.integer({ min: 0, max: 6_000 }), fc.constantFrom(-0, 1e9, '300')),
  generation: fc.oneof(
    fc.record(
      {
        maxTokens: fc.integer({ min: -2, max: 1100 }),
        temperature: fc.oneof(fc.double({ min: -1, max: 6 }), fc.constant(NaN)),
        topP: fc.double({ min: -0.5, max: 1.5 }),
        n: fc.integer({ min: 0, max: 9 }),
        bogus: fc.anything(),
      },
      { requiredKeys: [] },
    ),
    fc.anything(),
  ),
};
/** Values the schema accepts, so that a good share of set() calls succeed. */
const validValues: Record<keyof Settings, fc.Arbitrary<unknown>> = {
  theme: fc.constantFrom('system', 'light', 'dark'),
  language: fc.constantFrom('system', 'en', 'zh-CN'),
  documentsDir: fc.constantFrom('', '/tmp/inkwell docs', '/home/écrivain/文書'),
  autosaveDelayMs: fc.integer({ min: 500, max: 60_000 }),
  ghostText: fc.boolean(),
  showProvenance: fc.boolean(),
  suggestDelayMs: fc.integer({ min: 50, max: 5_000 }),
  generation: fc.record(
    { maxTokens: fc.integer({ min: 1, max: 1024 }), temperature: fc.double({ min: 0, max: 5, noNaN: true }), n: fc.integer({ min: 1, max: 8 }) },
    { requiredKeys: [] },
  ),
};
const partial = fc.oneof(fc.record(plausible, { requiredKeys: [] }), fc.record(validValues, { requiredKeys: [] }));
/** A settings object as a file might hold it: plausible keys plus unknown and prototype-ish ones. */
const rawObject = fc
  .tuple(partial, fc.dictionary(fc.oneof(nastyKey, fc.string({ maxLength: 8 })), fc.jsonValue(), { maxKeys: 3 }))
  .map(([known, extra]) => ({ ...extra, ...known }));
const fileText = fc.oneof(
  rawObject.map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  // Hand-written JSON keeps a literal "__proto__" key, which object spread would drop.
  fc.jsonValue().map((v) => `{"__proto__": ${JSON.stringify(v)}, "theme": "dark"}`),
  fc.string({ unit: 'binary' }),
  rawObject.chain((o) => fc.nat().map((n) => JSON.stringify(o).slice(0, n))),
);

describe('settings fuzz', () => {
  test('any file content opens to schema-valid settings without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(fileText, async (text) => {
        const dir = await freshDir();
        await fsp.writeFile(path.join(dir, SETTINGS_FILE), text);
        const service = await SettingsService.open(dir);
        const settings = service.get();
        expect(SettingsSchema.safeParse(settings).success).toBe(true);
        // A clean open changes nothing; a salvaged one says why.
        if (service.loadReport.problem === null) expect(service.loadReport.resetKeys).toEqual([]);
        else expect(service.loadReport.problem.length).toBeGreaterThan(0);
        expect(Object.getPrototypeOf(settings)).toBe(Object.prototype);
      }),
      runs(150),
    );
  });

  test('set() either saves schema-valid settings or rejects clearly and changes nothing', async () => {
    let saved = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(partial, { minLength: 1, maxLength: 4 }), async (partials) => {
        const dir = await freshDir();
        const file = path.join(dir, SETTINGS_FILE);
        const service = await SettingsService.open(dir);
        expect(service.get()).toEqual(DEFAULT_SETTINGS);
        for (const p of partials) {
          const before = service.get();
          const fileBefore = await fsp.readFile(file, 'utf8').catch(() => null);
          let result: Settings;
          try {
            result = await service.set(p as Partial<Settings>);
          } catch (err) {
            expect(err).toBeInstanceOf(ServiceError);
            expect((err as ServiceError).code).toBe('invalid_payload');
            expect((err as Error).message).toMatch(/^settings rejected: ./);
            expect(service.get()).toEqual(before);
            expect(await fsp.readFile(file, 'utf8').catch(() => null)).toBe(fileBefore);
            refused++;
            continue;
          }
          expect(SettingsSchema.safeParse(result).success).toBe(true);
          expect(service.get()).toEqual(result);
          expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toEqual(result);
          // What was saved opens back unchanged.
          expect((await SettingsService.open(dir)).get()).toEqual(result);
          saved++;
        }
      }),
      runs(120),
    );
    // Both outcomes were really exercised.
    expect(saved).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  });
});
