/**
 * Provenance spans: which ranges of a document's Markdown the model wrote.
 *
 * The Markdown file stays clean; the ranges live beside it. Inside the app a
 * marked Markdown string carries them inline as two Unicode noncharacters
 * (U+FDD0 opens a machine-written run, U+FDD1 closes it): the editor exports
 * them around machine-written text nodes, and the exporters read them while
 * parsing. Noncharacters are reserved for a program's internal use, so a
 * writer's text never holds them (and any that slip in are stripped).
 *
 * Pure string functions, no DOM and no Node: main and the renderer share them.
 */
import type { ProvenanceSpan } from './contract';

export const AI_OPEN = '\uFDD0';
export const AI_CLOSE = '\uFDD1';
const SENTINELS = /[\uFDD0\uFDD1]/g;

/**
 * Splits a marked string into the clean text and its machine-written spans (adjacent spans
 * merged). Linear: offsets are counted in one pass and span texts sliced from the finished,
 * flat string at the end (slicing a string still being built by += copies it every time).
 */
export function stripSentinels(marked: string): { text: string; spans: ProvenanceSpan[] } {
  if (!marked.includes(AI_OPEN) && !marked.includes(AI_CLOSE)) return { text: marked, spans: [] };
  const text = marked.replace(SENTINELS, '');
  const ranges: [number, number][] = [];
  let removed = 0;
  let depth = 0;
  let openAt = 0;
  for (let i = nextSentinel(marked, 0); i >= 0; i = nextSentinel(marked, i + 1)) {
    const at = i - removed; // offset in the clean text
    removed++;
    if (marked[i] === AI_OPEN) {
      if (depth === 0) openAt = at;
      depth++;
    } else if (depth > 0 && --depth === 0) {
      pushRange(ranges, openAt, at);
    }
  }
  // An unclosed run (a close lost to an edge case of the exporter) ends with the text.
  if (depth > 0) pushRange(ranges, openAt, text.length);
  return { text, spans: ranges.map(([start, end]) => ({ start, end, text: text.slice(start, end) })) };
}

function nextSentinel(s: string, from: number): number {
  const a = s.indexOf(AI_OPEN, from);
  const b = s.indexOf(AI_CLOSE, from);
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

function pushRange(ranges: [number, number][], start: number, end: number): void {
  if (end <= start) return;
  const prev = ranges.at(-1);
  if (prev !== undefined && prev[1] === start) prev[1] = end;
  else ranges.push([start, end]);
}

/**
 * Keeps the spans that fit `text` exactly (in bounds, same characters), in order and
 * without overlaps. Anything else is dropped: a mark must never cover what it did not mark.
 */
export function validSpans(text: string, spans: readonly ProvenanceSpan[]): ProvenanceSpan[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: ProvenanceSpan[] = [];
  let prevEnd = 0;
  for (const s of sorted) {
    if (s.start < prevEnd || s.end <= s.start || s.end > text.length || text.slice(s.start, s.end) !== s.text) continue;
    out.push({ start: s.start, end: s.end, text: s.text });
    prevEnd = s.end;
  }
  return out;
}

/** Inverse of stripSentinels for valid spans; spans that do not fit the text are ignored. */
export function injectSentinels(text: string, spans: readonly ProvenanceSpan[]): string {
  const clean = text.replace(SENTINELS, '');
  const valid = validSpans(clean, spans);
  if (valid.length === 0) return clean;
  let out = '';
  let at = 0;
  for (const s of valid) {
    out += clean.slice(at, s.start) + AI_OPEN + s.text + AI_CLOSE;
    at = s.end;
  }
  return out + clean.slice(at);
}

/**
 * Finds the spans again in a text that changed outside the app: each span keeps its place
 * when its characters are still there, else moves to the nearest exact occurrence of its
 * text that does not overlap the span before it; spans not found are dropped and counted.
 */
export function reanchor(text: string, spans: readonly ProvenanceSpan[]): { spans: ProvenanceSpan[]; dropped: number } {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: ProvenanceSpan[] = [];
  let prevEnd = 0;
  let dropped = 0;
  for (const s of sorted) {
    const at = nearestOccurrence(text, s.text, s.start, prevEnd);
    if (at < 0) {
      dropped++;
      continue;
    }
    out.push({ start: at, end: at + s.text.length, text: s.text });
    prevEnd = at + s.text.length;
  }
  return { spans: out, dropped };
}

/** The start of the occurrence of `needle` at or after `min` closest to `near`; -1 when there is none. */
function nearestOccurrence(text: string, needle: string, near: number, min: number): number {
  if (needle === '') return -1;
  const from = Math.max(near, min);
  const after = text.indexOf(needle, from);
  let before = near > min ? text.lastIndexOf(needle, near) : -1;
  if (before < min) before = -1;
  if (before < 0) return after;
  if (after < 0) return before;
  return near - before <= after - near ? before : after;
}

/** Wraps each span in `open` / `close` (the Markdown export's `<mark>` tags). */
export function wrapSpans(text: string, spans: readonly ProvenanceSpan[], open: string, close: string): string {
  let out = '';
  let at = 0;
  for (const s of validSpans(text, spans)) {
    out += text.slice(at, s.start) + open + s.text + close;
    at = s.end;
  }
  return out + text.slice(at);
}
