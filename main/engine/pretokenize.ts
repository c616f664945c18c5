/**
 * GPT-2 pre-tokenization: the text is cut into words with OpenAI's pattern before
 * BPE runs inside each word, so merges never cross a word boundary.
 *
 * The pattern is encoder.py's, with the 'u' flag. One known difference remains:
 * JavaScript's \s counts U+FEFF as white space and not U+0085, where Python's and
 * Rust's follow Unicode White_Space (the other way round). js-tiktoken shares our
 * behaviour; only text containing those two characters next to spaces can differ
 * from the original tokenizer.
 */

// Contractions first, then letters, numbers, other symbols (each with one optional
// leading space), then white space that is not followed by a word, then any white space.
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The words of `text` in order; their concatenation is `text`. */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}

/** A piece of input: either ordinary text or one special token such as `<|endoftext|>`. */
export type Segment = { text: string; special: false } | { text: string; special: true };

/** Splits `text` around occurrences of `specials` (the longest wins where two start at the same place). */
export function splitSpecial(text: string, specials: readonly string[]): Segment[] {
  if (specials.length === 0) return [{ text, special: false }];
  const alternatives = [...specials].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(alternatives.join('|'), 'g');
  const segments: Segment[] = [];
  let start = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > start) segments.push({ text: text.slice(start, m.index), special: false });
    segments.push({ text: m[0], special: true });
    start = m.index + m[0].length;
  }
  if (start < text.length) segments.push({ text: text.slice(start), special: false });
  return segments;
}
