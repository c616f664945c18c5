/**
 * The engine facade the worker runs: one backend, the active model plus at
 * most one other (model-cache.ts; each with its own prefix cache), and the
 * contract's `engine.generate` on top of generate(). A request runs on the
 * active model unless the host names another model folder for it.
 *
 * Requests run one at a time in arrival order (the model and the wasm heap
 * are not shareable between two forward passes); a queued request whose
 * signal is aborted before its turn ends at once with reason 'aborted'.
 * Expected failures are thrown as EngineError with a contract error code;
 * the worker turns any other exception into 'engine_error'.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ApiError, AppInfo, BackendInfo, ErrorCode, GenerateEvent, OutlineResult, ParsedRequestOf } from '../../common/contract';
import type { EngineStats, WorkerInit } from './protocol';
import type { TextTokenizer } from './types';
import { initBackend } from './backend';
import { loadModelFolder } from './model-loader';
import { DEFAULT_MAX_TOKENS, generate, TRUNCATION_CHUNKS, type GenerateOptions, type GenerateResult } from './generate';
import { ModelCache, MODEL_CACHE_CAPACITY, type CachedModel, type ModelLoader } from './model-cache';
import {
  continuePromptParts,
  buildIdeasPrompt,
  buildOutlinePrompt,
  continuationAfter,
  parseIdeas,
  parseOutline,
  TASK_STOP,
  trimContinuation,
  OUTLINE_PROMPT_TAIL,
} from './tasks';

export type GenerateRequest = ParsedRequestOf<'engine.generate'>;

/** An expected failure with the contract's error code (no model, bad input for the model...). */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** The contract's error for any thrown value: EngineError keeps its code, the rest is engine_error. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof EngineError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'engine_error', message };
}

/** Loads a folder for the cache with the real loader; the info names the folder as the app shows it. */
export const loadForCache: ModelLoader = async (dir) => {
  const m = await loadModelFolder(dir);
  const { nLayer, nEmbd, nPositions } = m.config;
  return { model: m.model, tokenizer: m.tokenizer, info: { name: m.name, path: dir, nLayer, nEmbd, nPositions } };
};

/** Which model a request runs on, when not the active one: its folder, and a name for messages. */
export interface ModelTarget {
  modelDir: string;
  label?: string;
}

