/**
 * "Model for this document" in the Generation tab: binds the open document to
 * an installed model (stored in its settings as modelId), or to whichever
 * model is active (null). A binding to a deleted model stays listed, marked,
 * so the writer sees why the document now writes with the active model.
 */
import { useEffect, useState } from 'react';
import type { ModelInfo } from '../../common/contract';
import { api } from '../api';
import { useMessages } from '../i18n';
import { modelsMessages } from '../i18n/messages/models';

export interface DocumentModelPickerProps {
  modelId: string | null | undefined;
  onChange: (modelId: string | null) => void;
}

export function DocumentModelPicker({ modelId, onChange }: DocumentModelPickerProps) {
  const t = useMessages(modelsMessages);
  const [models, setModels] = useState<ModelInfo[]>([]);
  // Read again when the binding changes (another document) and when the list is opened: models come and go in the Models tab.
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let cancelled = false;
    void api.call('models.list', {}).then((r) => {
      if (!cancelled && r.ok) setModels(r.value);
    });
    return () => {
      cancelled = true;
    };
  }, [modelId, generation]);
  const active = models.find((m) => m.active);
  const bound = modelId ?? '';
  const missing = bound !== '' && models.length > 0 && !models.some((m) => m.id === bound);
  return (
    <div className="field">
      <label htmlFor="doc-model" className="field-head">{t('docModel')}</label>
      <select id="doc-model" value={bound} onFocus={() => setGeneration((g) => g + 1)} onChange={(e) => onChange(e.target.value === '' ? null : e.target.value)} aria-describedby="doc-model-hint">
        <option value="">{active ? t('docModelActive', { name: active.name }) : t('docModelActiveNone')}</option>
        {models.map((m) => (
          <option key={m.id} value={m.id}>{m.name}</option>
        ))}
        {missing && <option value={bound}>{t('docModelMissing', { id: bound })}</option>}
      </select>
      <p className="knob-hint" id="doc-model-hint">{t('docModelHint')}</p>
    </div>
  );
}
