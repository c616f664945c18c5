/**
 * "Samples by step": what each checkpoint of a fine-tune wrote, so the writer
 * picks a voice by ear, not by loss.
 *
 * The trainer appends every event to <run>/metrics.jsonl; a run killed
 * mid-append leaves a cut last line, and a full disk can leave a hole, so a
 * line that does not parse or does not have the expected shape is skipped,
 * never fatal. Which run made which model is recorded by the training service
 * in <dataDir>/runs/by-model/<modelId>.json when it registers the fine-tune.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CheckpointSample } from '../../common/contract';
import { writeFileAtomic } from './atomic-write';
import { errnoCode, ioError } from './service-error';

/** A metrics file bigger than this is read only up to here (a 100k-step run is ~25 MB). */
export const MAX_METRICS_BYTES = 64 * 1024 * 1024;

const SampleLine = z.object({ type: z.literal('sample'), step: z.number().int().min(0), text: z.string(), copyRate: z.number().finite() });
const EvalLine = z.object({ type: z.literal('eval'), step: z.number().int().min(0), valLoss: z.number() });
const RunLink = z.object({ runId: z.string().regex(/^[A-Za-z0-9-]{1,80}$/) });

/** Samples in step order, each with the latest validation loss at or before its step. */
export function parseSamples(jsonl: string): CheckpointSample[] {
  const samples: { step: number; text: string; copyRate: number }[] = [];
  const evals: { step: number; valLoss: number }[] = [];
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // a cut or corrupt line
    }
    const s = SampleLine.safeParse(value);
    if (s.success) {
      samples.push({ step: s.data.step, text: s.data.text, copyRate: Math.min(1, Math.max(0, s.data.copyRate)) });
      continue;
    }
    const e = EvalLine.safeParse(value);
    if (e.success && Number.isFinite(e.data.valLoss)) evals.push(e.data);
  }
  evals.sort((a, b) => a.step - b.step);
  // A resumed run can repeat a step: the later line wins.
  const byStep = new Map(samples.map((s) => [s.step, s]));
  return [...byStep.values()]
    .sort((a, b) => a.step - b.step)
    .map((s) => {
      let valLoss: number | null = null;
      for (const e of evals) if (e.step <= s.step) valLoss = e.valLoss;
      return { ...s, valLoss };
    });
}

export async function readRunSamples(runDir: string): Promise<CheckpointSample[]> {
  const file = path.join(runDir, 'metrics.jsonl');
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw ioError(`${file}: reading the run's samples`, err);
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, MAX_METRICS_BYTES);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, 0);
    return parseSamples(buf.toString('utf8'));
  } finally {
    await handle.close();
  }
}

const linkFile = (dataDir: string, modelId: string) => path.join(dataDir, 'runs', 'by-model', `${modelId}.json`);

/** Records which run made a model (model ids are slugs, so they are safe as file names). */
export async function linkModelToRun(dataDir: string, modelId: string, runId: string): Promise<void> {
  await fs.mkdir(path.dirname(linkFile(dataDir, modelId)), { recursive: true });
  await writeFileAtomic(linkFile(dataDir, modelId), JSON.stringify({ runId }));
}

/** The model's samples, or [] when it was not made by a run here (built-in, imported, downloaded). */
export async function samplesOfModel(dataDir: string, modelId: string): Promise<CheckpointSample[]> {
  let raw: string;
  try {
    raw = await fs.readFile(linkFile(dataDir, modelId), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw ioError(`${linkFile(dataDir, modelId)}: reading the model's run`, err);
  }
  let link: z.infer<typeof RunLink>;
  try {
    link = RunLink.parse(JSON.parse(raw));
  } catch {
    return []; // a damaged link loses the samples, not the model
  }
  return readRunSamples(path.join(dataDir, 'runs', link.runId));
}
