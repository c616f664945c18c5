import { expect, test } from './fixtures';

test.describe('writing and saving', () => {
  test('a typed paragraph autosaves and is still there after a reload', async ({ inkwell, page }) => {
    await inkwell.type('The quick brown fox jumps over the lazy dog.');
    await expect(inkwell.saveState).toHaveText('Unsaved');
    await inkwell.expectSaved();
    await expect(inkwell.statusBar).toContainText('9 words');
    await page.reload();
    await expect(inkwell.editor).toHaveText('The quick brown fox jumps over the lazy dog.');
    await inkwell.expectSaved();
    await expect(page.getByText('Recovered unsaved changes')).toHaveCount(0);
  });

  test('Markdown shortcuts make headings, lists and quotes, and the first heading is the title', async ({ inkwell, page }) => {
    await inkwell.type('# A Title\nBody with **bold** text.\n- first\nsecond\n\n> quoted');
    await expect(inkwell.editor.getByRole('heading', { name: 'A Title' })).toBeVisible();
    await expect(inkwell.editor.getByRole('listitem')).toHaveText(['first', 'second']);
    await expect(inkwell.editor.locator('strong, .ed-bold').first()).toHaveText('bold');
    await expect(inkwell.documentEntry('A Title')).toBeVisible();
    await inkwell.press('Mod+s');
    await inkwell.expectSaved();
    await page.reload();
    await expect(inkwell.editor.getByRole('heading', { name: 'A Title' })).toBeVisible();
    await expect(inkwell.editor.getByRole('listitem')).toHaveText(['first', 'second']);
    await expect(inkwell.editor.locator('blockquote')).toHaveText('quoted');
  });

  test('create, switch between and delete documents', async ({ inkwell, page }) => {
    await inkwell.type('# First doc\nAlpha text.');
    await inkwell.press('Mod+s');
    await inkwell.expectSaved();

    await inkwell.newDocument();
    await inkwell.type('# Second doc\nBeta text.');
    await expect(inkwell.documentEntry('Second doc')).toHaveAttribute('aria-current', 'page');

    // Switching saves the document being left.
    await inkwell.openDocument('First doc');
    await expect(inkwell.editor).toContainText('Alpha text.');
    await inkwell.openDocument('Second doc');
    await expect(inkwell.editor).toContainText('Beta text.');

    // Most recently edited first.
    await expect(inkwell.sidebar.locator('.doc-title')).toHaveText(['Second doc', 'First doc']);

    // Ctrl/Cmd+N makes a third one.
    await inkwell.editor.click();
    await inkwell.press('Mod+n');
    await expect(inkwell.editor).toHaveText('');
    await expect(inkwell.sidebar.locator('.doc-title')).toHaveCount(3);
    await inkwell.type('Third.');

    // Cancel keeps it; Delete removes it, and the list survives a reload.
    await inkwell.deleteDocument('First doc', 'Cancel');
    await expect(inkwell.documentEntry('First doc')).toBeVisible();
    await inkwell.deleteDocument('First doc', 'Delete');
    await expect(inkwell.documentEntry('First doc')).toHaveCount(0);

    // Deleting the open document opens the next most recent one.
    await inkwell.openDocument('Second doc');
    await inkwell.deleteDocument('Second doc');
    await expect(inkwell.editor).toHaveText('Third.');

    await page.reload();
    await expect(inkwell.sidebar.locator('.doc-title')).toHaveText(['Third.']);
  });

  test('the theme toggle cycles system, light and dark and is remembered', async ({ inkwell, page }) => {
    const html = page.locator('html');
    await expect(html).toHaveAttribute('data-theme', 'system');
    await page.getByRole('button', { name: 'Theme: System' }).click();
    await expect(html).toHaveAttribute('data-theme', 'light');
    await page.getByRole('button', { name: 'Theme: Light' }).click();
    await expect(html).toHaveAttribute('data-theme', 'dark');
    await page.reload();
    await expect(page.getByRole('button', { name: 'Theme: Dark' })).toBeVisible();
    await expect(html).toHaveAttribute('data-theme', 'dark');
    await expect(inkwell.editor).toBeVisible();
  });
});
