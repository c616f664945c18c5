/**
 * Two models in one window: Compare runs the same prompt on the active model
 * and another one side by side (the other is a tiny model that disagrees with
 * the fixture, tests/unit/helpers/contrary-model.ts); a document bound to a
 * model writes with it, switching documents switches the model (the status bar
 * and the requests on the wire follow), and a binding to a deleted model falls
 * back to the active model with one notice.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import type { ModelInfo } from '../../common/contract';
import { makeContraryModel } from '../unit/helpers/contrary-model';
import { expect, test } from './fixtures';
import type { InkwellPage } from './pages';
import { rpc } from './rpc';

test.describe.configure({ timeout: 240_000 });

let tmp: string;
let contraryDir: string;
test.beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-e2e-compare-'));
  contraryDir = await makeContraryModel(path.join(tmp, 'contrary'));
});
test.afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function openModelsTab(page: Page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('tab', { name: 'Models' }).click();
  return page.getByRole('region', { name: 'Models' });
}

type SentRequest = { modelId: string | undefined; task: string };

/**
 * Records the engine.generate requests the page sends over its WebSocket (a wrapper on
 * WebSocket.prototype.send, installed before the app's scripts run on every load).
 */
async function watchGenerateRequests(page: Page): Promise<() => Promise<SentRequest[]>> {
  await page.addInitScript(() => {
    const w = window as unknown as { __inkwellSent: string[] };
    w.__inkwellSent = [];
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
      if (typeof data === 'string' && data.includes('engine.generate')) w.__inkwellSent.push(data);
      return send.call(this, data);
    };
  });
  return async () => {
    const frames = await page.evaluate(() => (window as unknown as { __inkwellSent: string[] }).__inkwellSent);
    return frames.flatMap((text) => {
      const task = /"task":"(\w+)"/.exec(text);
      const model = /"modelId":"([a-z0-9-]+)"/.exec(text);
      return task ? [{ task: task[1], modelId: model?.[1] }] : [];
    });
  };
}

async function importContrary(origin: string, token: string): Promise<ModelInfo> {
  const r = await rpc(origin, token, 'models.import', { path: contraryDir, name: 'Contrary' });
  if (!r.ok) throw new Error(`import: ${r.error.message}`);
  return r.value;
}

test('compare two models side by side, insert one column, Esc stops both', async ({ page, inkwell }) => {
  await inkwell.type('The lighthouse keeper climbed the stairs');
  const models = await openModelsTab(page);
  const form = models.getByRole('region', { name: 'Import a model' });
  await form.getByLabel('Folder or archive path').fill(contraryDir);
  await form.getByLabel('Name (optional)').fill('Contrary');
  await form.getByRole('button', { name: 'Import' }).click();
  await expect(models.getByRole('list', { name: 'Installed models' }).getByRole('listitem', { name: 'Contrary' })).toBeVisible();

  await models.getByRole('button', { name: 'Compare two models' }).click();
  const compare = models.getByRole('region', { name: 'Compare two models' });
  await expect(compare.getByLabel('Model B')).toHaveValue('contrary');
  await expect(compare.getByLabel('Prompt')).toHaveValue(/lighthouse keeper climbed the stairs/);
  await compare.getByRole('button', { name: 'Run both' }).click();

  const columnA = compare.getByTestId('compare-a');
  const columnB = compare.getByTestId('compare-b');
  // Each column names the model the engine says wrote it.
  await expect(columnA).toContainText('Written by tiny', { timeout: 30_000 });
  await expect(columnB).toContainText('Written by contrary', { timeout: 30_000 });
  const textA = (await columnA.locator('.compare-text').textContent()) ?? '';
  const textB = (await columnB.locator('.compare-text').textContent()) ?? '';
  expect(textA.trim().length).toBeGreaterThan(0);
  expect(textB.trim().length).toBeGreaterThan(0);
  expect(textB).not.toEqual(textA);
  await columnA.scrollIntoViewIfNeeded();
  await inkwell.screenshot('compare');

  await columnB.getByRole('button', { name: 'Insert the text of Contrary' }).click();
  await expect(inkwell.editor).toContainText(textB.trim().split(/\s+/)[0] ?? '');

  // Regenerate one column: it runs again on its own.
  await columnA.getByRole('button', { name: /^Regenerate with / }).click();
  await expect(columnA).toContainText('Written by tiny', { timeout: 30_000 });

  // Esc while both run stops them; the Run button comes back either way, nothing is left running.
  await compare.getByRole('button', { name: 'Run both' }).click();
  await compare.getByLabel('Prompt').press('Escape');
  await expect(compare.getByRole('button', { name: 'Run both' })).toBeVisible({ timeout: 30_000 });
  await expect(columnA).toHaveAttribute('aria-busy', 'false');
  await expect(columnB).toHaveAttribute('aria-busy', 'false');
});

