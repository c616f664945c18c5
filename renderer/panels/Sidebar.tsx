/**
 * The document list: newest edit first, a title filter at the top
 * (Ctrl/Cmd+Shift+O), New and Open file (or drop .md / .txt files here),
 * inline rename (double-click, F2 or the pencil; Enter keeps, Esc cancels),
 * delete at once with an Undo toast instead of a confirmation, and export of
 * the open document. The active document's title follows the editor live.
 */
import { useEffect, useRef, useState, type DragEvent, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { DocumentMeta } from '../../common/contract';
import { relativeTime } from '../doc-text';
import { IMPORTABLE } from '../editor/files';
import { useMessages } from '../i18n';
import { documentsMessages } from '../i18n/messages/documents';

/** How long the Undo of a delete is offered. */
export const UNDO_DELETE_MS = 8_000;

export interface DeletedDocument {
  id: string;
  title: string;
  stamp: string;
}

export interface SidebarProps {
  documents: DocumentMeta[];
  activeId: string | null;
  onNew: () => void;
  onOpen: (id: string) => void;
  onDelete: (id: string) => void;
  onRename: (id: string, title: string) => void;
  /** Files the writer opened or dropped (already filtered to .md / .txt). */
  onImport: (files: File[]) => void;
  onExport: (format: 'md' | 'docx', withProvenance: boolean) => void;
  /** The last delete, while its Undo is offered. */
  deleted: DeletedDocument | null;
  onUndoDelete: () => void;
  onDismissDeleted: () => void;
}

export function sortByLastEdit(docs: DocumentMeta[]): DocumentMeta[] {
  return [...docs].sort((a, b) => b.updatedAt - a.updatedAt || a.title.localeCompare(b.title));
}

/** Case- and accent-insensitive title filter; every word of the query must appear. */
export function filterByTitle(docs: DocumentMeta[], query: string): DocumentMeta[] {
  const fold = (s: string) => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  const words = fold(query).split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return docs;
  return docs.filter((d) => {
    const title = fold(d.title);
    return words.every((w) => title.includes(w));
  });
}

export function Sidebar(props: SidebarProps) {
  const { documents, activeId, onNew, onOpen, onDelete, onRename, onImport, onExport, deleted } = props;
  const t = useMessages(documentsMessages);
  const [query, setQuery] = useState('');
  const [renaming, setRenaming] = useState<string | null>(null);
  const [marks, setMarks] = useState(false);
  const [dragging, setDragging] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const now = Date.now();
  const shown = filterByTitle(sortByLastEdit(documents), query);

  // Ctrl/Cmd+Shift+O focuses the filter, from anywhere in the window.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && !e.altKey && e.key.toLowerCase() === 'o') {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  const importFiles = (list: FileList | null) => {
    const files = [...(list ?? [])];
    if (files.length > 0) onImport(files);
  };
  const onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    // Ours, not the window's drop guard: a file dropped here opens as a document.
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const onDrop = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    e.stopPropagation();
    setDragging(false);
    importFiles(e.dataTransfer.files);
  };

  return (
    <nav
      className={dragging ? 'sidebar sidebar-drop' : 'sidebar'}
      aria-label={t('nav')}
      onDragOver={onDragOver}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <div className="sidebar-head">
        <span className="brand">Inkwell</span>
        <span className="sidebar-actions">
          <button type="button" className="btn btn-quiet" onClick={() => fileRef.current?.click()} title={t('openFileTitle')}>
            {t('openFile')}
          </button>
          <button type="button" className="btn btn-quiet" onClick={onNew} title={t('newTitle')}>
            {t('newDoc')}
          </button>
        </span>
        <input
          ref={fileRef}
          type="file"
          accept={IMPORTABLE.join(',')}
          multiple
          hidden
          data-testid="open-file-input"
          onChange={(e) => {
            importFiles(e.currentTarget.files);
            e.currentTarget.value = ''; // the same file may be opened again
          }}
        />
      </div>
      <div className="sidebar-search">
        <input
          ref={searchRef}
          type="search"
          className="doc-search"
          aria-label={t('search')}
          placeholder={t('searchPlaceholder')}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setQuery('');
            if (e.key === 'Enter' && shown[0] !== undefined) onOpen(shown[0].id);
          }}
        />
      </div>
      <ul className="doc-list" aria-label={t('list')}>
        {shown.map((d) => (
          <li key={d.id} className={d.id === activeId ? 'doc-item active' : 'doc-item'}>
            {renaming === d.id ? (
              <RenameInput
                title={d.title}
                label={t('renameInput', { title: d.title })}
                onDone={(title) => {
                  setRenaming(null);
                  if (title !== null && title !== d.title) onRename(d.id, title);
                }}
              />
            ) : (
              <button
                type="button"
                className="doc-open"
                aria-current={d.id === activeId ? 'page' : undefined}
                onClick={() => onOpen(d.id)}
                onDoubleClick={() => setRenaming(d.id)}
                onKeyDown={(e) => {
                  if (e.key === 'F2') {
                    e.preventDefault();
                    setRenaming(d.id);
                  }
                }}
              >
                <span className="doc-title">{d.title}</span>
                <span className="doc-meta">
                  {relativeTime(d.updatedAt, now)} · {t.plural('words', d.words, { n: d.words })}
                </span>
              </button>
            )}
            <button type="button" className="doc-rename" aria-label={t('rename', { title: d.title })} title={t('rename', { title: d.title })} onClick={() => setRenaming(d.id)}>
              ✎
            </button>
            <button type="button" className="doc-delete" aria-label={t('delete', { title: d.title })} title={t('delete', { title: d.title })} onClick={() => onDelete(d.id)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      {shown.length === 0 && query.trim() !== '' && (
        <p className="doc-empty" role="status">
          {t('noMatch')}
        </p>
      )}
      {dragging && <p className="doc-drop-hint">{t('dropHere')}</p>}
      {activeId !== null && (
        <div className="sidebar-export" role="group" aria-label={t('export')}>
          <span className="sidebar-export-label">{t('export')}</span>
          <button type="button" className="btn btn-quiet" onClick={() => onExport('md', marks)}>
            {t('exportMd')}
          </button>
          <button type="button" className="btn btn-quiet" onClick={() => onExport('docx', marks)}>
            {t('exportDocx')}
          </button>
          <label className="sidebar-export-marks">
            <input type="checkbox" checked={marks} onChange={(e) => setMarks(e.currentTarget.checked)} /> {t('exportMarks')}
          </label>
        </div>
      )}
      {deleted !== null && <UndoToast deleted={deleted} onUndo={props.onUndoDelete} onDismiss={props.onDismissDeleted} />}
    </nav>
  );
}

/** The title being edited: Enter keeps it, Esc cancels, leaving the field keeps it. */
function RenameInput({ title, label, onDone }: { title: string; label: string; onDone: (title: string | null) => void }) {
  const [value, setValue] = useState(title);
  const done = useRef(false);
  const finish = (result: string | null) => {
    if (done.current) return;
    done.current = true;
    onDone(result);
  };
  const onKeyDown = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      finish(value.trim());
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      finish(null);
    }
  };
  return (
    <input
      className="doc-rename-input"
      aria-label={label}
      value={value}
      maxLength={200}
      autoFocus
      onFocus={(e) => e.currentTarget.select()}
      onChange={(e) => setValue(e.currentTarget.value)}
      onKeyDown={onKeyDown}
      onBlur={() => finish(value.trim())}
    />
  );
}

/** "Deleted 'X' — Undo", for UNDO_DELETE_MS; a new delete restarts the clock. */
function UndoToast({ deleted, onUndo, onDismiss }: { deleted: DeletedDocument; onUndo: () => void; onDismiss: () => void }) {
  const t = useMessages(documentsMessages);
  useEffect(() => {
    const timer = setTimeout(onDismiss, UNDO_DELETE_MS);
    return () => clearTimeout(timer);
  }, [deleted, onDismiss]);
  return (
    <div className="toast" role="status" aria-live="polite">
      <span>{t('deleted', { title: deleted.title })}</span>
      <button type="button" className="btn btn-quiet toast-action" onClick={onUndo}>
        {t('undo')}
      </button>
    </div>
  );
}
