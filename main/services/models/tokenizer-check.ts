/**
 * A tokenizer check for the main process: vocab.json and merges.txt hold
 * everything Gpt2Tokenizer.fromFiles would refuse, found without building the
 * tokenizer (no byte tables per token, no packed BPE ranks). Loading GPT-2's
 * real tokenizer blocks the event loop for 0.4–1.3 s (every window freezes
 * while a model is imported or downloaded); this check is one JSON.parse and
 * a pass over each file, and the passes give the event loop back every
 * SLICE_MS, so the longest block is the JSON.parse of a 1 MB vocab.json.
 *
 * It refuses what the engine's loader refuses, with the same wording: a
 * vocab.json that is not an object of token → id, ids that are not integers,
 * negative, duplicated or not 0..n-1, tokens that are not GPT-2 byte-level,
 * a missing single-byte token or <|endoftext|>; merges.txt lines that are not
 * two space-separated tokens, tokens (or their concatenation) missing from the
 * vocabulary, duplicate merges. The version header and blank lines are
 * optional, as for the loader. The engine still loads the tokenizer in full
 * when the model is used (in its worker), so this is an early, friendly
 * refusal, not the only one.
 */
import path from 'node:path';
import { BYTE_TO_CHAR } from '../../engine/byte-unicode';
import { EOS_TOKEN, readTokenizerFile, TokenizerError } from '../../engine/tokenizer';

/** The loader packs ids and ranks below 2^24 (tokenizer.ts's ID_LIMIT). */
const ID_LIMIT = 2 ** 24;

/** The longest stretch of checking between two turns of the event loop. */
export const SLICE_MS = 8;

/** Resolves after the event loop has run pending I/O and timers (setImmediate: after the poll phase). */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Calls `yieldToLoop` when the current slice is over; checked every 64 items, cheap between. */
function slicer(sliceMs: number): (i: number) => Promise<void> | null {
  let start = performance.now();
  return (i) => {
    if ((i & 63) !== 0 || performance.now() - start < sliceMs) return null;
    return yieldToLoop().then(() => {
      start = performance.now();
    });
  };
}

/** The byte-level alphabet as a lookup by char code (its 256 chars all lie below U+0144). */
const BYTE_LEVEL_CHAR: Uint8Array = (() => {
  const max = Math.max(...BYTE_TO_CHAR.map((c) => c.charCodeAt(0)));
  const table = new Uint8Array(max + 1);
  for (const c of BYTE_TO_CHAR) table[c.charCodeAt(0)] = 1;
  return table;
})();

function isByteLevel(token: string): boolean {
  if (token.length === 0) return false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= BYTE_LEVEL_CHAR.length || BYTE_LEVEL_CHAR[c] === 0) return false;
  }
  return true;
}

const stripBom = (s: string): string => (s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);

/** `"token": 123` pairs, whitespace, commas: anything else in vocab.json sends it to JSON.parse. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Reads a flat JSON object of string → number in slices (JSON.parse of GPT-2's 1 MB vocab blocks
 * the loop for 10–100 ms). Returns null for anything else — another value type, a repeated key,
 * a control character, bad syntax — and the caller then runs JSON.parse, whose result (or error)
 * is exactly what the loader sees. Keys with escapes are decoded by JSON.parse itself.
 */
async function scanFlatVocab(text: string, sliceMs: number): Promise<Map<string, number> | null> {
  const out = new Map<string, number>();
  const slice = slicer(sliceMs);
  let i = 0;
  const skip = (): void => {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  };
  skip();
  if (text[i] !== '{') return null;
  i++;
  skip();
  if (text[i] === '}') {
    i++;
    skip();
    return i === text.length ? out : null;
  }
  for (let n = 0; ; n++) {
    const pause = slice(n);
    if (pause) await pause;
    if (text[i] !== '"') return null;
    let j = i + 1;
    let escaped = false;
    for (; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x22) break;
      if (c < 0x20) return null;
      if (c === 0x5c) {
        escaped = true;
        j++;
      }
    }
    if (j >= text.length) return null;
    let key: string;
    try {
      key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
    } catch {
      return null;
    }
    i = j + 1;
    skip();
    if (text[i] !== ':') return null;
    i++;
    skip();
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return null;
    i += m[0].length;
    if (out.has(key)) return null; // JSON.parse keeps the last: let it decide
    out.set(key, Number(m[0]));
    skip();
    if (text[i] === ',') {
      i++;
      skip();
      continue;
    }
    if (text[i] !== '}') return null;
    i++;
    skip();
    return i === text.length ? out : null;
  }
}

