/**
 * The side panel beside the page: Outline, Ideas, Memory, Settings, Models
 * and Train as tabs. Every tab stays mounted while the panel is open, so a
 * drafted outline or a pinned idea survives a look at another tab.
 */
import type { AppInfo, DocumentSettings, RequestOf, Settings } from '../../common/contract';
import type { Block } from '../editor/insert-blocks';
import { GenerationPanel } from './GenerationPanel';
import { IdeasPanel } from './IdeasPanel';
import { MemoryPanel } from './MemoryPanel';
import { ModelsPanel } from './ModelsPanel';
import { OutlinePanel } from './OutlinePanel';
import { TrainPanel } from './TrainPanel';

export type PanelName = 'outline' | 'ideas' | 'memory' | 'settings' | 'models' | 'train';
export const PANELS: { name: PanelName; label: string }[] = [
  { name: 'outline', label: 'Outline' },
  { name: 'ideas', label: 'Ideas' },
  { name: 'memory', label: 'Memory' },
  { name: 'settings', label: 'Settings' },
  { name: 'models', label: 'Models' },
  { name: 'train', label: 'Train' },
];

export interface AssistantPanelProps {
  open: PanelName;
  onOpen: (name: PanelName) => void;
  onClose: () => void;
  app: Settings;
  onAppChange: (change: Partial<Settings>) => void;
  doc: DocumentSettings;
  onDocChange: (change: Partial<DocumentSettings>) => void;
  options: RequestOf<'engine.generate'>['options'];
  before: () => string;
  watch: (onChange: () => void) => () => void;
  info: AppInfo | null;
  onInsert: (blocks: Block[]) => void;
  onModelChanged?: () => void;
}

export function AssistantPanel(p: AssistantPanelProps) {
  return (
    <aside className="assistant" aria-label="Assistant">
      <div className="tabs" role="tablist" aria-label="Assistant panels">
        {PANELS.map((t) => (
          <button
            key={t.name}
            type="button"
            role="tab"
            id={`tab-${t.name}`}
            aria-selected={p.open === t.name}
            aria-controls={`tabpanel-${t.name}`}
            className={`tab ${p.open === t.name ? 'on' : ''}`}
            onClick={() => p.onOpen(t.name)}
          >
            {t.label}
          </button>
        ))}
        <span className="toolbar-spacer" />
        <button type="button" className="btn btn-quiet btn-icon" onClick={p.onClose} aria-label="Close the side panel" title="Close (Ctrl+.)">×</button>
      </div>
      {PANELS.map((t) => (
        <div key={t.name} role="tabpanel" id={`tabpanel-${t.name}`} aria-labelledby={`tab-${t.name}`} hidden={p.open !== t.name} className="tabpanel">
          {t.name === 'outline' && <OutlinePanel options={p.options} onInsert={p.onInsert} />}
          {t.name === 'ideas' && <IdeasPanel options={p.options} memory={p.doc.memory} chapter={p.before} onInsert={p.onInsert} />}
          {t.name === 'memory' && p.open === 'memory' && (
            <MemoryPanel settings={p.doc} onChange={p.onDocChange} before={p.before} watch={p.watch} contextTokens={p.info?.model?.nPositions ?? null} />
          )}
          {t.name === 'settings' && <GenerationPanel app={p.app} doc={p.doc} onDocChange={p.onDocChange} onAppChange={p.onAppChange} />}
          {t.name === 'models' && p.open === 'models' && <ModelsPanel info={p.info} onModelChanged={p.onModelChanged} />}
          {/* Always mounted: a run keeps streaming into it while another tab is open. */}
          {t.name === 'train' && <TrainPanel onModelChanged={p.onModelChanged} />}
        </div>
      ))}
    </aside>
  );
}
