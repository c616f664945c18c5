/**
 * Shows which text the model wrote. Machine-written text nodes (node state,
 * see ./provenance.ts) get the `ai-text` class on their DOM element; the
 * editor shell (Editor.tsx) gets `show-provenance` while the writer wants the
 * underline, so hiding it is one class and no editor update. The typing rule (what the
 * writer types inside a machine run is the writer's) is a node transform
 * registered here. Screen readers hear nothing of the marks: a class only.
 */
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { mergeRegister } from '@lexical/utils';
import { $getNodeByKey, TextNode, type LexicalEditor } from 'lexical';
import { useEffect } from 'react';
import { $isAiText, $unmarkTyped, AI_TEXT_CLASS } from './provenance';

export function registerProvenance(editor: LexicalEditor): () => void {
  return mergeRegister(
    editor.registerNodeTransform(TextNode, $unmarkTyped),
    editor.registerMutationListener(TextNode, (mutations) => {
      editor.getEditorState().read(() => {
        for (const [key, mutation] of mutations) {
          if (mutation === 'destroyed') continue;
          const element = editor.getElementByKey(key);
          element?.classList.toggle(AI_TEXT_CLASS, $isAiText($getNodeByKey(key)));
        }
      });
    }),
  );
}

export function ProvenancePlugin() {
  const [editor] = useLexicalComposerContext();
  useEffect(() => registerProvenance(editor), [editor]);
  return null;
}
