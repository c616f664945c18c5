/**
 * Train: teach a model the writer's voice from their own manuscripts.
 *
 * Files come from TrainFiles (uploaded, picked in the native dialog, or typed
 * as paths). "Check files" shows the dataset report; Start streams the run
 * (training.start) into a live loss chart, a progress bar, tokens/s, ETA and
 * the latest sample; Pause / Resume / Cancel act between steps. A run belongs
 * to the main process, not to this page: on mount the panel asks for the run
 * in progress (training.current) and reattaches with training.watch, which
 * replays the run so far. When a run has registered its model, "Samples by
 * step" shows what each checkpoint wrote; earlier fine-tunes' samples are one
 * pick away below the form. A run that did not finish (its worker crashed, it
 * was cancelled, or the app quit) is offered as "Resume … from step N of M"
 * (training.resumeRun continues it from its last checkpoint) or Discard.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { DatasetReport, ModelInfo, ResumableRun, StreamHandle, TrainPresetName } from '../../common/contract';
import { api } from '../api';
import { useMessages } from '../i18n';
import { trainMessages } from '../i18n/messages/train';
import { formatBytes } from '../model-downloads';
import {
  chartSeries, defaultBase, elapsedSeconds, failRun, formatDuration, IDLE, parsePaths, PREPARING, progressOf, readingFractionOf, reattachedRun, reduceRun, resumeBanner,
  resumingRun, type RunState,
} from '../train-state';
import { CheckpointSamples } from './CheckpointSamples';
import { LossChart } from './LossChart';
import { TrainFiles, type ChosenFile } from './TrainFiles';
import './train-panel.css';

const PRESETS = [
  { value: 'quick', label: 'presetQuick', note: 'presetQuickNote' },
  { value: 'thorough', label: 'presetThorough', note: 'presetThoroughNote' },
] as const satisfies readonly { value: TrainPresetName; label: string; note: string }[];

export interface TrainPanelProps {
  /** Called after "Use this model" made the new model active (so the status bar can refresh). */
  onModelChanged?: () => void;
}

const baseName = (p: string) => p.split(/[/\\]/).pop() ?? p;

