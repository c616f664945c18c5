/**
 * Generation settings: a creativity preset, the knobs behind it with a line
 * of explanation each, for this document (stored beside it) and as the
 * defaults for every document; plus the ghost-text switch and its delay, and
 * the model this document writes with (DocumentModelPicker).
 */
import type { DocumentSettings, Settings } from '../../common/contract';
import { DocumentModelPicker } from './DocumentModelPicker';
import { effectiveOptions, KNOB_HINTS, PRESETS, presetOf, type PresetName } from '../generation';

type Options = Settings['generation'];

interface Knob {
  key: keyof typeof KNOB_HINTS;
  label: string;
  min: number;
  max: number;
  step: number;
}
const KNOBS: Knob[] = [
  { key: 'temperature', label: 'Temperature', min: 0.1, max: 2, step: 0.05 },
  { key: 'topK', label: 'Top-k', min: 0, max: 200, step: 1 },
  { key: 'topP', label: 'Top-p', min: 0.05, max: 1, step: 0.01 },
  { key: 'repetitionPenalty', label: 'Repetition penalty', min: 1, max: 2, step: 0.01 },
  { key: 'maxTokens', label: 'Length', min: 4, max: 256, step: 1 },
  { key: 'n', label: 'Alternatives', min: 1, max: 4, step: 1 },
];

export interface GenerationPanelProps {
  app: Settings;
  doc: DocumentSettings;
  onDocChange: (change: Partial<DocumentSettings>) => void;
  onAppChange: (change: Partial<Settings>) => void;
}

export function GenerationPanel({ app, doc, onDocChange, onAppChange }: GenerationPanelProps) {
  const options = effectiveOptions(app.generation, doc);
  const preset = doc.preset ?? presetOf(options);
  const choose = (name: PresetName) => onDocChange({ preset: name, generation: {} });
  const setKnob = (key: keyof Options, value: number) => {
    // Moving a knob makes the preset custom: the knobs now in force, with this one changed, become the document's own.
    onDocChange({ preset: 'custom', generation: { ...options, [key]: value } });
  };

  return (
    <section className="panel" aria-label="Generation settings">
      <DocumentModelPicker modelId={doc.modelId} onChange={(modelId) => onDocChange({ modelId })} />
      <fieldset className="field presets">
        <legend>Creativity</legend>
        {(Object.keys(PRESETS) as PresetName[]).map((name) => (
          <label key={name} className={`preset ${preset === name ? 'on' : ''}`}>
            <input type="radio" name="preset" checked={preset === name} onChange={() => choose(name)} />
            <span className="preset-name">{PRESETS[name].label}</span>
            <span className="preset-hint">{PRESETS[name].hint}</span>
          </label>
        ))}
        {preset === 'custom' && <p className="panel-note">Custom settings for this document.</p>}
      </fieldset>
      {KNOBS.map((k) => {
        const value = options[k.key] ?? 0;
        const id = `knob-${k.key}`;
        return (
          <div className="knob" key={k.key}>
            <label htmlFor={id} className="field-head">{k.label} <output htmlFor={id}>{value}</output></label>
            <input id={id} type="range" min={k.min} max={k.max} step={k.step} value={value} onChange={(e) => setKnob(k.key, Number(e.target.value))} />
            <p className="knob-hint">{KNOB_HINTS[k.key]}</p>
          </div>
        );
      })}
      <div className="panel-actions">
        <button type="button" className="btn btn-quiet" onClick={() => onDocChange({ preset: null, generation: {} })}>Use the defaults</button>
        <button type="button" className="btn" onClick={() => onAppChange({ generation: options })}>Make these the defaults</button>
      </div>
      <h3 className="panel-sub">Suggestions while you type</h3>
      <label className="check">
        <input type="checkbox" checked={app.ghostText} onChange={(e) => onAppChange({ ghostText: e.target.checked })} /> Show ghost text
      </label>
      <div className="knob">
        <label htmlFor="knob-delay" className="field-head">Pause before a suggestion <output htmlFor="knob-delay">{app.suggestDelayMs} ms</output></label>
        <input id="knob-delay" type="range" min={100} max={2000} step={50} value={app.suggestDelayMs} onChange={(e) => onAppChange({ suggestDelayMs: Number(e.target.value) })} />
      </div>
    </section>
  );
}
