/**
 * The Train screen end to end: a small manuscript uploaded through the file
 * input (the browser-mode way: the page never knows a File's path), the tiny
 * model, a run sized down by INKWELL_TRAIN_OVERRIDES (honoured only with test
 * hooks) so it finishes in seconds; the chart and progress move, the run
 * finishes with before/after perplexity and samples by step, and the new model
 * is listed and can be made active. A second test reloads the page mid-run
 * and finds the run again (training.current + training.watch).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures';
import { rpc } from './rpc';

// Read by the server each test starts (server.ts passes process.env on).
process.env.INKWELL_TRAIN_OVERRIDES = JSON.stringify({ steps: 16, block: 16, batch: 2, accum: 1, lr: 3e-3, valEvery: 4, sampleEvery: 8, sampleTokens: 12 });
// A tiny model's 16 steps take well under a second: 150 ms a step leaves time to pause mid-run.
process.env.INKWELL_TRAIN_TEST_DELAYS = JSON.stringify({ stepMs: 150 });

const MANUSCRIPT = Array.from(
  { length: 60 },
  (_, i) => `Night ${i + 1}. The lamp on the pier burned low, and Mara wrote the weather into the log before the tide turned.`,
).join('\n\n');
const upload = { name: 'lighthouse.txt', mimeType: 'text/plain', buffer: Buffer.from(MANUSCRIPT) };

// Two short runs plus an engine reload: generous on a machine shared by many test runs.
test.setTimeout(240_000);

test('a manuscript uploaded on the Train screen trains, finishes with samples by step, and its model can be used', async ({ inkwell, page, server }) => {
  await page.getByRole('toolbar', { name: 'Document actions' }).getByRole('button', { name: 'Train', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Train' });
  await expect(panel).toBeVisible();

  // A file the reader cannot use is refused before upload; the manuscript is uploaded and listed.
  await panel.getByLabel('Manuscript files to upload').setInputFiles([{ name: 'cover.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50]) }, upload]);
  await expect(panel.getByRole('alert')).toContainText('cover.png');
  await expect(panel.getByRole('list', { name: 'Manuscripts' })).toContainText('lighthouse.txt');

  await panel.getByRole('button', { name: 'Check files' }).click();
  await expect(panel.getByLabel('Dataset report')).toContainText('Documents1');

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
  // Samples by step: one per sample the run wrote (steps 8 and 16), each with its validation loss.
  const samples = panel.getByRole('region', { name: 'Samples by step' });
  await expect(samples.locator('.checkpoint-sample')).toHaveCount(2);
  await expect(samples).toContainText(/Step 8 · validation loss [\d.]+/);
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

test('a reload mid-run reattaches: the chart and progress come back and the run finishes', async ({ inkwell, page, server }) => {
  await inkwell.press('Mod+Shift+L');
  const panel = page.getByRole('region', { name: 'Train' });
  await panel.getByLabel('Manuscript files to upload').setInputFiles(upload);
  await expect(panel.getByRole('list', { name: 'Manuscripts' })).toContainText('lighthouse.txt');
  await panel.getByRole('button', { name: 'Start training' }).click();
  const chart = panel.getByLabel('Training and validation loss by step');
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(1);
  // Paused, the run cannot finish while the page is away, so the reload lands mid-run every time.
  await panel.getByRole('button', { name: 'Pause' }).click();
  await expect(panel.getByText(/· paused/)).toBeVisible({ timeout: 30_000 });
  const pointsBefore = Number(await chart.getAttribute('data-points'));

  await page.reload();
  await expect(inkwell.editor).toBeVisible();
  const current = await rpc(server.current.origin, server.current.token, 'training.current', {});
  expect(current.ok && current.value).toMatchObject({ phase: 'paused' });
  await page.getByRole('toolbar', { name: 'Document actions' }).getByRole('button', { name: 'Train', exact: true }).click();
  await expect(panel.getByText('Reconnected to the run in progress.')).toBeVisible();
  await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(pointsBefore);
  await expect(panel.getByRole('progressbar', { name: 'Training progress' })).not.toHaveAttribute('aria-valuenow', '0');

  await panel.getByRole('button', { name: 'Resume' }).click();
  await expect(panel.getByLabel('Training result')).toContainText('Finished', { timeout: 60_000 });
  await expect(panel.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', '100');
  const after = await rpc(server.current.origin, server.current.token, 'training.current', {});
  expect(after.ok && after.value).toBeNull();
  // The run's uploaded copy is removed once the run is over.
  await expect.poll(async () => (await readdir(path.join(server.dataDir, 'training-inbox'))).length).toBe(0);
});
