/**
 * Electron entry (dist/main/index.cjs): app lifecycle, one secure window, the
 * menu. The window is sandboxed with context isolation and no Node; it may
 * not navigate, open windows, attach webviews or get any permission; every IPC
 * message is checked against this window's main frame and origin. The same
 * router and services as browser mode sit behind it (services/app-services.ts).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, Menu, app, screen, session, type IpcMainInvokeEvent, type MenuItemConstructorOptions } from 'electron';
import Store from 'electron-store';
import { resolveModelDir } from './app-paths';
import { registerIpc } from './ipc';
import { createAppServices, type AppServices } from './services/app-services';
import { CSP, isOurPage as isPage, makeSenderCheck, secureWebPreferences } from './window-security';
import { MIN_WINDOW_SIZE, restoreWindow, type WindowState } from './window-state';

const RENDERER_HTML = path.join(__dirname, '..', 'renderer', 'index.html');
const RENDERER_URL = pathToFileURL(RENDERER_HTML).href;
const log = (message: string) => console.warn(`inkwell: ${message}`);

let mainWindow: BrowserWindow | null = null;
let services: AppServices | null = null;

const isOurPage = (url: string): boolean => isPage(url, RENDERER_URL);
const isTrustedSender: (event: IpcMainInvokeEvent) => boolean = makeSenderCheck(() => mainWindow, RENDERER_URL);

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CSP],
        'X-Content-Type-Options': ['nosniff'],
        'Referrer-Policy': ['no-referrer'],
      },
    });
  });
  // An offline writing app needs no camera, location, notifications or anything else.
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

/** Window position only; a damaged file is cleared rather than reported (see window-state.ts). */
function openWindowStore(): Store<{ window?: WindowState }> {
  return new Store<{ window?: WindowState }>({ name: 'window-state', clearInvalidConfig: true });
}

function createWindow(): BrowserWindow {
  const store = openWindowStore();
  const restored = restoreWindow(store.get('window'), screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...restored.bounds,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    title: 'Inkwell',
    webPreferences: secureWebPreferences(path.join(__dirname, '..', 'preload', 'index.cjs')),
  });
  win.once('ready-to-show', () => {
    if (restored.maximized) win.maximize();
    win.show();
  });
  win.on('close', () => {
    store.set('window', { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
  });
  win.webContents.on('render-process-gone', (_event, details) => {
    // Unsaved text survives in the journal; reloading offers it back (BAD-INPUTS G.5).
    log(`renderer gone (${details.reason}); reloading`);
    if (!win.isDestroyed()) void win.loadFile(RENDERER_HTML);
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadFile(RENDERER_HTML);
  return win;
}

function buildMenu(): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ type: 'separator' as const }, { role: 'toggleDevTools' as const }]),
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

// Every web contents, whatever created it: no navigation away, no new windows, no webviews.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isOurPage(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isOurPage(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

async function start(): Promise<void> {
  const dataDir = app.getPath('userData');
  const modelDir = resolveModelDir(undefined, [app.getAppPath(), process.resourcesPath]);
  services = await createAppServices({
    dataDir,
    modelDir,
    modelDirExplicit: Boolean(process.env.INKWELL_MODEL),
    workerPath: path.join(__dirname, 'engine', 'worker.js'),
    mode: 'electron',
    version: app.getVersion(),
    log,
  });
  hardenSession();
  registerIpc(services.router, isTrustedSender, log);
  buildMenu();
  mainWindow = createWindow();
}

if (!app.requestSingleInstanceLock()) {
  // A second launch hands over to the first (BAD-INPUTS K.3) and quits.
  app.quit();
} else {
  app.enableSandbox();
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('activate', () => {
    if (app.isReady() && services && !mainWindow) mainWindow = createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !services) return;
    // Stop the engine worker before the process goes; then quit for real.
    event.preventDefault();
    quitting = true;
    void services.close().finally(() => app.quit());
  });
  app.whenReady().then(start).catch((err: unknown) => {
    log(`could not start: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    app.exit(1);
  });
}
