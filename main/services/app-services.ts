/**
 * Wires the services and the router together, the same way for Electron
 * (main/index.ts) and browser mode (main/serve.ts): settings, documents with
 * their journal, and the engine host, behind one router.
 */
import type { AppInfo } from '../../common/contract';
import { documentsDirOf } from '../app-paths';
import { EngineHost } from '../engine-host';
import { createRouter, type Router } from '../router';
import { DocumentsService } from './documents';
import { JournalService } from './journal';
import { ModelsService } from './models/models-service';
import { SettingsService } from './settings';

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
}

export interface AppServices {
  router: Router;
  engine: EngineHost;
  settings: SettingsService;
  documents: DocumentsService;
  models: ModelsService;
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
  const models = await ModelsService.open({
    dataDir: options.dataDir,
    builtinDir: options.modelDir,
    baseUrl: options.modelsBaseUrl || process.env.INKWELL_MODELS_BASE_URL || undefined,
    log,
    onActiveChanged: (m) => log(`models: ${m.name} is now the active model; it is loaded at the next start`),
  });
  const engine = new EngineHost({
    workerPath: options.workerPath,
    init: { modelDir: (options.modelDirExplicit ? null : models.registry.active()?.path) ?? options.modelDir, ...(options.backend ? { backend: options.backend } : {}) },
    log,
  });
  engine.start();

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
    models,
  });

  return { router, engine, settings, documents, models, close: () => engine.terminate() };
}
