/**
 * Playwright fixtures: every test gets its own server (fresh temp data
 * directory, tiny model) and an `inkwell` page object already on the app.
 * The server is stopped and the directory removed after the test, whatever
 * happened; on failure the server's output is attached to the report.
 */
import { test as base, expect } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InkwellPage } from './pages';
import { startServer, type ServerHandle } from './server';

export interface AppServer {
  /** The running server; replaced by restart(). */
  current: ServerHandle;
  dataDir: string;
  /** Stops (SIGKILL: a crash, SIGTERM: a clean quit) and starts again on the same data directory. */
  restart(signal: NodeJS.Signals): Promise<ServerHandle>;
}

export const test = base.extend<{ server: AppServer; inkwell: InkwellPage }>({
  // Playwright reads the fixture's dependencies from this destructuring pattern; this one has none.
  // eslint-disable-next-line no-empty-pattern
  server: async ({}, use, testInfo) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'inkwell-e2e-'));
    const log: string[] = [];
    const handle: AppServer = {
      current: await startServer({ dataDir }),
      dataDir,
      async restart(signal) {
        log.push(handle.current.output());
        await handle.current.stop(signal);
        handle.current = await startServer({ dataDir });
        return handle.current;
      },
    };
    try {
      await use(handle);
    } finally {
      log.push(handle.current.output());
      await handle.current.stop('SIGTERM');
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('server-output', { body: log.join('\n--- restart ---\n'), contentType: 'text/plain' });
      }
      await rm(dataDir, { recursive: true, force: true });
    }
  },
  inkwell: async ({ page, server }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const app = new InkwellPage(page);
    await app.goto(server.current.url);
    await use(app);
    // An uncaught exception in the renderer fails the test even if the UI looked right.
    expect(errors, 'uncaught errors in the page').toEqual([]);
  },
});

export { expect };
