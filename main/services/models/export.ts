/**
 * Exports a model (a fine-tune included) in Hugging Face layout with a model
 * card, to a new folder or to a .tar or .zip, so that it opens in other tools and can
 * be imported into Inkwell elsewhere. Only the model files and the card are
 * written (not Inkwell's own bookkeeping). The result appears at the target
 * path only when complete: it is assembled under a temporary name beside it.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ServiceError } from '../service-error';
import { renderModelCard } from './model-card';
import { MODEL_FILES } from './model-folder';
import type { ModelRegistry } from './registry';
import { writeTar } from './tar';
import { writeZip } from './zip';

async function isEmptyDirOrMissing(target: string): Promise<boolean> {
  const st = await fs.stat(target).catch(() => null);
  if (!st) return true;
  return st.isDirectory() && (await fs.readdir(target)).length === 0;
}

/** The model files present in a model folder, in MODEL_FILES order. */
async function modelFiles(dir: string): Promise<string[]> {
  const present: string[] = [];
  for (const name of MODEL_FILES) {
    const st = await fs.stat(path.join(dir, name)).catch(() => null);
    if (st?.isFile()) present.push(name);
  }
  return present;
}

/**
 * Writes model `id` to `target`: a folder (which must not exist or be empty) or, when the
 * path ends in .tar or .zip, an archive holding one folder. Returns the path written.
 */
export async function exportModel(registry: ModelRegistry, id: string, target: string, now: Date = new Date()): Promise<{ path: string }> {
  const info = registry.get(id);
  const to = path.resolve(target);
  const archive = /\.zip$/i.test(to) ? 'zip' : /\.tar$/i.test(to) ? 'tar' : null;
  const asFile = archive !== null;
  if (asFile ? (await fs.stat(to).catch(() => null)) !== null : !(await isEmptyDirOrMissing(to))) {
    throw new ServiceError('conflict', `${to}: already exists${asFile ? '' : ' and is not empty'}; choose a new ${asFile ? 'file' : 'folder'}`);
  }
  const parent = path.dirname(to);
  if (!(await fs.stat(parent).catch(() => null))?.isDirectory()) throw new ServiceError('not_found', `${parent}: folder not found`);

  const names = await modelFiles(info.path);
  const tmp = path.join(parent, `.${path.basename(to)}.inkwell-export-${randomBytes(4).toString('hex')}`);
  const tmpDir = asFile ? `${tmp}-dir` : tmp;
  try {
    await fs.mkdir(tmpDir);
    for (const name of names) await fs.copyFile(path.join(info.path, name), path.join(tmpDir, name));
    await fs.writeFile(path.join(tmpDir, 'README.md'), renderModelCard(info, now));
    if (asFile) {
      await (archive === 'zip' ? writeZip : writeTar)(tmp, info.id, [...names, 'README.md'].map((n) => path.join(tmpDir, n)));
      await fs.rename(tmp, to);
    } else {
      // rename() over an empty folder works on POSIX; remove it first for Windows.
      await fs.rmdir(to).catch(() => undefined);
      await fs.rename(tmpDir, to);
    }
    return { path: to };
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    throw new ServiceError('io_error', `export of ${info.name} to ${to} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (asFile) await fs.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
