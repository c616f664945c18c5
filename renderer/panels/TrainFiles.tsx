/**
 * The Train screen's file picking. "Add files…" opens the native dialog in
 * Electron (real paths, nothing to copy) and the browser's file input
 * elsewhere; picked or dropped Files are uploaded in chunks to the main
 * process's training inbox (a page never learns a File's path), with a
 * progress bar and a cancel that leaves no partial file. Typed full paths
 * stay as an advanced option. The parent owns the list; this renders it.
 */
import { useEffect, useRef, useState } from 'react';
import { MAX_STAGED_FILE_BYTES, TRAINING_FILE_EXTENSIONS } from '../../common/contract';
import { api } from '../api';
import { useMessages } from '../i18n';
import { trainMessages } from '../i18n/messages/train';
import { parsePaths, pathsFromUriList } from '../train-state';
import { batchProgress, refusalOf, uploadFile, UploadError } from '../train-upload';

export interface ChosenFile {
  name: string;
  path: string;
  /** True for an uploaded copy in the training inbox. */
  staged: boolean;
}

export interface TrainFilesProps {
  chosen: ChosenFile[];
  onAdd: (files: ChosenFile[]) => void;
  onRemove: (path: string) => void;
  pathsText: string;
  onPathsText: (text: string) => void;
  disabled: boolean;
  onNote: (note: string | null) => void;
}

const ACCEPT = TRAINING_FILE_EXTENSIONS.join(',');
const baseName = (p: string) => p.split(/[/\\]/).pop() ?? p;

export function TrainFiles(p: TrainFilesProps) {
  const t = useMessages(trainMessages);
  const input = useRef<HTMLInputElement>(null);
  const abort = useRef<AbortController | null>(null);
  const [native, setNative] = useState(false);
  const [upload, setUpload] = useState<{ name: string; index: number; total: number; progress: number } | null>(null);
  const [over, setOver] = useState(false);
  const { invalid } = parsePaths(p.pathsText);

  useEffect(() => {
    void api.call('app.info', {}).then((r) => setNative(r.ok && r.value.mode === 'electron'));
    return () => abort.current?.abort();
  }, []);

  const uploadAll = async (list: File[]) => {
    const notes: string[] = [];
    const files = list.filter((f) => {
      const why = refusalOf(f);
      if (why === 'type') notes.push(t('refusedType', { name: f.name }));
      if (why === 'size') notes.push(t('refusedSize', { name: f.name, mb: MAX_STAGED_FILE_BYTES / 1024 / 1024 }));
      return why === null;
    });
    p.onNote(notes.length > 0 ? notes.join(' ') : null);
    if (files.length === 0) return;
    const ac = new AbortController();
    abort.current = ac;
    const sizes = files.map((f) => f.size);
    try {
      for (let i = 0; i < files.length; i++) {
        const f = files[i];
        setUpload({ name: f.name, index: i, total: files.length, progress: batchProgress(sizes, i, 0) });
        try {
          const staged = await uploadFile(api, f, (sent) => setUpload({ name: f.name, index: i, total: files.length, progress: batchProgress(sizes, i, sent) }), ac.signal);
          p.onAdd([{ name: staged.name, path: staged.path, staged: true }]);
        } catch (err) {
          if (ac.signal.aborted) return;
          notes.push(t('uploadFailed', { message: err instanceof UploadError ? err.message : `${f.name}: ${String(err)}` }));
          p.onNote(notes.join(' '));
        }
      }
    } finally {
      if (abort.current === ac) abort.current = null;
      setUpload(null);
    }
  };

  const addFiles = async () => {
    if (!native) return input.current?.click();
    const r = await api.call('dialog.openFiles', { purpose: 'training' });
    if (!r.ok) return p.onNote(t('dialogFailed', { message: r.error.message }));
    if (r.value.status === 'ok') p.onAdd(r.value.paths.map((path) => ({ name: baseName(path), path, staged: false })));
    // The window is Electron's but the dialog is not wired (a test build): the page's own input still works.
    else if (r.value.status === 'unsupported') input.current?.click();
  };

  const onDrop = (e: React.DragEvent) => {
    // Keep the window's drop guard from refusing (or the browser from opening) the drop.
    e.preventDefault();
    e.stopPropagation();
    setOver(false);
    if (p.disabled || upload) return;
    const files = [...e.dataTransfer.files];
    if (files.length > 0) return void uploadAll(files);
    const dropped = pathsFromUriList(e.dataTransfer.getData('text/uri-list'));
    if (dropped.length > 0) p.onPathsText([p.pathsText.trim(), ...dropped].filter((x) => x !== '').join('\n'));
    else p.onNote(t('dropNoFiles'));
  };

  const pct = upload ? Math.round(upload.progress * 100) : 0;
  return (
    <div
      className={`train-files ${over ? 'drag-over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        e.stopPropagation();
        e.dataTransfer.dropEffect = p.disabled ? 'none' : 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <div className="train-files-head">
        <span className="train-files-title">{t('files')}</span>
        <button type="button" className="btn" onClick={() => void addFiles()} disabled={p.disabled || upload !== null}>{t('addFiles')}</button>
        <input
          ref={input}
          type="file"
          multiple
          accept={ACCEPT}
          aria-label={t('fileInput')}
          hidden
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            // Reset so that picking the same file again fires a change.
            e.target.value = '';
            void uploadAll(files);
          }}
        />
      </div>
      <p className="panel-progress">{over ? t('dropHere') : t('filesHint')}</p>
      {p.chosen.length === 0 && upload === null && <p className="train-files-empty">{t('noFiles')}</p>}
      {p.chosen.length > 0 && (
        <ul className="train-file-list" aria-label={t('files')}>
          {p.chosen.map((f) => (
            <li key={f.path} title={f.staged ? undefined : f.path}>
              <span className="train-file-name">{f.name}</span>
              <button type="button" className="btn btn-quiet btn-icon" onClick={() => p.onRemove(f.path)} disabled={p.disabled} aria-label={t('removeFile', { name: f.name })}>×</button>
            </li>
          ))}
        </ul>
      )}
      {upload && (
        <div className="train-upload">
          <p className="panel-progress" aria-live="polite">{t('uploading', { name: upload.name, done: upload.index + 1, total: upload.total })}</p>
          <div className="train-progress" role="progressbar" aria-label={t('uploadProgress')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
            <div className="train-progress-bar" style={{ width: `${pct}%` }} />
          </div>
          <button type="button" className="btn btn-quiet" onClick={() => abort.current?.abort()}>{t('cancelUpload')}</button>
        </div>
      )}
      <details className="train-advanced" open={p.pathsText !== '' ? true : undefined}>
        <summary>{t('advanced')}</summary>
        <label className="field">
          <span>{t('pathsLabel')}</span>
          <textarea
            value={p.pathsText}
            onChange={(e) => p.onPathsText(e.target.value)}
            rows={3}
            placeholder={'/home/you/novel/chapter-1.md\n/home/you/novel/chapter-2.md'}
            disabled={p.disabled}
            spellCheck={false}
          />
        </label>
        {invalid.length > 0 && <p className="panel-error">{t('notFullPath', { paths: `${invalid.slice(0, 3).join(', ')}${invalid.length > 3 ? '…' : ''}` })}</p>}
      </details>
    </div>
  );
}
