/**
 * The model library behind the contract's models.* channels and the
 * `inkwell models` command: the registry plus download, import and export,
 * with the download exposed as a stream whose cancel pauses (partial files
 * are kept for the next call). Expected failures are ServiceErrors with a
 * contract code; the stream turns them into an error Result.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CatalogueItem, DownloadEvent, ModelInfo, Result } from '../../../common/contract';
import type { ModelsRouterService } from '../../router';
import { toApiError } from '../service-error';
import { CATALOGUE, DEFAULT_ALLOWED_HOSTS, DEFAULT_BASE_URL, type CatalogueEntry } from './catalogue';
import { catalogueStatus, discardDownload, downloadModel, type DownloadOptions } from './download';
import { exportModel } from './export';
import { importModel } from './import';
import { fileNamesOnly } from './model-card';
import { ModelRegistry } from './registry';

export interface ModelsServiceOptions {
  dataDir: string;
  builtinDir?: string | null;
  /** Download source: the hub (default), a mirror with the same URL pattern, or a local folder. */
  baseUrl?: string;
  catalogue?: readonly CatalogueEntry[];
  allowedHosts?: readonly string[];
  log?: (message: string) => void;
  /** Told when the active model changes, so the engine can load it. */
  onActiveChanged?: (model: ModelInfo) => void;
  /** Passed to the downloader (tests shorten timeouts). */
  transfer?: DownloadOptions['transfer'];
}

/** Leftovers of an import or export that a crash interrupted. */
async function sweepStaging(modelsDir: string): Promise<void> {
  for (const name of await fs.readdir(modelsDir).catch(() => [] as string[])) {
    if (name.startsWith('.import-')) await fs.rm(path.join(modelsDir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

export class ModelsService implements ModelsRouterService {
  private constructor(
    readonly registry: ModelRegistry,
    private readonly options: ModelsServiceOptions,
  ) {}

  static async open(options: ModelsServiceOptions): Promise<ModelsService> {
    const registry = await ModelRegistry.open({ dataDir: options.dataDir, builtinDir: options.builtinDir, log: options.log });
    await sweepStaging(registry.modelsDir);
    return new ModelsService(registry, options);
  }

  private get catalogueEntries(): readonly CatalogueEntry[] {
    return this.options.catalogue ?? CATALOGUE;
  }

  async list(): Promise<ModelInfo[]> {
    return this.registry.list();
  }

  catalogue(): Promise<CatalogueItem[]> {
    return catalogueStatus(this.registry, this.catalogueEntries);
  }

  async setActive(id: string): Promise<ModelInfo> {
    const model = await this.registry.setActive(id);
    this.options.onActiveChanged?.(model);
    return model;
  }

  rename(id: string, name: string): Promise<ModelInfo> {
    return this.registry.rename(id, name);
  }

  async delete(id: string): Promise<{ ok: true }> {
    const wasActive = this.registry.active()?.id === id;
    await this.registry.delete(id);
    const now = this.registry.active();
    if (wasActive && now) this.options.onActiveChanged?.(now);
    return { ok: true };
  }

  async import(request: { path: string; name?: string }): Promise<ModelInfo> {
    const { model, warnings } = await importModel(this.registry, request.path, request.name);
    for (const w of warnings) this.options.log?.(`models: import of ${request.path}: ${w}`);
    return model;
  }

  /**
   * Adds a fine-tune's output folder (HF layout) to the library, checked and copied like an
   * import, with its provenance: base model id, training file names, steps, validation perplexity.
   */
  async addFinetune(request: {
    path: string;
    name: string;
    baseModel: string;
    files: string[];
    steps: number;
    validationPerplexity: number | null;
  }): Promise<ModelInfo> {
    const origin = { kind: 'finetuned' as const, from: request.baseModel, files: fileNamesOnly(request.files), steps: request.steps, date: new Date().toISOString() };
    const { model } = await importModel(this.registry, request.path, request.name, { origin, validationPerplexity: request.validationPerplexity });
    return model;
  }

  export(id: string, target: string): Promise<{ path: string }> {
    return exportModel(this.registry, id, target);
  }

  discardDownload(name: string): Promise<{ ok: true }> {
    return discardDownload(this.registry, name, this.catalogueEntries);
  }

  /** The stream form: progress events, then the done event as the result (or an error Result). */
  async download(name: string, onEvent: (event: DownloadEvent) => void, signal: AbortSignal): Promise<Result<DownloadEvent>> {
    try {
      const model = await this.downloadModel(name, { onEvent, signal });
      return { ok: true, value: { type: 'done', model } };
    } catch (err) {
      return { ok: false, error: toApiError(err) };
    }
  }

  /** The plain form, for the CLI; throws ServiceError. */
  downloadModel(name: string, extra: { onEvent?: (event: DownloadEvent) => void; signal?: AbortSignal } = {}): Promise<ModelInfo> {
    return downloadModel(name, {
      registry: this.registry,
      catalogue: this.catalogueEntries,
      baseUrl: this.options.baseUrl ?? DEFAULT_BASE_URL,
      allowedHosts: this.options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS,
      transfer: this.options.transfer,
      ...extra,
    });
  }
}
