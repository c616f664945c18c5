/**
 * Imports a Hugging Face GPT-2 folder (or a .tar or .zip of one) into the registry.
 *
 * Order matters: the source is checked first (strict safetensors header,
 * config vs tensor shapes, tokenizer files), so a bad folder costs no copying;
 * then only the known model files are copied into a staging folder (never a
 * pickle, never whatever else lies around), the source is checked not to have
 * changed during the copy, the copy itself is checked again (it is what the
 * engine will load), and only then is it moved into place and registered.
 * Any failure removes the staging folder and registers nothing.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ModelInfo } from '../../../common/contract';
import { ServiceError } from '../service-error';
import { checkModelFolder, MODEL_FILES, PICKLE_EXPLANATION, UNSAFE_WEIGHTS } from './model-folder';
import { META_FILE, type ModelMeta, type ModelRegistry } from './registry';
import { extractTar } from './tar';
import { extractZip } from './zip';

export interface ImportResult {
  model: ModelInfo;
  warnings: string[];
}

async function stagingFolder(registry: ModelRegistry): Promise<string> {
  const dir = path.join(registry.modelsDir, `.import-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** Copies the checked files and fails if a source file changed while it was being copied (A.16). */
async function copyChecked(files: { name: string; size: number; mtimeMs: number }[], from: string, to: string): Promise<void> {
  for (const f of files) {
    const src = path.join(from, f.name);
    await fs.copyFile(src, path.join(to, f.name));
    const after = await fs.stat(src);
    if (after.size !== f.size || after.mtimeMs !== f.mtimeMs) {
      throw new ServiceError('conflict', `${src}: changed while it was being imported; try again when nothing is writing to it`);
    }
  }
}

function defaultName(source: string): string {
  return path.basename(source).replace(/\.(tar|zip)$/i, '') || 'Imported model';
}

/**
 * Imports `source` (a folder, or a .tar or .zip holding one) under display name `name`
 * (default: the folder's name). Throws ServiceError: not_found, invalid_model (with the
 * file and tensor named), conflict (the source changed during the copy), io_error.
 */
export async function importModel(
  registry: ModelRegistry,
  source: string,
  name?: string,
  /** For a fine-tune's checkpoint folder: its real origin and measured perplexity instead of "imported". */
  provenance?: { origin: ModelMeta['origin']; validationPerplexity?: number | null },
): Promise<ImportResult> {
  const from = path.resolve(source);
  const st = await fs.stat(from).catch(() => null);
  if (!st) throw new ServiceError('not_found', `${from}: not found`);
  const archive = st.isFile() ? (/\.zip$/i.test(from) ? 'zip' : /\.tar$/i.test(from) ? 'tar' : null) : null;
  if (st.isFile() && archive === null) {
    const why = UNSAFE_WEIGHTS.test(from) ? ` ${PICKLE_EXPLANATION}` : ' Choose the model folder (config.json, model.safetensors, vocab.json, merges.txt) or a .tar of it.';
    throw new ServiceError('invalid_model', `${from}: a single file cannot be imported.${why}`);
  }

  const staging = await stagingFolder(registry);
  try {
    let warnings: string[];
    if (st.isDirectory()) {
      const checked = await checkModelFolder(from);
      await copyChecked(checked.files, from, staging);
      warnings = checked.warnings;
    } else {
      const { seen } = await (archive === 'zip' ? extractZip : extractTar)(from, staging, MODEL_FILES);
      const unsafe = seen.filter((n) => UNSAFE_WEIGHTS.test(n));
      if (!seen.includes('model.safetensors') && unsafe.length > 0) {
        throw new ServiceError('invalid_model', `${from}: has ${unsafe.slice(0, 3).join(', ')} but no model.safetensors. ${PICKLE_EXPLANATION}`);
      }
      warnings = unsafe.length > 0 ? [`ignored ${unsafe.join(', ')}: pickle and foreign weight files are never opened or copied`] : [];
    }
    // The copy is what the engine will load: check it, not only the source.
    await checkModelFolder(staging);

    const displayName = name?.trim() || defaultName(from);
    const meta: ModelMeta = provenance
      ? { name: displayName, origin: provenance.origin, validationPerplexity: provenance.validationPerplexity ?? null }
      : { name: displayName, origin: { kind: 'imported', from, date: new Date().toISOString() } };
    await fs.writeFile(path.join(staging, META_FILE), JSON.stringify(meta, null, 2) + '\n');
    const id = await registry.allocateId(displayName);
    await fs.rename(staging, path.join(registry.modelsDir, id));
    return { model: await registry.register(id, meta), warnings };
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    if (err instanceof ServiceError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ServiceError('io_error', `import of ${from} failed: ${reason}`, { cause: err });
  }
}
