/**
 * The packaged app's hardening in electron-builder.yml: the Electron fuses
 * (checked against electron-builder's own FuseOptionsV1 keys so a typo cannot
 * silently do nothing) and a files list that ships no sources or tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './source-text';

// js-yaml is already in node_modules (a dependency of electron-builder); it ships no types.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface BuilderConfig {
  asar?: unknown;
  files?: unknown;
  electronFuses?: Record<string, unknown>;
}

const config = yaml.load(fs.readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

describe('electron-builder.yml fuses', () => {
  it.each([
    ['runAsNode', false],
    ['enableCookieEncryption', true],
    ['enableNodeOptionsEnvironmentVariable', false],
    ['enableNodeCliInspectArguments', false],
    ['enableEmbeddedAsarIntegrityValidation', true],
    ['onlyLoadAppFromAsar', true],
    ['grantFileProtocolExtraPrivileges', false],
  ] as const)('%s is %s', (fuse, expected) => {
    expect(config.electronFuses?.[fuse]).toBe(expected);
  });

  it('uses only fuse names electron-builder knows', () => {
    const dts = fs.readFileSync(path.join(repoRoot, 'node_modules', 'app-builder-lib', 'out', 'configuration.d.ts'), 'utf8');
    const start = dts.indexOf('export interface FuseOptionsV1 {');
    expect(start, 'FuseOptionsV1 not found in app-builder-lib').toBeGreaterThan(-1);
    const body = dts.slice(start, dts.indexOf('\n}', start));
    const known = new Set([...body.matchAll(/^\s{4}(?:readonly )?(\w+)\?:/gm)].map((m) => m[1]));
    for (const key of Object.keys(config.electronFuses ?? {})) expect(known, `unknown fuse ${key}`).toContain(key);
  });

  it('packs the app into an asar (needed by the asar fuses)', () => {
    expect(config.asar).toBe(true);
  });
});

describe('electron-builder.yml files', () => {
  const files = Array.isArray(config.files) ? config.files.map(String) : [];

  it.each(['!**/*.ts', '!tests/**', '!bench/**', '!docs/**', '!dist/**/*.map'])('excludes %s', (pattern) => {
    expect(files).toContain(pattern);
  });

  it('includes only built output, models and package.json', () => {
    const included = files.filter((f) => !f.startsWith('!'));
    expect(included.sort()).toEqual(['dist/**/*', 'models/**/*', 'package.json']);
  });
});
