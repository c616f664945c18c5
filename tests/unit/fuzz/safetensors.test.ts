/**
 * Fuzzes the safetensors reader: random headers, header lengths, truncations and
 * byte flips. The reader may only ever succeed with tensors that lie inside the
 * data section and match their shapes, or throw a SafetensorsError naming the file.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeSafetensors, parseSafetensors, readSafetensors, SafetensorsError, type SafetensorsFile } from '../../../main/engine/safetensors';
import { nastyKey, runs } from './arbitraries';

const LABEL = 'fuzz-model.safetensors';
const ITEM: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** A file with a header length prefix (possibly lying) and arbitrary header/data bytes. */
function build(headerLength: bigint, header: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, headerLength), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/** Succeeds within bounds (returns true) or fails with a SafetensorsError that names the file (false). */
function checkOutcome(bytes: Uint8Array, run: () => SafetensorsFile): boolean {
  let result: SafetensorsFile;
  const started = performance.now();
  try {
    result = run();
  } catch (err) {
    // No hang: every input here is under a kilobyte, so anything slow is a runaway loop.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as Error).message).toContain(LABEL);
    return false;
  }
  expect(performance.now() - started).toBeLessThan(2_000);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const dataStart = bytes.byteOffset + 8 + headerLength;
  const dataEnd = bytes.byteOffset + bytes.length;
  let covered = 0;
  for (const [name, t] of result.tensors) {
    expect(name).not.toBe('');
    const count = t.shape.reduce((a, b) => a * b, 1);
    expect(t.data.length, `tensor ${name}`).toBe(count);
    covered += count * ITEM[t.dtype];
    // A view on the input must lie inside the data section; copies own their buffer.
    if (t.data.buffer === bytes.buffer) {
      expect(t.data.byteOffset).toBeGreaterThanOrEqual(dataStart);
      expect(t.data.byteOffset + t.data.byteLength).toBeLessThanOrEqual(dataEnd);
    }
  }
  expect(covered).toBe(bytes.length - 8 - headerLength);
  return true;
}

const dtype = fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I8', 'BOOL', 'f32', ''), fc.anything());
const dim = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(-1, 1.5, 2 ** 53, 2 ** 31, Number.MAX_SAFE_INTEGER, NaN), fc.string());
const offset = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constantFrom(-1, 0.5, 2 ** 53 + 2, 1e300), fc.constant('0'));
const entry = fc.oneof(
  { weight: 4, arbitrary: fc.record({ dtype, shape: fc.array(dim, { maxLength: 4 }), data_offsets: fc.array(offset, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ dtype, shape: fc.anything(), data_offsets: fc.anything(), extra: fc.anything() }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.anything() },
);
const name = fc.oneof(nastyKey, fc.string({ maxLength: 12 }));
/** Header JSON built by hand so __proto__ and duplicate keys survive serialisation. */
const headerJson = fc
  .array(fc.tuple(name, entry), { maxLength: 6 })
  .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);

/** A consistent header (offsets tiling the data) with one field of one entry replaced; returns the JSON and data size. */
const mutatedHeader = fc
  .tuple(
    fc.array(fc.tuple(name, fc.constantFrom('F32', 'F16', 'BF16'), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 })), { minLength: 1, maxLength: 5 }),
    fc.nat(),
    fc.constantFrom('dtype', 'shape', 'data_offsets', 'name', 'none'),
    fc.oneof(dtype, dim, fc.array(dim, { maxLength: 4 }), fc.array(offset, { maxLength: 3 }), nastyKey),
  )
  .map(([specs, which, field, value]) => {
    let at = 0;
    const entries = specs.map(([n, dt, shape]) => {
      const size = shape.reduce((a, b) => a * b, 1) * ITEM[dt];
      const e: [string, Record<string, unknown>] = [n, { dtype: dt, shape, data_offsets: [at, at + size] }];
      at += size;
      return e;
    });
    const target = entries[which % entries.length];
    if (field === 'name') target[0] = String(value);
    else if (field !== 'none') target[1][field] = value;
    const json = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
    return { json, dataBytes: at };
  });

