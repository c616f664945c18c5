/**
 * Memory, author's note and the context inspector. Memory (setting,
 * characters, style) goes first in every prompt and the note a few lines
 * before the end, as NovelAI and KoboldAI do; the inspector shows exactly
 * what the next suggestion sends and its token counts, counted by the model's
 * own tokenizer (engine.countTokens), against the model's context size.
 */
import { useEffect, useMemo, useState } from 'react';
import { MAX_AUTHORS_NOTE_CHARS, MAX_MEMORY_CHARS, type DocumentSettings } from '../../common/contract';
import { api } from '../api';
import { useMessages } from '../i18n';
import { memoryMessages } from '../i18n/messages/memory';
import { MEMORY_BUDGET_TOKENS, NOTE_BUDGET_TOKENS, previewPrompt } from '../prompt-preview';

export const COUNT_DELAY_MS = 400;

export interface MemoryPanelProps {
  settings: DocumentSettings;
  onChange: (change: Partial<DocumentSettings>) => void;
  /** The text before the caret, read when the inspector refreshes. */
  before: () => string;
  /** Subscribes to document changes (returns the unsubscribe), so the inspector follows the text. */
  watch: (onChange: () => void) => () => void;
  /** The model's context window in tokens, when known. */
  contextTokens: number | null;
}

interface Counts {
  memory: number;
  note: number;
  text: number;
  prompt: number;
}

function Budget({ used, budget, label }: { used: number | null; budget: number; label: string }) {
  const t = useMessages(memoryMessages);
  const over = used !== null && used > budget;
  return (
    <span className={`budget ${over ? 'over' : ''}`} aria-label={t('budgetLabel', { label, used: used ?? t('budgetCounting'), budget })}>
      <span className="budget-bar"><span style={{ width: `${Math.min(100, ((used ?? 0) / budget) * 100)}%` }} /></span>
      {t('budget', { used: used ?? '…', budget })}
    </span>
  );
}

export function MemoryPanel({ settings, onChange, before, watch, contextTokens }: MemoryPanelProps) {
  const t = useMessages(memoryMessages);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [revision, setRevision] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const stop = watch(() => {
      // Paced: the inspector need not redraw on every keystroke.
      if (timer === null) timer = setTimeout(() => ((timer = null), setRevision((r) => r + 1)), COUNT_DELAY_MS);
    });
    return () => {
      stop();
      if (timer !== null) clearTimeout(timer);
    };
  }, [watch]);
  const [countError, setCountError] = useState<string | null>(null);
  // revision: re-read the text before the caret when the document changes.
  const parts = useMemo(() => previewPrompt(settings.memory, settings.authorsNote, before()), [settings.memory, settings.authorsNote, before, revision]);

  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      void api.call('engine.countTokens', { texts: [parts.memory, parts.note, parts.text, parts.prompt] }).then((r) => {
        if (cancelled) return;
        if (r.ok) {
          const [memory = 0, note = 0, text = 0, prompt = 0] = r.value.counts;
          setCounts({ memory, note, text, prompt });
          setCountError(null);
        } else setCountError(r.error.message);
      });
    }, COUNT_DELAY_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [parts]);

  const memoryLines = parts.memory === '' ? 0 : parts.memory.split('\n').length + 1;
  return (
    <section className="panel" aria-label={t('region')}>
      <p className="panel-intro">{t('intro')}</p>
      <label className="field">
        <span className="field-head">{t('memory')} <Budget used={counts?.memory ?? null} budget={MEMORY_BUDGET_TOKENS} label={t('memory')} /></span>
        <textarea aria-label={t('memory')} value={settings.memory} onChange={(e) => onChange({ memory: e.target.value })} rows={6} maxLength={MAX_MEMORY_CHARS} placeholder={t('memoryPlaceholder')} />
      </label>
      <label className="field">
        <span className="field-head">{t('authorsNote')} <Budget used={counts?.note ?? null} budget={NOTE_BUDGET_TOKENS} label={t('authorsNote')} /></span>
        <input aria-label={t('authorsNote')} value={settings.authorsNote} onChange={(e) => onChange({ authorsNote: e.target.value })} maxLength={MAX_AUTHORS_NOTE_CHARS} placeholder={t('notePlaceholder')} />
      </label>
      <div className="inspector" aria-label={t('inspector')} role="region">
        <div className="part-head">
          <h3>{t('nextRequest')}</h3>
          <span className="inspector-total" data-testid="prompt-tokens">
            {counts === null ? t('counting') : t.plural('promptTokens', counts.prompt)}
            {contextTokens !== null ? t('ofContext', { n: contextTokens }) : ''}
          </span>
        </div>
        {countError !== null && <p className="panel-note">{t('countsUnavailable', { message: countError })}</p>}
        {counts !== null && contextTokens !== null && counts.prompt > contextTokens && (
          <p className="panel-note">{t('tooLong')}</p>
        )}
        <pre className="inspector-text" data-testid="prompt-preview">
          {parts.prompt.split('\n').map((line, i) => (
            <span key={i} className={i < memoryLines ? 'seg-memory' : line.startsWith("[ Author's note:") ? 'seg-note' : 'seg-text'}>
              {line}
              {'\n'}
            </span>
          ))}
        </pre>
        <p className="inspector-legend"><span className="seg-memory">{t('legendMemory')}</span> <span className="seg-note">{t('legendNote')}</span> <span className="seg-text">{counts !== null ? t.plural('legendTextTokens', counts.text) : t('legendText')}</span></p>
      </div>
    </section>
  );
}
