/**
 * Dropping a file or a link onto the window must never navigate away from
 * the writer's text (BAD-INPUTS G.4): in a browser the default action of a
 * dropped file is to open it in place of the app. Text dragged within the
 * editor is left alone, so Lexical's own drag and drop keeps working.
 */

/** True for drags that carry files or URLs, whose default action would navigate. */
export function shouldBlockDrop(types: readonly string[]): boolean {
  return types.includes('Files') || types.includes('text/uri-list');
}

/** Installs the guard on `target` (the window); returns the function that removes it. */
export function installDropGuard(target: Pick<Window, 'addEventListener' | 'removeEventListener'>): () => void {
  const guard = (e: DragEvent) => {
    if (e.dataTransfer !== null && shouldBlockDrop([...e.dataTransfer.types])) {
      e.preventDefault();
      if (e.type === 'dragover') e.dataTransfer.dropEffect = 'none';
    }
  };
  target.addEventListener('dragover', guard);
  target.addEventListener('drop', guard);
  return () => {
    target.removeEventListener('dragover', guard);
    target.removeEventListener('drop', guard);
  };
}
