/**
 * The window: document list, editor, Continue panel, status bar. App owns the
 * open document's DocumentSession (save state, autosave, journal) and the one
 * running continuation; components below it only render and report events.
 */
import type { EditorState, LexicalEditor } from 'lexical';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AppInfo, DocumentContent, DocumentMeta, Settings } from '../common/contract';
import { api, connection, unwrap } from './api';
import { DocumentSession, saveStateLabel, type SaveState } from './doc-session';
import { countWords, titleFromMarkdown, UNTITLED } from './doc-text';
import { Editor } from './editor/Editor';
import { dismissGhost, type GhostRequest } from './editor/GhostTextPlugin';
import { continueOptions, effectiveOptions, ghostOptions } from './generation';
import { useDocSettings } from './use-doc-settings';
import { LocaleProvider, resolveLocale } from './i18n';
import { insertBlocks, type Block } from './editor/insert-blocks';
import { $getMarkdown, $textBeforeCaret } from './editor/markdown';
import { AssistantPanel, type PanelName } from './panels/AssistantPanel';
import { ShortcutsOverlay } from './panels/ShortcutsOverlay';
import { ConnectionBanner } from './panels/ConnectionBanner';
import { ContinuePanel } from './panels/ContinuePanel';
import { Sidebar, sortByLastEdit } from './panels/Sidebar';
import { StatusBar } from './panels/StatusBar';
import { useContinuation } from './use-continuation';

const THEME_ORDER: Settings['theme'][] = ['system', 'light', 'dark'];
const THEME_LABEL: Record<Settings['theme'], string> = { system: 'System', light: 'Light', dark: 'Dark' };
/**
 * Markdown, word count and title are derived from the whole document. When
 * that took under this budget last time it runs on every change; on large
 * documents (about 80 ms per change for 1 MB) it runs at most once per
 * DERIVE_INTERVAL_MS, so typing never waits for it.
 */
const DERIVE_SYNC_BUDGET_MS = 8;
const DERIVE_INTERVAL_MS = 250;
const ENGINE_INFO_POLL_MS = 2_000;

