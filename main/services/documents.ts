/**
 * Documents are Markdown files in the documents folder: `<id>.md`, where the id
 * is a lower-case slug (the contract's DocumentId, so no id can name a path
 * outside the folder). Saves are atomic; deletes move the file to
 * <dataDir>/Trash and never unlink (restore brings them back by their trash
 * stamp); unsaved changes go to the journal and win over the file on open when
 * they are newer (a crash recovery). Beside each document, in `.inkwell/`: its
 * settings, the ranges the model wrote (provenance-store.ts) and a title the
 * writer chose (document-titles.ts); the Markdown itself stays clean.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_DOCUMENT_SETTINGS,
  DocumentId,
  DocumentSettingsSchema,
  MAX_DOCUMENT_CHARS,
  type DocumentContent,
  type DocumentMeta,
  type DocumentSettings,
  type ExportedFile,
  type ProvenanceSpan,
} from '../../common/contract';
import { sweepTempFiles, writeFileAtomic } from './atomic-write';
import { exportDocument, type ExportFormat } from './document-export';
import { countWords, slugify, titleOf } from './document-text';
import { readTitle, writeTitle } from './document-titles';
import type { JournalService } from './journal';
import { moveProvenance, readProvenance, writeProvenance } from './provenance-store';
import { ServiceError, errnoCode, ioError } from './service-error';

export { countWords, slugify, titleOf } from './document-text';

const EXT = '.md';
/** Per-document settings (memory, author's note, generation) live beside the documents in this hidden folder. */
export const SETTINGS_DIR = '.inkwell';
/** A settings file is a few kilobytes; anything far bigger is not ours. */
const MAX_SETTINGS_BYTES = 256 * 1024;
/** UTF-8 needs at most 4 bytes a UTF-16 unit pair; a bigger file is refused before it is read. */
const MAX_DOCUMENT_BYTES = MAX_DOCUMENT_CHARS * 3;

export interface DocumentsOptions {
  dataDir: string;
  /** The folder, read on every call so a settings change takes effect at once. */
  documentsDir: () => string;
  journal: JournalService;
}

export interface SaveRequest {
  id?: string;
  title?: string;
  content: string;
  /** Machine-written ranges of `content`; absent: none (the sidecar is removed). */
  provenance?: ProvenanceSpan[];
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export class DocumentsService {
  /** Per-id chains: a save, a journal write and a delete of one document never interleave. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Ids handed out to creates that have not hit the disk yet. */
  private readonly reserved = new Set<string>();
  /** Metadata by id, valid while the file's mtime and size are unchanged: list() need not reread every file. */
  private readonly metaCache = new Map<string, { mtimeMs: number; size: number; meta: DocumentMeta }>();

  constructor(private readonly options: DocumentsOptions) {}

  get dir(): string {
    return this.options.documentsDir();
  }

  private fileOf(id: string): string {
    // Defence in depth: the router validated the id already.
    if (!DocumentId.safeParse(id).success) throw new ServiceError('invalid_payload', `invalid document id ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id}${EXT}`);
  }

  private serial<T>(id: string, work: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(id) ?? Promise.resolve()).then(work);
    const tail = run.catch(() => undefined);
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return run;
  }

  /** stat that refuses what is not a plain file (a symlink could point anywhere). */
  private async statDoc(id: string): Promise<import('node:fs').Stats | null> {
    try {
      const st = await fsp.lstat(this.fileOf(id));
      if (st.isSymbolicLink() || !st.isFile()) {
        throw new ServiceError('io_error', `${this.fileOf(id)} is not a regular file; Inkwell does not follow links out of the documents folder`);
      }
      return st;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      if (err instanceof ServiceError) throw err;
      throw ioError(`cannot read document "${id}"`, err);
    }
  }

  private async readDoc(id: string, st: import('node:fs').Stats): Promise<string> {
    if (st.size > MAX_DOCUMENT_BYTES) {
      throw new ServiceError('io_error', `${this.fileOf(id)} is ${st.size} bytes, above the ${MAX_DOCUMENT_BYTES}-byte document limit`);
    }
    try {
      return await fsp.readFile(this.fileOf(id), 'utf8');
    } catch (err) {
      throw ioError(`cannot read document "${id}"`, err);
    }
  }

