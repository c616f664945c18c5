// BAD-INPUTS E.2 and I.4 (disk full), for real, two ways:
//  - a small tmpfs mounted for the test (needs root and mount rights: skipped,
//    with the reason printed, where mount is refused), where write() fails with ENOSPC;
//  - a child started under a kernel file-size limit (bash: trap "" XFSZ; ulimit -f N),
//    where write() fails with EFBIG; this needs no privilege, so it always runs.
// Each way saves a document and a training checkpoint that do not fit, and
// checks: the error names the file and says the disk is full (or the file too
// large), the previous file is byte-identical, no temp file is left behind, and
// the settings and documents services start cleanly on the folder afterwards.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHECKPOINTS_DIR, loadLatestCheckpoint } from '../../../main/engine/train/checkpoint';
import { TEMP_PREFIX, writeFileAtomic } from '../../../main/services/atomic-write';
import { DocumentsService } from '../../../main/services/documents';
import { JournalService } from '../../../main/services/journal';
import { SettingsService } from '../../../main/services/settings';
import { bundleChild, hashTree, lastJson, sha256Of, startChild } from './fault-helpers';

const TINY = path.resolve('tests/fixtures/models/tiny');
const DOC_ID = 'chapter-one';
/** Ignore SIGXFSZ so that crossing the limit fails the write (EFBIG) instead of killing the process. */
const fileLimit = (kib: number): string => `trap "" XFSZ; ulimit -f ${kib}`;

interface ChildAnswer {
  ok: boolean;
  code?: string | null;
  message?: string;
}

let bundle: { dir: string; file: string };
let work: string;
const mounts: string[] = [];

/** Tries a tmpfs mount once, at collection time (skipIf needs the answer then); returns why it cannot, or null. */
function probeMount(): string | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inkwell-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); the ulimit -f tests below still cover a full disk`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const mountRefused = probeMount();
if (mountRefused) console.warn(`[faults] disk-full: SKIPPING the tmpfs tests: ${mountRefused}`);

/** Mounts a tmpfs of `size` (e.g. "2m") at a fresh folder; returns it. */
function mountTmpfs(size: string, name: string): string {
  const dir = path.join(work, name);
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  mounts.push(dir);
  return dir;
}

beforeAll(async () => {
  bundle = await bundleChild('disk-write');
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-disk-full-'));
});

afterAll(async () => {
  for (const dir of mounts.reverse()) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch (err) {
      console.warn(`[faults] disk-full: could not unmount ${dir}: ${(err as Error).message}`);
    }
  }
  await fsp.rm(bundle.dir, { recursive: true, force: true });
  await fsp.rm(work, { recursive: true, force: true });
});

async function run(args: string[], shellPrefix?: string): Promise<ChildAnswer> {
  const child = startChild(bundle.file, args, { shellPrefix });
  const { code, signal } = await child.exited;
  expect(signal, `child killed by ${signal}: ${child.stderr()}`).toBeNull();
  expect(code, child.stderr()).toBe(0);
  return lastJson<ChildAnswer>(child.stdout());
}

async function tempFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) if (e.name.startsWith(TEMP_PREFIX)) found.push(path.join(e.parentPath, e.name));
  return found;
}

/** A document saved, then a bigger save that cannot fit; returns the failed save's answer. */
async function documentScenario(dataDir: string, fits: number, tooBig: number, shellPrefix?: string): Promise<void> {
  const file = path.join(dataDir, 'documents', `${DOC_ID}.md`);
  expect(await run(['doc', dataDir, DOC_ID, String(fits), 'A'])).toEqual({ ok: true });
  const before = await sha256Of(file);
  const failed = await run(['doc', dataDir, DOC_ID, String(tooBig), 'B'], shellPrefix);
  expect(failed.ok).toBe(false);
  console.info(`[faults] disk-full: the writer reads: ${failed.message}`);
  expect(failed.message).toContain(file);
  expect(failed.message).toMatch(shellPrefix ? /the file is larger than this disk or this system allows \(EFBIG/ : /the disk is full \(ENOSPC/);
  expect(failed.message).toMatch(/previous version .*(intact|unchanged)/);
  expect(await sha256Of(file)).toBe(before);
  expect(await tempFilesUnder(dataDir)).toEqual([]);

  // The app starts cleanly on the folder: settings load without a problem, the document opens as it was.
  const settings = await SettingsService.open(dataDir);
  expect(settings.loadReport.problem).toBeNull();
  const documents = new DocumentsService({ dataDir, documentsDir: () => path.join(dataDir, 'documents'), journal: new JournalService(dataDir) });
  expect((await documents.list()).map((d) => d.id)).toEqual([DOC_ID]);
  const opened = await documents.open(DOC_ID);
  expect(opened.recovered).toBe(false);
  expect(opened.content).toBe(`# A\n${'A'.repeat(fits)}`);
  // Nothing leaked: a save that fits works again at once.
  expect(await run(['doc', dataDir, DOC_ID, String(Math.floor(fits / 2)), 'C'], shellPrefix)).toEqual({ ok: true });
}

