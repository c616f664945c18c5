import { describe, expect, test } from 'vitest';
import { estimateParameters, parseModelConfig, toHfConfig } from '../../../main/engine/model-config';

const GOOD = {
  model_type: 'gpt2',
  n_layer: 12,
  n_head: 12,
  n_embd: 768,
  n_positions: 1024,
  n_ctx: 1024,
  vocab_size: 50257,
  layer_norm_epsilon: 1e-5,
  activation_function: 'gelu_new',
};
const text = (over: Record<string, unknown>, drop: string[] = []): string => {
  const o: Record<string, unknown> = { ...GOOD, ...over };
  for (const k of drop) delete o[k];
  return JSON.stringify(o);
};

describe('parseModelConfig', () => {
  test('reads GPT-2 124M', () => {
    expect(parseModelConfig(text({}))).toEqual({
      nLayer: 12,
      nHead: 12,
      nEmbd: 768,
      nPositions: 1024,
      vocabSize: 50257,
      layerNormEpsilon: 1e-5,
      activation: 'gelu_new',
    });
    expect(estimateParameters(parseModelConfig(text({})))).toBe(124_439_808);
  });

  test.for([
    { what: 'a BOM', src: '\uFEFF' + text({}), check: { nLayer: 12 } },
    { what: 'no n_ctx, epsilon or activation (defaults)', src: text({}, ['n_ctx', 'layer_norm_epsilon', 'activation_function']), check: { layerNormEpsilon: 1e-5, activation: 'gelu_new' } },
    { what: 'exact gelu', src: text({ activation_function: 'gelu' }), check: { activation: 'gelu' } },
    { what: 'HF flags at their GPT-2 values', src: text({ scale_attn_weights: true, reorder_and_upcast_attn: false }), check: { nHead: 12 } },
    { what: 'GPT-2 XL', src: text({ n_layer: 48, n_head: 25, n_embd: 1600 }), check: { nEmbd: 1600 } },
  ])('accepts $what', ({ src, check }) => {
    expect(parseModelConfig(src)).toMatchObject(check);
  });

  test.for([
    { what: 'missing n_embd', src: text({}, ['n_embd']), err: /n_embd is missing/ },
    { what: 'missing n_layer', src: text({}, ['n_layer']), err: /n_layer is missing/ },
    { what: 'missing n_head', src: text({}, ['n_head']), err: /n_head is missing/ },
    { what: 'missing n_positions', src: text({}, ['n_positions']), err: /n_positions is missing/ },
    { what: 'missing vocab_size', src: text({}, ['vocab_size']), err: /vocab_size is missing/ },
    { what: 'a string value', src: text({ n_embd: '768' }), err: /n_embd must be a whole number, found "768" \(string\)/ },
    { what: 'a float', src: text({ n_layer: 12.5 }), err: /n_layer must be a whole number, found 12\.5/ },
    { what: 'a negative', src: text({ n_head: -12 }), err: /n_head is -12; expected 1 to 256/ },
    { what: 'zero', src: text({ vocab_size: 0 }), err: /vocab_size is 0/ },
    { what: 'null', src: text({ n_layer: null }), err: /n_layer must be a whole number, found null/ },
    { what: 'n_embd % n_head != 0', src: text({ n_head: 7 }), err: /n_embd 768 is not divisible by n_head 7/ },
    { what: 'n_layer = 1e6', src: text({ n_layer: 1e6 }), err: /n_layer is 1000000; expected 1 to 256/ },
    { what: 'too many parameters in total', src: text({ n_layer: 256, n_embd: 16384, n_head: 16 }), err: /billion parameters; the limit is 2 billion/ },
    { what: 'model_type llama', src: text({ model_type: 'llama' }), err: /model_type is "llama"; Inkwell runs GPT-2 models/ },
    { what: 'no model_type', src: text({}, ['model_type']), err: /model_type is missing/ },
    { what: 'an unknown activation', src: text({ activation_function: 'relu' }), err: /activation_function "relu" is not supported/ },
    { what: 'n_ctx != n_positions', src: text({ n_ctx: 512 }), err: /n_ctx 512 differs from n_positions 1024/ },
    { what: 'a zero epsilon', src: text({ layer_norm_epsilon: 0 }), err: /layer_norm_epsilon must be a small positive number/ },
    { what: 'a string epsilon', src: text({ layer_norm_epsilon: '1e-5' }), err: /layer_norm_epsilon must be a small positive number, found "1e-5"/ },
    { what: 'scaled-by-layer attention', src: text({ scale_attn_by_inverse_layer_idx: true }), err: /scale_attn_by_inverse_layer_idx = true is a GPT-2 variant/ },
    { what: 'comments', src: '{ // gpt2\n "model_type": "gpt2" }', err: /not valid JSON/ },
    { what: 'a trailing comma', src: text({}).replace(/}$/, ',}'), err: /not valid JSON/ },
    { what: 'an array', src: '[1, 2]', err: /expected a JSON object, found an array/ },
    { what: 'null JSON', src: 'null', err: /expected a JSON object, found null/ },
    { what: 'a string JSON', src: '"gpt2"', err: /expected a JSON object, found string/ },
    { what: 'deep nesting', src: '['.repeat(100_000) + ']'.repeat(100_000), err: /not valid JSON|expected a JSON object/ },
    { what: 'a huge file', src: ' '.repeat(1_000_001) + '{}', err: /1000003 characters/ },
  ])('refuses $what', ({ src, err }) => {
    expect(() => parseModelConfig(src, 'm/config.json')).toThrow(err);
  });

  test('errors name the file', () => {
    expect(() => parseModelConfig(text({}, ['n_embd']), '/models/x/config.json')).toThrow(/^\/models\/x\/config\.json: n_embd is missing$/);
  });

  test('toHfConfig round-trips', () => {
    const c = parseModelConfig(text({ activation_function: 'gelu', layer_norm_epsilon: 1e-6 }));
    expect(parseModelConfig(JSON.stringify(toHfConfig(c)))).toEqual(c);
  });
});
