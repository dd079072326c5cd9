// The reference client CLI, as a user (or a script) runs it: real processes against a real server.
import assert from 'node:assert/strict';
import { openLocalStore } from '../../main/sync/node-sqlite.ts';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { LocalStore } from '../../sync/local-store.ts';
import type { SyncEngine } from '../../sync/sync-engine.ts';
import { revokeTokens } from '../../server/auth.ts';
import { id, openClient, startServer, tempDir, type TestServer } from '../helpers.ts';
import { killAllChildren, outboxCount, runClient, serverRow, serverSetLogs, setupWorld, worldEdits, type Setup } from '../e2e/support.ts';

let tmp: { dir: string; cleanup: () => void };
let srv: TestServer;
let engines: SyncEngine[] = [];
let stores: LocalStore[] = [];

beforeEach(async () => {
  tmp = tempDir('coachdesk-cli-');
  srv = await startServer(tmp.dir);
  engines = [];
  stores = [];
});

afterEach(async () => {
  killAllChildren();
  for (const e of engines) await e.stop();
  for (const s of stores) s.close();
  await srv.close();
  tmp.cleanup();
});

after(() => killAllChildren());

function open(url: string, token: string, name: string) {
  const c = openClient(tmp.dir, url, token, name);
  engines.push(c.engine);
  stores.push(c.store);
  return c;
}

/** Queues edits in a client database file the way the app would, then closes it. */
function queue(file: string, edits: Parameters<LocalStore['enqueueAll']>[0]) {
  const store = openLocalStore(file);
  try {
    return store.enqueueAll(edits);
  } finally {
    store.close();
  }
}

const sync = (db: string, token: string, url = srv.url, timeoutS = 10) => runClient(['sync', '--server', url, `--token=${token}`, '--db', db, '--timeout', String(timeoutS)]);

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('sync', () => {
  test('prints {"pending":0,"acked":N,"rejected":N}; failed lists the refusal; discard drops it', async () => {
    const coach = srv.addCoach('Ana');
    const db = join(tmp.dir, 'ana.db');
    const { world, edits } = worldEdits(coach.userId);
    const bad = { entity: 'prescription' as const, id: id(), action: 'put' as const, fields: { workoutId: id(), exerciseId: world.exerciseId, position: 2, sets: 3, reps: '5' } };
    const ops = queue(db, [...edits, bad]);

    const result = await sync(db, coach.token);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.json, { pending: 0, acked: edits.length, rejected: 1 });
    assert.equal(serverRow(srv.file, 'prescription', world.prescriptionId)?.fields.sets, 3);
    assert.equal(serverRow(srv.file, 'prescription', bad.id), undefined);

    const failed = await runClient(['failed', '--db', db]);
    assert.equal(failed.code, 0, failed.stderr);
    const list = JSON.parse(failed.stdout) as Array<{ op: { key: string; id: string }; reason: string; message: string }>;
    assert.equal(list.length, 1);
    assert.equal(list[0]!.op.key, ops.at(-1)!.key);
    assert.equal(list[0]!.reason, 'unknown_row');
    assert.match(list[0]!.message, /workoutId/);

    // A refused edit is never resent by itself: the next sync leaves it where it is.
    const resync = await sync(db, coach.token);
    assert.equal(resync.code, 0, resync.stderr);
    assert.deepEqual(resync.json, { pending: 0, acked: 0, rejected: 0 });
    const still = JSON.parse((await runClient(['failed', '--db', db])).stdout) as unknown[];
    assert.equal(still.length, 1);

    const discarded = await runClient(['discard', '--db', db, '--key', ops.at(-1)!.key]);
    assert.equal(discarded.code, 0, discarded.stderr);
    assert.deepEqual(discarded.json, { discarded: ops.at(-1)!.key });
    const none = await runClient(['failed', '--db', db]);
    assert.deepEqual(JSON.parse(none.stdout), []);
    assert.equal(outboxCount(db), 0);

    // Nothing left to do: a second sync acks nothing.
    const again = await sync(db, coach.token);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.json, { pending: 0, acked: 0, rejected: 0 });
  });

  test('retry sends a refused edit again once what it needs exists', async () => {
    const coach = srv.addCoach('Ana');
    const db = join(tmp.dir, 'ana.db');
    const { world, edits } = worldEdits(coach.userId);
    // The prescription goes first, before its workout exists: refused as unknown_row.
    const prescription = edits.find((e) => e.entity === 'prescription')!;
    const others = edits.filter((e) => e !== prescription);
    const [early] = queue(db, [prescription]);
    const first = await sync(db, coach.token);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.json, { pending: 0, acked: 0, rejected: 1 });

    queue(db, others);
    const second = await sync(db, coach.token);
    assert.deepEqual(second.json, { pending: 0, acked: others.length, rejected: 0 });

    const retried = await runClient(['retry', '--server', srv.url, `--token=${coach.token}`, '--db', db, '--key', early!.key, '--timeout', '10']);
    assert.equal(retried.code, 0, retried.stderr);
    assert.deepEqual(retried.json, { pending: 0, acked: 1, rejected: 0 });
    assert.equal(serverRow(srv.file, 'prescription', world.prescriptionId)?.fields.reps, '5');
    const failed = await runClient(['failed', '--db', db]);
    assert.deepEqual(JSON.parse(failed.stdout), []);
  });
});

