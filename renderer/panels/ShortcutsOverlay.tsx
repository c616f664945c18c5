/** The keyboard shortcut help (Ctrl/Cmd+/): a modal list, closed by Esc or its button. */
import { useEffect, useRef } from 'react';
import { useMessages, type KeysOf } from '../i18n';
import { shortcutsMessages } from '../i18n/messages/shortcuts';

const MOD = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform) ? '⌘' : 'Ctrl';

/** Keys as printed on the keyboard (not translated); `what` is a key of shortcutsMessages. */
export const SHORTCUTS: { keys: string; what: KeysOf<typeof shortcutsMessages> }[] = [
  { keys: 'Tab', what: 'accept' },
  { keys: `${MOD}+→`, what: 'acceptWord' },
  { keys: 'Esc', what: 'dismiss' },
  { keys: 'Alt+]  /  Alt+[', what: 'cycle' },
  { keys: `${MOD}+Enter`, what: 'continue' },
  { keys: `${MOD}+S`, what: 'save' },
  { keys: `${MOD}+N`, what: 'newDocument' },
  { keys: `${MOD}+.`, what: 'panel' },
  { keys: `${MOD}+Shift+F`, what: 'focus' },
  { keys: `${MOD}+Shift+L`, what: 'train' },
  { keys: `${MOD}+Shift+E`, what: 'provenance' },
  { keys: `${MOD}+Shift+O`, what: 'searchDocuments' },
  { keys: `${MOD}+/`, what: 'list' },
];

export function ShortcutsOverlay({ onClose }: { onClose: () => void }) {
  const t = useMessages(shortcutsMessages);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal shortcuts" role="dialog" aria-modal="true" aria-label={t('title')} onClick={(e) => e.stopPropagation()}>
        <h2>{t('title')}</h2>
        <dl>
          {SHORTCUTS.map((s) => (
            <div key={s.keys} className="shortcut">
              <dt><kbd>{s.keys}</kbd></dt>
              <dd>{t(s.what)}</dd>
            </div>
          ))}
        </dl>
        <div className="modal-actions">
          <button ref={closeRef} type="button" className="btn" onClick={onClose}>{t('close')}</button>
        </div>
      </div>
    </div>
  );
}
