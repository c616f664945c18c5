import { describe, expect, test } from 'vitest';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
  readSafetensorsInfo,
  SafetensorsError,
  writeSafetensorsAtomic,
  type TensorToWrite,
} from '../../../main/engine/safetensors';

/** Builds a file from a header (object or raw text), data bytes and an optional forced header length. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), forcedLength?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, forcedLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (n: number): { dtype: string; shape: number[]; data_offsets: number[] } => ({ dtype: 'F32', shape: [n], data_offsets: [0, n * 4] });
const zeros = (n: number): Uint8Array => new Uint8Array(n);

function lengthOnly(len: bigint, total = 8): Uint8Array {
  const b = new Uint8Array(total);
  new DataView(b.buffer).setBigUint64(0, len, true);
  return b;
}

// Catalogue A (BAD-INPUTS.md): each input must fail with a SafetensorsError whose message matches.
const bad: { name: string; bytes: Uint8Array; error: RegExp }[] = [
  { name: 'A1 empty file', bytes: new Uint8Array(0), error: /0 bytes, too short/ },
  { name: 'A1 7-byte file', bytes: new Uint8Array(7), error: /7 bytes, too short/ },
  { name: 'A1 length 60, nothing after', bytes: lengthOnly(60n), error: /runs past the end/ },
  { name: 'A2 length 2^64-1', bytes: lengthOnly(0xffffffffffffffffn), error: /exceeds the 100000000-byte cap/ },
  { name: 'A2 length 10 GB', bytes: lengthOnly(10_000_000_000n), error: /exceeds the .* cap/ },
  { name: 'A2 length just over the cap', bytes: lengthOnly(100_000_001n), error: /exceeds the .* cap/ },
  { name: 'A3 length above 2^53', bytes: lengthOnly(2n ** 53n + 1n), error: /exceeds/ },
  { name: 'A3 length = file length - 7', bytes: lengthOnly(13n, 20), error: /runs past the end/ },
  { name: 'A4 not UTF-8', bytes: build(new Uint8Array([0x7b, 0xff, 0x7d])), error: /not valid UTF-8/ },
  { name: 'A4 BOM', bytes: build('\ufeff{}'), error: /does not start with/ },
  { name: 'A4 only {', bytes: build('{'), error: /too small|not valid JSON/ },
  { name: 'A4 only { padded', bytes: build('{   '), error: /not valid JSON/ },
  { name: 'A4 array', bytes: build('[]'), error: /does not start with/ },
  { name: 'A4 string', bytes: build('"x"'), error: /does not start with/ },
  { name: 'A4 null', bytes: build('null'), error: /does not start with/ },
  { name: 'A4 leading whitespace', bytes: build(' {}'), error: /does not start with/ },
  { name: 'A5 duplicate names', bytes: build(`{"a":${JSON.stringify(f32(1))},"a":${JSON.stringify(f32(1))}}`, zeros(4)), error: /"a" appears twice/ },
  { name: 'A5 empty name', bytes: build({ '': f32(1) }, zeros(4)), error: /empty name/ },
  { name: 'A5 1 MB name', bytes: build({ ['x'.repeat(1 << 20)]: f32(1) }, zeros(4)), error: /longer than/ },
  { name: 'A6 metadata number', bytes: build({ __metadata__: { a: 1 } }), error: /__metadata__ key "a" is not a string/ },
  { name: 'A6 metadata nested', bytes: build({ __metadata__: { a: { b: 'c' } } }), error: /not a string/ },
  { name: 'A6 metadata array', bytes: build({ __metadata__: ['a'] }), error: /__metadata__ must be an object/ },
  { name: 'A7 dtype F128', bytes: build({ w: { ...f32(1), dtype: 'F128' } }, zeros(4)), error: /tensor "w": invalid dtype "F128"/ },
  { name: 'A7 dtype f32', bytes: build({ w: { ...f32(1), dtype: 'f32' } }, zeros(4)), error: /invalid dtype "f32"/ },
  { name: 'A7 dtype 123', bytes: build({ w: { ...f32(1), dtype: 123 } }, zeros(4)), error: /invalid dtype 123/ },
  { name: 'A7 dtype missing', bytes: build({ w: { shape: [1], data_offsets: [0, 4] } }, zeros(4)), error: /invalid dtype missing/ },
  { name: 'A7 I64', bytes: build({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, zeros(8)), error: /unsupported dtype I64/ },
  { name: 'A7 BOOL', bytes: build({ w: { dtype: 'BOOL', shape: [1], data_offsets: [0, 1] } }, zeros(1)), error: /unsupported dtype BOOL/ },
  { name: 'A7 F8_E4M3', bytes: build({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, zeros(1)), error: /unsupported dtype F8_E4M3/ },
  { name: 'A8 shape [-1]', bytes: build({ w: { ...f32(1), shape: [-1] } }, zeros(4)), error: /not a non-negative integer/ },
  { name: 'A8 shape [2.5]', bytes: build({ w: { ...f32(1), shape: [2.5] } }, zeros(4)), error: /not a non-negative integer/ },
  { name: 'A8 shape ["2"]', bytes: build({ w: { ...f32(1), shape: ['2'] } }, zeros(4)), error: /not a non-negative integer/ },
  { name: 'A8 shape 2^64-2', bytes: build('{"w":{"dtype":"F32","shape":[2,18446744073709551614],"data_offsets":[0,4]}}', zeros(4)), error: /not a non-negative integer/ },
  { name: 'A8 shape 2^63-1', bytes: build('{"w":{"dtype":"F32","shape":[2,9223372036854775807],"data_offsets":[0,4]}}', zeros(4)), error: /not a non-negative integer/ },
  { name: 'A8 product above 2^53', bytes: build({ w: { ...f32(1), shape: [2 ** 30, 2 ** 30, 2 ** 30] } }, zeros(4)), error: /more than 2\^53/ },
  { name: 'A8 1000 dimensions', bytes: build({ w: { ...f32(1), shape: new Array(1000).fill(1) } }, zeros(4)), error: /1000 dimensions/ },
  { name: 'A8 shape missing', bytes: build({ w: { dtype: 'F32', data_offsets: [0, 4] } }, zeros(4)), error: /shape must be an array/ },
  { name: 'A9 size mismatch', bytes: build({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 4] } }, zeros(4)), error: /needs 16 bytes, data_offsets \[0, 4\] hold 4/ },
  { name: 'A9 begin > end', bytes: build({ w: { dtype: 'F32', shape: [4], data_offsets: [16, 0] } }, zeros(16)), error: /begin after end/ },
  { name: 'A9 overlap', bytes: build({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, zeros(16)), error: /overlaps/ },
  { name: 'A9 gap', bytes: build({ a: f32(1), b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, zeros(12)), error: /"b" starts at byte 8 and leaves a gap/ },
  { name: 'A9 first not at 0', bytes: build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, zeros(8)), error: /gap/ },
  { name: 'A9 non-integer offset', bytes: build({ a: { dtype: 'F32', shape: [1], data_offsets: [0.5, 4.5] } }, zeros(8)), error: /must be non-negative integers/ },
  { name: 'A9 negative offset', bytes: build({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, zeros(8)), error: /must be non-negative integers/ },
  { name: 'A9 offset above 2^53', bytes: build('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18014398509481988]}}', zeros(4)), error: /must be non-negative integers/ },
  { name: 'A9 missing offsets', bytes: build({ a: { dtype: 'F32', shape: [1] } }, zeros(4)), error: /data_offsets must be \[begin, end\]/ },
  { name: 'A9 offsets of 3', bytes: build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, zeros(4)), error: /data_offsets must be/ },
  { name: 'A10 truncated by 2', bytes: build({ a: f32(4) }, zeros(14)), error: /ends at data byte 16, data section has 14/ },
  { name: 'A10 truncated by 1 MB', bytes: build({ a: f32(1 << 18) }, zeros(1)), error: /truncated/ },
  { name: 'A10 cut in the header', bytes: build({ a: f32(4) }, zeros(16)).subarray(0, 20), error: /runs past the end/ },
  { name: 'A10 trailing garbage', bytes: build({ a: f32(1) }, zeros(9)), error: /trailing bytes/ },
  { name: 'unknown entry key', bytes: build({ a: { ...f32(1), extra: 1 } }, zeros(4)), error: /unknown key "extra"/ },
  { name: 'deeply nested header', bytes: build(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), error: /not valid JSON|entry must be an object/ },
  { name: 'entry not an object', bytes: build({ a: 3 }), error: /tensor "a": entry must be an object/ },
];

describe('parseSafetensors refuses the bad-input catalogue', () => {
  test.for(bad)('$name', ({ bytes, error }) => {
    let caught: unknown;
    try {
      parseSafetensors(bytes, 'model.safetensors');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SafetensorsError);
    expect((caught as Error).message).toMatch(/^model\.safetensors: /);
    expect((caught as Error).message).toMatch(error);
  });
});

function f16Bytes(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setUint16(i * 2, v, true));
  return b;
}

describe('parseSafetensors accepts valid files', () => {
  test('A5 __proto__ and constructor names are ordinary tensors', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat32(0, 1.5, true);
    new DataView(data.buffer).setFloat32(4, 2.5, true);
    const header = `{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"__metadata__":{"__proto__":"x"}}`;
    const file = parseSafetensors(build(header, data), 'm');
    expect([...file.tensors.keys()].sort()).toEqual(['__proto__', 'constructor']);
    expect(file.tensors.get('__proto__')?.data[0]).toBe(1.5);
    expect(file.metadata.__proto__).toBe('x');
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });

  test('A12 zero-size and scalar tensors', () => {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setFloat32(0, 7, true);
    const header = { e: { dtype: 'F32', shape: [2, 0], data_offsets: [0, 0] }, s: { dtype: 'F32', shape: [], data_offsets: [0, 4] }, e2: { dtype: 'F16', shape: [0], data_offsets: [4, 4] } };
    const file = parseSafetensors(build(header, data), 'm');
    expect(file.tensors.get('e')).toMatchObject({ shape: [2, 0] });
    expect(file.tensors.get('e')?.data.length).toBe(0);
    expect(file.tensors.get('s')?.shape).toEqual([]);
    expect(Array.from(file.tensors.get('s')?.data ?? [])).toEqual([7]);
  });

  test('an empty header with no tensors', () => {
    expect(parseSafetensors(build('{}'), 'm').tensors.size).toBe(0);
  });

  test('A11 unaligned F32 offsets are copied, not viewed', () => {
    // Header of odd length puts the data section at an odd byte.
    const values = [1, -2, 3.25];
    const data = new Uint8Array(12);
    values.forEach((v, i) => new DataView(data.buffer).setFloat32(i * 4, v, true));
    let header = JSON.stringify({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } });
    while ((8 + header.length) % 4 !== 1) header += ' ';
    const bytes = build(header, data);
    expect(Array.from(parseSafetensors(bytes, 'm').tensors.get('a')?.data ?? [])).toEqual(values);
    // The input itself at an odd offset inside a larger buffer.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(parseSafetensors(shifted.subarray(1), 'm').tensors.get('a')?.data ?? [])).toEqual(values);
  });

  const f16Cases: { bits: number; value: number }[] = [
    { bits: 0x0000, value: 0 },
    { bits: 0x8000, value: -0 },
    { bits: 0x3c00, value: 1 },
    { bits: 0xc000, value: -2 },
    { bits: 0x7bff, value: 65504 },
    { bits: 0x0001, value: 2 ** -24 },
    { bits: 0x03ff, value: 1023 * 2 ** -24 },
    { bits: 0x0400, value: 2 ** -14 },
    { bits: 0x3555, value: 0.333251953125 },
    { bits: 0x7c00, value: Infinity },
    { bits: 0xfc00, value: -Infinity },
    { bits: 0x7e00, value: NaN },
  ];
  test.for(f16Cases)('F16 0x$bits widens exactly', ({ bits, value }) => {
    const file = parseSafetensors(build({ h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, f16Bytes([bits])), 'm');
    expect(Object.is(file.tensors.get('h')?.data[0], value)).toBe(true);
    expect(file.tensors.get('h')?.dtype).toBe('F16');
  });

  const bf16Cases: { bits: number; value: number }[] = [
    { bits: 0x3f80, value: 1 },
    { bits: 0xbfc0, value: -1.5 },
    { bits: 0x0001, value: 2 ** -133 },
    { bits: 0x7f80, value: Infinity },
    { bits: 0xff80, value: -Infinity },
    { bits: 0x7fc0, value: NaN },
    { bits: 0x8000, value: -0 },
  ];
  test.for(bf16Cases)('BF16 0x$bits widens exactly', ({ bits, value }) => {
    const file = parseSafetensors(build({ b: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, f16Bytes([bits])), 'm');
    expect(Object.is(file.tensors.get('b')?.data[0], value)).toBe(true);
  });

  test('F16 at an odd offset, several values', () => {
    const bytes = build({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] } }, f16Bytes([0x3c00, 0x4000, 0x4200]));
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(parseSafetensors(shifted.subarray(1), 'm').tensors.get('h')?.data ?? [])).toEqual([1, 2, 3]);
  });
});

function sample(): Map<string, TensorToWrite> {
  return new Map<string, TensorToWrite>([
    ['wte.weight', { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, NaN]) }],
    ['h.0.ln_1.bias', { shape: [3], data: Float32Array.from([-Infinity, 0.1, -0]) }],
    ['empty', { shape: [0, 5], data: new Float32Array(0) }],
    ['scalar', { shape: [], data: Float32Array.from([42]) }],
  ]);
}

function expectSame(a: Map<string, { shape: number[]; data: Float32Array }>, b: Map<string, { shape: number[]; data: Float32Array }>): void {
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [name, t] of a) {
    const u = b.get(name);
    expect(u?.shape).toEqual(t.shape);
    expect(Array.from(u?.data ?? []).map((x) => Object.is(x, -0) ? '-0' : String(x))).toEqual(Array.from(t.data).map((x) => Object.is(x, -0) ? '-0' : String(x)));
  }
}

describe('encode and write', () => {
  test('encode -> parse round trip keeps values, shapes and metadata', () => {
    const bytes = encodeSafetensors(sample(), { format: 'pt', step: '12' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const file = parseSafetensors(bytes, 'm');
    expectSame(sample(), file.tensors);
    expect({ ...file.metadata }).toEqual({ format: 'pt', step: '12' });
    expect(file.tensors.get('wte.weight')?.dtype).toBe('F32');
  });

  test('encode -> parse keeps a tensor named __proto__ as data', () => {
    const file = parseSafetensors(encodeSafetensors(new Map([['__proto__', { shape: [1], data: Float32Array.from([3]) }]])), 'm');
    expect(Array.from(file.tensors.get('__proto__')?.data ?? [])).toEqual([3]);
  });

  test('encode refuses a shape that does not match the data', () => {
    expect(() => encodeSafetensors(new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(/tensor "w": shape \[2,2\] has 4 elements, data has 3/);
  });

  test('encode refuses a reserved name', () => {
    expect(() => encodeSafetensors(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]]))).toThrow(/reserved/);
  });

  test('writeSafetensorsAtomic -> readSafetensors round trip, replacing an old file, no temp left', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-st-'));
    try {
      const file = path.join(dir, 'model.safetensors');
      await fs.writeFile(file, 'old');
      await writeSafetensorsAtomic(file, sample(), { a: 'b' });
      const loaded = await readSafetensors(file);
      expectSame(sample(), loaded.tensors);
      expect(loaded.metadata.a).toBe('b');
      const info = await readSafetensorsInfo(file);
      expect(info.tensors.get('wte.weight')).toEqual({ dtype: 'F32', shape: [3, 2] });
      expect(info.tensors.size).toBe(4);
      expect(await fs.readdir(dir)).toEqual(['model.safetensors']);
      // A write that fails (bad tensor) leaves the previous checkpoint as it was.
      const before = await fs.readFile(file);
      await expect(writeSafetensorsAtomic(file, new Map([['w', { shape: [2], data: new Float32Array(3) }]]))).rejects.toThrow(SafetensorsError);
      expect(Buffer.compare(await fs.readFile(file), before)).toBe(0);
      expect(await fs.readdir(dir)).toEqual(['model.safetensors']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('readSafetensors reports truncation, F16 files and directories with the file name', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inkwell-st-'));
    try {
      const whole = encodeSafetensors(sample());
      await fs.writeFile(path.join(dir, 'cut.safetensors'), whole.subarray(0, whole.length - 2));
      await expect(readSafetensors(path.join(dir, 'cut.safetensors'))).rejects.toThrow(/^cut\.safetensors: .*truncated/);
      await expect(readSafetensorsInfo(path.join(dir, 'cut.safetensors'))).rejects.toThrow(/truncated/);
      await fs.writeFile(path.join(dir, 'tiny.safetensors'), new Uint8Array(3));
      await expect(readSafetensors(path.join(dir, 'tiny.safetensors'))).rejects.toThrow(/tiny\.safetensors: file is 3 bytes/);
      await fs.writeFile(path.join(dir, 'h.safetensors'), build({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, f16Bytes([0x3c00, 0xfc00])));
      expect(Array.from((await readSafetensors(path.join(dir, 'h.safetensors'))).tensors.get('h')?.data ?? [])).toEqual([1, -Infinity]);
      await fs.mkdir(path.join(dir, 'd.safetensors'));
      await expect(readSafetensors(path.join(dir, 'd.safetensors'))).rejects.toThrow(/not a regular file/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
