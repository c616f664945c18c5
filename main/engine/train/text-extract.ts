/**
 * Reads a writer's file as prose: .txt, .md/.markdown (markup stripped),
 * .docx (through mammoth's raw-text extraction), .odt (odt-extract.ts). Refuses, with the reason,
 * what would only teach the model noise or exhaust memory: binary files,
 * text that is not UTF-8, files over MAX_FILE_BYTES, and unknown formats.
 *
 * What this is not: no cleaning beyond format markup (dataset.ts normalises
 * whitespace and drops duplicate paragraphs for every format alike).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { extractOdtText, OdtError } from './odt-extract';

/** One document of 256 MB of text is ~60 M tokens: the dataset's Int32 token stream alone would be 240 MB. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export const SUPPORTED_EXTENSIONS = ['.txt', '.text', '.md', '.markdown', '.docx', '.odt'] as const;

/** How a file is read: plain and Markdown text stream in chunks; word processor files are unpacked whole. */
export type FileKind = 'plain' | 'markdown' | 'docx' | 'odt';

export class DatasetInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetInputError';
  }
}

/** Only the file's first bytes are checked for NUL: enough for any binary format, cheap for 200 MB of text. */
export const BINARY_SNIFF_BYTES = 8192;

/** NUL bytes never occur in text; a few in the first 8 KB mean a binary file. `offset`: where `bytes` starts in the file. */
export function looksBinary(bytes: Uint8Array, offset = 0): boolean {
  const n = Math.min(bytes.length, BINARY_SNIFF_BYTES - offset);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

export const binaryFileError = (label: string): DatasetInputError => new DatasetInputError(`${label}: looks like a binary file (it contains NUL bytes), not text`);
export const notUtf8Error = (label: string): DatasetInputError =>
  new DatasetInputError(`${label}: is not valid UTF-8 text; save it as UTF-8 (most editors offer this under "Save as")`);

/** UTF-8 (with or without a BOM), strictly: mojibake would be learned as the writer's voice. */
export function decodeUtf8(bytes: Uint8Array, label: string): string {
  if (looksBinary(bytes)) throw binaryFileError(label);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw notUtf8Error(label);
  }
}

/**
 * Markdown to prose: front matter, code blocks, HTML tags, images and link
 * targets go; heading, list and quote markers and emphasis marks are
 * removed; the words stay.
 */
export function stripMarkdown(md: string): string {
  return stripMarkdownBody(stripFrontMatter(md.replace(/\r\n?/g, '\n')));
}

/** YAML front matter, which only a file's very start can hold (`s` has '\n' line ends). */
export const FRONT_MATTER = /^---\n[\s\S]*?\n---\n/;
export function stripFrontMatter(s: string): string {
  return s.replace(FRONT_MATTER, '');
}

/** A fence line opens a code block that runs to the next line starting with the same fence, or to the end. */
export const FENCE_LINE = /^(```|~~~)/gm;

/**
 * Markdown markup of a body with '\n' line ends. Every rule but the fenced
 * code and comment ones is line-local, so dataset.ts may strip a long file
 * piece by piece, cut at blank lines outside fences and comments.
 */
export function stripMarkdownBody(md: string): string {
  let s = md;
  // Line by line: a fence, then lines that do not start with the same fence, then the closing line (if any).
  s = s.replace(/^(```|~~~)[^\n]*(?:\n(?!\1)[^\n]*)*(?:\n\1[^\n]*)?/gm, ''); // fenced code
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

/**
 * Checks one file before any of it is read: it exists, is a regular file,
 * within MAX_FILE_BYTES, of a supported kind. Returns its size and kind.
 */
export async function checkFile(file: string): Promise<{ size: number; kind: FileKind }> {
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
  if (ext === '.docx') return { size: st.size, kind: 'docx' };
  if (ext === '.odt') return { size: st.size, kind: 'odt' };
  if (ext === '.md' || ext === '.markdown') return { size: st.size, kind: 'markdown' };
  if (ext === '.txt' || ext === '.text' || ext === '') return { size: st.size, kind: 'plain' };
  if (ext === '.doc' || ext === '.rtf' || ext === '.pdf') {
    throw new DatasetInputError(`${label}: ${ext} files are not supported; save the document as .docx, .odt, .txt or .md`);
  }
  throw new DatasetInputError(`${label}: unknown file type '${ext}'; use ${SUPPORTED_EXTENSIONS.join(', ')}`);
}

/** Extracts the whole text of one file; errors name the file and the reason. */
export async function extractText(file: string): Promise<string> {
  const label = file;
  const { kind } = await checkFile(file);
  if (kind === 'docx') {
    const mammoth = await import('mammoth');
    try {
      const { value } = await mammoth.extractRawText({ path: file });
      return value;
    } catch (err) {
      throw new DatasetInputError(`${label}: not a readable .docx file (${(err as Error).message})`);
    }
  }
  if (kind === 'odt') {
    try {
      return extractOdtText(await fs.readFile(file), label);
    } catch (err) {
      throw err instanceof OdtError ? new DatasetInputError(err.message) : err;
    }
  }
  const text = decodeUtf8(await fs.readFile(file), label);
  return kind === 'markdown' ? stripMarkdown(text) : text;
}
