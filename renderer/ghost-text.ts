/**
 * The pure half of ghost text: what a suggestion shows, how typing consumes
 * it, what "accept the next word" takes, how alternatives cycle, and which
 * slice of the document is sent as context. No DOM and no Lexical here, so
 * every rule is unit-tested directly (tests/unit/renderer/ghost-text.test.ts);
 * GhostTextPlugin.tsx wires it to the editor.
 */

/** One suggestion at one caret: its alternatives (streamed so far, or final) and what the writer has typed of it. */
export interface Ghost {
  /** Raw text of each alternative as the engine produced it. */
  alternatives: string[];
  index: number;
  /** Characters typed (or accepted) since the request that matched the suggestion. */
  typed: string;
  streaming: boolean;
  /** The context ended in white space: the model's leading space is dropped (as the engine's continuationAfter does). */
  afterSpace: boolean;
}

export function newGhost(afterSpace: boolean): Ghost {
  return { alternatives: [''], index: 0, typed: '', streaming: true, afterSpace };
}

/**
 * The displayable text of an alternative: no leading space after a space, and only up to
 * the end of the paragraph or the end-of-text marker (suggestions stop at a paragraph end;
 * the engine trims the final text the same way, this keeps the stream from flashing more).
 */
export function suggestionText(ghost: Ghost, index = ghost.index): string {
  let t = ghost.alternatives[index] ?? '';
  if (ghost.afterSpace) t = t.replace(/^[ \t]+/, '');
  const eot = t.indexOf('<|endoftext|>');
  if (eot >= 0) t = t.slice(0, eot);
  const newline = t.indexOf('\n');
  return newline >= 0 ? t.slice(0, newline) : t;
}

/** What is still shown after the caret: the suggestion minus what was typed; '' when typing went past it. */
export function remaining(ghost: Ghost): string {
  const full = suggestionText(ghost);
  return full.startsWith(ghost.typed) ? full.slice(ghost.typed.length) : '';
}

/**
 * The ghost after the writer typed `delta` at its caret, or null when the typing does not
 * match the suggestion (the caller then drops it and cancels the request). Typing past the
 * text received so far cannot be checked, so it counts as not matching.
 */
export function consume(ghost: Ghost, delta: string): Ghost | null {
  const typed = ghost.typed + delta;
  const full = suggestionText(ghost);
  if (full.startsWith(typed)) return { ...ghost, typed };
  // Another alternative may match what was typed: switch to it rather than lose the suggestion.
  for (let i = 0; i < ghost.alternatives.length; i++) {
    if (i !== ghost.index && suggestionText(ghost, i).startsWith(typed) && suggestionText(ghost, i).length > typed.length) {
      return { ...ghost, index: i, typed };
    }
  }
  return null;
}

/** The next word of the remaining suggestion, with the space before it and any punctuation right after it. */
export function nextWord(rest: string): string {
  const m = /^\s*[^\s]+/.exec(rest);
  return m === null ? rest : m[0];
}

/** Appends streamed text to an alternative (alternatives arrive interleaved by index). */
export function appendToken(ghost: Ghost, alternative: number, text: string): Ghost {
  const alternatives = ghost.alternatives.slice();
  while (alternatives.length <= alternative) alternatives.push('');
  alternatives[alternative] += text;
  return { ...ghost, alternatives };
}

/**
 * The engine's final texts replace the streamed ones (they are trimmed to a sentence);
 * alternatives that came back empty or duplicated are dropped, so cycling never shows
 * the same text twice. The shown alternative keeps its place when it survives.
 */
export function finish(ghost: Ghost, texts: string[]): Ghost {
  const seen = new Set<string>();
  const kept: string[] = [];
  let index = -1;
  texts.forEach((t, i) => {
    const display = suggestionText({ ...ghost, alternatives: [t], index: 0 });
    if (display.trim() === '' || seen.has(display)) return;
    seen.add(display);
    if (i === ghost.index && display.startsWith(ghost.typed)) index = kept.length;
    kept.push(t);
  });
  const next: Ghost = { ...ghost, alternatives: kept.length > 0 ? kept : [''], streaming: false, index: 0 };
  if (index < 0) index = Math.max(0, kept.findIndex((_, i) => suggestionText(next, i).startsWith(ghost.typed)));
  return { ...next, index };
}

/** Alt+] / Alt+[: the next or previous alternative that still agrees with what was typed. */
export function cycle(ghost: Ghost, step: 1 | -1): Ghost {
  const n = ghost.alternatives.length;
  for (let k = 1; k < n; k++) {
    const i = (ghost.index + step * k + n * k) % n;
    if (suggestionText(ghost, i).startsWith(ghost.typed)) return { ...ghost, index: i };
  }
  return ghost;
}

/** How many characters of text before the caret a suggestion request sends (about 1,000 GPT-2 tokens of prose at most). */
export const CONTEXT_BUDGET_CHARS = 3_000;

/**
 * The tail of `before` to send, starting at a paragraph boundary. The start only moves when
 * the text outgrows the budget, so while the writer types at the end the prompt's prefix
 * stays the same and the engine's prefix cache keeps hitting (a window sliding by one
 * character per keystroke would miss it every time).
 */
export function contextWindow(before: string, budgetChars = CONTEXT_BUDGET_CHARS): string {
  if (before.length <= budgetChars) return before;
  const earliest = before.length - budgetChars;
  const boundary = before.indexOf('\n\n', earliest);
  // No paragraph boundary in the window: a fixed grid of budget/4 keeps the start stable across keystrokes.
  if (boundary < 0 || boundary >= before.length - 2) {
    const grid = Math.max(1, Math.floor(budgetChars / 4));
    return before.slice(Math.ceil(earliest / grid) * grid);
  }
  return before.slice(boundary + 2);
}

/** The words screen readers hear when a suggestion has arrived. */
export function announcement(ghost: Ghost): string {
  const rest = remaining(ghost).trim();
  if (rest === '') return '';
  const more = ghost.alternatives.length > 1 ? ` Suggestion ${ghost.index + 1} of ${ghost.alternatives.length}; Alt+] for the next.` : '';
  return `Suggestion: “${rest}” Tab to accept, Escape to dismiss.${more}`;
}
