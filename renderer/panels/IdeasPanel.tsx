/**
 * Ideas (for novelists): premise, genre, characters and the chapter so far in;
 * N distinct ideas, twists or next beats out, as cards. A card can be pinned
 * (kept across regenerations), expanded into a longer continuation, or
 * inserted. Duplicates are removed; an empty result says so and offers a retry.
 */
import { useState } from 'react';
import type { RequestOf } from '../../common/contract';
import type { Block } from '../editor/insert-blocks';
import { useMessages } from '../i18n';
import { ideasMessages } from '../i18n/messages/ideas';
import { mergeIdeas, togglePin, type IdeaCard } from '../ideas';
import { useGeneration } from '../use-generation';

type Kind = 'ideas' | 'twists' | 'next';
const KINDS: { value: Kind; label: 'kindIdeas' | 'kindTwists' | 'kindNext' }[] = [
  { value: 'ideas', label: 'kindIdeas' },
  { value: 'twists', label: 'kindTwists' },
  { value: 'next', label: 'kindNext' },
];

export interface IdeasPanelProps {
  options: RequestOf<'engine.generate'>['options'];
  /** The document's memory, offered as the premise when the field is empty. */
  memory: string;
  /** The text before the caret: the chapter so far. */
  chapter: () => string;
  onInsert: (blocks: Block[]) => void;
}

export function IdeasPanel({ options, memory, chapter, onInsert }: IdeasPanelProps) {
  const t = useMessages(ideasMessages);
  const [premise, setPremise] = useState('');
  const [genre, setGenre] = useState('');
  const [characters, setCharacters] = useState('');
  const [kind, setKind] = useState<Kind>('ideas');
  const [count, setCount] = useState(4);
  const [useChapter, setUseChapter] = useState(true);
  const [cards, setCards] = useState<IdeaCard[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const [expanding, setExpanding] = useState<string | null>(null);
  const gen = useGeneration();
  const expander = useGeneration();

  const brainstorm = async () => {
    setNote(null);
    const done = await gen.run({
      task: 'ideas',
      context: premise,
      ideas: {
        premise: premise || memory,
        genre: genre || undefined,
        characters: characters || undefined,
        chapter: useChapter ? chapter().slice(-4000) || undefined : undefined,
        kind,
        n: count,
      },
      // Alternatives in one batch give more distinct ideas than one long list.
      options: { ...options, maxTokens: 80, n: Math.min(4, count) },
    });
    if (done === null) return;
    const fresh = done.ideas ?? [];
    const next = mergeIdeas(cards, fresh);
    setCards(next);
    if (fresh.length === 0) setNote(t('nothingUsable'));
    else if (next.length === cards.filter((c) => c.pinned).length) setNote(t('onlyDuplicates'));
  };

  const expand = async (card: IdeaCard) => {
    setExpanding(card.id);
    const done = await expander.run({ task: 'continue', context: `${chapter().slice(-2000)}\n\n${card.text}`, memory: memory || undefined, options: { ...options, maxTokens: 80, n: 1 } });
    setExpanding(null);
    if (done !== null) setCards((list) => list.map((c) => (c.id === card.id ? { ...c, expansion: done.texts[0]?.trim() ?? '' } : c)));
  };

  const running = gen.state.status === 'running';
  return (
    <section className="panel" aria-label={t('region')}>
      <p className="panel-intro">{t('intro')}</p>
      <label className="field">
        <span>{t('premise')}</span>
        <textarea value={premise} onChange={(e) => setPremise(e.target.value)} rows={3} placeholder={memory ? t('premiseFromMemory') : t('premisePlaceholder')} maxLength={4000} />
      </label>
      <div className="field-row">
        <label className="field"><span>{t('genre')}</span><input value={genre} onChange={(e) => setGenre(e.target.value)} placeholder={t('genrePlaceholder')} maxLength={200} /></label>
        <label className="field field-narrow"><span>{t('howMany')}</span><input type="number" min={1} max={8} value={count} onChange={(e) => setCount(Math.max(1, Math.min(8, Number(e.target.value) || 1)))} /></label>
      </div>
      <label className="field"><span>{t('characters')}</span><input value={characters} onChange={(e) => setCharacters(e.target.value)} placeholder={t('charactersPlaceholder')} maxLength={4000} /></label>
      <fieldset className="field segmented">
        <legend>{t('kind')}</legend>
        {KINDS.map((k) => (
          <label key={k.value} className={kind === k.value ? 'on' : ''}>
            <input type="radio" name="ideas-kind" value={k.value} checked={kind === k.value} onChange={() => setKind(k.value)} />
            {t(k.label)}
          </label>
        ))}
      </fieldset>
      <label className="check"><input type="checkbox" checked={useChapter} onChange={(e) => setUseChapter(e.target.checked)} /> {t('useChapter')}</label>
      <div className="panel-actions">
        {running ? <button type="button" className="btn" onClick={gen.stop}>{t('stop')}</button> : (
          <button type="button" className="btn btn-primary" onClick={() => void brainstorm()} disabled={premise.trim() === '' && memory.trim() === ''}>
            {cards.length === 0 ? t('brainstorm') : t('more')}
          </button>
        )}
      </div>
      {running && <p className="panel-progress" role="status">{t('thinking')} {gen.state.status === 'running' ? t.plural('tokens', gen.state.tokens) : ''}</p>}
      {gen.state.status === 'error' && <p className="panel-error" role="alert">{gen.state.message}</p>}
      {note !== null && <p className="panel-note" role="status">{note}</p>}
      <ul className="cards" aria-label={t('found')}>
        {cards.map((c) => (
          <li key={c.id} className={`card ${c.pinned ? 'pinned' : ''}`}>
            <p className="card-text">{c.text}</p>
            {c.expansion !== undefined && <p className="card-expansion">{c.expansion || t('expansionEmpty')}</p>}
            <div className="card-actions">
              <button type="button" className="btn btn-quiet" aria-pressed={c.pinned} onClick={() => setCards((l) => togglePin(l, c.id))}>{c.pinned ? t('pinned') : t('pin')}</button>
              <button type="button" className="btn btn-quiet" onClick={() => void expand(c)} disabled={expanding !== null}>{expanding === c.id ? t('expanding') : t('expand')}</button>
              <button type="button" className="btn btn-quiet" onClick={() => onInsert([{ type: 'p', text: c.expansion ? `${c.text} ${c.expansion}` : c.text }])}>{t('insert')}</button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
