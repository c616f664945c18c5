// Bundles a worker entry (TypeScript) into a fresh temp folder so a test can start it in a
// real worker_thread without a project build; the same esbuild settings scripts/build.mjs uses.
import { build } from 'esbuild';
import { mkdtemp, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Returns the temp folder (the caller removes it) and the bundled file inside it. */
export async function bundleWorker(entryPoint: string, tmpPrefix: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  // The bundle keeps packages external; a node_modules link lets it resolve them from the temp dir.
  await symlink(path.resolve('node_modules'), path.join(dir, 'node_modules'), 'dir');
  const file = path.join(dir, `${path.basename(entryPoint, '.ts')}.js`);
  await build({
    entryPoints: [entryPoint],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return { dir, file };
}
