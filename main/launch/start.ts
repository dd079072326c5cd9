import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDemoWorkspace, type DemoWorkspace } from '../demo/demo-workspace.ts';
import { ServerStartError } from '../embedded/server-process.ts';
import { CoachDeskHost } from '../host/coachdesk-host.ts';
import { fileModeVault } from '../host/saved-session.ts';
import { updatesOff } from '../host/updates.ts';
import { WebShell } from '../web-shell/web-shell.ts';
import { findElectronBinary } from './electron-binary.ts';

// `npm start` (desktop, falling back to the web shell when Electron is not installed),
// `npm run start:desktop` (desktop or nothing) and `npm run start:web`. The npm scripts build
// the renderer and the desktop bundle first. Without --server/--token it runs an embedded sync
// server with demo data and signs in as its coach.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    token: { type: 'string' },
    data: { type: 'string' },
    port: { type: 'string' },
    'server-port': { type: 'string' },
    web: { type: 'boolean' },
    desktop: { type: 'boolean' },
  },
});
if (values.web && values.desktop) {
  console.error('error: choose --web or --desktop, not both');
  process.exit(2);
}
if (!!values.server !== !!values.token) {
  console.error('error: --server URL and --token T go together');
  process.exit(2);
}
for (const flag of ['port', 'server-port'] as const) {
  const value = values[flag];
  if (value !== undefined && !/^\d{1,5}$/.test(value)) {
    console.error(`error: --${flag} must be a port number 0..65535, not "${value}"`);
    process.exit(2);
  }
}

/** Stops with one line for the coach, never a stack trace. The embedded server stops with us. */
function die(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}
const dataDir = resolve(values.data ?? '.coachdesk-demo');
let demo: DemoWorkspace | undefined;
let server = values.server;
let token = values.token;
if (!server) {
  const port = Number(values['server-port'] ?? 8787);
  try {
    demo = await openDemoWorkspace(resolve(dataDir, 'demo'), { port });
  } catch (error) {
    if (error instanceof ServerStartError) die(`the embedded sync server could not start: ${error.message} (or run with --server-port N)`);
    throw error;
  }
  server = demo.server.url;
  token = demo.accounts.coach.token;
  console.log(`embedded sync server ${server} with demo data (coach ${demo.accounts.coach.name}); the trainee app is at ${server.replace(/^ws/, 'http').replace(/\/sync$/, '/')}`);
}

const stopDemo = async () => {
  await demo?.server.stop();
};
// Whatever ends this process, the embedded server goes with it (its stdin pipe closes too).
process.on('exit', () => demo?.server.child.kill());
process.on('uncaughtException', (error) => {
  console.error(`CoachDesk stopped on an unexpected error: ${error.message}`);
  console.error(error.stack);
  process.exit(1);
});

const electron = values.web ? undefined : findElectronBinary();
if (values.desktop && !electron) {
  await stopDemo();
  die('the Electron binary is not installed on this machine (npm ci downloads it where it can reach GitHub; ELECTRON_OVERRIDE_DIST_PATH points to one elsewhere): use npm start or npm run start:web for the web shell');
}
if (electron) {
  // Electron runs the repository as the app: package.json's main is the bundle the npm script just built.
  const desktopMain = resolve(ROOT, 'dist/electron/main.cjs');
  if (!existsSync(desktopMain)) {
    await stopDemo();
    die(`the desktop bundle ${desktopMain} is missing: run npm run build:desktop (npm start does)`);
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(electron, [ROOT, '--server', server, '--token', token!], { stdio: 'inherit', env });
  child.on('error', (error) => void stopDemo().then(() => die(`could not start Electron (${electron}): ${error.message}`)));
  child.on('exit', (code) => void stopDemo().then(() => process.exit(code ?? 0)));
} else {
  if (!values.web) console.log('The Electron binary is not installed on this machine: starting the web shell instead.');
  const host = new CoachDeskHost(resolve(dataDir, 'web-shell'), fileModeVault, updatesOff('the web shell runs from source: update it with git pull'));
  host.start();
  const signedIn = await host.signIn(server, token!);
  if (!signedIn.ok) {
    const session = await host.getSession();
    if (!session.signedIn) console.error(`could not sign in to ${server}: ${signedIn.message} (sign in from the page)`);
    else console.error(`${signedIn.message}; working offline with the saved session`);
  }
  const shell = new WebShell({ host, rendererDir: resolve(ROOT, 'dist/renderer'), port: values.port ? Number(values.port) : 0, log: (l) => console.error(l) });
  const url = await shell.listen().catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') die(`port ${values.port} on 127.0.0.1 is already in use: choose another --port, or leave it out to pick a free one`);
    throw error;
  });
  console.log(`CoachDesk is running: open ${url}`);
  const stop = () => void shell.close().then(() => host.close()).then(stopDemo).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
