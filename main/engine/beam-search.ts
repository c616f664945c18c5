/**
 * Beam search as Hugging Face's `generate(..., num_beams=K, length_penalty,
 * early_stopping, no_repeat_ngram_size)` does it for a decoder-only model:
 * the K beams run as one batch; each step takes the 2K best (beam, token)
 * extensions by summed log-probability, moves EOS extensions ranked within the
 * first K to a list of finished hypotheses scored sum / generatedLength^lengthPenalty,
 * keeps the K best others, and reorders the KV cache's rows to follow them.
 * At the length limit the running beams join the finished list; the best
 * `n` hypotheses are returned. Only logits processors apply (penalties,
 * no-repeat n-grams, min tokens), never the sampling warpers: HF does the same.
 *
 * Beams are reordered every step, so text cannot be streamed token by token;
 * onToken receives each returned alternative's whole text at the end.
 */
import type { KVCache, LanguageModel, TextTokenizer } from './types';
import type { Alternative, FinishReason, GenerateHooks, GenerateOptions } from './generate';
import { disposeCache, selectRows } from './kv-cache';
import { buildProcessors, logSoftmax } from './sampling';

interface Beam {
  tokens: number[];
  /** Sum of the processed log-probabilities of `tokens`. */
  score: number;
}

interface Hypothesis {
  tokens: number[];
  /** Length-normalised score. */
  score: number;
  eos: boolean;
}

/** The finished hypotheses of one search, at most numBeams of them (HF's BeamHypotheses). */
export class BeamHypotheses {
  readonly items: Hypothesis[] = [];
  private worst = Infinity;

  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
    private readonly earlyStopping: boolean,
  ) {}

  add(tokens: number[], sumLogprobs: number, generatedLength: number, eos: boolean): void {
    const score = sumLogprobs / Math.max(1, generatedLength) ** this.lengthPenalty;
    if (this.items.length >= this.numBeams && score <= this.worst) return;
    this.items.push({ tokens, score, eos });
    this.items.sort((a, b) => b.score - a.score);
    if (this.items.length > this.numBeams) this.items.pop();
    this.worst = this.items[this.items.length - 1].score;
  }

  /** True when no running beam can still make the list (HF's heuristic for early_stopping=False). */
  isDone(bestRunningSum: number, generatedLength: number): boolean {
    if (this.items.length < this.numBeams) return false;
    if (this.earlyStopping) return true;
    return this.worst >= bestRunningSum / Math.max(1, generatedLength) ** this.lengthPenalty;
  }
}

interface Candidate {
  value: number;
  beam: number;
  token: number;
}

/** The `k` largest entries over all rows, best first; ties keep the lower (beam, token). */
export function topCandidates(rows: readonly Float32Array[], offsets: readonly number[], k: number): Candidate[] {
  const best: Candidate[] = [];
  rows.forEach((row, beam) => {
    const offset = offsets[beam];
    for (let token = 0; token < row.length; token++) {
      const value = row[token] + offset;
      if (Number.isNaN(value) || value === -Infinity) continue;
      if (best.length === k && value <= best[k - 1].value) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].value < value) at--;
      best.splice(at, 0, { value, beam, token });
      if (best.length > k) best.pop();
    }
  });
  return best;
}

/**
 * Runs beam search after the prompt's prefill: `cache` (batch 1, taken over
 * and disposed here) and `logits`, the prompt's last-position logits.
 */