/** What JSON.parse makes of a vocab.json the scanner declined: its entries, or the loader's error. */
function parsedEntries(json: string, label: string): [string, unknown][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new TokenizerError(`${label}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TokenizerError(`${label}: must be a JSON object of token -> id`);
  return Object.entries(parsed as Record<string, unknown>);
}

/** Validates vocab.json's text; returns token → id and the vocabulary size. */
export async function checkVocab(json: string, label: string, sliceMs = SLICE_MS): Promise<{ ids: ReadonlyMap<string, number>; size: number }> {
  const text = stripBom(json);
  const scanned = await scanFlatVocab(text, sliceMs);
  const entries: Iterable<[string, unknown]> & { readonly size?: number; readonly length?: number } = scanned ?? parsedEntries(text, label);
  const n = scanned ? scanned.size : (entries as [string, unknown][]).length;
  if (n >= ID_LIMIT) throw new TokenizerError(`${label}: ${n} tokens is more than supported`);
  // The token holding each id: n distinct integers in 0..n-1 are exactly 0..n-1, so this also proves there is no gap.
  const holder = new Array<string | undefined>(n);
  const ids = new Map<string, number>();
  const slice = slicer(sliceMs);
  let t = 0;
  for (const [token, id] of entries) {
    const pause = slice(t++);
    if (pause) await pause;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new TokenizerError(`${label}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected a non-negative integer`);
    }
    if (id >= n) throw new TokenizerError(`${label}: ids must be 0..${n - 1} without gaps, token ${JSON.stringify(token)} has ${id}`);
    if (holder[id] !== undefined) throw new TokenizerError(`${label}: id ${id} is used by both ${JSON.stringify(holder[id])} and ${JSON.stringify(token)}`);
    if (!isByteLevel(token)) throw new TokenizerError(`${label}: token ${JSON.stringify(token)} (id ${id}) is not a GPT-2 byte-level token`);
    holder[id] = token;
    ids.set(token, id);
  }
  BYTE_TO_CHAR.forEach((c, b) => {
    if (!ids.has(c)) throw new TokenizerError(`${label}: byte 0x${b.toString(16).padStart(2, '0')} (${JSON.stringify(c)}) has no token; not a byte-level vocabulary`);
  });
  if (!ids.has(EOS_TOKEN)) throw new TokenizerError(`${label}: no ${EOS_TOKEN} token`);
  return { ids, size: n };
}

/** Validates merges.txt's text against the vocabulary; returns the number of merges. */
export async function checkMerges(text: string, ids: ReadonlyMap<string, number>, label: string, sliceMs = SLICE_MS): Promise<number> {
  const body = stripBom(text);
  const seen = new Set<string>();
  const slice = slicer(sliceMs);
  // Line by line with indexOf: no array of 50k lines built in one block.
  for (let i = 0, at = 0; at <= body.length; i++) {
    const pause = slice(i);
    if (pause) await pause;
    let end = body.indexOf('\n', at);
    if (end === -1) end = body.length;
    const line = body.slice(at, end > at && body.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    at = end + 1;
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const where = `${label} line ${i + 1}`;
    const space = line.indexOf(' ');
    const a = line.slice(0, space);
    const b = line.slice(space + 1);
    if (space <= 0 || b === '' || b.includes(' ')) {
      throw new TokenizerError(`${where}: expected two tokens separated by one space, got ${JSON.stringify(line.slice(0, 80))}`);
    }
    for (const tok of [a, b, a + b]) {
      if (!ids.has(tok)) throw new TokenizerError(`${where}: token ${JSON.stringify(tok)} is not in the vocabulary`);
    }
    if (seen.size >= ID_LIMIT) throw new TokenizerError(`${where}: more than ${ID_LIMIT} merges`);
    if (seen.has(line)) throw new TokenizerError(`${where}: duplicate merge ${JSON.stringify(line)}`);
    seen.add(line);
  }
  return seen.size;
}

/** Checks a folder's vocab.json and merges.txt; the vocabulary size is what model-folder.ts compares with config.json. */
export async function checkTokenizerFiles(vocabFile: string, mergesFile: string): Promise<{ vocabSize: number; merges: number }> {
  const [vocabText, mergesText] = await Promise.all([readTokenizerFile(vocabFile), readTokenizerFile(mergesFile)]);
  const { ids, size } = await checkVocab(vocabText, path.basename(vocabFile));
  return { vocabSize: size, merges: await checkMerges(mergesText, ids, path.basename(mergesFile)) };
}
