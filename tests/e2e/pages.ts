/**
 * The page object for Inkwell's window: small verbs over role- and
 * text-based locators, so specs read like what a writer does.
 */
import { expect, type Locator, type Page } from '@playwright/test';

const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';

export class InkwellPage {
  readonly editor: Locator;
  readonly saveState: Locator;
  readonly sidebar: Locator;
  readonly continuePanel: Locator;
  readonly statusBar: Locator;
  /** The block showing ghost text (its data-ghost attribute holds the suggestion). */
  readonly ghost: Locator;
  /** The editor shell's data-ghost-state: idle | waiting | streaming | shown. */
  readonly ghostState: Locator;

  constructor(readonly page: Page) {
    this.editor = page.getByRole('textbox', { name: 'Document text' });
    this.saveState = page.getByRole('status', { name: 'Save state' });
    this.sidebar = page.getByRole('navigation', { name: 'Documents' });
    this.continuePanel = page.getByRole('region', { name: 'Continuation' });
    this.statusBar = page.getByRole('contentinfo', { name: 'Status' });
    this.ghost = page.locator('.editor-content .ghost-host[data-ghost]');
    this.ghostState = page.locator('.editor-shell');
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.editor).toBeVisible();
  }

  /** Types at the end of the document, as a writer would after clicking into it. */
  async type(text: string): Promise<void> {
    await this.editor.click();
    await this.page.keyboard.press(`${MOD}+End`);
    await this.page.keyboard.type(text);
  }

  async press(keys: string): Promise<void> {
    await this.page.keyboard.press(keys.replace('Mod', MOD));
  }

  async expectSaved(): Promise<void> {
    await expect(this.saveState).toHaveText('Saved');
  }

  /** The sidebar entry whose title is `title` (the button's name also holds its date and word count). */
  documentEntry(title: string): Locator {
    return this.sidebar.getByRole('button', { name: title }).and(this.sidebar.locator('.doc-open'));
  }

  async newDocument(): Promise<void> {
    await this.sidebar.getByRole('button', { name: 'New' }).click();
    await expect(this.editor).toHaveText('');
  }

  async openDocument(title: string): Promise<void> {
    await this.documentEntry(title).click();
    await expect(this.documentEntry(title)).toHaveAttribute('aria-current', 'page');
  }

  /** Deletes at once (the sidebar offers Undo in a toast instead of asking first). */
  async deleteDocument(title: string): Promise<void> {
    await this.sidebar.getByRole('button', { name: `Delete ${title}` }).click();
    await expect(this.undoToast).toContainText(`Deleted “${title}”`);
  }

  /** The "Deleted 'X' — Undo" toast of the last delete. */
  get undoToast(): Locator {
    return this.sidebar.locator('.toast');
  }

  /** Machine-written text in the editor (marked whether or not the underline is shown). */
  get machineText(): Locator {
    return this.editor.locator('.ai-text');
  }

  /** Types, pauses, and waits until a finished suggestion is shown; returns its text. */
  async typeAndWaitForGhost(text: string): Promise<string> {
    await this.type(text);
    await expect(this.ghostState).toHaveAttribute('data-ghost-state', 'shown', { timeout: 30_000 });
    return (await this.ghost.getAttribute('data-ghost')) ?? '';
  }

  /** Saves a screenshot for review under test-results/screenshots/. */
  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: `test-results/screenshots/${name}.png` });
  }

  /** Clicks Continue and waits until the continuation has finished streaming. */
  async continueWriting(): Promise<string> {
    await this.page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(this.continuePanel).toBeVisible();
    await expect(this.continuePanel).toHaveAttribute('aria-busy', 'false');
    return (await this.continuePanel.getByTestId('continuation-text').textContent()) ?? '';
  }
}
