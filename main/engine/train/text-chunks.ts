/**
 * A writer's file as a sequence of text pieces cut at blank lines, so a 50 MB
 * manuscript is cleaned and tokenized a few megabytes at a time instead of as
 * one string with several full-size copies (normalised text, paragraph array,
 * one JS number per token).
 *
 * Invariant: every cut falls inside a blank-line run (/\n\s*\n/ once line ends
 * are '\n'), and in Markdown also outside fenced code, HTML comments and the
 * front matter, so cleaning the pieces one by one gives the paragraphs that
 * cleaning the whole text would. The one exception: a piece that grows past
 * maxPieceChars without such a cut (one paragraph of many megabytes) is cut
 * at its last line break or space, which splits that paragraph in two.
 *
 * Plain and Markdown files are read in chunks (strict UTF-8 across chunk
 * edges); .docx and .odt are unpacked whole (they are compressed, so their
 * text is rarely large) and then cut the same way.
 */
import { promises as fs } from 'node:fs';
import { binaryFileError, extractText, FENCE_LINE, FRONT_MATTER, looksBinary, notUtf8Error, stripFrontMatter, stripMarkdownBody, type FileKind } from './text-extract';

export const CHUNK_BYTES = 2 * 1024 * 1024;
/** A piece with no blank line in this many characters is cut at a line break or space instead. */
export const MAX_PIECE_CHARS = 16 * 1024 * 1024;

export interface PieceOptions {
  chunkBytes?: number;
  maxPieceChars?: number;
  /** Called after each chunk with the bytes of this file read so far. */
  onBytes?: (bytesRead: number) => void;
}

const WHITE = /\s/;

/** The last blank-line run in `s` at or after `from`: [start, end) with s[start] and s[end - 1] both '\n'. */
export function lastBlankLine(s: string, from = 0): { start: number; end: number } | null {
  let i = s.lastIndexOf('\n');
  while (i > from) {
    let j = i - 1;
    while (j >= from && s[j] !== '\n' && WHITE.test(s[j])) j--;
    if (j < from) return null;
    if (s[j] === '\n') return { start: j, end: i + 1 };
    i = s.lastIndexOf('\n', j);
  }
  return null;
}

/** True when a Markdown piece ends outside fenced code, an HTML comment and the front matter. */
export function markdownCutSafe(head: string, first: boolean): boolean {
  const open = head.lastIndexOf('<!--');
  if (open >= 0 && !head.includes('-->', open + 4)) return false;
  let fence: string | null = null;
  for (const m of head.matchAll(FENCE_LINE)) {
    if (fence === null) fence = m[1];
    else if (m[1] === fence) fence = null;
  }
  if (fence !== null) return false;
  return !(first && head.startsWith('---\n') && !FRONT_MATTER.test(head));
}

/** Cuts a stream of text into pieces at blank lines (see the invariant above). */
export class PieceCutter {
  private pending = '';
  private heldCR = false;
  private first = true;

  constructor(
    private readonly markdown: boolean,
    private readonly maxPieceChars = MAX_PIECE_CHARS,
  ) {}

  /** Adds text; returns the pieces now complete (maybe none). */
  push(text: string): string[] {
    let t = this.heldCR ? '\r' + text : text;
    // A '\r' at the edge may be half of a CRLF: keep it until the next text shows.
    this.heldCR = t.endsWith('\r');
    if (this.heldCR) t = t.slice(0, -1);
    this.pending += t.replace(/\r\n?/g, '\n');
    const out: string[] = [];
    const cut = lastBlankLine(this.pending);
    // The head keeps its last '\n' so front matter and fences end as they do in the whole text.
    if (cut && (!this.markdown || markdownCutSafe(this.pending.slice(0, cut.start + 1), this.first))) {
      out.push(this.take(cut.start + 1, cut.end));
    } else if (this.pending.length > this.maxPieceChars) {
      out.push(this.take(this.forcedCut(), -1));
    }
    return out;
  }

  /** The rest, at the end of the text. */
  finish(): string[] {
    const rest = this.pending + (this.heldCR ? '\n' : '');
    this.pending = '';
    this.heldCR = false;
    return rest === '' ? [] : [this.piece(rest)];
  }

  private take(headEnd: number, tailStart: number): string {
    const head = this.pending.slice(0, headEnd);
    this.pending = this.pending.slice(tailStart < 0 ? headEnd : tailStart);
    return this.piece(head);
  }

  private piece(text: string): string {
    if (!this.markdown) return text;
    const body = this.first ? stripFrontMatter(text) : text;
    this.first = false;
    return stripMarkdownBody(body);
  }

  /** Where to cut a piece with no usable blank line: its last line break, else its last space, else anywhere not inside a surrogate pair. */
  private forcedCut(): number {
    const s = this.pending;
    const limit = this.maxPieceChars;
    const nl = s.lastIndexOf('\n', limit);
    if (nl > 0) return nl + 1;
    const sp = s.lastIndexOf(' ', limit);
    if (sp > 0) return sp;
    const code = s.charCodeAt(limit - 1);
    return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
  }
}

/** Bytes of a file in chunks, strict UTF-8 decoded; refuses binary and non-UTF-8 files. */
async function* decodedChunks(file: string, chunkBytes: number, onBytes?: (n: number) => void): AsyncGenerator<string> {
  const handle = await fs.open(file, 'r');
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    const buffer = new Uint8Array(chunkBytes);
    let offset = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const bytes = buffer.subarray(0, bytesRead);
      if (looksBinary(bytes, offset)) throw binaryFileError(file);
      offset += bytesRead;
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: true });
      } catch {
        throw notUtf8Error(file);
      }
      onBytes?.(offset);
      yield text;
    }
    try {
      yield decoder.decode();
    } catch {
      throw notUtf8Error(file);
    }
  } finally {
    await handle.close();
  }
}

/** The pieces of one checked file (see checkFile), in order. */
export async function* filePieces(file: string, kind: FileKind, size: number, options: PieceOptions = {}): AsyncGenerator<string> {
  const chunkBytes = Math.max(1, Math.floor(options.chunkBytes ?? CHUNK_BYTES));
  const cutter = new PieceCutter(kind === 'markdown', options.maxPieceChars ?? MAX_PIECE_CHARS);
  if (kind === 'plain' || kind === 'markdown') {
    for await (const text of decodedChunks(file, chunkBytes, options.onBytes)) yield* cutter.push(text);
  } else {
    const whole = await extractText(file);
    options.onBytes?.(size);
    for (let i = 0; i < whole.length; i += chunkBytes) yield* cutter.push(whole.slice(i, i + chunkBytes));
  }
  yield* cutter.finish();
}