export function TrainPanel({ onModelChanged }: TrainPanelProps) {
  const t = useMessages(trainMessages);
  const [chosen, setChosen] = useState<ChosenFile[]>([]);
  const [pathsText, setPathsText] = useState('');
  const [preset, setPreset] = useState<TrainPresetName>('quick');
  const [models, setModels] = useState<ModelInfo[]>([]);
  const [base, setBase] = useState<string | null>(null);
  const [report, setReport] = useState<DatasetReport | null>(null);
  const [checking, setChecking] = useState(false);
  /** Seconds since "Check files" was pressed: training.inspect reads every file, most of a minute for 50 MB. */
  const [checkSeconds, setCheckSeconds] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  const [run, setRun] = useState<RunState>(IDLE);
  const [activated, setActivated] = useState<string | null>(null);
  const [reattached, setReattached] = useState(false);
  const [browse, setBrowse] = useState<string>('');
  const [resumable, setResumable] = useState<ResumableRun[]>([]);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  /** The name of a resumed run (its files are in its record, not in this form). */
  const [resumedName, setResumedName] = useState<string | null>(null);
  type Handle = StreamHandle<'training.start'> | StreamHandle<'training.watch'> | StreamHandle<'training.resumeRun'>;
  const handle = useRef<Handle | null>(null);

  const typed = useMemo(() => parsePaths(pathsText).paths, [pathsText]);
  const files = useMemo(() => {
    const all = [...chosen.map((f) => f.path), ...typed];
    return [...new Set(all)];
  }, [chosen, typed]);
  const busy = run.phase === 'preparing' || run.phase === 'training' || run.phase === 'paused';
  const series = useMemo(() => chartSeries(run), [run]);
  const fineTunes = models.filter((m) => m.origin.kind === 'finetuned');

  const loadModels = async () => {
    const r = await api.call('models.list', {});
    if (!r.ok) return setNote(t('listModelsFailed', { message: r.error.message }));
    setModels(r.value);
    setBase((b) => (b !== null && r.value.some((m) => m.id === b) ? b : defaultBase(r.value)));
  };

  /** Unfinished runs; the main process's list replaces what this page hid meanwhile. */
  const loadResumable = async () => {
    const r = await api.call('training.resumable', {});
    if (!r.ok) return;
    setResumable(r.value);
    setHidden(new Set());
  };

  /** Streams a run's events into the screen until it ends (or this page goes away: that only detaches). */
  const follow = (h: Handle) => {
    handle.current = h;
    void h.done.then((r) => {
      if (handle.current !== h) return;
      handle.current = null;
      if (r.ok) void loadModels();
      else if (r.error.code !== 'aborted') setRun((s) => failRun(s, r.error.message));
      // A cancelled or failed run may now be resumable; a resumed one that finished is not any more.
      void loadResumable();
    });
  };

  useEffect(() => {
    void loadModels();
    void loadResumable();
    // A run started before a reload (or in another window) goes on in the main process: pick it up.
    void api.call('training.current', {}).then((r) => {
      if (!r.ok || r.value === null || handle.current !== null) return;
      const current = r.value;
      setRun(reattachedRun(current.runId));
      setReattached(true);
      setPreset(current.preset);
      setBase(current.baseModelId);
      setChosen(current.files.map((path) => ({ name: baseName(path), path, staged: true })));
      follow(api.stream('training.watch', { runId: current.runId }, (e) => setRun((s) => reduceRun(s, e))));
    });
    return () => handle.current?.cancel();
  }, []);

  // training.inspect is one call with no progress events: count the seconds so the wait is visibly alive.
  useEffect(() => {
    if (!checking) return;
    const since = Date.now();
    setCheckSeconds(0);
    const timer = setInterval(() => setCheckSeconds(elapsedSeconds(since, Date.now())), 1000);
    return () => clearInterval(timer);
  }, [checking]);

  const check = async () => {
    setChecking(true);
    setNote(null);
    const r = await api.call('training.inspect', { files, preset, ...(base ? { baseModelId: base } : {}) });
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
    setReattached(false);
    setNote(null);
    setResumedName(null);
    follow(api.stream('training.start', { files, baseModelId: base, preset }, (e) => setRun((s) => reduceRun(s, e))));
  };

  const resumeRun = (offer: ResumableRun) => {
    setRun(resumingRun(offer));
    setActivated(null);
    setReattached(false);
    setNote(null);
    setConfirming(null);
    setResumedName(offer.name);
    setHidden((h) => new Set([...h, offer.runId]));
    follow(api.stream('training.resumeRun', { runId: offer.runId }, (e) => setRun((s) => reduceRun(s, e))));
  };

  const discardRun = async (runId: string) => {
    setConfirming(null);
    setHidden((h) => new Set([...h, runId]));
    const r = await api.call('training.discard', { runId });
    if (!r.ok) setNote(t('discardFailed', { message: r.error.message }));
    void loadResumable();
  };

  const control = async (what: 'pause' | 'resume' | 'cancel') => {
    // Before 'started' the page has no run id yet; the main process knows it already.
    let runId = run.runId;
    if (runId === null) {
      const current = await api.call('training.current', {});
      runId = current.ok ? (current.value?.runId ?? null) : null;
    }
    if (runId === null) return;
    const r = await api.call(`training.${what}`, { runId });
    if (!r.ok) setNote(r.error.message);
  };

  const useModel = async (id: string) => {
    const r = await api.call('models.setActive', { id });
    if (!r.ok) return setNote(r.error.message);
    setActivated(id);
    onModelChanged?.();
    void loadModels();
  };

  // An updater, not a list: an upload of several files calls onAdd once per file from one (stale) render, and a list
  // built from that render's `chosen` kept only the last file.
  const changeFiles = (next: (prev: ChosenFile[]) => ChosenFile[]) => {
    setChosen(next);
    setReport(null);
  };

  // While a run is on (and when it has ended well), its progress is the screen; the form folds into one line.
  const setup = run.phase === 'idle' || run.phase === 'failed';
  const pct = Math.round(progressOf(run) * 100);
  // Before the first step the files are read (most of a minute for 50 MB): that bar, then the steps' bar replaces it.
  const reading = busy ? run.reading : null;
  const readPct = reading ? Math.floor(readingFractionOf(reading) * 100) : 0;
  const readText = reading
    ? readPct >= 100
      ? t('readingDone', { total: formatBytes(reading.totalBytes) })
      : t('readingFile', { n: reading.fileIndex + 1, count: reading.fileCount, done: formatBytes(reading.bytesRead), total: formatBytes(reading.totalBytes) })
    : '';
  const done = run.done;
  const presetOf = PRESETS.find((p) => p.value === preset) ?? PRESETS[0];
  const banner = resumeBanner(resumable, run.phase, confirming, hidden);
  return (
    <section className="panel train" aria-label={t('region')}>
      <p className="panel-intro">{t('intro')}</p>
      {banner && (
        <div className="card train-resume" role="region" aria-label={t('resumeLabel')}>
          <p><strong>{t('resumeOffer', { name: banner.offer.name, step: banner.offer.step, total: banner.offer.totalSteps })}</strong></p>
          <p className="panel-note">{t(banner.reasonKey)}</p>
          {banner.confirming ? (
            <div className="panel-actions">
              <span>{t('discardConfirm')}</span>
              <button type="button" className="btn" onClick={() => void discardRun(banner.offer.runId)}>{t('discardYes')}</button>
              <button type="button" className="btn btn-quiet" onClick={() => setConfirming(null)}>{t('discardNo')}</button>
            </div>
          ) : (
            <div className="panel-actions">
              <button type="button" className="btn btn-primary" onClick={() => resumeRun(banner.offer)}>{t('resumeRun')}</button>
              <button type="button" className="btn btn-quiet" onClick={() => setConfirming(banner.offer.runId)}>{t('discardRun')}</button>
            </div>
          )}
        </div>
      )}
      {!setup && (
        <p className="train-summary">
          {resumedName ?? <>{models.find((m) => m.id === base)?.name ?? t('summaryModel')} · {t(presetOf.label)} · {t('summaryFiles', { count: files.length })}</>}
        </p>
      )}
      {setup && (<>
      <TrainFiles
        chosen={chosen}
        onAdd={(added) => changeFiles((prev) => [...prev, ...added.filter((a) => !prev.some((c) => c.path === a.path))])}
        onRemove={(path) => changeFiles((prev) => prev.filter((c) => c.path !== path))}
        pathsText={pathsText}
        onPathsText={(text) => (setPathsText(text), setReport(null))}
        disabled={busy}
        onNote={setNote}
      />
      <div className="field-row">
        <label className="field">
          <span>{t('baseModel')}</span>
          <select value={base ?? ''} onChange={(e) => (setBase(e.target.value), setReport(null))} disabled={busy}>
            {models.map((m) => (
              <option key={m.id} value={m.id}>{m.name}{m.active ? ` ${t('active')}` : ''}</option>
            ))}
          </select>
        </label>
      </div>
      <fieldset className="field segmented">
        <legend>{t('preset')}</legend>
        {PRESETS.map((p) => (
          <label key={p.value} className={preset === p.value ? 'on' : ''} title={t(p.note)}>
            <input type="radio" name="train-preset" value={p.value} checked={preset === p.value} onChange={() => (setPreset(p.value), setReport(null))} disabled={busy} />
            {t(p.label)}
          </label>
        ))}
      </fieldset>
      <p className="panel-progress">{t(presetOf.note)}</p>
      <div className="panel-actions">
        <button type="button" className="btn" onClick={() => void check()} disabled={busy || checking || files.length === 0}>{checking ? t('checking') : t('check')}</button>
        <button type="button" className="btn btn-primary" onClick={start} disabled={busy || files.length === 0 || base === null}>{t('start')}</button>
      </div>
      {checking && (
        <div className="train-checking" role="status">
          <progress className="train-indeterminate" aria-label={t('readingLabel')} />
          <span>{t('checkingElapsed', { s: checkSeconds })}</span>
        </div>
      )}
      {report && (
        <dl className="train-report" aria-label={t('reportLabel')}>
          <div><dt>{t('documents')}</dt><dd>{report.documents}</dd></div>
          <div><dt>{t('words')}</dt><dd>{report.words.toLocaleString()}</dd></div>
          <div><dt>{t('tokens')}</dt><dd>{report.tokens.toLocaleString()}</dd></div>
          <div><dt>{t('steps')}</dt><dd>{report.steps}</dd></div>
          <div><dt>{t('estimatedTime')}</dt><dd>{formatDuration(report.estimatedSeconds * 1000, t)}</dd></div>
        </dl>
      )}
      {report?.warning && <p className="panel-note">{report.warning}</p>}
      </>)}
      {note && <p className="panel-error" role="alert">{note}</p>}

      {run.phase !== 'idle' && (
        <div className="train-run" aria-label={t('runLabel')}>
          {reattached && busy && <p className="panel-note" role="status">{t('reattached')}</p>}
          {reading ? (
            <div className="train-progress train-reading" role="progressbar" aria-label={t('readingLabel')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={readPct} aria-valuetext={readText} title={reading.fileName}>
              <div className="train-progress-bar" style={{ width: `${readPct}%` }} />
            </div>
          ) : (
            <div className="train-progress" role="progressbar" aria-label={t('progressLabel')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={t('progressText', { step: run.step, total: run.totalSteps })}>
              <div className="train-progress-bar" style={{ width: `${pct}%` }} />
            </div>
          )}
          <p className="train-stats" aria-live="polite">
            {reading ? readText : run.phase === 'preparing' ? t('reading') : t('stepOf', { step: run.step, total: run.totalSteps })}
            {run.tokensPerSec !== null && <> · {t('tokensPerSec', { n: Math.round(run.tokensPerSec) })}</>}
            {busy && run.etaMs !== null && <> · {t('left', { time: formatDuration(run.etaMs, t) })}</>}
            {run.phase === 'paused' && <> · {t('paused')}</>}
          </p>
          <LossChart data={series} />
          {run.sample && (
            <blockquote className="train-sample" aria-label={t('latestSample')}>
              <p>{run.sample.text.trim() || t('emptySample')}</p>
              <footer>{t('sampleFooter', { step: run.sample.step, pct: Math.round(run.sample.copyRate * 100) })}</footer>
            </blockquote>
          )}
          {run.warnings.map((w) => <p key={w} className="panel-note">{w}</p>)}
          {busy && (
            <div className="panel-actions">
              {run.phase === 'paused'
                ? <button type="button" className="btn" onClick={() => void control('resume')}>{t('resume')}</button>
                : <button type="button" className="btn" onClick={() => void control('pause')} disabled={run.runId === null}>{t('pause')}</button>}
              <button type="button" className="btn" onClick={() => void control('cancel')}>{t('cancel')}</button>
            </div>
          )}
          {run.phase === 'failed' && <p className="panel-error" role="alert">{t('stopped', { message: run.error ?? '' })}</p>}
          {done && (
            <div className="card train-done" aria-label={t('resultLabel')}>
              <p className="train-done-message">{done.message}</p>
              {done.model && (
                <>
                  <p>{t('newModel')} <strong>{done.model.name}</strong></p>
                  <p className="train-ppl">
                    {t('perplexity', { before: done.perplexityBefore?.toFixed(1) ?? '—', after: done.perplexityAfter?.toFixed(1) ?? '—' })}
                  </p>
                  <div className="panel-actions">
                    <button type="button" className="btn btn-primary" onClick={() => void useModel(done.model!.id)} disabled={activated === done.model.id}>
                      {activated === done.model.id ? t('inUse') : t('useModel')}
                    </button>
                  </div>
                </>
              )}
            </div>
          )}
          {done?.model && <CheckpointSamples modelId={done.model.id} />}
          {run.phase === 'done' && (
            <div className="panel-actions">
              <button type="button" className="btn btn-quiet" onClick={() => (setRun(IDLE), setChosen([]), setReport(null))}>{t('trainAnother')}</button>
            </div>
          )}
        </div>
      )}

      {setup && fineTunes.length > 0 && (
        <details className="train-history">
          <summary>{t('fineTunes')}</summary>
          <label className="field">
            <span>{t('fineTune')}</span>
            <select value={browse} onChange={(e) => setBrowse(e.target.value)}>
              <option value="">—</option>
              {fineTunes.map((m) => (
                <option key={m.id} value={m.id}>{m.name}</option>
              ))}
            </select>
          </label>
          {browse !== '' && <CheckpointSamples modelId={browse} />}
        </details>
      )}
    </section>
  );
}
