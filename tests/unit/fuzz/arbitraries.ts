/**
 * Shared fast-check setup for the fuzz suite. The seed is fixed (FUZZ_SEED, default
 * below) so a CI failure replays exactly; fast-check prints the seed and the
 * shrunk counterexample path in its failure message. FUZZ_RUNS_SCALE scales every
 * property's run count, so a nightly job can fuzz longer than the 60 s CI budget.
 */
import fc from 'fast-check';

const DEFAULT_SEED = 20261129;

export const FUZZ_SEED = Number.parseInt(process.env.FUZZ_SEED ?? '', 10) || DEFAULT_SEED;
const RUN_SCALE = Number.parseFloat(process.env.FUZZ_RUNS_SCALE ?? '') || 1;

fc.configureGlobal({ seed: FUZZ_SEED });

/** Property options: the fixed seed and a run count scaled by FUZZ_RUNS_SCALE. */
export function runs(numRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * RUN_SCALE)) };
}

/** Names that break naive object code: prototype keys, the empty name, the reserved metadata key. */
export const nastyKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', '__metadata__', 'hasOwnProperty');

/** Text mixing the scripts and code points that tokenizers and editors get wrong. */
export const trickyText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        '👩‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '😀', '中文字符', '日本語のテキスト', '한국어', 'e\u0301', 'a\u0308\u0323', 'Z\u0351\u0352\u0353',
        'مرحبا', 'שלום', '\u200d', '\u200b', '\ufeff', '\u0000', '\t', '\r\n', '\n\n\n', '   ', '\u3000', '\u00a0',
        '<|endoftext|>', '<|endoftext', "'s", "'ll", ' 123', '....', 'élan', 'x'.repeat(300),
      ),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

/** Well-formed UTF-16 (no lone surrogates), including astral code points. */
export const wellFormedText: fc.Arbitrary<string> = fc.oneof(fc.string({ unit: 'binary' }), trickyText);
