/**
 * The Models tab end to end: download a model from a local HTTP server (the
 * tiny fixture model under a test-only catalogue name, served slowly enough
 * to see the progress bar), pause and resume it, see it in the installed list,
 * switch to it and see the engine load it at once.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { InkwellPage } from './pages';
import { startServer, TINY_MODEL, type ServerHandle } from './server';

const REPO = 'inkwell-test/tiny';
const NAME = 'e2e-tiny';
const DISPLAY = 'Tiny test model';
const FILES = ['config.json', 'vocab.json', 'merges.txt', 'model.safetensors'];
/** About 2.5 MB/s: the 15 MB model takes a few seconds, long enough to see and pause the bar. */
const CHUNK_BYTES = 32 * 1024;
const CHUNK_EVERY_MS = 12;

/** Serves /<repo>/resolve/main/<file> with Range support, a chunk at a time. */
async function startSlowServer(files: Map<string, Buffer>): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = decodeURIComponent(req.url ?? '').replace(`/${REPO}/resolve/main/`, '');
    const body = files.get(file);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      return;
    }
    const headers: Record<string, string | number> = { 'Content-Length': body.length - start, 'Accept-Ranges': 'bytes' };
    if (m) headers['Content-Range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(m ? 206 : 200, headers);
    let at = start;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      const end = Math.min(body.length, at + CHUNK_BYTES);
      res.write(body.subarray(at, end));
      at = end;
      if (at >= body.length) {
        clearInterval(timer);
        res.end();
      }
    }, CHUNK_EVERY_MS);
    res.on('close', () => clearInterval(timer));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

let dir: string;
let app: ServerHandle;
let files: { baseUrl: string; close: () => Promise<void> };

test.beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-e2e-models-'));
  const bytes = new Map<string, Buffer>();
  for (const f of FILES) bytes.set(f, await fs.readFile(path.join(TINY_MODEL, f)));
  files = await startSlowServer(bytes);
  // TEST ONLY (main/services/app-services.ts testCatalogue): one entry, with real sizes and hashes.
  const catalogue = [{
    name: NAME,
    displayName: DISPLAY,
    repo: REPO,
    revision: 'main',
    parameters: 0,
    files: FILES.map((f) => ({ name: f, size: bytes.get(f)!.length, sha256: createHash('sha256').update(bytes.get(f)!).digest('hex') })),
  }, {
    // The same files under a catalogue that expects other bytes: a checksum mismatch.
    name: 'e2e-damaged',
    displayName: 'Damaged test model',
    repo: REPO,
    revision: 'main',
    parameters: 0,
    files: [{ name: 'config.json', size: bytes.get('config.json')!.length, sha256: '0'.repeat(64) }],
  }];
  const catalogueFile = path.join(dir, 'catalogue.json');
  await fs.writeFile(catalogueFile, JSON.stringify(catalogue));
  app = await startServer({
    dataDir: path.join(dir, 'data'),
    env: { INKWELL_MODELS_BASE_URL: files.baseUrl, INKWELL_TEST_CATALOGUE: catalogueFile },
  });
});

// Playwright reads a hook's fixtures from this destructuring pattern; this one needs none.
// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => {
  await app.stop('SIGTERM');
  await files.close();
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('server-output', { body: app.output(), contentType: 'text/plain' });
  await fs.rm(dir, { recursive: true, force: true });
});