/** A first checkpoint, then the next one that cannot fit. */
async function checkpointScenario(runDir: string, shellPrefix?: string): Promise<void> {
  const root = path.join(runDir, CHECKPOINTS_DIR);
  expect(await run(['checkpoint', runDir, TINY])).toEqual({ ok: true });
  const before = await hashTree(root);
  const failed = await run(['checkpoint', runDir, TINY], shellPrefix);
  expect(failed.ok).toBe(false);
  expect(failed.message).toContain(path.join(root, 'step-000002'));
  expect(failed.message).toMatch(/model\.safetensors/);
  expect(failed.message).toMatch(shellPrefix ? /the file is larger than this disk or this system allows \(EFBIG/ : /the disk is full \(ENOSPC/);
  expect(await hashTree(root)).toEqual(before);
  expect(await tempFilesUnder(runDir)).toEqual([]);
  // The previous checkpoint is still the one to resume from, and loads.
  const latest = await loadLatestCheckpoint(runDir);
  expect(latest?.state.step).toBe(1);
}

describe('disk full on a small tmpfs (ENOSPC)', () => {
  test.skipIf(mountRefused !== null)('a document save that does not fit fails clearly and keeps the previous file', async () => {
    await documentScenario(mountTmpfs('2m', 'doc-tmpfs'), 600_000, 1_500_000);
  });

  test.skipIf(mountRefused !== null)('a checkpoint that does not fit fails clearly and keeps the previous one', async () => {
    // One checkpoint of the tiny model (~15 MB) fits in 20 MB; a second one cannot.
    await checkpointScenario(mountTmpfs('20m', 'ckpt-tmpfs'));
  });
});

describe('a kernel file-size limit (ulimit -f, EFBIG): no privilege needed', () => {
  test('a document save over the limit fails clearly and keeps the previous file', async () => {
    await documentScenario(path.join(work, 'doc-ulimit'), 300_000, 800_000, fileLimit(512));
  });

  test('a checkpoint over the limit fails clearly and keeps the previous one', async () => {
    await checkpointScenario(path.join(work, 'ckpt-ulimit'), fileLimit(4096));
  });
});

describe('the disk-full message for each errno code', () => {
  test.for([
    ['ENOSPC', /the disk is full \(/],
    ['EDQUOT', /the disk quota is used up \(/],
    ['EFBIG', /the file is larger than this disk or this system allows \(/],
    ['EIO', /failed at "rename temp file over target": simulated EIO$/],
  ] as const)('%s', async ([code, message]) => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'inkwell-disk-msg-'));
    try {
      const file = path.join(dir, 'a.md');
      await fsp.writeFile(file, 'old');
      const rename = () => Promise.reject(Object.assign(new Error(`simulated ${code}`), { code }));
      await expect(writeFileAtomic(file, 'new', { rename })).rejects.toThrow(message);
      expect(await fsp.readFile(file, 'utf8')).toBe('old');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
