/**
 * OpenDocument text (.odt, LibreOffice's and Google Docs' export format) to
 * prose. An .odt is a zip; its words are in content.xml.
 *
 * What this is: a small, strict zip reader (central directory only, stored or
 * deflated entries, sizes checked before anything is inflated and inflation
 * capped at that size, so a zip bomb is refused, not unpacked) and a tokenizer
 * for the well-formed XML subset ODF writes. What it is not: a general XML
 * parser. It reads no DTD and expands no entities beyond XML's five and
 * numeric references; a DOCTYPE is refused outright (no external entities, no
 * entity-expansion bombs).
 *
 * Text rules (ODF 1.2 §6.1): text:p and text:h are paragraphs; white space in
 * them collapses to one space; text:s (c spaces), text:tab and
 * text:line-break are the explicit ones; spans and links are transparent.
 * Comments (office:annotation), footnotes and endnotes (text:note: they would
 * cut a sentence in two), tracked deletions (text:tracked-changes) and image
 * descriptions are skipped.
 */
import { inflateRawSync } from 'node:zlib';

/** content.xml of a 200k-word novel is ~10 MB; far more is a bomb or not a manuscript. */
export const MAX_ODT_CONTENT_BYTES = 256 * 1024 * 1024;
/** Prose XML deflates ~5-10×; a declared ratio above this is a bomb. */
const MAX_COMPRESSION_RATIO = 200;
const MAX_SPACES = 1000;
const ODT_MIMETYPE = 'application/vnd.oasis.opendocument.text';

/** A bad .odt: the message names the file and the reason (dataset.ts turns it into a DatasetInputError). */
export class OdtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OdtError';
  }
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** The central directory's entries; refuses zip64, encryption and anything inconsistent. */
export function zipEntries(zip: Uint8Array, label: string): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new OdtError(`${label}: not a zip archive (no end-of-central-directory record), so not an .odt file`);
  const count = view.getUint16(eocd + 10, true);
  const dirSize = view.getUint32(eocd + 12, true);
  const dirOffset = view.getUint32(eocd + 16, true);
  if (dirOffset === 0xffffffff || count === 0xffff) throw new OdtError(`${label}: a zip64 archive, which an .odt never needs; refused`);
  if (dirOffset + dirSize > eocd) throw new OdtError(`${label}: the zip directory (bytes ${dirOffset}..${dirOffset + dirSize}) overlaps its end record at ${eocd}`);
  const entries: ZipEntry[] = [];
  let p = dirOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== 0x02014b50) throw new OdtError(`${label}: zip directory entry ${n} at byte ${p} is damaged`);
    const flags = view.getUint16(p + 8, true);
    const nameLen = view.getUint16(p + 28, true);
    const entry: ZipEntry = {
      method: view.getUint16(p + 10, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
      name: new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen)),
    };
    if (flags & 1) throw new OdtError(`${label}: ${entry.name} is encrypted (a password-protected document); save it without a password`);
    entries.push(entry);
    p += 46 + nameLen + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return entries;
}

/** One entry's bytes, inflated with a hard cap at its declared size (checked first). */
export function readZipEntry(zip: Uint8Array, entry: ZipEntry, label: string, maxBytes: number): Uint8Array {
  const where = `${label}: ${entry.name}`;
  if (entry.size > maxBytes) throw new OdtError(`${where} unpacks to ${entry.size} bytes; the limit is ${maxBytes}`);
  if (entry.size > 1_000_000 && entry.size > MAX_COMPRESSION_RATIO * Math.max(1, entry.compressedSize)) {
    throw new OdtError(`${where} would unpack ${entry.compressedSize} bytes into ${entry.size} (a zip bomb?); refused`);
  }
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const h = entry.localOffset;
  if (h + 30 > zip.length || view.getUint32(h, true) !== 0x04034b50) throw new OdtError(`${where}: no local header at byte ${h}`);
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + entry.compressedSize;
  if (end > zip.length) throw new OdtError(`${where} ends at byte ${end}, the file has ${zip.length}`);
  const data = zip.subarray(start, end);
  let out: Uint8Array;
  if (entry.method === 0) out = data;
  else if (entry.method === 8) {
    try {
      // maxOutputLength holds even when the directory lies about the size.
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    } catch (err) {
      throw new OdtError(`${where} does not inflate to its declared ${entry.size} bytes (${(err as Error).message})`);
    }
  } else throw new OdtError(`${where} uses zip method ${entry.method}; only stored (0) and deflate (8) are read`);
  if (out.length !== entry.size) throw new OdtError(`${where} unpacks to ${out.length} bytes, the directory says ${entry.size}`);
  return out;
}

