/**
 * What the next suggestion sends to the model, part by part, for the context
 * inspector. The assembly mirrors buildContinuePrompt in main/engine/tasks.ts
 * (the renderer may not import engine code); a unit test holds the two equal.
 */
import { contextWindow } from './ghost-text';

/** Lines from the end at which the author's note goes (AUTHORS_NOTE_DEPTH_LINES in tasks.ts). */
export const NOTE_DEPTH_LINES = 3;
/** Token budgets shown to the writer; the model's context must also hold the text and the suggestion. */
export const MEMORY_BUDGET_TOKENS = 256;
export const NOTE_BUDGET_TOKENS = 48;

export interface PromptParts {
  memory: string;
  note: string;
  /** The text before the caret, as windowed for the request. */
  text: string;
  /** The exact prompt string. */
  prompt: string;
}

export function previewPrompt(memory: string, authorsNote: string, before: string): PromptParts {
  const mem = memory.trim();
  const note = authorsNote.replace(/\s+/g, ' ').trim();
  const text = contextWindow(before);
  let body = text.replace(/[ \t]+$/, '');
  if (note) {
    const lines = body.split('\n');
    lines.splice(Math.max(0, lines.length - NOTE_DEPTH_LINES), 0, `[ Author's note: ${note} ]`);
    body = lines.join('\n');
  }
  return { memory: mem, note, text, prompt: mem ? `${mem}\n***\n${body}` : body };
}
