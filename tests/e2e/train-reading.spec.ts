/**
 * "Reading your manuscripts…": a run on a few MB of text shows a determinate
 * reading bar (file n of m, bytes read of all) before its first step, and the
 * step progress replaces it once training starts. The bar's values are
 * recorded in the page by a MutationObserver, so no fast update is missed
 * between two polls.
 */
import { expect, test } from './fixtures';

process.env.INKWELL_TRAIN_OVERRIDES = JSON.stringify({ steps: 3, block: 16, batch: 2, accum: 1, lr: 3e-3, valEvery: 3, sampleEvery: 0 });
// Reading a few MB can take well under a second on an idle machine: 1.2 s after each reading event keeps the bar up long enough to read and to cancel.
process.env.INKWELL_TRAIN_TEST_DELAYS = JSON.stringify({ readingMs: 1200 });

/** About `mb` MB of distinct paragraphs (exact duplicates would be dropped, not read twice). */
function manuscript(mb: number, seed: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < mb * 1e6; i++) {
    const p = `Night ${seed}-${i}. The lamp on the pier burned low, and Mara wrote the weather into the log before the tide turned at ${i % 97} past.`;
    parts.push(p);
    size += p.length + 2;
  }
  return Buffer.from(parts.join('\n\n'));
}

test.setTimeout(240_000);

test('a run on a few MB shows the reading bar rising, then the step progress', async ({ inkwell, page }) => {
  await inkwell.press('Mod+Shift+L');
  const panel = page.getByRole('region', { name: 'Train' });
  await panel.getByLabel('Manuscript files to upload').setInputFiles([
    { name: 'part-one.txt', mimeType: 'text/plain', buffer: manuscript(1.5, 1) },
    { name: 'part-two.txt', mimeType: 'text/plain', buffer: manuscript(1.5, 2) },
  ], { timeout: 60_000 }); // megabytes through the browser: slow on a busy machine
  // Both stay listed (each upload's onAdd used to replace the list with a stale copy plus its own file).
  await expect(panel.getByRole('list', { name: 'Manuscripts' })).toContainText('part-two.txt', { timeout: 60_000 });
  await expect(panel.getByRole('list', { name: 'Manuscripts' })).toContainText('part-one.txt');

  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { readingValues: number[] }).readingValues = seen;
    const record = () => {
      const bar = document.querySelector('[role="progressbar"][aria-label="Reading progress"]');
      const v = bar?.getAttribute('aria-valuenow');
      if (v != null && seen.at(-1) !== Number(v)) seen.push(Number(v));
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  await panel.getByRole('button', { name: 'Start training' }).click();

  const reading = panel.getByRole('progressbar', { name: 'Reading progress' });
  await expect(reading).toBeVisible({ timeout: 60_000 });
  await expect(panel.getByText(/Reading file [12] of 2 — [\d.]+ (KB|MB) of [\d.]+ MB/)).toBeVisible();
  await inkwell.screenshot('train-reading');
  // Cancel is offered while the files are read.
  await expect(panel.getByRole('button', { name: 'Cancel', exact: true })).toBeEnabled();

  const progress = panel.getByRole('progressbar', { name: 'Training progress' });
  await expect(panel.getByLabel('Training result')).toContainText('Finished', { timeout: 180_000 });
  await expect(progress).toHaveAttribute('aria-valuenow', '100');
  await expect(reading).toHaveCount(0);

  const values = await page.evaluate(() => (window as unknown as { readingValues: number[] }).readingValues);
  expect(values.length).toBeGreaterThan(0);
  const rising = values.some((v, i) => i > 0 && v > values[i - 1]);
  expect(rising || values.includes(100), `reading bar values: ${values.join(', ')}`).toBe(true);
});

test('cancelling while the files are read stops the run before any step', async ({ inkwell, page }) => {
  await inkwell.press('Mod+Shift+L');
  const panel = page.getByRole('region', { name: 'Train' });
  await panel.getByLabel('Manuscript files to upload').setInputFiles({ name: 'long.txt', mimeType: 'text/plain', buffer: manuscript(3, 3) }, { timeout: 60_000 });
  await expect(panel.getByRole('list', { name: 'Manuscripts' })).toContainText('long.txt', { timeout: 60_000 });
  await panel.getByRole('button', { name: 'Start training' }).click();
  await expect(panel.getByRole('progressbar', { name: 'Reading progress' })).toBeVisible({ timeout: 60_000 });
  await panel.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(panel.getByLabel('Training result')).toContainText('Cancelled', { timeout: 60_000 });
  await expect(panel.getByLabel('Training and validation loss by step')).toHaveAttribute('data-points', '0');
});
