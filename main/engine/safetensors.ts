/**
 * A strict reader and writer for the safetensors format (Hugging Face): an
 * 8-byte little-endian header length, a UTF-8 JSON header mapping tensor names
 * to { dtype, shape, data_offsets }, then the packed tensor bytes.
 *
 * The reader trusts nothing in the file: the header length is read as a BigInt
 * and checked against a cap and the file size before anything is allocated,
 * offsets must tile the data section exactly (no gap, no overlap, no trailing
 * bytes), and every error names the file and the tensor. F16 and BF16 are
 * widened to F32 on load. The writer emits F32 only and writes atomically.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
// Plain Node (no Electron): shared so checkpoints get the same temp-file sweep and Windows rename retries.
import { writeFileAtomic } from '../services/atomic-write';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface LoadedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Widened to f32. For an aligned F32 tensor parsed from memory this is a view on the input bytes. */
  data: Float32Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, LoadedTensor>;
}

export type TensorToWrite = { dtype?: 'F32'; shape: number[]; data: Float32Array };

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** The header of the largest real checkpoints is a few hundred kB; 100 MB is the reference implementation's cap. */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 16;
const MAX_NAME_CHARS = 4096;
const ITEM_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Valid safetensors dtypes that Inkwell does not load, so the error can say "unsupported" rather than "invalid". */
const KNOWN_UNSUPPORTED = new Set([
  'F64', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL',
  'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64',
]);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A validated header entry: where a tensor's bytes lie inside the data section. */
type TensorPlan = { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number };
/** dataStart: byte offset of the data section from the start of the file. */
type HeaderPlan = { metadata: Record<string, string>; tensors: TensorPlan[]; dataStart: number };

/**
 * Reads the 8-byte prefix. `fileSize` is the whole file; returns the header length as a
 * safe number, never allocating from an unchecked value.
 */
function checkHeaderLength(prefix: Uint8Array, fileSize: number, label: string): number {
  if (fileSize < 8) throw new SafetensorsError(`${label}: file is ${fileSize} bytes, too short for the 8-byte header length`);
  const raw = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (raw > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`${label}: header length ${raw} exceeds the ${MAX_HEADER_BYTES}-byte cap`);
  }
  const n = Number(raw);
  if (n > fileSize - 8) {
    throw new SafetensorsError(`${label}: header length ${n} runs past the end of the ${fileSize}-byte file`);
  }
  if (n < 2) throw new SafetensorsError(`${label}: header length ${n} is too small for a JSON object`);
  return n;
}

/**
 * Lists the keys of the top-level JSON object in order, so that duplicates (which
 * JSON.parse silently collapses) can be refused. Assumes `json` already parsed.
 */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      const start = i;
      i++;
      while (json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
      i++;
      if (depth === 1) {
        let j = i;
        while (json[j] === ' ' || json[j] === '\n' || json[j] === '\r' || json[j] === '\t') j++;
        if (json[j] === ':') keys.push(JSON.parse(json.slice(start, i)) as string);
      }
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
  }
  return keys;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkDtype(v: unknown, where: string): SafetensorsDtype {
  if (v === 'F32' || v === 'F16' || v === 'BF16') return v;
  if (typeof v === 'string' && KNOWN_UNSUPPORTED.has(v)) {
    throw new SafetensorsError(`${where}: unsupported dtype ${v} (Inkwell loads F32, F16 and BF16)`);
  }
  throw new SafetensorsError(`${where}: invalid dtype ${JSON.stringify(v) ?? 'missing'}`);
}

function checkShape(v: unknown, where: string): { shape: number[]; count: number } {
  if (!Array.isArray(v)) throw new SafetensorsError(`${where}: shape must be an array, got ${JSON.stringify(v) ?? 'nothing'}`);
  if (v.length > MAX_RANK) throw new SafetensorsError(`${where}: shape has ${v.length} dimensions (max ${MAX_RANK})`);
  let count = 1;
  for (const d of v) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(`${where}: shape ${JSON.stringify(v)} has a dimension that is not a non-negative integer`);
    }
    count *= d;
    if (!Number.isSafeInteger(count)) throw new SafetensorsError(`${where}: shape ${JSON.stringify(v)} has more than 2^53 elements`);
  }
  return { shape: v.slice() as number[], count };
}

