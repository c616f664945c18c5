/**
 * The open document's memory, author's note and generation settings: loaded
 * when the document opens, saved (debounced) beside it through
 * documents.setSettings. Edits show at once; a failed save is reported, and
 * the edit stays so the next change retries it.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { DEFAULT_DOCUMENT_SETTINGS, type DocumentSettings } from '../common/contract';
import { api } from './api';

export const DOC_SETTINGS_SAVE_DELAY_MS = 400;

export interface DocSettingsControls {
  settings: DocumentSettings;
  /** Merges a change and schedules the save. */
  update: (change: Partial<DocumentSettings>) => void;
  error: string | null;
}

export function useDocSettings(docId: string | null): DocSettingsControls {
  const [settings, setSettings] = useState<DocumentSettings>(DEFAULT_DOCUMENT_SETTINGS);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef<{ id: string | null; settings: DocumentSettings }>({ id: null, settings: DEFAULT_DOCUMENT_SETTINGS });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const flush = useCallback(() => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
    const { id, settings: s } = latest.current;
    if (id === null) return;
    void api.call('documents.setSettings', { id, settings: s }).then((r) => setError(r.ok ? null : `Could not save this document's settings: ${r.error.message}`));
  }, []);

  useEffect(() => {
    latest.current = { id: docId, settings: DEFAULT_DOCUMENT_SETTINGS };
    setSettings(DEFAULT_DOCUMENT_SETTINGS);
    if (docId === null) return;
    let cancelled = false;
    void api.call('documents.getSettings', { id: docId }).then((r) => {
      if (cancelled || latest.current.id !== docId) return;
      if (r.ok) {
        latest.current = { id: docId, settings: r.value };
        setSettings(r.value);
      } else setError(`Could not load this document's settings: ${r.error.message}`);
    });
    return () => {
      cancelled = true;
      // Leaving the document: what was typed into its memory is saved now, not lost with the timer.
      if (timer.current !== null) flush();
    };
  }, [docId, flush]);

  // Closing or reloading the window within the save delay must not lose the last edit.
  useEffect(() => {
    const onHide = () => {
      if (timer.current !== null) flush();
    };
    window.addEventListener('pagehide', onHide);
    return () => window.removeEventListener('pagehide', onHide);
  }, [flush]);

  const update = useCallback(
    (change: Partial<DocumentSettings>) => {
      const next = { ...latest.current.settings, ...change };
      latest.current = { ...latest.current, settings: next };
      setSettings(next);
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = setTimeout(flush, DOC_SETTINGS_SAVE_DELAY_MS);
    },
    [flush],
  );

  return { settings, update, error };
}
