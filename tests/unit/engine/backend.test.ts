import { afterEach, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { currentBackend, initBackend, wasmDistDir } from '../../../main/engine/backend';

const savedEnv = process.env.INKWELL_BACKEND;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.INKWELL_BACKEND;
  else process.env.INKWELL_BACKEND = savedEnv;
});

describe('initBackend', () => {
  test('picks the best available backend and says why the native ones were skipped', async () => {
    delete process.env.INKWELL_BACKEND;
    const info = await initBackend();
    // tfjs-node is not installed on the CI machines; where it is, 'tensorflow' wins.
    expect(['tensorflow', 'wasm']).toContain(info.name);
    if (info.name === 'wasm') {
      expect(info.device).toMatch(/WebAssembly/);
      const names = info.skipped.map((s) => s.name);
      expect(names).toContain('@tensorflow/tfjs-node');
      for (const s of info.skipped) expect(s.reason.length).toBeGreaterThan(0);
    }
    expect(tf.getBackend()).toBe(info.name);
    expect(currentBackend()).toEqual(info);
  });

  test.for([
    { forced: 'cpu', device: /JavaScript/ },
    { forced: 'wasm', device: /WebAssembly SIMD, 1 thread/ },
    { forced: 'WASM ', device: /WebAssembly/ },
  ])('the argument forces $forced', async ({ forced, device }) => {
    const info = await initBackend(forced);
    expect(info.name).toBe(forced.trim().toLowerCase());
    expect(info.device).toMatch(device);
    expect(info.skipped).toEqual([]);
    // The forced backend really computes.
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
    expect(Array.from(y.dataSync())).toEqual([11]);
    y.dispose();
  });

  test('INKWELL_BACKEND forces a backend; the argument wins over it', async () => {
    process.env.INKWELL_BACKEND = 'cpu';
    expect((await initBackend()).name).toBe('cpu');
    expect((await initBackend('wasm')).name).toBe('wasm');
  });

  test('an unknown name is an error that lists the valid ones', async () => {
    await expect(initBackend('metal')).rejects.toThrow(/'metal' is unknown; use one of tensorflow, wasm, cpu/);
  });

  test('a forced backend that cannot start is an error, not a silent fallback', async () => {
    let native = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      native = false;
    }
    if (native) return;
    await expect(initBackend('tensorflow')).rejects.toThrow(/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: not installed/);
  });

  test('the wasm folder holds the SIMD binary', () => {
    const dir = wasmDistDir();
    expect(dir.endsWith(path.sep)).toBe(true);
    expect(existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm'))).toBe(true);
  });
});
