/**
 * Inline ghost text, like the Lexical playground's AutocompletePlugin but kept
 * entirely out of the editor state: the suggestion is drawn by CSS
 * (`.ghost-host::after { content: attr(data-ghost) }`) on the block the caret
 * ends, so save, journal, word counts, copy and undo never see it. Lexical's
 * MutationObserver watches children and text only, so the attribute is safe.
 *
 * Suggestions are offered only with a collapsed caret at the end of a non-empty
 * block (the writer is writing, not editing). After `delayMs` of idle a request
 * starts; tokens stream into the ghost; Tab accepts it all (one undo step),
 * Ctrl/Cmd+→ the next word (a plain Ctrl+→ moves by word when no ghost is shown), Esc dismisses, Alt+] / Alt+[ cycle alternatives.
 * Typing that matches the suggestion consumes it; any other change cancels the
 * request at once. The pure rules live in ../ghost-text.ts.
 */
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { $getNearestBlockElementAncestorOrThrow, mergeRegister } from '@lexical/utils';
import {
  $createRangeSelection,
  $getSelection,
  $isRangeSelection,
  BLUR_COMMAND,
  COMMAND_PRIORITY_HIGH,
  createCommand,
  HISTORY_PUSH_TAG,
  KEY_DOWN_COMMAND,
  KEY_ESCAPE_COMMAND,
  KEY_TAB_COMMAND,
  type LexicalEditor,
} from 'lexical';
import { useEffect, useRef, useState } from 'react';
import type { GenerateEvent, StreamHandle } from '../../common/contract';
import { $textBeforeCaret } from './markdown';
import { $insertAiText } from './provenance';
import { announcement, appendToken, consume, contextWindow, cycle, finish, newGhost, nextWord, remaining, type Ghost } from '../ghost-text';

/** Drops the ghost and cancels its request (dispatched by the app when Continue starts). */
export const DISMISS_GHOST_COMMAND = createCommand<void>('DISMISS_GHOST_COMMAND');

export type GhostRequest = (context: string, onEvent: (event: GenerateEvent) => void) => StreamHandle<'engine.generate'>;

export interface GhostTextPluginProps {
  enabled: boolean;
  delayMs: number;
  request: GhostRequest;
}

/** Where the caret is, when it is somewhere a suggestion may appear. */
interface CaretSpot {
  blockKey: string;
  /** The block's text before the caret (== the whole block text: the caret is at its end). */
  blockBefore: string;
}

/** The caret's block and text when the selection is collapsed at the end of a non-empty block; else null. */
function $caretSpot(): CaretSpot | null {
  const selection = $getSelection();
  if (!$isRangeSelection(selection) || !selection.isCollapsed()) return null;
  const node = selection.anchor.getNode();
  const block = $getNearestBlockElementAncestorOrThrow(node);
  const range = $createRangeSelection();
  range.anchor.set(block.getKey(), 0, 'element');
  range.focus.set(selection.anchor.key, selection.anchor.offset, selection.anchor.type);
  const before = range.getTextContent();
  if (before !== block.getTextContent() || before.trim() === '') return null;
  return { blockKey: block.getKey(), blockBefore: before };
}

/** Live ghost state, kept in refs: tokens arrive far too often for React state. */
interface Live {
  ghost: Ghost | null;
  spot: CaretSpot | null;
  handle: StreamHandle<'engine.generate'> | null;
  timer: ReturnType<typeof setTimeout> | null;
  /** The element carrying data-ghost now, to clean it when the ghost moves or goes. */
  host: HTMLElement | null;
  /** Bumped on every drop, so late events of an old request change nothing. */
  run: number;
}

