/**
 * The "Continue" action as a React hook: one engine.generate stream at a
 * time, its events folded into a Continuation (continuation.ts), Insert /
 * Discard / Stop. A new request or Discard makes the old run's late events
 * harmless by bumping a run counter rather than trusting cancel to be instant.
 */
import type { LexicalEditor, RangeSelection } from 'lexical';
import { useCallback, useRef, useState, type RefObject } from 'react';
import type { RequestOf, StreamHandle } from '../common/contract';
import { api } from './api';
import { applyEvent, applyResult, IDLE, type Continuation } from './continuation';
import { $captureCaret, insertContinuation } from './editor/insert-text';
import { $textBeforeCaret } from './editor/markdown';

export interface ContinuationControls {
  state: Continuation;
  start: () => void;
  insert: () => void;
  discard: () => void;
  /** Asks the engine to stop; what arrived so far stays offered. */
  stop: () => void;
  /** Drops any run without touching the editor (switching documents). */
  reset: () => void;
}

export function useContinuation(
  editorRef: RefObject<LexicalEditor | null>,
  /** The request's options, memory and author's note, read when Continue starts. */
  extras: () => Omit<RequestOf<'engine.generate'>, 'task' | 'context'>,
  onFinished: () => void,
): ContinuationControls {
  const [state, setState] = useState<Continuation>(IDLE);
  const stream = useRef<StreamHandle | null>(null);
  const run = useRef(0);
  /** Where the caret was when Continue was asked for: the insertion point if focus has moved away since. */
  const caret = useRef<RangeSelection | null>(null);

  const reset = useCallback(() => {
    stream.current?.cancel();
    stream.current = null;
    run.current++; // late events of the old run are ignored
    setState(IDLE);
  }, []);

  const start = useCallback(() => {
    const editor = editorRef.current;
    if (editor === null) return;
    reset();
    const myRun = run.current;
    const context = editor.getEditorState().read(() => {
      caret.current = $captureCaret();
      return $textBeforeCaret();
    });
    let tokens = 0;
    setState({ status: 'streaming', text: '' });
    const handle = api.stream('engine.generate', { ...extras(), task: 'continue', context }, (event) => {
      if (run.current !== myRun) return;
      if (event.type === 'token') tokens++;
      setState((s) => applyEvent(s, event, tokens));
    });
    stream.current = handle;
    void handle.done.then((result) => {
      if (run.current !== myRun) return;
      stream.current = null;
      setState((s) => applyResult(s, result, tokens));
      onFinished();
    });
  }, [editorRef, extras, onFinished, reset]);

  const insert = useCallback(() => {
    const editor = editorRef.current;
    if (editor === null || state.status !== 'done') return;
    insertContinuation(editor, state.text, caret.current);
    editor.focus();
    setState(IDLE);
  }, [editorRef, state]);

  const discard = useCallback(() => {
    reset();
    editorRef.current?.focus();
  }, [editorRef, reset]);

  const stop = useCallback(() => stream.current?.cancel(), []);

  return { state, start, insert, discard, stop, reset };
}
