/**
 * GPT-2's byte-level BPE tokenizer, read from a Hugging Face vocab.json and
 * merges.txt. Text is cut into words (pretokenize.ts), each word's UTF-8 bytes
 * become single-byte tokens (byte-unicode.ts), and the merges are applied in
 * rank order inside each word. Ids match OpenAI's encoder and tiktoken's "gpt2".
 *
 * Speed: a bounded per-word cache makes ordinary prose mostly lookups; short words
 * use the classic "merge the best pair everywhere" loop, long words (a megabyte
 * with no spaces is one word) a heap over a linked list, O(n log n).
 * Lone UTF-16 surrogates cannot be encoded as UTF-8: they become U+FFFD, so
 * decode(encode(x)) === x holds for well-formed strings only.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BYTE_TO_CHAR, tokenToBytes } from './byte-unicode';
import { pretokenize, splitSpecial } from './pretokenize';
import type { StreamDecoder, TextTokenizer } from './types';

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

export const EOS_TOKEN = '<|endoftext|>';
/** Ids and ranks are packed into one number (rank * ID_LIMIT + id); 2^24 ids is far above any GPT-2 vocab. */
const ID_LIMIT = 2 ** 24;
/** Per generation of the word cache (so at most twice this many words are held). */
export const MAX_TOKENIZER_FILE_BYTES = 64 * 1024 * 1024;
const WORD_CACHE_ENTRIES = 30_000;
/** Longer words skip the cache: they are rare and would evict many common ones. */
const CACHE_WORD_CHARS = 64;
/** Up to this many symbols the simple quadratic loop beats the heap. */
const SIMPLE_MERGE_SYMBOLS = 48;
/** Heap entries pack rank * POS_LIMIT + position; ranks stay below ID_LIMIT, so this stays below 2^52. */
const POS_LIMIT = 2 ** 28;

