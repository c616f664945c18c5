// F32 → F16 safetensors conversion for the shipped built-in model: halves it
// on disk (the engine widens F16 back to F32 on load, main/engine/safetensors.ts).
// The engine's own writer writes F32 only (checkpoints must round-trip
// exactly); this is the one place that narrows, and only at export.
// Plain ES module so scripts/make-builtin-model.mjs needs no build step;
// types in safetensors-f16.d.mts.

const F16_MAX = 65504;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * One float to IEEE half bits, round to nearest even; overflow goes to ±Inf,
 * NaN stays NaN, tiny values become subnormals or ±0.
 */
export function toHalfBits(x) {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    const m = mant | 0x800000; // implicit leading 1
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // Round to nearest even; a carry out of the mantissa bumps the exponent, which is the right answer (up to Inf).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Parses a safetensors buffer's header (8-byte little-endian length, then JSON). */
export function readHeader(buf) {
  if (buf.length < 8) throw new Error(`safetensors: ${buf.length} bytes is too short for a header`);
  const len = Number(buf.readBigUInt64LE(0));
  if (8 + len > buf.length) throw new Error(`safetensors: header length ${len} runs past the end of the ${buf.length}-byte file`);
  return { header: JSON.parse(buf.subarray(8, 8 + len).toString('utf8')), dataStart: 8 + len };
}

/**
 * Converts every F32 tensor of a safetensors file (as a Buffer) to F16 and
 * returns the new file. Tensors keep their order and names; F16/BF16 ones are
 * copied as they are; __metadata__ is kept. Throws if a weight exceeds the
 * F16 range (it would become Inf), naming the tensor.
 */
export function convertToF16(buf, where = 'model.safetensors') {
  const { header, dataStart } = readHeader(buf);
  const names = Object.keys(header)
    .filter((k) => k !== '__metadata__')
    .sort((a, b) => header[a].data_offsets[0] - header[b].data_offsets[0]);
  const out = {};
  if (header.__metadata__) out.__metadata__ = header.__metadata__;
  const parts = [];
  let offset = 0;
  for (const name of names) {
    const t = header[name];
    const raw = buf.subarray(dataStart + t.data_offsets[0], dataStart + t.data_offsets[1]);
    let bytes;
    if (t.dtype === 'F32') {
      const n = raw.length / 4;
      bytes = Buffer.alloc(n * 2);
      for (let i = 0; i < n; i++) {
        const v = raw.readFloatLE(i * 4);
        if (Math.abs(v) > F16_MAX) throw new Error(`${where}: tensor ${name}[${i}] = ${v} is outside the F16 range`);
        bytes.writeUInt16LE(toHalfBits(v), i * 2);
      }
    } else if (t.dtype === 'F16' || t.dtype === 'BF16') bytes = Buffer.from(raw);
    else throw new Error(`${where}: tensor ${name} has dtype ${t.dtype}; only F32, F16 and BF16 convert`);
    out[name] = { dtype: t.dtype === 'F32' ? 'F16' : t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    parts.push(bytes);
  }
  // Header padded with spaces to a multiple of 8, as the engine's own writer does.
  const json = Buffer.from(JSON.stringify(out), 'utf8');
  const headerLength = Math.ceil(json.length / 8) * 8;
  const head = Buffer.alloc(8 + headerLength, 0x20);
  head.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(head, 8);
  return Buffer.concat([head, ...parts]);
}