describe('log-sets and status', () => {
  async function trainee(): Promise<{ setup: Setup; db: string }> {
    const setup = await setupWorld(srv, open);
    const db = join(tmp.dir, 'ben.db');
    const first = await sync(db, setup.traineeToken);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.json, { pending: 0, acked: 0, rejected: 0 });
    return { setup, db };
  }

  test('log-sets with --exercise starts the session, syncs, and status reports it', async () => {
    const { setup, db } = await trainee();
    const sessionId = id();
    const logged = await runClient([
      'log-sets',
      '--server',
      srv.url,
      `--token=${setup.traineeToken}`,
      '--db',
      db,
      '--session',
      sessionId,
      '--count',
      '5',
      '--exercise',
      setup.world.exerciseId,
      '--timeout',
      '10',
    ]);
    assert.equal(logged.code, 0, logged.stderr);
    assert.deepEqual(logged.json, { pending: 0, acked: 6, rejected: 0, logged: 5 });

    const logs = serverSetLogs(srv.file, sessionId);
    assert.equal(logs.length, 5);
    assert.deepEqual(logs.map((l) => l.fields.setIndex).sort(), [0, 1, 2, 3, 4]);
    assert.ok(logs.every((l) => l.fields.exerciseId === setup.world.exerciseId && l.fields.done === true && l.by === setup.world.traineeId));
    assert.equal(serverRow(srv.file, 'session', sessionId)?.fields.traineeId, setup.world.traineeId);

    const status = await runClient(['status', '--db', db]);
    assert.equal(status.code, 0, status.stderr);
    const s = status.json!;
    assert.equal(s.userId, setup.world.traineeId);
    assert.equal(s.role, 'trainee');
    assert.equal(s.pending, 0);
    assert.equal(s.failed, 0);
    assert.equal(s.journal, 0);
    assert.equal(typeof s.clientId, 'string');
    assert.ok((s.lastVersion as number) >= logs.at(-1)!.version, `lastVersion ${s.lastVersion}`);
    assert.equal(typeof s.lastSyncAt, 'string');
    assert.deepEqual(s.rows, { trainee: 1, exercise: 1, program: 1, workout: 1, prescription: 1, session: 1, set_log: 5 });
  });

  test('log-sets on a planned session follows its prescriptions, with targets, and continues the set indexes', async () => {
    const { setup, db } = await trainee();
    // The coach plans today's session on the workout.
    const sessionId = id();
    setup.coach.engine.enqueue({
      entity: 'session',
      id: sessionId,
      action: 'put',
      fields: { traineeId: setup.world.traineeId, workoutId: setup.world.workoutId, date: '2026-11-24', status: 'planned' },
    });
    assert.ok(await setup.coach.engine.whenIdle(10_000));
    // Ben's phone hears of it on its next sync.
    const heard = await sync(db, setup.traineeToken);
    assert.equal(heard.code, 0, heard.stderr);
    const args = ['--server', srv.url, `--token=${setup.traineeToken}`, '--db', db, '--session', sessionId, '--timeout', '10'];
    const first = await runClient(['log-sets', ...args, '--count', '3']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.json, { pending: 0, acked: 3, rejected: 0, logged: 3 });
    const second = await runClient(['log-sets', ...args, '--count', '2']);
    assert.equal(second.code, 0, second.stderr);

    const logs = serverSetLogs(srv.file, sessionId).sort((a, b) => (a.fields.setIndex as number) - (b.fields.setIndex as number));
    assert.deepEqual(logs.map((l) => l.fields.setIndex), [0, 1, 2, 3, 4]);
    for (const l of logs) {
      assert.equal(l.fields.prescriptionId, setup.world.prescriptionId);
      assert.equal(l.fields.exerciseId, setup.world.exerciseId);
      assert.equal(l.fields.targetReps, '5');
      assert.equal(l.fields.targetLoad, 100);
      assert.equal(l.fields.reps, 5);
      assert.equal(l.fields.load, 100);
      assert.equal(l.fields.loadUnit, 'kg');
    }
  });

  test("log-sets on a %1RM prescription logs against the trainee's max: the kilograms the trainee sees", async () => {
    const { setup, db } = await trainee();
    // The coach sets Ben's max and turns the prescription into 75 %1RM.
    setup.coach.engine.enqueueAll([
      { entity: 'max', id: id(), action: 'put', fields: { traineeId: setup.world.traineeId, exerciseId: setup.world.exerciseId, kind: '1rm', value: 142, unit: 'kg', date: '2026-11-20', source: 'entered' } },
      { entity: 'prescription', id: setup.world.prescriptionId, action: 'patch', fields: { load: 75, loadUnit: '%1rm' } },
    ]);
    assert.ok(await setup.coach.engine.whenIdle(10_000));
    const sessionId = id();
    const args = ['--server', srv.url, `--token=${setup.traineeToken}`, '--db', db, '--session', sessionId, '--timeout', '10'];
    assert.equal((await sync(db, setup.traineeToken)).code, 0);
    const logged = await runClient(['log-sets', ...args, '--count', '2', '--workout', setup.world.workoutId]);
    assert.equal(logged.code, 0, logged.stderr);
    for (const l of serverSetLogs(srv.file, sessionId)) {
      // 75 % of 142 kg is 106.5 kg, on the bar as 107.5 kg (2.5 kg plates).
      assert.deepEqual({ target: l.fields.targetLoad, load: l.fields.load, unit: l.fields.loadUnit }, { target: 107.5, load: 107.5, unit: 'kg' });
    }
  });
});

