/**
 * What the document list shows of a document's Markdown: its title, its word
 * count, and the file-name-safe id made from a title. Pure functions.
 */
import { MAX_TITLE_CHARS } from '../../common/contract';

const SLUG_MAX = 60;
/** Names Windows refuses as files, whatever the extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** Title: the first '# ' heading, else the first non-empty line, else the fallback. */
export function titleOf(content: string, fallback = 'Untitled'): string {
  const head = content.slice(0, 100_000).replace(/^\uFEFF/, '');
  const heading = /^#[ \t]+(.+)$/m.exec(head);
  const line = heading?.[1] ?? head.split(/\r?\n/).find((l) => l.trim() !== '');
  const title = (line ?? '').replace(/^#+\s*/, '').trim();
  return (title || fallback).slice(0, MAX_TITLE_CHARS);
}

/** Words: runs of non-space characters holding a letter or digit, so Markdown marks ('#', '-', '>') are not words. */
export function countWords(content: string): number {
  let words = 0;
  let inWord = false;
  let counted = false;
  for (let i = 0; i < content.length; i++) {
    const c = content.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x3000 || c === 0x2028 || c === 0x2029;
    if (space) {
      inWord = false;
      continue;
    }
    if (!inWord) counted = false;
    inWord = true;
    // ASCII letters and digits, or anything beyond ASCII (letters of other scripts, emoji).
    const wordy = (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c >= 0x80;
    if (wordy && !counted) {
      words++;
      counted = true;
    }
  }
  return words;
}

/** A file-name-safe id from a title: ASCII letters and digits joined by dashes. */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/, '');
  if (!slug) return 'untitled';
  return WINDOWS_RESERVED.test(slug) ? `${slug}-doc` : slug;
}
