// The web shell: only this run's secret, from this port on the loopback, reaches the API; every
// call passes the host's boundary checks; bad and oversized messages get clear answers and the
// shell serves on; one page flooding its socket does not starve another.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { WebShell } from '../../main/web-shell/web-shell.ts';
import type { ApiError } from '../../preload/api.ts';
import { startServer, tempDir, type TestServer } from '../helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let srv: TestServer;
let host: CoachDeskHost;
let shell: WebShell;
let base: string;
const logged: string[] = [];

before(async () => {
  tmp = tempDir('coachdesk-shell-');
  srv = await startServer(tmp.dir);
  const rendererDir = join(tmp.dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>CoachDesk</title>');
  host = new CoachDeskHost(join(tmp.dir, 'data'), fileModeVault);
  host.start();
  shell = new WebShell({ host, rendererDir, log: (line) => logged.push(line) });
  await shell.listen();
  base = new URL(shell.url).origin;
});
after(async () => {
  await shell.close();
  await host.close();
  await srv.close();
  tmp.cleanup();
});

function connect(query: string, origin: string | undefined, url = base): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api${query}`, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

type Reply = { id: unknown; ok: boolean; value?: unknown; error?: ApiError };

/** The next reply with this id (or, for id null, the next reply at all). */
function nextReply(ws: WebSocket, id: unknown): Promise<Reply> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString()) as Reply & { event?: unknown };
      if (m.event || (id !== null && m.id !== id)) return;
      ws.off('message', onMessage);
      resolve(m);
    };
    ws.on('message', onMessage);
  });
}

let nextId = 1;
function call(ws: WebSocket, method: string, params: unknown): Promise<Reply> {
  const id = nextId++;
  const reply = nextReply(ws, id);
  ws.send(JSON.stringify({ id, method, params }));
  return reply;
}

/** Whether the shell still answers a call on a fresh socket. */
async function stillServing(): Promise<boolean> {
  const ws = await connect(`?s=${shell.secret}`, base);
  try {
    return (await call(ws, 'getSession', [])).ok;
  } finally {
    ws.close();
  }
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

test('localhost and 127.0.0.1 are the same shell: the page and its socket work under both (defect 7)', async () => {
  const port = new URL(base).port;
  const page = await fetch(shell.url.replace('127.0.0.1', 'localhost'));
  assert.equal(page.status, 200);
  const ws = await connect(`?s=${shell.secret}`, `http://localhost:${port}`);
  try {
    assert.equal((await call(ws, 'getSession', [])).ok, true);
  } finally {
    ws.close();
  }
  // Another name for this address (DNS rebinding) is not ours.
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/?s=${shell.secret}`, headers: { host: `evil.example:${port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 403);
  await assert.rejects(connect(`?s=${shell.secret}`, `http://localhost:${Number(port) + 1}`), /403/);
});

