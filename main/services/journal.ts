/**
 * The unsaved-changes journal: the editor's latest text of a document, written
 * atomically to <dataDir>/journal/<id>.md on every call, so that a crash of the
 * renderer, the main process or the machine loses nothing (BAD-INPUTS E.8, G.5).
 * A save clears the entry; an entry newer than the saved file is a recovery.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DocumentId } from '../../common/contract';
import { sweepTempFiles, writeFileAtomic } from './atomic-write';
import { ServiceError, errnoCode, ioError } from './service-error';

export interface JournalEntry {
  content: string;
  /** mtime of the entry, ms since the epoch. */
  updatedAt: number;
}

export class JournalService {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'journal');
  }

  /** The entry's path; the id is re-validated here so no caller can make it escape the folder. */
  private fileOf(id: string): string {
    if (!DocumentId.safeParse(id).success) throw new ServiceError('invalid_payload', `journal: invalid document id ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id}.md`);
  }

  async write(id: string, content: string): Promise<void> {
    const file = this.fileOf(id);
    try {
      await fsp.mkdir(this.dir, { recursive: true });
      await writeFileAtomic(file, content);
    } catch (err) {
      throw ioError(`could not journal unsaved changes of "${id}"`, err);
    }
  }

  /** The entry, or null when there is none (or it cannot be read: a bad journal must not block opening). */
  async read(id: string): Promise<JournalEntry | null> {
    const file = this.fileOf(id);
    try {
      const st = await fsp.stat(file);
      if (!st.isFile()) return null;
      return { content: await fsp.readFile(file, 'utf8'), updatedAt: st.mtimeMs };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      return null;
    }
  }

  async clear(id: string): Promise<void> {
    try {
      await fsp.rm(this.fileOf(id), { force: true });
    } catch (err) {
      throw ioError(`could not clear the journal of "${id}"`, err);
    }
  }

  /** Moves an entry aside (into the trash) instead of deleting it. */
  async moveTo(id: string, target: string): Promise<boolean> {
    try {
      await fsp.rename(this.fileOf(id), target);
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw ioError(`could not move the journal of "${id}"`, err);
    }
  }

  /** Ids that have an entry; used at start-up to offer recovery. */
  async ids(): Promise<string[]> {
    await sweepTempFiles(this.dir);
    try {
      const names = await fsp.readdir(this.dir);
      return names.filter((n) => n.endsWith('.md')).map((n) => n.slice(0, -3)).filter((id) => DocumentId.safeParse(id).success);
    } catch {
      return [];
    }
  }
}
