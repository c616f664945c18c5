/** dialog.openFiles in Electron, with a fake dialog: filters, cancel, no window, and what paths come back. */
import { describe, expect, test } from 'vitest';
import { openFilesHandler, type OpenDialogLike } from '../../main/open-files-dialog';

function fakeDialog(answer: { canceled: boolean; filePaths: string[] }) {
  const asked: unknown[] = [];
  const dialog: OpenDialogLike<string> = {
    showOpenDialog: (window, options) => (asked.push({ window, options }), Promise.resolve(answer)),
  };
  return { dialog, asked };
}

describe('openFilesHandler', () => {
  test('opens a multi-select dialog on the asking window, filtered to manuscripts', async () => {
    const { dialog, asked } = fakeDialog({ canceled: false, filePaths: ['/home/me/a.md', 'C:\\b.docx', '/home/me/a.md'] });
    expect(await openFilesHandler(dialog, () => 'win-1')({ purpose: 'training' })).toEqual({ status: 'ok', paths: ['/home/me/a.md', 'C:\\b.docx'] });
    expect(asked).toEqual([
      {
        window: 'win-1',
        options: expect.objectContaining({ properties: ['openFile', 'multiSelections'], filters: [{ name: 'Manuscripts', extensions: ['txt', 'text', 'md', 'markdown', 'docx', 'odt'] }] }),
      },
    ]);
  });

  test.for([
    ['cancelled', { canceled: true, filePaths: [] }],
    ['nothing usable', { canceled: false, filePaths: ['relative.txt', '/a\u0000b.txt'] }],
  ] as const)('%s → cancelled', async ([, answer]) => {
    expect(await openFilesHandler(fakeDialog({ ...answer, filePaths: [...answer.filePaths] }).dialog, () => 'w')({ purpose: 'training' })).toEqual({ status: 'cancelled' });
  });

  test('no live window: unsupported, and no dialog is shown', async () => {
    const { dialog, asked } = fakeDialog({ canceled: false, filePaths: ['/a.txt'] });
    expect(await openFilesHandler(dialog, () => null)({ purpose: 'training' })).toEqual({ status: 'unsupported' });
    expect(asked).toEqual([]);
  });
});
