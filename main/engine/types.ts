/**
 * The seams between the engine's parts: what the tokenizer, the model, the
 * sampler and the generator promise each other. Implementations live in their
 * own files (tokenizer.ts, gpt2.ts, sampling.ts, generate.ts); this file holds
 * only types so that each part can be built and tested on its own.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** GPT-2 hyper-parameters, named as in nanoGPT; read from a Hugging Face config.json. */
export interface GPT2Config {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Context length (n_positions / n_ctx). */
  nPositions: number;
  vocabSize: number;
  layerNormEpsilon: number;
}

export interface TextTokenizer {
  readonly vocabSize: number;
  /** Id of `<|endoftext|>`. */
  readonly eosId: number;
  /** GPT-2 ids; `<|endoftext|>` in the text becomes eosId when allowSpecial is true (default false). */
  encode(text: string, options?: { allowSpecial?: boolean }): number[];
  /** Exact inverse on bytes; invalid UTF-8 decodes to U+FFFD. */
  decode(ids: readonly number[]): string;
  /** A decoder that holds back bytes of an unfinished UTF-8 character between pushes. */
  streamDecoder(): StreamDecoder;
}

export interface StreamDecoder {
  /** Returns the text that is complete after this token (may be ''). */
  push(id: number): string;
  /** Returns what is left (incomplete bytes become U+FFFD). */
  flush(): string;
}

/**
 * Per-layer keys and values of the tokens seen so far, for B sequences of equal length.
 * k and v are (B, nHead, T, headDim). The model returns a new cache; it never mutates one.
 */
export interface KVCache {
  readonly layers: readonly { readonly k: tf.Tensor4D; readonly v: tf.Tensor4D }[];
  /** T: number of positions held. */
  readonly length: number;
  readonly batch: number;
  /**
   * The part of the cache that lives outside this thread's tensors: the other
   * rank's heads of a tensor-parallel model (parallel/parallel-model.ts).
   * Absent for ordinary caches. kv-cache.ts's helpers apply each operation to
   * it as well, so that generate, beam search and the prefix cache need not know.
   */
  readonly remote?: RemoteCachePart;
}

/** A handle on cache tensors held elsewhere; every method but dispose returns a new handle the caller owns. */
export interface RemoteCachePart {
  /** Bytes its tensors hold (float32). */
  readonly bytes: number;
  selectRows(rows: readonly number[]): RemoteCachePart;
  /** The first `length` positions. */
  slice(length: number): RemoteCachePart;
  /** The same positions, owned separately (shares data where it can). */
  clone(): RemoteCachePart;
  /** Frees its tensors; disposing twice is harmless. */
  dispose(): void;
}

export interface LanguageModel {
  readonly config: GPT2Config;
  /**
   * Runs the new tokens `ids` (B rows of equal length T) after `cache` (or from position 0).
   * Returns logits for the last position of each row as (B, vocabSize), or for every
   * position as (B, T, vocabSize) when allPositions is set, plus the extended cache.
   * The caller owns and disposes the returned tensors; `cache` is left untouched.
   */
  forward(
    ids: readonly (readonly number[])[],
    cache: KVCache | null,
    options?: { allPositions?: boolean },
  ): { logits: tf.Tensor; cache: KVCache };
  dispose(): void;
}

/** Helpers over caches live in kv-cache.ts: dispose, select rows (for beams), repeat rows, slice to a prefix. */

/**
 * A logits processor edits one row of logits in place before sampling
 * (transformers.js style). `tokens` is the whole sequence so far: prompt and generated.
 */
export type LogitsProcessor = (logits: Float32Array, tokens: readonly number[], generatedCount: number) => void;

/** Deterministic random numbers in [0, 1); the same seed gives the same run. */
export type Rng = () => number;
