/**
 * Reads a Hugging Face GPT-2 config.json into a GPT2Config, strictly: a model
 * folder is user input, and a wrong number here becomes a confusing tensor
 * error (or a memory bomb) later. Every problem is reported with the key and
 * the value found. Accepts the keys HF's GPT2Config writes; refuses the GPT-2
 * variants this engine does not implement rather than computing something else.
 */
import type { GPT2Config } from './types';

/** The gelu flavours GPT-2 checkpoints use: gelu_new (tanh approximation, GPT-2 itself) and exact gelu. */
export type Activation = 'gelu_new' | 'gelu';

export interface ModelConfig extends GPT2Config {
  activation: Activation;
}

/** Largest values accepted: generous for GPT-2 XL (48 × 1600, 1024 positions), and far from a memory bomb. */
export const CONFIG_LIMITS = {
  n_layer: 256,
  n_head: 256,
  n_embd: 16_384,
  n_positions: 65_536,
  vocab_size: 1_000_000,
  /** Parameters: 2·10⁹ float32 is 8 GB, already beyond what the engine can hold. */
  parameters: 2e9,
} as const;

export const MAX_CONFIG_BYTES = 1_000_000;

const ACTIVATIONS: readonly string[] = ['gelu_new', 'gelu'];

/** Flags of HF's GPT2Config that change the math; the value GPT-2 uses is the only one accepted. */
const FIXED_FLAGS: Record<string, boolean> = {
  scale_attn_weights: true,
  scale_attn_by_inverse_layer_idx: false,
  reorder_and_upcast_attn: false,
  add_cross_attention: false,
};

export function estimateParameters(c: GPT2Config): number {
  const C = c.nEmbd;
  return c.vocabSize * C + c.nPositions * C + c.nLayer * (12 * C * C + 13 * C) + 2 * C;
}

/** Parses and validates config.json text; `origin` (the file path) prefixes every error. */
export function parseModelConfig(text: string, origin = 'config.json'): ModelConfig {
  if (text.length > MAX_CONFIG_BYTES) throw new Error(`${origin}: ${text.length} characters; a GPT-2 config.json is a few hundred`);
  // A BOM is what some Windows editors add on save: harmless, so accept it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    // Covers comments, trailing commas, truncation and nesting deep enough to exhaust the stack.
    throw new Error(`${origin}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${origin}: expected a JSON object, found ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`);
  }
  const obj = raw as Record<string, unknown>;
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(obj, k);
  const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

  if (obj.model_type !== 'gpt2') {
    throw new Error(`${origin}: model_type is ${has('model_type') ? show(obj.model_type) : 'missing'}; Inkwell runs GPT-2 models ("gpt2") only`);
  }

  const int = (key: keyof typeof CONFIG_LIMITS, min = 1): number => {
    if (!has(key)) throw new Error(`${origin}: ${key} is missing`);
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new Error(`${origin}: ${key} must be a whole number, found ${show(v)} (${typeof v})`);
    }
    if (v < min || v > CONFIG_LIMITS[key]) {
      throw new Error(`${origin}: ${key} is ${v}; expected ${min} to ${CONFIG_LIMITS[key]}`);
    }
    return v;
  };
  const nLayer = int('n_layer');
  const nHead = int('n_head');
  const nEmbd = int('n_embd');
  const vocabSize = int('vocab_size');
  const nPositions = int('n_positions');
  if (nEmbd % nHead !== 0) throw new Error(`${origin}: n_embd ${nEmbd} is not divisible by n_head ${nHead}`);
  if (has('n_ctx') && obj.n_ctx !== nPositions) {
    throw new Error(`${origin}: n_ctx ${show(obj.n_ctx)} differs from n_positions ${nPositions}; GPT-2 needs them equal`);
  }

  let layerNormEpsilon = 1e-5;
  if (has('layer_norm_epsilon')) {
    const v = obj.layer_norm_epsilon;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v >= 1) {
      throw new Error(`${origin}: layer_norm_epsilon must be a small positive number, found ${show(v)}`);
    }
    layerNormEpsilon = v;
  }

  let activation: Activation = 'gelu_new';
  if (has('activation_function')) {
    const v = obj.activation_function;
    if (typeof v !== 'string' || !ACTIVATIONS.includes(v)) {
      throw new Error(`${origin}: activation_function ${show(v)} is not supported; GPT-2 uses "gelu_new" (or "gelu")`);
    }
    activation = v as Activation;
  }

  for (const [flag, want] of Object.entries(FIXED_FLAGS)) {
    if (has(flag) && obj[flag] !== want) {
      throw new Error(`${origin}: ${flag} = ${show(obj[flag])} is a GPT-2 variant Inkwell does not implement (needs ${want})`);
    }
  }

  const config: ModelConfig = { nLayer, nHead, nEmbd, nPositions, vocabSize, layerNormEpsilon, activation };
  const params = estimateParameters(config);
  if (params > CONFIG_LIMITS.parameters) {
    throw new Error(`${origin}: these sizes make ${(params / 1e9).toFixed(1)} billion parameters; the limit is ${CONFIG_LIMITS.parameters / 1e9} billion`);
  }
  return config;
}

/** The inverse, for tests and for writing checkpoints: HF keys, as make-tiny-models writes them. */
export function toHfConfig(c: ModelConfig): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_embd: c.nEmbd,
    n_positions: c.nPositions,
    n_ctx: c.nPositions,
    vocab_size: c.vocabSize,
    layer_norm_epsilon: c.layerNormEpsilon,
    activation_function: c.activation,
  };
}
