// `npm run bench`: compiles the TypeScript benchmarks with esbuild into a temp
// folder under node_modules/.cache (ES modules resolve packages from where the
// file lies, so it must sit inside the project; tfjs stays external, so the
// same CommonJS tfjs-core instance as the app is used) and runs each in a fresh
// Node process, so that peak RSS is the benchmark's own. Prints one JSON
// object; see bench/README.md. Extra arguments go to the benchmark:
//   npm run bench -- --runs 5 --prompt 128 --new 128 --profile
// INKWELL_BACKEND=cpu|wasm forces a backend.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(root, 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const out = mkdtempSync(path.join(cacheDir, 'inkwell-bench-'));
const benches = { gpt2: 'bench/gpt2-bench.ts' };

try {
  await build({
    entryPoints: Object.fromEntries(Object.entries(benches).map(([k, v]) => [k, path.join(root, v)])),
    outdir: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['@tensorflow/*'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
  const results = {};
  for (const name of Object.keys(benches)) {
    const r = spawnSync(process.execPath, [path.join(out, `${name}.js`), ...process.argv.slice(2)], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`bench ${name} failed with status ${r.status}`);
    results[name] = JSON.parse(r.stdout);
  }
  console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, ...results }, null, 2));
} catch (err) {
  console.error(err.message);
  process.exitCode = 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
