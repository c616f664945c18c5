/**
 * The window: document list, editor, Continue panel, status bar. App owns the
 * open document's DocumentSession (save state, autosave, journal) and the one
 * running continuation; components below it only render and report events.
 */
import type { EditorState, LexicalEditor } from 'lexical';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AppInfo, DocumentContent, DocumentMeta, Settings } from '../common/contract';
import { api, connection, unwrap } from './api';
import { DocumentSession, type SaveState } from './doc-session';
import { countWords, titleFromMarkdown, UNTITLED } from './doc-text';
import { Editor } from './editor/Editor';
import { dismissGhost, type GhostRequest } from './editor/GhostTextPlugin';
import { continueOptions, effectiveOptions, ghostOptions } from './generation';
import { useDocSettings } from './use-doc-settings';
import { useDocumentModel } from './use-document-model';
import { DocumentBridgeContext, type DocumentBridge } from './document-bridge';
import { modelsMessages } from './i18n/messages/models';
import { LocaleProvider, localized, resolveLocale, translator } from './i18n';
import { appMessages } from './i18n/messages/app';
import { assistantMessages } from './i18n/messages/assistant';
import { LanguageSelect } from './panels/LanguageSelect';
import { insertBlocks, type Block } from './editor/insert-blocks';
import { $textBeforeCaret } from './editor/markdown';
import { $getMarkdownWithProvenance } from './editor/provenance';
import { isProvenanceShortcut, ProvenanceNotice, ProvenanceToggle } from './editor/ProvenanceControls';
import { useDocumentActions } from './use-document-actions';
import { AssistantPanel, type PanelName } from './panels/AssistantPanel';
import { trainMessages } from './i18n/messages/train';
import { ShortcutsOverlay } from './panels/ShortcutsOverlay';
import { ConnectionBanner } from './panels/ConnectionBanner';
import { ContinuePanel } from './panels/ContinuePanel';
import { Sidebar, sortByLastEdit } from './panels/Sidebar';
import { StatusBar } from './panels/StatusBar';
import { useContinuation } from './use-continuation';

const THEME_ORDER: Settings['theme'][] = ['system', 'light', 'dark'];
const THEME_LABEL = { system: 'themeSystem', light: 'themeLight', dark: 'themeDark' } as const satisfies Record<Settings['theme'], string>;
/** For messages made in callbacks: in the language active when they happen. */
const appText = localized(appMessages);
/**
 * Markdown, word count and title are derived from the whole document. When
 * that took under this budget last time it runs on every change; on large
 * documents (~400 ms per pass for 200,000 words here) it waits for a pause in
 * typing of DERIVE_INTERVAL_MS plus the last pass's cost, and runs at least
 * every DERIVE_MAX_WAIT_MS: a pass every 250 ms made every other keystroke
 * wait (large-input.spec.ts: p95 input latency 419 ms).
 */
const DERIVE_SYNC_BUDGET_MS = 8;
const DERIVE_INTERVAL_MS = 250;
const DERIVE_MAX_WAIT_MS = 5_000;
const ENGINE_INFO_POLL_MS = 2_000;

