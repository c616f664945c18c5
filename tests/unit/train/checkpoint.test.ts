import { describe, expect, test } from 'vitest';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newMoments } from '../../../main/engine/train/adamw';
import { loadLatestCheckpoint, saveCheckpoint, type TrainerState } from '../../../main/engine/train/checkpoint';
import { readSafetensorsInfo } from '../../../main/engine/safetensors';
import { MICRO, randomStore, withTempDir } from './helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');

function state(step: number): TrainerState {
  return { version: 1, step, cursor: { epoch: 0, index: step }, lrScale: 1, microBatch: 1, accum: 1, tokensSeen: step * 8, elapsedMs: 0, evals: [], options: { seed: 1 } };
}

describe('checkpoints', () => {
  test('a complete HF folder plus optimizer state, read back exactly', async () => {
    await withTempDir(async (run) => {
      const store = randomStore(MICRO, 1);
      const moments = new Map([['ln_f.bias', newMoments(MICRO.nEmbd)]]);
      moments.get('ln_f.bias')!.v[3] = 0.125;
      const dir = await saveCheckpoint({ runDir: run, store, moments, state: state(7), modelDir: TINY, keep: 2 });
      expect((await readdir(dir)).sort()).toEqual(['config.json', 'generation_config.json', 'merges.txt', 'model.safetensors', 'optimizer.safetensors', 'trainer-state.json', 'vocab.json']);
      const info = await readSafetensorsInfo(path.join(dir, 'model.safetensors'));
      expect(info.tensors.get('transformer.h.1.mlp.c_fc.weight')?.shape).toEqual([8, 32]);
      expect(info.tensors.has('lm_head.weight')).toBe(false); // tied, as transformers saves it
      expect(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'gpt2', n_layer: 2, n_embd: 8 });
      const back = (await loadLatestCheckpoint(run))!;
      expect(back.state).toEqual(state(7));
      for (const [name, d] of store.data) expect(back.store.data.get(name)).toEqual(d);
      expect(back.moments.get('ln_f.bias')!.v[3]).toBe(0.125);
    });
  });

  test('keeps the last M and the best; leftovers of a crash are ignored and swept', async () => {
    await withTempDir(async (run) => {
      const store = randomStore(MICRO, 2);
      const losses = [3, 1, 2, 2.5, 2.6];
      for (let i = 0; i < losses.length; i++) {
        if (i === 3) {
          // A crash mid-write leaves a hidden temp folder; it must never be taken for a checkpoint.
          await mkdir(path.join(run, 'checkpoints', '.inkwell-tmp-step-000004-dead'), { recursive: true });
          await writeFile(path.join(run, 'checkpoints', '.inkwell-tmp-step-000004-dead', 'model.safetensors'), 'half');
        }
        await saveCheckpoint({ runDir: run, store, moments: new Map(), state: state(i + 1), modelDir: TINY, keep: 2, valLoss: losses[i] });
      }
      expect((await readdir(path.join(run, 'checkpoints'))).sort()).toEqual(['latest.json', 'step-000002', 'step-000004', 'step-000005']);
      const pointer = JSON.parse(await readFile(path.join(run, 'checkpoints', 'latest.json'), 'utf8'));
      expect(pointer).toMatchObject({ latest: 'step-000005', best: { dir: 'step-000002', valLoss: 1 } });
      expect((await loadLatestCheckpoint(run))!.state.step).toBe(5);
    });
  });

  test('a run without checkpoints has nothing to resume', async () => {
    await withTempDir(async (run) => {
      expect(await loadLatestCheckpoint(run)).toBeNull();
    });
  });
});