async function bindTo(page: Page, label: string) {
  await page.getByRole('tab', { name: 'Settings' }).click();
  await page.getByLabel('Model for this document').selectOption({ label });
}

/** Types, and returns the modelId of the suggestion request that followed (the contrary model's suggestion may well be empty). */
async function ghostModel(inkwell: InkwellPage, sent: () => Promise<SentRequest[]>, text: string) {
  const before = (await sent()).length;
  await inkwell.type(text);
  const mine = async () => (await sent()).slice(before).filter((r) => r.task === 'continue');
  await expect.poll(async () => (await mine()).length, { timeout: 15_000 }).toBeGreaterThan(0);
  const list = await mine();
  return list[list.length - 1].modelId;
}

test('a document bound to a model writes with it; switching documents switches the model; a deleted binding falls back once', async ({ page, inkwell, server }) => {
  const requests = await watchGenerateRequests(page);
  // The fixture opened the page before the watcher existed: load it again so its WebSocket is wrapped.
  await inkwell.goto(server.current.url);
  const contrary = await importContrary(server.current.origin, server.current.token);
  const model = inkwell.statusBar.getByTestId('engine-model');

  // Document A: bound to the imported model.
  await inkwell.type('Alpha chapter');
  await inkwell.expectSaved();
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await bindTo(page, 'Contrary');
  await expect(model).toContainText('Contrary');
  expect(await ghostModel(inkwell, requests, ' The sea')).toBe(contrary.id);

  // Document B: unbound, so the active model (the tiny fixture), and no modelId on the wire.
  await inkwell.newDocument();
  await inkwell.type('Beta desk');
  await inkwell.expectSaved();
  await expect(model).toContainText('tiny');
  await expect(model).not.toContainText('Contrary');
  expect(await ghostModel(inkwell, requests, ' The city')).toBeUndefined();

  // Back to A: its model comes back with it.
  await inkwell.openDocument('Alpha chapter');
  await expect(model).toContainText('Contrary');
  expect(await ghostModel(inkwell, requests, ' and')).toBe(contrary.id);

  // The bound model is deleted: A falls back to the active model and says so once.
  const gone = await rpc(server.current.origin, server.current.token, 'models.delete', { id: contrary.id });
  expect(gone.ok).toBe(true);
  await inkwell.openDocument('Beta desk');
  await inkwell.openDocument('Alpha chapter');
  const notice = page.getByTestId('model-fallback-notice');
  await expect(notice).toContainText('no longer installed');
  await expect(model).toContainText('tiny');
  expect(await ghostModel(inkwell, requests, ' then')).toBeUndefined();
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await inkwell.openDocument('Beta desk');
  await inkwell.openDocument('Alpha chapter');
  await expect(model).toContainText('tiny');
  await expect(notice).toBeHidden();
  // The binding itself is kept, with the document's other settings (a re-import under the same id binds again).
  const list = await rpc(server.current.origin, server.current.token, 'documents.list', {});
  const alpha = list.ok ? list.value.find((d) => d.title.startsWith('Alpha chapter')) : undefined;
  expect(alpha).toBeDefined();
  const stored = await rpc(server.current.origin, server.current.token, 'documents.getSettings', { id: alpha?.id ?? 'missing' });
  expect(stored).toMatchObject({ ok: true, value: { modelId: contrary.id } });
});
