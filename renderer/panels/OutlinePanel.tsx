/**
 * Outline (for journalists): topic, notes and a shape in; headline options,
 * a lede, a nut graf and section headings with notes out. Each part can be
 * regenerated on its own; Insert puts the skeleton into the document as
 * headings and paragraphs. The model's output is untrusted: whatever did not
 * parse is simply absent, and an empty result says so and offers a retry.
 */
import { useState } from 'react';
import type { OutlineResult, RequestOf } from '../../common/contract';
import { EMPTY_OUTLINE, isEmptyOutline, mergePart, outlineBlocks, type OutlinePartName } from '../outline';
import type { Block } from '../editor/insert-blocks';
import { useGeneration } from '../use-generation';

type Shape = 'news' | 'feature' | 'explainer' | 'interview';
const SHAPES: { value: Shape; label: string }[] = [
  { value: 'news', label: 'News story' },
  { value: 'feature', label: 'Feature' },
  { value: 'explainer', label: 'Explainer' },
  { value: 'interview', label: 'Interview' },
];
const PART_LABEL: Record<OutlinePartName, string> = { headlines: 'headlines', lede: 'lede', nutGraf: 'nut graf', sections: 'sections' };

export interface OutlinePanelProps {
  options: RequestOf<'engine.generate'>['options'];
  onInsert: (blocks: Block[]) => void;
}

export function OutlinePanel({ options, onInsert }: OutlinePanelProps) {
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
      if (isEmptyOutline(fresh)) setNote('Nothing usable came back: the model’s answer did not read as an outline. Try again, or add a few notes.');
      return;
    }
    const merged = mergePart(outline ?? EMPTY_OUTLINE, fresh, part);
    setOutline(merged.outline);
    if (!merged.changed) setNote(`No new ${PART_LABEL[part]} came back; the old one is kept. Try again.`);
  };

  const running = gen.state.status === 'running';
  const regen = (part: OutlinePartName) => (
    <button type="button" className="btn btn-quiet btn-icon" onClick={() => void generate(part)} disabled={running || topic.trim() === ''} aria-label={`Regenerate ${PART_LABEL[part]}`} title={`Regenerate ${PART_LABEL[part]}`}>
      {busyPart === part ? '…' : '↻'}
    </button>
  );

  return (
    <section className="panel" aria-label="Outline">
      <p className="panel-intro">An article skeleton from your topic and notes. Facts and quotes stay yours: look for [quote needed].</p>
      <label className="field">
        <span>Topic</span>
        <input value={topic} onChange={(e) => setTopic(e.target.value)} placeholder="Council votes to close the Elm Street library" maxLength={4000} />
      </label>
      <label className="field">
        <span>Notes and quotes</span>
        <textarea value={notes} onChange={(e) => setNotes(e.target.value)} rows={3} placeholder="Vote was 5-2; branch opened in 1962…" maxLength={4000} />
      </label>
      <fieldset className="field segmented">
        <legend>Shape</legend>
        {SHAPES.map((s) => (
          <label key={s.value} className={shape === s.value ? 'on' : ''}>
            <input type="radio" name="outline-shape" value={s.value} checked={shape === s.value} onChange={() => setShape(s.value)} />
            {s.label}
          </label>
        ))}
      </fieldset>
      <div className="panel-actions">
        {running ? (
          <button type="button" className="btn" onClick={gen.stop}>Stop</button>
        ) : (
          <button type="button" className="btn btn-primary" onClick={() => void generate('all')} disabled={topic.trim() === ''}>
            {outline === null ? 'Draft outline' : 'Draft again'}
          </button>
        )}
      </div>
      {running && <p className="panel-progress" role="status">Drafting{busyPart !== 'all' && busyPart !== null ? ` the ${PART_LABEL[busyPart]}` : ''}… {gen.state.status === 'running' ? `${gen.state.tokens} tokens` : ''}</p>}
      {gen.state.status === 'error' && <p className="panel-error" role="alert">{gen.state.message}</p>}
      {note !== null && <p className="panel-note" role="status">{note}</p>}
      {outline !== null && !isEmptyOutline(outline) && (
        <div className="outline-result" data-testid="outline-result">
          <div className="part">
            <div className="part-head"><h3>Headline options</h3>{regen('headlines')}</div>
            {outline.headlines.length === 0 ? <p className="part-empty">None yet.</p> : (
              <div role="radiogroup" aria-label="Headline options">
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
            <div className="part-head"><h3>Lede</h3>{regen('lede')}</div>
            <p className={outline.lede ? 'part-text' : 'part-empty'}>{outline.lede || 'None yet.'}</p>
          </div>
          <div className="part">
            <div className="part-head"><h3>Nut graf</h3>{regen('nutGraf')}</div>
            <p className={outline.nutGraf ? 'part-text' : 'part-empty'}>{outline.nutGraf || 'None yet.'}</p>
          </div>
          <div className="part">
            <div className="part-head"><h3>Sections</h3>{regen('sections')}</div>
            {outline.sections.length === 0 ? <p className="part-empty">None yet.</p> : (
              <ol className="sections">
                {outline.sections.map((s, i) => (
                  <li key={i}><strong>{s.heading}</strong>{s.note && <span> — {s.note}</span>}</li>
                ))}
              </ol>
            )}
          </div>
          <div className="panel-actions">
            <button type="button" className="btn btn-primary" onClick={() => onInsert(outlineBlocks(outline, headline))}>Insert into document</button>
          </div>
        </div>
      )}
    </section>
  );
}
