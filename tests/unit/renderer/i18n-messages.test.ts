/**
 * Every message set under renderer/i18n/messages, checked at run time: the
 * compiler pins the keys of both locales, but not empty strings, placeholders
 * that differ between the languages, a plural with one form missing, or a
 * "translation" that is the English pasted in. New files are picked up by
 * reading the folder, so a set added by any feature is checked too.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOCALES, placeholders, type MessageSet } from '../../../renderer/i18n';

const DIR = path.resolve(__dirname, '../../../renderer/i18n/messages');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.ts')).sort();

function isMessageSet(value: unknown): value is MessageSet<string> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return LOCALES.every((l) => typeof v[l] === 'object' && v[l] !== null);
}

async function setsOf(file: string): Promise<[string, MessageSet<string>][]> {
  const mod = (await import(pathToFileURL(path.join(DIR, file)).href)) as Record<string, unknown>;
  return Object.entries(mod).filter((e): e is [string, MessageSet<string>] => isMessageSet(e[1]));
}

describe('message sets', () => {
  it('the folder holds the areas this app shows', () => {
    for (const area of ['app', 'status', 'continue', 'assistant', 'memory', 'ideas', 'outline', 'shortcuts', 'connection', 'presets']) {
      expect(FILES).toContain(`${area}.ts`);
    }
  });

  describe.each(FILES)('%s', (file) => {
    it('exports at least one message set', async () => {
      expect((await setsOf(file)).length).toBeGreaterThan(0);
    });

    it('has the same keys in every locale, none empty', async () => {
      for (const [name, set] of await setsOf(file)) {
        const en = Object.keys(set.en).sort();
        for (const locale of LOCALES) {
          expect(Object.keys(set[locale]).sort(), `${file} ${name} ${locale}`).toEqual(en);
          for (const [key, text] of Object.entries(set[locale])) {
            expect(typeof text === 'string' && text.trim() !== '', `${file} ${name}.${key} (${locale}) is empty`).toBe(true);
          }
        }
      }
    });

    it('uses the same {placeholders} in every locale', async () => {
      for (const [name, set] of await setsOf(file)) {
        for (const [key, text] of Object.entries(set.en)) {
          for (const locale of LOCALES) {
            expect(placeholders(set[locale][key]), `${file} ${name}.${key} (${locale})`).toEqual(placeholders(text));
          }
        }
      }
    });

    it('has both plural forms wherever it has one, with {n}', async () => {
      for (const [name, set] of await setsOf(file)) {
        const keys = Object.keys(set.en);
        for (const key of keys.filter((k) => k.endsWith('_one') || k.endsWith('_other'))) {
          const base = key.replace(/_(one|other)$/, '');
          expect(keys, `${file} ${name}.${key}`).toContain(`${base}_one`);
          expect(keys, `${file} ${name}.${key}`).toContain(`${base}_other`);
          expect(placeholders(set.en[key]), `${file} ${name}.${key}`).toContain('n');
        }
      }
    });

    it('is translated: most Chinese strings differ from the English and contain Chinese', async () => {
      for (const [name, set] of await setsOf(file)) {
        const keys = Object.keys(set.en);
        // Names of languages, products and keys may stay as they are; whole sentences may not.
        const same = keys.filter((k) => set['zh-CN'][k] === set.en[k] || !/\p{Script=Han}/u.test(set['zh-CN'][k]));
        expect(same.length, `${file} ${name}: untranslated ${same.join(', ')}`).toBeLessThanOrEqual(Math.floor(keys.length / 4));
      }
    });
  });
});
