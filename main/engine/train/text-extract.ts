/**
 * Reads a writer's file as prose: .txt, .md/.markdown (markup stripped),
 * .docx (through mammoth's raw-text extraction). Refuses, with the reason,
 * what would only teach the model noise or exhaust memory: binary files,
 * text that is not UTF-8, files over MAX_FILE_BYTES, and unknown formats.
 *
 * What this is not: no cleaning beyond format markup (dataset.ts normalises
 * whitespace and drops duplicate paragraphs for every format alike).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** One document of 256 MB of text is ~60 M tokens: the dataset's Int32 token stream alone would be 240 MB. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export const SUPPORTED_EXTENSIONS = ['.txt', '.text', '.md', '.markdown', '.docx'] as const;

export class DatasetInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetInputError';
  }
}

/** NUL bytes never occur in text; a few in the first 8 KB mean a binary file. */
function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

/** UTF-8 (with or without a BOM), strictly: mojibake would be learned as the writer's voice. */
export function decodeUtf8(bytes: Uint8Array, label: string): string {
  if (looksBinary(bytes)) throw new DatasetInputError(`${label}: looks like a binary file (it contains NUL bytes), not text`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new DatasetInputError(`${label}: is not valid UTF-8 text; save it as UTF-8 (most editors offer this under "Save as")`);
  }
}

/**
 * Markdown to prose: front matter, code blocks, HTML tags, images and link
 * targets go; heading, list and quote markers and emphasis marks are
 * removed; the words stay.
 */
export function stripMarkdown(md: string): string {
  let s = md.replace(/\r\n?/g, '\n');
  s = s.replace(/^---\n[\s\S]*?\n---\n/, ''); //                           YAML front matter
  s = s.replace(/^(```|~~~)[^\n]*\n[\s\S]*?(\n\1[^\n]*|$)/gm, ''); //       fenced code
  s = s.replace(/<!--[\s\S]*?-->/g, ''); //                                 comments
  s = s.replace(/<\/?[A-Za-z][^>\n]*>/g, ''); //                            HTML tags
  s = s.replace(/!\[([^\]]*)\]\([^)]*\)/g, ''); //                          images
  s = s.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1'); //                         [text](url) → text
  s = s.replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1'); //                        [text][ref]
  s = s.replace(/^[ \t]*\[[^\]]+\]:[ \t]*\S+.*$/gm, ''); //                       reference definitions
  s = s.replace(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$/gm, '$1'); //               headings
  s = s.replace(/^ {0,3}(?:[-*_][ \t]*){3,}$/gm, ''); //                       horizontal rules
  s = s.replace(/^ {0,3}>\s?/gm, ''); //                                    block quotes
  s = s.replace(/^[ \t]*(?:[-*+]|\d+[.)])[ \t]+/gm, ''); //                        list markers
  s = s.replace(/^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$/gm, ''); //          table rules
  s = s.replace(/`([^`\n]+)`/g, '$1'); //                                   inline code
  s = s.replace(/(\*\*|__)(?=\S)([^\n]*?\S)\1/g, '$2'); //                  bold
  s = s.replace(/(^|[^\w*])[*_](?=\S)([^\n*_]*?\S)[*_](?!\w)/g, '$1$2'); // italics
  s = s.replace(/~~(.*?)~~/g, '$1');
  return s;
}

/** Extracts the text of one file; errors name the file and the reason. */
export async function extractText(file: string): Promise<string> {
  const label = file;
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    throw new DatasetInputError(`${label}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!st.isFile()) throw new DatasetInputError(`${label}: not a regular file`);
  if (st.size > MAX_FILE_BYTES) {
    throw new DatasetInputError(`${label}: ${(st.size / 2 ** 20).toFixed(0)} MB; the limit is ${MAX_FILE_BYTES / 2 ** 20} MB per file. Split it into smaller files`);
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.docx') {
    const mammoth = await import('mammoth');
    try {
      const { value } = await mammoth.extractRawText({ path: file });
      return value;
    } catch (err) {
      throw new DatasetInputError(`${label}: not a readable .docx file (${(err as Error).message})`);
    }
  }
  if (ext === '.odt' || ext === '.doc' || ext === '.rtf' || ext === '.pdf') {
    throw new DatasetInputError(`${label}: ${ext} files are not supported; save the document as .docx, .txt or .md`);
  }
  const bytes = await fs.readFile(file);
  const text = decodeUtf8(bytes, label);
  if (ext === '.md' || ext === '.markdown') return stripMarkdown(text);
  if (ext === '.txt' || ext === '.text' || ext === '') return text;
  throw new DatasetInputError(`${label}: unknown file type '${ext}'; use ${SUPPORTED_EXTENSIONS.join(', ')}`);
}
