/**
 * The Download section of the Models tab: the service's catalogue with each
 * model's size, a Download button, and while it runs a progress bar with
 * bytes, speed and time left, Pause (the next Download resumes) and Cancel
 * (the partial files are discarded). State lives in a module-level
 * DownloadStore so it survives the tab being closed.
 */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { CatalogueItem, ModelInfo } from '../../common/contract';
import { api } from '../api';
import { useMessages } from '../i18n';
import { modelsMessages } from '../i18n/messages/models';
import { describeProgress, DownloadStore, formatBytes, percentOf, type DownloadState } from '../model-downloads';
import { formatParams } from './ModelCard';

export const downloads = new DownloadStore(api);

function useDownload(name: string): DownloadState {
  return useSyncExternalStore(downloads.subscribe, () => downloads.get(name));
}

/** A bar with the ARIA figures screen readers announce; indeterminate while the total is unknown. */
export function ProgressBar({ label, percent }: { label: string; percent: number | null }) {
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      {...(percent !== null ? { 'aria-valuenow': percent } : {})}
      style={{ height: 6, borderRadius: 3, background: 'var(--line)', overflow: 'hidden', margin: '8px 0 4px' }}
    >
      <div style={{ height: '100%', width: `${percent ?? 100}%`, background: 'var(--accent)', opacity: percent === null ? 0.4 : 1, transition: 'width 0.25s' }} />
    </div>
  );
}

function CatalogueCard({ item, onChanged }: { item: CatalogueItem; onChanged: () => void }) {
  const t = useMessages(modelsMessages);
  const state = useDownload(item.name);
  const [note, setNote] = useState<string | null>(null);
  const size = item.sizeBytes !== null ? formatBytes(item.sizeBytes) : t('sizeLater');
  const name = item.displayName;
  const running = state.status === 'starting' || state.status === 'running';
  const pausedBytes = Math.max(state.status === 'paused' ? state.bytes : 0, item.partialBytes);
  const resumable = !running && !item.installed && pausedBytes > 0;

  const discard = async () => {
    setNote(await downloads.discard(item.name));
    onChanged();
  };
  const start = () => {
    setNote(null);
    downloads.start(item.name);
  };

  return (
    <li className="card model" aria-label={item.displayName}>
      <div className="part-head">
        <h3>{item.displayName}</h3>
        {item.installed && !running ? <span className="badge">{t('installedBadge')}</span> : null}
        {!item.installed && !running && (
          <button type="button" className="btn" aria-label={resumable ? t('resumeLabel', { name }) : t('downloadLabel', { name })} onClick={start}>
            {resumable ? t('resume') : t('download')}
          </button>
        )}
      </div>
      <p className="knob-hint">
        {item.parameters > 0 ? `${formatParams(item.parameters, t)} · ` : ''}
        {size} · {item.repo}
      </p>
      {running && (
        <>
          <ProgressBar
            label={t('downloading', { name })}
            percent={state.status === 'running' ? percentOf(state.progress.bytes, state.progress.total) : null}
          />
          <p className="knob-hint" aria-live="polite">{state.status === 'running' ? describeProgress(state.progress) : t('starting')}</p>
          <div className="card-actions">
            <button type="button" className="btn" aria-label={t('pauseLabel', { name })} onClick={() => downloads.pause(item.name)}>{t('pause')}</button>
            <button type="button" className="btn btn-quiet" aria-label={t('cancelLabel', { name })} onClick={() => void discard()}>{t('cancel')}</button>
          </div>
        </>
      )}
      {resumable && (
        <>
          <ProgressBar label={t('pausedLabel', { name })} percent={percentOf(pausedBytes, item.sizeBytes)} />
          <p className="knob-hint">
            {item.sizeBytes !== null
              ? t('pausedAtOf', { bytes: formatBytes(pausedBytes), total: formatBytes(item.sizeBytes) })
              : t('pausedAt', { bytes: formatBytes(pausedBytes) })}
          </p>
          <div className="card-actions">
            <button type="button" className="btn btn-quiet" aria-label={t('discardLabel', { name })} onClick={() => void discard()}>{t('discard')}</button>
          </div>
        </>
      )}
      {state.status === 'error' && !running && <p className="panel-error" role="alert">{state.message}</p>}
      {note !== null && <p className="panel-error" role="alert">{note}</p>}
    </li>
  );
}

/** The catalogue, refreshed when a download ends (paused, failed or installed). */
export function ModelDownloads({ onInstalled }: { onInstalled: (model: ModelInfo) => void }) {
  const t = useMessages(modelsMessages);
  const [items, setItems] = useState<CatalogueItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    const r = await api.call('models.catalogue', {});
    if (r.ok) {
      setItems(r.value);
      setError(null);
    } else setError(t('catalogueFailed', { message: r.error.message }));
  }, [t]);
  useEffect(() => void load(), [load]);
  useEffect(() => downloads.onInstalled((m) => {
    void load();
    onInstalled(m);
  }), [load, onInstalled]);
  // Paused and failed downloads change what is on disk: refresh the "paused at" figures.
  useEffect(() => {
    let last = '';
    return downloads.subscribe(() => {
      const now = (items ?? []).map((i) => downloads.get(i.name).status).join();
      if (now !== last && /paused|error/.test(now)) void load();
      last = now;
    });
  }, [items, load]);

  return (
    <section aria-label={t('downloadSection')} style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
      <h3>{t('downloadTitle')}</h3>
      {error !== null && <p className="panel-error" role="alert">{error}</p>}
      {items === null ? <p className="panel-progress">{t('loading')}</p> : (
        <ul className="cards" aria-label={t('toDownload')}>
          {items.map((item) => <CatalogueCard key={item.name} item={item} onChanged={() => void load()} />)}
        </ul>
      )}
    </section>
  );
}
