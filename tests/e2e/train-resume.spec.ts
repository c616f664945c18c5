/**
 * Resuming an unfinished fine-tune from the Train screen: a run cancelled
 * after its first checkpoint is offered as "Resume '<name>' from step N of M";
 * Resume continues it (the steps go on from the checkpoint) to a registered
 * model. A second cancelled run is discarded (after a confirm): its folder
 * and its uploaded manuscript are removed.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { CallChannel, RequestOf } from '../../common/contract';
import { expect, test } from './fixtures';
import { rpc } from './rpc';

// Read by the server each test starts (server.ts passes process.env on).
process.env.INKWELL_TRAIN_OVERRIDES = JSON.stringify({ steps: 48, block: 16, batch: 2, accum: 1, lr: 3e-3, valEvery: 4, sampleEvery: 0 });
// 100 ms a step: the cancel lands mid-run on any machine (48 tiny steps alone take about a second).
process.env.INKWELL_TRAIN_TEST_DELAYS = JSON.stringify({ stepMs: 100 });

const MANUSCRIPT = Array.from({ length: 60 }, (_, i) => `Night ${i + 1}. The lamp on the pier burned low, and Mara wrote the weather into the log.`).join('\n\n');
const upload = { name: 'lighthouse.txt', mimeType: 'text/plain', buffer: Buffer.from(MANUSCRIPT) };

test.setTimeout(240_000);

test('a cancelled run is offered for resume, resumes from its checkpoint and finishes; another is discarded', async ({ inkwell, page, server }) => {
  await inkwell.press('Mod+Shift+L');
  const panel = page.getByRole('region', { name: 'Train' });
  const chart = panel.getByLabel('Training and validation loss by step');
  const banner = panel.getByRole('region', { name: 'Unfinished training runs' });
  const call = <C extends CallChannel>(channel: C, payload: RequestOf<C>) => rpc(server.current.origin, server.current.token, channel, payload);

  /** Uploads, starts, and cancels once the first checkpoint (step 4) is on disk. */
  const startAndCancel = async () => {
    await panel.getByLabel('Manuscript files to upload').setInputFiles(upload);
    await expect(panel.getByRole('list', { name: 'Manuscripts' })).toContainText('lighthouse.txt');
    await panel.getByRole('button', { name: 'Start training' }).click();
    // Step 5 on the chart means step 4's checkpoint was written (it is saved before the next step starts); 48 steps leave time to cancel.
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(5);
    await panel.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(panel.getByLabel('Training result')).toContainText('Cancelled', { timeout: 30_000 });
    await panel.getByRole('button', { name: 'Train another' }).click();
  };

  await startAndCancel();
  await expect(banner).toContainText(/Resume “.+lighthouse” from step \d+ of 48/);
  await expect(banner).toContainText('You cancelled this run.');
  await inkwell.screenshot('train-resume');
  const [offered] = await call('training.resumable', {}).then((r) => (r.ok ? r.value : []));
  expect(offered).toMatchObject({ reason: 'cancelled', totalSteps: 48 });

  await banner.getByRole('button', { name: 'Resume' }).click();
  await expect(banner).toBeHidden();
  const result = panel.getByLabel('Training result');
  await expect(result).toContainText('Finished after 48 steps', { timeout: 60_000 });
  await expect(panel.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', '100');
  // Only the steps after the checkpoint ran (the chart also holds validation points at checkpoint steps).
  expect(Number(await chart.getAttribute('data-points'))).toBeLessThanOrEqual(48 - offered.step + 1);
  const models = await call('models.list', {});
  expect(models.ok && models.value.some((m) => m.origin.kind === 'finetuned')).toBe(true);
  expect(await call('training.resumable', {})).toEqual({ ok: true, value: [] });
  await expect.poll(async () => (await readdir(path.join(server.dataDir, 'training-inbox'))).length).toBe(0);

  // A second run, cancelled, then discarded: the confirm first, then the folder and the upload go.
  await panel.getByRole('button', { name: 'Train another' }).click();
  await startAndCancel();
  const [second] = await call('training.resumable', {}).then((r) => (r.ok ? r.value : []));
  await banner.getByRole('button', { name: 'Discard' }).click();
  await expect(banner).toContainText('Delete this run and its checkpoints?');
  await banner.getByRole('button', { name: 'Delete' }).click();
  await expect(banner).toBeHidden();
  // The banner goes at once; the folder goes when the main process has removed it.
  await expect.poll(() => existsSync(path.join(server.dataDir, 'runs', second.runId))).toBe(false);
  expect(await call('training.resumable', {})).toEqual({ ok: true, value: [] });
  await expect.poll(async () => (await readdir(path.join(server.dataDir, 'training-inbox'))).length).toBe(0);
});
