/** The quiet line at the bottom: word count, engine backend and model. */
import type { AppInfo } from '../../common/contract';
import { localized, useMessages, type KeysOf, type Translate } from '../i18n';
import { statusMessages } from '../i18n/messages/status';

export interface StatusBarProps {
  words: number;
  info: AppInfo | null;
}

const text = localized(statusMessages);

/** Backend and model in words; `t` defaults to the active locale (ModelsPanel calls it too). */
export function describeEngine(info: AppInfo | null, t: Translate<KeysOf<typeof statusMessages>> = text()): { backend: string; model: string } {
  if (info === null) return { backend: t('connecting'), model: '' };
  const backend = info.backend === null ? t('engineNotStarted') : `${info.backend.name} · ${info.backend.device}`;
  const model =
    info.model === null
      ? t('noModel')
      : t('modelDetail', { name: info.model.name, layers: info.model.nLayer, width: info.model.nEmbd, positions: info.model.nPositions });
  return { backend, model };
}

export function StatusBar({ words, info }: StatusBarProps) {
  const t = useMessages(statusMessages);
  const { backend, model } = describeEngine(info, t);
  return (
    <footer className="status-bar" role="contentinfo" aria-label={t('status')}>
      <span data-testid="word-count">{t.plural('words', words)}</span>
      {/* Shown by CSS only while a suggestion is on screen (styles.css, .status-hint). */}
      <span className="status-hint" aria-hidden="true">
        <kbd>Tab</kbd> {t('hintAccept')} · <kbd>Esc</kbd> {t('hintDismiss')} · <kbd>Alt+]</kbd> {t('hintNext')}
      </span>
      <span className="status-spacer" />
      <span title={t('backendTitle')} data-testid="engine-backend">
        {backend}
      </span>
      {model !== '' && (
        <span title={t('modelTitle')} data-testid="engine-model">
          {model}
        </span>
      )}
    </footer>
  );
}
