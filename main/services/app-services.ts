/**
 * Wires the services and the router together, the same way for Electron
 * (main/index.ts) and browser mode (main/serve.ts): settings, documents with
 * their journal, the model library and the engine host, behind one router.
 * Choosing another active model reloads the engine at once; the models.setActive
 * call answers when the new model is loaded (or has failed to, and the old one is back).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AppInfo } from '../../common/contract';
import { documentsDirOf } from '../app-paths';
import { EngineHost, type EngineInfo } from '../engine-host';
import { createRouter, type ModelsRouterService, type Router } from '../router';
import { DocumentsService } from './documents';
import { JournalService } from './journal';
import type { CatalogueEntry } from './models/catalogue';
import { ModelsService } from './models/models-service';
import { ServiceError } from './service-error';
import { SettingsService } from './settings';
import { testTrainOverrides, trainWorkerPathBeside, TrainingService } from './training';
import { workerJobRunner } from '../training-host';
import { filesOfResumableRuns } from './training-runs';

const TestCatalogue = z.array(
  z.object({
    name: z.string().min(1),
    displayName: z.string().min(1),
    repo: z.string().min(1),
    revision: z.string().min(1),
    parameters: z.number().int().min(0),
    files: z.array(z.object({ name: z.string().min(1), size: z.number().int().min(0).nullable(), sha256: z.string().nullable() })).min(1),
  }),
);

/**
 * TEST ONLY: the end-to-end specs download a tiny model under a name they control. The
 * catalogue is replaced only when INKWELL_TEST_HOOKS=1 and INKWELL_TEST_CATALOGUE names a
 * JSON file of catalogue entries; the app never sets either.
 */
