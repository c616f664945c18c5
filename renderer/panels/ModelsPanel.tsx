/**
 * The installed models (built-in, downloaded, imported, fine-tuned) with size,
 * parameters and origin; set the active one; the engine backend in use.
 */
import { useCallback, useEffect, useState } from 'react';
import type { AppInfo, ModelInfo } from '../../common/contract';
import { api } from '../api';
import { describeEngine } from './StatusBar';

const ORIGIN: Record<ModelInfo['origin']['kind'], string> = { builtin: 'Built in', downloaded: 'Downloaded', imported: 'Imported', finetuned: 'Fine-tuned' };

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} B parameters`;
  if (n >= 1e6) return `${Math.round(n / 1e6)} M parameters`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} K parameters`;
  return `${n} parameters`;
}

export function ModelsPanel({ info }: { info: AppInfo | null }) {
  const [models, setModels] = useState<ModelInfo[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const load = useCallback(async () => {
    const r = await api.call('models.list', {});
    if (r.ok) setModels(r.value);
    else setMessage(`Could not list the models: ${r.error.message}`);
  }, []);
  useEffect(() => void load(), [load]);

  const activate = async (m: ModelInfo) => {
    const r = await api.call('models.setActive', { id: m.id });
    if (!r.ok) return setMessage(`Could not switch to ${m.name}: ${r.error.message}`);
    setMessage(`${m.name} is now the active model. It is loaded the next time Inkwell starts.`);
    await load();
  };

  const engine = describeEngine(info);
  return (
    <section className="panel" aria-label="Models">
      <div className="engine-card">
        <h3>Engine</h3>
        <p>{engine.backend}</p>
        {info?.backend?.skipped.map((s) => <p key={s.name} className="knob-hint">{s.name} not used: {s.reason}</p>)}
        <p className="knob-hint">{engine.model}</p>
      </div>
      {message !== null && <p className="panel-note" role="status">{message}</p>}
      {models === null ? <p className="panel-progress">Loading…</p> : models.length === 0 ? <p className="part-empty">No models are installed.</p> : (
        <ul className="cards" aria-label="Installed models">
          {models.map((m) => (
            <li key={m.id} className={`card model ${m.active ? 'pinned' : ''}`}>
              <div className="part-head">
                <h3>{m.name}</h3>
                {m.active ? <span className="badge">Active</span> : <button type="button" className="btn" onClick={() => void activate(m)}>Use</button>}
              </div>
              <p className="knob-hint">
                {ORIGIN[m.origin.kind]}{m.origin.from ? ` · from ${m.origin.from}` : ''} · {formatParams(m.architecture.parameters)} · {formatBytes(m.sizeBytes)}
              </p>
              <p className="knob-hint">
                {m.architecture.layers} layers, {m.architecture.width} wide, {m.architecture.context}-token context
                {m.validationPerplexity !== null ? ` · perplexity ${m.validationPerplexity.toFixed(1)}` : ''}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