function checkOffsets(v: unknown, where: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) {
    throw new SafetensorsError(`${where}: data_offsets must be [begin, end], got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  const [b, e] = v as unknown[];
  for (const x of [b, e]) {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
      throw new SafetensorsError(`${where}: data_offsets ${JSON.stringify(v)} must be non-negative integers`);
    }
  }
  if ((b as number) > (e as number)) throw new SafetensorsError(`${where}: data_offsets ${JSON.stringify(v)} begin after end`);
  return [b as number, e as number];
}

/** Decodes and validates the header; `fileSize` bounds the data section. */
function planHeader(headerBytes: Uint8Array, fileSize: number, label: string): HeaderPlan {
  // The reference implementation requires the header to start with '{': no BOM, no leading space.
  if (headerBytes[0] !== 0x7b) throw new SafetensorsError(`${label}: header does not start with '{'`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(`${label}: header is not valid UTF-8`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`${label}: header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(parsed)) throw new SafetensorsError(`${label}: header must be a JSON object`);
  const seen = new Set<string>();
  for (const k of topLevelKeys(text)) {
    if (seen.has(k)) throw new SafetensorsError(`${label}: tensor ${JSON.stringify(k.slice(0, 200))} appears twice in the header`);
    seen.add(k);
  }

  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const tensors: TensorPlan[] = [];
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) throw new SafetensorsError(`${label}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(`${label}: __metadata__ key ${JSON.stringify(k)} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `${label}: tensor ${JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name)}`;
    if (name.length === 0) throw new SafetensorsError(`${label}: a tensor has an empty name`);
    if (name.length > MAX_NAME_CHARS) throw new SafetensorsError(`${where}: name is longer than ${MAX_NAME_CHARS} characters`);
    if (!isPlainObject(entry)) throw new SafetensorsError(`${where}: entry must be an object`);
    for (const k of Object.keys(entry)) {
      if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') throw new SafetensorsError(`${where}: unknown key ${JSON.stringify(k)}`);
    }
    const dtype = checkDtype(entry.dtype, where);
    const { shape, count } = checkShape(entry.shape, where);
    const [begin, end] = checkOffsets(entry.data_offsets, where);
    const want = count * ITEM_SIZE[dtype];
    if (!Number.isSafeInteger(want) || end - begin !== want) {
      throw new SafetensorsError(`${where}: ${dtype} ${JSON.stringify(shape)} needs ${want} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    tensors.push({ name, dtype, shape, begin, end });
  }

  const dataStart = 8 + headerBytes.length;
  const dataLength = fileSize - dataStart;
  // Offsets must tile [0, dataLength) exactly: this refuses overlaps (several tensors
  // sharing bytes), gaps and trailing bytes that could hide a second payload.
  const sorted = tensors.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of sorted) {
    if (t.begin !== cursor) {
      const what = t.begin < cursor ? 'overlaps the previous tensor' : 'leaves a gap after the previous tensor';
      throw new SafetensorsError(`${label}: tensor ${JSON.stringify(t.name)} starts at byte ${t.begin} and ${what} (which ends at ${cursor})`);
    }
    if (t.end > dataLength) {
      throw new SafetensorsError(`${label}: tensor ${JSON.stringify(t.name)} ends at data byte ${t.end}, data section has ${dataLength} (file truncated?)`);
    }
    cursor = t.end;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(`${label}: data section has ${dataLength} bytes but the tensors cover ${cursor} (${dataLength > cursor ? 'trailing bytes' : 'truncated'})`);
  }
  return { metadata, tensors, dataStart };
}

let f16Table: Float32Array | null = null;

/** All 65536 half-precision values, built once: exact for subnormals, infinities and NaN. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

/**
 * Converts one tensor's raw bytes to f32. `raw` may sit at any byte offset: an unaligned
 * F32 tensor is copied rather than viewed (a Float32Array on an odd offset throws).
 * With `mayView`, an aligned F32 tensor is returned as a view without copying.
 */
function widen(raw: Uint8Array, dtype: SafetensorsDtype, mayView: boolean): Float32Array {
  const n = raw.length / ITEM_SIZE[dtype];
  if (dtype === 'F32') {
    if (!LITTLE_ENDIAN) {
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    if (mayView && raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, n);
    return new Float32Array(raw.slice().buffer);
  }
  const out = new Float32Array(n);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  if (dtype === 'F16') {
    const table = halfTable();
    for (let i = 0; i < n; i++) out[i] = table[dv.getUint16(i * 2, true)];
  } else {
    // BF16 is the top half of an f32: shifting the bits up is exact for every value.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
  }
  return out;
}

/** Parses a whole safetensors file held in memory. `label` (the file name) prefixes errors. */
export function parseSafetensors(bytes: Uint8Array, label: string): SafetensorsFile {
  const headerLength = checkHeaderLength(bytes, bytes.length, label);
  const plan = planHeader(bytes.subarray(8, 8 + headerLength), bytes.length, label);
  const tensors = new Map<string, LoadedTensor>();
  for (const t of plan.tensors) {
    const raw = bytes.subarray(plan.dataStart + t.begin, plan.dataStart + t.end);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: widen(raw, t.dtype, true) });
  }
  return { metadata: plan.metadata, tensors };
}

async function readExactly(fh: fs.FileHandle, into: Uint8Array, position: number, label: string): Promise<void> {
  // A single read is capped near 2 GB, so large tensors are read in pieces.
  const CHUNK = 1 << 30;
  let done = 0;
  while (done < into.length) {
    const len = Math.min(CHUNK, into.length - done);
    const { bytesRead } = await fh.read(into, done, len, position + done);
    if (bytesRead === 0) throw new SafetensorsError(`${label}: file ended at byte ${position + done} while reading (changed during load?)`);
    done += bytesRead;
  }
}

async function withHeader<T>(filePath: string, use: (fh: fs.FileHandle, plan: HeaderPlan, label: string) => Promise<T>): Promise<T> {
  const label = path.basename(filePath);
  const fh = await fs.open(filePath, 'r');
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new SafetensorsError(`${label}: not a regular file`);
    const prefix = new Uint8Array(8);
    if (stat.size >= 8) await readExactly(fh, prefix, 0, label);
    const headerBytes = new Uint8Array(checkHeaderLength(prefix, stat.size, label));
    await readExactly(fh, headerBytes, 8, label);
    return await use(fh, planHeader(headerBytes, stat.size, label), label);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a safetensors file: each byte is read once, straight into the tensor that owns it
 * (no whole-file buffer, so checkpoints larger than a Node Buffer still load).
 */
export function readSafetensors(filePath: string): Promise<SafetensorsFile> {
  return withHeader(filePath, async (fh, plan, label) => {
    const tensors = new Map<string, LoadedTensor>();
    for (const t of plan.tensors) {
      const n = t.end - t.begin;
      let data: Float32Array;
      if (t.dtype === 'F32' && LITTLE_ENDIAN) {
        data = new Float32Array(n / 4);
        await readExactly(fh, new Uint8Array(data.buffer), plan.dataStart + t.begin, label);
      } else {
        const raw = new Uint8Array(n);
        await readExactly(fh, raw, plan.dataStart + t.begin, label);
        data = widen(raw, t.dtype, false);
      }
      tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data });
    }
    return { metadata: plan.metadata, tensors };
  });
}

/**
 * Validates a file and lists its tensors without reading their data: for checking an
 * import or showing a model's size before committing to a load.
 */
export function readSafetensorsInfo(filePath: string): Promise<{ metadata: Record<string, string>; tensors: Map<string, { dtype: SafetensorsDtype; shape: number[] }> }> {
  return withHeader(filePath, async (_fh, plan) => ({
    metadata: plan.metadata,
    tensors: new Map(plan.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape }])),
  }));
}

/**
 * Encodes F32 tensors (in the map's order) and string metadata. The header is padded
 * with spaces to a multiple of 8 so that the data section is aligned for readers that map it.
 */
export function encodeSafetensors(tensors: Map<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(`encode: metadata key ${JSON.stringify(k)} is not a string`);
    }
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  for (const [name, t] of tensors) {
    const where = `encode: tensor ${JSON.stringify(name)}`;
    if (name === '' || name === '__metadata__') throw new SafetensorsError(`${where}: reserved or empty name`);
    if ((t.dtype ?? 'F32') !== 'F32') throw new SafetensorsError(`${where}: only F32 can be written`);
    const { count } = checkShape(t.shape, where);
    if (count !== t.data.length) throw new SafetensorsError(`${where}: shape ${JSON.stringify(t.shape)} has ${count} elements, data has ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  const dv = new DataView(out.buffer);
  for (const t of tensors.values()) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else for (let i = 0; i < t.data.length; i++) dv.setFloat32(pos + i * 4, t.data[i], true);
    pos += t.data.byteLength;
  }
  return out;
}

/**
 * Writes a checkpoint so that a crash leaves either the old file or the new one:
 * a temp file in the same folder, fsync, rename over the target, fsync the folder.
 */
export async function writeSafetensorsAtomic(
  filePath: string,
  tensors: Map<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(filePath, encodeSafetensors(tensors, metadata));
}
