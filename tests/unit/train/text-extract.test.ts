import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import JSZip from 'jszip';
import { describe, expect, test } from 'vitest';
import { extractOdtText, odtXmlToText, zipEntries } from '../../../main/engine/train/odt-extract';
import { extractText, stripMarkdown, SUPPORTED_EXTENSIONS } from '../../../main/engine/train/text-extract';
import { withTempDir } from './helpers';

test.for([
  ['headings keep their words', '# Title\n\nText.\n\n## Part two ##', 'Title\n\nText.\n\nPart two'],
  ['emphasis and inline code', 'A **bold** and _quiet_ `word`.', 'A bold and quiet word.'],
  ['links keep text, images go', 'See [the sea](http://x.invalid) ![a gull](g.png) now.', 'See the sea  now.'],
  ['lists and quotes lose their markers', '- one\n* two\n3. three\n> said she', 'one\ntwo\nthree\nsaid she'],
  ['code blocks and HTML go', 'Before.\n\n```\nlet x = 1;\n```\n\n<div>After.</div>', 'Before.\n\n\n\nAfter.'],
  ['snake_case is not italics', 'a file_name_here stays', 'a file_name_here stays'],
] as const)('%s', ([, md, want]) => {
  expect(stripMarkdown(md)).toBe(want);
});

describe('.odt manuscripts', () => {
  const NS = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"';
  const contentXml = (body: string): string =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${NS}><office:automatic-styles><style:style style:name="P1"/></office:automatic-styles>` +
    `<office:body><office:text>${body}</office:text></office:body></office:document-content>`;

  /** A minimal .odt as LibreOffice writes it: an uncompressed mimetype first, then deflated XML. */
  async function odt(content: string, extra: Record<string, string> = {}, mimetype = 'application/vnd.oasis.opendocument.text'): Promise<Uint8Array> {
    const zip = new JSZip();
    zip.file('mimetype', mimetype, { compression: 'STORE' });
    zip.file('content.xml', content, { compression: 'DEFLATE' });
    for (const [name, value] of Object.entries(extra)) zip.file(name, value);
    return zip.generateAsync({ type: 'uint8array' });
  }

  test.for([
    ['paragraphs and headings', '<text:h text:outline-level="1">Chapter One</text:h><text:p text:style-name="P1">It was <text:span text:style-name="T1">dark</text:span>.</text:p>', 'Chapter One\n\nIt was dark.'],
    ['text:s, text:tab, text:line-break', '<text:p>a<text:s text:c="3"/>b<text:tab/>c<text:line-break/>d<text:s/>e</text:p>', 'a   b\tc\nd e'],
    ['XML white space collapses, entities decode', '<text:p>\n  one\n  two &amp; &lt;three&gt; &#233;&#x1F600;\n</text:p>', 'one two & <three> é😀'],
    ['comments, notes and tracked deletions are skipped', '<text:p>Kept<office:annotation><dc:creator>Ed</dc:creator><text:p>a comment</text:p></office:annotation> text<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>a footnote</text:p></text:note-body></text:note>.</text:p><text:tracked-changes><text:changed-region><text:deletion><text:p>deleted</text:p></text:deletion></text:changed-region></text:tracked-changes>', 'Kept text.'],
    ['lists, tables and empty paragraphs', '<text:list><text:list-item><text:p>first</text:p></text:list-item></text:list><text:p/><table:table><table:table-row><table:table-cell><text:p>cell</text:p></table:table-cell></table:table-row></table:table>', 'first\n\ncell'],
    ['CDATA is literal; unknown entities vanish', '<text:p><![CDATA[a <b>]]> &nbsp;c</text:p>', 'a <b> c'],
    ['attributes may hold ">"', '<text:p text:style-name="a>b">ok</text:p>', 'ok'],
  ] as const)('%s', async ([, body, want]) => {
    expect(odtXmlToText(contentXml(body), 'x.odt')).toBe(want);
    expect(extractOdtText(await odt(contentXml(body)), 'x.odt')).toBe(want);
  });

  test('read through extractText and the dataset like any manuscript', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'novel.odt');
      await writeFile(file, await odt(contentXml('<text:h>Title</text:h><text:p>Body text.</text:p>')));
      expect(await extractText(file)).toBe('Title\n\nBody text.');
      expect(SUPPORTED_EXTENSIONS).toContain('.odt');
    });
  });

  test.for([
    ['not a zip', async () => new TextEncoder().encode('plain text'), /not a zip archive/],
    ['a spreadsheet', () => odt(contentXml('<text:p>x</text:p>'), {}, 'application/vnd.oasis.opendocument.spreadsheet'), /not a text document/],
    ['no content.xml', async () => {
      const zip = new JSZip();
      zip.file('mimetype', 'application/vnd.oasis.opendocument.text');
      return zip.generateAsync({ type: 'uint8array' });
    }, /has no content\.xml/],
    ['a DOCTYPE (entity expansion)', () => odt('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><office:document-content><text:p>&a;</text:p></office:document-content>'), /declares a DOCTYPE/],
  ] as const)('refuses %s', async ([, make, error]) => {
    const bytes = await make();
    expect(() => extractOdtText(bytes, 'x.odt')).toThrow(error);
  });

  test('refuses a zip bomb from its declared sizes, before inflating', async () => {
    // A valid archive whose directory then claims content.xml unpacks to 300 MB (and then 50 MB) from a few bytes.
    const bomb = await odt('a');
    const entries = zipEntries(bomb, 'bomb.odt');
    const content = entries.find((e) => e.name === 'content.xml');
    expect(content).toBeDefined();
    const lying = bomb.slice();
    const view = new DataView(lying.buffer);
    // Patch the central directory's uncompressed size of content.xml to 300 MB.
    for (let p = 0; p + 4 <= lying.length; p++) {
      if (view.getUint32(p, true) === 0x02014b50 && new TextDecoder().decode(lying.subarray(p + 46, p + 46 + 11)) === 'content.xml') view.setUint32(p + 24, 300 * 2 ** 20, true);
    }
    expect(() => extractOdtText(lying, 'bomb.odt')).toThrow(/unpacks to 314572800 bytes; the limit is/);
    // Within the limit but a ratio no prose has: refused too.
    for (let p = 0; p + 4 <= lying.length; p++) {
      if (view.getUint32(p, true) === 0x02014b50 && new TextDecoder().decode(lying.subarray(p + 46, p + 46 + 11)) === 'content.xml') view.setUint32(p + 24, 50 * 2 ** 20, true);
    }
    expect(() => extractOdtText(lying, 'bomb.odt')).toThrow(/a zip bomb/);
  });

  test('a directory that understates the size cannot make inflation run past it', async () => {
    const bytes = await odt(contentXml(`<text:p>${'word '.repeat(50_000)}</text:p>`));
    const lying = bytes.slice();
    const view = new DataView(lying.buffer);
    for (let p = 0; p + 4 <= lying.length; p++) {
      if (view.getUint32(p, true) === 0x02014b50 && new TextDecoder().decode(lying.subarray(p + 46, p + 46 + 11)) === 'content.xml') view.setUint32(p + 24, 1000, true);
    }
    expect(() => extractOdtText(lying, 'x.odt')).toThrow(/does not inflate to its declared 1000 bytes/);
  });
});
