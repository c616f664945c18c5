/**
 * Exporting a document as a file the writer downloads: Markdown as stored, or
 * a Word document (the `docx` package) with its headings, paragraphs, lists,
 * quotes, code and bold / italic / strikethrough / code runs. Machine-written
 * text is marked only when asked for: wrapped in <mark>…</mark> in Markdown,
 * a dotted underline in Word. By default the marks are dropped.
 */
import {
  AlignmentType,
  Document,
  HeadingLevel,
  LevelFormat,
  Packer,
  Paragraph,
  TextRun,
  UnderlineType,
  type ParagraphChild,
} from 'docx';
import type { ExportedFile, ProvenanceSpan } from '../../common/contract';
import { injectSentinels, wrapSpans } from '../../common/provenance';
import { parseBlocks, type Block, type Run } from './markdown-blocks';

export type ExportFormat = 'md' | 'docx';

export interface ExportSource {
  title: string;
  content: string;
  provenance?: readonly ProvenanceSpan[];
}

const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const HEADINGS = [HeadingLevel.HEADING_1, HeadingLevel.HEADING_2, HeadingLevel.HEADING_3, HeadingLevel.HEADING_4, HeadingLevel.HEADING_5, HeadingLevel.HEADING_6];
const MONO = 'Consolas';
/** Word's dotted underline in a quiet grey: visible, but it does not shout. */
const AI_UNDERLINE = { type: UnderlineType.DOTTED, color: '808080' } as const;

/** A file name from a title: characters no file system refuses, never empty, never a bare dot name. */
export function exportFilename(title: string, format: ExportFormat): string {
  const base = title
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a file name must not hold
    .replace(/[\\/:*?"<>|\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '')
    .slice(0, 100);
  return `${base || 'document'}.${format}`;
}

export async function exportDocument(doc: ExportSource, format: ExportFormat, withProvenance: boolean): Promise<ExportedFile> {
  const spans = withProvenance ? (doc.provenance ?? []) : [];
  const filename = exportFilename(doc.title, format);
  if (format === 'md') {
    const text = spans.length > 0 ? wrapSpans(doc.content, spans, '<mark>', '</mark>') : doc.content;
    return { filename, mime: 'text/markdown', base64: Buffer.from(text, 'utf8').toString('base64') };
  }
  const bytes = await docxBytes(doc.title, spans.length > 0 ? injectSentinels(doc.content, spans) : doc.content);
  return { filename, mime: DOCX_MIME, base64: bytes.toString('base64') };
}

/** The Word document for Markdown that may carry provenance sentinels. */
export async function docxBytes(title: string, markdown: string): Promise<Buffer> {
  const children = parseBlocks(markdown).flatMap(blockParagraphs);
  const document = new Document({
    title,
    creator: 'Inkwell',
    numbering: {
      config: [
        {
          reference: 'ordered',
          levels: Array.from({ length: 9 }, (_, level) => ({
            level,
            format: LevelFormat.DECIMAL,
            text: `%${level + 1}.`,
            alignment: AlignmentType.START,
            style: { paragraph: { indent: { left: 720 * (level + 1), hanging: 360 } } },
          })),
        },
      ],
    },
    sections: [{ children: children.length > 0 ? children : [new Paragraph({})] }],
  });
  return Packer.toBuffer(document);
}

function blockParagraphs(block: Block): Paragraph[] {
  switch (block.kind) {
    case 'heading':
      return [new Paragraph({ heading: HEADINGS[block.level - 1], children: block.runs.map((r) => textRun(r)) })];
    case 'paragraph':
      return [new Paragraph({ children: block.runs.map((r) => textRun(r)) })];
    case 'quote':
      return [new Paragraph({ indent: { left: 720 }, children: block.runs.map((r) => textRun(r, { italic: true })) })];
    case 'item':
      return [
        new Paragraph({
          ...(block.ordered ? { numbering: { reference: 'ordered', level: block.level } } : { bullet: { level: block.level } }),
          children: block.runs.map((r) => textRun(r)),
        }),
      ];
    case 'code':
      return (block.lines.length > 0 ? block.lines : ['']).map(
        (line) => new Paragraph({ children: [new TextRun({ text: line.replace(/[\uFDD0\uFDD1]/g, ''), font: MONO })] }),
      );
  }
}

function textRun(run: Run, extra: { italic?: boolean } = {}): ParagraphChild {
  return new TextRun({
    text: run.text,
    ...(run.breakBefore === true ? { break: 1 } : {}),
    ...(run.bold === true ? { bold: true } : {}),
    ...(run.italic === true || extra.italic === true ? { italics: true } : {}),
    ...(run.strike === true ? { strike: true } : {}),
    ...(run.code === true ? { font: MONO } : {}),
    ...(run.ai === true ? { underline: AI_UNDERLINE } : {}),
  });
}