describe('every call is checked at the boundary (defect 2)', () => {
  let ws: WebSocket;
  before(async () => {
    ws = await connect(`?s=${shell.secret}`, base);
  });
  after(() => ws.close());

  test('calls reach the host; change events are pushed to the page', async () => {
    assert.deepEqual((await call(ws, 'getSession', [])).value, { signedIn: false, serverUrl: null, userId: null, role: null });
    const refused = await call(ws, 'getRoster', [false]);
    assert.deepEqual(refused.error, { code: 'refused', message: 'sign in first' });
    const coach = srv.addCoach('Shell');
    const events: unknown[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.event) events.push(m.event);
    });
    assert.equal((await call(ws, 'signIn', [srv.url, coach.token])).ok, true);
    const id = (await call(ws, 'saveTrainee', [{ name: 'Dev Patel' }])).value;
    const roster = (await call(ws, 'getRoster', [false])).value as Array<{ id: string; name: string }>;
    assert.deepEqual(roster.map((t) => [t.id, t.name]), [[id, 'Dev Patel']]);
    const start = Date.now();
    while (!events.some((e) => (e as { kind: string }).kind === 'data') && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(events.some((e) => (e as { kind: string }).kind === 'data'), 'change events are pushed to the page');
  });

  test('bad parameters get a message naming them, and nothing is written', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['dropTables', [], 'there is no call named "dropTables"'],
      ['saveTrainee', [{ name: 42 }], 'input.name must be text, not a number'],
      ['saveTrainee', [{ name: '' }], 'input.name must not be empty'],
      ['saveTrainee', [{ name: 'Ben', email: 'not-an-address' }], 'input.email must be an e-mail address like ben@example.com'],
      ['saveTrainee', [{ name: 'Ben', age: 30 }], 'input has no field "age"'],
      ['saveTrainee', [], 'saveTrainee takes (input), not 0'],
      ['saveTrainee', 'Ben', 'saveTrainee takes a list of parameters'],
      ['getProgram', ['x; DROP TABLE replica'], 'id must be a UUID'],
      ['addWorkout', ['0192a0a0-0000-7000-8000-000000000000', 0, 1, 'A'], 'week must be at least 1'],
      ['addPrescription', ['0192a0a0-0000-7000-8000-000000000000', { exerciseId: '0192a0a0-0000-7000-8000-000000000001', sets: 3, reps: '0' }], 'input.reps must be at least 1'],
      ['addPrescription', ['0192a0a0-0000-7000-8000-000000000000', { exerciseId: '0192a0a0-0000-7000-8000-000000000001', sets: 3, reps: '5', load: 100 }], 'input.loadUnit a load needs its unit (kg, lb or %1rm)'],
      ['copyWeek', ['0192a0a0-0000-7000-8000-000000000000', 1, [2, 3], { mode: 'merge' }], 'options.mode must be replace or add'],
      ['movePrescription', ['0192a0a0-0000-7000-8000-000000000000', 2], 'direction must be -1 or 1'],
      ['updateSettings', [{ units: 'stone' }], 'patch.units must be kg or lb'],
    ];
    const keys = async () => ((await call(ws, 'getSyncStatus', [])).value as { pending: Array<{ key: string }> }).pending.map((p) => p.key);
    const before = new Set(await keys());
    for (const [method, params, message] of cases) {
      const reply = await call(ws, method, params);
      assert.equal(reply.ok, false, `${method} ${JSON.stringify(params)} was accepted`);
      assert.equal(reply.error!.code, 'invalid', `${method}: ${reply.error!.message}`);
      assert.equal(reply.error!.message, message);
    }
    assert.deepEqual((await keys()).filter((k) => !before.has(k)), [], 'nothing was queued');
  });

  test('no raw internals reach the page: a fault of ours is "internal", logged whole', async () => {
    const broken = host.getRoster;
    host.getRoster = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'trim')");
    };
    try {
      const reply = await call(ws, 'getRoster', [false]);
      assert.equal(reply.error!.code, 'internal');
      assert.doesNotMatch(reply.error!.message, /trim|undefined|TypeError/);
      assert.match(reply.error!.message, /internal error, written to the log/);
      assert.ok(logged.some((l) => /getRoster failed: TypeError: Cannot read properties/.test(l)), 'the log has the whole error');
    } finally {
      host.getRoster = broken;
    }
  });

  test('not JSON, not an object, binary: each answered, the socket stays', async () => {
    let reply = nextReply(ws, null);
    ws.send('{"id": 7, "method": ');
    assert.deepEqual((await reply).error, { code: 'invalid', message: 'a request must be JSON: {"id", "method", "params"}' });
    reply = nextReply(ws, null);
    ws.send('[1,2,3]');
    assert.equal((await reply).error!.code, 'invalid');
    reply = nextReply(ws, null);
    ws.send(Buffer.from([1, 2, 3]));
    assert.deepEqual((await reply).error, { code: 'invalid', message: 'CoachDesk takes text messages only' });
    assert.equal((await call(ws, 'getSession', [])).ok, true);
  });
});

describe('oversized messages (defect 1)', () => {
  test('a 5 MB request is answered "too large" by its id; the socket and the shell serve on', async () => {
    const ws = await connect(`?s=${shell.secret}`, base);
    try {
      const id = 4242;
      const reply = nextReply(ws, id);
      ws.send(JSON.stringify({ id, method: 'createExercise', params: [{ name: 'x'.repeat(5 * 1024 * 1024) }] }));
      const answer = await reply;
      assert.equal(answer.error!.code, 'too_large');
      assert.match(answer.error!.message, /^this request is 5\.0 MB; CoachDesk takes at most 1\.0 MB per request/);
      assert.equal((await call(ws, 'getSession', [])).ok, true, 'the same socket still answers');
    } finally {
      ws.close();
    }
    assert.ok(await stillServing());
  });

  test('a message past the socket limit closes that socket (1009), not the shell', async () => {
    const ws = await connect(`?s=${shell.secret}`, base);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    ws.send('y'.repeat(65 * 1024 * 1024));
    assert.equal(await closed, 1009);
    assert.ok(await stillServing());
    assert.ok(logged.some((l) => /a page's connection failed: .*Max payload size exceeded/i.test(l)), logged.join('\n'));
  });
});

test('one page flooding its socket does not starve another page', async () => {
  const flood = await connect(`?s=${shell.secret}`, base);
  const page = await connect(`?s=${shell.secret}`, base);
  try {
    let floodAnswered = 0;
    flood.on('message', () => floodAnswered++);
    const N = 5000;
    const calls: string[] = [];
    for (let i = 0; i < N; i++) calls.push(JSON.stringify({ id: i, method: 'getSyncStatus', params: [] }));
    for (const text of calls) flood.send(text);
    // Sent after the whole flood: it must not wait for the flood's 5,000 answers.
    const answered = await call(page, 'getSession', []);
    assert.equal(answered.ok, true);
    assert.ok(floodAnswered < N, `the page's call was answered after all ${N} of the flood's (${floodAnswered})`);
    const start = Date.now();
    while (floodAnswered < N && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(floodAnswered, N, 'the flood is answered in full too');
  } finally {
    flood.close();
    page.close();
  }
});
