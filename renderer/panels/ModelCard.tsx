/**
 * One installed model in the Models tab: name, origin, parameters, size,
 * validation perplexity and the Active badge, with Use, Rename and Delete.
 * Delete asks first, in place (the built-in model has no Delete).
 */
import { useState } from 'react';
import type { ModelInfo } from '../../common/contract';
import { localized, useMessages, type KeysOf, type Translate } from '../i18n';
import { modelsMessages } from '../i18n/messages/models';
import { formatBytes } from '../model-downloads';

type T = Translate<KeysOf<typeof modelsMessages>>;
const text = localized(modelsMessages);

const ORIGIN = { builtin: 'originBuiltin', downloaded: 'originDownloaded', imported: 'originImported', finetuned: 'originFinetuned' } as const;

/** "124 M parameters"; `t` defaults to the active locale (the downloads list calls it outside a hook too). */
export function formatParams(n: number, t: T = text()): string {
  if (n >= 1e9) return t('paramsB', { n: (n / 1e9).toFixed(1) });
  if (n >= 1e6) return t('paramsM', { n: Math.round(n / 1e6) });
  if (n >= 1e3) return t('paramsK', { n: Math.round(n / 1e3) });
  return t('params', { n });
}

/** "Fine-tuned · from gpt2 · 300 steps". */
export function describeOrigin(origin: ModelInfo['origin'], t: T = text()): string {
  let s = t(ORIGIN[origin.kind]);
  if (origin.from) s = t('originFrom', { origin: s, from: origin.from });
  if (origin.steps) s = t('originSteps', { origin: s, steps: origin.steps });
  return s;
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
  const t = useMessages(modelsMessages);
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const save = async () => {
    if (editing === null || editing.trim() === '') return;
    if (await onRename(editing.trim())) setEditing(null);
  };
  const origin = describeOrigin(m.origin, t);
  const shape = t('shape', { layers: m.architecture.layers, width: m.architecture.width, context: m.architecture.context });

  return (
    <li className={`card model ${m.active ? 'pinned' : ''}`} aria-label={m.name}>
      <div className="part-head">
        {editing === null ? <h3>{m.name}</h3> : (
          <label className="field" style={{ flex: 1 }}>
            <span>{t('newName')}</span>
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
        {m.active ? <span className="badge">{t('active')}</span> : (
          <button type="button" className="btn" aria-label={t('useLabel', { name: m.name })} disabled={busy} onClick={onUse}>
            {switching ? t('loading') : t('use')}
          </button>
        )}
      </div>
      <p className="knob-hint">{origin} · {formatParams(m.architecture.parameters, t)} · {formatBytes(m.sizeBytes)}</p>
      <p className="knob-hint">
        {m.validationPerplexity !== null ? t('perplexity', { shape, ppl: m.validationPerplexity.toFixed(1) }) : shape}
      </p>
      {m.origin.files && m.origin.files.length > 0 && <p className="knob-hint">{t('trainedOn', { files: m.origin.files.join(', ') })}</p>}
      {confirming ? (
        <div role="alertdialog" aria-label={t('deleteAsk', { name: m.name })} className="panel-note" style={{ marginTop: 8 }}>
          <p style={{ margin: 0 }}>{t('deleteExplain', { name: m.name })}</p>
          <div className="card-actions">
            <button type="button" className="btn" autoFocus onClick={() => setConfirming(false)}>{t('cancel')}</button>
            <button type="button" className="btn btn-danger" onClick={() => {
              setConfirming(false);
              onDelete();
            }}>{t('delete')}</button>
          </div>
        </div>
      ) : (
        <div className="card-actions">
          {editing === null ? (
            <button type="button" className="btn btn-quiet" aria-label={t('renameLabel', { name: m.name })} disabled={busy} onClick={() => setEditing(m.name)}>{t('rename')}</button>
          ) : (
            <>
              <button type="button" className="btn btn-quiet" onClick={() => setEditing(null)}>{t('cancel')}</button>
              <button type="button" className="btn" onClick={() => void save()}>{t('save')}</button>
            </>
          )}
          {m.origin.kind !== 'builtin' && (
            <button type="button" className="btn btn-quiet" aria-label={t('deleteLabel', { name: m.name })} disabled={busy} onClick={() => setConfirming(true)}>{t('delete')}</button>
          )}
        </div>
      )}
    </li>
  );
}
