import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import type { InkwellPage } from './pages';
import { rpc } from './rpc';

const SENTENCE = 'The lighthouse keeper climbed the stairs';

/** Types, waits for a suggestion and accepts it with Tab; returns the accepted text. */
async function acceptGhost(inkwell: InkwellPage, page: Page): Promise<string> {
  const ghost = await inkwell.typeAndWaitForGhost(SENTENCE);
  expect(ghost.trim().length).toBeGreaterThan(0);
  await page.keyboard.press('Tab');
  await expect(inkwell.editor).toHaveText(SENTENCE + ghost);
  return ghost;
}

async function exportMarkdown(inkwell: InkwellPage, page: Page, withMarks: boolean): Promise<string> {
  const group = inkwell.sidebar.getByRole('group', { name: 'Export' });
  await group.getByRole('checkbox', { name: 'Mark machine-written text' }).setChecked(withMarks);
  const [download] = await Promise.all([page.waitForEvent('download'), group.getByRole('button', { name: 'Markdown (.md)' }).click()]);
  return readFile(await download.path(), 'utf8');
}

test('accepted ghost text is marked, the underline toggles, and undo takes the mark with the text', async ({ inkwell, page }) => {
  const ghost = await acceptGhost(inkwell, page);
  await expect(inkwell.machineText).toHaveCount(1);
  await expect(inkwell.machineText).toHaveText(ghost.trim());
  // The writer's own words are not marked.
  await expect(inkwell.editor.locator('.ai-text', { hasText: SENTENCE })).toHaveCount(0);

  const toggle = page.getByRole('button', { name: 'Underline machine-written text' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(inkwell.machineText).toHaveCSS('text-decoration-style', 'dotted');
  await inkwell.screenshot('provenance');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await expect(inkwell.machineText).toHaveCSS('text-decoration-line', 'none');
  // Ctrl/Cmd+Shift+E shows it again.
  await inkwell.editor.click();
  await inkwell.press('Mod+Shift+E');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(inkwell.machineText).toHaveCSS('text-decoration-line', 'underline');

  await inkwell.press('Mod+z');
  await expect(inkwell.editor).toHaveText(SENTENCE);
  await expect(inkwell.machineText).toHaveCount(0);
});

test('what the writer types after machine text is the writer\'s', async ({ inkwell, page }) => {
  const ghost = await acceptGhost(inkwell, page);
  await page.keyboard.type(' Mine.');
  await expect(inkwell.editor).toHaveText(`${SENTENCE}${ghost} Mine.`);
  await expect(inkwell.machineText).toHaveText(ghost.trim());
});

/** CommonMark backslash escapes (any ASCII punctuation) back to the characters they stand for. */
function unescapeMarkdown(md: string): string {
  return md.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

test('the marks survive save and reload; the file stays clean; export drops them unless asked', async ({ inkwell, page }) => {
  const ghost = await acceptGhost(inkwell, page);
  await inkwell.press('Mod+s');
  await inkwell.expectSaved();
  await page.reload();
  await expect(inkwell.editor).toHaveText(SENTENCE + ghost);
  await expect(inkwell.machineText).toHaveText(ghost.trim());
  // Reopening a marked document leaves it saved: the marks round-trip exactly.
  await inkwell.expectSaved();

  const plain = await exportMarkdown(inkwell, page, false);
  // The export is Markdown: a sampled backslash or "*" in the ghost text comes back backslash-escaped.
  expect(unescapeMarkdown(plain.trimEnd())).toBe((SENTENCE + ghost).trimEnd());
  expect(plain).not.toContain('<mark>');
  const marked = await exportMarkdown(inkwell, page, true);
  expect(marked.replace(/<\/?mark>/g, '')).toBe(plain);
  expect(unescapeMarkdown(/<mark>([\s\S]*?)<\/mark>/.exec(marked)?.[1] ?? '').trim()).toBe(ghost.trim());
});

test('unsaved marks come back after a crash, from the journal', async ({ inkwell, page, server }) => {
  const ghost = await acceptGhost(inkwell, page);
  // Wait for the journal (about 300 ms after the change), not for the autosave.
  await expect.poll(async () => (await readdirSafe(`${server.dataDir}/journal`)).some((f) => f.endsWith('.provenance.json'))).toBe(true);
  await server.restart('SIGKILL');
  await page.goto(server.current.url);
  await expect(inkwell.editor).toHaveText(SENTENCE + ghost);
  await expect(inkwell.machineText).toHaveText(ghost.trim());
});

async function readdirSafe(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return readdir(dir).catch(() => []);
}

test('after an outside edit, lost marks are reported in a quiet notice and the rest stay', async ({ inkwell, page, server }) => {
  const { origin, token } = server.current;
  const content = 'Intro by me. Written by the model. Also by the model.';
  const span = (part: string) => ({ start: content.indexOf(part), end: content.indexOf(part) + part.length, text: part });
  const saved = await rpc(origin, token, 'documents.save', { content, provenance: [span('Written by the model.'), span('Also by the model.')] });
  if (!saved.ok) throw new Error(saved.error.message);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(`${server.dataDir}/Documents/${saved.value.id}.md`, 'New first line.\n\nIntro by me. Written by the model. Changed outside.');
  await page.reload();
  await inkwell.openDocument('New first line.');
  await expect(page.getByRole('status').filter({ hasText: '1 machine-written mark could not be found' })).toBeVisible();
  await expect(inkwell.machineText).toHaveText('Written by the model.');
});

test('a continuation inserted from the Continue panel is marked, and the writer\'s prompt is not', async ({ inkwell }) => {
  const prompt = 'Once upon a time there was a lighthouse';
  await inkwell.type(prompt);
  const streamed = await inkwell.continueWriting();
  expect(streamed.trim().length).toBeGreaterThan(0);
  await inkwell.continuePanel.getByRole('button', { name: 'Insert' }).click();
  await expect(inkwell.continuePanel).toBeHidden();
  await expect(inkwell.machineText.first()).toBeVisible();
  const marked = (await inkwell.machineText.allInnerTexts()).join(' ').replace(/\s+/g, ' ').trim();
  expect(streamed.replace(/\s+/g, ' ').trim()).toBe(marked);
  await expect(inkwell.editor.locator('.ai-text', { hasText: prompt })).toHaveCount(0);
});