export function testCatalogue(env: NodeJS.ProcessEnv = process.env): CatalogueEntry[] | undefined {
  const file = env.INKWELL_TEST_CATALOGUE;
  if (env.INKWELL_TEST_HOOKS !== '1' || !file) return undefined;
  try {
    return TestCatalogue.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new Error(`INKWELL_TEST_CATALOGUE ${file} is not a list of catalogue entries: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export interface AppServicesOptions {
  dataDir: string;
  modelDir: string | null;
  /** The built engine worker (dist/main/engine/worker.js). */
  workerPath: string;
  mode: AppInfo['mode'];
  version: string;
  /** Forces a tfjs backend, for tests and benchmarks. */
  backend?: string;
  log?: (message: string) => void;
  /** Model downloads' source: the hub (default), a mirror, or a local folder (INKWELL_MODELS_BASE_URL). */
  modelsBaseUrl?: string;
  /** True when modelDir came from --model / INKWELL_MODEL: it then wins over the registry's active model. */
  modelDirExplicit?: boolean;
  /** The built training worker (default: train-worker.js beside workerPath). */
  trainWorkerPath?: string;
}

export interface AppServices {
  router: Router;
  engine: EngineHost;
  settings: SettingsService;
  documents: DocumentsService;
  models: ModelsService;
  training: TrainingService;
  /** Stops the engine worker; call on quit. */
  close(): Promise<void>;
}

export async function createAppServices(options: AppServicesOptions): Promise<AppServices> {
  const log = options.log ?? ((m: string) => console.warn(m));
  const settings = await SettingsService.open(options.dataDir);
  if (settings.loadReport.problem) {
    const kept = settings.loadReport.corruptBackup ? ` (the old file is kept as ${settings.loadReport.corruptBackup})` : '';
    log(`settings: ${settings.loadReport.problem}${kept}`);
  }
  const journal = new JournalService(options.dataDir);
  const documents = new DocumentsService({
    dataDir: options.dataDir,
    documentsDir: () => documentsDirOf(options.dataDir, settings.get().documentsDir),
    journal,
  });
  // The app's model folder is the registry's built-in entry; the engine loads whichever model is active.
  // The latest engine reload, so that the router can answer setActive once the model is loaded.
  let reloading: Promise<EngineInfo> | null = null;
  const catalogue = testCatalogue();
  const models = await ModelsService.open({
    dataDir: options.dataDir,
    builtinDir: options.modelDir,
    baseUrl: options.modelsBaseUrl || process.env.INKWELL_MODELS_BASE_URL || undefined,
    ...(catalogue ? { catalogue } : {}),
    log,
    onActiveChanged: (m) => {
      log(`models: ${m.name} is now the active model; the engine reloads it now`);
      reloading = engine.reload(m.path, m.name);
    },
  });
  const engine = new EngineHost({
    workerPath: options.workerPath,
    init: { modelDir: (options.modelDirExplicit ? null : models.registry.active()?.path) ?? options.modelDir, ...(options.backend ? { backend: options.backend } : {}) },
    log,
    // A request's modelId (compare, a document bound to a model) is looked up in the library on each request, so a deleted model is not_found at once.
    resolveModel: (id) => models.registry.get(id),
  });
  engine.start();
  // Fine-tunes run in their own worker, one at a time, so suggestions keep flowing meanwhile.
  const trainOverrides = testTrainOverrides();
  const training = new TrainingService({
    dataDir: options.dataDir,
    runner: workerJobRunner(options.trainWorkerPath ?? trainWorkerPathBeside(options.workerPath)),
    models: { get: (id) => models.registry.get(id), active: () => models.registry.active(), addFinetune: (r) => models.addFinetune(r) },
    ...(options.backend ? { backend: options.backend } : {}),
    ...(trainOverrides ? { defaultOverrides: trainOverrides } : {}),
    log,
  });
  // Uploads left by an earlier session (a crash, a closed window) are swept once they are a day old,
  // except those an interrupted run still needs to resume.
  await filesOfResumableRuns(options.dataDir)
    .catch((): string[] => [])
    .then((keep) => training.inbox.sweep(undefined, keep))
    .then(
      (n) => n > 0 && log(`training: removed ${n} stale upload folder(s) from ${training.inbox.root}`),
      (err: unknown) => log(`training: could not sweep ${training.inbox.root}: ${String(err)}`),
    );

  const router = createRouter({
    appInfo: () => {
      const info = engine.info();
      return { version: options.version, platform: process.platform, mode: options.mode, backend: info.backend, model: info.model };
    },
    settings,
    documents,
    engine: {
      generate: (request, onEvent, signal) => engine.generate(request, onEvent, signal),
      countTokens: (texts) => engine.countTokens(texts),
    },
    models: switchingModels(models, () => reloading, log),
    training,
  });

  return { router, engine, settings, documents, models, training, close: async () => void (await Promise.all([training.close(), engine.terminate()])) };
}

/**
 * The model library as the router sees it: setActive (and deleting the active model) answer
 * only once the engine has the new model loaded, so the renderer's next app.info and the next
 * suggestion use it. A model that fails to load is not left active: the previous one comes back
 * and the error names both.
 */
export function switchingModels(
  models: ModelsService,
  lastReload: () => Promise<EngineInfo> | null,
  log: (message: string) => void,
): ModelsRouterService {
  const settle = async (): Promise<EngineInfo | null> => (await lastReload()) ?? null;
  return {
    list: () => models.list(),
    catalogue: () => models.catalogue(),
    async setActive(id) {
      const previous = models.registry.active();
      const model = await models.setActive(id);
      const info = await settle();
      if (info?.initError) {
        const reason = info.initError.message;
        if (previous && previous.id !== model.id) {
          log(`models: ${model.name} failed to load (${reason}); switching back to ${previous.name}`);
          await models.setActive(previous.id);
          await settle();
          throw new ServiceError('invalid_model', `${model.name} could not be loaded, so ${previous.name} is still the active model: ${reason}`);
        }
        throw new ServiceError('invalid_model', `${model.name} is active but could not be loaded: ${reason}`);
      }
      return model;
    },
    rename: (id, name) => models.rename(id, name),
    async delete(id) {
      const before = lastReload();
      const result = await models.delete(id);
      const after = lastReload();
      if (after !== before && after !== null) await after;
      return result;
    },
    import: (request) => models.import(request),
    export: (id, target) => models.export(id, target),
    discardDownload: (name) => models.discardDownload(name),
    download: (name, onEvent, signal) => models.download(name, onEvent, signal),
  };
}
