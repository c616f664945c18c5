/**
 * What a side-panel tool may ask of the open document without owning the
 * editor: the text before the caret, the generation options in force for the
 * document, the model it is bound to, and inserting paragraphs at the caret.
 * App provides it; the Models tab's Compare reads it (null outside the app).
 */
import { createContext } from 'react';
import type { RequestOf } from '../common/contract';

export interface DocumentBridge {
  before: () => string;
  options: () => NonNullable<RequestOf<'engine.generate'>['options']>;
  insert: (paragraphs: string[]) => void;
  /** The model the document writes with (its binding; undefined: the active model), for requests made below App. */
  modelId: () => string | undefined;
}

export const DocumentBridgeContext = createContext<DocumentBridge | null>(null);
