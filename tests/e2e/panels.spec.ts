import { expect, test } from './fixtures';
import { rpc } from './rpc';
import type { ServerHandle } from './server';

/** The open document's stored settings, straight from the server. */
async function storedSettings(server: ServerHandle) {
  const list = await rpc(server.origin, server.token, 'documents.list', {});
  if (!list.ok || list.value.length === 0) return null;
  const r = await rpc(server.origin, server.token, 'documents.getSettings', { id: list.value[0].id });
  return r.ok ? r.value : null;
}

test('Outline: a brief runs end to end; what parsed is inserted as headings and paragraphs', async ({ inkwell, page }) => {
  await page.getByRole('button', { name: 'Outline', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Outline' });
  await panel.getByLabel('Topic').fill('Riverside opens a night library for shift workers');
  await panel.getByLabel('Notes and quotes').fill('opens Monday; 10pm to 6am; librarian Ana Ruiz');
  await panel.getByText('Feature', { exact: true }).click();
  await panel.getByRole('button', { name: 'Draft outline' }).click();
  // The tiny model's random weights write gibberish: either something parsed, or the panel says nothing usable came back.
  const result = panel.getByTestId('outline-result');
  const nothing = panel.getByText('Nothing usable came back');
  await expect(result.or(nothing)).toBeVisible({ timeout: 60_000 });
  await inkwell.screenshot('outline-panel');
  if (await nothing.isVisible()) {
    await expect(panel.getByRole('button', { name: 'Draft again' })).toBeEnabled();
    return;
  }
  const headline = (await result.getByRole('radio').first().evaluate((el) => el.parentElement?.textContent ?? '')).trim();
  await panel.getByRole('button', { name: 'Insert into document' }).click();
  await expect(inkwell.editor.locator('h1')).toHaveText(headline);
  await inkwell.press('Mod+z');
  await expect(inkwell.editor.locator('h1')).toHaveCount(0);
});

test('Ideas: a premise runs end to end; cards can be pinned and inserted, or the panel offers a retry', async ({ inkwell, page }) => {
  await inkwell.type('Mara climbed to the lamp room. The letter was already on the desk.');
  await page.getByRole('button', { name: 'Ideas', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Ideas' });
  await panel.getByLabel('Premise').fill('A lighthouse keeper finds letters written to her by someone who died a century ago.');
  await panel.getByLabel('Genre').fill('gothic mystery');
  await panel.getByText('Plot twists', { exact: true }).click();
  await panel.getByRole('button', { name: 'Brainstorm' }).click();
  const cards = panel.getByRole('list', { name: 'Ideas found' }).getByRole('listitem');
  const nothing = panel.getByText('Nothing usable came back');
  await expect(cards.first().or(nothing)).toBeVisible({ timeout: 60_000 });
  await inkwell.screenshot('ideas-panel');
  if (await nothing.isVisible()) {
    await expect(panel.getByRole('button', { name: 'Brainstorm' })).toBeEnabled();
    return;
  }
  const first = cards.first();
  const idea = (await first.locator('.card-text').textContent()) ?? '';
  await first.getByRole('button', { name: 'Pin' }).click();
  await expect(first.getByRole('button', { name: 'Pinned' })).toHaveAttribute('aria-pressed', 'true');
  await first.getByRole('button', { name: 'Insert' }).click();
  await expect(inkwell.editor).toContainText(idea);
  // One undo step takes the whole insertion back, and nothing else.
  await inkwell.press('Mod+z');
  await expect(inkwell.editor).not.toContainText(idea);
  await expect(inkwell.editor).toContainText('The letter was already on the desk.');
});

test('Memory is kept per document, and the inspector shows the prompt with its token count', async ({ inkwell, page, server }) => {
  await inkwell.type('The fog came in at dusk.');
  await page.getByRole('button', { name: 'Memory', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Memory' });
  await panel.getByLabel('Memory', { exact: true }).fill('Mara Voss keeps the Tern Point light. Winter, 1911.');
  await panel.getByLabel('Author’s note', { exact: true }).fill('short sentences');
  const preview = panel.getByTestId('prompt-preview');
  await expect(preview).toContainText('Mara Voss keeps the Tern Point light. Winter, 1911.\n***\n');
  await expect(preview).toContainText("[ Author's note: short sentences ]");
  await expect(panel.getByTestId('prompt-tokens')).toHaveText(/^\d+ tokens of 128$/);
  await inkwell.screenshot('memory-panel');
  // Saved beside the document: it is still there after a reload.
  await expect.poll(async () => (await storedSettings(server.current))?.authorsNote).toBe('short sentences');
  await page.reload();
  await page.getByRole('button', { name: 'Memory', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Memory' }).getByLabel('Memory', { exact: true })).toHaveValue('Mara Voss keeps the Tern Point light. Winter, 1911.');
});

test('Settings: presets with explanations; a preset choice is kept for the document', async ({ inkwell, page, server }) => {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Generation settings' });
  await expect(panel.getByText('Safe, predictable words.')).toBeVisible();
  await panel.getByText('Wild', { exact: true }).click();
  await expect(panel.getByLabel('Temperature')).toHaveValue('1.15');
  await inkwell.screenshot('settings-panel');
  await expect.poll(async () => (await storedSettings(server.current))?.preset).toBe('wild');
  await page.reload();
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Generation settings' }).getByLabel('Temperature')).toHaveValue('1.15');
});

test('Models, shortcuts and focus mode', async ({ inkwell, page }) => {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('tab', { name: 'Models' }).click();
  const models = page.getByRole('region', { name: 'Models' });
  await expect(models.getByRole('list', { name: 'Installed models' }).getByRole('listitem').first()).toBeVisible();
  await expect(models.getByText('Active')).toBeVisible();
  await inkwell.press('Mod+/');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('Accept the suggestion');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
  await inkwell.editor.click();
  await inkwell.press('Mod+Shift+F');
  await expect(inkwell.sidebar).toBeHidden();
  await expect(inkwell.editor).toBeVisible();
  await page.getByRole('button', { name: 'Leave focus' }).click();
  await expect(inkwell.sidebar).toBeVisible();
});

test('dark theme: ghost text and the side panel stay calm and legible', async ({ inkwell, page, server }) => {
  const r = await rpc(server.current.origin, server.current.token, 'settings.set', { theme: 'dark' });
  expect(r.ok).toBe(true);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByRole('button', { name: 'Memory', exact: true }).click();
  await page.getByRole('region', { name: 'Memory' }).getByLabel('Memory', { exact: true }).fill('Mara Voss keeps the Tern Point light. Winter, 1911.');
  await inkwell.typeAndWaitForGhost('The fog came in at dusk, and Mara lit the lamp');
  await inkwell.screenshot('dark-ghost-and-memory');
});
