/**
 * The outline panel's logic: merging a regenerated part into a skeleton, the
 * blocks a skeleton inserts as, and whether anything usable came back. Pure.
 */
import type { OutlineResult } from '../common/contract';
import type { Block } from './editor/insert-blocks';

export type OutlinePartName = 'headlines' | 'lede' | 'nutGraf' | 'sections';

export const EMPTY_OUTLINE: OutlineResult = { headlines: [], lede: '', nutGraf: '', sections: [] };

export function isEmptyOutline(o: OutlineResult): boolean {
  return o.headlines.length === 0 && o.lede === '' && o.nutGraf === '' && o.sections.length === 0;
}

function hasPart(o: OutlineResult, part: OutlinePartName): boolean {
  const v = o[part];
  return typeof v === 'string' ? v !== '' : v.length > 0;
}

/**
 * Takes `part` from a fresh skeleton and keeps the rest. When the fresh one has nothing
 * usable for that part, the old part stays and `changed` is false (the panel says so).
 */
export function mergePart(current: OutlineResult, fresh: OutlineResult, part: OutlinePartName): { outline: OutlineResult; changed: boolean } {
  if (!hasPart(fresh, part)) return { outline: current, changed: false };
  return { outline: { ...current, [part]: fresh[part] }, changed: true };
}

/** The placeholder for facts only the reporter can supply. */
export const QUOTE_NEEDED = '[quote needed]';

/** A skeleton as document blocks: the chosen headline, lede, nut graf, then each section and its note. */
export function outlineBlocks(o: OutlineResult, headline: number): Block[] {
  const blocks: Block[] = [];
  const title = o.headlines[headline] ?? o.headlines[0];
  if (title) blocks.push({ type: 'h1', text: title });
  if (o.lede) blocks.push({ type: 'p', text: o.lede });
  if (o.nutGraf) blocks.push({ type: 'p', text: o.nutGraf });
  for (const s of o.sections) {
    // The placeholder moves from the heading to the note, where the reporter fills it in.
    const needsQuote = s.heading.includes(QUOTE_NEEDED) || s.note.includes(QUOTE_NEEDED);
    const heading = s.heading.replace(QUOTE_NEEDED, '').trim();
    const note = s.note.replace(QUOTE_NEEDED, '').trim();
    blocks.push({ type: 'h2', text: heading });
    const body = [note, needsQuote ? QUOTE_NEEDED : ''].filter((t) => t !== '').join(' ');
    if (body !== '') blocks.push({ type: 'p', text: body });
  }
  return blocks;
}
