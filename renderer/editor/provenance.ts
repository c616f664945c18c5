/**
 * Provenance in the editor: text nodes the model wrote carry a node state
 * ('inkwell-ai' = true). A state, not a node subclass, because Lexical copies
 * node state when it splits a text node (a paragraph break inside a machine
 * run keeps both halves marked) and merges neighbours only when their states
 * match (machine text never melts into the writer's).
 *
 * The rule for editing: characters the writer types or pastes are the
 * writer's, even inside a machine run. A transform compares a marked node with
 * its previous version and splits what was just inserted at the caret into an
 * unmarked node. Deleting or formatting machine text keeps it marked.
 *
 * To and from Markdown, machine runs travel as the sentinels of
 * common/provenance.ts, so the stored Markdown stays clean and the ranges are
 * offsets into it. The `$` functions must run inside an update or a read.
 */
import { $convertToMarkdownString, type TextMatchTransformer } from '@lexical/markdown';
import {
  $addUpdateTag,
  $createLineBreakNode,
  $createTextNode,
  $getEditor,
  $getRoot,
  $getSelection,
  $getState,
  $hasUpdateTag,
  $isElementNode,
  $isRangeSelection,
  $isTextNode,
  $setState,
  createState,
  type ElementNode,
  type LexicalNode,
  type TextNode,
} from 'lexical';
import type { ProvenanceSpan } from '../../common/contract';
import { AI_CLOSE, AI_OPEN, injectSentinels, stripSentinels } from '../../common/provenance';
import { $setMarkdown, MARKDOWN_TRANSFORMERS } from './markdown';

/** Tags an update that inserts machine text, so the typing rule leaves it marked. */
export const AI_INSERT_TAG = 'inkwell-ai-insert';
/** The class the editor's DOM gets on machine-written text; styles.css underlines it when shown. */
export const AI_TEXT_CLASS = 'ai-text';

export const aiState = createState('inkwell-ai', { parse: (value: unknown) => value === true });

export function $isAiText(node: LexicalNode | null | undefined): node is TextNode {
  return $isTextNode(node) && $getState(node, aiState);
}

export function $setAi(node: TextNode, ai: boolean): TextNode {
  return $setState(node, aiState, ai);
}

/** A text node holding machine-written text. */
export function $createAiTextNode(text: string, format = 0): TextNode {
  const node = $createTextNode(text);
  if (format !== 0) node.setFormat(format);
  return $setAi(node, true);
}

/**
 * Inserts machine text at the range selection as marked nodes (newlines become line
 * breaks) and puts the caret after it. The caller tags the update (HISTORY_PUSH_TAG) so
 * it is one undo step; this adds AI_INSERT_TAG.
 */
export function $insertAiText(text: string): boolean {
  const selection = $getSelection();
  if (!$isRangeSelection(selection) || text === '') return false;
  $addUpdateTag(AI_INSERT_TAG);
  const nodes: LexicalNode[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (i > 0) nodes.push($createLineBreakNode());
    if (line !== '') nodes.push($createAiTextNode(line, selection.format));
  });
  selection.insertNodes(nodes);
  return true;
}

/**
 * The typing rule (a TextNode transform). When a marked node's text grew at the caret
 * since the last committed state, the grown part is the writer's: split it off unmarked.
 */
export function $unmarkTyped(node: TextNode): void {
  if (!$getState(node, aiState) || $hasUpdateTag(AI_INSERT_TAG) || $hasUpdateTag('historic') || node.isComposing()) return;
  const selection = $getSelection();
  if (!$isRangeSelection(selection) || !selection.isCollapsed() || selection.anchor.key !== node.getKey() || selection.anchor.type !== 'text') return;
  const previous = $getEditor().getEditorState()._nodeMap.get(node.getKey());
  if (!$isTextNode(previous) || !$getState(previous, aiState, 'direct')) return;
  const range = typedRange(previous.__text, node.getTextContent(), selection.anchor.offset);
  if (range === null) return;
  const [from, to] = range;
  const parts = node.splitText(from, to);
  const typed = parts[from === 0 ? 0 : 1];
  if (typed !== undefined) $setAi(typed, false);
}

/**
 * Where `next` holds characters inserted before `caret` that `prev` did not: [from, caret),
 * or null when the change is not an insertion ending at the caret (a deletion, a merge).
 */
export function typedRange(prev: string, next: string, caret: number): [number, number] | null {
  if (caret < 0 || caret > next.length || next === prev) return null;
  const tail = next.length - caret;
  const prevKeep = prev.length - tail;
  if (prevKeep < 0 || prev.slice(prevKeep) !== next.slice(caret)) return null;
  let from = 0;
  const limit = Math.min(caret, prevKeep);
  while (from < limit && prev.charCodeAt(from) === next.charCodeAt(from)) from++;
  return from < caret ? [from, caret] : null;
}

/** Exports machine-written text nodes between the sentinels; other nodes fall through to the usual export. */
const AI_EXPORT: TextMatchTransformer = {
  dependencies: [],
  export: (node, _exportChildren, exportFormat) =>
    $isAiText(node) ? AI_OPEN + exportFormat(node, node.getTextContent()) + AI_CLOSE : null,
  // Export only: this pattern never matches, so import and shortcuts never use it.
  regExp: /(?!)/,
  type: 'text-match',
};
const EXPORT_TRANSFORMERS = [AI_EXPORT, ...MARKDOWN_TRANSFORMERS];

/** The document as clean Markdown plus the spans of it the model wrote. */
export function $getMarkdownWithProvenance(): { markdown: string; spans: ProvenanceSpan[] } {
  const { text, spans } = stripSentinels($convertToMarkdownString(EXPORT_TRANSFORMERS));
  return { markdown: text, spans };
}

/** Replaces the content with `markdown`, marking the `spans` of it as machine-written. */
export function $setMarkdownWithProvenance(markdown: string, spans: readonly ProvenanceSpan[]): void {
  const marked = spans.length === 0 ? markdown : injectSentinels(markdown, spans);
  $setMarkdown(marked);
  if (marked !== markdown) $applySentinels($getRoot());
}

/** Turns sentinel characters left in text nodes by the import into marks, removing them. */
function $applySentinels(root: ElementNode): void {
  let ai = false;
  for (const node of $textNodesInOrder(root)) {
    const text = node.getTextContent();
    if (!text.includes(AI_OPEN) && !text.includes(AI_CLOSE)) {
      if (ai) $setAi(node, true);
      continue;
    }
    // Split at every sentinel; each piece takes the state in force where it starts.
    const cuts: number[] = [];
    for (let i = 0; i < text.length; i++) if (text[i] === AI_OPEN || text[i] === AI_CLOSE) cuts.push(i, i + 1);
    const pieces = node.splitText(...cuts);
    for (const piece of pieces) {
      const t = piece.getTextContent();
      if (t === AI_OPEN || t === AI_CLOSE) {
        ai = t === AI_OPEN;
        piece.remove();
      } else if (ai) {
        $setAi(piece, true);
      }
    }
  }
}

function $textNodesInOrder(node: ElementNode): TextNode[] {
  const out: TextNode[] = [];
  for (const child of node.getChildren()) {
    if ($isTextNode(child)) out.push(child);
    else if ($isElementNode(child)) out.push(...$textNodesInOrder(child));
  }
  return out;
}
