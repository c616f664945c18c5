/**
 * Prompt builders and output parsers for the writing tasks. GPT-2 is not
 * instruction-tuned: it continues documents. So each task is written as a
 * document it would continue well — a story for "continue", and for outlines
 * and ideas a few worked examples in a fixed textual format followed by the
 * writer's case, cut off where the model should start writing. Each example ends
 * with an END line, so generation can stop on TASK_STOP.
 *
 * Parsers never throw: they keep what parses and drop the rest, because model
 * output is untrusted text that may stop anywhere.
 */

export type OutlineShape = 'news' | 'feature' | 'explainer' | 'interview';
export type IdeasKind = 'ideas' | 'twists' | 'next';

/** Stop sequences for outline and ideas generation: the examples end with this line. */
export const TASK_STOP: readonly string[] = ['\nEND', '\nTopic:', '\nPremise:'];
/** Lines from the end of the text at which the author's note is inserted (as NovelAI does). */
export const AUTHORS_NOTE_DEPTH_LINES = 3;
/** How much of the current chapter an ideas prompt quotes (the end of it). */
export const CHAPTER_TAIL_CHARS = 1500;

const collapse = (s: string): string => s.replace(/\s+/g, ' ').trim();

export interface ContinueInput {
  /** The document text before the cursor. */
  before: string;
  /** Always-on background (characters, setting); placed first so the prefix cache survives typing. */
  memory?: string;
  /** Style or direction guidance, placed a few lines before the end where it steers most. */
  authorsNote?: string;
}

/**
 * The prompt for an inline continuation: memory, a *** separator, then the text with the
 * author's note as a bracketed line AUTHORS_NOTE_DEPTH_LINES lines before the end. Trailing
 * spaces are dropped: GPT-2 attaches a space to the next word (" cat"), so a prompt ending
 * in a space makes it predict an odd token. See continuationAfter for the other half.
 */
export function buildContinuePrompt(input: ContinueInput): string {
  const { head, body } = continuePromptParts(input);
  return head + body;
}

/**
 * The continuation prompt in its two parts: `head` (memory and separator, '' without
 * memory) must always reach the model; `body` (the text, with the author's note) may be
 * cut from the left when the whole does not fit the context. head ends in a newline, so
 * the two tokenize the same apart as together.
 */
export function continuePromptParts(input: ContinueInput): { head: string; body: string } {
  const memory = input.memory?.trim() ?? '';
  const note = input.authorsNote ? collapse(input.authorsNote) : '';
  let body = input.before.replace(/[ \t]+$/, '');
  if (note) {
    const lines = body.split('\n');
    const at = Math.max(0, lines.length - AUTHORS_NOTE_DEPTH_LINES);
    lines.splice(at, 0, `[ Author's note: ${note} ]`);
    body = lines.join('\n');
  }
  return { head: memory ? `${memory}\n***\n` : '', body };
}

/** What to insert at the cursor: drops the model's leading space when the text already ends in white space. */
export function continuationAfter(before: string, generated: string): string {
  return /\s$/.test(before) ? generated.replace(/^[ \t]+/, '') : generated;
}

