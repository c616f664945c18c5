/**
 * Compare two models on the same prompt, side by side (the Models tab): the
 * writer picks model A and B (the active model and the newest fine-tune by
 * default), edits the prompt (the text before the caret), and both run with
 * the same settings and seed. Each column streams, can be inserted into the
 * document or regenerated; Stop or Esc cancels both. The engine runs one
 * request at a time, so column B starts streaming when A has finished.
 */
import { useCallback, useContext, useEffect, useReducer, useRef, useState } from 'react';
import type { ModelInfo, StreamHandle } from '../../common/contract';
import { api } from '../api';
import { anyRunning, compareReducer, compareRequest, initialCompare, newSeed, paragraphsOf, SIDES, type Side } from '../compare-state';
import { describeEngineError } from '../continuation';
import { DocumentBridgeContext } from '../document-bridge';
import { useMessages } from '../i18n';
import { modelsMessages } from '../i18n/messages/models';

export interface ComparePanelProps {
  models: ModelInfo[];
  onClose: () => void;
}

export function ComparePanel({ models, onClose }: ComparePanelProps) {
  const t = useMessages(modelsMessages);
  const bridge = useContext(DocumentBridgeContext);
  const [state, dispatch] = useReducer(compareReducer, models, initialCompare);
  const [prompt, setPrompt] = useState(() => bridge?.before() ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const handles = useRef<Record<Side, StreamHandle<'engine.generate'> | null>>({ a: null, b: null });
  const runs = useRef<Record<Side, number>>({ a: 0, b: 0 });
  const stateRef = useRef(state);
  stateRef.current = state;

  // The library changed (a delete, an import): keep the picks that still exist.
  useEffect(() => dispatch({ type: 'reset', models }), [models]);
  // Closing the tab or the compare view cancels what is still streaming.
  useEffect(() => () => SIDES.forEach((s) => handles.current[s]?.cancel()), []);

  const runSide = useCallback(
    (side: Side, seed: number) => {
      const modelId = stateRef.current[side].modelId;
      if (modelId === null) return;
      handles.current[side]?.cancel();
      const run = ++runs.current[side];
      dispatch({ type: 'start', side, run });
      const handle = api.stream('engine.generate', compareRequest(prompt, modelId, bridge?.options() ?? {}, seed), (event) =>
        dispatch({ type: 'event', side, run, event }),
      );
      handles.current[side] = handle;
      void handle.done.then((r) => {
        if (handles.current[side] === handle) handles.current[side] = null;
        if (r.ok || r.error.code === 'aborted') dispatch({ type: 'stopped', side, run });
        else dispatch({ type: 'failed', side, run, message: describeEngineError(r.error) });
      });
    },
    [prompt, bridge],
  );

  const runBoth = () => {
    if (prompt.trim() === '') return setProblem(t('compareEmptyPrompt'));
    setProblem(null);
    // One seed for both columns: with the same settings, only the model differs.
    const seed = newSeed();
    for (const side of SIDES) runSide(side, seed);
  };
  const stop = useCallback(() => SIDES.forEach((s) => handles.current[s]?.cancel()), []);
  const running = anyRunning(state);
  const nameOf = (id: string | null) => models.find((m) => m.id === id)?.name ?? id ?? '';

  return (
    <section
      className="compare"
      aria-label={t('compareTitle')}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && running) {
          e.preventDefault();
          e.stopPropagation();
          stop();
        }
      }}
      style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
    >
      <div className="part-head">
        <h3>{t('compareTitle')}</h3>
        <button type="button" className="btn btn-quiet btn-icon" aria-label={t('compareClose')} onClick={onClose}>×</button>
      </div>
      <p className="knob-hint">{t('compareHint')}</p>
      <div style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)', gap: 8 }}>
        {SIDES.map((side) => (
          <label key={side} className="field">
            <span>{side === 'a' ? t('modelA') : t('modelB')}</span>
            <select style={{ minWidth: 0, width: '100%' }} value={state[side].modelId ?? ''} disabled={running} onChange={(e) => dispatch({ type: 'pick', side, modelId: e.target.value })}>
              {models.map((m) => (
                <option key={m.id} value={m.id}>{m.active ? `${m.name} · ${t('active')}` : m.name}</option>
              ))}
            </select>
          </label>
        ))}
      </div>
      <label className="field">
        <span>{t('prompt')}</span>
        <textarea value={prompt} rows={4} onChange={(e) => setPrompt(e.target.value)} aria-describedby="compare-prompt-hint" />
      </label>
      <p className="knob-hint" id="compare-prompt-hint">{t('promptHint')}</p>
      <div className="panel-actions">
        {running ? (
          <button type="button" className="btn" aria-label={t('compareStopLabel')} onClick={stop}>{t('compareStop')}</button>
        ) : (
          <button type="button" className="btn btn-primary" onClick={runBoth} disabled={state.a.modelId === null || state.b.modelId === null}>{t('compareRun')}</button>
        )}
      </div>
      {problem !== null && <p className="panel-error" role="alert">{problem}</p>}
      {/* minmax(0, …): a column of one long unbroken "word" must wrap, not push its neighbour out of the panel. */}
      <div className="compare-columns" style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)', gap: 8 }}>
        {SIDES.map((side) => {
          const c = state[side];
          const name = nameOf(c.modelId);
          return (
            <section key={side} className="card compare-column" aria-label={t('columnLabel', { name })} aria-busy={c.status === 'running'} data-testid={`compare-${side}`}>
              <h4 style={{ margin: '0 0 4px' }}>{side === 'a' ? t('modelA') : t('modelB')} · {name}</h4>
              <p className="compare-text" aria-live="polite" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', minHeight: '4em' }}>
                {c.text !== '' ? c.text : c.status === 'running' ? t('columnWaiting') : t('columnEmpty')}
              </p>
              {c.answeredBy !== null && <p className="knob-hint">{t('answeredBy', { model: c.answeredBy })}</p>}
              {c.error !== null && <p className="panel-error" role="alert">{c.error}</p>}
              <div className="card-actions">
                <button
                  type="button"
                  className="btn"
                  aria-label={t('insertLabel', { name })}
                  disabled={bridge === null || c.status !== 'done' || c.text.trim() === ''}
                  onClick={() => bridge?.insert(paragraphsOf(c.text))}
                >
                  {t('insert')}
                </button>
                <button
                  type="button"
                  className="btn btn-quiet"
                  aria-label={t('regenerateLabel', { name })}
                  disabled={c.modelId === null || c.status === 'running' || prompt.trim() === ''}
                  onClick={() => runSide(side, newSeed())}
                >
                  {t('regenerate')}
                </button>
              </div>
            </section>
          );
        })}
      </div>
    </section>
  );
}
