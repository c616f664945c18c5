/**
 * Just enough zip to import a model folder from a .zip and export one to a
 * .zip, streaming (weights reach gigabytes): reading handles stored and
 * deflated entries and zip64 sizes and offsets; writing stores (weights do not
 * compress) and switches to zip64 records only when a size or offset needs it,
 * so small archives stay readable by the oldest tools.
 *
 * The reader trusts nothing, like the tar reader: only regular files, only
 * the names asked for, at the root or one folder down; `..`, absolute paths,
 * symlinks and encrypted entries fail the import; every entry's CRC-32 and
 * size are checked as it is written out.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { ServiceError } from '../service-error';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const MAX32 = 0xffffffff;
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** zlib.crc32 where the runtime has it (Node ≥ 20.15), else a table (slower, same result). */
export function crc32(data: Uint8Array, previous = 0): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (native) return native(data, previous);
  let c = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function bad(label: string, message: string): ServiceError {
  return new ServiceError('invalid_model', `${label}: ${message}`);
}

async function readAt(fh: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

interface CentralEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  isSymlink: boolean;
  isDir: boolean;
}

/** Finds the central directory through the (zip64) end records. */
async function centralDirectory(fh: fs.FileHandle, fileSize: number, label: string): Promise<{ offset: number; size: number; count: number }> {
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tail = await readAt(fh, fileSize - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw bad(label, 'not a zip file (no end-of-central-directory record)');
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  const eocdPos = fileSize - tailLength + at;
  if ((count === 0xffff || size === MAX32 || offset === MAX32) && eocdPos >= 20) {
    const locator = await readAt(fh, eocdPos - 20, 20);
    if (locator.readUInt32LE(0) === SIG_ZIP64_LOCATOR) {
      const z = await readAt(fh, Number(locator.readBigUInt64LE(8)), 56);
      if (z.length < 56 || z.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw bad(label, 'broken zip64 end record');
      count = Number(z.readBigUInt64LE(32));
      size = Number(z.readBigUInt64LE(40));
      offset = Number(z.readBigUInt64LE(48));
    }
  }
  if (size > MAX_CENTRAL_DIRECTORY_BYTES || offset + size > fileSize) throw bad(label, `central directory of ${size} bytes at ${offset} does not fit the ${fileSize}-byte file`);
  return { offset, size, count };
}

function parseCentral(cd: Buffer, count: number, label: string): CentralEntry[] {
  const entries: CentralEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw bad(label, `central directory entry ${i} is malformed`);
    const madeBy = cd.readUInt16LE(p + 4) >> 8;
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const external = cd.readUInt32LE(p + 38);
    const e: CentralEntry = {
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      // Unix "made by" (3) keeps the mode in the high 16 bits of the external attributes.
      isSymlink: madeBy === 3 && ((external >>> 16) & 0o170000) === 0o120000,
      isDir: false,
    };
    e.isDir = e.name.endsWith('/');
    // zip64 extra field: the 64-bit values, in this order, for the fields that were set to 0xFFFFFFFF.
    let x = p + 46 + nameLen;
    const extraEnd = x + extraLen;
    while (x + 4 <= extraEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        const next = (): number => {
          const v = Number(cd.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (e.size === MAX32) e.size = next();
        if (e.compressedSize === MAX32) e.compressedSize = next();
        if (e.localOffset === MAX32) e.localOffset = next();
      }
      x += 4 + len;
    }
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Checks what arrives against the directory's CRC-32 and size. */
function verifier(e: CentralEntry, label: string): Transform {
  let crc = 0;
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      crc = crc32(chunk, crc);
      n += chunk.length;
      if (n > e.size) done(bad(label, `${e.name} inflates past its declared ${e.size} bytes`));
      else done(null, chunk);
    },
    flush(done) {
      if (n !== e.size) done(bad(label, `${e.name} has ${n} bytes, the directory says ${e.size} (truncated?)`));
      else if (crc >>> 0 !== e.crc) done(bad(label, `${e.name} fails its CRC-32 check (corrupt archive)`));
      else done();
    },
  });
}

/**
 * Extracts the regular files whose base name is in `wanted` from `archive` into `dir` (flat).
 * Returns the extracted and the seen base names, like extractTar.
 */
export async function extractZip(archive: string, dir: string, wanted: readonly string[]): Promise<{ extracted: string[]; seen: string[] }> {
  const label = path.basename(archive);
  const fh = await fs.open(archive, 'r');
  const result = { extracted: [] as string[], seen: [] as string[] };
  try {
    const { size: fileSize } = await fh.stat();
    const where = await centralDirectory(fh, fileSize, label);
    const entries = parseCentral(await readAt(fh, where.offset, where.size), where.count, label);
    for (const e of entries) {
      const parts = e.name.split('/').filter((p) => p !== '' && p !== '.');
      if (e.name.startsWith('/') || e.name.includes('\\') || parts.includes('..') || /^[a-zA-Z]:/.test(e.name)) {
        throw bad(label, `entry ${JSON.stringify(e.name)} points outside the archive's folder; refused`);
      }
      if (e.isDir || parts.length === 0) continue;
      const base = parts[parts.length - 1];
      result.seen.push(base);
      if (!wanted.includes(base) || parts.length > 2) continue;
      if (e.isSymlink) throw bad(label, `${e.name} is a symbolic link, not a regular file; refused`);
      if (e.flags & 1) throw bad(label, `${e.name} is encrypted`);
      if (e.method !== 0 && e.method !== 8) throw bad(label, `${e.name} uses compression method ${e.method}; only stored and deflate are supported`);
      if (result.extracted.includes(base)) throw bad(label, `${base} appears twice`);
      const local = await readAt(fh, e.localOffset, 30);
      if (local.length < 30 || local.readUInt32LE(0) !== SIG_LOCAL) throw bad(label, `${e.name}: local header missing at byte ${e.localOffset}`);
      const dataStart = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      if (dataStart + e.compressedSize > fileSize) throw bad(label, `${e.name} runs past the end of the archive (truncated)`);
      const out = createWriteStream(path.join(dir, base), { flags: 'wx' });
      const check = verifier(e, label);
      if (e.compressedSize === 0) {
        await pipeline(async function* () {}, check, out);
      } else {
        const src = fh.createReadStream({ start: dataStart, end: dataStart + e.compressedSize - 1, autoClose: false });
        if (e.method === 8) await pipeline(src, zlib.createInflateRaw(), check, out);
        else await pipeline(src, check, out);
      }
      result.extracted.push(base);
    }
    return result;
  } finally {
    await fh.close();
  }
}

async function fileCrc(file: string): Promise<number> {
  let crc = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) crc = crc32(chunk as Buffer, crc);
  return crc >>> 0;
}

