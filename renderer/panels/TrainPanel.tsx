/**
 * Train: teach a model the writer's voice from their own manuscripts.
 *
 * Files are given as full paths (typed, pasted, or dropped from a file
 * manager, which puts file:// URIs on the drop): in browser mode a page can
 * never learn where a dropped file lives, and Electron's native file dialog
 * is not wired yet. "Check files" shows the dataset report; Start streams the
 * run (training.start) into a live loss chart, a progress bar, tokens/s, ETA
 * and the latest sample; Pause / Resume / Cancel act between steps. The new
 * model is registered by the main process; "Use this model" makes it active.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { DatasetReport, ModelInfo, StreamHandle, TrainPresetName } from '../../common/contract';
import { api } from '../api';
import { chartSeries, defaultBase, failRun, formatDuration, IDLE, parsePaths, pathsFromUriList, PREPARING, progressOf, reduceRun, type RunState } from '../train-state';
import { LossChart } from './LossChart';
import './train-panel.css';

const PRESETS: { value: TrainPresetName; label: string; note: string }[] = [
  { value: 'quick', label: 'Quick voice', note: 'Trains the last two layers: picks up your tone and vocabulary in minutes to an hour.' },
  { value: 'thorough', label: 'Thorough', note: 'Trains every layer, more passes over your text: slower, learns more of your style.' },
];

export interface TrainPanelProps {
  /** Called after "Use this model" made the new model active (so the status bar can refresh). */
  onModelChanged?: () => void;
}

