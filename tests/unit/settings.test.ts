import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_SETTINGS } from '../../common/contract';
import { MAX_SETTINGS_BYTES, SETTINGS_FILE, SettingsService } from '../../main/services/settings';
import { ServiceError } from '../../main/services/service-error';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-settings-'));
  file = path.join(dir, SETTINGS_FILE);
});
afterEach(async () => {
  await fsp.chmod(dir, 0o700).catch(() => undefined);
  await fsp.rm(dir, { recursive: true, force: true });
});

const corruptFiles = async () => (await fsp.readdir(dir)).filter((n) => n.startsWith(`${SETTINGS_FILE}.corrupt-`));

describe('loading', () => {
  test('a first run gives the defaults and writes nothing', async () => {
    const s = await SettingsService.open(dir);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.loadReport.problem).toBeNull();
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  test.for([
    ['empty', ''],
    ['truncated', '{"theme": "dark", "ghostT'],
    ['null', 'null'],
    ['array', '[1,2]'],
    ['number', '42'],
    ['string', '"x"'],
  ])('a %s file gives defaults and is kept aside', async ([, content]) => {
    await fsp.writeFile(file, content);
    const s = await SettingsService.open(dir);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.loadReport.problem).toMatch(/settings\.json/);
    const kept = await corruptFiles();
    expect(kept).toHaveLength(1);
    expect(await fsp.readFile(path.join(dir, kept[0]), 'utf8')).toBe(content);
  });

  test('a file over the size cap is set aside unread', async () => {
    await fsp.writeFile(file, Buffer.alloc(MAX_SETTINGS_BYTES + 1, 0x20));
    const s = await SettingsService.open(dir);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.loadReport.problem).toMatch(/bytes/);
    expect(await corruptFiles()).toHaveLength(1);
  });

  test('a directory in place of the file is set aside', async () => {
    await fsp.mkdir(file);
    const s = await SettingsService.open(dir);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.loadReport.problem).toMatch(/not a regular file/);
    await s.set({ theme: 'dark' });
    expect(JSON.parse(await fsp.readFile(file, 'utf8')).theme).toBe('dark');
  });

  test('valid keys survive, wrong types and unknown keys reset, the original is kept', async () => {
    const raw = { theme: 'dark', autosaveDelayMs: -1, ghostText: 'yes', generation: { temperature: 'hot' }, bogus: 1 };
    await fsp.writeFile(file, JSON.stringify(raw));
    const s = await SettingsService.open(dir);
    expect(s.get()).toEqual({ ...DEFAULT_SETTINGS, theme: 'dark' });
    expect(s.loadReport.resetKeys.sort()).toEqual(['autosaveDelayMs', 'bogus', 'generation', 'ghostText']);
    expect(await corruptFiles()).toHaveLength(1);
    expect(JSON.parse(await fsp.readFile(file, 'utf8'))).toEqual(raw);
  });

  test.skipIf(process.getuid?.() === 0)('an unreadable file runs on defaults without touching it', async () => {
    await fsp.writeFile(file, JSON.stringify({ theme: 'dark' }));
    await fsp.chmod(file, 0o000);
    const s = await SettingsService.open(dir);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.loadReport.problem).toMatch(/cannot read/);
    expect(await corruptFiles()).toEqual([]);
  });
});

test('an uncreatable data folder runs on defaults and set() reports io_error', async () => {
  await fsp.writeFile(path.join(dir, 'blocker'), 'a file where a folder should be');
  const s = await SettingsService.open(path.join(dir, 'blocker', 'data'));
  expect(s.get()).toEqual(DEFAULT_SETTINGS);
  expect(s.loadReport.problem).toMatch(/cannot create the data folder/);
  await expect(s.set({ theme: 'dark' })).rejects.toMatchObject({ code: 'io_error' });
});

describe('set', () => {
  test('merges, validates, persists and reloads', async () => {
    const s = await SettingsService.open(dir);
    const next = await s.set({ theme: 'light', generation: { temperature: 0.2 } });
    expect(next).toEqual({ ...DEFAULT_SETTINGS, theme: 'light', generation: { temperature: 0.2 } });
    const again = await SettingsService.open(dir);
    expect(again.get()).toEqual(next);
    expect(((await fsp.stat(file)).mode & 0o777).toString(8)).toBe('600');
  });

  test.for([
    [{ autosaveDelayMs: 1 }, /autosaveDelayMs/],
    [{ generation: { maxTokens: -1 } }, /generation\.maxTokens/],
    [{ documentsDir: 'relative/dir' }, /absolute/],
    [{ documentsDir: '/a\0b' }, /NUL/],
  ] as const)('rejects %o without writing', async ([partial, message]) => {
    const s = await SettingsService.open(dir);
    const err = await s.set(partial as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe('invalid_payload');
    expect((err as ServiceError).message).toMatch(message);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  test('racing updates keep both keys', async () => {
    const s = await SettingsService.open(dir);
    await Promise.all([s.set({ theme: 'dark' }), s.set({ ghostText: false }), s.set({ suggestDelayMs: 900 })]);
    const again = await SettingsService.open(dir);
    expect(again.get()).toMatchObject({ theme: 'dark', ghostText: false, suggestDelayMs: 900 });
  });

  test('get returns a copy the caller cannot mutate', async () => {
    const s = await SettingsService.open(dir);
    s.get().generation.temperature = 4;
    expect(s.get().generation.temperature).toBe(DEFAULT_SETTINGS.generation.temperature);
  });

  test.skipIf(process.getuid?.() === 0)('a read-only data dir gives io_error and keeps the old settings', async () => {
    const s = await SettingsService.open(dir);
    await fsp.chmod(dir, 0o500);
    await expect(s.set({ theme: 'dark' })).rejects.toMatchObject({ code: 'io_error' });
    expect(s.get().theme).toBe('system');
  });
});
