// BAD-INPUTS I.4, for real: a child process runs the real trainer on the tiny
// model with a checkpoint after every step, and is SIGKILLed at seeded random
// moments (many of them inside a checkpoint write: a write is most of a step).
// After every kill: each checkpoint folder present is complete and loads,
// latest.json names one of them, the latest step never goes backwards, and no
// half-written folder is visible under a step name. At the end a resumed step
// runs in this process from the last checkpoint.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { initBackend } from '../../../main/engine/backend';
import { readSafetensors } from '../../../main/engine/safetensors';
import { CHECKPOINTS_DIR, LATEST_FILE, loadLatestCheckpoint, stepDirName, type CheckpointPointer, type TrainerState } from '../../../main/engine/train/checkpoint';
import { runTraining } from '../../../main/engine/train/run-training';
import { TEMP_PREFIX } from '../../../main/services/atomic-write';
import { storyText } from '../train/helpers';
import { bundleChild, faultRng, killAfter, scaled, startChild, timeBudgetMs } from './fault-helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');
const KILLS = scaled(20);
/** Each kill costs a child start-up (4-8 s on the loaded 2-core dev box): the loop stops at this budget with at least MIN_KILLS. */
const BUDGET_MS = timeBudgetMs(45_000);
const MIN_KILLS = Math.min(KILLS, scaled(6));
/** Kills land this long (ms) after the child's first step of its session: spans several steps and writes. */
const MAX_DELAY_MS = 600;
const CHECKPOINT_FILES = ['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer-state.json', 'vocab.json', 'merges.txt'];

let bundle: { dir: string; file: string };
let pruneBundle: { dir: string; file: string };
let work: string;

beforeAll(async () => {
  bundle = await bundleChild('train-loop');
  pruneBundle = await bundleChild('prune-once');
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-checkpoint-kill-'));
  await fsp.writeFile(path.join(work, 'story.txt'), storyText(30, 7));
});

afterAll(async () => {
  await fsp.rm(bundle.dir, { recursive: true, force: true });
  await fsp.rm(pruneBundle.dir, { recursive: true, force: true });
  await fsp.rm(work, { recursive: true, force: true });
});

/** Checks every step folder: all files there, safetensors parse, state's step equals the folder's. Returns the steps. */
async function checkFolders(root: string): Promise<number[]> {
  const steps: number[] = [];
  for (const name of await fsp.readdir(root)) {
    const m = /^step-(\d+)$/.exec(name);
    if (!m) {
      // Only latest.json and hidden temp folders of an interrupted write may sit beside the step folders.
      expect(name === LATEST_FILE || name.startsWith(TEMP_PREFIX), `unexpected entry ${name} in ${root}`).toBe(true);
      continue;
    }
    const dir = path.join(root, name);
    const files = await fsp.readdir(dir);
    for (const f of CHECKPOINT_FILES) expect(files, `${dir} lacks ${f}`).toContain(f);
    expect(files.filter((f) => f.startsWith(TEMP_PREFIX)), `${dir} holds temp files`).toEqual([]);
    await readSafetensors(path.join(dir, 'model.safetensors'));
    await readSafetensors(path.join(dir, 'optimizer.safetensors'));
    const state = JSON.parse(await fsp.readFile(path.join(dir, 'trainer-state.json'), 'utf8')) as TrainerState;
    expect(stepDirName(state.step)).toBe(name);
    steps.push(state.step);
  }
  return steps.sort((a, b) => a - b);
}

