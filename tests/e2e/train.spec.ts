/**
 * The Train screen end to end: a small manuscript, the tiny model, a run
 * sized down by INKWELL_TRAIN_OVERRIDES (honoured only with test hooks) so it
 * finishes in seconds; the chart and progress move, the run finishes with
 * before/after perplexity, and the new model is listed and can be made active.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures';
import { rpc } from './rpc';

// Read by the server this spec starts (server.ts passes process.env on).
process.env.INKWELL_TRAIN_OVERRIDES = JSON.stringify({ steps: 16, block: 16, batch: 2, accum: 1, lr: 3e-3, valEvery: 4, sampleEvery: 8, sampleTokens: 12 });

const MANUSCRIPT = Array.from(
  { length: 60 },
  (_, i) => `Night ${i + 1}. The lamp on the pier burned low, and Mara wrote the weather into the log before the tide turned.`,
).join('\n\n');

test('a fine-tune started from the Train screen runs, finishes, and its model can be used', async ({ inkwell, page, server }) => {
  const file = path.join(server.dataDir, 'lighthouse.txt');
  await writeFile(file, MANUSCRIPT);

  await page.getByRole('button', { name: 'Outline', exact: true }).click();
  await page.getByRole('tab', { name: 'Train' }).click();
  const panel = page.getByRole('region', { name: 'Train' });
  await panel.getByLabel(/Manuscript files/).fill(file);

  await panel.getByRole('button', { name: 'Check files' }).click();
  const report = panel.getByRole('definition').filter({ hasText: /^\d/ });
  await expect(panel.getByLabel('Dataset report')).toContainText('Documents1');
  await expect(report.first()).toBeVisible();

  await panel.getByRole('button', { name: 'Start training' }).click();
  const progress = panel.getByRole('progressbar', { name: 'Training progress' });
  await expect(progress).toBeVisible();
  const chart = panel.getByLabel('Training and validation loss by step');
  // The chart gains points as steps arrive, and the bar fills.
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(3);
  await expect(progress).toHaveAttribute('aria-valuenow', '100', { timeout: 60_000 });

  const result = panel.getByLabel('Training result');
  await expect(result).toContainText('Finished', { timeout: 30_000 });
  await expect(result).toContainText(/Validation perplexity [\d.]+ → [\d.]+/);
  await expect(panel.getByLabel('Latest sample')).toBeVisible();
  await expect(panel.locator('.loss-chart canvas').first()).toBeVisible();
  const name = ((await result.locator('strong').first().textContent()) ?? '').trim();
  expect(name).not.toBe('');
  await inkwell.screenshot('train');

  const listed = await rpc(server.current.origin, server.current.token, 'models.list', {});
  expect(listed.ok && listed.value.find((m) => m.name === name)).toMatchObject({ origin: { kind: 'finetuned', files: ['lighthouse.txt'] } });

  await result.getByRole('button', { name: 'Use this model' }).click();
  await expect(result.getByRole('button', { name: 'In use' })).toBeDisabled({ timeout: 30_000 });
  const after = await rpc(server.current.origin, server.current.token, 'models.list', {});
  const active = after.ok ? after.value.find((m) => m.active) : undefined;
  expect(active?.name).toBe(name);
  // The engine now serves the fine-tune: the next suggestion comes from it.
  const info = await rpc(server.current.origin, server.current.token, 'app.info', {});
  expect(info.ok && info.value.model?.path).toBe(active?.path);

  await page.getByRole('tab', { name: 'Models' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Models' }).getByText(name).first()).toBeVisible();
});
