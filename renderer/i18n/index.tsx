/**
 * Interface text in English and Simplified Chinese.
 *
 * Messages live beside the feature that shows them (`messages/<area>.ts`), one
 * `defineMessages` call each, so a feature's strings are added and reviewed with
 * the feature. The type makes a missing translation a compile error, not a blank
 * label at run time.
 */
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import type { Settings } from '../../common/contract';

export type Locale = 'en' | 'zh-CN';
export const LOCALES: readonly Locale[] = ['en', 'zh-CN'];

export type MessageSet<K extends string> = Readonly<Record<Locale, Readonly<Record<K, string>>>>;

/** Identity at run time; pins both locales to the same keys at compile time. */
export function defineMessages<K extends string>(set: { en: Record<K, string>; 'zh-CN': Record<NoInfer<K>, string> }): MessageSet<K> {
  return set;
}

/** The keys of a message set: `Translate<KeysOf<typeof panelMessages>>`. */
export type KeysOf<S> = S extends MessageSet<infer K> ? K : never;

export type Vars = Readonly<Record<string, string | number>>;

/**
 * `t('key', { n: 3 })`. Numbers in vars are written the locale's way (1,234).
 * `t.plural('words', n)` picks `words_one` or `words_other` by the locale's
 * plural rules (English: 1 → one; Chinese has no plural, so always other).
 */
export interface Translate<K extends string> {
  (key: K, vars?: Vars): string;
  plural(base: PluralBase<K>, n: number, vars?: Vars): string;
  /** A number in the locale's digits grouping (1,234 / 1,234). */
  number(n: number, options?: Intl.NumberFormatOptions): string;
  readonly locale: Locale;
}

/** The bases `b` for which a set has both `b_one` and `b_other`. */
export type PluralBase<K extends string, All extends string = K> = K extends `${infer B}_one` ? (`${B}_other` extends All ? B : never) : never;

/** Replaces `{name}` with vars.name; an unknown placeholder stays visible rather than vanishing. */
export function format(template: string, vars?: Vars, numberFormat?: Intl.NumberFormat): string {
  if (vars === undefined) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(vars, name)) return whole;
    const value = vars[name];
    return typeof value === 'number' && numberFormat !== undefined ? numberFormat.format(value) : String(value);
  });
}

/** The placeholders a template uses, sorted and unique (for checking translations against each other). */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
}

/** The locale for a language setting; 'system' reads the browser's preferred languages. */
export function resolveLocale(language: Settings['language'], preferred: readonly string[]): Locale {
  if (language !== 'system') return language;
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export function translator<K extends string>(set: MessageSet<K>, locale: Locale): Translate<K> {
  const table = set[locale];
  const numbers = new Intl.NumberFormat(locale);
  const rules = new Intl.PluralRules(locale);
  const t = (key: K, vars?: Vars) => format(table[key] ?? set.en[key], vars, numbers);
  return Object.assign(t, {
    plural: (base: PluralBase<K>, n: number, vars?: Vars) =>
      t(`${base}_${rules.select(n) === 'one' ? 'one' : 'other'}` as K, { n, ...vars }),
    number: (n: number, options?: Intl.NumberFormatOptions) => (options === undefined ? numbers : new Intl.NumberFormat(locale, options)).format(n),
    locale,
  });
}

/**
 * The locale last rendered by LocaleProvider, for the few strings made outside
 * React (an engine error turned into a sentence in a reducer). Components use
 * useMessages, which re-renders on a switch; these strings keep the language
 * they were made in.
 */
let activeLocale: Locale = 'en';
export function getActiveLocale(): Locale {
  return activeLocale;
}
export function setActiveLocale(locale: Locale): void {
  activeLocale = locale;
}

/**
 * A translator for code outside React (pure helpers), in the active locale;
 * one translator per locale, made on first use.
 */
export function localized<K extends string>(set: MessageSet<K>): () => Translate<K> {
  const made = new Map<Locale, Translate<K>>();
  return () => {
    const locale = getActiveLocale();
    let t = made.get(locale);
    if (t === undefined) made.set(locale, (t = translator(set, locale)));
    return t;
  };
}

const LocaleContext = createContext<Locale>('en');

export function LocaleProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  // Set during render (idempotent) so children rendering in this pass already see it.
  setActiveLocale(locale);
  return <LocaleContext.Provider value={locale}>{children}</LocaleContext.Provider>;
}

export function useLocale(): Locale {
  return useContext(LocaleContext);
}

/** `const t = useMessages(panelMessages); t('title')`. */
export function useMessages<K extends string>(set: MessageSet<K>): Translate<K> {
  const locale = useLocale();
  return useMemo(() => translator(set, locale), [set, locale]);
}
