// Child of checkpoint-kill.test.ts: the real trainer on the tiny model, a
// checkpoint after every step, resuming from the run's latest checkpoint when
// there is one, "forever" (the step count is far beyond what a kill allows).
// It prints one line per event so the parent can kill it at a chosen moment.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../../../main/engine/backend';
import { CHECKPOINTS_DIR, LATEST_FILE } from '../../../../main/engine/train/checkpoint';
import { runTraining } from '../../../../main/engine/train/run-training';

const [runDir, modelDir, dataFile] = process.argv.slice(2);
const resume = await fs.stat(path.join(runDir, CHECKPOINTS_DIR, LATEST_FILE)).then(() => true, () => false);
await initBackend('wasm');
process.stdout.write(`started resume=${resume}\n`);
await runTraining(
  {
    modelDir, dataFiles: [dataFile], outDir: runDir, resume,
    // A fixed warm-up keeps the run's fingerprint the same whatever `steps` is, so the parent can resume with fewer.
    steps: 100_000, warmupSteps: 1, lr: 1e-3, batch: 1, block: 16, checkpointEvery: 1, keepCheckpoints: 2,
    valEvery: 100_000, sampleEvery: 0, valFraction: 0.1, maxValBlocks: 1, freezeEmbeddings: true,
  },
  { onEvent: (e) => (e.type === 'step' || e.type === 'checkpoint') && process.stdout.write(`${e.type} ${e.step}\n`) },
);
