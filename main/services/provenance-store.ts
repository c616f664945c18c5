/**
 * The provenance sidecar: which ranges of a document the model wrote, stored
 * beside the document (never in it: the writer's Markdown stays clean) as
 * `{ version, textHash, spans }`. The hash is of the Markdown the spans were
 * made for. On read, a matching hash means the spans fit as they are; any
 * other text (the file was edited outside Inkwell, or a crash fell between
 * the document's write and this one's) re-anchors them by their own text and
 * counts what could not be found. Written atomically; no marks, no file.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ProvenanceSchema, type ProvenanceSpan } from '../../common/contract';
import { reanchor, validSpans } from '../../common/provenance';
import { writeFileAtomic } from './atomic-write';
import { errnoCode, ioError } from './service-error';

/** Spans are a few bytes each; a sidecar far bigger than the biggest document's is not ours. */
const MAX_SIDECAR_BYTES = 64 * 1024 * 1024;

const SidecarSchema = z.object({ version: z.literal(1), textHash: z.string().max(128), spans: ProvenanceSchema }).strict();

export interface LoadedProvenance {
  spans: ProvenanceSpan[];
  /** Spans that no longer fit and could not be found again. */
  dropped: number;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Writes the spans of `content` atomically to `file`, or removes `file` when there are none. */
export async function writeProvenance(file: string, content: string, spans: readonly ProvenanceSpan[] | undefined): Promise<void> {
  const valid = validSpans(content, spans ?? []);
  try {
    if (valid.length === 0) {
      await fsp.rm(file, { force: true });
      return;
    }
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify({ version: 1, textHash: hashText(content), spans: valid }));
  } catch (err) {
    throw ioError(`could not store which text the model wrote (${file})`, err);
  }
}

/**
 * The spans stored for `content`; none when there is no sidecar. A sidecar that cannot be
 * read or does not validate loses its marks (counted as dropped) rather than the document.
 */
export async function readProvenance(file: string, content: string): Promise<LoadedProvenance> {
  let text: string;
  try {
    const st = await fsp.lstat(file);
    if (!st.isFile() || st.size > MAX_SIDECAR_BYTES) return { spans: [], dropped: 0 };
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { spans: [], dropped: 0 };
    return { spans: [], dropped: 0 };
  }
  let parsed: z.infer<typeof SidecarSchema>;
  try {
    const result = SidecarSchema.safeParse(JSON.parse(text));
    if (!result.success) return { spans: [], dropped: 0 };
    parsed = result.data;
  } catch {
    return { spans: [], dropped: 0 };
  }
  if (parsed.textHash === hashText(content)) {
    const spans = validSpans(content, parsed.spans);
    return { spans, dropped: parsed.spans.length - spans.length };
  }
  return reanchor(content, parsed.spans);
}

/** Moves a sidecar (into the trash, or back); a missing one is fine. */
export async function moveProvenance(from: string, to: string): Promise<void> {
  try {
    await fsp.mkdir(path.dirname(to), { recursive: true });
    await fsp.rename(from, to);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError(`could not move ${from}`, err);
  }
}
