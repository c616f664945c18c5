// Compiles benchmark entries (TypeScript) into one folder for plain Node; tfjs stays external
// so each benchmark process loads the installed backends. Shared by run.mjs and train.mjs.
import { build } from 'esbuild';

export function bundleBenches(entryPoints, outdir) {
  return build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['@tensorflow/*'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
}
