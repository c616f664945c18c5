/**
 * Where Inkwell keeps its data and finds its model, in both modes.
 * Electron passes app.getPath('userData'); browser mode resolves --data-dir,
 * INKWELL_DATA_DIR, then the XDG config folder (~/.config/Inkwell).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const APP_NAME = 'Inkwell';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_NAME);
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), APP_NAME);
}

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag || env.INKWELL_DATA_DIR;
  return chosen ? path.resolve(chosen) : defaultDataDir(env);
}

/** The documents folder: settings.documentsDir when set, else <dataDir>/Documents. */
export function documentsDirOf(dataDir: string, documentsDir: string): string {
  return documentsDir ? path.resolve(documentsDir) : path.join(dataDir, 'Documents');
}

/**
 * The model folder: --model, INKWELL_MODEL, else <root>/models/default when it
 * holds a config.json, else null (the engine then answers no_model).
 */
export function resolveModelDir(flag: string | undefined, roots: string[], env: NodeJS.ProcessEnv = process.env): string | null {
  const chosen = flag || env.INKWELL_MODEL;
  if (chosen) return path.resolve(chosen);
  for (const root of roots) {
    const dir = path.join(root, 'models', 'default');
    if (existsSync(path.join(dir, 'config.json'))) return dir;
  }
  return null;
}