const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'prof', 'sr', 'jr', 'vs', 'etc', 'e.g', 'i.e', 'no', 'mt', 'ft', 'inc', 'ltd', 'co']);
// A sentence end: terminal punctuation, then any closing quotes/brackets, then white space or the end.
const SENTENCE_END = /[.!?…]+["'”’)\]]*(?=\s|$)/g;

function isAbbreviation(text: string, dotAt: number): boolean {
  if (text[dotAt] !== '.') return false;
  const word = /([\p{L}.]+)$/u.exec(text.slice(0, dotAt))?.[1] ?? '';
  // Single capitals are initials ("J. R. R."); listed words are common abbreviations.
  return /^\p{Lu}$/u.test(word) || ABBREVIATIONS.has(word.toLowerCase());
}

/**
 * Cuts a raw continuation to a clean suggestion: at the first paragraph end, or after the
 * first sentence end that follows at least `minWords` words (punctuation and closing quotes
 * kept). Without one it falls back to the last sentence end, then to the last whole word;
 * the final word is kept only when `ended` says the stream finished on its own.
 */
export function trimContinuation(text: string, options: { ended?: boolean; minWords?: number } = {}): string {
  const minWords = options.minWords ?? 3;
  let ended = options.ended ?? false;
  let t = text;
  const eot = t.indexOf('<|endoftext|>');
  if (eot >= 0) {
    t = t.slice(0, eot);
    ended = true;
  }
  const start = t.search(/\S/);
  if (start < 0) return '';
  const newline = t.indexOf('\n', start);
  if (newline >= 0) {
    t = t.slice(0, newline);
    ended = true;
  }
  let lastEnd = -1;
  for (const m of t.matchAll(SENTENCE_END)) {
    if (isAbbreviation(t, m.index)) continue;
    const end = m.index + m[0].length;
    lastEnd = end;
    if ((t.slice(0, end).match(/\S+/g) ?? []).length >= minWords) return t.slice(0, end);
  }
  if (ended) return t.replace(/\s+$/, '');
  if (lastEnd >= 0) return t.slice(0, lastEnd);
  // The stream was cut off: the last word may be incomplete, so keep whole words only.
  const cut = t.replace(/\S+$/, '');
  return cut.replace(/\s+$/, '');
}

export interface OutlineInput {
  topic: string;
  notes?: string;
  shape: OutlineShape;
}

export interface Outline {
  headlines: string[];
  lede: string;
  nutGraf: string;
  sections: { heading: string; note: string }[];
}

/** The text the outline prompt ends with; the model continues after "1.". */
export const OUTLINE_PROMPT_TAIL = 'Headline options:\n1.';

function outlineCase(topic: string, shape: string, notes: string): string {
  return `Topic: ${collapse(topic)}\nShape: ${shape}\nNotes: ${collapse(notes) || 'none'}\n\n`;
}

/** Two worked skeletons (another shape first, the requested shape last, nearest the case), then the case. */
export function buildOutlinePrompt(input: OutlineInput): string {
  const shapes = Object.keys(OUTLINE_EXAMPLES) as OutlineShape[];
  const shape = shapes.includes(input.shape) ? input.shape : 'news';
  const other = shapes[(shapes.indexOf(shape) + 1) % shapes.length];
  const examples = [other, shape].map((s) => {
    const ex = OUTLINE_EXAMPLES[s];
    return `${outlineCase(ex.topic, s, ex.notes)}${ex.skeleton.trim()}\nEND\n\n`;
  });
  return `${examples.join('')}${outlineCase(input.topic, shape, input.notes ?? '')}${OUTLINE_PROMPT_TAIL}`;
}

const LABEL = /^(headline options|headlines|lede|nut ?graf|sections)\s*:\s*(.*)$/i;

/**
 * Reads an outline in the examples' format. Accepts either the whole skeleton or just the
 * model's continuation of OUTLINE_PROMPT_TAIL (whose first line is headline 1). Stops at
 * END or at the start of another example.
 */
export function parseOutline(text: string): Outline {
  const out: Outline = { headlines: [], lede: '', nutGraf: '', sections: [] };
  let part: 'headlines' | 'lede' | 'nutGraf' | 'sections' = 'headlines';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (/^END\b/.test(line)) break;
    if (/^(Topic|Shape|Notes):/.test(line)) {
      // The case's own header when given the whole document; the start of a new example otherwise.
      if (out.headlines.length > 0 || out.sections.length > 0 || out.lede) break;
      continue;
    }
    if (!line) continue;
    const label = LABEL.exec(line);
    if (label) {
      const name = label[1].toLowerCase();
      part = name.startsWith('head') ? 'headlines' : name === 'lede' ? 'lede' : name.startsWith('nut') ? 'nutGraf' : 'sections';
      if (label[2] && (part === 'lede' || part === 'nutGraf')) out[part] = collapse(label[2]);
      continue;
    }
    if (part === 'headlines') {
      const h = collapse(line.replace(/^(\d+[.)]|[-*•])\s*/, '').replace(/^["“](.*)["”]$/, '$1'));
      const isNumbered = /^\d+[.)]/.test(line) || (i === 0 && out.headlines.length === 0);
      if (isNumbered && /\p{L}/u.test(h) && h.length <= 200 && !out.headlines.includes(h)) out.headlines.push(h);
    } else if (part === 'lede' || part === 'nutGraf') {
      out[part] = collapse(`${out[part]} ${line}`);
    } else {
      const heading = /^#{1,3}\s*(.+)$/.exec(line);
      if (heading) {
        // "Heading — note": split at the first dash; "Q: ..." headings keep their colon.
        const [, title = '', note = ''] = /^(.+?)\s*(?:[—–]|\s-\s)\s*(.*)$/.exec(heading[1]) ?? [null, heading[1], ''];
        if (/\p{L}/u.test(title) && out.sections.length < 20) out.sections.push({ heading: collapse(title), note: collapse(note) });
      } else if (out.sections.length > 0) {
        // A loose line under a heading (a bullet, a wrapped note) belongs to that heading's note.
        const last = out.sections[out.sections.length - 1];
        last.note = collapse(`${last.note} ${line.replace(/^[-*•]\s*/, '')}`);
      }
    }
  }
  return out;
}

