import { createEmptyHistoryState, registerHistory } from '@lexical/history';
import {
  $createRangeSelection,
  $getRoot,
  $getSelection,
  $isElementNode,
  $isRangeSelection,
  $isTextNode,
  $setSelection,
  createEditor,
  HISTORY_PUSH_TAG,
  UNDO_COMMAND,
  type LexicalEditor,
  type TextNode,
} from 'lexical';
import { describe, expect, test } from 'vitest';
import type { ProvenanceSpan } from '../../../common/contract';
import { AI_CLOSE, AI_OPEN, injectSentinels, reanchor, stripSentinels, validSpans, wrapSpans } from '../../../common/provenance';
import { insertBlocks } from '../../../renderer/editor/insert-blocks';
import { insertContinuation } from '../../../renderer/editor/insert-text';
import { EDITOR_NODES } from '../../../renderer/editor/markdown';
import {
  $getMarkdownWithProvenance,
  $insertAiText,
  $isAiText,
  $setMarkdownWithProvenance,
  typedRange,
} from '../../../renderer/editor/provenance';
import { registerProvenance } from '../../../renderer/editor/ProvenancePlugin';

const span = (text: string, start: number, part: string): ProvenanceSpan => {
  const at = text.indexOf(part, start);
  if (at < 0) throw new Error(`"${part}" not in "${text}"`);
  return { start: at, end: at + part.length, text: part };
};

describe('sentinels', () => {
  test.for([
    ['no marks', 'plain text', 'plain text', []],
    ['one run', `a ${AI_OPEN}b c${AI_CLOSE} d`, 'a b c d', [{ start: 2, end: 5, text: 'b c' }]],
    ['adjacent runs merge', `${AI_OPEN}ab${AI_CLOSE}${AI_OPEN}cd${AI_CLOSE}e`, 'abcde', [{ start: 0, end: 4, text: 'abcd' }]],
    ['empty runs vanish', `x${AI_OPEN}${AI_CLOSE}y`, 'xy', []],
    ['an unclosed run ends with the text', `x${AI_OPEN}yz`, 'xyz', [{ start: 1, end: 3, text: 'yz' }]],
    ['a stray close is dropped', `x${AI_CLOSE}y`, 'xy', []],
    ['a stray close before a run does not shift it', `a${AI_CLOSE}b${AI_OPEN}cd${AI_CLOSE}e`, 'abcde', [{ start: 2, end: 4, text: 'cd' }]],
  ] as const)('%s', ([, marked, text, spans]) => {
    const out = stripSentinels(marked);
    expect(out.text).toBe(text);
    expect(out.spans).toEqual(spans);
  });

  test('inject is the inverse of strip for valid spans', () => {
    const text = '# Title\n\nOnce upon a time there was a **bold** fox.';
    const spans = [span(text, 0, 'a time'), span(text, 0, '**bold** fox')];
    expect(stripSentinels(injectSentinels(text, spans))).toEqual({ text, spans });
  });

  test('spans that do not fit the text are dropped, overlaps too', () => {
    const text = 'abcdef';
    expect(
      validSpans(text, [
        { start: 0, end: 2, text: 'ab' },
        { start: 1, end: 3, text: 'bc' }, // overlaps the first
        { start: 3, end: 5, text: 'XX' }, // wrong characters
        { start: 5, end: 9, text: 'fghi' }, // out of bounds
      ]),
    ).toEqual([{ start: 0, end: 2, text: 'ab' }]);
  });

  test('wrapSpans marks the Markdown for export', () => {
    const text = 'I wrote this. The model wrote this.';
    expect(wrapSpans(text, [span(text, 0, 'The model wrote this.')], '<mark>', '</mark>')).toBe('I wrote this. <mark>The model wrote this.</mark>');
  });
});

