import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures';
import { InkwellPage } from './pages';
import { rpc } from './rpc';

/** True when some file under `dir` contains `needle`: the journal, wherever the server keeps it. */
async function someFileContains(dir: string, needle: string): Promise<boolean> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const text = await readFile(path.join(entry.parentPath, entry.name), 'utf8').catch(() => '');
    if (text.includes(needle)) return true;
  }
  return false;
}

test('text typed before a crash comes back from the journal', async ({ server, page }) => {
  // A long autosave delay: only the journal can hold the words when the server dies.
  const set = await rpc(server.current.origin, server.current.token, 'settings.set', { autosaveDelayMs: 60_000 });
  expect(set.ok).toBe(true);
  const inkwell = new InkwellPage(page);
  await inkwell.goto(server.current.url);

  const words = 'Words that must survive a crash, zanzibar-quokka.';
  await inkwell.type(words);
  await expect(inkwell.saveState).toHaveText('Unsaved');
  await expect.poll(() => someFileContains(server.dataDir, 'zanzibar-quokka')).toBe(true);

  const next = await server.restart('SIGKILL');
  await inkwell.goto(next.url);
  await expect(inkwell.editor).toHaveText(words);
  await expect(page.getByText('Recovered unsaved changes')).toBeVisible();
  await expect(inkwell.saveState).toHaveText('Unsaved');

  // Saving the recovered text makes it the document.
  await inkwell.press('Mod+s');
  await inkwell.expectSaved();
  await page.reload();
  await expect(inkwell.editor).toHaveText(words);
  await expect(page.getByText('Recovered unsaved changes')).toHaveCount(0);
});

test('a dropped connection shows a banner, fails the save clearly and keeps the text', async ({ server, inkwell, page }) => {
  await inkwell.type('Before the drop.');
  await inkwell.expectSaved();
  await server.current.stop('SIGKILL');
  await expect(page.getByRole('alert')).toContainText(/Disconnected from Inkwell|Cannot reach Inkwell/);
  await inkwell.type(' After.');
  await inkwell.press('Mod+s');
  await expect(inkwell.saveState).toHaveText(/^Save failed: /);
  await expect(inkwell.editor).toHaveText('Before the drop. After.');
});
