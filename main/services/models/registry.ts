/**
 * The model registry: one JSON index (<dataDir>/models/models.json, written
 * atomically) of every installed model, each a folder <dataDir>/models/<id>/ in
 * Hugging Face layout, plus the built-in model that ships with the app.
 *
 * The folders are the truth and the index is a cache of what is slow to
 * recompute (sizes, names, origins): each folder also carries its own small
 * inkwell-model.json, so a missing or corrupt index is rebuilt from the folders
 * on open, and an index that disagrees with them (a folder removed by hand, a
 * crash between moving a folder and writing the index) is reconciled. Deleted
 * models go to a trash folder, never straight to unlink: a mis-click on a
 * fine-tune that took a night must be recoverable.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ModelInfo } from '../../../common/contract';
import { parseModelConfig } from '../../engine/model-config';
import { sweepTempFiles, writeFileAtomic } from '../atomic-write';
import { ServiceError } from '../service-error';
import { architectureOf, folderSize } from './model-folder';

export const INDEX_FILE = 'models.json';
export const META_FILE = 'inkwell-model.json';
export const TRASH_DIR = '.trash';
export const BUILTIN_ID = 'builtin';
const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const MAX_ID_CHARS = 60;

const Origin = z.object({
  kind: z.enum(['builtin', 'downloaded', 'imported', 'finetuned']),
  from: z.string().optional(),
  files: z.array(z.string()).optional(),
  steps: z.number().int().nonnegative().optional(),
  date: z.string(),
});
/** What a model folder says about itself: enough to rebuild its index entry. */
const Meta = z.object({
  name: z.string().min(1),
  origin: Origin,
  validationPerplexity: z.number().positive().nullable().optional(),
});
export type ModelMeta = z.infer<typeof Meta>;

const Entry = z.object({
  id: z.string().regex(ID_PATTERN),
  name: z.string().min(1),
  origin: Origin,
  architecture: z.object({
    layers: z.number(), width: z.number(), heads: z.number(), context: z.number(), vocab: z.number(), parameters: z.number(),
  }),
  sizeBytes: z.number().nonnegative(),
  validationPerplexity: z.number().positive().nullable(),
});
type IndexEntry = z.infer<typeof Entry>;
const Index = z.object({ version: z.literal(1), activeId: z.string().nullable(), models: z.array(Entry) });
type IndexFile = z.infer<typeof Index>;

export interface RegistryOptions {
  dataDir: string;
  /** The app's built-in model folder (read-only, never copied or deleted); null when the app ships none. */
  builtinDir?: string | null;
  log?: (message: string) => void;
}

export interface RegistryLoadReport {
  /** Set when the index was missing, corrupt or out of step with the folders, and what was done. */
  problem: string | null;
  rebuilt: boolean;
}

/** A display name as a folder-safe id: "GPT-2 Medium (mine)" → "gpt-2-medium-mine". */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // accents come off: "É" is "E" + a combining mark after NFKD
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_ID_CHARS)
    .replace(/-+$/, '');
  return slug === '' ? 'model' : slug;
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
}

/** Reads a folder's own description: its meta file where valid, else what config.json says. */
async function describeFolder(dir: string, id: string, fallbackOrigin: ModelMeta['origin']): Promise<IndexEntry> {
  const configFile = path.join(dir, 'config.json');
  const config = parseModelConfig(await fs.readFile(configFile, 'utf8'), configFile);
  const meta = Meta.safeParse(await readJson(path.join(dir, META_FILE)).catch(() => null));
  const m: ModelMeta = meta.success ? meta.data : { name: id, origin: fallbackOrigin };
  return {
    id,
    name: m.name,
    origin: m.origin,
    architecture: architectureOf(config),
    sizeBytes: await folderSize(dir),
    validationPerplexity: m.validationPerplexity ?? null,
  };
}

