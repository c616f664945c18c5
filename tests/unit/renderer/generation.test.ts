import { expect, test } from 'vitest';
import { DEFAULT_DOCUMENT_SETTINGS, DEFAULT_SETTINGS } from '../../../common/contract';
import { effectiveOptions, GHOST_MAX_TOKENS, ghostOptions, PRESETS, presetOf } from '../../../renderer/generation';

test('a document without settings uses the app defaults', () => {
  expect(effectiveOptions(DEFAULT_SETTINGS.generation, DEFAULT_DOCUMENT_SETTINGS)).toEqual(DEFAULT_SETTINGS.generation);
});

test('the preset overrides the defaults and the document overrides the preset', () => {
  const o = effectiveOptions(DEFAULT_SETTINGS.generation, { ...DEFAULT_DOCUMENT_SETTINGS, preset: 'wild', generation: { topK: 7 } });
  expect(o.temperature).toBe(PRESETS.wild.options.temperature);
  expect(o.topK).toBe(7);
  expect(o.maxTokens).toBe(DEFAULT_SETTINGS.generation.maxTokens);
});

test.for(['precise', 'balanced', 'wild'] as const)('presetOf recognises %s; a changed knob is custom', (name) => {
  const options = { maxTokens: 30, ...PRESETS[name].options };
  expect(presetOf(options)).toBe(name);
  expect(presetOf({ ...options, temperature: 0.66 })).toBe('custom');
});

test('ghost suggestions stay short and default to one alternative', () => {
  expect(ghostOptions({ maxTokens: 400 }).maxTokens).toBe(GHOST_MAX_TOKENS);
  expect(ghostOptions({}).n).toBe(1);
  expect(ghostOptions({ n: 3, maxTokens: 10 })).toMatchObject({ n: 3, maxTokens: 10 });
});
