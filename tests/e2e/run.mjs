// `npm run test:e2e`: everything the end-to-end specs need, then Playwright.
//   1. Debian's Chromium at /usr/bin/chromium (never downloads a browser);
//   2. the tiny fixture models (tests/fixtures/make-tiny-models.mjs, idempotent);
//   3. a build in dist/ (node scripts/build.mjs when the server or renderer is missing or
//      older than its sources; E2E_SKIP_BUILD=1 skips the check);
//   4. `playwright test` with any extra arguments, exiting with its code.
// Plain Node ESM so it runs before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = '/usr/bin/chromium';

function run(what, args) {
  console.log(`[e2e] ${what}: node ${args.join(' ')}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`[e2e] ${what} could not start: ${r.error.message}`);
    process.exit(1);
  }
  return r.status ?? 1;
}

if (!existsSync(CHROMIUM)) {
  console.error(
    `[e2e] ${CHROMIUM} not found. The end-to-end tests drive Debian's Chromium and never download a browser; ` +
      'install it with `apt-get install chromium`.',
  );
  process.exit(1);
}

const fixtures = path.join('tests', 'fixtures', 'make-tiny-models.mjs');
if (!existsSync(path.join(root, fixtures))) {
  console.error(`[e2e] ${fixtures} is missing: cannot make the tiny model the specs run on.`);
  process.exit(1);
}
if (run('fixtures', [fixtures]) !== 0) {
  console.error('[e2e] making the tiny fixture models failed (see above).');
  process.exit(1);
}

// Build when an output is missing or older than any source it is built from: a stale
// dist/ would test yesterday's code and pass.
const needed = [path.join('dist', 'main', 'serve.js'), path.join('dist', 'renderer', 'index.html')];
const SOURCE_DIRS = ['common', 'main', 'renderer', 'preload'];

function newestSource() {
  let newest = { file: '', mtimeMs: 0 };
  for (const dir of SOURCE_DIRS) {
    const abs = path.join(root, dir);
    if (!existsSync(abs)) continue;
    for (const entry of readdirSync(abs, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const { mtimeMs } = statSync(file);
      if (mtimeMs > newest.mtimeMs) newest = { file: path.relative(root, file), mtimeMs };
    }
  }
  return newest;
}

function whyBuild() {
  const missing = needed.filter((p) => !existsSync(path.join(root, p)));
  if (missing.length > 0) return `${missing.join(', ')} missing`;
  const oldest = Math.min(...needed.map((p) => statSync(path.join(root, p)).mtimeMs));
  const newest = newestSource();
  return newest.mtimeMs > oldest ? `${newest.file} is newer than dist/` : null;
}

const why = process.env.E2E_SKIP_BUILD === '1' ? null : whyBuild();
if (why !== null) {
  console.log(`[e2e] building: ${why}`);
  if (run('build', [path.join('scripts', 'build.mjs')]) !== 0) {
    console.error('[e2e] the build failed (see above).');
    process.exit(1);
  }
  const still = needed.filter((p) => !existsSync(path.join(root, p)));
  if (still.length > 0) {
    console.error(`[e2e] the build finished but ${still.join(', ')} still missing: is main/serve.ts written?`);
    process.exit(1);
  }
}

const cli = path.join(root, 'node_modules', '@playwright', 'test', 'cli.js');
process.exit(run('playwright', [cli, 'test', ...process.argv.slice(2)]));
