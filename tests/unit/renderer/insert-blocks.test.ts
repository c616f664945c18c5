import { createEmptyHistoryState, registerHistory } from '@lexical/history';
import { $getRoot, $isElementNode, createEditor, type LexicalEditor } from 'lexical';
import { expect, test } from 'vitest';
import { insertBlocks } from '../../../renderer/editor/insert-blocks';
import { $getMarkdown, $setMarkdown, EDITOR_NODES } from '../../../renderer/editor/markdown';

function editorWith(markdown: string): LexicalEditor {
  const editor = createEditor({ namespace: 't', nodes: EDITOR_NODES, onError: (e) => { throw e; } });
  registerHistory(editor, createEmptyHistoryState(), 60_000);
  editor.update(() => $setMarkdown(markdown), { discrete: true });
  return editor;
}

const markdown = (editor: LexicalEditor) => editor.getEditorState().read($getMarkdown);
const blocks = [
  { type: 'h1' as const, text: 'Night library opens' },
  { type: 'p' as const, text: 'The lede.' },
  { type: 'h2' as const, text: 'Who uses it' },
];

test('without a caret, blocks go to the end as headings and paragraphs', () => {
  const editor = editorWith('First paragraph.');
  insertBlocks(editor, blocks);
  expect(markdown(editor)).toBe('First paragraph.\n\n# Night library opens\n\nThe lede.\n\n## Who uses it');
});

test('after the block holding the caret; an empty block there is replaced', () => {
  const editor = editorWith('One.\n\nTwo.');
  editor.update(() => {
    const first = $getRoot().getFirstChild();
    if ($isElementNode(first)) first.selectEnd();
  }, { discrete: true });
  insertBlocks(editor, [{ type: 'p', text: 'Inserted.' }]);
  expect(markdown(editor)).toBe('One.\n\nInserted.\n\nTwo.');

  const empty = editorWith('');
  empty.update(() => $getRoot().selectEnd(), { discrete: true });
  insertBlocks(empty, blocks);
  expect(markdown(empty)).toBe('# Night library opens\n\nThe lede.\n\n## Who uses it');
});
// The one-undo-step property is checked in the browser (tests/e2e/panels.spec.ts, Ideas: Insert then undo).