describe('tokens as the server issues them', () => {
  test('issued tokens never start with "-", so `--token T` (the documented form) always parses', async () => {
    // A base64url token starts with "-" about one time in 64; parseArgs would read it as an option.
    const tokens = Array.from({ length: 500 }, () => srv.addCoach('Ana').token);
    const dashed = tokens.filter((t) => t.startsWith('-'));
    assert.deepEqual(dashed, [], 'tokens starting with "-"');
    const db = join(tmp.dir, 'dash.db');
    const r = await runClient(['sync', '--server', srv.url, '--token', tokens[0]!, '--db', db, '--timeout', '10']);
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    assert.deepEqual(r.json, { pending: 0, acked: 0, rejected: 0 });
  });
});

describe('bad usage exits 2 with a message', () => {
  test('each mistake is named, and nothing is queued', async () => {
    const db = join(tmp.dir, 'fresh.db');
    const server = ['--server', srv.url, '--token', 'whatever'];
    const cases: Array<{ args: string[]; message: RegExp }> = [
      { args: ['sync', '--db', db, '--bogus', 'x'], message: /bogus/ },
      { args: ['sync', ...server], message: /--db FILE is required/ },
      { args: ['frobnicate', '--db', db], message: /unknown command "frobnicate"/ },
      { args: ['sync', '--db', db], message: /--server URL and --token T are required/ },
      { args: ['sync', '--db', db, ...server, '--timeout', 'soon'], message: /--timeout must be a whole number/ },
      { args: ['log-sets', '--db', db, ...server, '--count', '3'], message: /--session ID is required/ },
      { args: ['log-sets', '--db', db, ...server, '--session', id(), '--count', '0'], message: /--count must be a whole number/ },
      { args: ['log-sets', '--db', db, ...server, '--session', id(), '--count', '2', '--exercise', id()], message: /run sync first/ },
      { args: ['retry', '--db', db, ...server], message: /--key K is required/ },
      { args: ['discard', '--db', db, '--key', id()], message: /no failed edit/ },
    ];
    const results = await Promise.all(cases.map((c) => runClient(c.args, 20_000)));
    results.forEach((r, i) => {
      const c = cases[i]!;
      assert.equal(r.code, 2, `${c.args.join(' ')} exited ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, c.message, `${c.args.join(' ')}`);
    });
    assert.equal(outboxCount(db), 0);
  });

  test('log-sets with no session here and no --exercise says what to pass', async () => {
    const setup = await setupWorld(srv, open);
    const db = join(tmp.dir, 'ben.db');
    const first = await sync(db, setup.traineeToken);
    assert.equal(first.code, 0, first.stderr);
    const r = await runClient(['log-sets', '--server', srv.url, `--token=${setup.traineeToken}`, '--db', db, '--session', id(), '--count', '2']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--exercise/);
    assert.equal(outboxCount(db), 0);
  });
});

describe('when sync cannot finish', () => {
  test('an unreachable server: exit 3, the summary printed, the outbox kept', async () => {
    const coach = srv.addCoach('Ana');
    const db = join(tmp.dir, 'ana.db');
    const { edits } = worldEdits(coach.userId);
    const ops = queue(db, edits);
    const port = await closedPort();
    const r = await sync(db, coach.token, `ws://127.0.0.1:${port}/sync`, 1);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(r.json, { pending: edits.length, acked: 0, rejected: 0 });
    assert.match(r.stderr, /not fully synced/);
    assert.match(r.stderr, /cannot reach/);

    const store = openLocalStore(db);
    try {
      assert.deepEqual(store.pendingOps(1, 100), ops, 'the same ops, keys and seqs are still queued');
    } finally {
      store.close();
    }
    // Once the server is there, the same outbox drains.
    const later = await sync(db, coach.token);
    assert.equal(later.code, 0, later.stderr);
    assert.deepEqual(later.json, { pending: 0, acked: edits.length, rejected: 0 });
  });

  test('a bad or revoked token: exit 4, the outbox kept', async () => {
    const coach = srv.addCoach('Ana');
    const db = join(tmp.dir, 'ana.db');
    const { edits } = worldEdits(coach.userId);
    queue(db, edits);

    const wrong = await sync(db, 'not-a-token');
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /refused this token/);
    assert.deepEqual(wrong.json, { pending: edits.length, acked: 0, rejected: 0 });
    assert.equal(outboxCount(db), edits.length);

    const good = await sync(db, coach.token);
    assert.equal(good.code, 0, good.stderr);
    revokeTokens(srv.db, { token: coach.token });
    queue(db, [{ entity: 'exercise', id: id(), action: 'put', fields: { coachId: coach.userId, name: 'Press' } }]);
    const revoked = await sync(db, coach.token);
    assert.equal(revoked.code, 4, revoked.stderr);
    assert.equal(outboxCount(db), 1);
  });
});
