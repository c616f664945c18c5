/**
 * The Models tab, over the model service (models.* channels): the engine in
 * use, the installed models (Use switches the engine at once: models.setActive
 * answers when the new model is loaded), the download catalogue with progress
 * bars, and import from a folder or archive path.
 */
import { useCallback, useEffect, useState } from 'react';
import type { AppInfo, ModelInfo } from '../../common/contract';
import { api } from '../api';
import { ModelCard } from './ModelCard';
import { ModelDownloads } from './ModelDownloads';
import { describeEngine } from './StatusBar';

export { formatParams } from './ModelCard';
export { formatBytes } from '../model-downloads';

export interface ModelsPanelProps {
  info: AppInfo | null;
  /** Called after the engine switched models, so the app can refresh app.info (the status bar). */
  onModelChanged?: () => void;
}

function ImportForm({ onImported }: { onImported: (m: ModelInfo) => void }) {
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
    <section aria-label="Import a model" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <h3>Import</h3>
      <p className="knob-hint">A Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json, merges.txt), or a .zip or .tar of one. It is checked before it is copied in.</p>
      <form
        style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span>Folder or archive path</span>
          <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/models/gpt2-poetry" spellCheck={false} />
        </label>
        <label className="field">
          <span>Name (optional)</span>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="panel-actions">
          <button type="submit" className="btn" disabled={busy || path.trim() === ''}>{busy ? 'Importing…' : 'Import'}</button>
        </div>
      </form>
      {error !== null && <p className="panel-error" role="alert">{error}</p>}
    </section>
  );
}

export function ModelsPanel({ info: appInfo, onModelChanged }: ModelsPanelProps) {
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
    else setError(`Could not list the models: ${r.error.message}`);
  }, []);
  useEffect(() => void load(), [load]);
  useEffect(() => setFreshInfo(null), [appInfo]);

  const say = (note: string | null, problem: string | null = null) => {
    setMessage(note);
    setError(problem);
  };

  const activate = async (m: ModelInfo) => {
    setSwitching(m.id);
    say(`Loading ${m.name}…`);
    const r = await api.call('models.setActive', { id: m.id });
    setSwitching(null);
    if (r.ok) say(`${m.name} is now the active model; the next suggestion uses it.`);
    else say(null, `Could not switch to ${m.name}: ${r.error.message}`);
    await load();
    const i = await api.call('app.info', {});
    if (i.ok) setFreshInfo(i.value);
    onModelChanged?.();
  };

  const rename = async (m: ModelInfo, name: string): Promise<boolean> => {
    const r = await api.call('models.rename', { id: m.id, name });
    if (!r.ok) {
      say(null, `Could not rename ${m.name}: ${r.error.message}`);
      return false;
    }
    await load();
    return true;
  };

  const remove = async (m: ModelInfo) => {
    const r = await api.call('models.delete', { id: m.id });
    if (!r.ok) return say(null, `Could not delete ${m.name}: ${r.error.message}`);
    say(`${m.name} was deleted.`);
    await load();
    if (m.active) {
      const i = await api.call('app.info', {});
      if (i.ok) setFreshInfo(i.value);
      onModelChanged?.();
    }
  };

  const added = useCallback((m: ModelInfo, how: string) => {
    say(`${m.name} was ${how}. Choose Use to write with it.`);
    void load();
  }, [load]);
  const downloaded = useCallback((m: ModelInfo) => added(m, 'downloaded and checked'), [added]);

  const engine = describeEngine(info);
  return (
    <section className="panel" aria-label="Models">
      <div className="engine-card">
        <h3>Engine</h3>
        <p>{engine.backend}</p>
        {info?.backend?.skipped.map((s) => <p key={s.name} className="knob-hint">{s.name} not used: {s.reason}</p>)}
        <p className="knob-hint" data-testid="models-engine-model">{engine.model}</p>
      </div>
      {message !== null && <p className="panel-note" role="status">{message}</p>}
      {error !== null && <p className="panel-error" role="alert">{error}</p>}
      <h3>Installed</h3>
      {models === null ? <p className="panel-progress">Loading…</p> : models.length === 0 ? <p className="part-empty">No models are installed.</p> : (
        <ul className="cards" aria-label="Installed models">
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
      <ImportForm onImported={(m) => added(m, 'imported')} />
    </section>
  );
}