describe('reanchor', () => {
  test('spans still in place stay; moved ones follow their text; lost ones are counted', () => {
    const old = 'Intro. Machine one. Middle. Machine two. End.';
    const spans = [span(old, 0, 'Machine one.'), span(old, 0, 'Machine two.'), span(old, 0, 'End.')];
    const edited = 'A new first line.\n\nIntro. Machine one. Middle changed. Machine two. Fin.';
    const out = reanchor(edited, spans);
    expect(out.dropped).toBe(1);
    expect(out.spans.map((s) => edited.slice(s.start, s.end))).toEqual(['Machine one.', 'Machine two.']);
  });

  test('picks the occurrence nearest to the old place, in order and without overlaps', () => {
    const text = 'echo echo echo';
    const out = reanchor(text, [
      { start: 5, end: 9, text: 'echo' },
      { start: 6, end: 10, text: 'echo' },
    ]);
    expect(out.spans.map((s) => s.start)).toEqual([5, 10]);
    expect(out.dropped).toBe(0);
  });
});

describe('typedRange', () => {
  test.for([
    ['typed at the end', 'abc', 'abcX', 4, [3, 4]],
    ['typed in the middle', 'abcdef', 'abcXdef', 4, [3, 4]],
    ['typed a repeat of the next letter', 'abc', 'abbc', 2, [1, 2]],
    ['replaced a selection', 'abcdef', 'abXef', 3, [2, 3]],
    ['deleted', 'abcdef', 'abdef', 2, null],
    ['merged with a sibling, caret at the seam', 'abc', 'abcdef', 3, null],
    ['unchanged', 'abc', 'abc', 1, null],
  ] as const)('%s', ([, prev, next, caret, range]) => {
    expect(typedRange(prev, next, caret)).toEqual(range);
  });
});

function editorFor(markdown: string, spans: ProvenanceSpan[] = []): LexicalEditor {
  const editor = createEditor({ namespace: 't', nodes: EDITOR_NODES, onError: (e) => { throw e; } });
  registerHistory(editor, createEmptyHistoryState(), 60_000);
  registerProvenance(editor);
  editor.update(() => $setMarkdownWithProvenance(markdown, spans), { discrete: true });
  return editor;
}

const saved = (editor: LexicalEditor) => editor.getEditorState().read($getMarkdownWithProvenance);
const aiTexts = (editor: LexicalEditor) =>
  editor.getEditorState().read(() => {
    const out: string[] = [];
    const walk = (n: ReturnType<typeof $getRoot>) => {
      for (const c of n.getChildren()) {
        if ($isAiText(c)) out.push((c as TextNode).getTextContent());
        else if ($isElementNode(c)) walk(c as ReturnType<typeof $getRoot>);
      }
    };
    walk($getRoot());
    return out;
  });