export async function beamSearch(
  model: LanguageModel,
  tokenizer: TextTokenizer,
  promptIds: readonly number[],
  cache: KVCache,
  logits: Float32Array,
  options: GenerateOptions,
  hooks: GenerateHooks = {},
): Promise<{ alternatives: Alternative[]; reason: FinishReason; scores: number[] }> {
  const started = performance.now();
  const numBeams = options.numBeams ?? 1;
  const maxNew = options.maxTokens ?? 50;
  const minTokens = Math.min(options.minTokens ?? 0, maxNew);
  const eos = tokenizer.eosId;
  // Beam search uses the constraints only (HF applies no warpers without sampling).
  const { processors } = buildProcessors(
    { greedy: true, repetitionPenalty: options.repetitionPenalty, noRepeatNgramSize: options.noRepeatNgramSize, minTokens },
    { vocabSize: model.config.vocabSize, eosId: eos, tokenizerVocabSize: tokenizer.vocabSize },
  );
  const hyps = new BeamHypotheses(numBeams, options.lengthPenalty ?? 1, options.earlyStopping ?? false);

  let beams: Beam[] = [{ tokens: [], score: 0 }];
  let rows: Float32Array[] = [logits];
  let stopped: FinishReason | null = null;
  let done = false;
  try {
    for (let step = 0; ; step++) {
      const scored = beams.map((beam, b) => {
        if (rows[b].some(Number.isNaN)) throw new Error(`beam search: NaN logits (beam ${b}, new token ${step}); the model weights may be corrupt`);
        // HF order: log-softmax first, then the processors edit the log-probabilities.
        const row = logSoftmax(rows[b]);
        for (const p of processors) p(row, [...promptIds, ...beam.tokens], beam.tokens.length);
        return row;
      });
      const candidates = topCandidates(scored, beams.map((b) => b.score), 2 * numBeams);
      const next: (Beam & { parent: number })[] = [];
      for (const [rank, c] of candidates.entries()) {
        const parent = beams[c.beam];
        if (c.token === eos) {
          // HF: an EOS ranked below the first numBeams candidates is not a hypothesis.
          if (rank < numBeams) hyps.add(parent.tokens, c.value, parent.tokens.length + 1, true);
        } else {
          next.push({ tokens: [...parent.tokens, c.token], score: c.value, parent: c.beam });
        }
        if (next.length === numBeams) break;
      }
      if (next.length === 0) {
        done = true;
        break;
      }
      // HF bounds with the best of all 2K candidates (EOS ones included), not only the kept beams.
      done = hyps.isDone(candidates[0].value, step + 1);
      beams = next;
      if (done || step + 1 >= maxNew) break;
      if (hooks.signal?.aborted) stopped = 'aborted';
      else if (options.timeBudgetMs !== undefined && performance.now() - started >= options.timeBudgetMs) stopped = 'time';
      if (stopped) break;

      const reordered = selectRows(cache, next.map((b) => b.parent));
      disposeCache(cache);
      cache = reordered;
      const out = model.forward(next.map((b) => [b.tokens[b.tokens.length - 1]]), cache);
      disposeCache(cache);
      cache = out.cache;
      try {
        const data = await out.logits.data();
        const vocab = data.length / next.length;
        rows = next.map((_, r) => new Float32Array(data.subarray(r * vocab, (r + 1) * vocab)));
      } finally {
        out.logits.dispose();
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    disposeCache(cache);
  }

  // HF's finalize: unless the list was already complete, the running beams compete too.
  if (!done) for (const beam of beams) hyps.add(beam.tokens, beam.score, beam.tokens.length, false);
  const chosen = hyps.items.slice(0, Math.min(options.n ?? 1, numBeams));
  const alternatives = chosen.map((h, index) => {
    const view = new AlternativeTextLite(tokenizer, options.stop ?? []);
    const text = view.textOf(h.tokens);
    if (text) hooks.onToken?.(index, h.tokens[h.tokens.length - 1] ?? eos, text);
    return { ids: h.tokens, text, stop: view.stopped, eos: h.eos };
  });
  const reason: FinishReason =
    stopped ?? (alternatives.every((a) => a.stop) ? 'stop' : alternatives.every((a) => a.eos || a.stop) ? 'eos' : 'length');
  return { alternatives: alternatives.map(({ ids, text }) => ({ ids, text })), reason, scores: chosen.map((h) => h.score) };
}

/** Decodes a finished hypothesis and cuts it before its first stop string. */
class AlternativeTextLite {
  stopped = false;
  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly stops: readonly string[],
  ) {}

  textOf(ids: readonly number[]): string {
    const text = this.tokenizer.decode(ids);
    let cut = -1;
    for (const s of this.stops) {
      const at = text.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    this.stopped = cut >= 0;
    return cut >= 0 ? text.slice(0, cut) : text;
  }
}
