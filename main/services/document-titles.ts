/**
 * Titles the writer chose (documents.rename). A document's title normally
 * follows its first heading or line; a renamed one keeps the name it was
 * given, stored beside it as `.inkwell/<id>.title.json` so the Markdown is
 * untouched. An empty name removes the file and the title follows the text
 * again. Unreadable files count as "no title": a title is a convenience.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MAX_TITLE_CHARS } from '../../common/contract';
import { writeFileAtomic } from './atomic-write';
import { ioError } from './service-error';

const TitleFileSchema = z.object({ title: z.string().trim().min(1).max(MAX_TITLE_CHARS) }).strict();
const MAX_TITLE_FILE_BYTES = 4096;

/** The stored title, or null when there is none (or it cannot be read). */
export async function readTitle(file: string): Promise<string | null> {
  try {
    const st = await fsp.lstat(file);
    if (!st.isFile() || st.size > MAX_TITLE_FILE_BYTES) return null;
    const parsed = TitleFileSchema.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
    return parsed.success ? parsed.data.title : null;
  } catch {
    return null;
  }
}

/** Stores `title` (trimmed); an empty one removes the file. Returns what is stored now. */
export async function writeTitle(file: string, title: string): Promise<string | null> {
  const trimmed = title.trim().slice(0, MAX_TITLE_CHARS);
  try {
    if (trimmed === '') {
      await fsp.rm(file, { force: true });
      return null;
    }
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, `${JSON.stringify({ title: trimmed })}\n`);
    return trimmed;
  } catch (err) {
    throw ioError(`could not store the title in ${file}`, err);
  }
}
