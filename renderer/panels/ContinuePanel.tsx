/**
 * Shows one streaming continuation below the editor with Insert / Discard.
 * The text lives here, outside the editor state, until the writer inserts it,
 * so save, journal and undo never see a suggestion that was not taken.
 */
import type { Continuation } from '../continuation';
import { describeReason } from '../continuation';
import { useMessages } from '../i18n';
import { continueMessages } from '../i18n/messages/continue';

export interface ContinuePanelProps {
  state: Continuation;
  onInsert: () => void;
  onDiscard: () => void;
  onStop: () => void;
}

export function ContinuePanel({ state, onInsert, onDiscard, onStop }: ContinuePanelProps) {
  const t = useMessages(continueMessages);
  if (state.status === 'idle') return null;
  const busy = state.status === 'streaming';
  return (
    <section className="continue-panel" aria-label={t('region')} aria-busy={busy}>
      <div className="continue-head">
        <span className="continue-label">{busy ? t('continuing') : state.status === 'error' ? t('failed') : t('title')}</span>
        {state.status === 'done' && (
          <span className="continue-meta">
            {describeReason(state.reason, t)}
            {state.tokens > 0 && state.elapsedMs > 0
              ? t.plural('stats', state.tokens, { seconds: t.number(state.elapsedMs / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) })
              : ''}
          </span>
        )}
      </div>
      {state.text.trim() !== '' && (
        <p className="continue-text" data-testid="continuation-text">
          {/* Shown without its leading space; Insert uses the text exactly as generated. */}
          {state.text.trimStart()}
        </p>
      )}
      {state.status === 'error' && (
        <p className="continue-error" role="alert">
          {state.message}
        </p>
      )}
      <div className="continue-actions">
        {busy ? (
          <button type="button" className="btn" onClick={onStop}>
            {t('stop')}
          </button>
        ) : (
          <>
            {state.status === 'done' && state.text !== '' && (
              <button type="button" className="btn btn-primary" onClick={onInsert}>
                {t('insert')}
              </button>
            )}
            <button type="button" className="btn" onClick={onDiscard}>
              {t('discard')}
            </button>
          </>
        )}
      </div>
    </section>
  );
}
