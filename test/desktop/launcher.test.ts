// `npm start` and `npm run start:desktop` with a stand-in for the Electron binary (the `electron`
// package's ELECTRON_OVERRIDE_DIST_PATH): they build the bundle they launch and launch it, with
// the embedded server's address and the demo coach's token; without a binary, npm start falls
// back to the web shell and start:desktop says why it cannot start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../helpers.ts';
import { ROOT } from '../e2e/support.ts';

const tmp = tempDir('coachdesk-launcher-');
after(() => tmp.cleanup());

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an npm script to its end, or kills it once `stopWhen` matches its output (or after 120 s). */
function runNpm(args: string[], env: Record<string, string>, stopWhen?: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(killGroup, 120_000);
    const watch = () => {
      if (stopWhen?.test(stdout)) killGroup();
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      watch();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A stand-in Electron: records how it was started and checks the app it was given. */
function standIn(dir: string, report: string): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'electron');
  writeFileSync(
    file,
    `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const [appDir, ...rest] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(path.join(appDir, 'package.json'), 'utf8'));
const main = path.join(appDir, pkg.main);
const server = rest[rest.indexOf('--server') + 1];
fetch(server.replace(/^ws/, 'http')).then((res) => res.status, (error) => 'unreachable: ' + error.message).then((serverAnswered) => {
  fs.writeFileSync(${JSON.stringify(report)}, JSON.stringify({
    appDir, rest, main, mainExists: fs.existsSync(main), mainMtimeMs: fs.existsSync(main) ? fs.statSync(main).mtimeMs : 0,
    preloadExists: fs.existsSync(path.join(path.dirname(main), 'preload.js')),
    rendererExists: fs.existsSync(path.join(appDir, 'dist/renderer/index.html')),
    runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null, serverAnswered,
  }));
  process.exit(0);
});
`,
  );
  chmodSync(file, 0o755);
}

describe('the launcher with a stand-in Electron binary', () => {
  const bin = join(tmp.dir, 'bin');
  const report = join(tmp.dir, 'stand-in.json');
  before(() => standIn(bin, report));

  for (const script of ['start', 'start:desktop']) {
    test(`npm run ${script} builds the desktop bundle and launches Electron on it`, async () => {
      const startedAt = Date.now();
      const port = await freePort();
      const run = await runNpm(['run', '-s', script, '--', '--data', join(tmp.dir, `data-${script}`), '--server-port', String(port)], {
        ELECTRON_OVERRIDE_DIST_PATH: bin,
        ELECTRON_RUN_AS_NODE: '1',
      });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.doesNotMatch(run.stdout, /web shell/i);
      const seen = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown> & { rest: string[] };
      assert.equal(realpathSync(seen.appDir as string), realpathSync(ROOT));
      assert.equal(seen.main, join(seen.appDir as string, 'dist/electron/main.cjs'));
      assert.equal(seen.mainExists, true);
      assert.ok((seen.mainMtimeMs as number) >= startedAt - 1000, 'the bundle was built by this run');
      assert.equal(seen.preloadExists, true);
      assert.equal(seen.rendererExists, true);
      assert.equal(seen.runAsNode, null, 'ELECTRON_RUN_AS_NODE is not passed on');
      assert.deepEqual(seen.rest.slice(0, 1), ['--server']);
      assert.equal(seen.rest[1], `ws://127.0.0.1:${port}/sync`);
      assert.equal(seen.rest[2], '--token');
      assert.ok(seen.rest[3] && seen.rest[3].length > 10);
      assert.equal(typeof seen.serverAnswered, 'number', `the embedded server was up while Electron ran: ${String(seen.serverAnswered)}`);
      // The embedded server stopped with the launcher.
      const again = await fetch(`http://127.0.0.1:${port}/`).then(
        () => 'answered',
        () => 'closed',
      );
      assert.equal(again, 'closed');
      statSync(report);
    });
  }

  test('without an Electron binary, npm start falls back to the web shell', async () => {
    const empty = join(tmp.dir, 'no-electron');
    mkdirSync(empty, { recursive: true });
    const run = await runNpm(['run', '-s', 'start', '--', '--data', join(tmp.dir, 'data-fallback'), '--server-port', String(await freePort())], { ELECTRON_OVERRIDE_DIST_PATH: empty }, /CoachDesk is running: open http:\/\/127\.0\.0\.1:\d+/);
    assert.match(run.stdout, /The Electron binary is not installed on this machine: starting the web shell instead\./);
    assert.match(run.stdout, /CoachDesk is running: open http:\/\/127\.0\.0\.1:\d+/);
  });

  test('without an Electron binary, npm run start:desktop stops with one line saying why', async () => {
    const empty = join(tmp.dir, 'no-electron');
    mkdirSync(empty, { recursive: true });
    const run = await runNpm(['run', '-s', 'start:desktop', '--', '--data', join(tmp.dir, 'data-none'), '--server-port', String(await freePort())], { ELECTRON_OVERRIDE_DIST_PATH: empty });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: the Electron binary is not installed on this machine/m);
    assert.doesNotMatch(run.stdout, /CoachDesk is running/);
  });
});
