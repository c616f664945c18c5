/**
 * GPT-2's byte-to-unicode table (OpenAI encoder.py `bytes_to_unicode`). Byte-level
 * BPE works on bytes, but vocab.json and merges.txt store tokens as text, so each
 * byte is given a printable character: printable Latin-1 bytes map to themselves
 * and the other 68 (control bytes, space, soft hyphen...) to U+0100 onwards. This
 * is why a leading space shows up as "Ġ" (U+0120) in the vocabulary.
 */

function buildTable(): string[] {
  const printable: number[] = [];
  const add = (from: number, to: number): void => {
    for (let b = from; b <= to; b++) printable.push(b);
  };
  add(0x21, 0x7e); // '!'..'~'
  add(0xa1, 0xac); // '¡'..'¬'
  add(0xae, 0xff); // '®'..'ÿ'
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(next++);
  }
  return table;
}

/** BYTE_TO_CHAR[b] is the one-character string that stands for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildTable();

/** The inverse of BYTE_TO_CHAR, keyed by UTF-16 code unit (all 256 characters are in the BMP). */
export const CHAR_TO_BYTE: ReadonlyMap<number, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c.charCodeAt(0), b]));

/**
 * Turns a vocabulary token (e.g. "Ġhello") back into its bytes, or null when the
 * token contains a character outside the table (the vocab is not byte-level).
 */
export function tokenToBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token.charCodeAt(i));
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}
