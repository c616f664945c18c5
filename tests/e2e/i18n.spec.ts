/**
 * Interface language and accessibility: every control on every main screen
 * has an accessible name; switching to 简体中文 changes the toolbar, the status
 * bar and the tabs at once, survives a reload, and switches back; the light
 * and dark themes both apply (and 'system' follows the OS).
 */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';

const CONTROLS = 'button, input, select, textarea, [role=button], [role=tab], [role=textbox], [role=checkbox], [role=radio], [role=switch], [role=slider]';
const TABS = ['outline', 'ideas', 'memory', 'settings', 'models', 'train'] as const;

/** A short description of a control for the failure message: tag, classes, attributes, text. */
async function describeControl(el: Locator): Promise<string> {
  return el.evaluate((node) => {
    const html = node.outerHTML.replace(/\s+/g, ' ');
    return html.length > 200 ? `${html.slice(0, 200)}…` : html;
  });
}

/** Every visible control on the page without a non-empty accessible name, described. */
async function unnamedControls(page: Page, screen: string): Promise<string[]> {
  const missing: string[] = [];
  for (const el of await page.locator(CONTROLS).all()) {
    if (!(await el.isVisible())) continue;
    // Playwright computes the name as assistive technology does (labels, aria-*, content, title).
    const named = await expect(el)
      .toHaveAccessibleName(/\S/, { timeout: 250 })
      .then(() => true, () => false);
    if (!named) missing.push(`${screen}: ${await describeControl(el)}`);
  }
  return missing;
}

test('every control on every main screen has an accessible name', async ({ inkwell, page }) => {
  test.setTimeout(120_000);
  await inkwell.type('A first sentence to count.');
  const missing = await unnamedControls(page, 'editor');

  await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  missing.push(...(await unnamedControls(page, 'shortcuts')));
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await page.getByRole('button', { name: 'Outline', exact: true }).click();
  for (const name of TABS) {
    const tab = page.locator(`#tab-${name}`);
    await tab.click();
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    await expect(page.locator(`#tabpanel-${name}`)).toBeVisible();
    missing.push(...(await unnamedControls(page, `tab ${name}`)));
  }

  await page.getByRole('button', { name: 'Close the side panel' }).click();
  await page.getByRole('button', { name: 'Focus', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Leave focus' })).toBeVisible();
  missing.push(...(await unnamedControls(page, 'focus mode')));

  expect(missing, 'controls without an accessible name').toEqual([]);
});

test('switching to 简体中文 applies at once, survives a reload and switches back', async ({ inkwell, page }) => {
  await inkwell.type('Three small words');
  const toolbar = page.getByRole('toolbar');
  await expect(toolbar.getByRole('button', { name: 'Continue', exact: true })).toBeVisible();
  await expect(inkwell.statusBar.getByTestId('word-count')).toHaveText('3 words');

  await page.getByTestId('language-toolbar').selectOption('zh-CN');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(toolbar.getByRole('button', { name: '续写', exact: true })).toBeVisible();
  await expect(toolbar.getByRole('button', { name: '保存', exact: true })).toBeVisible();
  await expect(toolbar.getByRole('button', { name: /^主题：/ })).toBeVisible();
  const status = page.getByRole('contentinfo', { name: '状态栏' });
  await expect(status.getByTestId('word-count')).toHaveText('3 字');
  await expect(page.getByRole('status', { name: '保存状态' })).toHaveText('已保存');

  await toolbar.getByRole('button', { name: '大纲', exact: true }).click();
  const tabs = page.getByRole('tablist', { name: '助手面板' });
  for (const label of ['大纲', '灵感', '记忆', '设置', '模型', '训练']) {
    await expect(tabs.getByRole('tab', { name: label, exact: true })).toBeVisible();
  }
  await expect(page.getByRole('region', { name: '大纲' }).getByLabel('选题')).toBeVisible();
  await tabs.getByRole('tab', { name: '记忆', exact: true }).click();
  await expect(page.getByRole('region', { name: '记忆' }).getByRole('heading', { name: '下一次请求' })).toBeVisible();
  await tabs.getByRole('tab', { name: '大纲', exact: true }).click();
  await inkwell.screenshot('editor-zh');

  await page.reload();
  await expect(inkwell.editor).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(toolbar.getByRole('button', { name: '续写', exact: true })).toBeVisible();
  await expect(page.getByTestId('language-toolbar')).toHaveValue('zh-CN');

  // Back to English from the Settings tab.
  await toolbar.getByRole('button', { name: '设置', exact: true }).click();
  // Preset names come from renderer/generation.ts, outside React: they follow the language too.
  await expect(page.locator('#tabpanel-settings').getByText('严谨', { exact: true })).toBeVisible();
  await page.getByTestId('language-settings').selectOption('en');
  await inkwell.screenshot('settings-language');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(toolbar.getByRole('button', { name: 'Continue', exact: true })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Settings', exact: true })).toBeVisible();
  await expect(inkwell.statusBar.getByTestId('word-count')).toHaveText('3 words');
});

test('light and dark themes each apply their palette; system follows the OS', async ({ inkwell, page }) => {
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const LIGHT = 'rgb(251, 250, 247)';
  const DARK = 'rgb(27, 28, 31)';
  await inkwell.type('The lamp burned all night.');
  const themeButton = page.getByRole('button', { name: /^Theme: / });

  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(themeButton).toHaveAccessibleName('Theme: System');
  await expect.poll(background).toBe(DARK);
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(background).toBe(LIGHT);

  // The explicit themes win over the OS.
  await page.emulateMedia({ colorScheme: 'dark' });
  await themeButton.click();
  await expect(themeButton).toHaveAccessibleName('Theme: Light');
  await expect.poll(background).toBe(LIGHT);
  await inkwell.screenshot('theme-light');
  await page.emulateMedia({ colorScheme: 'light' });
  await themeButton.click();
  await expect(themeButton).toHaveAccessibleName('Theme: Dark');
  await expect.poll(background).toBe(DARK);
  // The page and the text follow too (not only the body).
  expect(await page.evaluate(() => getComputedStyle(document.body).color)).toBe('rgb(230, 226, 218)');
  await inkwell.screenshot('theme-dark');
});
