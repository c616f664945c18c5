import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { defaultDataDir, documentsDirOf, resolveDataDir, resolveModelDir } from '../../main/app-paths';

test.for([
  ['linux', {}, path.join(os.homedir(), '.config', 'Inkwell')],
  ['linux', { XDG_CONFIG_HOME: '/xdg' }, '/xdg/Inkwell'],
  ['darwin', {}, path.join(os.homedir(), 'Library', 'Application Support', 'Inkwell')],
  ['win32', { APPDATA: '/appdata' }, path.join('/appdata', 'Inkwell')],
] as const)('defaultDataDir on %s with %o', ([platform, env, expected]) => {
  expect(defaultDataDir(env, platform)).toBe(expected);
});

test('the data dir: flag, then INKWELL_DATA_DIR, then the default', () => {
  expect(resolveDataDir('rel/dir', { INKWELL_DATA_DIR: '/env' })).toBe(path.resolve('rel/dir'));
  expect(resolveDataDir(undefined, { INKWELL_DATA_DIR: '/env' })).toBe('/env');
  expect(resolveDataDir(undefined, { XDG_CONFIG_HOME: '/xdg' })).toBe(process.platform === 'linux' ? '/xdg/Inkwell' : defaultDataDir({ XDG_CONFIG_HOME: '/xdg' }));
});

test('the documents folder: the setting when set, else <dataDir>/Documents', () => {
  expect(documentsDirOf('/data', '')).toBe(path.join('/data', 'Documents'));
  expect(documentsDirOf('/data', '/mine')).toBe('/mine');
});

test('the model dir: flag, env, then models/default with a config.json, else null', async () => {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-paths-'));
  try {
    expect(resolveModelDir('/flag', [root], { INKWELL_MODEL: '/env' })).toBe('/flag');
    expect(resolveModelDir(undefined, [root], { INKWELL_MODEL: '/env' })).toBe('/env');
    expect(resolveModelDir(undefined, [root], {})).toBeNull();
    await fsp.mkdir(path.join(root, 'models', 'default'), { recursive: true });
    expect(resolveModelDir(undefined, [root], {})).toBeNull();
    await fsp.writeFile(path.join(root, 'models', 'default', 'config.json'), '{}');
    expect(resolveModelDir(undefined, ['/nonexistent', root], {})).toBe(path.join(root, 'models', 'default'));
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
