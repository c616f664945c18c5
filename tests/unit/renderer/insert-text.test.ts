import { createEmptyHistoryState, registerHistory } from '@lexical/history';
import { $getRoot, $getSelection, $isElementNode, $isRangeSelection, $setSelection, createEditor, UNDO_COMMAND, type LexicalEditor } from 'lexical';
import { describe, expect, test } from 'vitest';
import { $captureCaret, insertContinuation } from '../../../renderer/editor/insert-text';
import { $setMarkdown, EDITOR_NODES } from '../../../renderer/editor/markdown';

function editorWithHistory(markdown: string): LexicalEditor {
  const editor = createEditor({ namespace: 't', nodes: EDITOR_NODES, onError: (e) => { throw e; } });
  // A long merge window, so that only a real history boundary separates typing from the insertion.
  registerHistory(editor, createEmptyHistoryState(), 60_000);
  editor.update(() => $setMarkdown(markdown), { discrete: true });
  return editor;
}

const text = (editor: LexicalEditor) => editor.getEditorState().read(() => $getRoot().getTextContent());

/** Puts the caret at the end of block `index` and types `typed` there, as a writer would. */
function typeAtEndOf(editor: LexicalEditor, index: number, typed: string): void {
  editor.update(
    () => {
      const block = $getRoot().getChildAtIndex(index);
      if (!$isElementNode(block)) throw new Error(`block ${index} is not an element`);
      block.selectEnd();
      const selection = $getSelection();
      if ($isRangeSelection(selection)) selection.insertText(typed);
    },
    { discrete: true },
  );
}

describe('insertContinuation', () => {
  test('inserts at the caret of the request even after the selection is gone, as one undo step', async () => {
    const editor = editorWithHistory('First paragraph.\n\nOnce upon');
    typeAtEndOf(editor, 0, ' More.');
    typeAtEndOf(editor, 1, ' a');
    const caret = editor.getEditorState().read(() => $captureCaret());
    editor.update(() => $setSelection(null), { discrete: true }); // focus moved to the Insert button
    insertContinuation(editor, ' time there was', caret);
    expect(text(editor)).toBe('First paragraph. More.\n\nOnce upon a time there was');
    editor.dispatchCommand(UNDO_COMMAND, undefined);
    await new Promise((resolve) => setTimeout(resolve, 0)); // a headless editor commits the restored state asynchronously
    expect(text(editor)).toBe('First paragraph. More.\n\nOnce upon a');
  });

  test('right after typing, with the caret still in place, undo removes only the insertion', async () => {
    const editor = editorWithHistory('Once upon');
    // One character at a time, as keystrokes arrive, then a one-character continuation.
    typeAtEndOf(editor, 0, ' ');
    typeAtEndOf(editor, 0, 'a');
    insertContinuation(editor, '.', null);
    expect(text(editor)).toBe('Once upon a.');
    editor.dispatchCommand(UNDO_COMMAND, undefined);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(text(editor)).toBe('Once upon a');
  });

  test('without any caret it appends to the end of the document', () => {
    const editor = editorWithHistory('# Title\n\nLast line');
    insertContinuation(editor, ' continues.', null);
    expect(text(editor)).toBe('Title\n\nLast line continues.');
  });

  test('a saved caret whose node was deleted falls back to the end', () => {
    const editor = editorWithHistory('Keep\n\nGone');
    typeAtEndOf(editor, 1, '!');
    const caret = editor.getEditorState().read(() => $captureCaret());
    editor.update(() => { $getRoot().getChildAtIndex(1)?.remove(); $setSelection(null); }, { discrete: true });
    insertContinuation(editor, ' more', caret);
    expect(text(editor)).toBe('Keep more');
  });

  test('newlines in the continuation become line breaks, not lost text', () => {
    const editor = editorWithHistory('Start');
    insertContinuation(editor, '\nnext line', null);
    expect(text(editor)).toBe('Start\nnext line');
  });
});
