/**
 * Files in and out of the app, as the renderer sees them: a Markdown or text
 * file the writer opens becomes a new document's Markdown; an export from
 * documents.export becomes a download. The download is a Blob and an
 * <a download>, which works in browser mode and, in Electron, goes through
 * the session's download handling.
 */
import type { ExportedFile } from '../../common/contract';

/** Extensions the sidebar opens; anything else is refused with a message. */
export const IMPORTABLE = ['.md', '.markdown', '.txt'] as const;

export function isImportable(name: string): boolean {
  const lower = name.toLowerCase();
  return IMPORTABLE.some((ext) => lower.endsWith(ext));
}

/**
 * The Markdown of an opened file. Markdown is taken as it is (a BOM and CRLF line ends
 * removed). Plain text becomes paragraphs: each line its own paragraph, so poems and
 * lists keep their lines, with the inline characters Markdown would read as formatting
 * escaped (the editor's importer unescapes exactly these: * _ ` ~ \).
 */
export function importedMarkdown(name: string, text: string): string {
  const clean = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').replaceAll('\u0000', '');
  if (!name.toLowerCase().endsWith('.txt')) return clean;
  return clean
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .map((line) => line.replace(/([\\`*_~])/g, '\\$1'))
    .join('\n\n');
}

/** The title an opened file starts with: its name without the extension. */
export function titleFromFileName(name: string): string {
  return name.replace(/\.[^.]*$/, '').trim() || name;
}

/** The bytes of an export (base64 over the wire). */
export function exportedBytes(file: ExportedFile): Uint8Array<ArrayBuffer> {
  const binary = atob(file.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Starts the download of an export. */
export function downloadExport(file: ExportedFile, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob([exportedBytes(file)], { type: file.mime }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.style.display = 'none';
  doc.body.append(a);
  a.click();
  a.remove();
  // The click has handed the URL to the download; revoke it once that has started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
