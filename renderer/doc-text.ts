/**
 * Pure helpers over a document's Markdown text: word count and title. They run
 * on every keystroke, so they are linear scans with no allocation per word.
 */
import { MAX_TITLE_CHARS } from '../common/contract';

export const UNTITLED = 'Untitled';

/**
 * Counts words the way a writer does: runs of letters or digits, with inner
 * apostrophes and hyphens kept inside the word ("don't", "well-known"). Markdown
 * markers (#, *, >, -, 1.) are not words.
 */
export function countWords(text: string): number {
  const words = text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu);
  return words === null ? 0 : words.length;
}

/** Removes the inline Markdown markup that would look odd in a title or a list. */
function stripInlineMarkdown(line: string): string {
  return line
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images keep their text
    .replace(/(\*\*|__|\*|_|~~|==|`)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The title of a document: its first heading, else its first non-empty line,
 * else "Untitled"; inline markup removed and capped at the contract's limit.
 */
export function titleFromMarkdown(markdown: string): string {
  // One native regex scan for the first non-empty heading: this runs on every change of documents of megabytes.
  const headings = /^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$/gm;
  for (let m = headings.exec(markdown); m !== null; m = headings.exec(markdown)) {
    const text = stripInlineMarkdown(m[1]);
    if (text !== '') return capTitle(text);
  }
  let start = 0;
  while (start < markdown.length) {
    let end = markdown.indexOf('\n', start);
    if (end === -1) end = markdown.length;
    const raw = markdown.slice(start, end);
    start = end + 1;
    if (/^\s*#{1,6}(\s|$)/.test(raw)) continue; // an empty heading is a marker, not a title
    // Drop block markers (quote, list, ordered list) so "> Once upon" titles as "Once upon".
    const text = stripInlineMarkdown(raw.replace(/^\s*(?:>\s*)*(?:[-*+]\s+|\d+[.)]\s+)?/, ''));
    if (text !== '') return capTitle(text);
  }
  return UNTITLED;
}

function capTitle(text: string): string {
  if (text.length <= MAX_TITLE_CHARS) return text;
  return text.slice(0, MAX_TITLE_CHARS - 1).trimEnd() + '…';
}

/** "just now", "5 min ago", "3 h ago", else a short date: for the sidebar. */
export function relativeTime(thenMs: number, nowMs: number): string {
  const diff = Math.max(0, nowMs - thenMs);
  if (diff < 60_000) return 'just now';
  if (diff < 3_600_000) return `${Math.floor(diff / 60_000)} min ago`;
  if (diff < 86_400_000) return `${Math.floor(diff / 3_600_000)} h ago`;
  return new Date(thenMs).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}
