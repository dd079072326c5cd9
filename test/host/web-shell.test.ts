// The web shell: only this run's secret, from this origin, reaches the API; the API is the host's.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { WebShell } from '../../main/web-shell/web-shell.ts';
import { startServer, tempDir, type TestServer } from '../helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let srv: TestServer;
let host: CoachDeskHost;
let shell: WebShell;
let base: string;

before(async () => {
  tmp = tempDir('coachdesk-shell-');
  srv = await startServer(tmp.dir);
  const rendererDir = join(tmp.dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>CoachDesk</title>');
  host = new CoachDeskHost(join(tmp.dir, 'data'), fileModeVault);
  host.start();
  shell = new WebShell({ host, rendererDir });
  await shell.listen();
  base = new URL(shell.url).origin;
});
after(async () => {
  await shell.close();
  await host.close();
  await srv.close();
  tmp.cleanup();
});

function connect(query: string, origin: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api${query}`, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, method: string, params: unknown[]): Promise<{ result?: unknown; error?: { message: string } }> {
  return new Promise((resolve) => {
    const id = Math.random();
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString());
      if (m.id !== id) return;
      ws.off('message', onMessage);
      resolve(m);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

test('binds to 127.0.0.1 and the page needs the secret', async () => {
  assert.match(shell.url, /^http:\/\/127\.0\.0\.1:\d+\/\?s=[\w-]{20,}$/);
  const without = await fetch(`${base}/`);
  assert.equal(without.status, 403);
  const wrong = await fetch(`${base}/?s=guess`);
  assert.equal(wrong.status, 403);
  const ok = await fetch(shell.url);
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.equal((await fetch(`${base}/../../etc/passwd`)).status, 404);
});

test('the API socket refuses a missing secret, a wrong secret and a foreign origin', async () => {
  const secret = `?s=${shell.secret}`;
  await assert.rejects(connect('', base), /403/);
  await assert.rejects(connect('?s=nope', base), /403/);
  await assert.rejects(connect(secret, 'http://evil.example'), /403/);
  await assert.rejects(connect(secret, undefined), /403/);
  const ws = await connect(secret, base);
  ws.close();
});

test('calls reach the host; unknown methods and host errors come back as messages', async () => {
  const ws = await connect(`?s=${shell.secret}`, base);
  try {
    assert.deepEqual((await call(ws, 'getSession', [])).result, { signedIn: false, serverUrl: null, userId: null, role: null });
    assert.match((await call(ws, 'dropTables', [])).error!.message, /unknown call/);
    assert.match((await call(ws, 'getRoster', [false])).error!.message, /sign in first/);
    const coach = srv.addCoach('Shell');
    const events: unknown[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.event) events.push(m.event);
    });
    assert.equal((await call(ws, 'signIn', [srv.url, coach.token])).result && true, true);
    const id = (await call(ws, 'saveTrainee', [{ name: 'Dev Patel' }])).result;
    const roster = (await call(ws, 'getRoster', [false])).result as Array<{ id: string; name: string }>;
    assert.deepEqual(roster.map((t) => [t.id, t.name]), [[id, 'Dev Patel']]);
    const start = Date.now();
    while (!events.some((e) => (e as { kind: string }).kind === 'data') && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(events.some((e) => (e as { kind: string }).kind === 'data'), 'change events are pushed to the page');
  } finally {
    ws.close();
  }
});
