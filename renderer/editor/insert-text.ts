/**
 * Inserting a continuation into the document. The continuation was asked for
 * at a caret; by the time the writer clicks Insert, focus is on the button and
 * the editor may have no selection, so the caret of the request is kept and
 * used when it still points at live nodes, else the end of the document.
 */
import {
  $getNodeByKey,
  $getRoot,
  $getSelection,
  $isElementNode,
  $isRangeSelection,
  $setSelection,
  HISTORY_PUSH_TAG,
  type LexicalEditor,
  type RangeSelection,
} from 'lexical';
import { $insertAiText } from './provenance';

/** The current caret as a detached copy, to insert at later; null without a range selection. */
export function $captureCaret(): RangeSelection | null {
  const selection = $getSelection();
  return $isRangeSelection(selection) ? selection.clone() : null;
}

/** Inserts machine text (newlines become line breaks, marked as the model's) at the caret, the saved caret, or the end. */
export function $insertAtCaret(text: string, saved: RangeSelection | null): void {
  let selection = $getSelection();
  if (!$isRangeSelection(selection) && saved !== null && $getNodeByKey(saved.anchor.key) !== null && $getNodeByKey(saved.focus.key) !== null) {
    selection = saved.clone();
    $setSelection(selection);
  }
  if (!$isRangeSelection(selection)) {
    const last = $getRoot().getLastChild();
    selection = $isElementNode(last) ? last.selectEnd() : $getRoot().selectEnd();
  }
  $setSelection(selection);
  $insertAiText(text);
}

/** One update tagged HISTORY_PUSH_TAG: the insertion is exactly one undo step, never merged with typing. */
export function insertContinuation(editor: LexicalEditor, text: string, saved: RangeSelection | null): void {
  editor.update(() => $insertAtCaret(text, saved), { tag: HISTORY_PUSH_TAG, discrete: true });
}
