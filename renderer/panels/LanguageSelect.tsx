/**
 * The interface language: System, English or 简体中文. Used in the toolbar
 * (compact, beside the theme button) and in the Settings tab. The choice is
 * saved through settings.set by the caller and applies at once: the locale is
 * derived from the settings App already holds, so nothing reloads.
 */
import { useId } from 'react';
import type { Settings } from '../../common/contract';
import { useMessages } from '../i18n';
import { appMessages } from '../i18n/messages/app';
import './language-select.css';

type Language = Settings['language'];
const LANGUAGES: { value: Language; key: 'languageSystem' | 'languageEn' | 'languageZh' }[] = [
  { value: 'system', key: 'languageSystem' },
  { value: 'en', key: 'languageEn' },
  { value: 'zh-CN', key: 'languageZh' },
];

export interface LanguageSelectProps {
  value: Language;
  onChange: (language: Language) => void;
  /** Toolbar form: no visible label (the select is named by aria-label). */
  compact?: boolean;
}

export function LanguageSelect({ value, onChange, compact = false }: LanguageSelectProps) {
  const t = useMessages(appMessages);
  const id = useId();
  const select = (
    <select
      id={id}
      className={compact ? 'language-select btn btn-quiet' : 'language-select'}
      value={value}
      // The name stays "Language · 语言" in both locales, so a writer lost in the other language still finds it.
      aria-label={t.locale === 'en' ? `${t('language')} · 语言` : `${t('language')} · Language`}
      title={t('language')}
      data-testid={compact ? 'language-toolbar' : 'language-settings'}
      onChange={(e) => onChange(e.target.value as Language)}
    >
      {LANGUAGES.map((l) => (
        <option key={l.value} value={l.value}>
          {/* In the toolbar, beside "Theme: System", a bare "System" would not say what it is. */}
          {compact && l.key === 'languageSystem' ? t('languageSystemLong') : t(l.key)}
        </option>
      ))}
    </select>
  );
  if (compact) return select;
  return (
    <div className="field language-field">
      <label htmlFor={id} className="field-head">{t('language')}</label>
      {select}
    </div>
  );
}
