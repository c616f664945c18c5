import { expect, test } from './fixtures';
import { openStreams, rpc } from './rpc';

const SENTENCE = 'The lighthouse keeper climbed the stairs';

/** The engine's cancel counter (app.info testHooks, present because the e2e server runs with INKWELL_TEST_HOOKS=1). */
async function cancels(origin: string, token: string): Promise<number> {
  const r = await rpc(origin, token, 'app.info', {});
  if (!r.ok || r.value.testHooks === undefined) throw new Error('app.info has no testHooks: is INKWELL_TEST_HOOKS set?');
  return r.value.testHooks.cancels;
}

test('pausing shows ghost text; Tab inserts it as one undo step; it is never saved', async ({ inkwell, page }) => {
  const ghost = await inkwell.typeAndWaitForGhost(SENTENCE);
  expect(ghost.trim().length).toBeGreaterThan(0);
  // Not part of the document: the editor's text is only what was typed.
  await expect(inkwell.editor).toHaveText(SENTENCE);
  await expect(page.getByTestId('ghost-announcer')).toContainText('Suggestion:');
  await inkwell.screenshot('editor-ghost-text');

  await page.keyboard.press('Tab');
  await expect(inkwell.editor).toHaveText(SENTENCE + ghost);
  await expect(inkwell.ghost).toHaveCount(0);
  await expect(inkwell.editor).toBeFocused();

  await inkwell.press('Mod+z');
  await expect(inkwell.editor).toHaveText(SENTENCE);
});

test('Esc dismisses the suggestion and leaves the text alone', async ({ inkwell, page }) => {
  await inkwell.typeAndWaitForGhost(SENTENCE);
  await page.keyboard.press('Escape');
  await expect(inkwell.ghost).toHaveCount(0);
  await expect(inkwell.editor).toHaveText(SENTENCE);
  await inkwell.press('Mod+s');
  await inkwell.expectSaved();
});

test('typing what the suggestion says consumes it without a new request; Ctrl+Right accepts one word', async ({ inkwell, page }) => {
  const ghost = await inkwell.typeAndWaitForGhost(SENTENCE);
  const first = ghost.slice(0, 1);
  await page.keyboard.type(first);
  await expect(inkwell.ghost).toHaveAttribute('data-ghost', ghost.slice(1));
  const word = /^\s*\S+/.exec(ghost.slice(1))?.[0] ?? '';
  if (word !== '') {
    await inkwell.press('Mod+ArrowRight');
    await expect(inkwell.editor).toHaveText(SENTENCE + first + word);
  }
});

test('typing on while a suggestion is in flight cancels the request in the engine', async ({ inkwell, page, server }) => {
  const { origin, token } = server.current;
  // Keep the engine busy (it runs one request at a time), so the suggestion is certainly still in flight when the writer types on.
  const busy = await openStreams(origin, token, 'engine.generate', { task: 'raw', context: 'Busy '.repeat(40), options: { maxTokens: 120, n: 8 } }, 6);
  try {
    await inkwell.type(SENTENCE);
    await expect(inkwell.ghostState).toHaveAttribute('data-ghost-state', 'streaming', { timeout: 30_000 });
    const before = await cancels(origin, token);
    await page.keyboard.type('Q');
    await expect.poll(() => cancels(origin, token)).toBeGreaterThan(before);
    await expect(inkwell.editor).toHaveText(`${SENTENCE}Q`);
  } finally {
    busy.close();
  }
});

test('the ghost text toggle in settings turns suggestions off', async ({ inkwell, page, server }) => {
  const r = await rpc(server.current.origin, server.current.token, 'settings.set', { ghostText: false });
  expect(r.ok).toBe(true);
  await page.reload();
  await inkwell.type(SENTENCE);
  // Switched on, typing arms the idle timer at once ('waiting'); switched off it stays idle.
  await expect(inkwell.ghostState).toHaveAttribute('data-ghost-state', 'idle');
  await expect(inkwell.ghost).toHaveCount(0);
});
