/**
 * Just enough tar (POSIX ustar, plus GNU long names and pax headers on read) to
 * import a model folder from a .tar and export one to a .tar, streaming: model
 * weights reach gigabytes and are never held in memory.
 *
 * The reader is defensive, since an archive is user input: only regular files
 * are extracted, only the names asked for, only at the archive's root or one
 * folder down; an entry that climbs out (`..`, absolute) or is a link fails the
 * whole import; a truncated archive is reported with the entry and offset.
 * (.zip needs an inflater and a central-directory reader: not done; unzip first.)
 */
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ServiceError } from '../service-error';

const BLOCK = 512;

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(block: Buffer, offset: number, length: number, where: string): number {
  const text = field(block, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new ServiceError('invalid_model', `${where}: malformed size field ${JSON.stringify(text)}`);
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  const stored = parseInt(field(block, 148, 8).trim() || '-1', 8);
  return sum === stored;
}

export interface TarExtraction {
  /** Names extracted into the target folder. */
  extracted: string[];
  /** Every file name seen in the archive (base names), for explaining what was not taken. */
  seen: string[];
}

/**
 * Extracts the regular files whose base name is in `wanted` from `archive` into `dir`
 * (flat). Throws ServiceError('invalid_model') on an unsafe or malformed archive.
 */
export async function extractTar(archive: string, dir: string, wanted: readonly string[]): Promise<TarExtraction> {
  const fh = await fs.open(archive, 'r');
  const label = path.basename(archive);
  const result: TarExtraction = { extracted: [], seen: [] };
  try {
    const { size: archiveSize } = await fh.stat();
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let longName: string | null = null;
    let paxPath: string | null = null;
    while (pos + BLOCK <= archiveSize) {
      const { bytesRead } = await fh.read(header, 0, BLOCK, pos);
      if (bytesRead < BLOCK) break;
      if (header.every((b) => b === 0)) break; // end-of-archive marker
      const where = `${label}: entry at byte ${pos}`;
      if (!checksumOk(header)) throw new ServiceError('invalid_model', `${where}: bad header checksum; not a tar file, or corrupt`);
      const size = octal(header, 124, 12, where);
      const type = String.fromCharCode(header[156] || 0x30);
      const dataStart = pos + BLOCK;
      const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
      if (dataStart + size > archiveSize) throw new ServiceError('invalid_model', `${where}: ${size} bytes announced, the archive ends at ${archiveSize} (truncated)`);
      const readData = async (): Promise<string> => {
        const buf = Buffer.alloc(Math.min(size, 1 << 20));
        await fh.read(buf, 0, buf.length, dataStart);
        return buf.toString('utf8');
      };
      if (type === 'L') {
        longName = (await readData()).replace(/\0+$/, '');
        pos = next;
        continue;
      }
      if (type === 'x' || type === 'g') {
        const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(await readData());
        if (type === 'x' && m) paxPath = m[1];
        pos = next;
        continue;
      }
      const prefix = field(header, 345, 155);
      const name = longName ?? paxPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      longName = null;
      paxPath = null;
      pos = next;
      const parts = name.split('/').filter((p) => p !== '' && p !== '.');
      if (name.startsWith('/') || parts.includes('..') || /^[a-zA-Z]:/.test(name)) {
        throw new ServiceError('invalid_model', `${label}: entry ${JSON.stringify(name)} points outside the archive's folder; refused`);
      }
      if (type === '5' || parts.length === 0) continue; // a directory
      const base = parts[parts.length - 1];
      result.seen.push(base);
      if (!wanted.includes(base) || parts.length > 2) continue;
      if (type !== '0' && type !== '7') {
        throw new ServiceError('invalid_model', `${label}: ${name} is a link or special file, not a regular file; refused`);
      }
      if (result.extracted.includes(base)) throw new ServiceError('invalid_model', `${label}: ${base} appears twice`);
      if (size > 0) {
        await pipeline(fh.createReadStream({ start: dataStart, end: dataStart + size - 1, autoClose: false }), createWriteStream(path.join(dir, base), { flags: 'wx' }));
      } else {
        await fs.writeFile(path.join(dir, base), '', { flag: 'wx' });
      }
      result.extracted.push(base);
    }
    return result;
  } finally {
    await fh.close();
  }
}

function header(name: string, size: number, mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name ${name} is longer than 100 bytes`);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(size.toString(8).padStart(11, '0') + '\0', 124);
  block.write(Math.floor(mtime / 1000).toString(8).padStart(11, '0') + '\0', 136);
  block.write('        ', 148);
  block.write('0', 156);
  block.write('ustar\x0000', 257);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return block;
}

/** Writes `files` (absolute paths) into a ustar archive at `archive`, under the folder `folder/`. */
export async function writeTar(archive: string, folder: string, files: readonly string[]): Promise<void> {
  const out = await fs.open(archive, 'wx');
  try {
    let pos = 0;
    for (const file of files) {
      const st = await fs.stat(file);
      // Files over 8 GiB need a base-256 size field; GPT-2 XL's weights are 6.4 GB.
      if (st.size >= 8 ** 11) throw new Error(`tar: ${file} is larger than ustar allows`);
      await out.write(header(`${folder}/${path.basename(file)}`, st.size, st.mtimeMs), 0, BLOCK, pos);
      pos += BLOCK;
      const src = await fs.open(file, 'r');
      try {
        const buf = Buffer.alloc(1 << 20);
        for (let done = 0; done < st.size; ) {
          const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, st.size - done), done);
          if (bytesRead === 0) throw new Error(`tar: ${file} shrank while being archived`);
          await out.write(buf, 0, bytesRead, pos);
          pos += bytesRead;
          done += bytesRead;
        }
      } finally {
        await src.close();
      }
      const pad = (BLOCK - (st.size % BLOCK)) % BLOCK;
      if (pad > 0) await out.write(Buffer.alloc(pad), 0, pad, pos);
      pos += pad;
    }
    await out.write(Buffer.alloc(BLOCK * 2), 0, BLOCK * 2, pos);
    await out.sync();
  } finally {
    await out.close();
  }
}
