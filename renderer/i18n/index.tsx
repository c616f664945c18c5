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

export type Vars = Readonly<Record<string, string | number>>;
export type Translate<K extends string> = (key: K, vars?: Vars) => string;

/** Replaces `{name}` with vars.name; an unknown placeholder stays visible rather than vanishing. */
export function format(template: string, vars?: Vars): string {
  if (vars === undefined) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
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
  return (key, vars) => format(table[key] ?? set.en[key], vars);
}

const LocaleContext = createContext<Locale>('en');

export function LocaleProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
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