export interface IdeasInput {
  premise: string;
  genre?: string;
  characters?: string;
  /** The chapter being written; its last CHAPTER_TAIL_CHARS characters are quoted. */
  chapter?: string;
  kind: IdeasKind;
}

const IDEAS_LABEL: Record<IdeasKind, string> = {
  ideas: 'Story ideas',
  twists: 'Plot twists',
  next: 'What could happen next',
};

/** The end of a chapter, starting at a sentence or paragraph boundary when one is near. */
function chapterTail(chapter: string): string {
  const c = chapter.trim();
  if (c.length <= CHAPTER_TAIL_CHARS) return c;
  const tail = c.slice(-CHAPTER_TAIL_CHARS);
  const boundary = /[.!?]["'”’]?\s+(?=\S)/.exec(tail);
  return boundary && boundary.index < 300 ? tail.slice(boundary.index + boundary[0].length) : tail;
}

function ideasCase(input: { premise: string; genre?: string; characters?: string; chapter?: string }, kind: IdeasKind): string {
  const lines = [`Premise: ${collapse(input.premise)}`];
  if (input.genre?.trim()) lines.push(`Genre: ${collapse(input.genre)}`);
  if (input.characters?.trim()) lines.push(`Characters: ${collapse(input.characters)}`);
  if (input.chapter?.trim()) lines.push(`The chapter so far ends: "${collapse(chapterTail(input.chapter))}"`);
  return `${lines.join('\n')}\n${IDEAS_LABEL[kind]}:\n`;
}

/** A worked example of the same kind, then the writer's case ending in "1." for the model to continue. */
export function buildIdeasPrompt(input: IdeasInput): string {
  const kind: IdeasKind = input.kind in IDEAS_LABEL ? input.kind : 'ideas';
  const ex = IDEAS_EXAMPLES[kind];
  const example = `${ideasCase(ex, kind)}${ex.items.map((item, i) => `${i + 1}. ${item}`).join('\n')}\nEND\n\n`;
  return `${example}${ideasCase(input, kind)}1.`;
}

function normalizeIdea(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, '').replace(/\s+/g, ' ').trim();
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let both = 0;
  for (const w of a) if (b.has(w)) both++;
  return both / (a.size + b.size - both || 1);
}

