/**
 * The fine-tuning API for the engine worker, the CLI and plain Node:
 *
 *   const gate = new PauseGate();
 *   const ac = new AbortController();
 *   const result = await runTraining(
 *     { modelDir, dataFiles, outDir, steps: 500, lr: 1e-4, block: 256, batch: 1, accum: 4, trainLast: 2, freezeEmbeddings: true },
 *     { signal: ac.signal, pause: gate, onEvent: (e) => post(e) },
 *   );
 *   // gate.pause() / gate.resume() between steps; ac.abort() cancels and keeps the last checkpoint.
 *
 * Events (TrainEvent) are plain JSON; result.lastCheckpoint / bestCheckpoint
 * are Hugging Face GPT-2 folders that loadModelFolder() opens.
 */
export { runTraining, isOutOfMemory, evaluationsSinceBest, type TrainHooks } from './run-training';
export { PauseGate, TRAIN_DEFAULTS, type TrainEvent, type TrainOptions, type TrainResult } from './run-options';
export { TrainingDivergedError } from './trainer';
export { DatasetInputError, SUPPORTED_EXTENSIONS } from './text-extract';
export { planMemory, estimateMemory, WASM_HEAP_BUDGET_BYTES } from './memory-estimate';
