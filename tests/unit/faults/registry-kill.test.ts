// A child process adds, renames, activates and deletes models in a loop and is
// SIGKILLed at seeded random moments. After every kill, before anything
// repairs it, models.json is a whole index (the old one or the new one, never
// half of one); then ModelRegistry.open succeeds without a rebuild, every model
// it lists has its folder, and any model the index named whose folder is gone
// was being deleted (its folder is in the trash), never lost.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sweepTempFiles, TEMP_PREFIX } from '../../../main/services/atomic-write';
import { INDEX_FILE, ModelRegistry, TRASH_DIR } from '../../../main/services/models/registry';
import { bundleChild, faultRng, killAfter, scaled, startChild, timeBudgetMs } from './fault-helpers';

const TINY_CONFIG = path.resolve('tests/fixtures/models/tiny/config.json');
const KILLS = scaled(30);
const BUDGET_MS = timeBudgetMs(45_000);
const MIN_KILLS = Math.min(KILLS, scaled(10));
/** An update takes a few ms (two fsyncs): kills within this window land before, inside and between updates. */
const MAX_DELAY_MS = 80;

let bundle: { dir: string; file: string };
let dataDir: string;

beforeAll(async () => {
  bundle = await bundleChild('registry-loop');
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-registry-kill-'));
});

afterAll(async () => {
  await fsp.rm(bundle.dir, { recursive: true, force: true });
  await fsp.rm(dataDir, { recursive: true, force: true });
});

interface RawIndex {
  version: number;
  activeId: string | null;
  models: { id: string }[];
}

test(`the model index survives up to ${KILLS} SIGKILLs mid-update`, async () => {
  const rng = faultRng('registry-kill', 4242);
  const modelsDir = path.join(dataDir, 'models');
  const started = Date.now();
  let kills = 0;
  let reconciled = 0;
  let maxModels = 0;
  for (let i = 0; i < KILLS && (i < MIN_KILLS || Date.now() - started < BUDGET_MS); i++) {
    const run = startChild(bundle.file, [dataDir, TINY_CONFIG, String(Math.floor(rng.next() * 2 ** 31))]);
    await run.waitFor(/^ready$/);
    expect(await killAfter(run, Math.floor(rng.next() * MAX_DELAY_MS)), `kill ${i}: ${run.stderr().slice(-800)}`).toBe(true);
    kills++;

    // The file as the kill left it: parseable and whole.
    const text = await fsp.readFile(path.join(modelsDir, INDEX_FILE), 'utf8');
    let raw: RawIndex;
    expect(() => (raw = JSON.parse(text) as RawIndex), `kill ${i}: ${INDEX_FILE} is not JSON: ${text.slice(0, 80)}`).not.toThrow();
    raw = JSON.parse(text) as RawIndex;
    expect(raw.version).toBe(1);
    const folders = new Set((await fsp.readdir(modelsDir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name));
    const trash = await fsp.readdir(path.join(modelsDir, TRASH_DIR)).catch(() => [] as string[]);
    for (const { id } of raw.models) {
      if (folders.has(id)) continue;
      // Deleted between moving the folder and writing the index: the folder must be in the trash.
      expect(trash.some((t) => t.startsWith(`${id}-`)), `kill ${i}: the index names ${id}, whose folder is neither in place nor in the trash`).toBe(true);
    }

    const registry = await ModelRegistry.open({ dataDir });
    expect(registry.loadReport.rebuilt, `kill ${i}: ${registry.loadReport.problem}`).toBe(false);
    if (registry.loadReport.problem) reconciled++;
    const listed = registry.list();
    for (const m of listed) await expect(fsp.stat(path.join(m.path, 'config.json')), `kill ${i}: ${m.id} listed without its folder`).resolves.toBeTruthy();
    // Every model folder in place is listed (a crash between moving it in and registering it is picked up).
    expect(listed.map((m) => m.id).sort()).toEqual([...folders].sort());
    if (listed.length > 0) expect(listed.filter((m) => m.active)).toHaveLength(1);
    maxModels = Math.max(maxModels, listed.length);
  }
  const names = await fsp.readdir(modelsDir);
  expect(names.filter((n) => n.startsWith(`${INDEX_FILE}.corrupt`))).toEqual([]);
  const temps = names.filter((n) => n.startsWith(TEMP_PREFIX)).length;
  // Leftovers of killed index writes are swept by the next open once they are old (60 s: a live writer's are younger).
  expect(temps).toBeLessThanOrEqual(kills);
  expect(await sweepTempFiles(modelsDir, 0)).toBe(temps);
  console.info(`[faults] registry-kill: ${kills} SIGKILLs survived; ${reconciled} left an index the next open reconciled with the folders; 0 corrupt indexes; ${temps} temp files of killed index writes (swept at the next open once 60 s old); up to ${maxModels} models`);
  expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
}, 120_000 + BUDGET_MS);

test('opening the registry sweeps index temp files that a killed writer left (older than a minute)', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-registry-sweep-'));
  try {
    const modelsDir = path.join(dir, 'models');
    await fsp.mkdir(modelsDir);
    const old = path.join(modelsDir, `${TEMP_PREFIX}${INDEX_FILE}-123-abc`);
    const young = path.join(modelsDir, `${TEMP_PREFIX}${INDEX_FILE}-456-def`);
    await fsp.writeFile(old, '{"version":1,"activeId":null,"mod');
    await fsp.writeFile(young, '{"version":1');
    const past = new Date(Date.now() - 5 * 60_000);
    await fsp.utimes(old, past, past);
    await ModelRegistry.open({ dataDir: dir });
    const left = await fsp.readdir(modelsDir);
    expect(left).not.toContain(path.basename(old));
    // A young one may belong to a writer still running (another Inkwell process): kept.
    expect(left).toContain(path.basename(young));
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
