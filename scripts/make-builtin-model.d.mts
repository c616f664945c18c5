// Types of make-builtin-model.mjs's testable part.
export function trainingCurve(phases: string | { metrics: string; offset: number }[]): string;
