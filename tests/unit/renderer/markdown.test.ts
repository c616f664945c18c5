import { createEditor, $getRoot, $createRangeSelection, $setSelection, $isElementNode, type LexicalEditor } from 'lexical';
import { describe, expect, test } from 'vitest';
import { $getMarkdown, $setMarkdown, $textBeforeCaret, EDITOR_NODES } from '../../../renderer/editor/markdown';

function headless(): LexicalEditor {
  return createEditor({ namespace: 'test', nodes: EDITOR_NODES, onError: (e) => { throw e; } });
}

function roundTrip(md: string): string {
  const editor = headless();
  editor.update(() => $setMarkdown(md), { discrete: true });
  return editor.getEditorState().read(() => $getMarkdown());
}

describe('Markdown round trip through the editor', () => {
  test.for([
    '# Title',
    '## Second level',
    'Plain paragraph.',
    '# Title\n\nFirst paragraph.\n\nSecond paragraph.',
    '- one\n- two\n- three',
    '1. first\n2. second',
    '> a quote',
    '**bold** and *italic* and ***both***',
    '`code` inline',
    '[a link](https://example.org)',
    '```\nconst x = 1;\n```',
  ])('%j survives load and save', (md) => {
    expect(roundTrip(md)).toBe(md);
  });

  test('an empty document stays empty', () => {
    expect(roundTrip('')).toBe('');
  });

  test('headings, lists and quotes become their own nodes', () => {
    const editor = headless();
    editor.update(() => $setMarkdown('# T\n\n- a\n\n> q\n\np'), { discrete: true });
    const types = editor.getEditorState().read(() => $getRoot().getChildren().map((n) => n.getType()));
    expect(types).toEqual(['heading', 'list', 'quote', 'paragraph']);
  });
});

describe('$textBeforeCaret', () => {
  test('without a selection it is the whole text', () => {
    const editor = headless();
    editor.update(() => $setMarkdown('# Title\n\nOne two.'), { discrete: true });
    expect(editor.getEditorState().read(() => $textBeforeCaret())).toBe('Title\n\nOne two.');
  });

  test('with a caret mid-paragraph it stops at the caret', () => {
    const editor = headless();
    editor.update(
      () => {
        $setMarkdown('# Title\n\nOne two three.\n\nLater text.');
        const para = $getRoot().getChildAtIndex(1);
        if (!$isElementNode(para)) throw new Error('expected a paragraph');
        const text = para.getFirstDescendant();
        if (text === null) throw new Error('expected text');
        const sel = $createRangeSelection();
        sel.anchor.set(text.getKey(), 7, 'text');
        sel.focus.set(text.getKey(), 7, 'text');
        $setSelection(sel);
      },
      { discrete: true },
    );
    expect(editor.getEditorState().read(() => $textBeforeCaret())).toBe('Title\n\nOne two');
  });
});

describe('$textBeforeCaret at block boundaries', () => {
  test('a caret at the start of the second block gives the first block and the separator', () => {
    const editor = headless();
    editor.update(
      () => {
        $setMarkdown('First.\n\nSecond.');
        const second = $getRoot().getChildAtIndex(1);
        if (!$isElementNode(second)) throw new Error('expected a paragraph');
        second.selectStart();
      },
      { discrete: true },
    );
    expect(editor.getEditorState().read(() => $textBeforeCaret())).toBe('First.\n\n');
  });

  test('a caret at the end matches the whole text', () => {
    const editor = headless();
    editor.update(
      () => {
        $setMarkdown('# T\n\n- a\n- b\n\nEnd.');
        const last = $getRoot().getLastChild();
        if (!$isElementNode(last)) throw new Error('expected a paragraph');
        last.selectEnd();
      },
      { discrete: true },
    );
    const [before, whole] = editor.getEditorState().read(() => [$textBeforeCaret(), $getRoot().getTextContent()]);
    expect(before).toBe(whole);
  });
});
