/**
 * dialog.openFiles for Electron: the native open dialog, parented to the
 * window that asked, filtered to the files the training reader can read.
 * Kept apart from main/ipc.ts (which imports electron) so it is unit-tested
 * with a fake dialog; the returned paths come from the OS dialog, never from
 * the renderer, and are checked like any other user path.
 */
import { MAX_PATH_CHARS, MAX_TRAINING_FILES, TRAINING_FILE_EXTENSIONS, type OpenFilesResult, type ParsedRequestOf } from '../common/contract';

/** The part of Electron's `dialog` we use (Electron's own type is structurally compatible). */
export interface OpenDialogLike<W> {
  showOpenDialog(
    window: W,
    options: { title?: string; properties: ('openFile' | 'multiSelections')[]; filters: { name: string; extensions: string[] }[] },
  ): Promise<{ canceled: boolean; filePaths: string[] }>;
}

const ABSOLUTE = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

export function openFilesHandler<W>(dialog: OpenDialogLike<W>, windowOf: () => W | null) {
  return async (request: ParsedRequestOf<'dialog.openFiles'>): Promise<OpenFilesResult> => {
    const window = windowOf();
    // Without a live parent window the dialog would float unowned; answer as the browser does.
    if (window === null) return { status: 'unsupported' };
    const r = await dialog.showOpenDialog(window, {
      title: request.purpose === 'training' ? 'Manuscripts to train on' : undefined,
      properties: ['openFile', 'multiSelections'],
      filters: [{ name: 'Manuscripts', extensions: TRAINING_FILE_EXTENSIONS.map((e) => e.slice(1)) }],
    });
    if (r.canceled) return { status: 'cancelled' };
    const paths = [...new Set(r.filePaths)].filter((p) => p.length <= MAX_PATH_CHARS && !p.includes('\0') && ABSOLUTE.test(p)).slice(0, MAX_TRAINING_FILES);
    return paths.length === 0 ? { status: 'cancelled' } : { status: 'ok', paths };
  };
}
