/**
 * The memorisation guard: how much of a sample is copied verbatim from the
 * training text. Every run of COPY_NGRAM tokens of the training stream is
 * hashed into a set (two 32-bit hashes packed into one number: a false match
 * needs a 2⁻⁵² collision); a sample token counts as copied when it lies inside
 * any 12-token window that occurs in the training text.
 */

export const COPY_NGRAM = 12;

/** FNV-1a-like over 32-bit ids, two independent lanes. */
function hashWindow(ids: ArrayLike<number>, start: number, n: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = start; i < start + n; i++) {
    const v = ids[i] >>> 0;
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h2 = Math.imul(h2 ^ (v + 0x9e3779b9), 0x85ebca6b) ^ (h2 >>> 13);
  }
  // 32 bits of h1 and 20 of h2: an exact integer below 2^53.
  return (h1 >>> 0) * 1048576 + ((h2 >>> 0) & 0xfffff);
}

export class NgramIndex {
  readonly n: number;
  private readonly set = new Set<number>();

  constructor(stream: ArrayLike<number>, n = COPY_NGRAM) {
    this.n = n;
    for (let i = 0; i + n <= stream.length; i++) this.set.add(hashWindow(stream, i, n));
  }

  get size(): number {
    return this.set.size;
  }

  /** Share of `ids` (0..1) covered by an n-token window that occurs in the training text; 0 for samples shorter than n. */
  copyRate(ids: readonly number[]): { rate: number; copiedTokens: number } {
    const covered = new Uint8Array(ids.length);
    for (let i = 0; i + this.n <= ids.length; i++) {
      if (this.set.has(hashWindow(ids, i, this.n))) covered.fill(1, i, i + this.n);
    }
    const copiedTokens = covered.reduce((a, b) => a + b, 0);
    return { rate: ids.length === 0 ? 0 : copiedTokens / ids.length, copiedTokens };
  }
}
