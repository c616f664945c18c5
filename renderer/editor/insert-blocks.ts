/**
 * Inserting structured results (an outline skeleton, an idea) as real
 * blocks: headings and paragraphs after the block the caret was in, or at the
 * end of the document. One update tagged HISTORY_PUSH_TAG, so one undo step.
 */
import { $createHeadingNode } from '@lexical/rich-text';
import {
  $createParagraphNode,
  $getNodeByKey,
  $getRoot,
  $getSelection,
  $isRangeSelection,
  HISTORY_PUSH_TAG,
  type ElementNode,
  type LexicalEditor,
  type LexicalNode,
} from 'lexical';
import { $createAiTextNode } from './provenance';

export interface Block {
  type: 'h1' | 'h2' | 'h3' | 'p';
  text: string;
}

function $blockNode(block: Block): ElementNode {
  const node = block.type === 'p' ? $createParagraphNode() : $createHeadingNode(block.type);
  // The model wrote these blocks: their text is marked (./provenance.ts).
  if (block.text !== '') node.append($createAiTextNode(block.text));
  return node;
}

/**
 * Inserts `blocks` after the top-level block holding the caret (or `afterKey`, the block
 * remembered when the writer left the editor for a panel), else at the end. An empty
 * block at the insertion point is replaced rather than left as a stray blank line.
 */
export function $insertBlocks(blocks: readonly Block[], afterKey: string | null): void {
  if (blocks.length === 0) return;
  const root = $getRoot();
  const selection = $getSelection();
  let anchor: LexicalNode | null = null;
  if ($isRangeSelection(selection)) anchor = selection.anchor.getNode().getTopLevelElement();
  if (anchor === null && afterKey !== null) anchor = $getNodeByKey(afterKey)?.getTopLevelElement() ?? null;
  if (anchor === null) anchor = root.getLastChild();
  const nodes = blocks.map($blockNode);
  if (anchor === null) {
    root.append(...nodes);
  } else {
    let at: LexicalNode = anchor;
    for (const node of nodes) at = at.insertAfter(node);
    if (anchor.getTextContent().trim() === '' && root.getChildrenSize() > nodes.length) anchor.remove();
  }
  nodes[nodes.length - 1].selectEnd();
}

export function insertBlocks(editor: LexicalEditor, blocks: readonly Block[], afterKey: string | null = null): void {
  editor.update(() => $insertBlocks(blocks, afterKey), { tag: HISTORY_PUSH_TAG, discrete: true });
}

/** The key of the top-level block holding the caret, to insert after once focus has moved to a panel. */
export function $caretBlockKey(): string | null {
  const selection = $getSelection();
  return $isRangeSelection(selection) ? (selection.anchor.getNode().getTopLevelElement()?.getKey() ?? null) : null;
}
