/**
 * The provenance controls the app frame shows: the toolbar toggle for the
 * underline on machine-written text (a pressed/unpressed button with an
 * accessible name; Ctrl/Cmd+Shift+E does the same) and the quiet notice when
 * marks were lost to an edit made outside Inkwell.
 */
import { useMessages } from '../i18n';
import { provenanceMessages } from '../i18n/messages/provenance';

/** Ctrl/Cmd+Shift+E: the key that toggles the underline (the app's window key handler reads it). */
export function isProvenanceShortcut(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>): boolean {
  return (e.ctrlKey || e.metaKey) && e.shiftKey && !e.altKey && e.key.toLowerCase() === 'e';
}

export function ProvenanceToggle({ show, onToggle }: { show: boolean; onToggle: () => void }) {
  const t = useMessages(provenanceMessages);
  return (
    <button type="button" className="btn btn-quiet" aria-pressed={show} aria-label={t('toggleLabel')} title={t('toggleTitle')} onClick={onToggle}>
      {t('toggle')}
    </button>
  );
}

export function ProvenanceNotice({ dropped, onDismiss }: { dropped: number; onDismiss: () => void }) {
  const t = useMessages(provenanceMessages);
  if (dropped <= 0) return null;
  return (
    <div className="notice" role="status">
      {t.plural('dropped', dropped, { n: dropped })}
      <button type="button" className="btn btn-quiet" onClick={onDismiss}>
        {t('dismiss')}
      </button>
    </div>
  );
}
