import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { app, BrowserWindow, protocol, session, shell } from 'electron';
import { autoUpdater } from 'electron-updater';
import { APP_ENTRY, APP_SCHEME, isAppUrl, serveAppRequest } from '../desktop/app-protocol.ts';
import { runSmokeTest, SMOKE_TIMEOUT_MS } from '../desktop/smoke-test.ts';
import { CoachDeskHost } from '../host/coachdesk-host.ts';
import { UpdateCoordinator, updatesOff, type UpdateService } from '../host/updates.ts';
import { forwardChanges, registerIpc } from './ipc.ts';
import { electronPrinter } from './pdf-electron.ts';
import { safeStorageVault } from './safe-storage-vault.ts';

// The desktop app's main process: window, security settings, IPC wiring and lifecycle only.
// Everything else lives in the host services (main/host, main/desktop), which also run without Electron.

const rendererDir = join(__dirname, '..', 'renderer');
const { values: args } = parseArgs({
  args: process.argv.slice(app.isPackaged ? 1 : 2),
  options: { server: { type: 'string' }, token: { type: 'string' }, 'smoke-test': { type: 'string' }, 'user-data-dir': { type: 'string' } },
  strict: false,
});
const smokeReport = typeof args['smoke-test'] === 'string' ? resolve(args['smoke-test']) : undefined;
if (typeof args['user-data-dir'] === 'string') app.setPath('userData', resolve(args['user-data-dir']));

// Must happen before `ready`: app:// is a standard, secure origin for the renderer.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let win: BrowserWindow | undefined;

if (!smokeReport && !app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (/^https?:\/\//i.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  if (smokeReport) {
    // A hung smoke test must still fail the build: the report step has its own 60 s limit.
    setTimeout(() => {
      console.error(`smoke test: no result after ${SMOKE_TIMEOUT_MS / 1000 + 5} s`);
      app.exit(2);
    }, SMOKE_TIMEOUT_MS + 5_000).unref();
  }
  void app.whenReady().then(start).catch((error: Error) => {
    console.error(`CoachDesk could not start: ${error.stack ?? error.message}`);
    app.exit(1);
  });
  app.on('window-all-closed', () => app.quit());
}

function updateService(): UpdateService {
  if (smokeReport) return updatesOff('smoke test');
  if (!app.isPackaged) return updatesOff('this copy of CoachDesk runs from source');
  const updates = new UpdateCoordinator(autoUpdater, { log: (line) => console.error(line) });
  updates.start();
  return updates;
}

async function start(): Promise<void> {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, rendererDir));
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  const host = new CoachDeskHost(app.getPath('userData'), safeStorageVault(), updateService());
  host.start();
  if (typeof args.server === 'string' && typeof args.token === 'string') {
    const result = await host.signIn(args.server, args.token);
    if (!result.ok) console.error(`sign-in to ${args.server} failed: ${result.message}`);
  }
  host.pdfPrinter = electronPrinter();
  registerIpc(host, isAppUrl);
  forwardChanges(host, () => win?.webContents);
  app.on('before-quit', () => void host.close());

  win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'CoachDesk',
    show: !smokeReport,
    webPreferences: {
      preload: join(__dirname, 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      // The smoke test's window is hidden; its timers must not be throttled.
      backgroundThrottling: !smokeReport,
    },
  });

  if (!smokeReport) {
    await win.loadURL(APP_ENTRY);
    return;
  }
  const page = win.webContents;
  const report = await runSmokeTest({
    userDataDir: app.getPath('userData'),
    reportFile: smokeReport,
    versions: { app: app.getVersion(), electron: process.versions.electron, chrome: process.versions.chrome, node: process.versions.node, modules: process.versions.modules, platform: `${process.platform}-${process.arch}` },
    openPage: async () => {
      await win!.loadURL(APP_ENTRY);
      // The page renders after its first answers from the host: wait for #root to fill.
      await page.executeJavaScript(
        `new Promise((done) => { const t0 = Date.now(); (function wait() { if (document.getElementById('root')?.childElementCount || Date.now() - t0 > 20000) done(); else setTimeout(wait, 50); })(); })`,
      );
      return { url: () => page.getURL(), evaluate: (expression) => page.executeJavaScript(expression) };
    },
  });
  console.log(report.ok ? `smoke test passed: ${smokeReport}` : `smoke test failed: ${report.failure}`);
  await host.close();
  app.exit(report.ok ? 0 : 1);
}
