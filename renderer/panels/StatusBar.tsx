/** The quiet line at the bottom: word count, engine backend and model. */
import type { AppInfo } from '../../common/contract';

export interface StatusBarProps {
  words: number;
  info: AppInfo | null;
}

export function describeEngine(info: AppInfo | null): { backend: string; model: string } {
  if (info === null) return { backend: 'Connecting…', model: '' };
  const backend = info.backend === null ? 'Engine not started' : `${info.backend.name} · ${info.backend.device}`;
  const model =
    info.model === null
      ? 'No model loaded'
      : `${info.model.name} (${info.model.nLayer} layers, ${info.model.nEmbd} wide, ${info.model.nPositions} tokens)`;
  return { backend, model };
}

export function StatusBar({ words, info }: StatusBarProps) {
  const { backend, model } = describeEngine(info);
  return (
    <footer className="status-bar" role="contentinfo" aria-label="Status">
      <span data-testid="word-count">
        {words} {words === 1 ? 'word' : 'words'}
      </span>
      {/* Shown by CSS only while a suggestion is on screen (styles.css, .status-hint). */}
      <span className="status-hint" aria-hidden="true">
        <kbd>Tab</kbd> accept · <kbd>Esc</kbd> dismiss · <kbd>Alt+]</kbd> next
      </span>
      <span className="status-spacer" />
      <span title="Engine backend" data-testid="engine-backend">
        {backend}
      </span>
      {model !== '' && (
        <span title="Model" data-testid="engine-model">
          {model}
        </span>
      )}
    </footer>
  );
}
