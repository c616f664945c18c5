// `npm run bench`: compiles the TypeScript benchmarks with esbuild into a temp
// folder under node_modules/.cache (ES modules resolve packages from where the
// file lies, so it must sit inside the project; tfjs stays external, so the
// same CommonJS tfjs-core instance as the app is used) and runs each in a fresh
// Node process, so that peak RSS is the benchmark's own. Prints one JSON
// object; see bench/README.md. Extra arguments go to the benchmark:
//   npm run bench -- --runs 5 --prompt 128 --new 128 --profile --keystrokes 20 --only ghost
// INKWELL_BACKEND=cpu|wasm forces a backend.
import { bundleBenches } from './bundle.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(root, 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const out = mkdtempSync(path.join(cacheDir, 'inkwell-bench-'));
// name → [source, extra arguments]; the *Parallel runs use the two-thread model (--threads 2).
const allBenches = {
  gpt2: ['bench/gpt2-bench.ts', []],
  gpt2Parallel: ['bench/gpt2-bench.ts', ['--threads', '2']],
  ghost: ['bench/ghost-bench.ts', []],
  ghostParallel: ['bench/ghost-bench.ts', ['--threads', '2']],
};
// `--only gpt2,ghost` picks benchmarks; every other argument goes to each benchmark.
const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv.splice(onlyAt, 2)[1].split(',') : Object.keys(allBenches);
const benches = Object.fromEntries(Object.entries(allBenches).filter(([k]) => only.includes(k)));
const sources = { 'gpt2-bench': 'bench/gpt2-bench.ts', 'ghost-bench': 'bench/ghost-bench.ts', 'rank-worker': 'main/engine/parallel/rank-worker.ts' };

try {
  await bundleBenches(Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, path.join(root, v)])), out);
  const results = {};
  for (const [name, [source, extra]] of Object.entries(benches)) {
    const file = path.join(out, `${path.basename(source, '.ts')}.js`);
    const r = spawnSync(process.execPath, [file, ...extra, ...argv], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    // One failing benchmark must not hide the others' figures.
    if (r.status !== 0) {
      results[name] = { error: `exited with status ${r.status}` };
      process.exitCode = 1;
    } else results[name] = JSON.parse(r.stdout);
  }
  console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, ...results }, null, 2));
} catch (err) {
  console.error(err.message);
  process.exitCode = 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
