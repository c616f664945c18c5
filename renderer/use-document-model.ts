/**
 * The open document's model in the app: resolves its binding against the
 * installed models (document-model.ts), refreshes that list when the engine's
 * model changes or the Models tab says the library changed, and says once,
 * without blocking, when a bound model was deleted.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AppInfo, ModelInfo } from '../common/contract';
import { api } from './api';
import { FallbackNotices, resolveDocumentModel, withDocumentModel, type DocumentModel } from './document-model';

export interface DocumentModelControls extends DocumentModel {
  /** app.info with the document's model in place of the active one (for the status bar). */
  statusInfo: AppInfo | null;
  /** The id of a bound model that was deleted, the first time this document falls back from it. */
  notice: string | null;
  dismissNotice: () => void;
  /** Reloads the installed models (after an import, delete or switch). */
  refresh: () => void;
}

export function useDocumentModel(docId: string | null, bound: string | null | undefined, info: AppInfo | null): DocumentModelControls {
  // The list, and the binding it was fetched for: a list older than the binding (a model imported
  // since) must not count as "the bound model is gone", or the one notice would be spent on a false alarm.
  const [list, setList] = useState<{ models: ModelInfo[]; bound: string | null | undefined } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const notices = useRef(new FallbackNotices());
  const [generation, setGeneration] = useState(0);
  const refresh = useCallback(() => setGeneration((g) => g + 1), []);

  const infoModel = info?.model?.path ?? null;
  useEffect(() => {
    let cancelled = false;
    void api.call('models.list', {}).then((r) => {
      if (!cancelled && r.ok) setList({ models: r.value, bound });
    });
    return () => {
      cancelled = true;
    };
  }, [bound, infoModel, generation]);

  const models = list !== null && list.bound === bound ? list.models : null;
  const resolved = useMemo(() => resolveDocumentModel(bound, models), [bound, models]);
  useEffect(() => {
    if (resolved.fellBack && docId !== null && bound) {
      if (notices.current.shouldTell(docId, bound)) setNotice(bound);
    } else setNotice(null);
  }, [resolved.fellBack, docId, bound]);

  const statusInfo = useMemo(() => withDocumentModel(info, resolved.model), [info, resolved.model]);
  const dismissNotice = useCallback(() => setNotice(null), []);
  return { ...resolved, statusInfo, notice, dismissNotice, refresh };
}
