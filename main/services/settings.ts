/**
 * The user's settings: one JSON file, <dataDir>/settings.json, validated by the
 * contract's SettingsSchema.
 *
 * Why our own small store rather than conf / electron-store: both validate with
 * ajv against a JSON Schema, so the contract's zod schema would have to be kept
 * twice; on an unreadable file they either throw from the constructor or, with
 * `clearInvalidConfig`, silently erase it, whereas we must keep the bad file as
 * evidence (settings.json.corrupt-<time>) and carry on with defaults; and the
 * same code then serves Electron and browser mode alike. What they would add
 * (atomic writes, a single JSON file) is a few lines over writeFileAtomic.
 * electron-store does keep the Electron window's position (main/window-state.ts),
 * where clearing a damaged file is the right answer.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from '../../common/contract';
import { writeFileAtomic } from './atomic-write';
import { ServiceError, errnoCode, ioError } from './service-error';

export const SETTINGS_FILE = 'settings.json';
/** A settings file bigger than this is not ours (BAD-INPUTS D.1: 50 MB); it is set aside unread. */
export const MAX_SETTINGS_BYTES = 1 << 20;

export interface SettingsLoadReport {
  /** Where the unreadable or invalid file was moved, if it was. */
  corruptBackup: string | null;
  /** Keys whose stored values were invalid and fell back to defaults. */
  resetKeys: string[];
  /** Why the file could not be used at all, if it could not. */
  problem: string | null;
}

type SettingsKey = keyof Settings;
const KEYS = Object.keys(DEFAULT_SETTINGS) as SettingsKey[];

function cloneDefaults(): Settings {
  return structuredClone(DEFAULT_SETTINGS);
}

/**
 * Keeps every top-level value that is valid on its own and resets the rest, so
 * one bad key (`temperature: "hot"`) does not cost the writer all their settings.
 */
function salvage(raw: Record<string, unknown>): { settings: Settings; resetKeys: string[] } {
  const settings = cloneDefaults();
  const resetKeys: string[] = [];
  for (const key of KEYS) {
    if (!Object.prototype.hasOwnProperty.call(raw, key)) continue;
    const parsed = SettingsSchema.shape[key].safeParse(raw[key]);
    if (parsed.success) (settings as Record<SettingsKey, unknown>)[key] = parsed.data;
    else resetKeys.push(key);
  }
  for (const key of Object.keys(raw)) if (!KEYS.includes(key as SettingsKey)) resetKeys.push(key);
  return { settings, resetKeys };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export class SettingsService {
  private current: Settings;
  /** Serialises set() so two racing updates cannot lose each other's keys. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    initial: Settings,
    readonly loadReport: SettingsLoadReport,
  ) {
    this.current = initial;
  }

  /** Loads <dataDir>/settings.json; never throws for a bad file, only reports it. */
  static async open(dataDir: string): Promise<SettingsService> {
    const file = path.join(dataDir, SETTINGS_FILE);
    const report: SettingsLoadReport = { corruptBackup: null, resetKeys: [], problem: null };
    try {
      await fsp.mkdir(dataDir, { recursive: true });
    } catch (err) {
      // A read-only or unreachable data folder (BAD-INPUTS K.3): run on defaults; set() will report io_error.
      report.problem = `cannot create the data folder ${dataDir}: ${err instanceof Error ? err.message : String(err)}`;
      return new SettingsService(file, cloneDefaults(), report);
    }
    const setAside = async (problem: string) => {
      report.problem = problem;
      const backup = `${file}.corrupt-${timestamp()}`;
      try {
        await fsp.rename(file, backup);
        report.corruptBackup = backup;
      } catch (err) {
        report.problem += `; could not move it aside: ${err instanceof Error ? err.message : String(err)}`;
      }
    };

    let text: string | null = null;
    try {
      const st = await fsp.stat(file);
      if (!st.isFile()) await setAside(`${file} is not a regular file`);
      else if (st.size > MAX_SETTINGS_BYTES) await setAside(`${file} is ${st.size} bytes, more than ${MAX_SETTINGS_BYTES}`);
      else text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      // ENOENT is a first run; EACCES and friends leave the file alone and run on defaults.
      if (errnoCode(err) !== 'ENOENT') report.problem = `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`;
    }

    let settings = cloneDefaults();
    if (text !== null) {
      let raw: unknown;
      let parsedOk = true;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        parsedOk = false;
        await setAside(`${file} is not valid JSON (${text.length} chars): ${err instanceof Error ? err.message : String(err)}`);
      }
      if (parsedOk) {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
          await setAside(`${file} holds ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}, not an object`);
        } else {
          const salvaged = salvage(raw as Record<string, unknown>);
          settings = salvaged.settings;
          report.resetKeys = salvaged.resetKeys;
          if (salvaged.resetKeys.length > 0) {
            // Keep a copy of the original; the next save writes the cleaned file over it.
            report.problem = `${file}: invalid or unknown keys reset to defaults: ${salvaged.resetKeys.join(', ')}`;
            const backup = `${file}.corrupt-${timestamp()}`;
            await fsp.copyFile(file, backup).then(() => (report.corruptBackup = backup)).catch(() => undefined);
          }
        }
      }
    }
    return new SettingsService(file, settings, report);
  }

  get(): Settings {
    return structuredClone(this.current);
  }

  /**
   * Merges `partial` over the current settings at the top level (so `generation`
   * is replaced as a whole), validates the result and only then writes it.
   */
  set(partial: Partial<Settings>): Promise<Settings> {
    const run = this.queue.then(() => this.apply(partial));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(partial: Partial<Settings>): Promise<Settings> {
    const merged: Record<string, unknown> = { ...this.current };
    for (const [key, value] of Object.entries(partial)) if (value !== undefined) merged[key] = value;
    const parsed = SettingsSchema.safeParse(merged);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new ServiceError('invalid_payload', `settings rejected: ${issues}`);
    }
    const next = parsed.data;
    if (next.documentsDir !== '' && !path.isAbsolute(next.documentsDir)) {
      throw new ServiceError('invalid_payload', `settings rejected: documentsDir must be an absolute path or '' (got ${JSON.stringify(next.documentsDir)})`);
    }
    if (next.documentsDir.includes('\0')) throw new ServiceError('invalid_payload', 'settings rejected: documentsDir contains a NUL byte');
    try {
      await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
    } catch (err) {
      throw ioError('could not save settings', err);
    }
    this.current = next;
    return this.get();
  }
}
