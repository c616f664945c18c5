/**
 * The side panel beside the page: Outline, Ideas, Memory, Settings, Models
 * and Train as tabs. Every tab stays mounted while the panel is open, so a
 * drafted outline or a pinned idea survives a look at another tab.
 */
import type { AppInfo, DocumentSettings, RequestOf, Settings } from '../../common/contract';
import type { Block } from '../editor/insert-blocks';
import { useMessages } from '../i18n';
import { assistantMessages } from '../i18n/messages/assistant';
import { GenerationPanel } from './GenerationPanel';
import { IdeasPanel } from './IdeasPanel';
import { LanguageSelect } from './LanguageSelect';
import { MemoryPanel } from './MemoryPanel';
import { ModelsPanel } from './ModelsPanel';
import { OutlinePanel } from './OutlinePanel';
import { TrainPanel } from './TrainPanel';

export type PanelName = 'outline' | 'ideas' | 'memory' | 'settings' | 'models' | 'train';
/** In tab order; each name is also its label's key in assistantMessages. */
export const PANELS: { name: PanelName }[] = [
  { name: 'outline' },
  { name: 'ideas' },
  { name: 'memory' },
  { name: 'settings' },
  { name: 'models' },
  { name: 'train' },
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
  const t = useMessages(assistantMessages);
  return (
    <aside className="assistant" aria-label={t('assistant')}>
      <div className="tabs" role="tablist" aria-label={t('tabs')}>
        {PANELS.map((tab) => (
          <button
            key={tab.name}
            type="button"
            role="tab"
            id={`tab-${tab.name}`}
            aria-selected={p.open === tab.name}
            aria-controls={`tabpanel-${tab.name}`}
            className={`tab ${p.open === tab.name ? 'on' : ''}`}
            onClick={() => p.onOpen(tab.name)}
          >
            {t(tab.name)}
          </button>
        ))}
        <span className="toolbar-spacer" />
        <button type="button" className="btn btn-quiet btn-icon" onClick={p.onClose} aria-label={t('close')} title={t('closeTitle')}>×</button>
      </div>
      {PANELS.map((tab) => (
        <div key={tab.name} role="tabpanel" id={`tabpanel-${tab.name}`} aria-labelledby={`tab-${tab.name}`} hidden={p.open !== tab.name} className="tabpanel">
          {tab.name === 'outline' && <OutlinePanel options={p.options} onInsert={p.onInsert} />}
          {tab.name === 'ideas' && <IdeasPanel options={p.options} memory={p.doc.memory} chapter={p.before} onInsert={p.onInsert} />}
          {tab.name === 'memory' && p.open === 'memory' && (
            <MemoryPanel settings={p.doc} onChange={p.onDocChange} before={p.before} watch={p.watch} contextTokens={p.info?.model?.nPositions ?? null} />
          )}
          {tab.name === 'settings' && (
            <>
              <LanguageSelect value={p.app.language} onChange={(language) => p.onAppChange({ language })} />
              <GenerationPanel app={p.app} doc={p.doc} onDocChange={p.onDocChange} onAppChange={p.onAppChange} />
            </>
          )}
          {tab.name === 'models' && p.open === 'models' && <ModelsPanel info={p.info} onModelChanged={p.onModelChanged} />}
          {/* Always mounted: a run keeps streaming into it while another tab is open. */}
          {tab.name === 'train' && <TrainPanel onModelChanged={p.onModelChanged} />}
        </div>
      ))}
    </aside>
  );
}
