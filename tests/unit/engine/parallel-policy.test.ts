import { describe, expect, test } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chooseThreads, findRankWorker, MIN_CORES_FOR_PARALLEL } from '../../../main/engine/parallel/policy';

const worker = new URL('file:///app/dist/main/engine/parallel/rank-worker.js');

describe('chooseThreads', () => {
  test.for([
    { name: 'INKWELL_THREADS=1 forces one', env: '1', backend: 'wasm', cores: 16, url: worker, threads: 1 },
    { name: 'INKWELL_THREADS=2 forces two', env: '2', backend: 'wasm', cores: 2, url: worker, threads: 2 },
    { name: 'two need the rank worker bundle', env: '2', backend: 'wasm', cores: 16, url: null, threads: 1 },
    { name: 'native backends thread by themselves', env: '', backend: 'tensorflow', cores: 16, url: worker, threads: 1 },
    { name: 'too few cores', env: undefined, backend: 'wasm', cores: MIN_CORES_FOR_PARALLEL - 1, url: worker, threads: 1 },
    { name: 'enough cores on wasm', env: undefined, backend: 'wasm', cores: MIN_CORES_FOR_PARALLEL, url: worker, threads: 2 },
  ])('$name', ({ env, backend, cores, url, threads }) => {
    const plan = chooseThreads({ env, backend, cores, workerUrl: url, prefixCacheKeepsRemote: true });
    expect(plan.threads).toBe(threads);
    expect(plan.reason).not.toBe('');
    expect(plan.workerUrl).toBe(threads === 2 ? url : undefined);
  });

  test('an unknown INKWELL_THREADS is an error that names it', () => {
    expect(() => chooseThreads({ env: '4', backend: 'wasm', cores: 8, workerUrl: worker, prefixCacheKeepsRemote: true })).toThrow(/INKWELL_THREADS='4'/);
  });

  test('never two while the prefix cache would drop rank 1 heads, even when forced', () => {
    const plan = chooseThreads({ env: '2', backend: 'wasm', cores: 16, workerUrl: worker, prefixCacheKeepsRemote: false });
    expect(plan).toMatchObject({ threads: 1, reason: expect.stringMatching(/KVCache.remote/) });
  });
});

describe('findRankWorker', () => {
  test('finds the bundle beside the engine worker or below the CLI, else null', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inkwell-policy-'));
    try {
      const engineDir = path.join(dir, 'main', 'engine');
      expect(findRankWorker(pathToFileURL(path.join(engineDir, 'worker.js')))).toBeNull();
      await mkdir(path.join(engineDir, 'parallel'), { recursive: true });
      const bundle = path.join(engineDir, 'parallel', 'rank-worker.js');
      await writeFile(bundle, '');
      expect(findRankWorker(pathToFileURL(path.join(engineDir, 'worker.js')))?.href).toBe(pathToFileURL(bundle).href);
      expect(findRankWorker(pathToFileURL(path.join(dir, 'main', 'cli.js')))?.href).toBe(pathToFileURL(bundle).href);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