export function GhostTextPlugin({ enabled, delayMs, request }: GhostTextPluginProps) {
  const [editor] = useLexicalComposerContext();
  const [spoken, setSpoken] = useState('');
  const live = useRef<Live>({ ghost: null, spot: null, handle: null, timer: null, host: null, run: 0 });
  // The latest props, read by listeners registered once.
  const props = useRef({ enabled, delayMs, request });
  props.current = { enabled, delayMs, request };

  useEffect(() => {
    const s = live.current;

    const paint = () => {
      const text = s.ghost !== null ? remaining(s.ghost) : '';
      const el = s.spot !== null && text !== '' ? editor.getElementByKey(s.spot.blockKey) : null;
      if (s.host !== null && s.host !== el) {
        s.host.classList.remove('ghost-host');
        s.host.removeAttribute('data-ghost');
      }
      s.host = el;
      if (el !== null) {
        el.classList.add('ghost-host');
        el.setAttribute('data-ghost', text);
      }
      editor.getRootElement()?.parentElement?.setAttribute('data-ghost-state', s.ghost === null ? (s.timer !== null ? 'waiting' : 'idle') : s.ghost.streaming ? 'streaming' : text !== '' ? 'shown' : 'idle');
    };

    const drop = () => {
      if (s.timer !== null) clearTimeout(s.timer);
      s.timer = null;
      // Cancel at once: the engine runs one request at a time, a stale one delays the next.
      s.handle?.cancel();
      s.handle = null;
      s.ghost = null;
      s.spot = null;
      s.run++;
      setSpoken('');
      paint();
    };

    const start = () => {
      s.timer = null;
      const p = props.current;
      if (!p.enabled || !editor.isEditable()) return paint();
      const found = editor.getEditorState().read(() => {
        const spot = $caretSpot();
        return spot === null ? null : { spot, before: $textBeforeCaret() };
      });
      if (found === null) return paint();
      const context = contextWindow(found.before);
      const myRun = ++s.run;
      s.spot = found.spot;
      s.ghost = newGhost(/\s$/.test(context));
      s.handle = p.request(context, (event) => {
        if (s.run !== myRun || s.ghost === null) return;
        if (event.type === 'token') s.ghost = appendToken(s.ghost, event.alternative, event.text);
        else if (event.type === 'done') {
          s.ghost = finish(s.ghost, event.texts);
          s.handle = null;
          setSpoken(announcement(s.ghost));
          if (remaining(s.ghost) === '') s.ghost = null;
        }
        paint();
      });
      void s.handle.done.then((result) => {
        if (s.run !== myRun) return;
        s.handle = null;
        // An error or an abort ends the suggestion quietly: ghost text never interrupts writing with alerts.
        if (!result.ok) drop();
      });
      paint();
    };

    const schedule = () => {
      if (s.timer !== null) clearTimeout(s.timer);
      s.timer = props.current.enabled ? setTimeout(start, props.current.delayMs) : null;
      paint();
    };

    /**
     * Inserts text at the caret as its own undo step, marked as machine-written (./provenance.ts);
     * the update listener then consumes it like typing.
     */
    const accept = (text: string): boolean => {
      if (text === '') return false;
      editor.update(() => void $insertAiText(text), { tag: HISTORY_PUSH_TAG, discrete: true });
      return true;
    };

    const visible = (): string => (s.ghost !== null ? remaining(s.ghost) : '');

    const onKey = (handler: (event: KeyboardEvent) => boolean) => (event: KeyboardEvent | null) => {
      if (event === null || !handler(event)) return false;
      event.preventDefault();
      event.stopPropagation();
      return true;
    };

    return mergeRegister(
      editor.registerUpdateListener(({ dirtyElements, dirtyLeaves, tags }) => {
        const changed = dirtyElements.size > 0 || dirtyLeaves.size > 0;
        if (!changed && s.ghost === null && s.timer === null) return;
        const spot = editor.getEditorState().read($caretSpot);
        if (s.ghost !== null && s.spot !== null) {
          const here = spot !== null && spot.blockKey === s.spot.blockKey && spot.blockBefore.startsWith(s.spot.blockBefore);
          if (here && spot.blockBefore === s.spot.blockBefore) return paint(); // re-rendered, nothing typed
          if (here && !tags.has('historic')) {
            const next = consume(s.ghost, spot.blockBefore.slice(s.spot.blockBefore.length));
            if (next !== null) {
              s.ghost = next;
              s.spot = spot;
              if (remaining(next) === '' && !next.streaming) drop();
              else paint();
              return;
            }
          }
        }
        if (!changed) {
          // The caret moved: a suggestion belongs to the place it was asked for.
          if (s.ghost !== null || s.timer !== null) drop();
          return;
        }
        drop();
        schedule();
      }),
      editor.registerCommand(
        KEY_TAB_COMMAND,
        onKey((e) => !e.shiftKey && accept(visible())),
        COMMAND_PRIORITY_HIGH,
      ),
      editor.registerCommand(
        KEY_ESCAPE_COMMAND,
        onKey(() => {
          if (s.ghost === null && s.timer === null) return false;
          drop();
          return true;
        }),
        COMMAND_PRIORITY_HIGH,
      ),
      editor.registerCommand(
        KEY_DOWN_COMMAND,
        onKey((e) => {
          // Ctrl/Cmd+→ (Lexical sends KEY_ARROW_RIGHT_COMMAND only without modifiers): the next word.
          if (e.key === 'ArrowRight' && (e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey) return accept(nextWord(visible()));
          // By code, not key: on macOS Alt+] types a character ("‘") instead of "]".
          if (!e.altKey || e.ctrlKey || e.metaKey || (e.code !== 'BracketRight' && e.code !== 'BracketLeft')) return false;
          if (s.ghost === null || s.ghost.alternatives.length < 2) return s.ghost !== null;
          s.ghost = cycle(s.ghost, e.code === 'BracketRight' ? 1 : -1);
          setSpoken(announcement(s.ghost));
          paint();
          return true;
        }),
        COMMAND_PRIORITY_HIGH,
      ),
      editor.registerCommand(
        BLUR_COMMAND,
        () => {
          drop();
          return false;
        },
        COMMAND_PRIORITY_HIGH,
      ),
      editor.registerCommand(
        DISMISS_GHOST_COMMAND,
        () => {
          drop();
          return true;
        },
        COMMAND_PRIORITY_HIGH,
      ),
      drop,
    );
  }, [editor]);

  // Turning ghost text off drops what is shown at once.
  useEffect(() => {
    if (!enabled) editor.dispatchCommand(DISMISS_GHOST_COMMAND, undefined);
  }, [editor, enabled]);

  return (
    <div className="sr-only" role="status" aria-live="polite" aria-label="Suggestion" data-testid="ghost-announcer">
      {spoken}
    </div>
  );
}

/** For the app: drop any ghost of this editor (Continue, switching panels). */
export function dismissGhost(editor: LexicalEditor | null): void {
  editor?.dispatchCommand(DISMISS_GHOST_COMMAND, undefined);
}
