// Child of disk-full.test.ts: one save, run where the disk is full (a small
// tmpfs) or under a kernel file-size limit (ulimit -f with SIGXFSZ ignored, so
// write() fails with EFBIG instead of killing the process). It prints one JSON
// line: {"ok":true} or {"ok":false,"code":...,"message":...}.
//
//   doc <dataDir> <id> <bytes> <char>    DocumentsService.save of a document of <bytes> × <char>
//   checkpoint <runDir> <modelDir>       saveCheckpoint of the next step (the first from the model itself)
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseModelConfig } from '../../../../main/engine/model-config';
import { readSafetensors } from '../../../../main/engine/safetensors';
import type { Moments } from '../../../../main/engine/train/adamw';
import { loadLatestCheckpoint, saveCheckpoint, type TrainerState } from '../../../../main/engine/train/checkpoint';
import { ParamStore } from '../../../../main/engine/train/params';
import { DocumentsService } from '../../../../main/services/documents';
import { JournalService } from '../../../../main/services/journal';

const [mode, ...args] = process.argv.slice(2);

async function saveDoc(dataDir: string, id: string, bytes: number, ch: string): Promise<void> {
  const documents = new DocumentsService({ dataDir, documentsDir: () => path.join(dataDir, 'documents'), journal: new JournalService(dataDir) });
  await documents.save({ id, content: `# ${ch}\n${ch.repeat(bytes)}` });
}

/** The next checkpoint of the run: from its latest one, or a first one made from the model (moments for the small tensors only, to stay small). */
async function saveNextCheckpoint(runDir: string, modelDir: string): Promise<void> {
  const latest = await loadLatestCheckpoint(runDir);
  let store: ParamStore;
  let moments: Map<string, Moments>;
  let state: TrainerState;
  if (latest) {
    ({ store, moments } = latest);
    state = { ...latest.state, step: latest.state.step + 1 };
  } else {
    const config = parseModelConfig(await fs.readFile(path.join(modelDir, 'config.json'), 'utf8'), 'config.json');
    store = ParamStore.fromSource(config, (await readSafetensors(path.join(modelDir, 'model.safetensors'))).tensors, modelDir);
    moments = new Map([...store.data].filter(([, d]) => d.length < 100_000).map(([n, d]) => [n, { m: new Float32Array(d.length), v: new Float32Array(d.length) }]));
    state = { version: 1, step: 1, cursor: { epoch: 0, index: 0 }, lrScale: 1, microBatch: 1, accum: 1, tokensSeen: 0, elapsedMs: 0, evals: [], options: {} };
  }
  await saveCheckpoint({ runDir, store, moments, state, modelDir, keep: 2 });
}

try {
  if (mode === 'doc') await saveDoc(args[0], args[1], Number(args[2]), args[3]);
  else if (mode === 'checkpoint') await saveNextCheckpoint(args[0], args[1]);
  else throw new Error(`disk-write: unknown mode ${mode}`);
  process.stdout.write(JSON.stringify({ ok: true }) + '\n');
} catch (err) {
  const e = err as Error & { code?: string };
  process.stdout.write(JSON.stringify({ ok: false, code: e.code ?? null, message: e.message }) + '\n');
}
