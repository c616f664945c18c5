/** The keyboard shortcut help (Ctrl/Cmd+/): a modal list, closed by Esc or its button. */
import { useEffect, useRef } from 'react';

const MOD = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform) ? '⌘' : 'Ctrl';

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'Tab', what: 'Accept the suggestion' },
  { keys: `${MOD}+→`, what: 'Accept the next word of the suggestion' },
  { keys: 'Esc', what: 'Dismiss the suggestion' },
  { keys: 'Alt+]  /  Alt+[', what: 'Next / previous alternative' },
  { keys: `${MOD}+Enter`, what: 'Continue writing (a longer continuation)' },
  { keys: `${MOD}+S`, what: 'Save' },
  { keys: `${MOD}+N`, what: 'New document' },
  { keys: `${MOD}+.`, what: 'Show or hide the side panel' },
  { keys: `${MOD}+Shift+F`, what: 'Focus mode' },
  { keys: `${MOD}+/`, what: 'This list' },
];

export function ShortcutsOverlay({ onClose }: { onClose: () => void }) {
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
      <div className="modal shortcuts" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <dl>
          {SHORTCUTS.map((s) => (
            <div key={s.keys} className="shortcut">
              <dt><kbd>{s.keys}</kbd></dt>
              <dd>{s.what}</dd>
            </div>
          ))}
        </dl>
        <div className="modal-actions">
          <button ref={closeRef} type="button" className="btn" onClick={onClose}>Close</button>
        </div>
      </div>
    </div>
  );
}