/** Elements whose whole content is not the manuscript's running text. */
const SKIPPED = new Set(['office:annotation', 'text:note', 'text:tracked-changes', 'svg:title', 'svg:desc', 'office:meta']);
const PARAGRAPHS = new Set(['text:p', 'text:h']);

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML's five entities and numeric references; anything else (it would need a DTD) is dropped. */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,4});/g, (_, ref: string) => {
    if (ref[0] !== '#') return ENTITIES[ref] ?? '';
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '';
  });
}

// One token: a comment, a processing instruction, CDATA, a DOCTYPE, or a tag (quoted attribute values may hold '>').
const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<!DOCTYPE|<(\/?)([A-Za-z_][\w.:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;

/** The paragraphs of an ODF content.xml, joined by blank lines. */
export function odtXmlToText(xml: string, label: string): string {
  const paragraphs: string[] = [];
  const stack: string[] = [];
  let skipAt = -1; // stack depth where a skipped element opened; -1: not skipping
  let inParagraph = 0;
  let current = '';
  const flush = (): void => {
    const p = current.replace(/ +\n|\n +/g, '\n').trim();
    if (p !== '') paragraphs.push(p);
    current = '';
  };
  const text = (raw: string): void => {
    if (skipAt < 0 && inParagraph > 0) current += raw.replace(/[ \t\r\n]+/g, ' ');
  };
  let last = 0;
  for (const m of xml.matchAll(TOKEN)) {
    text(decodeEntities(xml.slice(last, m.index)));
    last = m.index + m[0].length;
    if (m[0] === '<!DOCTYPE') throw new OdtError(`${label}: content.xml declares a DOCTYPE; ODF never does, and DTDs are not read`);
    if (m[1] !== undefined) {
      text(m[1]); // CDATA is literal
      continue;
    }
    const name = m[3];
    if (name === undefined) continue; // comment or processing instruction
    const closing = m[2] === '/';
    const selfClosing = m[5] === '/';
    if (closing) {
      const at = stack.lastIndexOf(name);
      if (at < 0) continue; // a stray close tag: ignore rather than fail a whole manuscript
      for (let d = stack.length - 1; d >= at; d--) {
        if (PARAGRAPHS.has(stack[d]) && skipAt < 0) {
          inParagraph--;
          flush();
        }
        if (skipAt === d) skipAt = -1;
      }
      stack.length = at;
      continue;
    }
    if (skipAt >= 0) {
      if (!selfClosing) stack.push(name);
      continue;
    }
    if (SKIPPED.has(name)) {
      if (!selfClosing) {
        skipAt = stack.length;
        stack.push(name);
      }
      continue;
    }
    if (PARAGRAPHS.has(name)) {
      // A paragraph inside a paragraph (a text frame): the outer one's text so far is its own paragraph.
      flush();
      if (!selfClosing) {
        inParagraph++;
        stack.push(name);
      }
      continue;
    }
    if (inParagraph > 0) {
      if (name === 'text:s') {
        const c = /text:c\s*=\s*["'](\d+)["']/.exec(m[4]);
        current += ' '.repeat(Math.min(MAX_SPACES, c ? Number(c[1]) : 1));
      } else if (name === 'text:tab') current += '\t';
      else if (name === 'text:line-break') current += '\n';
    }
    if (!selfClosing) stack.push(name);
  }
  text(decodeEntities(xml.slice(last)));
  flush();
  return paragraphs.join('\n\n');
}

/** The prose of an .odt file's bytes. */
export function extractOdtText(zip: Uint8Array, label: string): string {
  const entries = zipEntries(zip, label);
  const mimetype = entries.find((e) => e.name === 'mimetype');
  if (mimetype) {
    const type = new TextDecoder().decode(readZipEntry(zip, mimetype, label, 200)).trim();
    if (type !== ODT_MIMETYPE) throw new OdtError(`${label}: an OpenDocument file of type '${type}', not a text document (${ODT_MIMETYPE})`);
  }
  const content = entries.find((e) => e.name === 'content.xml');
  if (!content) throw new OdtError(`${label}: has no content.xml, so it is not an OpenDocument text file`);
  const bytes = readZipEntry(zip, content, label, MAX_ODT_CONTENT_BYTES);
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new OdtError(`${label}: content.xml is not UTF-8`);
  }
  return odtXmlToText(xml, label);
}