test('download with progress, pause and resume, then Use switches the engine at once', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const inkwell = new InkwellPage(page);
  await inkwell.goto(app.url);
  await inkwell.typeAndWaitForGhost('The lighthouse keeper');
  await expect(inkwell.statusBar.getByTestId('engine-model')).toContainText('tiny (');

  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('tab', { name: 'Models' }).click();
  const models = page.getByRole('region', { name: 'Models' });
  const card = models.getByRole('listitem', { name: DISPLAY });
  await expect(card).toContainText('MB');

  await card.getByRole('button', { name: `Download ${DISPLAY}` }).click();
  const bar = card.getByRole('progressbar', { name: `Downloading ${DISPLAY}` });
  await expect(bar).toBeVisible();
  await expect(card).toContainText(/MB\/s · \d+ s left/);
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(5);
  await card.getByRole('button', { name: `Pause ${DISPLAY}` }).click();
  await expect(card).toContainText(/Paused at [\d.]+ (KB|MB) of 14 MB/);
  await expect(card.getByRole('progressbar', { name: `${DISPLAY}, paused` })).toHaveAttribute('aria-valuenow', /\d+/);
  await inkwell.screenshot('models-paused');

  await card.getByRole('button', { name: `Resume ${DISPLAY}` }).click();
  await expect(card.getByText('Installed', { exact: true })).toBeVisible({ timeout: 30_000 });
  const installed = models.getByRole('list', { name: 'Installed models' });
  const downloaded = installed.getByRole('listitem', { name: DISPLAY });
  await expect(downloaded).toContainText(`Downloaded · from ${NAME}`);
  await expect(models.getByRole('status')).toContainText(`${DISPLAY} was downloaded and checked`);

  await downloaded.getByRole('button', { name: `Use ${DISPLAY}` }).click();
  await expect(downloaded.getByText('Active', { exact: true })).toBeVisible();
  await expect(models.getByTestId('models-engine-model')).toContainText(`${NAME} (`);
  await expect(inkwell.statusBar.getByTestId('engine-model')).toContainText(`${NAME} (`);
  await inkwell.screenshot('models');

  // The next suggestion comes from the new engine.
  await inkwell.editor.click();
  await inkwell.typeAndWaitForGhost(' walked');
  expect(errors, 'uncaught errors in the page').toEqual([]);
});

test('a damaged download is refused; import shows the validation error verbatim; delete asks first', async ({ page }) => {
  const inkwell = new InkwellPage(page);
  await inkwell.goto(app.url);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('tab', { name: 'Models' }).click();
  const models = page.getByRole('region', { name: 'Models' });

  const damaged = models.getByRole('listitem', { name: 'Damaged test model' });
  await damaged.getByRole('button', { name: 'Download Damaged test model' }).click();
  await expect(damaged.getByRole('alert')).toContainText(/damaged \(its checksum does not match\).*nothing was installed/);
  await expect(models.getByRole('list', { name: 'Installed models' }).getByRole('listitem')).toHaveCount(1);
  const form = models.getByRole('region', { name: 'Import a model' });

  const bad = path.join(dir, 'pickled');
  await fs.mkdir(bad);
  await fs.writeFile(path.join(bad, 'pytorch_model.bin'), 'not really');
  await form.getByLabel('Folder or archive path').fill(bad);
  await form.getByRole('button', { name: 'Import' }).click();
  await expect(form.getByRole('alert')).toContainText('pytorch_model.bin');

  await form.getByLabel('Folder or archive path').fill(TINY_MODEL);
  await form.getByLabel('Name (optional)').fill('My copy');
  await form.getByRole('button', { name: 'Import' }).click();
  const copy = models.getByRole('list', { name: 'Installed models' }).getByRole('listitem', { name: 'My copy' });
  await expect(copy).toContainText('Imported');

  await copy.getByRole('button', { name: 'Rename My copy' }).click();
  await copy.getByLabel('New name').fill('Poetry');
  await copy.getByLabel('New name').press('Enter');
  const poetry = models.getByRole('list', { name: 'Installed models' }).getByRole('listitem', { name: 'Poetry' });
  await expect(poetry).toBeVisible();

  await poetry.getByRole('button', { name: 'Delete Poetry' }).click();
  const confirm = poetry.getByRole('alertdialog', { name: 'Delete Poetry?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(poetry).toBeVisible();
  await poetry.getByRole('button', { name: 'Delete Poetry' }).click();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(poetry).toBeHidden();
  await expect(models.getByRole('status')).toHaveText('Poetry was deleted.');
});
