/**
 * The document list: newest edit first, with New and a Delete that asks
 * before it deletes. The active document's title follows the editor live.
 */
import { useEffect, useRef, useState } from 'react';
import type { DocumentMeta } from '../../common/contract';
import { relativeTime } from '../doc-text';

export interface SidebarProps {
  documents: DocumentMeta[];
  activeId: string | null;
  onNew: () => void;
  onOpen: (id: string) => void;
  onDelete: (id: string) => void;
}

export function sortByLastEdit(docs: DocumentMeta[]): DocumentMeta[] {
  return [...docs].sort((a, b) => b.updatedAt - a.updatedAt || a.title.localeCompare(b.title));
}

export function Sidebar({ documents, activeId, onNew, onOpen, onDelete }: SidebarProps) {
  const [confirming, setConfirming] = useState<DocumentMeta | null>(null);
  const now = Date.now();
  return (
    <nav className="sidebar" aria-label="Documents">
      <div className="sidebar-head">
        <span className="brand">Inkwell</span>
        <button type="button" className="btn btn-quiet" onClick={onNew} title="New document (Ctrl+N)">
          New
        </button>
      </div>
      <ul className="doc-list" aria-label="Document list">
        {sortByLastEdit(documents).map((d) => (
          <li key={d.id} className={d.id === activeId ? 'doc-item active' : 'doc-item'}>
            <button
              type="button"
              className="doc-open"
              aria-current={d.id === activeId ? 'page' : undefined}
              onClick={() => onOpen(d.id)}
            >
              <span className="doc-title">{d.title}</span>
              <span className="doc-meta">
                {relativeTime(d.updatedAt, now)} · {d.words} {d.words === 1 ? 'word' : 'words'}
              </span>
            </button>
            <button type="button" className="doc-delete" aria-label={`Delete ${d.title}`} onClick={() => setConfirming(d)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      {confirming !== null && (
        <ConfirmDialog
          title="Delete document?"
          body={`“${confirming.title}” will be deleted from disk. This cannot be undone.`}
          confirmLabel="Delete"
          onConfirm={() => {
            onDelete(confirming.id);
            setConfirming(null);
          }}
          onCancel={() => setConfirming(null)}
        />
      )}
    </nav>
  );
}

interface ConfirmDialogProps {
  title: string;
  body: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}

/** A small modal; focus starts on Cancel so Enter never deletes by accident, Escape cancels. */
function ConfirmDialog({ title, body, confirmLabel, onConfirm, onCancel }: ConfirmDialogProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCancel]);
  return (
    <div className="modal-backdrop" onClick={onCancel}>
      <div
        className="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        aria-describedby="confirm-body"
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id="confirm-title">{title}</h2>
        <p id="confirm-body">{body}</p>
        <div className="modal-actions">
          <button type="button" className="btn" ref={cancelRef} onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