/** An idea worth showing: at least four words, mostly letters, not a label or a stray heading. */
function isFragment(idea: string): boolean {
  const words = idea.match(/\p{L}[\p{L}\p{N}'’-]*/gu) ?? [];
  return words.length < 4 || idea.length < 16 || /^(premise|genre|characters|end)\b/i.test(idea);
}

/**
 * Reads up to `n` ideas from a numbered (or bulleted) list, as generated after "1.".
 * Continuation lines join their item; duplicates are dropped (case and punctuation
 * ignored, and near-duplicates whose word sets overlap by Jaccard > 0.8), and so are
 * fragments and a last item cut off mid-sentence.
 */
export function parseIdeas(text: string, n: number): string[] {
  const items: string[] = [];
  const lines = text.replace(/<\|endoftext\|>[\s\S]*$/, '').split(/\r?\n/);
  let current: string | null = null;
  let complete = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (/^(END\b|Premise:|Story ideas:|Plot twists:|What could happen next:)/.test(line)) break;
    const item = /^(?:\d+[.)]|[-*•])\s*(.*)$/.exec(line);
    if (item || (i === 0 && line)) {
      if (current !== null) items.push(current);
      current = item ? item[1] : line;
    } else if (!line) {
      if (current !== null) items.push(current);
      current = null;
    } else if (current !== null) {
      current += ` ${line}`;
    }
  }
  if (current !== null) {
    items.push(current);
    // An unfinished last line (no newline after it, no closing punctuation) was cut by the token limit.
    complete = /\n\s*$/.test(text) || /[.!?…"'”’)]$/.test(current.trim());
  }
  if (!complete) items.pop();
  const kept: { text: string; key: string; words: Set<string> }[] = [];
  for (const raw of items) {
    const idea = collapse(raw.replace(/\*\*/g, '').replace(/^["“](.*)["”]$/, '$1'));
    if (isFragment(idea)) continue;
    const key = normalizeIdea(idea);
    const words = new Set(key.split(' '));
    if (kept.some((k) => k.key === key || jaccard(k.words, words) > 0.8)) continue;
    kept.push({ text: idea, key, words });
    if (kept.length >= n) break;
  }
  return kept.map((k) => k.text);
}

/** Worked examples for the outline prompt, one per shape, in the format parseOutline reads. */
const OUTLINE_EXAMPLES: Record<OutlineShape, { topic: string; notes: string; skeleton: string }> = {
  news: {
    topic: 'Riverside council votes to close the Elm Street library branch',
    notes: 'vote was 5-2 on Tuesday; branch opened in 1962; closure saves $340,000 a year; closes in March',
    skeleton: `Headline options:
1. Council votes to close Elm Street library after 60 years
2. Elm Street branch will shut in March as Riverside cuts costs
3. Library closure passes 5-2 over east-side objections
Lede: Riverside's city council voted 5-2 on Tuesday to close the Elm Street library branch in March, ending six decades of service on the east side to save $340,000 a year.
Nut graf: The closure is the largest cut in this year's budget and leaves east-side residents without a library in walking distance, a loss opponents say will fall hardest on children and older readers.
Sections:
## The vote — who voted which way and why [quote needed]
## Sixty years on Elm Street — the branch's history and who uses it
## What residents lose — distances, programs, the nearest branch [quote needed]
## What happens next — the March date, the building, any appeal`,
  },
  feature: {
    topic: 'A retired welder who fixes bicycles for free in his garage',
    notes: 'Walt Okafor, 71; has fixed about 2,000 bikes since 2015; parts come from donations',
    skeleton: `Headline options:
1. The garage where no bike is beyond saving
2. Walt Okafor's second career: 2,000 bicycles and counting
Lede: By seven most mornings the door of Walt Okafor's garage is up, a line of bent wheels leans against the fence, and the man who spent forty years welding ship hulls is truing a child's front rim by hand.
Nut graf: Since 2015 Okafor has repaired about 2,000 bicycles for free, and his garage has quietly become the repair shop, parts library and meeting place for a neighborhood where a bike is often the only way to get to work.
Sections:
## A morning in the garage — the scene, the regulars [quote needed]
## From ship hulls to spokes — how the welder became a mechanic
## Who comes, and why — riders who depend on him [quote needed]
## What keeps it going — donated parts, the neighbors who help
## The ending — what Okafor says about stopping [quote needed]`,
  },
  explainer: {
    topic: 'Why egg prices doubled this year',
    notes: 'bird flu outbreaks; fewer laying hens; feed and fuel costs',
    skeleton: `Headline options:
1. Why eggs cost twice as much as last year
2. Bird flu, feed and fuel: the egg price spike, explained
Lede: A dozen eggs costs about twice what it did a year ago, and most of the reason fits in one phrase: there are millions fewer hens.
Nut graf: Bird flu outbreaks forced farms to cull flocks faster than they could be rebuilt, while feed and fuel grew more expensive, so a food most households buy every week became a visible measure of inflation.
Sections:
## How many hens were lost — the outbreaks in numbers
## Why flocks take so long to rebuild — from chick to laying hen
## The other costs — feed, fuel, packaging
## When prices might fall — what producers expect [quote needed]`,
  },
  interview: {
    topic: 'A first-time novelist who wrote her book on her phone',
    notes: 'Dana Reyes; wrote on the bus to work over three years; debut novel out in May',
    skeleton: `Headline options:
1. Dana Reyes wrote her first novel one bus ride at a time
2. "The bus was my office": a debut novelist on writing by phone
Lede: Dana Reyes wrote her debut novel in the notes app of her phone, forty minutes at a time, on the bus to and from work.
Nut graf: Three years and roughly 1,500 rides later, the book is out in May, and Reyes talked about routine, doubt and why small screens suited her.
Sections:
## Introduction — who she is, the book in one line
## Q: Why write on a phone? — the commute, the habit [quote needed]
## Q: How did you revise? — moving from phone to laptop
## Q: What would you tell other writers? [quote needed]`,
  },
};

/** Worked examples for the ideas prompt, one per kind. */
const IDEAS_EXAMPLES: Record<IdeasKind, { premise: string; genre?: string; characters?: string; chapter?: string; items: string[] }> = {
  ideas: {
    premise: 'A lighthouse keeper finds letters addressed to her, written by someone who died a century ago.',
    genre: 'gothic mystery',
    items: [
      'The letters answer questions she has only asked aloud, alone in the lamp room.',
      'A historian arrives to study the lighthouse and recognizes the handwriting as her own great-grandmother\'s.',
      'Each letter predicts a shipwreck, and the next one names a date three days away.',
    ],
  },
  twists: {
    premise: 'A detective hunts a thief who steals only paintings of the sea.',
    genre: 'crime',
    characters: 'Inspector Mara Voss; the museum curator Felix Brandt',
    items: [
      'The thief is returning forgeries: the stolen paintings were fakes the curator hung years ago.',
      'Mara realizes every stolen painting shows the same stretch of coast where her father vanished.',
      'Felix has been hiring the thief to draw attention away from his own sales to a private collector.',
    ],
  },
  next: {
    premise: 'Two estranged brothers drive their mother\'s ashes across the country.',
    characters: 'Owen, the careful older brother; Leo, who left home at seventeen',
    chapter: 'The car died outside a town neither of them could pronounce. Leo got out, kicked the tire, and laughed for the first time in two days.',
    items: [
      'A mechanic in town knew their mother when she was young and tells them a story neither has heard.',
      'Owen finds Leo\'s return ticket in the glovebox, dated for tomorrow.',
      'While they wait for a part, the brothers scatter a little of the ashes at a roadside lake she once painted.',
    ],
  },
};