export function App() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [docs, setDocs] = useState<DocumentMeta[]>([]);
  const [current, setCurrent] = useState<DocumentContent | null>(null);
  const [saveState, setSaveState] = useState<SaveState>({ kind: 'saved' });
  const [words, setWords] = useState(0);
  const [recovered, setRecovered] = useState(false);
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
  settingsRef.current = settings;
  const docSettings = useDocSettings(current?.id ?? null);
  const docSettingsRef = useRef(docSettings.settings);
  docSettingsRef.current = docSettings.settings;
  /** Options, memory and note of the open document, read when a request starts (never stale in a closure). */
  const requestExtras = useCallback(() => {
    const doc = docSettingsRef.current;
    const options = effectiveOptions(settingsRef.current?.generation ?? {}, doc);
    return { options, memory: doc.memory || undefined, authorsNote: doc.authorsNote || undefined };
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
  const changeAppSettings = useCallback(async (change: Partial<Settings>) => {
    setSettings((s) => (s === null ? s : { ...s, ...change }));
    const r = await api.call('settings.set', change);
    if (r.ok) setSettings(r.value);
    else setError(`Could not save the settings: ${r.error.message}`);
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
    const markdown = state.read(() => $getMarkdown());
    session.edit(markdown);
    const n = countWords(markdown);
    const title = titleFromMarkdown(markdown);
    lastDeriveMs.current = performance.now() - started;
    setWords(n);
    // The sidebar follows the editor live; the next save brings the stored metadata.
    setDocs((list) => list.map((d) => (d.id === session.id && (d.title !== title || d.words !== n) ? { ...d, title, words: n } : d)));
  }, []);

  const onContentChange = useCallback(
    (state: EditorState) => {
      pendingState.current = state;
      if (lastDeriveMs.current < DERIVE_SYNC_BUDGET_MS) derive();
      else if (deriveTimer.current === null) deriveTimer.current = setTimeout(derive, DERIVE_INTERVAL_MS);
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
      dirty: doc.recovered,
      autosaveDelayMs: settingsRef.current?.autosaveDelayMs ?? 2_000,
      onState: setSaveState,
      onSaved: (meta) => setDocs((list) => [meta, ...list.filter((d) => d.id !== meta.id)]),
    });
    sessionRef.current = session;
    setSaveState(session.getState());
    setRecovered(doc.recovered);
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
      setError('The open document could not be saved, so it stays open. Try Ctrl+S, or copy your text somewhere safe.');
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
      setError(`Could not open the document: ${(err as Error).message}`);
    }
  }, [leaveCurrent, show]);

  const newDocument = useCallback(async () => {
    if (!(await leaveCurrent())) return;
    try {
      const meta = unwrap(await api.call('documents.save', { title: UNTITLED, content: '' }));
      setDocs((list) => [meta, ...list.filter((d) => d.id !== meta.id)]);
      show({ ...meta, content: '', recovered: false });
      setError(null);
      editorRef.current?.focus();
    } catch (err) {
      setError(`Could not create a document: ${(err as Error).message}`);
    }
  }, [leaveCurrent, show]);

  const deleteDocument = useCallback(async (id: string) => {
    const wasOpen = sessionRef.current?.id === id;
    if (wasOpen) sessionRef.current?.dispose(); // no autosave may resurrect it
    const r = await api.call('documents.delete', { id });
    if (!r.ok) {
      setError(`Could not delete the document: ${r.error.message}`);
      return;
    }
    const rest = docs.filter((d) => d.id !== id);
    setDocs(rest);
    if (!wasOpen) return;
    sessionRef.current = null;
    const next = sortByLastEdit(rest)[0];
    if (next !== undefined) await openDocument(next.id);
    else await newDocument();
  }, [docs, openDocument, newDocument]);

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
    else setError(`Could not save the theme: ${r.error.message}`);
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
        if (!cancelled) setError(`Inkwell could not load your documents: ${(err as Error).message}`);
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
      if (e.shiftKey && key === 'f') setFocusMode((f) => !f);
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
  }, [saveNow, newDocument, startContinue]);

  const theme = settings?.theme ?? 'system';
  const busy = continuation.state.status === 'streaming';
  return (
    <LocaleProvider locale={locale}>
    <div className={`app ${focusMode ? 'focus-mode' : ''}`}>
      <ConnectionBanner connection={connection} />
      {showShortcuts && <ShortcutsOverlay onClose={() => setShowShortcuts(false)} />}
      {focusMode && (
        <button type="button" className="btn btn-quiet focus-exit" onClick={() => setFocusMode(false)} title="Leave focus mode (Ctrl+Shift+F)">
          Leave focus
        </button>
      )}
      <div className="app-body">
        <Sidebar
          documents={docs}
          activeId={current?.id ?? null}
          onNew={() => void newDocument()}
          onOpen={(id) => void openDocument(id)}
          onDelete={(id) => void deleteDocument(id)}
        />
        <main className="main">
          <header className="toolbar" role="toolbar" aria-label="Document actions">
            <span className={`save-state save-${saveState.kind}`} role="status" aria-live="polite" aria-label="Save state" data-testid="save-state" title={saveStateLabel(saveState)}>
              {saveStateLabel(saveState)}
            </span>
            <span className="toolbar-spacer" />
            <button type="button" className="btn btn-primary" onClick={startContinue} disabled={current === null || busy} title="Continue writing (Ctrl+Enter)">
              Continue
            </button>
            <button type="button" className="btn btn-quiet" onClick={saveNow} disabled={current === null} title="Save (Ctrl+S)">
              Save
            </button>
            <button type="button" className="btn btn-quiet" onClick={() => void cycleTheme()} aria-label={`Theme: ${THEME_LABEL[theme]}`} title="Switch theme">
              Theme: {THEME_LABEL[theme]}
            </button>
            <span className="toolbar-divider" aria-hidden="true" />
            {panel === null &&
              (['outline', 'ideas', 'memory', 'settings'] as const).map((name) => (
                <button key={name} type="button" className="btn btn-quiet" onClick={() => setPanel(name)} title="Opens the side panel (Ctrl+.)">
                  {name === 'outline' ? 'Outline' : name === 'ideas' ? 'Ideas' : name === 'memory' ? 'Memory' : 'Settings'}
                </button>
              ))}
            <button type="button" className="btn btn-quiet" aria-pressed={focusMode} onClick={() => setFocusMode((f) => !f)} title="Focus mode (Ctrl+Shift+F)">
              Focus
            </button>
            <button type="button" className="btn btn-quiet btn-icon" onClick={() => setShowShortcuts(true)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (Ctrl+/)">
              ?
            </button>
          </header>
          {error !== null && (
            <div className="notice notice-error" role="alert">
              {error}
              <button type="button" className="btn btn-quiet" onClick={() => setError(null)}>Dismiss</button>
            </div>
          )}
          {docSettings.error !== null && (
            <div className="notice notice-error" role="alert">
              {docSettings.error}
            </div>
          )}
          {recovered && (
            <div className="notice" role="status">
              Recovered unsaved changes from your last session.
              <button type="button" className="btn btn-quiet" onClick={() => setRecovered(false)}>Dismiss</button>
            </div>
          )}
          <div className="page">
            {current !== null ? (
              <Editor
                key={current.id}
                initialMarkdown={current.content}
                onContentChange={onContentChange}
                editorRef={editorRef}
                ghost={{ enabled: settings?.ghostText ?? true, delayMs: settings?.suggestDelayMs ?? 300, request: ghostRequest }}
              />
            ) : (
              <p className="loading">Loading…</p>
            )}
            <ContinuePanel state={continuation.state} onInsert={continuation.insert} onDiscard={continuation.discard} onStop={continuation.stop} />
          </div>
          <StatusBar words={words} info={info} />
        </main>
        {panel !== null && settings !== null && !focusMode && (
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
            onModelChanged={refreshInfo}
          />
        )}
      </div>
    </div>
    </LocaleProvider>
  );
}
