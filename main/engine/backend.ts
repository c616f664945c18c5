/**
 * Picks the fastest TensorFlow.js backend this machine can run and says which
 * one runs and why the faster ones did not.
 *
 * Order: tfjs-node-gpu (CUDA) → tfjs-node (native CPU) → wasm (SIMD, one
 * thread in Node) → the pure-JS cpu backend. The native packages are optional
 * dependencies whose install needs a download, so they are imported
 * dynamically and their absence is an expected, reported outcome.
 * `INKWELL_BACKEND` (or the `preferred` argument, which wins) forces one name.
 *
 * Every engine file imports tfjs as `import * as tf from '@tensorflow/tfjs-core'`.
 * In Node that resolves to the CommonJS build, and so do the backend packages'
 * own `require('@tensorflow/tfjs-core')`: one engine instance, one registry.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BackendInfo } from '../../common/contract';
import { installFastWasmKernels } from './wasm-kernels';

/** Names accepted by INKWELL_BACKEND / `preferred`. 'tensorflow' means tfjs-node-gpu or tfjs-node. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;

type Attempt = { name: string; pkg: string; run: () => Promise<string> };

let current: BackendInfo | null = null;

/** The backend chosen by the last successful initBackend, or null before it. */
export function currentBackend(): BackendInfo | null {
  return current;
}

function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') return 'not installed';
  const msg = e?.message ?? String(err);
  return msg.split('\n')[0].slice(0, 300);
}

/**
 * Folder holding the backend's .wasm files. Resolved from this module's own
 * location so that it works from sources, from dist/ bundles, inside the
 * worker, and in a packaged app where node_modules is asar-unpacked.
 */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  // Electron reads .wasm through fs, which cannot see inside an asar archive.
  dir = dir.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  return dir + path.sep;
}

async function importOptional(pkg: string): Promise<void> {
  // A variable specifier keeps bundlers and tsc from resolving a package that may not exist.
  const spec: string = pkg;
  await import(spec);
}

async function tryNative(pkg: string, wantGpu: boolean): Promise<string> {
  await importOptional(pkg);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but backend 'tensorflow' did not start`);
  if (wantGpu) return 'CUDA GPU';
  return 'CPU (native)';
}

async function tryWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmDistDir());
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialize');
  installFastWasmKernels();
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? wasm.getThreadsCount() : 1;
  return `CPU (WebAssembly${simd ? ' SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'})`;
}

async function tryCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialize');
  return 'CPU (JavaScript)';
}

const ATTEMPTS: Attempt[] = [
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node-gpu', run: () => tryNative('@tensorflow/tfjs-node-gpu', true) },
  { name: 'tensorflow', pkg: '@tensorflow/tfjs-node', run: () => tryNative('@tensorflow/tfjs-node', false) },
  { name: 'wasm', pkg: '@tensorflow/tfjs-backend-wasm', run: tryWasm },
  { name: 'cpu', pkg: '@tensorflow/tfjs-backend-cpu', run: tryCpu },
];

/**
 * Starts a backend and returns what runs. With `preferred` (or INKWELL_BACKEND)
 * only that backend is tried, and failing to start it is an error: a forced
 * choice that silently falls back would hide the very problem it was set to test.
 */
export async function initBackend(preferred?: string): Promise<BackendInfo> {
  const forced = (preferred ?? process.env.INKWELL_BACKEND ?? '').trim().toLowerCase();
  if (forced !== '' && !(BACKEND_NAMES as readonly string[]).includes(forced)) {
    throw new Error(`backend '${forced}' is unknown; use one of ${BACKEND_NAMES.join(', ')}`);
  }
  const attempts = forced === '' ? ATTEMPTS : ATTEMPTS.filter((a) => a.name === forced);
  const skipped: BackendInfo['skipped'] = [];
  for (const attempt of attempts) {
    try {
      const device = await attempt.run();
      await tf.ready();
      current = { name: tf.getBackend(), device, skipped };
      return current;
    } catch (err) {
      skipped.push({ name: attempt.pkg, reason: reasonOf(err) });
    }
  }
  const detail = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new Error(`no TensorFlow.js backend could start (${detail})`);
}