/** Puts the caret in the first text node holding `needle`, `offset` characters into it, and types `typed`. */
function typeAt(editor: LexicalEditor, needle: string, offset: number, typed: string): void {
  editor.update(
    () => {
      const nodes = $getRoot().getAllTextNodes();
      const node = nodes.find((n) => n.getTextContent().includes(needle));
      if (node === undefined) throw new Error(`no text node holds "${needle}"`);
      const at = node.getTextContent().indexOf(needle) + offset;
      const sel = $createRangeSelection();
      sel.anchor.set(node.getKey(), at, 'text');
      sel.focus.set(node.getKey(), at, 'text');
      $setSelection(sel);
    },
    { discrete: true },
  );
  // Each character is its own update, as keystrokes are.
  for (const ch of typed) {
    editor.update(
      () => {
        const selection = $getSelection();
        if ($isRangeSelection(selection)) selection.insertText(ch);
      },
      { discrete: true },
    );
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the editor', () => {
  test('Markdown with spans loads marked and saves back to the same Markdown and spans', () => {
    const md = '# Title\n\nI wrote this. The model wrote **this** part.\n\n- an item by the model';
    const spans = [span(md, 0, 'The model wrote **this** part.'), span(md, 0, 'an item by the model')];
    const editor = editorFor(md, spans);
    expect(saved(editor)).toEqual({ markdown: md, spans });
    expect(aiTexts(editor)).toEqual(['The model wrote ', 'this', ' part.', 'an item by the model']);
  });

  test('accepting ghost text marks exactly it, as one undo step that takes the mark with it', async () => {
    const editor = editorFor('Once upon');
    typeAt(editor, 'Once upon', 9, ' a');
    editor.update(() => void $insertAiText(' time there was'), { tag: HISTORY_PUSH_TAG, discrete: true });
    expect(saved(editor)).toEqual({ markdown: 'Once upon a time there was', spans: [{ start: 11, end: 26, text: ' time there was' }] });
    editor.dispatchCommand(UNDO_COMMAND, undefined);
    await tick();
    expect(saved(editor)).toEqual({ markdown: 'Once upon a', spans: [] });
  });

  test('what the writer types inside or right after a machine run is the writer\'s', () => {
    const md = 'Mine. Machine words here.';
    const editor = editorFor(md, [span(md, 0, 'Machine words here.')]);
    typeAt(editor, 'words', 0, 'good ');
    typeAt(editor, 'here.', 5, ' Me.');
    const out = saved(editor);
    expect(out.markdown).toBe('Mine. Machine good words here. Me.');
    expect(out.spans.map((s) => s.text)).toEqual(['Machine ', 'words here.']);
  });

  test('splitting and joining paragraphs inside a machine run keeps the marks', () => {
    const md = 'Machine one two';
    const editor = editorFor(md, [span(md, 0, 'Machine one two')]);
    typeAt(editor, 'one', 3, '');
    editor.update(
      () => {
        const selection = $getSelection();
        if ($isRangeSelection(selection)) selection.insertParagraph();
      },
      { discrete: true },
    );
    expect(saved(editor)).toEqual({
      markdown: 'Machine one\n\n two',
      spans: [
        { start: 0, end: 11, text: 'Machine one' },
        { start: 13, end: 17, text: ' two' },
      ],
    });
    editor.update(
      () => {
        const selection = $getSelection();
        if ($isRangeSelection(selection)) selection.deleteCharacter(true);
      },
      { discrete: true },
    );
    expect(saved(editor)).toEqual({ markdown: 'Machine one two', spans: [{ start: 0, end: 15, text: 'Machine one two' }] });
  });

  test('deleting inside a machine run keeps the rest marked; bold keeps it marked', () => {
    const md = 'Machine text here';
    const editor = editorFor(md, [span(md, 0, md)]);
    editor.update(
      () => {
        const node = $getRoot().getAllTextNodes()[0];
        const sel = $createRangeSelection();
        sel.anchor.set(node.getKey(), 7, 'text');
        sel.focus.set(node.getKey(), 12, 'text');
        $setSelection(sel);
        sel.removeText();
      },
      { discrete: true },
    );
    expect(saved(editor).spans).toEqual([{ start: 0, end: 12, text: 'Machine here' }]);
    editor.update(
      () => {
        const node = $getRoot().getAllTextNodes()[0];
        const sel = $createRangeSelection();
        sel.anchor.set(node.getKey(), 0, 'text');
        sel.focus.set(node.getKey(), 7, 'text');
        $setSelection(sel);
        sel.formatText('bold');
      },
      { discrete: true },
    );
    expect(saved(editor)).toEqual({ markdown: '**Machine** here', spans: [{ start: 0, end: 16, text: '**Machine** here' }] });
  });

  test('Continue and outline / ideas inserts are marked', () => {
    const editor = editorFor('Start.');
    insertContinuation(editor, ' Line one\nline two', null);
    insertBlocks(editor, [{ type: 'h2', text: 'A heading' }, { type: 'p', text: 'An idea.' }]);
    const out = saved(editor);
    expect(out.spans.map((s) => s.text)).toEqual([' Line one', 'line two', 'A heading', 'An idea.']);
    expect(editor.getEditorState().read(() => $getRoot().getAllTextNodes().filter($isTextNode).length)).toBeGreaterThan(0);
  });
});
