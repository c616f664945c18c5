/**
 * One installed model in the Models tab: name, origin, parameters, size,
 * validation perplexity and the Active badge, with Use, Rename and Delete.
 * Delete asks first, in place (the built-in model has no Delete).
 */
import { useState } from 'react';
import type { ModelInfo } from '../../common/contract';
import { formatBytes } from '../model-downloads';

const ORIGIN: Record<ModelInfo['origin']['kind'], string> = { builtin: 'Built in', downloaded: 'Downloaded', imported: 'Imported', finetuned: 'Fine-tuned' };

export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} B parameters`;
  if (n >= 1e6) return `${Math.round(n / 1e6)} M parameters`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} K parameters`;
  return `${n} parameters`;
}

export interface ModelCardProps {
  model: ModelInfo;
  /** True while this model is being loaded by the engine. */
  switching: boolean;
  busy: boolean;
  onUse: () => void;
  onRename: (name: string) => Promise<boolean>;
  onDelete: () => void;
}

export function ModelCard({ model: m, switching, busy, onUse, onRename, onDelete }: ModelCardProps) {
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const save = async () => {
    if (editing === null || editing.trim() === '') return;
    if (await onRename(editing.trim())) setEditing(null);
  };
  const origin = `${ORIGIN[m.origin.kind]}${m.origin.from ? ` · from ${m.origin.from}` : ''}${m.origin.steps ? ` · ${m.origin.steps} steps` : ''}`;

  return (
    <li className={`card model ${m.active ? 'pinned' : ''}`} aria-label={m.name}>
      <div className="part-head">
        {editing === null ? <h3>{m.name}</h3> : (
          <label className="field" style={{ flex: 1 }}>
            <span>New name</span>
            <input
              value={editing}
              autoFocus
              onChange={(e) => setEditing(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') void save();
                if (e.key === 'Escape') setEditing(null);
              }}
            />
          </label>
        )}
        {m.active ? <span className="badge">Active</span> : (
          <button type="button" className="btn" aria-label={`Use ${m.name}`} disabled={busy} onClick={onUse}>
            {switching ? 'Loading…' : 'Use'}
          </button>
        )}
      </div>
      <p className="knob-hint">{origin} · {formatParams(m.architecture.parameters)} · {formatBytes(m.sizeBytes)}</p>
      <p className="knob-hint">
        {m.architecture.layers} layers, {m.architecture.width} wide, {m.architecture.context}-token context
        {m.validationPerplexity !== null ? ` · validation perplexity ${m.validationPerplexity.toFixed(1)}` : ''}
      </p>
      {m.origin.files && m.origin.files.length > 0 && <p className="knob-hint">Trained on {m.origin.files.join(', ')}</p>}
      {confirming ? (
        <div role="alertdialog" aria-label={`Delete ${m.name}?`} className="panel-note" style={{ marginTop: 8 }}>
          <p style={{ margin: 0 }}>Delete {m.name}? Its folder is moved to the trash folder in Inkwell&apos;s data folder.</p>
          <div className="card-actions">
            <button type="button" className="btn" autoFocus onClick={() => setConfirming(false)}>Cancel</button>
            <button type="button" className="btn btn-danger" onClick={() => {
              setConfirming(false);
              onDelete();
            }}>Delete</button>
          </div>
        </div>
      ) : (
        <div className="card-actions">
          {editing === null ? (
            <button type="button" className="btn btn-quiet" aria-label={`Rename ${m.name}`} disabled={busy} onClick={() => setEditing(m.name)}>Rename</button>
          ) : (
            <>
              <button type="button" className="btn btn-quiet" onClick={() => setEditing(null)}>Cancel</button>
              <button type="button" className="btn" onClick={() => void save()}>Save</button>
            </>
          )}
          {m.origin.kind !== 'builtin' && (
            <button type="button" className="btn btn-quiet" aria-label={`Delete ${m.name}`} disabled={busy} onClick={() => setConfirming(true)}>Delete</button>
          )}
        </div>
      )}
    </li>
  );
}