interface Tables {
  /** Bytes of each id's token. */
  idBytes: Uint8Array[];
  idText: string[];
  /** Id of each single-byte token. */
  byteIds: Int32Array;
  /** (left * ID_LIMIT + right) -> rank * ID_LIMIT + merged id. */
  merges: Map<number, number>;
  eosId: number;
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function parseVocab(json: string, label: string): { ids: Map<string, number>; idText: string[]; idBytes: Uint8Array[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripBom(json));
  } catch (e) {
    throw new TokenizerError(`${label}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TokenizerError(`${label}: must be a JSON object of token -> id`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length >= ID_LIMIT) throw new TokenizerError(`${label}: ${entries.length} tokens is more than supported`);
  const ids = new Map<string, number>();
  const idText = new Array<string>(entries.length);
  const idBytes = new Array<Uint8Array>(entries.length);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new TokenizerError(`${label}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected a non-negative integer`);
    }
    if (id >= entries.length) {
      throw new TokenizerError(`${label}: ids must be 0..${entries.length - 1} without gaps, token ${JSON.stringify(token)} has ${id}`);
    }
    if (idText[id] !== undefined) {
      throw new TokenizerError(`${label}: id ${id} is used by both ${JSON.stringify(idText[id])} and ${JSON.stringify(token)}`);
    }
    const bytes = tokenToBytes(token);
    if (bytes === null || bytes.length === 0) {
      throw new TokenizerError(`${label}: token ${JSON.stringify(token)} (id ${id}) is not a GPT-2 byte-level token`);
    }
    ids.set(token, id);
    idText[id] = token;
    idBytes[id] = bytes;
  }
  return { ids, idText, idBytes };
}

function parseMerges(text: string, ids: Map<string, number>, label: string): Map<number, number> {
  const merges = new Map<number, number>();
  const lines = stripBom(text).split(/\r?\n/);
  let rank = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const where = `${label} line ${i + 1}`;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new TokenizerError(`${where}: expected two tokens separated by one space, got ${JSON.stringify(line.slice(0, 80))}`);
    }
    const [a, b] = parts;
    const left = ids.get(a);
    const right = ids.get(b);
    const merged = ids.get(a + b);
    for (const [tok, id] of [[a, left], [b, right], [a + b, merged]] as const) {
      if (id === undefined) throw new TokenizerError(`${where}: token ${JSON.stringify(tok)} is not in the vocabulary`);
    }
    if (rank >= ID_LIMIT) throw new TokenizerError(`${where}: more than ${ID_LIMIT} merges`);
    const key = (left as number) * ID_LIMIT + (right as number);
    if (merges.has(key)) throw new TokenizerError(`${where}: duplicate merge ${JSON.stringify(line)}`);
    merges.set(key, rank * ID_LIMIT + (merged as number));
    rank++;
  }
  return merges;
}

function buildTables(vocabJson: string, mergesTxt: string, vocabLabel: string, mergesLabel: string): Tables {
  const { ids, idText, idBytes } = parseVocab(vocabJson, vocabLabel);
  const byteIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const id = ids.get(BYTE_TO_CHAR[b]);
    if (id === undefined) {
      throw new TokenizerError(`${vocabLabel}: byte 0x${b.toString(16).padStart(2, '0')} (${JSON.stringify(BYTE_TO_CHAR[b])}) has no token; not a byte-level vocabulary`);
    }
    byteIds[b] = id;
  }
  const eosId = ids.get(EOS_TOKEN);
  if (eosId === undefined) throw new TokenizerError(`${vocabLabel}: no ${EOS_TOKEN} token`);
  return { idBytes, idText, byteIds, merges: parseMerges(mergesTxt, ids, mergesLabel), eosId };
}

/** The classic BPE loop: merge every occurrence of the best-ranked pair until none is left. */
function mergeSimple(symbols: number[], merges: Map<number, number>): number[] {
  let syms = symbols;
  while (syms.length > 1) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i < syms.length - 1; i++) {
      const m = merges.get(syms[i] * ID_LIMIT + syms[i + 1]);
      if (m !== undefined && m < best) {
        best = m;
        at = i;
      }
    }
    if (at < 0) break;
    const a = syms[at];
    const b = syms[at + 1];
    const merged = best % ID_LIMIT;
    const out: number[] = [];
    for (let i = 0; i < syms.length; i++) {
      if (i < syms.length - 1 && syms[i] === a && syms[i + 1] === b) {
        out.push(merged);
        i++;
      } else {
        out.push(syms[i]);
      }
    }
    syms = out;
  }
  return syms;
}

/**
 * The same result as mergeSimple in O(n log n): candidate pairs sit in a min-heap keyed
 * by (rank, position); stale entries (a side already merged away) are skipped on pop.
 * Leftmost-first among equal ranks reproduces "merge every occurrence left to right".
 */
function mergeHeap(symbols: number[], merges: Map<number, number>): number[] {
  const n = symbols.length;
  if (n >= POS_LIMIT) throw new TokenizerError(`encode: a single word of ${n} bytes is too long (max ${POS_LIMIT - 1})`);
  const sym = Int32Array.from(symbols);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const alive = new Uint8Array(n).fill(1);
  // Each entry is rank * POS_LIMIT + left position, so one comparison orders by rank then position.
  // Every merge pushes at most two entries, so 3n slots always suffice.
  const heap = new Float64Array(3 * n);
  let size = 0;
  const push = (left: number): void => {
    if (left < 0 || next[left] < 0) return;
    const m = merges.get(sym[left] * ID_LIMIT + sym[next[left]]);
    if (m === undefined) return;
    const entry = Math.floor(m / ID_LIMIT) * POS_LIMIT + left;
    let c = size++;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (heap[p] <= entry) break;
      heap[c] = heap[p];
      c = p;
    }
    heap[c] = entry;
  };
  const pop = (): number => {
    const top = heap[0];
    const entry = heap[--size];
    let p = 0;
    for (;;) {
      let c = 2 * p + 1;
      if (c >= size) break;
      if (c + 1 < size && heap[c + 1] < heap[c]) c++;
      if (heap[c] >= entry) break;
      heap[p] = heap[c];
      p = c;
    }
    heap[p] = entry;
    return top;
  };
  for (let i = 0; i < n - 1; i++) push(i);
  while (size > 0) {
    const top = pop();
    const rank = Math.floor(top / POS_LIMIT);
    const left = top - rank * POS_LIMIT;
    const right = next[left];
    if (!alive[left] || right < 0) continue;
    const m = merges.get(sym[left] * ID_LIMIT + sym[right]);
    if (m === undefined || Math.floor(m / ID_LIMIT) !== rank) continue;
    sym[left] = m % ID_LIMIT;
    alive[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    push(prev[left]);
    push(left);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
  return out;
}

/** Reads a tokenizer file as text, refusing sizes no real tokenizer has (GPT-2's are 1 MB and 0.5 MB). */
export async function readTokenizerFile(filePath: string): Promise<string> {
  const stat = await fs.stat(filePath);
  if (!stat.isFile()) throw new TokenizerError(`${path.basename(filePath)}: not a regular file`);
  if (stat.size > MAX_TOKENIZER_FILE_BYTES) {
    throw new TokenizerError(`${path.basename(filePath)}: ${stat.size} bytes is larger than any tokenizer file (max ${MAX_TOKENIZER_FILE_BYTES})`);
  }
  return fs.readFile(filePath, 'utf8');
}

export class Gpt2Tokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  private readonly tables: Tables;
  /**
   * A two-generation word cache, an O(1) approximation of LRU: words are added to `hot`;
   * when it fills it becomes `cold` and the old cold one is dropped; a cold hit moves
   * back to hot. (Deleting from a big Map to keep exact LRU order made eviction O(n).)
   */
  private hot = new Map<string, readonly number[]>();
  private cold = new Map<string, readonly number[]>();
  private readonly encoder = new TextEncoder();

  private constructor(tables: Tables) {
    this.tables = tables;
    this.vocabSize = tables.idBytes.length;
    this.eosId = tables.eosId;
  }

  static async fromFiles(vocabJsonPath: string, mergesTxtPath: string): Promise<Gpt2Tokenizer> {
    const [vocab, merges] = await Promise.all([readTokenizerFile(vocabJsonPath), readTokenizerFile(mergesTxtPath)]);
    return new Gpt2Tokenizer(buildTables(vocab, merges, path.basename(vocabJsonPath), path.basename(mergesTxtPath)));
  }

  /** `label` prefixes error messages (e.g. the model folder's name). */
  static fromStrings(vocabJson: string, mergesTxt: string, label = 'tokenizer'): Gpt2Tokenizer {
    return new Gpt2Tokenizer(buildTables(vocabJson, mergesTxt, `${label}/vocab.json`, `${label}/merges.txt`));
  }

  encode(text: string, options?: { allowSpecial?: boolean }): number[] {
    const ids: number[] = [];
    const segments = options?.allowSpecial ? splitSpecial(text, [EOS_TOKEN]) : [{ text, special: false }];
    for (const seg of segments) {
      if (seg.special) {
        ids.push(this.eosId);
        continue;
      }
      for (const word of pretokenize(seg.text)) {
        for (const id of this.encodeWord(word)) ids.push(id);
      }
    }
    return ids;
  }

  private encodeWord(word: string): readonly number[] {
    let ids = this.hot.get(word);
    if (ids !== undefined) return ids;
    ids = this.cold.get(word);
    if (ids === undefined) {
      const symbols = Array.from(this.encoder.encode(word), (b) => this.tables.byteIds[b]);
      ids = symbols.length <= SIMPLE_MERGE_SYMBOLS ? mergeSimple(symbols, this.tables.merges) : mergeHeap(symbols, this.tables.merges);
      if (word.length > CACHE_WORD_CHARS) return ids;
    }
    if (this.hot.size >= WORD_CACHE_ENTRIES) {
      this.cold = this.hot;
      this.hot = new Map();
    }
    this.hot.set(word, ids);
    return ids;
  }

  /** The bytes of a token sequence; throws on an id outside the vocabulary. */
  bytesOf(ids: readonly number[]): Uint8Array {
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new TokenizerError(`decode: id ${id} at position ${i} is outside the vocabulary (size ${this.vocabSize})`);
      }
      total += this.tables.idBytes[id].length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const id of ids) {
      out.set(this.tables.idBytes[id], at);
      at += this.tables.idBytes[id].length;
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    // ignoreBOM keeps a leading U+FEFF that the text really had.
    return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(this.bytesOf(ids));
  }

  /** The vocabulary string of one id (e.g. "Ġthe"), for debugging and the CLI. */
  tokenText(id: number): string {
    const t = this.tables.idText[id];
    if (t === undefined) throw new TokenizerError(`tokenText: id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    return t;
  }

  streamDecoder(): StreamDecoder {
    // TextDecoder's streaming mode holds back an unfinished UTF-8 sequence until its last byte arrives.
    const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
    return {
      push: (id: number): string => decoder.decode(this.bytesOf([id]), { stream: true }),
      flush: (): string => decoder.decode(),
    };
  }
}
