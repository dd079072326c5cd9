import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { app, BrowserWindow, shell } from 'electron';
import { CoachDeskHost } from '../host/coachdesk-host.ts';
import { forwardChanges, registerIpc } from './ipc.ts';
import { safeStorageVault } from './safe-storage-vault.ts';

// The desktop app's main process: window, security settings, IPC wiring and lifecycle only.
// Everything else lives in the host services (main/host), which also run without Electron.

const rendererIndex = join(__dirname, '..', 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;
let win: BrowserWindow | undefined;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (/^https?:\/\//i.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  void app.whenReady().then(start);
  app.on('window-all-closed', () => app.quit());
}

async function start(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(app.isPackaged ? 1 : 2), options: { server: { type: 'string' }, token: { type: 'string' } }, strict: false });
  const host = new CoachDeskHost(app.getPath('userData'), safeStorageVault());
  host.start();
  if (typeof values.server === 'string' && typeof values.token === 'string') {
    const result = await host.signIn(values.server, values.token);
    if (!result.ok) console.error(`sign-in to ${values.server} failed: ${result.message}`);
  }
  registerIpc(host, (url) => url === rendererUrl);
  forwardChanges(host, () => win?.webContents);
  app.on('before-quit', () => void host.close());

  win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'CoachDesk',
    webPreferences: {
      preload: join(__dirname, 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  await win.loadFile(rendererIndex);
}