test(`checkpoints survive up to ${KILLS} SIGKILLs of a training process, and the run resumes`, async () => {
  const rng = faultRng('checkpoint-kill', 20261129);
  const runDir = path.join(work, 'run');
  const root = path.join(runDir, CHECKPOINTS_DIR);
  let latestStep = -1;
  let kills = 0;
  let killedMidWrite = 0;
  const started = Date.now();
  for (let i = 0; i < KILLS && (i < MIN_KILLS || Date.now() - started < BUDGET_MS); i++) {
    const run = startChild(bundle.file, [runDir, TINY, path.join(work, 'story.txt')]);
    // Even kills count from the session's first step (they land mostly inside its checkpoint write); odd ones
    // from its first completed checkpoint, so the run makes progress however slow the machine is.
    await run.waitFor(i % 2 === 0 ? /^step \d+/ : /^checkpoint \d+/);
    const killed = await killAfter(run, Math.floor(rng.next() * MAX_DELAY_MS));
    expect(killed, `kill ${i}: the child ended on its own: ${run.stderr().slice(-800)}`).toBe(true);
    kills++;
    // The last line printed says what it was doing: a step line after a checkpoint line means it died mid-write.
    const lines = run.stdout().trim().split('\n');
    if (lines.at(-1)?.startsWith('step')) killedMidWrite++; // step N reported, checkpoint N not yet

    const steps = await checkFolders(root).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' && latestStep < 0 ? [] : Promise.reject(err)));
    const text = await fsp.readFile(path.join(root, LATEST_FILE), 'utf8').catch(() => null);
    // Only a kill before the very first checkpoint may leave no latest.json.
    if (text === null && latestStep < 0) continue;
    expect(text, `kill ${i}: latest.json vanished`).not.toBeNull();
    const pointer = JSON.parse(text as string) as CheckpointPointer;
    expect(steps, `kill ${i}: latest.json names ${pointer.latest}, not on disk`).toContain(pointer.step);
    expect(pointer.latest).toBe(stepDirName(pointer.step));
    expect(pointer.step, `kill ${i}: the latest checkpoint went backwards`).toBeGreaterThanOrEqual(latestStep);
    const loaded = await loadLatestCheckpoint(runDir);
    expect(loaded?.state.step).toBe(pointer.step);
    latestStep = pointer.step;
  }
  console.info(`[faults] checkpoint-kill: ${kills} SIGKILLs survived, ${killedMidWrite} after a step began and before its checkpoint was reported; latest step ${latestStep}`);
  expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
  expect(latestStep).toBeGreaterThan(0);

  // Resume here: exactly one more step, continuing the step count from the last checkpoint.
  await initBackend('wasm');
  const result = await runTraining({
    modelDir: TINY, dataFiles: [path.join(work, 'story.txt')], outDir: runDir, resume: true,
    steps: latestStep + 1, warmupSteps: 1, lr: 1e-3, batch: 1, block: 16, checkpointEvery: 1, keepCheckpoints: 2,
    valEvery: 100_000, sampleEvery: 0, valFraction: 0.1, maxValBlocks: 1, freezeEmbeddings: true,
  });
  expect(result.reason).toBe('completed');
  expect(result.losses.map((l) => l.step)).toEqual([latestStep + 1]);
  expect(Number.isFinite(result.losses[0].loss)).toBe(true);
  expect((await loadLatestCheckpoint(runDir))?.state.step).toBe(latestStep + 1);
}, 240_000 + BUDGET_MS);

// BAD-INPUTS I.5: rotation killed mid-delete. Step folders of many files make each delete long,
// so the kill lands inside one; a folder under a step name must be whole or gone, never half.
test('a prune killed mid-delete leaves every step folder whole or gone', async () => {
  const rng = faultRng('checkpoint-prune-kill', 99);
  const FILES = 2000;
  const rounds = scaled(3);
  let halfDeletedSeen = 0;
  for (let r = 0; r < rounds; r++) {
    const root = path.join(work, `prune-${r}`);
    for (let s = 1; s <= 4; s++) {
      const dir = path.join(root, stepDirName(s));
      await fsp.mkdir(dir, { recursive: true });
      await Promise.all(Array.from({ length: FILES }, (_, f) => fsp.writeFile(path.join(dir, `f${f}`), 'x')));
    }
    const run = startChild(pruneBundle.file, [root, '1']);
    await run.waitFor(/^ready$/);
    // Kill as soon as the delete of the oldest folder has begun (a file gone, or the folder renamed away).
    const first = path.join(root, stepDirName(1));
    while (run.child.exitCode === null && ((await fsp.readdir(first).catch(() => [])).length === FILES)) await new Promise((res) => setImmediate(res));
    expect(await killAfter(run, Math.floor(rng.next() * 5)), 'the prune finished before the kill').toBe(true);
    for (const name of (await fsp.readdir(root)).filter((n) => n.startsWith('step-'))) {
      const count = (await fsp.readdir(path.join(root, name))).length;
      if (count !== FILES) halfDeletedSeen++;
      expect(count, `${name} was left half-deleted (${count} of ${FILES} files)`).toBe(FILES);
    }
    expect(await fsp.readdir(root)).toContain(stepDirName(4));
  }
  console.info(`[faults] checkpoint-prune-kill: ${rounds} prunes killed mid-delete; ${halfDeletedSeen} half-deleted step folders`);
}, 120_000);
