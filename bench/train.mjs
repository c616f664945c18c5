// `npm run bench:train`: GPT-2 124M training-step throughput on the current backend (wasm here):
// the full fine-tune and the cheap one (last 2 blocks, embeddings frozen), each in a fresh Node
// process so that peak RSS is its own. Compiles bench/train/train-bench.ts with esbuild into a
// temp folder under node_modules/.cache (tfjs stays external: the app's CommonJS instance).
// Prints one JSON object. Extra arguments go to each mode, e.g.
//   npm run bench:train -- --runs 5 --batch 4 --block 256     (defaults)
//   npm run bench:train -- --layers 2 --runs 2                (a quick smoke run)
//   npm run bench:train -- --threads 2                        (data-parallel over two threads)
import { bundleBenches } from './bundle.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(root, 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const out = mkdtempSync(path.join(cacheDir, 'inkwell-bench-train-'));
const extra = process.argv.slice(2);
const only = extra.includes('--mode') ? [extra[extra.indexOf('--mode') + 1]] : ['full', 'cheap'];
const passThrough = extra.filter((a, i) => a !== '--mode' && extra[i - 1] !== '--mode');

try {
  // The data-parallel rank worker goes beside the bench (findRankTrainerWorker looks there).
  await bundleBenches({ train: path.join(root, 'bench/train/train-bench.ts'), 'rank-trainer-worker': path.join(root, 'main/engine/train/rank-trainer-worker.ts') }, out);
  const results = {};
  for (const mode of only) {
    const r = spawnSync(process.execPath, [path.join(out, 'train.js'), '--mode', mode, ...passThrough], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    });
    results[mode] = r.status === 0 ? JSON.parse(r.stdout) : { error: `exit status ${r.status} (signal ${r.signal})` };
  }
  const full = results.full?.tokensPerSec;
  const cheapTps = results.cheap?.tokensPerSec;
  console.log(JSON.stringify({
    date: new Date().toISOString(), node: process.version, cpus: os.cpus().length,
    ...results,
    ...(full && cheapTps ? { cheapOverFull: +(cheapTps / full).toFixed(2) } : {}),
  }, null, 2));
} finally {
  rmSync(out, { recursive: true, force: true });
}
