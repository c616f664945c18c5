/**
 * The `inkwell` subcommands. Each takes the flags after its name and an Io,
 * writes its result to io.stdout and returns an exit code; command-line
 * mistakes throw UsageError (exit 2), runtime failures throw Error (exit 1).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GenerateOptions as GenerateOptionsSchema } from '../../common/contract';
import { initBackend } from '../engine/backend';
import { loadModelFolder } from '../engine/model-loader';
import { Gpt2Tokenizer } from '../engine/tokenizer';
import { generate, type GenerateOptions } from '../engine/generate';
import type { TextTokenizer } from '../engine/types';
import { idListFlag, numberFlag, parseFlags, requiredString, stringFlag, UsageError, type FlagValues } from './args';
import { scoreIds } from './score';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

const json = (value: unknown): string => JSON.stringify(value) + '\n';

export async function infoCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags('info', argv, { backend: { type: 'string' }, json: { type: 'boolean' } });
  const backend = await initBackend(stringFlag(flags, 'backend'));
  if (flags.json) {
    io.stdout(json(backend));
    return 0;
  }
  io.stdout(`backend: ${backend.name} (${backend.device})\n`);
  for (const s of backend.skipped) io.stdout(`skipped ${s.name}: ${s.reason}\n`);
  return 0;
}

/** The tokenizer alone (no weights): tokenize and detokenize need no model in memory. */
async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  return Gpt2Tokenizer.fromFiles(path.join(dir, 'vocab.json'), path.join(dir, 'merges.txt'));
}

/** --text or --file, exactly one of them. */
async function inputText(flags: FlagValues, command: string): Promise<string> {
  const text = stringFlag(flags, 'text');
  const file = stringFlag(flags, 'file');
  if ((text === undefined) === (file === undefined)) throw new UsageError(`${command}: give exactly one of --text or --file`);
  if (text !== undefined) return text;
  try {
    return await readFile(file as string, 'utf8');
  } catch (err) {
    throw new Error(`${command}: cannot read ${file}: ${(err as Error).message}`);
  }
}

export async function tokenizeCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags('tokenize', argv, {
    model: { type: 'string' },
    text: { type: 'string' },
    file: { type: 'string' },
    json: { type: 'boolean' },
  });
  const dir = requiredString(flags, 'model', 'tokenize');
  const text = await inputText(flags, 'tokenize');
  const ids = (await loadTokenizer(dir)).encode(text);
  io.stdout(flags.json ? json({ ids }) : ids.join(' ') + '\n');
  return 0;
}

export async function detokenizeCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags('detokenize', argv, { model: { type: 'string' }, ids: { type: 'string' }, json: { type: 'boolean' } });
  const dir = requiredString(flags, 'model', 'detokenize');
  const raw = stringFlag(flags, 'ids');
  if (raw === undefined) throw new UsageError('detokenize: --ids is required (e.g. --ids 15496,11,995)');
  const tokenizer = await loadTokenizer(dir);
  const text = tokenizer.decode(idListFlag(raw, 'ids', tokenizer.vocabSize));
  io.stdout(flags.json ? json({ text }) : text + '\n');
  return 0;
}

export async function scoreCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags('score', argv, {
    model: { type: 'string' },
    text: { type: 'string' },
    file: { type: 'string' },
    stride: { type: 'string' },
    json: { type: 'boolean' },
  });
  const dir = requiredString(flags, 'model', 'score');
  const text = await inputText(flags, 'score');
  const stride = numberFlag(flags, 'stride', { min: 1, integer: true });
  await initBackend();
  const loaded = await loadModelFolder(dir);
  try {
    const result = await scoreIds(loaded.model, loaded.tokenizer.encode(text), stride);
    io.stdout(flags.json ? json(result) : `tokens ${result.tokens}  nll ${result.nll.toFixed(6)}  perplexity ${result.perplexity.toFixed(4)}\n`);
  } finally {
    loaded.model.dispose();
  }
  return 0;
}

/** Maps the generate flags onto the contract's options and validates them with its schema. */
export function generateOptionsFrom(flags: FlagValues): GenerateOptions {
  const sampling = ['temperature', 'top-k', 'top-p', 'seed'].filter((f) => flags[f] !== undefined);
  if (flags.greedy && sampling.length > 0) {
    throw new UsageError(`generate: --greedy cannot be combined with --${sampling.join(', --')}`);
  }
  const raw: Record<string, unknown> = {
    maxTokens: numberFlag(flags, 'max-tokens', { integer: true }),
    minTokens: numberFlag(flags, 'min-tokens', { integer: true }),
    greedy: flags.greedy === true ? true : undefined,
    temperature: numberFlag(flags, 'temperature'),
    topK: numberFlag(flags, 'top-k', { integer: true }),
    topP: numberFlag(flags, 'top-p'),
    repetitionPenalty: numberFlag(flags, 'repetition-penalty'),
    seed: numberFlag(flags, 'seed', { integer: true }),
    numBeams: numberFlag(flags, 'beams', { integer: true }),
    noRepeatNgramSize: numberFlag(flags, 'no-repeat-ngram', { integer: true }),
    lengthPenalty: numberFlag(flags, 'length-penalty'),
    earlyStopping: flags['early-stopping'] === true ? true : undefined,
    n: numberFlag(flags, 'n', { integer: true }),
    stop: typeof flags.stop === 'string' ? [flags.stop] : undefined,
  };
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = GenerateOptionsSchema.safeParse(defined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`generate: option ${issue.path.join('.')}: ${issue.message}`);
  }
  if ((parsed.data.n ?? 1) > (parsed.data.numBeams ?? 1) && (parsed.data.numBeams ?? 1) > 1) {
    throw new UsageError(`generate: --n ${parsed.data.n} is more than --beams ${parsed.data.numBeams}`);
  }
  return parsed.data;
}

export async function generateCommand(argv: readonly string[], io: Io): Promise<number> {
  const flags = parseFlags('generate', argv, {
    model: { type: 'string' },
    prompt: { type: 'string' },
    'max-tokens': { type: 'string' },
    'min-tokens': { type: 'string' },
    greedy: { type: 'boolean' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    'repetition-penalty': { type: 'string' },
    seed: { type: 'string' },
    beams: { type: 'string' },
    'no-repeat-ngram': { type: 'string' },
    'length-penalty': { type: 'string' },
    'early-stopping': { type: 'boolean' },
    n: { type: 'string' },
    stop: { type: 'string' },
    json: { type: 'boolean' },
  });
  const dir = requiredString(flags, 'model', 'generate');
  const prompt = stringFlag(flags, 'prompt');
  if (prompt === undefined) throw new UsageError('generate: --prompt is required (it may be empty: --prompt "")');
  const options = generateOptionsFrom(flags);
  await initBackend();
  const loaded = await loadModelFolder(dir);
  try {
    // One plain-text alternative is printed as it is generated; the rest wait for the end.
    const stream = !flags.json && (options.n ?? 1) === 1;
    const result = await generate(loaded.model, loaded.tokenizer, loaded.tokenizer.encode(prompt), options, {
      onToken: stream ? (_alt, _id, text) => io.stdout(text) : undefined,
    });
    const outs = result.alternatives.map((a) => ({ ids: a.ids, text: a.text }));
    if (flags.json) io.stdout(json(options.n !== undefined ? outs : outs[0]));
    else if (stream) io.stdout('\n');
    else io.stdout(outs.map((o) => o.text).join('\n---\n') + '\n');
  } finally {
    loaded.model.dispose();
  }
  return 0;
}
