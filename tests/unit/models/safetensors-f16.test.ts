// F32 → F16 export of the built-in model (scripts/safetensors-f16.mjs),
// checked bit by bit and through the engine's own loader.
import { describe, expect, test } from 'vitest';
import { encodeSafetensors, parseSafetensors } from '../../../main/engine/safetensors';
import { convertToF16, readHeader, toHalfBits } from '../../../scripts/safetensors-f16.mjs';

describe('toHalfBits', () => {
  test.each([
    ['zero', 0, 0x0000],
    ['negative zero', -0, 0x8000],
    ['one', 1, 0x3c00],
    ['minus two', -2, 0xc000],
    ['largest half', 65504, 0x7bff],
    ['overflow to infinity', 1e6, 0x7c00],
    ['infinity', -Infinity, 0xfc00],
    ['NaN stays NaN', NaN, 0x7e00],
    ['smallest normal', 2 ** -14, 0x0400],
    ['largest subnormal', 1023 * 2 ** -24, 0x03ff],
    ['smallest subnormal', 2 ** -24, 0x0001],
    ['below half the smallest subnormal', 2 ** -26, 0x0000],
    ['tie rounds to even (down)', 1 + 2 ** -11, 0x3c00],
    ['tie rounds to even (up)', 1 + 3 * 2 ** -11, 0x3c02],
    ['above the tie rounds up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['a rounding carry bumps the exponent', 2 - 2 ** -12, 0x4000],
    ['a typical weight', 0.0200042724609375, 0x251f],
  ])('%s', (_name, x, bits) => {
    expect(toHalfBits(x)).toBe(bits);
  });
});

describe('convertToF16', () => {
  const wte = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i) * 0.05);
  const bias = Float32Array.from([0, 1, -1.5, 3.25e-3]);
  const f32 = Buffer.from(
    encodeSafetensors(
      new Map([
        ['wte.weight', { shape: [12, 5], data: wte }],
        ['h.0.ln_1.bias', { shape: [4], data: bias }],
      ]),
      { format: 'pt' },
    ),
  );

  test('halves the data, keeps names, shapes, order and metadata, and the engine loads it', () => {
    const out = convertToF16(f32);
    const { header, dataStart } = readHeader(out);
    expect(dataStart % 8).toBe(0);
    expect(out.length - dataStart).toBe((60 + 4) * 2);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const loaded = parseSafetensors(new Uint8Array(out), 'f16.safetensors');
    expect([...loaded.tensors.keys()]).toEqual(['wte.weight', 'h.0.ln_1.bias']);
    const w = loaded.tensors.get('wte.weight')!;
    expect(w.dtype).toBe('F16');
    expect(w.shape).toEqual([12, 5]);
    for (let i = 0; i < wte.length; i++) expect(Math.abs(w.data[i] - wte[i])).toBeLessThanOrEqual(Math.abs(wte[i]) * 2 ** -11 + 2 ** -25);
    expect(Array.from(loaded.tensors.get('h.0.ln_1.bias')!.data)).toEqual([0, 1, -1.5, expect.closeTo(3.25e-3, 5)]);
  });

  test('is idempotent on a file already in F16', () => {
    const once = convertToF16(f32);
    expect(convertToF16(once).equals(once)).toBe(true);
  });

  test('refuses a weight outside the F16 range, naming the tensor and index', () => {
    const big = Buffer.from(encodeSafetensors(new Map([['h.0.attn.c_attn.weight', { shape: [2], data: Float32Array.from([1, 7e4]) }]])));
    expect(() => convertToF16(big, 'ck/model.safetensors')).toThrow(/ck\/model\.safetensors: tensor h\.0\.attn\.c_attn\.weight\[1\] = 70000/);
  });

  test('refuses a truncated header', () => {
    expect(() => readHeader(Buffer.from([1, 0, 0]))).toThrow(/too short/);
    const bad = Buffer.alloc(8);
    bad.writeBigUInt64LE(100n, 0);
    expect(() => readHeader(bad)).toThrow(/runs past the end/);
  });
});
