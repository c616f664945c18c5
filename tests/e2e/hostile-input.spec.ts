/**
 * What a writer's clipboard and desktop can throw at the editor (BAD-INPUTS G):
 * hostile HTML, very large pastes and dropped files. Nothing may run, nothing
 * may navigate, and the text must still save.
 */
import { expect, test } from './fixtures';
import type { InkwellPage } from './pages';

/** Pastes into the editor through a real ClipboardEvent, as the browser does for Ctrl+V. */
async function paste(inkwell: InkwellPage, data: Record<string, string>): Promise<void> {
  await inkwell.editor.click();
  await inkwell.editor.evaluate((el, items) => {
    const dt = new DataTransfer();
    for (const [type, value] of Object.entries(items)) dt.setData(type, value);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, data);
}

test('pasted HTML with scripts, handlers and javascript: links runs nothing', async ({ inkwell, page }) => {
  const html = [
    '<p>Safe words</p>',
    '<script>window.__pwned = "script"</script>',
    '<img src="x" onerror="window.__pwned = \'img\'">',
    '<a href="javascript:window.__pwned=\'link\'">click me</a>',
    '<iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
    '<svg><script>window.__pwned = "svg"</script></svg>',
    '<p style="background:url(javascript:window.__pwned=1)">styled</p>',
  ].join('');
  await paste(inkwell, { 'text/html': html, 'text/plain': 'Safe words click me styled' });
  await expect(inkwell.editor).toContainText('Safe words');
  await expect(inkwell.editor.locator('script, iframe, img, svg')).toHaveCount(0);
  // A javascript: link may keep its text but never its href.
  for (const href of await inkwell.editor.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))) {
    expect(href.toLowerCase()).not.toContain('javascript:');
  }
  await inkwell.editor.getByText('click me').click().catch(() => undefined);
  expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(new URL(page.url()).pathname).toBe('/');
  await inkwell.expectSaved();
});

test('a 1 MB plain-text paste lands, saves and survives a reload', async ({ inkwell, page }) => {
  test.slow(); // seconds of Lexical work on an idle machine, much more on a busy two-core one
  const paragraph = 'All work and no play makes a dull story. '.repeat(24).trim();
  const text = Array.from({ length: 1_100 }, (_, i) => `${i} ${paragraph}`).join('\n\n');
  expect(text.length).toBeGreaterThan(1_000_000);
  const started = Date.now();
  await paste(inkwell, { 'text/plain': text });
  await expect(inkwell.editor.locator('p').last()).toContainText('1099 All work');
  const pastedMs = Date.now() - started;
  await inkwell.press('Mod+s');
  await inkwell.expectSaved();
  const savedMs = Date.now() - started;
  test.info().annotations.push({ type: 'timing', description: `1 MB paste visible in ${pastedMs} ms, saved in ${savedMs} ms` });
  console.log(`[e2e] 1 MB paste visible in ${pastedMs} ms, saved in ${savedMs} ms`);
  await page.reload();
  await expect(inkwell.editor.locator('p').last()).toContainText('1099 All work', { timeout: 30_000 });
  await expect(inkwell.statusBar).toContainText(/\b\d{3}[,.\s\u00a0\u202f]?\d{3} words/);
});

test('dropping a file or a link on the window does not navigate away', async ({ inkwell, page }) => {
  await inkwell.type('Still here.');
  const prevented = await page.evaluate(() => {
    const results: boolean[] = [];
    for (const make of [
      () => {
        const dt = new DataTransfer();
        dt.items.add(new File(['<h1>evil</h1>'], 'evil.html', { type: 'text/html' }));
        return dt;
      },
      () => {
        const dt = new DataTransfer();
        dt.setData('text/uri-list', 'https://example.org/');
        return dt;
      },
    ]) {
      for (const type of ['dragover', 'drop']) {
        const e = new DragEvent(type, { dataTransfer: make(), bubbles: true, cancelable: true });
        document.body.dispatchEvent(e);
        results.push(e.defaultPrevented);
      }
    }
    return results;
  });
  expect(prevented).toEqual([true, true, true, true]);
  await expect(inkwell.editor).toHaveText('Still here.');
});
