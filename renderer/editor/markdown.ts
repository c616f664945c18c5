/**
 * Documents are Markdown on disk; the editor holds Lexical nodes. This file
 * is the one place that decides which nodes and Markdown transformers the
 * editor knows, so the editor, the shortcuts and the converters never drift
 * apart. The `$` functions must run inside editor.update / editorState.read.
 */
import { CodeHighlightNode, CodeNode } from '@lexical/code';
import { LinkNode } from '@lexical/link';
import { ListItemNode, ListNode } from '@lexical/list';
import { $convertFromMarkdownString, $convertToMarkdownString, TRANSFORMERS } from '@lexical/markdown';
import { HeadingNode, QuoteNode } from '@lexical/rich-text';
import { $createRangeSelection, $getRoot, $getSelection, $isRangeSelection, type Klass, type LexicalNode } from 'lexical';

/** Every node type TRANSFORMERS can produce (headings, quotes, lists, code, links). */
export const EDITOR_NODES: Klass<LexicalNode>[] = [HeadingNode, QuoteNode, ListNode, ListItemNode, CodeNode, CodeHighlightNode, LinkNode];

export const MARKDOWN_TRANSFORMERS = TRANSFORMERS;

/** Replaces the whole editor content with `markdown`. */
export function $setMarkdown(markdown: string): void {
  $convertFromMarkdownString(markdown, MARKDOWN_TRANSFORMERS);
}

/** The editor content as Markdown, as it will be stored. */
export function $getMarkdown(): string {
  return $convertToMarkdownString(MARKDOWN_TRANSFORMERS);
}

/**
 * The plain text before the caret (or the end of the selection), which is
 * what a continuation continues. Without a selection: the whole text.
 * Blocks are separated by blank lines, as the root's getTextContent does, so
 * the prompt looks the same wherever the caret is.
 */
export function $textBeforeCaret(): string {
  const root = $getRoot();
  const selection = $getSelection();
  if (!$isRangeSelection(selection)) return root.getTextContent();
  const end = selection.isBackward() ? selection.anchor : selection.focus;
  const node = end.getNode();
  const blocks = root.getChildren();
  if (node.is(root)) {
    return blocks.slice(0, end.offset).map((b) => b.getTextContent()).join('\n\n');
  }
  const top = node.getTopLevelElementOrThrow();
  const before = blocks.slice(0, top.getIndexWithinParent()).map((b) => b.getTextContent());
  const range = $createRangeSelection();
  range.anchor.set(top.getKey(), 0, 'element');
  range.focus.set(end.key, end.offset, end.type);
  return [...before, range.getTextContent()].join('\n\n');
}