/** A suggestion is complete once trimContinuation would keep a whole sentence (or a line ends). */
const ENDS_SENTENCE = /[.!?…]["'”’)\]]*$/;
export function continuationComplete(text: string): boolean {
  const body = text.replace(/^\s+/, '');
  if (body.includes('\n')) return true;
  const kept = trimContinuation(text);
  return ENDS_SENTENCE.test(kept) && (kept.match(/\S+/g) ?? []).length >= 3;
}

export class Engine {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly backend: BackendInfo,
    private readonly models: ModelCache,
  ) {}

  /** Starts the backend and loads the model folder, if any (the pinned, active model). Throws when either fails. */
  static async create(init: WorkerInit, load: ModelLoader = loadForCache): Promise<Engine> {
    const backend = await initBackend(init.backend);
    const models = new ModelCache(load, init.modelCacheCapacity ?? MODEL_CACHE_CAPACITY);
    if (init.modelDir !== null) await models.loadPinned(init.modelDir);
    return new Engine(backend, models);
  }

  private get loaded(): CachedModel | null {
    return this.models.pinned;
  }

  info(): { backend: BackendInfo; model: AppInfo['model'] } {
    return { backend: this.backend, model: this.loaded?.info ?? null };
  }

  /** Live tensors of this thread's tfjs engine and the models held (the soak test's leak check). */
  stats(): EngineStats {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, models: this.models.summary() };
  }

  /**
   * Runs one engine.generate request after the ones before it; streams
   * 'token' events and ends with exactly one 'done' event (or throws).
   * `target` runs it on another model folder (loaded into the cache on its turn).
   */
  generate(request: GenerateRequest, onEvent: (event: GenerateEvent) => void, signal?: AbortSignal, target?: ModelTarget): Promise<void> {
    const run = this.queue.then(() => this.run(request, onEvent, signal, target));
    // A failed request must not block the ones queued after it.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Token counts of `texts` with the loaded model's tokenizer (the context inspector's
   * figures). Runs outside the generation queue: encoding is pure and needs no tensors.
   */
  countTokens(texts: readonly string[]): { counts: number[]; model: string | null } {
    const loaded = this.loaded;
    if (!loaded) throw new EngineError('no_model', 'no model is loaded, so there is no tokenizer to count with');
    return { counts: texts.map((t) => (t === '' ? 0 : loaded.tokenizer.encode(t).length)), model: loaded.info.name };
  }

  /** Empties every model's prefix cache (tests use it to return to a tensor baseline). */
  clearPrefixCaches(): void {
    this.models.clearPrefixCaches();
  }

  /** Frees every model and cached tensor. The engine is unusable afterwards. */
  dispose(): void {
    this.models.clear();
  }

  /** The model a request runs on: the active one, or the target folder (loaded now, on the request's turn). */
  private async modelFor(target: ModelTarget | undefined): Promise<CachedModel> {
    if (target === undefined || target.modelDir === this.loaded?.info.path) {
      const loaded = this.loaded;
      if (!loaded) throw new EngineError('no_model', 'no model is loaded: choose a GPT-2 model folder in Models');
      return loaded;
    }
    try {
      return await this.models.get(target.modelDir);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new EngineError('invalid_model', `model ${target.label ?? target.modelDir} (${target.modelDir}) could not be loaded: ${why}`);
    }
  }

  private async run(request: GenerateRequest, onEvent: (event: GenerateEvent) => void, signal?: AbortSignal, target?: ModelTarget): Promise<void> {
    if (signal?.aborted && target !== undefined && !this.models.has(target.modelDir)) {
      // Cancelled while queued: do not load (and evict for) a model nobody waits for.
      onEvent({ type: 'done', texts: new Array<string>(request.options?.n ?? 1).fill(''), reason: 'aborted', truncatedPromptTokens: 0, promptTokens: 0, cachedTokens: 0, elapsedMs: 0 });
      return;
    }
    const loaded = await this.modelFor(target);
    const options: GenerateOptions = { ...request.options };
    const plan = taskPlan(request);
    if (plan.stop.length > 0) options.stop = [...(options.stop ?? []), ...plan.stop];
    const { ids, cut } = promptIds(loaded.tokenizer, plan, loaded.model.config.nPositions, options.maxTokens ?? DEFAULT_MAX_TOKENS);
    const result: GenerateResult = await generate(loaded.model, loaded.tokenizer, ids, options, {
      signal,
      prefixCache: loaded.prefixCache,
      onToken: (alternative, tokenId, text) => onEvent({ type: 'token', alternative, text, tokenId }),
      stopWhen: plan.stopWhen,
    });
    const finish = (text: string) => plan.finish(text, result.reason === 'eos');
    const texts = result.alternatives.map((a) => finish(a.text));
    onEvent({
      type: 'done',
      texts,
      ...plan.parse?.(texts),
      reason: result.reason,
      truncatedPromptTokens: cut + result.truncatedPromptTokens,
      promptTokens: result.promptTokens,
      cachedTokens: result.cachedTokens,
      elapsedMs: result.elapsedMs,
      model: loaded.info.name,
    });
  }
}

/**
 * Token ids of a plan's prompt. Its head (the memory) always reaches the model: when the
 * whole does not fit beside the new tokens, the text after the head is cut from the left,
 * in whole chunks like generate's own truncation so the prefix cache keeps hitting while
 * the writer types. A head that alone fills the context is left to generate's cut.
 */
