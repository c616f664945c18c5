import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests drive the real renderer, server and engine (with the tiny
 * fixture model) in Debian's Chromium; `npm run test:e2e` (tests/e2e/run.mjs)
 * makes the fixtures and the build first. Each test starts its own server on
 * a fresh data directory (tests/e2e/fixtures.ts), so tests never share state.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  // Two cores on CI machines: one worker keeps the engine's timings sane. Override with E2E_WORKERS.
  workers: Number(process.env.E2E_WORKERS ?? 1),
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  retries: 0,
  forbidOnly: process.env.CI !== undefined,
  reporter: [['list']],
  // E2E_OUTPUT keeps runs that share a checkout from deleting each other's artefacts.
  outputDir: process.env.E2E_OUTPUT ?? 'test-results/e2e',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    viewport: { width: 1200, height: 760 },
    actionTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
