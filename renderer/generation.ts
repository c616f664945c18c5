/**
 * Generation settings as the writer sees them: creativity presets with short
 * explanations, the per-document overrides on top of the app's defaults, and
 * the options each kind of request sends. Pure, unit-tested.
 */
import type { DocumentSettings, Settings } from '../common/contract';
import { localized } from './i18n';
import { presetMessages } from './i18n/messages/presets';

/** Labels and hints are getters: they read the interface language each time they are shown. */
const text = localized(presetMessages);

type Options = Settings['generation'];
export type PresetName = 'precise' | 'balanced' | 'wild';

export const PRESETS: Record<PresetName, { label: string; hint: string; options: Options }> = {
  precise: {
    get label() { return text()('precise'); },
    get hint() { return text()('preciseHint'); },
    options: { temperature: 0.5, topK: 20, topP: 0.9, repetitionPenalty: 1.15 },
  },
  balanced: {
    get label() { return text()('balanced'); },
    get hint() { return text()('balancedHint'); },
    options: { temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1 },
  },
  wild: {
    get label() { return text()('wild'); },
    get hint() { return text()('wildHint'); },
    options: { temperature: 1.15, topK: 0, topP: 0.98, repetitionPenalty: 1.05 },
  },
};

/** One line per knob, shown beside its control. */
export const KNOB_HINTS = {
  get temperature() { return text()('hintTemperature'); },
  get topK() { return text()('hintTopK'); },
  get topP() { return text()('hintTopP'); },
  get repetitionPenalty() { return text()('hintRepetitionPenalty'); },
  get maxTokens() { return text()('hintMaxTokens'); },
  get n() { return text()('hintN'); },
};

/** The options in force for a document: app defaults, then its preset, then its own overrides. */
export function effectiveOptions(defaults: Options, doc: DocumentSettings | null): Options {
  if (doc === null) return { ...defaults };
  const preset = doc.preset !== null && doc.preset !== 'custom' ? PRESETS[doc.preset].options : {};
  return { ...defaults, ...preset, ...doc.generation };
}

/** The preset whose options all match, else 'custom'. */
export function presetOf(options: Options): PresetName | 'custom' {
  for (const name of Object.keys(PRESETS) as PresetName[]) {
    const p = PRESETS[name].options;
    if ((Object.keys(p) as (keyof Options)[]).every((k) => options[k] === p[k])) return name;
  }
  return 'custom';
}

/** A ghost suggestion: short, one batch of alternatives. */
export const GHOST_MAX_TOKENS = 24;
export function ghostOptions(options: Options): Options {
  return { ...options, maxTokens: Math.min(options.maxTokens ?? GHOST_MAX_TOKENS, GHOST_MAX_TOKENS), n: options.n ?? 1 };
}

/** Continue (Ctrl/Cmd+Enter) asks for a longer text, one alternative. */
export const CONTINUE_MIN_TOKENS = 80;
export function continueOptions(options: Options): Options {
  return { ...options, maxTokens: Math.max(options.maxTokens ?? 0, CONTINUE_MIN_TOKENS), n: 1 };
}