export class ModelRegistry {
  readonly modelsDir: string;
  private entries: IndexEntry[] = [];
  private activeId: string | null = null;
  private builtin: IndexEntry | null = null;
  /** Mutations run one at a time, so two renames cannot write interleaved indexes. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: RegistryOptions,
    readonly loadReport: RegistryLoadReport,
  ) {
    this.modelsDir = path.join(options.dataDir, 'models');
  }

  static async open(options: RegistryOptions): Promise<ModelRegistry> {
    const registry = new ModelRegistry(options, { problem: null, rebuilt: false });
    await registry.load();
    return registry;
  }

  private get indexFile(): string {
    return path.join(this.modelsDir, INDEX_FILE);
  }

  folderOf(id: string): string {
    if (id === BUILTIN_ID && this.builtin) return path.resolve(this.options.builtinDir as string);
    return path.join(this.modelsDir, id);
  }

  private async load(): Promise<void> {
    await fs.mkdir(this.modelsDir, { recursive: true });
    // Index writes cut short by a crash leave temp files here (found by tests/unit/faults/registry-kill.test.ts).
    await sweepTempFiles(this.modelsDir);
    const problems: string[] = [];
    if (this.options.builtinDir) {
      try {
        this.builtin = await describeFolder(this.options.builtinDir, BUILTIN_ID, { kind: 'builtin', date: new Date(0).toISOString() });
        this.builtin.origin = { ...this.builtin.origin, kind: 'builtin' };
        if (this.builtin.name === BUILTIN_ID) this.builtin.name = 'Built-in model';
      } catch (err) {
        problems.push(`built-in model at ${this.options.builtinDir} is unusable: ${(err as Error).message}`);
      }
    }

    let index: IndexFile | null = null;
    let rebuilt = false;
    try {
      const parsed = Index.safeParse(await readJson(this.indexFile));
      if (parsed.success) index = parsed.data;
      else problems.push(`${INDEX_FILE} does not match its schema (${parsed.error.issues[0]?.message ?? 'unknown'}); rebuilt from the model folders`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') problems.push(`${INDEX_FILE} is unreadable (${(err as Error).message}); rebuilt from the model folders`);
    }
    if (index === null) {
      rebuilt = true;
      // Keep the broken file for a post-mortem; a missing one has nothing to keep.
      await fs.rename(this.indexFile, `${this.indexFile}.corrupt-${Date.now()}`).catch(() => undefined);
    }

    const known = new Map((index?.models ?? []).map((e) => [e.id, e]));
    const entries: IndexEntry[] = [];
    let changed = rebuilt;
    for (const dirent of await fs.readdir(this.modelsDir, { withFileTypes: true })) {
      const id = dirent.name;
      if (!dirent.isDirectory() || !ID_PATTERN.test(id) || id === BUILTIN_ID) continue;
      const entry = known.get(id);
      if (entry) {
        entries.push(entry);
        known.delete(id);
        continue;
      }
      try {
        entries.push(await describeFolder(path.join(this.modelsDir, id), id, { kind: 'imported', date: new Date().toISOString() }));
        changed = true;
        if (!rebuilt) problems.push(`model folder ${id} was not in the index; added`);
      } catch (err) {
        // A half-written or foreign folder: leave it alone and say so.
        problems.push(`folder ${id} is not a usable model (${(err as Error).message}); skipped`);
      }
    }
    for (const id of known.keys()) {
      problems.push(`model ${id} is in the index but its folder is gone; removed from the list`);
      changed = true;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    this.entries = entries;

    const wanted = index?.activeId ?? null;
    this.activeId = wanted !== null && this.has(wanted) ? wanted : this.defaultActive();
    if (this.activeId !== wanted) changed = true;

    this.loadReport.problem = problems.length > 0 ? problems.join('; ') : null;
    this.loadReport.rebuilt = rebuilt;
    if (this.loadReport.problem) this.options.log?.(`models: ${this.loadReport.problem}`);
    if (changed) await this.save();
  }

  private has(id: string): boolean {
    return (id === BUILTIN_ID && this.builtin !== null) || this.entries.some((e) => e.id === id);
  }

  private defaultActive(): string | null {
    return this.builtin ? BUILTIN_ID : (this.entries[0]?.id ?? null);
  }

  private async save(): Promise<void> {
    const index: IndexFile = { version: 1, activeId: this.activeId, models: this.entries };
    await writeFileAtomic(this.indexFile, JSON.stringify(index, null, 2) + '\n');
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private toInfo(e: IndexEntry): ModelInfo {
    return { ...e, active: e.id === this.activeId, path: this.folderOf(e.id) };
  }

  /** The built-in model first, then the others by name. */
  list(): ModelInfo[] {
    return [...(this.builtin ? [this.builtin] : []), ...this.entries].map((e) => this.toInfo(e));
  }

