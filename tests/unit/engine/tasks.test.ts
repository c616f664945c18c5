import { describe, expect, test } from 'vitest';
import {
  AUTHORS_NOTE_DEPTH_LINES,
  buildContinuePrompt,
  buildIdeasPrompt,
  buildOutlinePrompt,
  CHAPTER_TAIL_CHARS,
  continuationAfter,
  OUTLINE_PROMPT_TAIL,
  parseIdeas,
  parseOutline,
  trimContinuation,
} from '../../../main/engine/tasks';
import { createRng } from '../../../main/engine/rng';

/** Seeded garbage: random printable and control characters, newlines and digits. */
function garbage(seed: number, length: number): string {
  const rng = createRng(seed);
  const alphabet = 'abc XYZ 123 .,:;!?—-#*\n\n\t"“”\'1.2)END Lede: ## \u0000\ud800🙂';
  return Array.from({ length }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
}

describe('buildContinuePrompt', () => {
  test('memory first, then the text; trailing spaces dropped', () => {
    expect(buildContinuePrompt({ before: 'She ran ', memory: '  Anna is a pilot.\n' })).toBe('Anna is a pilot.\n***\nShe ran');
    expect(buildContinuePrompt({ before: 'She ran\t ' })).toBe('She ran');
    expect(buildContinuePrompt({ before: 'Line.\n' })).toBe('Line.\n');
  });

  test(`author's note goes ${AUTHORS_NOTE_DEPTH_LINES} lines before the end`, () => {
    const p = buildContinuePrompt({ before: 'a\nb\nc\nd\ne', authorsNote: ' Dark,\n tense. ' });
    expect(p).toBe("a\nb\n[ Author's note: Dark, tense. ]\nc\nd\ne");
    expect(buildContinuePrompt({ before: 'only line', authorsNote: 'x' })).toBe("[ Author's note: x ]\nonly line");
  });

  test('growing the text keeps the prompt prefix (memory first) stable', () => {
    const a = buildContinuePrompt({ before: 'One.\nTwo.\nThree.\nFour', memory: 'M', authorsNote: 'N' });
    const b = buildContinuePrompt({ before: 'One.\nTwo.\nThree.\nFour and more', memory: 'M', authorsNote: 'N' });
    expect(b.startsWith(a)).toBe(true);
  });

  test('continuationAfter drops the leading space only when the text already ends in white space', () => {
    expect(continuationAfter('She ran ', ' home.')).toBe('home.');
    expect(continuationAfter('She ran', ' home.')).toBe(' home.');
    expect(continuationAfter('She ran\n', '\tHome.')).toBe('Home.');
  });
});

describe('trimContinuation', () => {
  const cases: { name: string; text: string; ended?: boolean; want: string }[] = [
    { name: 'first sentence end after three words', text: ' and then she left. The door shut behind', want: ' and then she left.' },
    { name: 'keeps closing quotes', text: ' "Go home now," he said. "Now!" She went', want: ' "Go home now," he said.' },
    { name: 'question and exclamation', text: ' what would you even do there? Nothing', want: ' what would you even do there?' },
    { name: 'too-short sentence is skipped for the next one', text: ' home. Then she slept for hours. Later', want: ' home. Then she slept for hours.' },
    { name: 'abbreviations are not sentence ends', text: ' to see Dr. Patel at St. Mary in town. And', want: ' to see Dr. Patel at St. Mary in town.' },
    { name: 'initials are not sentence ends', text: ' a book by J. R. R. Tolkien on the shelf. Also', want: ' a book by J. R. R. Tolkien on the shelf.' },
    { name: 'decimals are not sentence ends', text: ' it cost 3.50 dollars in total. Then', want: ' it cost 3.50 dollars in total.' },
    { name: 'paragraph end cuts', text: ' and that was all\n\nChapter Two', want: ' and that was all' },
    { name: 'leading newline keeps the new paragraph', text: '\nThe next morning was cold. She', want: '\nThe next morning was cold.' },
    { name: 'no sentence end: drop the partial last word', text: ' the long road wound on and on towa', want: ' the long road wound on and on' },
    { name: 'no sentence end but the stream ended: keep all', text: ' the long road wound on ', ended: true, want: ' the long road wound on' },
    { name: 'only a short sentence then a cut word: keep the sentence', text: ' home. And the', want: ' home.' },
    { name: 'ellipsis', text: ' she waited and waited… Nothing came', want: ' she waited and waited…' },
    { name: 'end of text token', text: ' the end<|endoftext|>Another document', want: ' the end' },
    { name: 'empty', text: '', want: '' },
    { name: 'white space only', text: '  \n ', want: '' },
    { name: 'a single partial word', text: ' wor', want: '' },
  ];
  test.for(cases)('$name', ({ text, ended, want }) => {
    expect(trimContinuation(text, { ended })).toBe(want);
  });

  test('never throws on garbage and returns a prefix of the input', () => {
    for (let seed = 0; seed < 200; seed++) {
      const g = garbage(seed, 120);
      const out = trimContinuation(g);
      expect(g.startsWith(out)).toBe(true);
    }
  });
});

const REALISTIC_OUTLINE = ` Bridge opens after three years and $2 million
2. "Finally": River crossing opens to traffic
3) New bridge links north and south sides
Lede: The Fourth Street bridge opened to traffic on Monday, three years and $2 million after the old span was closed as unsafe.
Nut graf: For commuters the opening ends
a 20-minute detour; for the city it closes a project that ran a year late.
Sections:
## The opening — the ribbon cutting, the first cars [quote needed]
## Three years of detours – what closing the old bridge cost businesses
## How it was paid for - the state grant and the city's share
## Q: What comes next? [quote needed]
- the bike lane still unfinished
END

Topic: Something else entirely
Headline options:
1. Should not appear`;

describe('parseOutline', () => {
  test('reads a realistic continuation of the prompt', () => {
    const o = parseOutline(REALISTIC_OUTLINE);
    expect(o.headlines).toEqual(['Bridge opens after three years and $2 million', '"Finally": River crossing opens to traffic', 'New bridge links north and south sides']);
    expect(o.lede).toMatch(/^The Fourth Street bridge opened .* unsafe\.$/);
    expect(o.nutGraf).toBe('For commuters the opening ends a 20-minute detour; for the city it closes a project that ran a year late.');
    expect(o.sections).toEqual([
      { heading: 'The opening', note: 'the ribbon cutting, the first cars [quote needed]' },
      { heading: 'Three years of detours', note: "what closing the old bridge cost businesses" },
      { heading: 'How it was paid for', note: "the state grant and the city's share" },
      { heading: 'Q: What comes next? [quote needed]', note: 'the bike lane still unfinished' },
    ]);
  });

  test('reads a whole skeleton with its tail, as built by the prompt', () => {
    const prompt = buildOutlinePrompt({ topic: 'T', shape: 'news' });
    const o = parseOutline(`${OUTLINE_PROMPT_TAIL} A headline here\n2. Another one\nLede: L.\nSections:\n## S — n`);
    expect(prompt.endsWith(OUTLINE_PROMPT_TAIL)).toBe(true);
    expect(o).toEqual({ headlines: ['A headline here', 'Another one'], lede: 'L.', nutGraf: '', sections: [{ heading: 'S', note: 'n' }] });
  });

  test('a cut-off output keeps what it has', () => {
    const o = parseOutline(' First headline\n2. Second\nLede: The council vot');
    expect(o.headlines).toEqual(['First headline', 'Second']);
    expect(o.lede).toBe('The council vot');
    expect(o.sections).toEqual([]);
  });

  test.for([
    { name: 'empty', text: '' },
    { name: 'only END', text: 'END' },
    { name: 'prose with no format', text: 'The mayor said nothing about it and left.\nThen it rained.' },
    { name: 'numbers only', text: '1.\n2.\n3.\n## \n##' },
  ])('drops what does not parse: $name', ({ text }) => {
    const o = parseOutline(text);
    expect(o.sections).toEqual([]);
    expect(o.headlines.every((h) => /\p{L}/u.test(h))).toBe(true);
  });

  test('never throws on garbage', () => {
    for (let seed = 0; seed < 200; seed++) {
      const o = parseOutline(garbage(seed, 300));
      expect(Array.isArray(o.headlines) && Array.isArray(o.sections)).toBe(true);
      expect(typeof o.lede).toBe('string');
    }
  });
});

describe('buildOutlinePrompt', () => {
  test.for(['news', 'feature', 'explainer', 'interview'] as const)('%s: two worked examples, the requested shape last, then the case', (shape) => {
    const p = buildOutlinePrompt({ topic: '  Bridge\nopens ', notes: 'cost $2m', shape });
    expect(p.match(/^END$/gm)).toHaveLength(2);
    expect(p.match(/^Shape: .*$/gm)?.slice(1)).toEqual([`Shape: ${shape}`, `Shape: ${shape}`]);
    expect(p.endsWith(`Topic: Bridge opens\nShape: ${shape}\nNotes: cost $2m\n\n${OUTLINE_PROMPT_TAIL}`)).toBe(true);
    // The examples themselves parse back into complete outlines.
    for (const block of p.split('\nEND\n').slice(0, 2)) {
      const o = parseOutline(block.slice(block.indexOf('Headline options:')));
      expect(o.headlines.length).toBeGreaterThanOrEqual(2);
      expect(o.lede).not.toBe('');
      expect(o.nutGraf).not.toBe('');
      expect(o.sections.length).toBeGreaterThanOrEqual(4);
    }
  });

  test('missing notes say none', () => {
    expect(buildOutlinePrompt({ topic: 'X', shape: 'news' })).toContain('Topic: X\nShape: news\nNotes: none\n');
  });
});

describe('buildIdeasPrompt', () => {
  test.for([
    { kind: 'ideas' as const, label: 'Story ideas:' },
    { kind: 'twists' as const, label: 'Plot twists:' },
    { kind: 'next' as const, label: 'What could happen next:' },
  ])('$kind: an example of the same kind, then the case ending in "1."', ({ kind, label }) => {
    const p = buildIdeasPrompt({ premise: 'A girl finds a door.', genre: 'fantasy', characters: 'Mia', kind });
    expect(p.split(label)).toHaveLength(3);
    expect(p.endsWith(`Premise: A girl finds a door.\nGenre: fantasy\nCharacters: Mia\n${label}\n1.`)).toBe(true);
    expect(parseIdeas(p.slice(p.indexOf(label) + label.length), 5)).toHaveLength(3);
  });

  test('quotes only the end of a long chapter, from a sentence start', () => {
    const chapter = 'Long ago it began. '.repeat(200) + 'She opened the door.';
    const p = buildIdeasPrompt({ premise: 'P', chapter, kind: 'next' });
    const quoted = /The chapter so far ends: "(.*)"\n/.exec(p.slice(p.lastIndexOf('Premise: P')))?.[1] ?? '';
    expect(quoted.length).toBeLessThanOrEqual(CHAPTER_TAIL_CHARS);
    expect(quoted.startsWith('Long ago')).toBe(true);
    expect(quoted.endsWith('She opened the door.')).toBe(true);
  });
});

describe('parseIdeas', () => {
  const cases: { name: string; text: string; n: number; want: string[] }[] = [
    {
      name: 'a realistic continuation after "1."',
      text: ' The door leads to the house she grew up in, but a year before she was born.\n2. Her brother has been using the door for years and never told her.\n3) A stranger on the other side knows her name.\nEND\n',
      n: 5,
      want: ['The door leads to the house she grew up in, but a year before she was born.', 'Her brother has been using the door for years and never told her.', 'A stranger on the other side knows her name.'],
    },
    {
      name: 'stops at n',
      text: ' First idea is a good one here.\n2. Second idea is another good one.\n3. Third idea is yet another.\n',
      n: 2,
      want: ['First idea is a good one here.', 'Second idea is another good one.'],
    },
    {
      name: 'exact and near duplicates dropped',
      text: ' The mayor is secretly the thief.\n2. the Mayor is secretly the THIEF!\n3. The mayor is secretly the real thief.\n4. A dog finds the missing key.\n',
      n: 5,
      want: ['The mayor is secretly the thief.', 'A dog finds the missing key.'],
    },
    {
      name: 'fragments dropped',
      text: ' Yes.\n2. ???\n3. The ship was never lost at all.\n4. 1234 5678\n5.\n',
      n: 5,
      want: ['The ship was never lost at all.'],
    },
    {
      name: 'wrapped lines join their item; bullets and bold accepted',
      text: ' The storm\nwashes the bridge away overnight.\n- **Her letters** were never sent by her at all.\n',
      n: 5,
      want: ['The storm washes the bridge away overnight.', 'Her letters were never sent by her at all.'],
    },
    {
      name: 'a last item cut mid-sentence is dropped',
      text: ' The lighthouse was never automated at all.\n2. Her sister arrives with a box of',
      n: 5,
      want: ['The lighthouse was never automated at all.'],
    },
    {
      name: 'stops at the start of another example',
      text: ' A thief returns every painting she steals.\n\nPremise: Something else\nStory ideas:\n1. Should not appear in the list.\n',
      n: 5,
      want: ['A thief returns every painting she steals.'],
    },
    { name: 'empty', text: '', n: 3, want: [] },
    { name: 'prose only', text: 'It was a dark and stormy night and', n: 3, want: [] },
  ];
  test.for(cases)('$name', ({ text, n, want }) => {
    expect(parseIdeas(text, n)).toEqual(want);
  });

  test('never throws on garbage and returns at most n items', () => {
    for (let seed = 0; seed < 200; seed++) {
      expect(parseIdeas(garbage(seed, 300), 3).length).toBeLessThanOrEqual(3);
    }
  });
});