export function TrainPanel({ onModelChanged }: TrainPanelProps) {
  const [pathsText, setPathsText] = useState('');
  const [preset, setPreset] = useState<TrainPresetName>('quick');
  const [models, setModels] = useState<ModelInfo[]>([]);
  const [base, setBase] = useState<string | null>(null);
  const [report, setReport] = useState<DatasetReport | null>(null);
  const [checking, setChecking] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [run, setRun] = useState<RunState>(IDLE);
  const [activated, setActivated] = useState<string | null>(null);
  const handle = useRef<StreamHandle<'training.start'> | null>(null);

  const { paths, invalid } = useMemo(() => parsePaths(pathsText), [pathsText]);
  const busy = run.phase === 'preparing' || run.phase === 'training' || run.phase === 'paused';
  const series = useMemo(() => chartSeries(run), [run]);

  const loadModels = async () => {
    const r = await api.call('models.list', {});
    if (!r.ok) return setNote(`Could not list the models: ${r.error.message}`);
    setModels(r.value);
    setBase((b) => (b !== null && r.value.some((m) => m.id === b) ? b : defaultBase(r.value)));
  };
  useEffect(() => {
    void loadModels();
  }, []);

  const check = async () => {
    setChecking(true);
    setNote(null);
    const r = await api.call('training.inspect', { files: paths, preset, ...(base ? { baseModelId: base } : {}) });
    setChecking(false);
    if (r.ok) setReport(r.value);
    else {
      setReport(null);
      setNote(r.error.message);
    }
  };

  const start = () => {
    if (base === null) return;
    setRun(PREPARING);
    setActivated(null);
    setNote(null);
    const h = api.stream('training.start', { files: paths, baseModelId: base, preset }, (e) => setRun((s) => reduceRun(s, e)));
    handle.current = h;
    void h.done.then((r) => {
      handle.current = null;
      if (!r.ok) setRun((s) => failRun(s, r.error.message));
      else void loadModels();
    });
  };

  const control = async (what: 'pause' | 'resume' | 'cancel') => {
    if (run.runId === null) return handle.current?.cancel();
    const r = await api.call(`training.${what}`, { runId: run.runId });
    if (!r.ok) setNote(r.error.message);
  };

  const useModel = async (id: string) => {
    const r = await api.call('models.setActive', { id });
    if (!r.ok) return setNote(r.error.message);
    setActivated(id);
    onModelChanged?.();
    void loadModels();
  };

  const onDrop = (e: React.DragEvent) => {
    // Stop the window's drop guard from refusing the drop; a page only sees file:// URIs, never a File's path.
    e.preventDefault();
    e.stopPropagation();
    const dropped = pathsFromUriList(e.dataTransfer.getData('text/uri-list'));
    if (dropped.length > 0) setPathsText((t) => [t.trim(), ...dropped].filter((x) => x !== '').join('\n'));
    else setNote('That drop carried no file locations. Paste the files’ full paths instead (one per line).');
  };

  // While a run is on (and when it has ended well), its progress is the screen; the form folds into one line.
  const setup = run.phase === 'idle' || run.phase === 'failed';
  const pct = Math.round(progressOf(run) * 100);
  const done = run.done;
  return (
    <section className="panel train" aria-label="Train">
      <p className="panel-intro">Teach a model your voice from your own manuscripts. Everything stays on this machine.</p>
      {!setup && (
        <p className="train-summary">
          {models.find((m) => m.id === base)?.name ?? 'Model'} · {PRESETS.find((p) => p.value === preset)?.label} · {paths.length} file{paths.length === 1 ? '' : 's'}
        </p>
      )}
      {setup && (<>
      <label className="field">
        <span>Manuscript files (.txt, .md, .docx): full paths, one per line</span>
        <textarea
          value={pathsText}
          onChange={(e) => {
            setPathsText(e.target.value);
            setReport(null);
          }}
          onDragOver={(e) => {
            e.preventDefault();
            e.stopPropagation();
            e.dataTransfer.dropEffect = 'copy';
          }}
          onDrop={onDrop}
          rows={3}
          placeholder={'/home/you/novel/chapter-1.md\n/home/you/novel/chapter-2.md'}
          disabled={busy}
          spellCheck={false}
        />
      </label>
      {invalid.length > 0 && <p className="panel-error">Not a full path: {invalid.slice(0, 3).join(', ')}{invalid.length > 3 ? '…' : ''}</p>}
      <div className="field-row">
        <label className="field">
          <span>Base model</span>
          <select value={base ?? ''} onChange={(e) => (setBase(e.target.value), setReport(null))} disabled={busy}>
            {models.map((m) => (
              <option key={m.id} value={m.id}>{m.name}{m.active ? ' (active)' : ''}</option>
            ))}
          </select>
        </label>
      </div>
      <fieldset className="field segmented">
        <legend>Preset</legend>
        {PRESETS.map((p) => (
          <label key={p.value} className={preset === p.value ? 'on' : ''} title={p.note}>
            <input type="radio" name="train-preset" value={p.value} checked={preset === p.value} onChange={() => (setPreset(p.value), setReport(null))} disabled={busy} />
            {p.label}
          </label>
        ))}
      </fieldset>
      <p className="panel-progress">{PRESETS.find((p) => p.value === preset)?.note}</p>
      <div className="panel-actions">
        <button type="button" className="btn" onClick={() => void check()} disabled={busy || checking || paths.length === 0}>{checking ? 'Checking…' : 'Check files'}</button>
        <button type="button" className="btn btn-primary" onClick={start} disabled={busy || paths.length === 0 || base === null}>Start training</button>
      </div>
      {report && (
        <dl className="train-report" aria-label="Dataset report">
          <div><dt>Documents</dt><dd>{report.documents}</dd></div>
          <div><dt>Words</dt><dd>{report.words.toLocaleString()}</dd></div>
          <div><dt>Tokens</dt><dd>{report.tokens.toLocaleString()}</dd></div>
          <div><dt>Steps</dt><dd>{report.steps}</dd></div>
          <div><dt>Estimated time</dt><dd>{formatDuration(report.estimatedSeconds * 1000)}</dd></div>
        </dl>
      )}
      {report?.warning && <p className="panel-note">{report.warning}</p>}
      </>)}
      {note && <p className="panel-error" role="alert">{note}</p>}

      {run.phase !== 'idle' && (
        <div className="train-run" aria-label="Training run">
          <div className="train-progress" role="progressbar" aria-label="Training progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={`step ${run.step} of ${run.totalSteps}`}>
            <div className="train-progress-bar" style={{ width: `${pct}%` }} />
          </div>
          <p className="train-stats" aria-live="polite">
            {run.phase === 'preparing' ? 'Reading your files…' : `Step ${run.step} of ${run.totalSteps}`}
            {run.tokensPerSec !== null && <> · {Math.round(run.tokensPerSec)} tokens/s</>}
            {busy && run.etaMs !== null && <> · {formatDuration(run.etaMs)} left</>}
            {run.phase === 'paused' && <> · paused</>}
          </p>
          <LossChart data={series} />
          {run.sample && (
            <blockquote className="train-sample" aria-label="Latest sample">
              <p>{run.sample.text.trim() || '(empty sample)'}</p>
              <footer>step {run.sample.step} · {Math.round(run.sample.copyRate * 100)}% copied from your text</footer>
            </blockquote>
          )}
          {run.warnings.map((w) => <p key={w} className="panel-note">{w}</p>)}
          {busy && (
            <div className="panel-actions">
              {run.phase === 'paused'
                ? <button type="button" className="btn" onClick={() => void control('resume')}>Resume</button>
                : <button type="button" className="btn" onClick={() => void control('pause')} disabled={run.runId === null}>Pause</button>}
              <button type="button" className="btn" onClick={() => void control('cancel')}>Cancel</button>
            </div>
          )}
          {run.phase === 'failed' && <p className="panel-error" role="alert">Training stopped: {run.error}</p>}
          {done && (
            <div className="card train-done" aria-label="Training result">
              <p className="train-done-message">{done.message}</p>
              {done.model && (
                <>
                  <p>New model: <strong>{done.model.name}</strong></p>
                  <p className="train-ppl">
                    Validation perplexity {done.perplexityBefore?.toFixed(1) ?? '—'} → <strong>{done.perplexityAfter?.toFixed(1) ?? '—'}</strong> (lower is better)
                  </p>
                  <div className="panel-actions">
                    <button type="button" className="btn btn-primary" onClick={() => void useModel(done.model!.id)} disabled={activated === done.model.id}>
                      {activated === done.model.id ? 'In use' : 'Use this model'}
                    </button>
                  </div>
                </>
              )}
            </div>
          )}
          {run.phase === 'done' && (
            <div className="panel-actions">
              <button type="button" className="btn btn-quiet" onClick={() => setRun(IDLE)}>Train another</button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
