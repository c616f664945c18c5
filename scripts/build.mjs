// Builds every process of the app into dist/:
//   main (Electron entry, CommonJS), preload (CommonJS, sandboxed), the engine worker,
//   the browser-mode server and the CLI (ES modules for plain Node) with esbuild;
//   the renderer with Vite. Runs on `npm ci` (prepare) so a fresh clone is ready to start.
// Builds into a fresh folder and swaps it in at the end, so a server or test
// that is running from dist/ never sees it half-written or missing.
import { build } from 'esbuild';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const OUT = `dist-next-${process.pid}`;
const OLD = `dist-old-${process.pid}`;

const external = [
  'electron',
  '@tensorflow/*',
  'ws',
  'zod',
];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external,
  logLevel: 'warning',
};

const nodeEntries = {
  'main/serve': 'main/serve.ts',
  'main/cli': 'main/cli.ts',
  'main/engine/worker': 'main/engine/worker.ts',
  'main/engine/parallel/rank-worker': 'main/engine/parallel/rank-worker.ts',
  'main/engine/train-worker': 'main/engine/train-worker.ts',
  'main/engine/train/rank-trainer-worker': 'main/engine/train/rank-trainer-worker.ts',
};

export async function buildNode() {
  const present = Object.fromEntries(Object.entries(nodeEntries).filter(([, src]) => existsSync(src)));
  if (Object.keys(present).length > 0) {
    await build({ ...common, entryPoints: present, outdir: OUT, format: 'esm', outExtension: { '.js': '.js' },
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  }
  if (existsSync('main/index.ts')) {
    await build({ ...common, entryPoints: { 'main/index': 'main/index.ts' }, outdir: OUT, format: 'cjs', outExtension: { '.js': '.cjs' } });
  }
  if (existsSync('preload/index.ts')) {
    await build({ ...common, entryPoints: { 'preload/index': 'preload/index.ts' }, outdir: OUT, format: 'cjs', outExtension: { '.js': '.cjs' } });
  }
}

function buildRenderer() {
  if (!existsSync('renderer/index.html')) return;
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn', '--outDir', `../${OUT}/renderer`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

rmSync(OUT, { recursive: true, force: true });
await buildNode();
buildRenderer();
rmSync(OLD, { recursive: true, force: true });
if (existsSync('dist')) renameSync('dist', OLD);
renameSync(OUT, 'dist');
rmSync(OLD, { recursive: true, force: true });
