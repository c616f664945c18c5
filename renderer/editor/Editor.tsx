/**
 * The writing surface: a Lexical rich-text editor that loads and emits
 * Markdown (and the ranges of it the model wrote, see ./provenance.ts). It is keyed by document id by its parent, so switching documents
 * mounts a fresh editor (and a fresh undo history) instead of mutating one.
 */
import { LexicalComposer, type InitialConfigType } from '@lexical/react/LexicalComposer';
import { ContentEditable } from '@lexical/react/LexicalContentEditable';
import { EditorRefPlugin } from '@lexical/react/LexicalEditorRefPlugin';
import { LexicalErrorBoundary } from '@lexical/react/LexicalErrorBoundary';
import { HistoryPlugin } from '@lexical/react/LexicalHistoryPlugin';
import { LinkPlugin } from '@lexical/react/LexicalLinkPlugin';
import { ListPlugin } from '@lexical/react/LexicalListPlugin';
import { MarkdownShortcutPlugin } from '@lexical/react/LexicalMarkdownShortcutPlugin';
import { OnChangePlugin } from '@lexical/react/LexicalOnChangePlugin';
import { RichTextPlugin } from '@lexical/react/LexicalRichTextPlugin';
import type { EditorState, LexicalEditor } from 'lexical';
import { useMemo, type RefObject } from 'react';
import { GhostTextPlugin, type GhostTextPluginProps } from './GhostTextPlugin';
import type { ProvenanceSpan } from '../../common/contract';
import { EDITOR_NODES, MARKDOWN_TRANSFORMERS } from './markdown';
import { $setMarkdownWithProvenance } from './provenance';
import { ProvenancePlugin } from './ProvenancePlugin';
import { THEME } from './theme';

export interface EditorProps {
  /** Markdown to start from; read once, at mount. */
  initialMarkdown: string;
  /**
   * Called with the new editor state after every content change (not on selection moves).
   * Converting to Markdown is the caller's job, so it can pace that work on large documents.
   */
  onContentChange: (state: EditorState) => void;
  editorRef: RefObject<LexicalEditor | null>;
  /** Inline suggestions; absent: none. */
  ghost?: GhostTextPluginProps;
  /** Machine-written ranges of initialMarkdown, read once at mount like it. */
  initialProvenance?: readonly ProvenanceSpan[];
  /** Underline machine-written text (the marks are kept either way). */
  showProvenance?: boolean;
}

/** Links in documents are text, not navigation: only plain web and mail links are kept clickable-safe. */
function validateUrl(url: string): boolean {
  return /^(https?:|mailto:)/i.test(url);
}

export function Editor({ initialMarkdown, onContentChange, editorRef, ghost, initialProvenance, showProvenance = true }: EditorProps) {
  const initialConfig = useMemo<InitialConfigType>(
    () => ({
      namespace: 'inkwell',
      nodes: EDITOR_NODES,
      theme: THEME,
      editorState: () => $setMarkdownWithProvenance(initialMarkdown, initialProvenance ?? []),
      onError: (error: Error) => {
        // Lexical reports broken invariants here; they are bugs, keep them loud.
        console.error('editor:', error);
      },
    }),
    // initialMarkdown is read once: the parent remounts the editor for another document.
    [],
  );

  return (
    <LexicalComposer initialConfig={initialConfig}>
      <div className={showProvenance ? 'editor-shell show-provenance' : 'editor-shell'}>
        <RichTextPlugin
          contentEditable={
            <ContentEditable
              className="editor-content"
              aria-label="Document text"
              aria-multiline
              role="textbox"
              spellCheck
            />
          }
          placeholder={<div className="editor-placeholder">Start writing… (# for a heading, - for a list, &gt; for a quote)</div>}
          ErrorBoundary={LexicalErrorBoundary}
        />
      </div>
      <HistoryPlugin />
      <ListPlugin />
      <LinkPlugin validateUrl={validateUrl} />
      <MarkdownShortcutPlugin transformers={MARKDOWN_TRANSFORMERS} />
      <OnChangePlugin ignoreSelectionChange onChange={onContentChange} />
      <EditorRefPlugin editorRef={editorRef} />
      <ProvenancePlugin />
      {ghost !== undefined && <GhostTextPlugin {...ghost} />}
    </LexicalComposer>
  );
}
