/**
 * A small Markdown reader for exporting: the subset Inkwell's editor writes
 * (headings, paragraphs with line breaks, quotes, lists, fenced code, bold,
 * italic, strikethrough, inline code, links, backslash escapes and the
 * numeric entities Lexical uses for spaces at the edge of formatted text).
 * It also reads the provenance sentinels (common/provenance.ts) as
 * zero-width switches, so every run knows whether the model wrote it.
 * Anything it does not know stays text: an export never loses words.
 */
import { AI_CLOSE, AI_OPEN } from '../../common/provenance';

export interface Run {
  text: string;
  bold?: boolean;
  italic?: boolean;
  strike?: boolean;
  code?: boolean;
  /** Written by the model. */
  ai?: boolean;
  /** A line break before this run's text. */
  breakBefore?: boolean;
}

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; runs: Run[] }
  | { kind: 'paragraph'; runs: Run[] }
  | { kind: 'quote'; runs: Run[] }
  | { kind: 'item'; ordered: boolean; level: number; runs: Run[] }
  | { kind: 'code'; lines: string[] };

const HEADING = /^(#{1,6})[ \t]+(.*?)[ \t#]*$/;
const ITEM = /^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const FENCE = /^[ \t]*(```|~~~)/;
const RULE = /^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$/;

/** The blocks of a Markdown text (which may carry provenance sentinels). */
export function parseBlocks(markdown: string): Block[] {
  const lines = markdown.replace(/^\uFEFF/, '').split(/\r?\n/);
  const blocks: Block[] = [];
  let para: string[] = [];
  let quote: string[] = [];
  const flush = () => {
    if (para.length > 0) blocks.push({ kind: 'paragraph', runs: parseInline(para.join('\n')) });
    if (quote.length > 0) blocks.push({ kind: 'quote', runs: parseInline(quote.join('\n')) });
    para = [];
    quote = [];
  };
  for (let i = 0; i < lines.length; i++) {
    // Sentinels may sit before block syntax (an open run from the previous line): look past them.
    const line = lines[i];
    const bare = line.replace(/[\uFDD0\uFDD1]/g, '');
    if (FENCE.test(bare)) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !FENCE.test(lines[i].replace(/[\uFDD0\uFDD1]/g, '')); i++) code.push(lines[i]);
      blocks.push({ kind: 'code', lines: code });
      continue;
    }
    if (bare.trim() === '') {
      flush();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1].length as 1 | 2 | 3 | 4 | 5 | 6, runs: parseInline(heading[2]) });
      continue;
    }
    if (RULE.test(bare)) {
      flush();
      continue;
    }
    const item = ITEM.exec(line);
    if (item) {
      flush();
      const indent = item[1].replace(/\t/g, '    ').length;
      blocks.push({ kind: 'item', ordered: /\d/.test(item[2]), level: Math.min(8, Math.floor(indent / 4)), runs: parseInline(item[3]) });
      continue;
    }
    if (/^[ \t]*>/.test(line)) {
      if (para.length > 0) flush();
      quote.push(line.replace(/^[ \t]*>[ \t]?/, ''));
      continue;
    }
    if (quote.length > 0) flush();
    para.push(line);
  }
  flush();
  return blocks;
}

interface Style {
  bold: boolean;
  italic: boolean;
  strike: boolean;
  code: boolean;
  ai: boolean;
}

/** Inline Markdown to runs; a delimiter only opens when the same delimiter closes it later. */
export function parseInline(text: string): Run[] {
  const runs: Run[] = [];
  const style: Style = { bold: false, italic: false, strike: false, code: false, ai: false };
  let buf = '';
  let breakNext = false;
  const emit = () => {
    if (buf === '') return;
    const run: Run = { text: buf };
    if (style.bold) run.bold = true;
    if (style.italic) run.italic = true;
    if (style.strike) run.strike = true;
    if (style.code) run.code = true;
    if (style.ai) run.ai = true;
    if (breakNext) run.breakBefore = true;
    breakNext = false;
    runs.push(run);
    buf = '';
  };
  const toggle = (key: 'bold' | 'italic' | 'strike' | 'code', delim: string, i: number): boolean => {
    if (!style[key] && text.indexOf(delim, i + delim.length) < 0) return false;
    emit();
    style[key] = !style[key];
    return true;
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === AI_OPEN || c === AI_CLOSE) {
      emit();
      style.ai = c === AI_OPEN;
      i++;
      continue;
    }
    if (c === '\n') {
      emit();
      breakNext = true;
      i++;
      continue;
    }
    if (style.code) {
      if (c !== '`' || !toggle('code', '`', i)) buf += c;
      i++;
      continue;
    }
    if (c === '\\' && i + 1 < text.length && /[\\`*_{}[\]()#+\-.!~>|]/.test(text[i + 1])) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    const entity = /^&#(\d{1,6});/.exec(text.slice(i, i + 10));
    if (entity) {
      const code = Number(entity[1]);
      buf += code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity[0];
      i += entity[0].length;
      continue;
    }
    if (c === '`' && toggle('code', '`', i)) {
      i++;
      continue;
    }
    if (c === '[') {
      const link = /^\[([^\]\n]*)\]\(([^)\s]*)(?:\s+"[^"]*")?\)/.exec(text.slice(i));
      if (link) {
        emit();
        runs.push(...parseInline(link[1]).map((r) => ({ ...withStyle(r, style), ...(breakNext ? { breakBefore: true } : {}) })));
        breakNext = false;
        i += link[0].length;
        continue;
      }
    }
    const triple = text.startsWith('***', i) || text.startsWith('___', i);
    if (triple && (style.bold === style.italic) && text.indexOf(text.slice(i, i + 3), i + 3) >= 0) {
      emit();
      style.bold = !style.bold;
      style.italic = !style.italic;
      i += 3;
      continue;
    }
    if ((text.startsWith('**', i) || text.startsWith('__', i)) && toggle('bold', text.slice(i, i + 2), i)) {
      i += 2;
      continue;
    }
    if (text.startsWith('~~', i) && toggle('strike', '~~', i)) {
      i += 2;
      continue;
    }
    if ((c === '*' || c === '_') && toggle('italic', c, i)) {
      i++;
      continue;
    }
    buf += c;
    i++;
  }
  emit();
  return runs;
}

/** A link's inner runs inherit the formatting around the link. */
function withStyle(run: Run, style: Style): Run {
  const out: Run = { ...run };
  if (style.bold) out.bold = true;
  if (style.italic) out.italic = true;
  if (style.strike) out.strike = true;
  if (style.ai) out.ai = true;
  return out;
}

/** The plain text of runs, line breaks as '\n' (what a reader of the exported file sees). */
export function runsText(runs: readonly Run[]): string {
  return runs.map((r) => (r.breakBefore === true ? '\n' : '') + r.text).join('');
}
