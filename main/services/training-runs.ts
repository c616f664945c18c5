/**
 * The run record: what the app needs to continue a fine-tune it started.
 *
 * The trainer resumes exactly from a run folder's last checkpoint, given the
 * same files and settings; those live only in the request that started the
 * run, so the service writes them to <run>/run.json (atomically) when the run
 * starts, and marks how it ended. A run that has a checkpoint and is not
 * marked 'completed' is resumable:
 *
 *   state 'running'   → the app quit (or died) mid-run  → 'interrupted'
 *   state 'crashed'   → the training worker died / failed → 'crashed'
 *   state 'cancelled' → the writer stopped it            → 'cancelled'
 *
 * Run folders from before run.json existed are not listed (their files are
 * unknown). Damaged records are skipped, never fatal: one bad folder must not
 * hide the others.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TrainOverrides, TrainPreset, type ResumableRun } from '../../common/contract';
import { CHECKPOINTS_DIR, LATEST_FILE } from '../engine/train/checkpoint';
import { writeFileAtomic } from './atomic-write';
import { errnoCode, ioError, ServiceError } from './service-error';
import { MAX_METRICS_BYTES } from './training-samples';

export const RUN_FILE = 'run.json';
const RUN_ID = /^run-[A-Za-z0-9-]{1,76}$/;

const RunRecordSchema = z.object({
  version: z.literal(1),
  runId: z.string().regex(RUN_ID),
  name: z.string().min(1),
  baseModelId: z.string().min(1),
  preset: TrainPreset,
  /** The effective overrides (the app's defaults under the request's), so a resume sizes the run identically. */
  overrides: TrainOverrides,
  files: z.array(z.string().min(1)).min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Null until the files were inspected (the step count comes from them). */
  steps: z.number().int().min(1).nullable(),
  dataset: z.object({ documents: z.number(), words: z.number(), tokens: z.number(), estimatedSeconds: z.number() }).nullable(),
  state: z.enum(['running', 'completed', 'cancelled', 'crashed']),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;
export type RunState = RunRecord['state'];

export const runsRoot = (dataDir: string): string => path.join(dataDir, 'runs');

/** The run's folder; refuses ids that are not run folder names (no '..', no separators). */
export function runDirOf(dataDir: string, runId: string): string {
  if (!RUN_ID.test(runId)) throw new ServiceError('invalid_payload', `${JSON.stringify(runId)} is not a training run id`);
  return path.join(runsRoot(dataDir), runId);
}

export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(path.join(runDir, RUN_FILE), JSON.stringify(record, null, 2));
}

/** The record, or null when the folder has none (or a damaged one). */
export async function readRunRecord(runDir: string): Promise<RunRecord | null> {
  let raw: string;
  try {
    raw = await fs.readFile(path.join(runDir, RUN_FILE), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
    throw ioError(`${path.join(runDir, RUN_FILE)}: reading the run record`, err);
  }
  try {
    return RunRecordSchema.parse(JSON.parse(raw));
  } catch {
    return null;
  }
}

/** The step of the checkpoint latest.json points at, with the pointer's time; null when the run has none. */
async function latestCheckpoint(runDir: string): Promise<{ step: number; mtime: Date } | null> {
  const file = path.join(runDir, CHECKPOINTS_DIR, LATEST_FILE);
  try {
    const [raw, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    const step = (JSON.parse(raw) as { step?: unknown }).step;
    return typeof step === 'number' && Number.isInteger(step) && step >= 0 ? { step, mtime: stat.mtime } : null;
  } catch {
    return null;
  }
}

const REASON: Record<Exclude<RunState, 'completed'>, ResumableRun['reason']> = { running: 'interrupted', crashed: 'crashed', cancelled: 'cancelled' };

/** A run's resumable summary, or null when it finished, has no checkpoint or no usable record. */
export async function resumableRun(runDir: string): Promise<(ResumableRun & { record: RunRecord }) | null> {
  const record = await readRunRecord(runDir).catch(() => null);
  if (!record || record.state === 'completed' || record.steps === null) return null;
  const ck = await latestCheckpoint(runDir);
  if (!ck) return null;
  const updated = new Date(Math.max(ck.mtime.getTime(), Date.parse(record.updatedAt) || 0));
  return { runId: record.runId, name: record.name, step: ck.step, totalSteps: record.steps, updatedAt: updated.toISOString(), reason: REASON[record.state], record };
}

/** Every resumable run under <dataDir>/runs, newest first; `skip` is the run in progress. */
export async function listResumable(dataDir: string, skip: string | null): Promise<ResumableRun[]> {
  return (await resumableRecords(dataDir, skip))
    .map(({ record: _record, ...run }) => run)
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

/** The manuscript files that resumable runs still need (kept by the inbox sweep). */
export async function filesOfResumableRuns(dataDir: string): Promise<string[]> {
  return (await resumableRecords(dataDir, null)).flatMap((r) => r.record.files);
}

async function resumableRecords(dataDir: string, skip: string | null): Promise<(ResumableRun & { record: RunRecord })[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(runsRoot(dataDir));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw ioError(`${runsRoot(dataDir)}: listing training runs`, err);
  }
  const found = await Promise.all(
    entries.filter((e) => RUN_ID.test(e) && e !== skip).map(async (e) => {
      const run = await resumableRun(path.join(runsRoot(dataDir), e));
      // A record copied into another folder names the other run: only a folder's own record counts.
      return run && run.runId === e ? run : null;
    }),
  );
  return found.filter((r): r is NonNullable<typeof r> => r !== null);
}

/** The first of the files that is gone (uploaded copies are swept after a day), or null. */
export async function firstMissingFile(files: readonly string[]): Promise<string | null> {
  for (const file of files) {
    const ok = await fs.stat(file).then((s) => s.isFile(), () => false);
    if (!ok) return file;
  }
  return null;
}

/**
 * The validation losses the run recorded up to `step` (its checkpoint): a
 * resumed run reports its perplexity before training and picks its best
 * checkpoint from the whole run, not just from the part after the resume.
 * Later lines win (a killed run may have evaluated past its last checkpoint;
 * those are dropped by the step bound).
 */
export async function recordedEvals(runDir: string, step: number): Promise<{ step: number; valLoss: number }[]> {
  let text: string;
  try {
    const handle = await fs.open(path.join(runDir, 'metrics.jsonl'), 'r');
    try {
      const { size } = await handle.stat();
      const buf = Buffer.alloc(Math.min(size, MAX_METRICS_BYTES));
      await handle.read(buf, 0, buf.length, 0);
      text = buf.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
  const byStep = new Map<number, number>();
  for (const line of text.split('\n')) {
    try {
      const e = JSON.parse(line) as { type?: unknown; step?: unknown; valLoss?: unknown };
      if (e.type === 'eval' && typeof e.step === 'number' && typeof e.valLoss === 'number' && Number.isFinite(e.valLoss) && e.step <= step) byStep.set(e.step, e.valLoss);
    } catch {
      // a cut or corrupt line
    }
  }
  return [...byStep].map(([s, valLoss]) => ({ step: s, valLoss })).sort((a, b) => a.step - b.step);
}
