import { expect, test } from 'vitest';
import { stripMarkdown } from '../../../main/engine/train/text-extract';

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