export function promptIds(
  tokenizer: TextTokenizer,
  plan: Pick<TaskPlan, 'prompt' | 'head'>,
  nPositions: number,
  maxTokens: number,
): { ids: number[]; cut: number } {
  if (!plan.head) return { ids: tokenizer.encode(plan.prompt), cut: 0 };
  const head = tokenizer.encode(plan.head);
  const body = tokenizer.encode(plan.prompt.slice(plan.head.length));
  const maxNew = Math.max(1, Math.min(maxTokens, nPositions - 1));
  const room = nPositions - maxNew - head.length;
  if (body.length <= room || room < 1) return { ids: [...head, ...body], cut: 0 };
  const chunk = Math.max(1, Math.floor(nPositions / TRUNCATION_CHUNKS));
  const cut = Math.min(body.length - 1, Math.ceil((body.length - room) / chunk) * chunk);
  return { ids: [...head, ...body.slice(cut)], cut };
}

/** How a task becomes a generation: its prompt, extra stop strings, when to stop, and how raw output becomes the text shown. */
export interface TaskPlan {
  prompt: string;
  /** A start of `prompt` (the memory) kept whole when the prompt must be cut to fit the context. */
  head?: string;
  stop: readonly string[];
  stopWhen?: (text: string) => boolean;
  /** `ended`: the model ended the text itself (EOS), so its last word is whole. */
  finish: (text: string, ended: boolean) => string;
  /** Structured results for the 'done' event, parsed from the finished texts. */
  parse?: (texts: string[]) => { outline?: OutlineResult; ideas?: string[] };
}

/** How many ideas an ideas request parses when it does not say. */
export const DEFAULT_IDEAS_N = 5;

/** Distinct ideas from every alternative, in order, at most n (parseIdeas drops near-duplicates). */
export function collectIdeas(texts: readonly string[], n: number): string[] {
  // Joined as one list, so parseIdeas's duplicate check also runs across alternatives.
  const lists = texts.map((t) => `1.${t.replace(/\s+$/, '')}\n`);
  return parseIdeas(lists.join('\n'), n);
}

/**
 * 'raw' runs the context as it is. 'continue' builds the story prompt, stops
 * at the first full sentence and returns what to insert at the caret.
 * 'outline' and 'ideas' treat the context as the topic / premise and return
 * the raw list text (the services parse it with parseOutline / parseIdeas).
 */
export function taskPlan(request: GenerateRequest): TaskPlan {
  const context = request.context;
  switch (request.task) {
    case 'raw':
      return { prompt: context, stop: [], finish: (t) => t };
    case 'continue': {
      const { head, body } = continuePromptParts({ before: context, memory: request.memory, authorsNote: request.authorsNote });
      return {
        prompt: head + body,
        head,
        stop: [],
        stopWhen: continuationComplete,
        finish: (t, ended) => continuationAfter(context, trimContinuation(t, { ended })),
      };
    }
    case 'outline': {
      const brief = request.outline ?? { topic: context, shape: 'news' as const };
      return {
        prompt: buildOutlinePrompt({ topic: brief.topic || context, notes: brief.notes, shape: brief.shape }),
        stop: TASK_STOP,
        finish: (t) => t,
        // The prompt ends inside the skeleton ("Headline options:\n1."), so the parser gets that tail back.
        parse: (texts) => ({ outline: parseOutline(`${OUTLINE_PROMPT_TAIL}${texts[0] ?? ''}`) }),
      };
    }
    case 'ideas': {
      const brief = request.ideas ?? { premise: context, kind: 'ideas' as const };
      const n = brief.n ?? DEFAULT_IDEAS_N;
      return {
        prompt: buildIdeasPrompt({ ...brief, premise: brief.premise || context }),
        stop: TASK_STOP,
        finish: (t) => t,
        parse: (texts) => ({ ideas: collectIdeas(texts, n) }),
      };
    }
  }
}