export function App() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [docs, setDocs] = useState<DocumentMeta[]>([]);
  const [current, setCurrent] = useState<DocumentContent | null>(null);
  const [saveState, setSaveState] = useState<SaveState>({ kind: 'saved' });
  const [words, setWords] = useState(0);
  const [recovered, setRecovered] = useState(false);
  /** Provenance marks lost to an edit outside the app, told once per open. */
  const [marksDropped, setMarksDropped] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [panel, setPanel] = useState<PanelName | null>(null);
  const [focusMode, setFocusMode] = useState(false);
  const [showShortcuts, setShowShortcuts] = useState(false);
  const sessionRef = useRef<DocumentSession | null>(null);
  const editorRef = useRef<LexicalEditor | null>(null);
  const settingsRef = useRef<Settings | null>(null);
  /** The newest editor state not yet turned into Markdown, and the timer that will do it. */
  const pendingState = useRef<EditorState | null>(null);
  const deriveTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastDeriveMs = useRef(0);
  /** When the oldest change not yet derived was made (for DERIVE_MAX_WAIT_MS). */
  const deriveSince = useRef(0);
  settingsRef.current = settings;
  const docSettings = useDocSettings(current?.id ?? null);
  const docSettingsRef = useRef(docSettings.settings);
  docSettingsRef.current = docSettings.settings;
  // The model the open document writes with (its binding, or the active model when unbound or deleted).
  const docModel = useDocumentModel(current?.id ?? null, docSettings.settings.modelId, info);
  const docModelIdRef = useRef(docModel.modelId);
  docModelIdRef.current = docModel.modelId;
  /** Options, memory and note of the open document, read when a request starts (never stale in a closure). */
  const requestExtras = useCallback(() => {
    const doc = docSettingsRef.current;
    const options = effectiveOptions(settingsRef.current?.generation ?? {}, doc);
    const modelId = docModelIdRef.current;
    return { options, memory: doc.memory || undefined, authorsNote: doc.authorsNote || undefined, ...(modelId !== undefined ? { modelId } : {}) };
  }, []);
  const infoRef = useRef<AppInfo | null>(null);
  infoRef.current = info;
  const refreshInfo = useCallback(() => void api.call('app.info', {}).then((r) => r.ok && setInfo(r.value)), []);
  const ghostRequest = useCallback<GhostRequest>((context, onEvent) => {
    const extras = requestExtras();
    const handle = api.stream('engine.generate', { ...extras, options: ghostOptions(extras.options), task: 'continue', context }, onEvent);
    // The engine starts lazily: after the first suggestion the status bar can name its backend and model.
    void handle.done.then(() => {
      if (!infoRef.current?.backend) refreshInfo();
    });
    return handle;
  }, [requestExtras, refreshInfo]);
  const textBefore = useCallback(() => editorRef.current?.getEditorState().read($textBeforeCaret) ?? '', []);
  const watchText = useCallback((onChange: () => void) => editorRef.current?.registerUpdateListener(({ dirtyElements, dirtyLeaves }) => {
    if (dirtyElements.size > 0 || dirtyLeaves.size > 0) onChange();
    // A new identity per document: the editor (and what to listen to) is remounted for each one.
  }) ?? (() => undefined), [current?.id]);
  const insertIntoDocument = useCallback((blocks: Block[]) => {
    const editor = editorRef.current;
    if (editor === null) return;
    insertBlocks(editor, blocks);
    editor.focus();
  }, []);
  const refreshDocModel = docModel.refresh;
  const onModelChanged = useCallback(() => {
    refreshInfo();
    refreshDocModel();
  }, [refreshInfo, refreshDocModel]);
  /** What the Models tab's Compare may read from and write into the open document. */
  const documentBridge = useMemo<DocumentBridge>(() => ({
    before: textBefore,
    options: () => requestExtras().options,
    insert: (paragraphs) => insertIntoDocument(paragraphs.map((text) => ({ type: 'p' as const, text }))),
    modelId: () => docModelIdRef.current,
  }), [textBefore, requestExtras, insertIntoDocument]);
  const changeAppSettings = useCallback(async (change: Partial<Settings>) => {
    setSettings((s) => (s === null ? s : { ...s, ...change }));
    const r = await api.call('settings.set', change);
    if (r.ok) setSettings(r.value);
    else setError(appText()('errorSettings', { message: r.error.message }));
  }, []);
  const continuation = useContinuation(
    editorRef,
    useCallback(() => {
      const extras = requestExtras();
      return { ...extras, options: continueOptions(extras.options) };
    }, [requestExtras]),
    // The engine starts lazily: after the first generation its backend and model are known.
    refreshInfo,
  );
  const resetContinuation = continuation.reset;

  /** Turns the pending editor state into Markdown for the session, the word count and the title. */
  const derive = useCallback(() => {
    if (deriveTimer.current !== null) clearTimeout(deriveTimer.current);
    deriveTimer.current = null;
    const state = pendingState.current;
    pendingState.current = null;
    const session = sessionRef.current;
    if (state === null || session === null) return;
    const started = performance.now();
    const { markdown, spans } = state.read($getMarkdownWithProvenance);
    session.edit(markdown, spans);
    const n = countWords(markdown);
    const title = titleFromMarkdown(markdown);
    lastDeriveMs.current = performance.now() - started;
    setWords(n);
    // The sidebar follows the editor live; the next save brings the stored metadata.
    // A renamed document (titled) keeps its name.
    setDocs((list) => list.map((d) => (d.id === session.id && ((d.titled !== true && d.title !== title) || d.words !== n) ? { ...d, title: d.titled === true ? d.title : title, words: n } : d)));
  }, []);

  const onContentChange = useCallback(
    (state: EditorState) => {
      pendingState.current = state;
      if (lastDeriveMs.current < DERIVE_SYNC_BUDGET_MS) {
        derive();
        return;
      }
      const now = performance.now();
      if (deriveTimer.current === null) deriveSince.current = now;
      else clearTimeout(deriveTimer.current);
      const pause = DERIVE_INTERVAL_MS + lastDeriveMs.current;
      deriveTimer.current = setTimeout(derive, Math.max(0, Math.min(pause, deriveSince.current + DERIVE_MAX_WAIT_MS - now)));
    },
    [derive],
  );

  /** Makes `doc` the open document; the previous session must already be saved or dropped. */
  const show = useCallback((doc: DocumentContent) => {
    sessionRef.current?.dispose();
    // Changes of the previous document were derived by leaveCurrent (or dropped with it by delete).
    if (deriveTimer.current !== null) clearTimeout(deriveTimer.current);
    deriveTimer.current = null;
    pendingState.current = null;
    lastDeriveMs.current = 0;
    resetContinuation();
    const session = new DocumentSession({
      api,
      id: doc.id,
      content: doc.content,
      provenance: doc.provenance,
      dirty: doc.recovered,
      autosaveDelayMs: settingsRef.current?.autosaveDelayMs ?? 2_000,
      onState: setSaveState,
      onSaved: (meta) => setDocs((list) => [meta, ...list.filter((d) => d.id !== meta.id)]),
    });
    sessionRef.current = session;
    setSaveState(session.getState());
    setRecovered(doc.recovered);
    setMarksDropped(doc.provenanceDropped ?? 0);
    setWords(countWords(doc.content));
    setCurrent(doc);
  }, [resetContinuation]);

  /** Saves the open document before leaving it; false (and a message) when that failed. */
  const leaveCurrent = useCallback(async (): Promise<boolean> => {
    derive();
    const session = sessionRef.current;
    if (session === null || !session.isDirty()) return true;
    const ok = await session.save();
    if (!ok && session.isDirty()) {
      setError(appText()('errorLeave'));
      return false;
    }
    return true;
  }, [derive]);

  const openDocument = useCallback(async (id: string) => {
    if (sessionRef.current?.id === id) return;
    if (!(await leaveCurrent())) return;
    try {
      show(unwrap(await api.call('documents.open', { id })));
      setError(null);
    } catch (err) {
      setError(appText()('errorOpen', { message: (err as Error).message }));
    }
  }, [leaveCurrent, show]);

  const documentActions = useDocumentActions({
    language: settings?.language ?? 'system',
    setDocs,
    openDocument,
    saveCurrent: async () => {
      derive();
      return (await sessionRef.current?.save()) ?? true;
    },
    currentId: () => sessionRef.current?.id ?? null,
    onError: setError,
  });
  const setDeleted = documentActions.setDeleted;
  const toggleProvenance = useCallback(() => {
    void changeAppSettings({ showProvenance: !(settingsRef.current?.showProvenance ?? true) });
  }, [changeAppSettings]);

  const newDocument = useCallback(async () => {
    if (!(await leaveCurrent())) return;
    try {
      const meta = unwrap(await api.call('documents.save', { title: UNTITLED, content: '' }));
      setDocs((list) => [meta, ...list.filter((d) => d.id !== meta.id)]);
      show({ ...meta, content: '', recovered: false });
      setError(null);
      editorRef.current?.focus();
    } catch (err) {
      setError(appText()('errorCreate', { message: (err as Error).message }));
    }
  }, [leaveCurrent, show]);

  const deleteDocument = useCallback(async (id: string) => {
    const wasOpen = sessionRef.current?.id === id;
    if (wasOpen) sessionRef.current?.dispose(); // no autosave may resurrect it
    const r = await api.call('documents.delete', { id });
    if (!r.ok) {
      setError(appText()('errorDelete', { message: r.error.message }));
      return;
    }
    const rest = docs.filter((d) => d.id !== id);
    setDeleted({ id, title: docs.find((d) => d.id === id)?.title ?? id, stamp: r.value.stamp });
    setDocs(rest);
    if (!wasOpen) return;
    sessionRef.current = null;
    const next = sortByLastEdit(rest)[0];
    if (next !== undefined) await openDocument(next.id);
    else await newDocument();
  }, [docs, openDocument, newDocument, setDeleted]);

  const saveNow = useCallback(() => {
    derive();
    void sessionRef.current?.save();
  }, [derive]);

  const cycleTheme = useCallback(async () => {
    const now = settingsRef.current?.theme ?? 'system';
    const theme = THEME_ORDER[(THEME_ORDER.indexOf(now) + 1) % THEME_ORDER.length];
    setSettings((s) => (s === null ? s : { ...s, theme }));
    const r = await api.call('settings.set', { theme });
    if (r.ok) setSettings(r.value);
    else setError(appText()('errorTheme', { message: r.error.message }));
  }, []);

  // Startup: settings, engine info and the document list, then the most recent document.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      try {
        const [s, list] = await Promise.all([api.call('settings.get', {}), api.call('documents.list', {})]);
        if (cancelled) return;
        setSettings(unwrap(s));
        settingsRef.current = unwrap(s);
        const sorted = sortByLastEdit(unwrap(list));
        setDocs(sorted);
        if (sorted.length > 0) await openDocument(sorted[0].id);
        else await newDocument();
      } catch (err) {
        if (!cancelled) setError(appText()('errorLoad', { message: (err as Error).message }));
      }
      const i = await api.call('app.info', {});
      if (!cancelled && i.ok) setInfo(i.value);
    })();
    return () => {
      cancelled = true;
    };
    // Runs once at startup.
  }, []);

  // The engine starts lazily; until it has, ask again now and then so the status bar can name it.
  useEffect(() => {
    if (info?.backend) return;
    const timer = setInterval(refreshInfo, ENGINE_INFO_POLL_MS);
    return () => clearInterval(timer);
  }, [info, refreshInfo]);

  useEffect(() => {
    if (settings !== null) sessionRef.current?.setAutosaveDelay(settings.autosaveDelayMs);
    document.documentElement.dataset.theme = settings?.theme ?? 'system';
  }, [settings]);

  const locale = resolveLocale(settings?.language ?? 'system', navigator.languages);
  // App renders the LocaleProvider, so it cannot read it with useMessages.
  const t = useMemo(() => translator(appMessages, locale), [locale]);
  const tPanel = useMemo(() => translator(assistantMessages, locale), [locale]);
  const tTrain = useMemo(() => translator(trainMessages, locale), [locale]);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  // Back online after a drop: words that failed to save go out now rather than on the next keystroke.
  useEffect(
    () =>
      connection.onStatus((status) => {
        const session = sessionRef.current;
        if (status.state === 'open' && session !== null && session.getState().kind === 'failed') void session.save();
      }),
    [],
  );

  const activeTitle = docs.find((d) => d.id === current?.id)?.title;
  useEffect(() => {
    document.title = activeTitle === undefined ? 'Inkwell' : `${activeTitle} — Inkwell`;
  }, [activeTitle]);

  // Shortcuts on the window, in the capture phase, so they win over the editor's own keys.
  const startContinueRaw = continuation.start;
  const startContinue = useCallback(() => {
    // The panel's continuation replaces any inline suggestion (and frees the engine for it).
    dismissGhost(editorRef.current);
    startContinueRaw();
  }, [startContinueRaw]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      const key = e.key.toLowerCase();
      if (isProvenanceShortcut(e)) toggleProvenance();
      else if (e.shiftKey && key === 'f') setFocusMode((f) => !f);
      else if (e.shiftKey && key === 'l') setPanel('train');
      else if (e.shiftKey) return;
      else if (key === '/') setShowShortcuts((v) => !v);
      else if (key === '.') setPanel((p) => (p === null ? 'outline' : null));
      else if (key === 's') saveNow();
      else if (key === 'n') void newDocument();
      else if (key === 'enter') startContinue();
      else return;
      e.preventDefault();
      e.stopPropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [saveNow, newDocument, startContinue, toggleProvenance]);

  const theme = settings?.theme ?? 'system';
  const busy = continuation.state.status === 'streaming';
  const saveLabel = saveState.kind === 'failed' ? t('saveFailed', { message: saveState.message }) : t(saveState.kind);
  return (
    <LocaleProvider locale={locale}>
    <div className={`app ${focusMode ? 'focus-mode' : ''}`}>
      <ConnectionBanner connection={connection} />
      {showShortcuts && <ShortcutsOverlay onClose={() => setShowShortcuts(false)} />}
      {focusMode && (
        <button type="button" className="btn btn-quiet focus-exit" onClick={() => setFocusMode(false)} title={t('leaveFocusTitle')}>
          {t('leaveFocus')}
        </button>
      )}
      <div className="app-body">
        <Sidebar
          documents={docs}
          activeId={current?.id ?? null}
          onNew={() => void newDocument()}
          onOpen={(id) => void openDocument(id)}
          onDelete={(id) => void deleteDocument(id)}
          onRename={(id, title) => void documentActions.rename(id, title)}
          onImport={(files) => void documentActions.importFiles(files)}
          onExport={(format, marks) => void documentActions.exportCurrent(format, marks)}
          deleted={documentActions.deleted}
          onUndoDelete={() => void documentActions.undoDelete()}
          onDismissDeleted={documentActions.dismissDeleted}
        />
        <main className="main">
          <header className="toolbar" role="toolbar" aria-label={t('toolbar')}>
            <span className={`save-state save-${saveState.kind}`} role="status" aria-live="polite" aria-label={t('saveState')} data-testid="save-state" title={saveLabel}>
              {saveLabel}
            </span>
            <span className="toolbar-spacer" />
            <button type="button" className="btn btn-primary" onClick={startContinue} disabled={current === null || busy} title={t('continueTitle')}>
              {t('continue')}
            </button>
            <button type="button" className="btn btn-quiet" onClick={saveNow} disabled={current === null} title={t('saveTitle')}>
              {t('save')}
            </button>
            <button type="button" className="btn btn-quiet" onClick={() => void cycleTheme()} aria-label={t('theme', { theme: t(THEME_LABEL[theme]) })} title={t('themeTitle')}>
              {t('theme', { theme: t(THEME_LABEL[theme]) })}
            </button>
            {settings !== null && <LanguageSelect compact value={settings.language} onChange={(language) => void changeAppSettings({ language })} />}
            <span className="toolbar-divider" aria-hidden="true" />
            {panel === null &&
              (['outline', 'ideas', 'memory', 'settings'] as const).map((name) => (
                <button key={name} type="button" className="btn btn-quiet" onClick={() => setPanel(name)} title={t('openPanelTitle')}>
                  {tPanel(name)}
                </button>
              ))}
            <button type="button" className="btn btn-quiet" aria-pressed={panel === 'train'} onClick={() => setPanel('train')} title={tTrain('toolbarTitle')}>
              {tPanel('train')}
            </button>
            <ProvenanceToggle show={settings?.showProvenance ?? true} onToggle={toggleProvenance} />
            <button type="button" className="btn btn-quiet" aria-pressed={focusMode} onClick={() => setFocusMode((f) => !f)} title={t('focusTitle')}>
              {t('focus')}
            </button>
            <button type="button" className="btn btn-quiet btn-icon" onClick={() => setShowShortcuts(true)} aria-label={t('shortcuts')} title={t('shortcutsTitle')}>
              ?
            </button>
          </header>
          {error !== null && (
            <div className="notice notice-error" role="alert">
              {error}
              <button type="button" className="btn btn-quiet" onClick={() => setError(null)}>{t('dismiss')}</button>
            </div>
          )}
          {docSettings.error !== null && (
            <div className="notice notice-error" role="alert">
              {docSettings.error}
            </div>
          )}
          {docModel.notice !== null && (
            <div className="notice" role="status" data-testid="model-fallback-notice">
              {translator(modelsMessages, locale)('fallbackNotice', { id: docModel.notice })}
              <button type="button" className="btn btn-quiet" onClick={docModel.dismissNotice}>{translator(modelsMessages, locale)('dismiss')}</button>
            </div>
          )}
          <ProvenanceNotice dropped={marksDropped} onDismiss={() => setMarksDropped(0)} />
          {recovered && (
            <div className="notice" role="status">
              {t('recovered')}
              <button type="button" className="btn btn-quiet" onClick={() => setRecovered(false)}>{t('dismiss')}</button>
            </div>
          )}
          <div className="page">
            {current !== null ? (
              <Editor
                key={current.id}
                initialMarkdown={current.content}
                initialProvenance={current.provenance}
                showProvenance={settings?.showProvenance ?? true}
                onContentChange={onContentChange}
                editorRef={editorRef}
                ghost={{ enabled: settings?.ghostText ?? true, delayMs: settings?.suggestDelayMs ?? 300, request: ghostRequest }}
              />
            ) : (
              <p className="loading">{t('loading')}</p>
            )}
            <ContinuePanel state={continuation.state} onInsert={continuation.insert} onDiscard={continuation.discard} onStop={continuation.stop} />
          </div>
          <StatusBar words={words} info={docModel.statusInfo} />
        </main>
        {panel !== null && settings !== null && !focusMode && (
          <DocumentBridgeContext.Provider value={documentBridge}>
          <AssistantPanel
            open={panel}
            onOpen={setPanel}
            onClose={() => setPanel(null)}
            app={settings}
            onAppChange={(c) => void changeAppSettings(c)}
            doc={docSettings.settings}
            onDocChange={docSettings.update}
            options={requestExtras().options}
            before={textBefore}
            watch={watchText}
            info={info}
            onInsert={insertIntoDocument}
            onModelChanged={onModelChanged}
          />
          </DocumentBridgeContext.Provider>
        )}
      </div>
    </div>
    </LocaleProvider>
  );
}