  async list(): Promise<DocumentMeta[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw ioError(`cannot list ${this.dir}`, err);
    }
    const metas: DocumentMeta[] = [];
    for (const name of names) {
      if (!name.endsWith(EXT)) continue;
      const id = name.slice(0, -EXT.length);
      if (!DocumentId.safeParse(id).success) continue;
      try {
        const st = await this.statDoc(id);
        if (!st || st.size > MAX_DOCUMENT_BYTES) continue;
        const cached = this.metaCache.get(id);
        if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) {
          metas.push(cached.meta);
          continue;
        }
        const content = await this.readDoc(id, st);
        const named = await readTitle(this.titleFileOf(id));
        const meta: DocumentMeta = { id, title: named ?? titleOf(content), updatedAt: Math.floor(st.mtimeMs), words: countWords(content), ...(named === null ? {} : { titled: true }) };
        this.metaCache.set(id, { mtimeMs: st.mtimeMs, size: st.size, meta });
        metas.push(meta);
      } catch {
        // One unreadable file (a link, a permission problem) must not hide all the others.
      }
    }
    return metas.sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
  }

  async open(id: string): Promise<DocumentContent> {
    const st = await this.statDoc(id);
    const journal = await this.options.journal.read(id);
    // Equal mtimes count as newer: file times tick every few ms, and save() clears the journal,
    // so a journal as new as the file was written after that save (an edit right after saving).
    const named = await readTitle(this.titleFileOf(id));
    const titled = named === null ? {} : { title: named, titled: true };
    if (journal && (!st || journal.updatedAt >= st.mtimeMs)) {
      const content = journal.content;
      const marks = provenanceFields(await readProvenance(this.journalProvenanceOf(id), content));
      return { id, title: titleOf(content), updatedAt: Math.floor(journal.updatedAt), words: countWords(content), content, recovered: true, ...titled, ...marks };
    }
    if (!st) throw new ServiceError('not_found', `no document "${id}" in ${this.dir}`);
    const content = await this.readDoc(id, st);
    const marks = provenanceFields(await readProvenance(this.provenanceFileOf(id), content));
    return { id, title: titleOf(content), updatedAt: Math.floor(st.mtimeMs), words: countWords(content), content, recovered: false, ...titled, ...marks };
  }

  /** Writes the document atomically (creating it when `id` is absent) and clears its journal. */
  async save(request: SaveRequest): Promise<DocumentMeta> {
    const id = request.id ?? (await this.newId(request.title ?? titleOf(request.content, '')));
    try {
      return await this.serial(id, async () => {
        const existing = await this.statDoc(id);
        if (existing === null) await this.ensureDir();
        try {
          await writeFileAtomic(this.fileOf(id), request.content);
        } catch (err) {
          throw ioError(`could not save "${id}"; the previous version is intact`, err);
        }
        // After the document: a crash in between leaves old spans for new text, which open() re-anchors.
        await writeProvenance(this.provenanceFileOf(id), request.content, request.provenance);
        await this.options.journal.clear(id);
        await fsp.rm(this.journalProvenanceOf(id), { force: true }).catch(() => undefined);
        const st = await fsp.stat(this.fileOf(id));
        const named = await readTitle(this.titleFileOf(id));
        const meta: DocumentMeta = {
          id,
          title: named ?? titleOf(request.content, request.title?.trim() || 'Untitled'),
          updatedAt: Math.floor(st.mtimeMs),
          words: countWords(request.content),
          ...(named === null ? {} : { titled: true }),
        };
        this.metaCache.set(id, { mtimeMs: st.mtimeMs, size: st.size, meta });
        return meta;
      });
    } finally {
      this.reserved.delete(id);
    }
  }

  async journal(id: string, content: string, provenance?: ProvenanceSpan[]): Promise<{ ok: true }> {
    await this.serial(id, async () => {
      await this.options.journal.write(id, content);
      await writeProvenance(this.journalProvenanceOf(id), content, provenance);
    });
    return { ok: true };
  }

  /** Sidecar paths: machine-written spans and the writer's own title, beside the document (or its journal entry). */
  provenanceFileOf(id: string): string {
    return path.join(path.dirname(this.fileOf(id)), SETTINGS_DIR, `${id}.provenance.json`);
  }

  private journalProvenanceOf(id: string): string {
    this.fileOf(id); // validates the id
    return path.join(this.options.journal.dir, `${id}.provenance.json`);
  }

  private titleFileOf(id: string): string {
    return path.join(path.dirname(this.fileOf(id)), SETTINGS_DIR, `${id}.title.json`);
  }

  /** Gives the document a title of its own (an empty one: follow the first line again). */
  async rename(id: string, title: string): Promise<DocumentMeta> {
    return this.serial(id, async () => {
      const st = await this.statDoc(id);
      if (st === null) throw new ServiceError('not_found', `no document "${id}" in ${this.dir}`);
      const named = await writeTitle(this.titleFileOf(id), title);
      const content = await this.readDoc(id, st);
      this.metaCache.delete(id);
      return { id, title: named ?? titleOf(content), updatedAt: Math.floor(st.mtimeMs), words: countWords(content), ...(named === null ? {} : { titled: true }) };
    });
  }

  /** The document (journal included, as open() sees it) as a file to download. */
  async export(id: string, format: ExportFormat, withProvenance: boolean): Promise<ExportedFile> {
    const doc = await this.open(id);
    return exportDocument({ title: doc.title, content: doc.content, provenance: doc.provenance }, format, withProvenance);
  }

  private settingsFileOf(id: string): string {
    return path.join(path.dirname(this.fileOf(id)), SETTINGS_DIR, `${id}.json`);
  }

  /**
   * The document's settings, or the defaults when none are stored. A file that does not
   * parse or validate is ignored (defaults again) rather than failing: settings are a
   * convenience, and the next setSettings replaces the file.
   */
  async getSettings(id: string): Promise<DocumentSettings> {
    const file = this.settingsFileOf(id);
    let text: string;
    try {
      const st = await fsp.lstat(file);
      if (!st.isFile() || st.size > MAX_SETTINGS_BYTES) return structuredClone(DEFAULT_DOCUMENT_SETTINGS);
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return structuredClone(DEFAULT_DOCUMENT_SETTINGS);
      throw ioError(`cannot read the settings of document "${id}" (${file})`, err);
    }
    try {
      const parsed = DocumentSettingsSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : structuredClone(DEFAULT_DOCUMENT_SETTINGS);
    } catch {
      return structuredClone(DEFAULT_DOCUMENT_SETTINGS);
    }
  }

  /** Replaces the document's settings atomically; the document itself must exist. */
  async setSettings(id: string, settings: DocumentSettings): Promise<DocumentSettings> {
    return this.serial(`${SETTINGS_DIR}/${id}`, async () => {
      if ((await this.statDoc(id)) === null) throw new ServiceError('not_found', `no document "${id}" in ${this.dir}`);
      const file = this.settingsFileOf(id);
      try {
        await fsp.mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`);
      } catch (err) {
        throw ioError(`could not save the settings of "${id}"; the previous ones are intact`, err);
      }
      return settings;
    });
  }

  /** Moves the document (and any journal entry) to <dataDir>/Trash; nothing is unlinked. */
  async delete(id: string): Promise<{ ok: true; stamp: string }> {
    return this.serial(id, async () => {
      const trash = path.join(this.options.dataDir, 'Trash');
      const stamp = timestamp();
      const st = await this.statDoc(id);
      try {
        await fsp.mkdir(trash, { recursive: true });
      } catch (err) {
        throw ioError(`cannot create the trash folder ${trash}`, err);
      }
      const movedJournal = await this.options.journal.moveTo(id, path.join(trash, `${id}-${stamp}.journal${EXT}`));
      await moveProvenance(this.journalProvenanceOf(id), path.join(trash, `${id}-${stamp}.journal.provenance.json`));
      if (!st) {
        if (movedJournal) return { ok: true, stamp };
        throw new ServiceError('not_found', `no document "${id}" in ${this.dir}`);
      }
      await this.moveToTrash(this.fileOf(id), path.join(trash, `${id}-${stamp}${EXT}`));
      this.metaCache.delete(id);
      // Its memory and settings go with it (a later document with the same id must not inherit them).
      await this.moveToTrash(this.settingsFileOf(id), path.join(trash, `${id}-${stamp}.settings.json`)).catch(() => undefined);
      await moveProvenance(this.provenanceFileOf(id), path.join(trash, `${id}-${stamp}.provenance.json`)).catch(() => undefined);
      await moveProvenance(this.titleFileOf(id), path.join(trash, `${id}-${stamp}.title.json`)).catch(() => undefined);
      return { ok: true, stamp };
    });
  }

  /**
   * Brings a deleted document back from the trash with its sidecars and journal entry:
   * under its old id when that is still free, else under a fresh one (nothing is overwritten).
   */
  async restore(id: string, stamp: string): Promise<DocumentMeta> {
    const trash = path.join(this.options.dataDir, 'Trash');
    const base = path.join(trash, `${id}-${stamp}`);
    const hasDoc = await fsp.lstat(`${base}${EXT}`).then((s) => s.isFile(), () => false);
    const hasJournal = await fsp.lstat(`${base}.journal${EXT}`).then((s) => s.isFile(), () => false);
    if (!hasDoc && !hasJournal) throw new ServiceError('not_found', `nothing in the trash for "${id}" deleted at ${stamp}`);
    const free = (await this.statDoc(id)) === null && (await this.options.journal.read(id)) === null && !this.reserved.has(id);
    const target = free ? id : await this.newId(id);
    if (free) this.reserved.add(target);
    try {
      return await this.serial(target, async () => {
        await this.ensureDir();
        if (hasDoc) await this.moveToTrash(`${base}${EXT}`, this.fileOf(target));
        if (hasJournal) {
          await fsp.mkdir(this.options.journal.dir, { recursive: true });
          await this.moveToTrash(`${base}.journal${EXT}`, path.join(this.options.journal.dir, `${target}${EXT}`));
          await moveProvenance(`${base}.journal.provenance.json`, this.journalProvenanceOf(target));
        }
        await fsp.mkdir(path.join(this.dir, SETTINGS_DIR), { recursive: true });
        await moveProvenance(`${base}.settings.json`, this.settingsFileOf(target));
        await moveProvenance(`${base}.provenance.json`, this.provenanceFileOf(target));
        await moveProvenance(`${base}.title.json`, this.titleFileOf(target));
        const doc = await this.open(target);
        return { id: doc.id, title: doc.title, updatedAt: doc.updatedAt, words: doc.words, ...(doc.titled === true ? { titled: true } : {}) };
      });
    } finally {
      this.reserved.delete(target);
    }
  }

  private async moveToTrash(from: string, to: string): Promise<void> {
    try {
      await fsp.rename(from, to);
    } catch (err) {
      if (errnoCode(err) !== 'EXDEV') throw ioError(`could not move ${from} to the trash`, err);
      // The documents folder is on another volume: copy, then remove the original only once the copy is whole.
      try {
        await fsp.copyFile(from, to);
        await fsp.rm(from);
      } catch (copyErr) {
        throw ioError(`could not move ${from} to the trash across volumes`, copyErr);
      }
    }
  }

  private async ensureDir(): Promise<void> {
    try {
      await fsp.mkdir(this.dir, { recursive: true });
      await sweepTempFiles(this.dir);
    } catch (err) {
      throw ioError(`cannot create the documents folder ${this.dir}`, err);
    }
  }

  /** A unique id from the title: the slug, then slug-2, slug-3... skipping files, journals and pending creates. */
  private async newId(title: string): Promise<string> {
    const base = slugify(title).slice(0, 70);
    for (let n = 1; n < 10_000; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      if (this.reserved.has(id)) continue;
      const taken = (await this.statDoc(id).catch(() => true)) !== null || (await this.options.journal.read(id)) !== null;
      // Re-check after the awaits: a concurrent create may have taken the id meanwhile.
      if (taken || this.reserved.has(id)) continue;
      this.reserved.add(id);
      return id;
    }
    throw new ServiceError('conflict', `no free document id for "${base}"`);
  }
}

/** The open() fields for loaded spans: omitted when there are none and nothing was dropped. */
function provenanceFields(loaded: { spans: ProvenanceSpan[]; dropped: number }): Pick<DocumentContent, 'provenance' | 'provenanceDropped'> {
  return {
    ...(loaded.spans.length > 0 ? { provenance: loaded.spans } : {}),
    ...(loaded.dropped > 0 ? { provenanceDropped: loaded.dropped } : {}),
  };
}
