// Types of builtin-corpus.mjs (plain JS so the reproduce script needs no build).
export function stripMarkup(text: string): string;
export function stripGutenberg(text: string): string;
export function stripStageNotes(text: string): string;
export function normaliseWhitespace(text: string): string;
export function cleanText(text: string): string;
export function mobyDickOrder(names: readonly string[]): string[];
export function sotuOrder(names: readonly string[]): string[];
