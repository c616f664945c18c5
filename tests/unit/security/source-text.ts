/**
 * Helpers for the static security checks: read a source file relative to the
 * repo root with its comments removed, so a setting mentioned in a comment
 * can never satisfy (or trip) a check, and parse a CSP string.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Removes block and line comments (good enough for our sources: no `//` or `/*` inside the strings we check). */
export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export function readSource(relPath: string): string {
  return stripComments(fs.readFileSync(path.join(repoRoot, relPath), 'utf8'));
}

/** CSP directive name -> its source list. */
export function parseCsp(csp: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of csp.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  return directives;
}
