// Cleaning of the built-in model's corpus (models/recipe.json → "cleaning").
// Plain ES module so that scripts/make-builtin-model.mjs runs with no build
// step; types for the unit test are in builtin-corpus.d.mts.
//
// The corpus is plain text already (no HTML tags), but the steps stay
// generic so a later package version with markup cannot leak tags into the
// model: tags stripped, entities decoded, Gutenberg-style licence headers
// and footers cut, stage notes of the State of the Union transcripts
// ("[Laughter]", "(Applause.)", "—(applause)—") and page/footnote markers
// ("[p.8]", "[1]") removed, editorial insertions ("[the States]") kept as
// words, whitespace normalised. Chapter headings ("CHAPTER 1. Loomings.")
// stay: they are prose lines the model may as well learn.

/** Named HTML entities seen in the corpus plus the usual ones; numeric ones are decoded generically. */
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', mdash: '—', ndash: '–', hellip: '…', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“' };

/** Audience reactions and transcript notes that are not the speaker's words. */
const STAGE_WORDS = 'applause|laughter|laughs|cheers|cheering|booing|boos|inaudible|crosstalk|missing text|sic';
const STAGE_NOTE = new RegExp(`\\s*[[(]\\s*(?:${STAGE_WORDS})(?:\\s+(?:and|,)\\s+(?:${STAGE_WORDS}))*[.!]?\\s*[\\])]`, 'gi');
/** Page and footnote markers of the scanned addresses: [p.8], [1], [12]. */
const PAGE_MARK = /\s*\[(?:p\.\s*\d+|\d{1,3})\]/g;
/** Editors' footnotes and descriptions of the room: "[Footnote 1: …]", "[At this point, in the First Lady's box, …]". */
const EDITOR_NOTE = /\s*\[(?:Footnote \d+:|At this point\b)[^\]\n]*\]/g;

/** Removes HTML/XML tags and decodes entities. */
export function stripMarkup(text) {
  return text
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\/?[a-zA-Z][^<>]*>/g, '')
    .replace(/&#(\d+);/g, (_m, d) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&([a-z]+);/gi, (m, name) => ENTITIES[name.toLowerCase()] ?? m);
}

/** Cuts a Project Gutenberg licence header and footer when present (the text between the START and END markers stays). */
export function stripGutenberg(text) {
  const start = /\*\*\*\s*START OF (?:THE|THIS) PROJECT GUTENBERG[^\n]*\n/i.exec(text);
  let out = start ? text.slice(start.index + start[0].length) : text;
  const end = /\*\*\*\s*END OF (?:THE|THIS) PROJECT GUTENBERG/i.exec(out);
  if (end) out = out.slice(0, end.index);
  return out;
}

/**
 * Removes stage notes, editors' notes and page markers; unwraps short
 * lower-case [editorial insertions] ("[the States]") into the sentence.
 * Longer brackets stay: in Moby-Dick they are the author's stage directions.
 */
export function stripStageNotes(text) {
  return (
    text
      .replace(STAGE_NOTE, '')
      .replace(EDITOR_NOTE, '')
      .replace(PAGE_MARK, '')
      .replace(/\[([a-z][^\][\n]{0,39})\]/g, '$1')
      // A note between two dashes ("Madam Vice President—(applause)—no President") leaves a doubled dash.
      .replace(/—\s*—/g, '—')
  );
}

/** Unix newlines, single spaces, trimmed lines, at most one blank line between paragraphs. */
export function normaliseWhitespace(text) {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u200b\ufeff]/g, '')
    .replace(/[\t \u00a0]+/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/ +([,.;:!?])/g, '$1')
    .trim();
}

/** The whole cleaning pipeline, in the order recipe.json lists it. */
export function cleanText(text) {
  return normaliseWhitespace(stripStageNotes(stripGutenberg(stripMarkup(text))));
}

/** Moby-Dick's files in reading order: etymology, extracts, chapters 1–135, epilogue. Names not in the book (contents, data.txt) are left out. */
export function mobyDickOrder(names) {
  const chapters = names
    .map((n) => /^chapter_(\d+)\.txt$/.exec(n))
    .filter((m) => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => m[0]);
  const pick = (n) => (names.includes(n) ? [n] : []);
  return [...pick('etymology.txt'), ...pick('extracts.txt'), ...chapters, ...pick('epilogue.txt')];
}

/** State of the Union files (YYYY_name_party.txt) in chronological order. */
export function sotuOrder(names) {
  return names.filter((n) => /^\d{4}_[a-z0-9_]+\.txt$/.test(n)).sort();
}
