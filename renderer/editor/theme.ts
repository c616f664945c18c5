/**
 * Class names Lexical puts on the nodes it renders; styles.css styles them.
 * Kept apart from Editor.tsx so the class list is easy to find from the CSS.
 */
import type { EditorThemeClasses } from 'lexical';

export const THEME: EditorThemeClasses = {
  paragraph: 'ed-p',
  quote: 'ed-quote',
  heading: { h1: 'ed-h1', h2: 'ed-h2', h3: 'ed-h3', h4: 'ed-h4', h5: 'ed-h5', h6: 'ed-h6' },
  list: {
    ul: 'ed-ul',
    ol: 'ed-ol',
    listitem: 'ed-li',
    nested: { listitem: 'ed-li-nested' },
  },
  link: 'ed-link',
  code: 'ed-code',
  text: {
    bold: 'ed-bold',
    italic: 'ed-italic',
    underline: 'ed-underline',
    strikethrough: 'ed-strike',
    code: 'ed-inline-code',
    highlight: 'ed-highlight',
  },
};
