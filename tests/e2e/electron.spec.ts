/**
 * The same app through Playwright's Electron launcher. Runs only where the
 * Electron binary was downloaded; elsewhere it is skipped with the reason
 * printed, never silently.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './server';

function electronBinary(): { path: string } | { reason: string } {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    if (typeof p !== 'string') return { reason: 'Electron binary not installed: require("electron") did not return a path' };
    if (!existsSync(p)) return { reason: `Electron binary not installed: ${p} does not exist` };
    return { path: p };
  } catch (err) {
    return { reason: `Electron binary not installed: ${(err as Error).message.split('\n')[0]}` };
  }
}

const binary = electronBinary();
const mainEntry = path.join(REPO_ROOT, 'dist', 'main', 'index.cjs');
const skipReason = 'reason' in binary ? binary.reason : existsSync(mainEntry) ? null : `Electron main not built: ${mainEntry} is missing`;
if (skipReason !== null) console.warn(`[e2e] skipping Electron specs: ${skipReason}`);

test.describe('Electron window', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('opens a secure window with the editor, and typed text saves', async () => {
    const userData = mkdtempSync(path.join(os.tmpdir(), 'inkwell-electron-'));
    const app = await electron.launch({
      executablePath: 'path' in binary ? binary.path : undefined,
      args: [mainEntry, `--user-data-dir=${userData}`, '--no-sandbox', '--disable-gpu'],
      cwd: REPO_ROOT,
    });
    try {
      const window = await app.firstWindow();
      await expect(window).toHaveTitle(/Inkwell/);
      // The renderer reaches the main process only through the preload's bridge.
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await window.evaluate(() => typeof (window as { inkwell?: unknown }).inkwell)).toBe('object');
      const editor = window.getByRole('textbox', { name: 'Document text' });
      await editor.click();
      await window.keyboard.type('Typed in Electron.');
      await expect(window.getByRole('status', { name: 'Save state' })).toHaveText('Saved');
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
