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

    // Delete removes it at once (Undo is offered instead of a question), and the list survives a reload.
    await inkwell.deleteDocument('First doc');
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

test.describe('the document list', () => {
  test('rename inline: F2 or double-click, Enter keeps, Esc cancels; the name survives typing and a reload', async ({ inkwell, page }) => {
    await inkwell.type('# Working title\nSome words.');
    await inkwell.press('Mod+s');
    await inkwell.expectSaved();

    await inkwell.documentEntry('Working title').focus();
    await page.keyboard.press('F2');
    const input = inkwell.sidebar.getByRole('textbox', { name: 'New title for Working title' });
    await input.fill('Never mind');
    await page.keyboard.press('Escape');
    await expect(inkwell.documentEntry('Working title')).toBeVisible();

    await inkwell.documentEntry('Working title').dblclick();
    await input.fill('The Final Name');
    await page.keyboard.press('Enter');
    await expect(inkwell.documentEntry('The Final Name')).toBeVisible();

    // The title no longer follows the first line, and the text itself is untouched.
    await inkwell.type(' More.');
    await inkwell.expectSaved();
    await expect(inkwell.documentEntry('The Final Name')).toBeVisible();
    await expect(inkwell.editor.getByRole('heading', { name: 'Working title' })).toBeVisible();
    await page.reload();
    await expect(inkwell.documentEntry('The Final Name')).toBeVisible();
  });

  test('search by title filters the list, says when nothing matches, and Ctrl+Shift+O focuses it', async ({ inkwell, page }) => {
    await inkwell.type('# Apples and pears');
    await inkwell.expectSaved();
    await inkwell.newDocument();
    await inkwell.type('# Café notes');
    await inkwell.expectSaved();

    const search = inkwell.sidebar.getByRole('searchbox', { name: 'Search documents' });
    await inkwell.editor.click();
    await inkwell.press('Mod+Shift+O');
    await expect(search).toBeFocused();
    await page.keyboard.type('cafe');
    await expect(inkwell.sidebar.locator('.doc-title')).toHaveText(['Café notes']);
    await search.fill('zebra');
    await expect(inkwell.sidebar.locator('.doc-title')).toHaveCount(0);
    await expect(inkwell.sidebar.getByText('No match')).toBeVisible();
    await search.fill('');
    await expect(inkwell.sidebar.locator('.doc-title')).toHaveCount(2);
  });

  test('delete shows Undo, which brings the document back with its text', async ({ inkwell, page }) => {
    await inkwell.type('# Keep me\nPrecious words.');
    await inkwell.expectSaved();
    await inkwell.newDocument();
    await inkwell.type('Other.');

    await inkwell.deleteDocument('Keep me');
    await expect(inkwell.documentEntry('Keep me')).toHaveCount(0);
    await inkwell.undoToast.getByRole('button', { name: 'Undo' }).click();
    await expect(inkwell.documentEntry('Keep me')).toHaveAttribute('aria-current', 'page');
    await expect(inkwell.editor).toContainText('Precious words.');
    await expect(inkwell.undoToast).toHaveCount(0);
    await page.reload();
    await expect(inkwell.documentEntry('Keep me')).toBeVisible();
  });

  test('open a .txt file as a new document, and export it as .md and .docx', async ({ inkwell, page }) => {
    await page.getByTestId('open-file-input').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('First line of notes\nsecond line with *stars*\n'),
    });
    await expect(inkwell.documentEntry('First line of notes')).toHaveAttribute('aria-current', 'page');
    await expect(inkwell.editor.locator('p')).toHaveText(['First line of notes', 'second line with *stars*']);

    const exportGroup = inkwell.sidebar.getByRole('group', { name: 'Export' });
    const [md] = await Promise.all([page.waitForEvent('download'), exportGroup.getByRole('button', { name: 'Markdown (.md)' }).click()]);
    expect(md.suggestedFilename()).toBe('First line of notes.md');
    const mdPath = await md.path();
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(mdPath, 'utf8')).toBe('First line of notes\n\nsecond line with \\*stars\\*');

    const [docx] = await Promise.all([page.waitForEvent('download'), exportGroup.getByRole('button', { name: 'Word (.docx)' }).click()]);
    expect(docx.suggestedFilename()).toBe('First line of notes.docx');
    const bytes = await readFile(await docx.path());
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK'); // a zip, as .docx files are
  });
});
