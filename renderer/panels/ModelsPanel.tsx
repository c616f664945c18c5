/**
 * The Models tab, over the model service (models.* channels): the engine in
 * use, the installed models (Use switches the engine at once: models.setActive
 * answers when the new model is loaded), the download catalogue with progress
 * bars, import from a folder or archive path, and Compare (two models on
 * one prompt, side by side: ComparePanel.tsx).
 */
import { useCallback, useEffect, useState } from 'react';
import type { AppInfo, ModelInfo } from '../../common/contract';
import { api } from '../api';
import { useMessages } from '../i18n';
import { modelsMessages } from '../i18n/messages/models';
import { ComparePanel } from './ComparePanel';
import { ModelCard } from './ModelCard';
import { ModelDownloads } from './ModelDownloads';
import { describeEngine } from './StatusBar';

export { formatParams } from './ModelCard';
export { formatBytes } from '../model-downloads';

export interface ModelsPanelProps {
  info: AppInfo | null;
  /**
   * Called after the engine switched models or the library changed (import, download,
   * delete), so the app can refresh app.info and the open document's model binding.
   */
  onModelChanged?: () => void;
}

function ImportForm({ onImported }: { onImported: (m: ModelInfo) => void }) {
  const t = useMessages(modelsMessages);
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    const r = await api.call('models.import', { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
    setBusy(false);
    // The service's validation message names the file and tensor at fault: show it as it is.
    if (!r.ok) return setError(r.error.message);
    setPath('');
    setName('');
    onImported(r.value);
  };
  return (
    <section aria-label={t('importSection')} style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <h3>{t('importTitle')}</h3>
      <p className="knob-hint">{t('importHint')}</p>
      <form
        style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span>{t('importPath')}</span>
          <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/models/gpt2-poetry" spellCheck={false} />
        </label>
        <label className="field">
          <span>{t('importName')}</span>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="panel-actions">
          <button type="submit" className="btn" disabled={busy || path.trim() === ''}>{busy ? t('importing') : t('import')}</button>
        </div>
      </form>
      {error !== null && <p className="panel-error" role="alert">{error}</p>}
    </section>
  );
}

export function ModelsPanel({ info: appInfo, onModelChanged }: ModelsPanelProps) {
  const t = useMessages(modelsMessages);
  const [comparing, setComparing] = useState(false);
  const [models, setModels] = useState<ModelInfo[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [switching, setSwitching] = useState<string | null>(null);
  // Our own copy of app.info after a switch, so this tab's engine card is right even before the app refreshes.
  const [freshInfo, setFreshInfo] = useState<AppInfo | null>(null);
  const info = freshInfo ?? appInfo;

  const load = useCallback(async () => {
    const r = await api.call('models.list', {});
    if (r.ok) setModels(r.value);
    else setError(t('listFailed', { message: r.error.message }));
  }, [t]);
  useEffect(() => void load(), [load]);
  useEffect(() => setFreshInfo(null), [appInfo]);

  const say = (note: string | null, problem: string | null = null) => {
    setMessage(note);
    setError(problem);
  };

  const activate = async (m: ModelInfo) => {
    setSwitching(m.id);
    say(t('switchingTo', { name: m.name }));
    const r = await api.call('models.setActive', { id: m.id });
    setSwitching(null);
    if (r.ok) say(t('nowActive', { name: m.name }));
    else say(null, t('switchFailed', { name: m.name, message: r.error.message }));
    await load();
    const i = await api.call('app.info', {});
    if (i.ok) setFreshInfo(i.value);
    onModelChanged?.();
  };

  const rename = async (m: ModelInfo, name: string): Promise<boolean> => {
    const r = await api.call('models.rename', { id: m.id, name });
    if (!r.ok) {
      say(null, t('renameFailed', { name: m.name, message: r.error.message }));
      return false;
    }
    await load();
    return true;
  };

  const remove = async (m: ModelInfo) => {
    const r = await api.call('models.delete', { id: m.id });
    if (!r.ok) return say(null, t('deleteFailed', { name: m.name, message: r.error.message }));
    say(t('deleted', { name: m.name }));
    await load();
    if (m.active) {
      const i = await api.call('app.info', {});
      if (i.ok) setFreshInfo(i.value);
    }
    // A document bound to this model falls back to the active one: the app re-reads the library.
    onModelChanged?.();
  };

  const added = useCallback((m: ModelInfo, how: 'addedDownloaded' | 'addedImported') => {
    say(t(how, { name: m.name }));
    void load();
    onModelChanged?.();
  }, [load, t, onModelChanged]);
  const downloaded = useCallback((m: ModelInfo) => added(m, 'addedDownloaded'), [added]);

  const engine = describeEngine(info);
  return (
    <section className="panel" aria-label={t('panel')}>
      <div className="engine-card">
        <h3>{t('engine')}</h3>
        <p>{engine.backend}</p>
        {info?.backend?.skipped.map((s) => <p key={s.name} className="knob-hint">{t('notUsed', { name: s.name, reason: s.reason })}</p>)}
        <p className="knob-hint" data-testid="models-engine-model">{engine.model}</p>
      </div>
      {message !== null && <p className="panel-note" role="status">{message}</p>}
      {error !== null && <p className="panel-error" role="alert">{error}</p>}
      <div className="part-head">
        <h3>{t('installed')}</h3>
        <button type="button" className="btn" aria-label={t('compareOpenLabel')} aria-expanded={comparing} onClick={() => setComparing((c) => !c)} disabled={models === null}>
          {t('compareOpen')}
        </button>
      </div>
      {comparing && models !== null && (models.length >= 2 ? <ComparePanel models={models} onClose={() => setComparing(false)} /> : <p className="panel-note" role="status">{t('compareNeedTwo')}</p>)}
      {models === null ? <p className="panel-progress">{t('loading')}</p> : models.length === 0 ? <p className="part-empty">{t('none')}</p> : (
        <ul className="cards" aria-label={t('installedList')}>
          {models.map((m) => (
            <ModelCard
              key={m.id}
              model={m}
              switching={switching === m.id}
              busy={switching !== null}
              onUse={() => void activate(m)}
              onRename={(name) => rename(m, name)}
              onDelete={() => void remove(m)}
            />
          ))}
        </ul>
      )}
      <ModelDownloads onInstalled={downloaded} />
      <ImportForm onImported={(m) => added(m, 'addedImported')} />
    </section>
  );
}
