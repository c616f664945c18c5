/**
 * Outline (for journalists): topic, notes and a shape in; headline options,
 * a lede, a nut graf and section headings with notes out. Each part can be
 * regenerated on its own; Insert puts the skeleton into the document as
 * headings and paragraphs. The model's output is untrusted: whatever did not
 * parse is simply absent, and an empty result says so and offers a retry.
 */
import { useState } from 'react';
import type { OutlineResult, RequestOf } from '../../common/contract';
import { useMessages } from '../i18n';
import { outlineMessages } from '../i18n/messages/outline';
import { EMPTY_OUTLINE, isEmptyOutline, mergePart, outlineBlocks, type OutlinePartName } from '../outline';
import type { Block } from '../editor/insert-blocks';
import { useGeneration } from '../use-generation';

type Shape = 'news' | 'feature' | 'explainer' | 'interview';
const SHAPES: { value: Shape; label: 'shapeNews' | 'shapeFeature' | 'shapeExplainer' | 'shapeInterview' }[] = [
  { value: 'news', label: 'shapeNews' },
  { value: 'feature', label: 'shapeFeature' },
  { value: 'explainer', label: 'shapeExplainer' },
  { value: 'interview', label: 'shapeInterview' },
];
/** Each part's name inside a sentence ("Regenerate the lede"). */
const PART_LABEL = { headlines: 'partHeadlines', lede: 'partLede', nutGraf: 'partNutGraf', sections: 'partSections' } as const satisfies Record<OutlinePartName, string>;

export interface OutlinePanelProps {
  options: RequestOf<'engine.generate'>['options'];
  onInsert: (blocks: Block[]) => void;
}

export function OutlinePanel({ options, onInsert }: OutlinePanelProps) {
  const t = useMessages(outlineMessages);
  const [topic, setTopic] = useState('');
  const [notes, setNotes] = useState('');
  const [shape, setShape] = useState<Shape>('news');
  const [outline, setOutline] = useState<OutlineResult | null>(null);
  const [headline, setHeadline] = useState(0);
  const [busyPart, setBusyPart] = useState<OutlinePartName | 'all' | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const gen = useGeneration();

  const generate = async (part: OutlinePartName | 'all') => {
    setBusyPart(part);
    setNote(null);
    // Skeletons need room: a few hundred tokens, one alternative.
    const done = await gen.run({ task: 'outline', context: topic, outline: { topic, notes, shape }, options: { ...options, maxTokens: 200, n: 1 } });
    setBusyPart(null);
    if (done === null) return;
    const fresh = done.outline ?? EMPTY_OUTLINE;
    if (part === 'all') {
      setOutline(fresh);
      setHeadline(0);
      if (isEmptyOutline(fresh)) setNote(t('nothingUsable'));
      return;
    }
    const merged = mergePart(outline ?? EMPTY_OUTLINE, fresh, part);
    setOutline(merged.outline);
    if (!merged.changed) setNote(t('partUnchanged', { part: t(PART_LABEL[part]) }));
  };

  const running = gen.state.status === 'running';
  const regen = (part: OutlinePartName) => (
    <button type="button" className="btn btn-quiet btn-icon" onClick={() => void generate(part)} disabled={running || topic.trim() === ''} aria-label={t('regenerate', { part: t(PART_LABEL[part]) })} title={t('regenerate', { part: t(PART_LABEL[part]) })}>
      {busyPart === part ? '…' : '↻'}
    </button>
  );

  return (
    <section className="panel" aria-label={t('region')}>
      <p className="panel-intro">{t('intro')}</p>
      <label className="field">
        <span>{t('topic')}</span>
        <input value={topic} onChange={(e) => setTopic(e.target.value)} placeholder={t('topicPlaceholder')} maxLength={4000} />
      </label>
      <label className="field">
        <span>{t('notes')}</span>
        <textarea value={notes} onChange={(e) => setNotes(e.target.value)} rows={3} placeholder={t('notesPlaceholder')} maxLength={4000} />
      </label>
      <fieldset className="field segmented">
        <legend>{t('shape')}</legend>
        {SHAPES.map((s) => (
          <label key={s.value} className={shape === s.value ? 'on' : ''}>
            <input type="radio" name="outline-shape" value={s.value} checked={shape === s.value} onChange={() => setShape(s.value)} />
            {t(s.label)}
          </label>
        ))}
      </fieldset>
      <div className="panel-actions">
        {running ? (
          <button type="button" className="btn" onClick={gen.stop}>{t('stop')}</button>
        ) : (
          <button type="button" className="btn btn-primary" onClick={() => void generate('all')} disabled={topic.trim() === ''}>
            {outline === null ? t('draft') : t('draftAgain')}
          </button>
        )}
      </div>
      {running && (
        <p className="panel-progress" role="status">
          {busyPart !== 'all' && busyPart !== null ? t('draftingPart', { part: t(PART_LABEL[busyPart]) }) : t('drafting')}{' '}
          {gen.state.status === 'running' ? t.plural('tokens', gen.state.tokens) : ''}
        </p>
      )}
      {gen.state.status === 'error' && <p className="panel-error" role="alert">{gen.state.message}</p>}
      {note !== null && <p className="panel-note" role="status">{note}</p>}
      {outline !== null && !isEmptyOutline(outline) && (
        <div className="outline-result" data-testid="outline-result">
          <div className="part">
            <div className="part-head"><h3>{t('headlineOptions')}</h3>{regen('headlines')}</div>
            {outline.headlines.length === 0 ? <p className="part-empty">{t('noneYet')}</p> : (
              <div role="radiogroup" aria-label={t('headlineOptions')}>
                {outline.headlines.map((h, i) => (
                  <label key={h} className={`headline ${i === headline ? 'on' : ''}`}>
                    <input type="radio" name="headline" checked={i === headline} onChange={() => setHeadline(i)} />
                    {h}
                  </label>
                ))}
              </div>
            )}
          </div>
          <div className="part">
            <div className="part-head"><h3>{t('lede')}</h3>{regen('lede')}</div>
            <p className={outline.lede ? 'part-text' : 'part-empty'}>{outline.lede || t('noneYet')}</p>
          </div>
          <div className="part">
            <div className="part-head"><h3>{t('nutGraf')}</h3>{regen('nutGraf')}</div>
            <p className={outline.nutGraf ? 'part-text' : 'part-empty'}>{outline.nutGraf || t('noneYet')}</p>
          </div>
          <div className="part">
            <div className="part-head"><h3>{t('sections')}</h3>{regen('sections')}</div>
            {outline.sections.length === 0 ? <p className="part-empty">{t('noneYet')}</p> : (
              <ol className="sections">
                {outline.sections.map((s, i) => (
                  <li key={i}><strong>{s.heading}</strong>{s.note && <span> — {s.note}</span>}</li>
                ))}
              </ol>
            )}
          </div>
          <div className="panel-actions">
            <button type="button" className="btn btn-primary" onClick={() => onInsert(outlineBlocks(outline, headline))}>{t('insert')}</button>
          </div>
        </div>
      )}
    </section>
  );
}
