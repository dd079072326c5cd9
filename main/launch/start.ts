import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDemoWorkspace, type DemoWorkspace } from '../demo/demo-workspace.ts';
import { CoachDeskHost } from '../host/coachdesk-host.ts';
import { fileModeVault } from '../host/saved-session.ts';
import { WebShell } from '../web-shell/web-shell.ts';
import { findElectronBinary } from './electron-binary.ts';

// `npm start` (desktop, falling back to the web shell) and `npm run start:web`.
// Without --server/--token it runs an embedded sync server with demo data and signs in as its coach.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    token: { type: 'string' },
    data: { type: 'string' },
    port: { type: 'string' },
    'server-port': { type: 'string' },
    web: { type: 'boolean' },
  },
});
if (!!values.server !== !!values.token) {
  console.error('error: --server URL and --token T go together');
  process.exit(2);
}
const dataDir = resolve(values.data ?? '.coachdesk-demo');
let demo: DemoWorkspace | undefined;
let server = values.server;
let token = values.token;
if (!server) {
  demo = await openDemoWorkspace(resolve(dataDir, 'demo'), { port: Number(values['server-port'] ?? 8787) });
  server = demo.server.url;
  token = demo.accounts.coach.token;
  console.log(`embedded sync server ${server} with demo data (coach ${demo.accounts.coach.name})`);
}

const stopDemo = async () => {
  await demo?.server.stop();
};

const electron = values.web ? undefined : findElectronBinary();
const desktopMain = resolve(ROOT, 'dist/electron/main.cjs');
if (electron && existsSync(desktopMain)) {
  const child = spawn(electron, [desktopMain, '--server', server, '--token', token!], { stdio: 'inherit' });
  child.on('exit', (code) => void stopDemo().then(() => process.exit(code ?? 0)));
} else {
  if (!values.web) console.log(electron ? 'The desktop build is missing (npm run build:desktop): starting the web shell instead.' : 'The Electron binary is not installed on this machine: starting the web shell instead.');
  const host = new CoachDeskHost(resolve(dataDir, 'web-shell'), fileModeVault);
  host.start();
  const signedIn = await host.signIn(server, token!);
  if (!signedIn.ok) {
    const session = await host.getSession();
    if (!session.signedIn) console.error(`could not sign in to ${server}: ${signedIn.message} (sign in from the page)`);
    else console.error(`${signedIn.message}; working offline with the saved session`);
  }
  const shell = new WebShell({ host, rendererDir: resolve(ROOT, 'dist/renderer'), port: values.port ? Number(values.port) : 0, log: (l) => console.error(l) });
  const url = await shell.listen();
  console.log(`CoachDesk is running: open ${url}`);
  const stop = () => void shell.close().then(() => host.close()).then(stopDemo).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
