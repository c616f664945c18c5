/**
 * Which model a document writes with. A document may be bound to an installed
 * model (DocumentSettings.modelId: a novel to its fine-tune, a newsroom desk to
 * the base model); unbound documents use the app's active model. A binding to
 * a model that was deleted falls back to the active model, and the writer is
 * told once, while the binding itself (and the document's preset, memory and
 * note) stays as it was. Pure; use-document-model.ts runs it in the app.
 */
import type { AppInfo, ModelInfo } from '../common/contract';

export interface DocumentModel {
  /** What every request of the document sends as modelId; undefined: the active model. */
  modelId: string | undefined;
  /** The bound model when it is installed (null when unbound, or it was deleted). */
  model: ModelInfo | null;
  /** True when the document is bound to a model that is not installed any more. */
  fellBack: boolean;
}

/**
 * `models` null: the list is not loaded yet; the binding is sent as it is (the engine
 * answers not_found if it is gone, and the list arrives soon after).
 */
export function resolveDocumentModel(bound: string | null | undefined, models: readonly ModelInfo[] | null): DocumentModel {
  if (bound === null || bound === undefined) return { modelId: undefined, model: null, fellBack: false };
  if (models === null) return { modelId: bound, model: null, fellBack: false };
  const model = models.find((m) => m.id === bound) ?? null;
  if (model === null) return { modelId: undefined, model: null, fellBack: true };
  // Sent even when it is the active model today: the binding holds when the active model changes later.
  return { modelId: model.id, model, fellBack: false };
}

/**
 * app.info as the status bar should show it for this document: the bound model's
 * name and shape instead of the engine's active model, so switching documents shows
 * the switch of model.
 */
export function withDocumentModel(info: AppInfo | null, model: ModelInfo | null): AppInfo | null {
  if (info === null || model === null || model.active) return info;
  const a = model.architecture;
  return { ...info, model: { name: model.name, path: model.path, nLayer: a.layers, nEmbd: a.width, nPositions: a.context } };
}

/**
 * Remembers which (document, binding) pairs were already told about a fallback, so the
 * notice shows once, not on every request or every return to the document.
 */
export class FallbackNotices {
  private readonly told = new Set<string>();

  /** True the first time this document is seen falling back from this model. */
  shouldTell(docId: string, bound: string): boolean {
    const key = `${docId}\u0000${bound}`;
    if (this.told.has(key)) return false;
    this.told.add(key);
    return true;
  }
}
