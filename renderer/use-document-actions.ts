/**
 * The document list's verbs beyond open / new / delete, as a hook for App:
 * rename, the Undo of a delete (documents.restore), opening .md / .txt files
 * as new documents, and export (saved first, then downloaded). Failures
 * become one message for the app's error notice; nothing here throws.
 */
import { useCallback, useMemo, useState, type Dispatch, type SetStateAction } from 'react';
import type { DocumentMeta, Settings } from '../common/contract';
import { api } from './api';
import { downloadExport, importedMarkdown, isImportable, titleFromFileName } from './editor/files';
import { resolveLocale, translator } from './i18n';
import { documentsMessages } from './i18n/messages/documents';
import type { DeletedDocument } from './panels/Sidebar';

export interface DocumentActionsOptions {
  /** The language setting (messages follow it). */
  language: Settings['language'];
  setDocs: Dispatch<SetStateAction<DocumentMeta[]>>;
  openDocument: (id: string) => Promise<void>;
  /** Saves the open document now; resolves true when the disk holds what the editor shows. */
  saveCurrent: () => Promise<boolean>;
  currentId: () => string | null;
  onError: (message: string) => void;
}

export interface DocumentActions {
  deleted: DeletedDocument | null;
  /** Called by App's delete once the document is in the trash. */
  setDeleted: (deleted: DeletedDocument | null) => void;
  undoDelete: () => Promise<void>;
  dismissDeleted: () => void;
  rename: (id: string, title: string) => Promise<void>;
  importFiles: (files: File[]) => Promise<void>;
  exportCurrent: (format: 'md' | 'docx', withProvenance: boolean) => Promise<void>;
}

const upsert = (meta: DocumentMeta) => (list: DocumentMeta[]) => [meta, ...list.filter((d) => d.id !== meta.id)];

export function useDocumentActions(o: DocumentActionsOptions): DocumentActions {
  const { language, setDocs, openDocument, saveCurrent, currentId, onError } = o;
  const [deleted, setDeleted] = useState<DeletedDocument | null>(null);
  const locale = resolveLocale(language, navigator.languages);
  const t = useMemo(() => translator(documentsMessages, locale), [locale]);

  const dismissDeleted = useCallback(() => setDeleted(null), []);

  const undoDelete = useCallback(async () => {
    if (deleted === null) return;
    setDeleted(null);
    const r = await api.call('documents.restore', { id: deleted.id, stamp: deleted.stamp });
    if (!r.ok) return onError(t('restoreFailed', { message: r.error.message }));
    setDocs(upsert(r.value));
    await openDocument(r.value.id);
  }, [deleted, setDocs, openDocument, onError, t]);

  const rename = useCallback(async (id: string, title: string) => {
    const r = await api.call('documents.rename', { id, title });
    if (!r.ok) return onError(t('renameFailed', { message: r.error.message }));
    const meta = r.value;
    setDocs((list) => list.map((d) => (d.id === id ? meta : d)));
  }, [setDocs, onError, t]);

  const importFiles = useCallback(async (files: File[]) => {
    let last: string | null = null;
    for (const file of files) {
      if (!isImportable(file.name)) {
        onError(t('importNotText', { name: file.name }));
        continue;
      }
      try {
        const content = importedMarkdown(file.name, await file.text());
        const r = await api.call('documents.save', { title: titleFromFileName(file.name), content });
        if (!r.ok) {
          onError(t('importFailed', { name: file.name, message: r.error.message }));
          continue;
        }
        setDocs(upsert(r.value));
        last = r.value.id;
      } catch (err) {
        onError(t('importFailed', { name: file.name, message: (err as Error).message }));
      }
    }
    if (last !== null) await openDocument(last);
  }, [setDocs, openDocument, onError, t]);

  const exportCurrent = useCallback(async (format: 'md' | 'docx', withProvenance: boolean) => {
    const id = currentId();
    if (id === null) return;
    // Export reads the stored document: what the writer sees must be on disk first.
    await saveCurrent();
    const r = await api.call('documents.export', { id, format, provenance: withProvenance });
    if (!r.ok) return onError(t('exportFailed', { message: r.error.message }));
    downloadExport(r.value);
  }, [currentId, saveCurrent, onError, t]);

  return { deleted, setDeleted, undoDelete, dismissDeleted, rename, importFiles, exportCurrent };
}