/** Writes `files` (absolute paths) stored (uncompressed) into `archive` under `folder/`. */
export async function writeZip(archive: string, folder: string, files: readonly string[]): Promise<void> {
  const out = await fs.open(archive, 'wx');
  const central: Buffer[] = [];
  let pos = 0;
  const write = async (buf: Buffer): Promise<void> => {
    await out.write(buf, 0, buf.length, pos);
    pos += buf.length;
  };
  try {
    for (const file of files) {
      const st = await fs.stat(file);
      const name = Buffer.from(`${folder}/${path.basename(file)}`, 'utf8');
      const crc = await fileCrc(file);
      const offset = pos;
      const big = st.size >= MAX32;
      const localExtra = big ? Buffer.alloc(20) : Buffer.alloc(0);
      if (big) {
        localExtra.writeUInt16LE(0x0001, 0);
        localExtra.writeUInt16LE(16, 2);
        localExtra.writeBigUInt64LE(BigInt(st.size), 4);
        localExtra.writeBigUInt64LE(BigInt(st.size), 12);
      }
      const local = Buffer.alloc(30);
      local.writeUInt32LE(SIG_LOCAL, 0);
      local.writeUInt16LE(big ? 45 : 20, 4);
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(0, 8); // stored
      local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(big ? MAX32 : st.size, 18);
      local.writeUInt32LE(big ? MAX32 : st.size, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(localExtra.length, 28);
      await write(Buffer.concat([local, name, localExtra]));
      for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) await write(chunk as Buffer);

      const needs64 = big || offset >= MAX32;
      const extra = Buffer.alloc(needs64 ? 28 : 0);
      if (needs64) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(24, 2);
        extra.writeBigUInt64LE(BigInt(st.size), 4);
        extra.writeBigUInt64LE(BigInt(st.size), 12);
        extra.writeBigUInt64LE(BigInt(offset), 20);
      }
      const c = Buffer.alloc(46);
      c.writeUInt32LE(SIG_CENTRAL, 0);
      c.writeUInt16LE((3 << 8) | 45, 4); // made by Unix
      c.writeUInt16LE(needs64 ? 45 : 20, 6);
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(0, 10);
      c.writeUInt32LE(0x00210000, 12);
      c.writeUInt32LE(crc, 16);
      c.writeUInt32LE(needs64 ? MAX32 : st.size, 20);
      c.writeUInt32LE(needs64 ? MAX32 : st.size, 24);
      c.writeUInt16LE(name.length, 28);
      c.writeUInt16LE(extra.length, 30);
      c.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      c.writeUInt32LE(needs64 ? MAX32 : offset, 42);
      central.push(Buffer.concat([c, name, extra]));
    }
    const cdOffset = pos;
    const cd = Buffer.concat(central);
    await write(cd);
    const zip64 = cdOffset >= MAX32 || files.length >= 0xffff;
    if (zip64) {
      const z = Buffer.alloc(56);
      z.writeUInt32LE(SIG_ZIP64_EOCD, 0);
      z.writeBigUInt64LE(44n, 4);
      z.writeUInt16LE(45, 12);
      z.writeUInt16LE(45, 14);
      z.writeBigUInt64LE(BigInt(files.length), 24);
      z.writeBigUInt64LE(BigInt(files.length), 32);
      z.writeBigUInt64LE(BigInt(cd.length), 40);
      z.writeBigUInt64LE(BigInt(cdOffset), 48);
      const zPos = pos;
      await write(z);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
      loc.writeBigUInt64LE(BigInt(zPos), 8);
      loc.writeUInt32LE(1, 16);
      await write(loc);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(SIG_EOCD, 0);
    end.writeUInt16LE(zip64 ? 0xffff : files.length, 8);
    end.writeUInt16LE(zip64 ? 0xffff : files.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(zip64 ? MAX32 : cdOffset, 16);
    await write(end);
    await out.sync();
  } finally {
    await out.close();
  }
}