  get(id: string): ModelInfo {
    const entry = id === BUILTIN_ID ? this.builtin : this.entries.find((e) => e.id === id);
    if (!entry) throw new ServiceError('not_found', `no model with id ${JSON.stringify(id)}`);
    return this.toInfo(entry);
  }

  active(): ModelInfo | null {
    return this.activeId === null ? null : this.get(this.activeId);
  }

  /** A free id for a new model folder, from its display name. */
  async allocateId(name: string): Promise<string> {
    const base = slugify(name);
    for (let n = 1; ; n++) {
      const id = n === 1 ? base : `${base.slice(0, MAX_ID_CHARS - 4)}-${n}`;
      if (id === BUILTIN_ID || this.has(id)) continue;
      const exists = await fs.stat(path.join(this.modelsDir, id)).then(() => true, () => false);
      if (!exists) return id;
    }
  }

  /**
   * Adds a model whose complete folder already sits at modelsDir/<id> (moved there by
   * download or import after validation). Writes the folder's meta file, then the index.
   */
  register(id: string, meta: ModelMeta, options: { activate?: boolean } = {}): Promise<ModelInfo> {
    return this.serial(async () => {
      if (!ID_PATTERN.test(id) || id === BUILTIN_ID) throw new ServiceError('invalid_payload', `invalid model id ${JSON.stringify(id)}`);
      const dir = this.folderOf(id);
      await writeFileAtomic(path.join(dir, META_FILE), JSON.stringify(Meta.parse(meta), null, 2) + '\n');
      const entry = await describeFolder(dir, id, meta.origin);
      this.entries = [...this.entries.filter((e) => e.id !== id), entry].sort((a, b) => a.name.localeCompare(b.name));
      if (options.activate || this.activeId === null) this.activeId = id;
      await this.save();
      return this.toInfo(entry);
    });
  }

  rename(id: string, name: string): Promise<ModelInfo> {
    return this.serial(async () => {
      const trimmed = name.trim();
      if (trimmed === '') throw new ServiceError('invalid_payload', 'a model name cannot be empty');
      if (id === BUILTIN_ID) throw new ServiceError('conflict', 'the built-in model cannot be renamed');
      const entry = this.entries.find((e) => e.id === id);
      if (!entry) throw new ServiceError('not_found', `no model with id ${JSON.stringify(id)}`);
      const meta: ModelMeta = { name: trimmed, origin: entry.origin, validationPerplexity: entry.validationPerplexity };
      await writeFileAtomic(path.join(this.folderOf(id), META_FILE), JSON.stringify(meta, null, 2) + '\n');
      entry.name = trimmed;
      this.entries.sort((a, b) => a.name.localeCompare(b.name));
      await this.save();
      return this.toInfo(entry);
    });
  }

  /** Moves the folder to <models>/.trash/<id>-<time>; the built-in model is refused. */
  delete(id: string): Promise<{ ok: true; trashedTo: string }> {
    return this.serial(async () => {
      if (id === BUILTIN_ID) throw new ServiceError('conflict', 'the built-in model cannot be deleted');
      if (!this.entries.some((e) => e.id === id)) throw new ServiceError('not_found', `no model with id ${JSON.stringify(id)}`);
      const trash = path.join(this.modelsDir, TRASH_DIR);
      await fs.mkdir(trash, { recursive: true });
      const to = path.join(trash, `${id}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      // Folder first, index second: a crash in between is reconciled on the next open.
      await fs.rename(this.folderOf(id), to);
      this.entries = this.entries.filter((e) => e.id !== id);
      if (this.activeId === id) this.activeId = this.defaultActive();
      await this.save();
      return { ok: true as const, trashedTo: to };
    });
  }

  setActive(id: string): Promise<ModelInfo> {
    return this.serial(async () => {
      const info = this.get(id);
      this.activeId = id;
      await this.save();
      return { ...info, active: true };
    });
  }
}