describe('parseSafetensors fuzz', () => {
  test('random headers over random data sizes: bounded result or SafetensorsError', () => {
    fc.assert(
      fc.property(headerJson, fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 7 }), (json, dataBytes, pad) => {
        const header = new TextEncoder().encode(json + ' '.repeat(pad));
        const bytes = build(BigInt(header.length), header, new Uint8Array(dataBytes).fill(0x3f));
        checkOutcome(bytes, () => parseSafetensors(bytes, LABEL));
      }),
      runs(500),
    );
  });

  test('consistent headers with one field mutated: bounded result or SafetensorsError, and some still load', () => {
    let loaded = 0;
    fc.assert(
      fc.property(mutatedHeader, fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }), ({ json, dataBytes }, slack) => {
        const header = new TextEncoder().encode(json);
        const bytes = build(BigInt(header.length), header, new Uint8Array(Math.max(0, dataBytes + slack)).fill(0x40));
        if (checkOutcome(bytes, () => parseSafetensors(bytes, LABEL))) loaded++;
      }),
      runs(600),
    );
    expect(loaded).toBeGreaterThan(20);
  });

  test('header lengths of any size, including > 2^53 and 2^64 - 1, allocate nothing and fail cleanly', () => {
    const length = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.constantFrom(0n, 1n, 2n, 60n, 100_000_001n, 10_000_000_000n, (1n << 53n) + 1n, (1n << 64n) - 1n),
    );
    fc.assert(
      fc.property(length, fc.uint8Array({ maxLength: 64 }), (len, rest) => {
        const bytes = build(len, rest, new Uint8Array(0));
        checkOutcome(bytes, () => parseSafetensors(bytes, LABEL));
      }),
      runs(500),
    );
  });

  test('short files (0 to 7 bytes) are refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 7 }), (bytes) => {
        expect(() => parseSafetensors(bytes, LABEL)).toThrow(SafetensorsError);
      }),
      runs(100),
    );
  });

  /** A valid file with a few tensors of random shapes, at a random byte offset in its buffer. */
  const validFile = fc
    .uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }).filter((s) => s !== '__metadata__'), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })), {
      maxLength: 4,
      selector: ([n]) => n,
    })
    .map((specs) => {
      const tensors = new Map(specs.map(([n, shape]) => {
        const count = shape.reduce((a, b) => a * b, 1);
        return [n, { shape, data: Float32Array.from({ length: count }, (_, i) => i + 0.5) }];
      }));
      return encodeSafetensors(tensors, { format: 'pt' });
    });

  test('valid files round-trip', () => {
    fc.assert(
      fc.property(validFile, (bytes) => {
        const file = parseSafetensors(bytes, LABEL);
        checkOutcome(bytes, () => file);
        expect(file.metadata.format).toBe('pt');
      }),
      runs(200),
    );
  });

  test('any truncation of a valid file fails cleanly', () => {
    fc.assert(
      fc.property(validFile, fc.nat(), (bytes, cut) => {
        const short = bytes.slice(0, cut % bytes.length);
        expect(() => parseSafetensors(short, LABEL)).toThrow(SafetensorsError);
        expect(() => parseSafetensors(short, LABEL)).toThrow(LABEL);
      }),
      runs(300),
    );
  });

  test('random byte flips in a valid file: bounded result or SafetensorsError', () => {
    let survived = 0;
    fc.assert(
      fc.property(validFile, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat({ max: 3 }), (bytes, flips, shift) => {
        // Copy to an odd offset too, so unaligned F32 views are exercised.
        const buf = new Uint8Array(bytes.length + shift);
        const flipped = buf.subarray(shift);
        flipped.set(bytes);
        for (const [at, xor] of flips) flipped[at % flipped.length] ^= xor;
        if (checkOutcome(flipped, () => parseSafetensors(flipped, LABEL))) survived++;
      }),
      runs(400),
    );
    // Flips inside tensor data leave a valid file: the success path was checked too.
    expect(survived).toBeGreaterThan(10);
  });
});

describe('readSafetensors fuzz (from disk)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-fuzz-st-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('random headers and truncations read from a file: same verdict as the in-memory parser', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(headerJson, fc.integer({ min: 0, max: 64 }), fc.option(fc.nat(), { nil: undefined }), fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }), async (json, dataBytes, cut, lie) => {
        const header = new TextEncoder().encode(json);
        // Sometimes the length prefix lies (up to 2^64 - 1): the reader must refuse before allocating.
        let bytes = build(lie ?? BigInt(header.length), header, new Uint8Array(dataBytes));
        if (cut !== undefined) bytes = bytes.slice(0, cut % (bytes.length + 1));
        const file = path.join(dir, `${LABEL}`);
        await fs.mkdir(path.join(dir, String(n)), { recursive: true });
        const target = path.join(dir, String(n++), path.basename(file));
        await fs.writeFile(target, bytes);
        let memory: SafetensorsFile | Error;
        try {
          memory = parseSafetensors(bytes, LABEL);
        } catch (err) {
          memory = err as Error;
        }
        try {
          const disk = await readSafetensors(target);
          expect(memory).not.toBeInstanceOf(Error);
          checkOutcome(bytes, () => disk);
        } catch (err) {
          expect(err).toBeInstanceOf(SafetensorsError);
          expect((err as Error).message).toContain(LABEL);
          expect(memory).toBeInstanceOf(SafetensorsError);
        }
      }),
      runs(150),
    );
  });
});
