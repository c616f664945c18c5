import { describe, expect, test } from 'vitest';
import { buildContinuePrompt } from '../../../main/engine/tasks';
import { mergeIdeas, togglePin } from '../../../renderer/ideas';
import { EMPTY_OUTLINE, isEmptyOutline, mergePart, outlineBlocks } from '../../../renderer/outline';
import { previewPrompt } from '../../../renderer/prompt-preview';

const outline = {
  headlines: ['Council closes library', 'Elm Street branch to shut'],
  lede: 'The council voted.',
  nutGraf: 'It matters.',
  sections: [
    { heading: 'The vote', note: 'who voted which way [quote needed]' },
    { heading: 'What next', note: '' },
  ],
};

describe('outline', () => {
  test('blocks: chosen headline, lede, nut graf, then headings with notes and the quote placeholder', () => {
    expect(outlineBlocks(outline, 1)).toEqual([
      { type: 'h1', text: 'Elm Street branch to shut' },
      { type: 'p', text: 'The council voted.' },
      { type: 'p', text: 'It matters.' },
      { type: 'h2', text: 'The vote' },
      { type: 'p', text: 'who voted which way [quote needed]' },
      { type: 'h2', text: 'What next' },
    ]);
  });

  test('regenerating one part keeps the others; an empty fresh part keeps the old one', () => {
    const fresh = { ...EMPTY_OUTLINE, lede: 'A new lede.' };
    expect(mergePart(outline, fresh, 'lede')).toEqual({ outline: { ...outline, lede: 'A new lede.' }, changed: true });
    expect(mergePart(outline, fresh, 'sections')).toEqual({ outline, changed: false });
  });

  test('an outline with nothing parsed is empty', () => {
    expect(isEmptyOutline(EMPTY_OUTLINE)).toBe(true);
    expect(isEmptyOutline({ ...EMPTY_OUTLINE, lede: 'x' })).toBe(false);
  });
});

describe('ideas', () => {
  test('pinned cards stay first; duplicates (case and punctuation aside) are dropped', () => {
    let cards = mergeIdeas([], ['A storm hits.', 'The ship sinks!']);
    cards = togglePin(cards, cards[1].id);
    const next = mergeIdeas(cards, ['the ship sinks', 'A whale sings.', 'A whale sings']);
    expect(next.map((c) => [c.text, c.pinned])).toEqual([
      ['The ship sinks!', true],
      ['A whale sings.', false],
    ]);
  });
});

describe('context inspector', () => {
  test.for([
    ['', '', 'Once upon a time '],
    ['Mara keeps the light.', '', 'Once upon a time'],
    ['Mara keeps the light.', 'short   sentences', 'One.\nTwo.\nThree.\nFour.\nFive'],
    ['', 'dark', 'One line'],
  ] as const)('the preview equals the engine prompt (memory %j, note %j)', ([memory, note, before]) => {
    expect(previewPrompt(memory, note, before).prompt).toBe(buildContinuePrompt({ before, memory, authorsNote: note }));
  });
});
