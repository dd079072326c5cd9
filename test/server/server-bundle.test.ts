// The bundled sync server (scripts/build-server.mjs, what the Docker image runs) works without
// the repository: built into a temporary folder, run from outside the repository with NODE_PATH
// and NODE_OPTIONS unset, it finds nothing of the repository's node_modules. Everything but
// better-sqlite3 must be inside the bundle; better-sqlite3 comes from the node_modules the build
// copies beside it (as in the image).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../protocol/index.ts';
import { tempDir } from '../helpers.ts';
import { ROOT, sleep, within } from '../e2e/support.ts';

const T = { timeout: 60_000 };

interface Run {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

/** An environment with nothing that could lead Node back to the repository's modules. */
function bareEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  return env;
}

function run(args: string[], cwd: string): Run {
  const proc = spawn(process.execPath, args, { cwd, env: bareEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('close', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    }),
  );
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Runs to the end; a run past `ms` is killed and fails. */
async function runToEnd(args: string[], cwd: string, ms: number) {
  const child = run(args, cwd);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), ms);
  const exit = await child.exited;
  clearTimeout(timer);
  assert.ok(exit.signal !== 'SIGKILL', `node ${args.join(' ')} did not finish within ${ms} ms\n${child.stderr()}`);
  return { ...exit, stdout: child.stdout(), stderr: child.stderr() };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

let tmp: { dir: string; cleanup: () => void };
let outDir: string;
let bundle: string;

describe('the bundled sync server', () => {
  before(async () => {
    tmp = tempDir('coachdesk-server-bundle-');
    const rel = relative(ROOT, tmp.dir);
    assert.ok(rel.startsWith('..') || rel.startsWith(sep), `the temporary folder ${tmp.dir} must be outside the repository`);
    outDir = join(tmp.dir, 'bundle');
    bundle = join(outDir, 'cli.mjs');
    const built = await runToEnd([join(ROOT, 'scripts', 'build-server.mjs'), '--outdir', outDir], ROOT, 60_000);
    assert.equal(built.code, 0, built.stderr);
    assert.ok(existsSync(bundle), `no ${bundle}: ${built.stdout}`);
  });
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    tmp?.cleanup();
  });

  test('beside the bundle only better-sqlite3 can be found: ws, zod, pino, prom-client and tsx cannot', T, async () => {
    // An ES module evaluated in the bundle's folder resolves packages as the bundle does.
    const probe = `
      const out = {};
      for (const name of ['ws', 'zod', 'pino', 'prom-client', 'tsx', 'better-sqlite3']) {
        try { out[name] = import.meta.resolve(name); await import(name); } catch (error) { out[name] = error.code ?? String(error); }
      }
      console.log(JSON.stringify(out));`;
    const r = await runToEnd(['--input-type=module', '-e', probe], outDir, 20_000);
    assert.equal(r.code, 0, r.stderr);
    const found = JSON.parse(r.stdout.trim()) as Record<string, string>;
    for (const name of ['ws', 'zod', 'pino', 'prom-client', 'tsx']) assert.equal(found[name], 'ERR_MODULE_NOT_FOUND', name);
    assert.ok(found['better-sqlite3']!.startsWith(pathToFileURL(join(outDir, 'node_modules', 'better-sqlite3', sep)).href), found['better-sqlite3']);
    const pkg = JSON.parse(readFileSync(join(outDir, 'package.json'), 'utf8')) as { type: string; dependencies: Record<string, string> };
    assert.equal(pkg.type, 'module');
    assert.deepEqual(Object.keys(pkg.dependencies), ['better-sqlite3']);
    // The C sources and the compiler's objects stay behind; the compiled module comes along.
    assert.ok(existsSync(join(outDir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')));
    assert.ok(!existsSync(join(outDir, 'node_modules/better-sqlite3/deps')));
    assert.ok(!existsSync(join(outDir, 'node_modules/better-sqlite3/build/Release/obj.target')));
  });

  test('add-coach, then serve: the app, /healthz, /readyz, /metrics, a WebSocket hello, and a clean stop on SIGTERM', T, async () => {
    const db = join(tmp.dir, 's.db');
    const added = await runToEnd([bundle, 'add-coach', '--db', db, '--name', 'Ana'], tmp.dir, 20_000);
    assert.equal(added.code, 0, added.stderr);
    const coach = JSON.parse(added.stdout.trim().split('\n').pop()!) as { userId: string; token: string };
    assert.match(coach.token, /\S{20,}/);

    const appDir = join(tmp.dir, 'app');
    mkdirSync(appDir);
    const index = '<!doctype html><title>CoachDesk</title>';
    writeFileSync(join(appDir, 'index.html'), index);

    const server = run([bundle, 'serve', '--db', db, '--host', '127.0.0.1', '--port', '0', '--app-dir', appDir], tmp.dir);
    let url: string | undefined;
    for (const started = Date.now(); !url; await sleep(20)) {
      url = /listening (ws:\/\/127\.0\.0\.1:\d+\/sync)/.exec(server.stdout())?.[1];
      if (server.proc.exitCode !== null || server.proc.signalCode !== null) assert.fail(`serve exited before listening:\n${server.stderr()}`);
      if (Date.now() - started > 20_000) assert.fail(`serve printed no address within 20 s:\n${server.stderr()}`);
    }
    const http = url.replace(/^ws:/, 'http:').replace(/\/sync$/, '');

    assert.deepEqual(await get(`${http}/healthz`), { status: 200, body: 'ok\n' });
    assert.equal((await get(`${http}/readyz`)).status, 200);
    // prom-client, bundled, answers in Prometheus' text format.
    const metrics = await get(`${http}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^# TYPE \S+ (counter|gauge|histogram)/m);
    assert.deepEqual(await get(`${http}/`), { status: 200, body: index });
    assert.equal((await get(`${http}/today`)).status, 200);

    const ws = new WebSocket(url);
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await within('the WebSocket opening', 10_000, new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject)));
    ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, token: coach.token, clientId: 'bundle-test', lastVersion: 0 }));
    for (const started = Date.now(); !frames.some((f) => f.type === 'welcome' || f.type === 'error'); await sleep(10)) {
      if (Date.now() - started > 10_000) assert.fail(`no answer to hello within 10 s: ${JSON.stringify(frames)}\n${server.stderr()}`);
    }
    const welcome = frames.find((f) => f.type === 'welcome' || f.type === 'error')!;
    assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
    assert.equal(welcome.userId, coach.userId);
    assert.equal(welcome.role, 'coach');

    server.proc.kill('SIGTERM');
    const exit = await within('the server stopping after SIGTERM', 15_000, server.exited);
    // Exit code 0 and no signal: the server handled SIGTERM itself (and did not die of it).
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
    await within('the WebSocket closing with the server', 5_000, closed);
  });
});
