/**
 * Flag parsing for the `inkwell` command line: node:util's parseArgs in
 * strict mode (unknown flags and stray arguments are errors), plus typed
 * readers for numeric flags. Every problem with the command line is a
 * UsageError, which the CLI reports with exit code 2.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;
export type FlagValues = Record<string, string | boolean | undefined>;

/** Parses `argv` (after the command name) against `spec`; throws UsageError on any mismatch. */
export function parseFlags(command: string, argv: readonly string[], spec: FlagSpec): FlagValues {
  try {
    const { values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false });
    return values as FlagValues;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UsageError(`${command}: ${message}`);
  }
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredString(values: FlagValues, name: string, command: string): string {
  const v = stringFlag(values, name);
  if (v === undefined || v === '') throw new UsageError(`${command}: --${name} is required`);
  return v;
}

/** A finite number within [min, max]; integers only when `integer` is set. */
export function numberFlag(
  values: FlagValues,
  name: string,
  { min = -Infinity, max = Infinity, integer = false }: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A comma-separated list of non-negative integers (`--ids 1,2,3`). */
export function idListFlag(raw: string, name: string, limit: number): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  if (raw.trim() === '') return [];
  return parts.map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isInteger(n) || n < 0 || n >= limit) {
      throw new UsageError(`--${name}: '${p}' is not a token id (integers 0..${limit - 1}, comma-separated)`);
    }
    return n;
  });
}
