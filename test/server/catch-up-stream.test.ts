// Catch-up read page by page and sent as the socket takes it: pages in order, ties and
// concurrent writes, a slow consumer, and live frames meanwhile (synced held back).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { WebSocket } from 'ws';
import type { Row } from '../../protocol/index.ts';
import type { CanonicalStore } from '../../server/canonical-store.ts';
import type { Db } from '../../server/db.ts';
import { sqliteOnly, startServer, tempDir, until, type TestServer } from '../helpers.ts';
import { ServedClient, WsPeer, coachWorld, openStore, seedCoach, storedRow, traineeUser, uuid, type Msg } from './support.ts';

const key = (r: { entity: string; id: string }) => `${r.entity}:${r.id}`;

function readPaged(store: CanonicalStore, user: { id: string; role: string }, since: number, limit: number): { rows: Row[]; version: number } {
  const cursor = store.catchUpCursor(user, since);
  const rows: Row[] = [];
  for (let page = cursor.next(limit); page.length > 0; page = cursor.next(limit)) {
    assert.ok(page.length <= limit, `a page holds at most ${limit} rows`);
    rows.push(...page);
  }
  return { rows, version: cursor.version };
}

describe('catch-up cursor', { skip: sqliteOnly("unit tests of the SQLite CanonicalStore's paged cursor, in process") }, () => {
  let dir: string;
  let cleanup: () => void;
  let db: Db;
  let store: CanonicalStore;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('coachdesk-catchup-'));
    ({ db, store } = openStore(dir));
  });
  afterEach(() => {
    db.close();
    cleanup();
  });

  test('pages of any size give the whole catch-up, in version order, each row once, ties in version included', () => {
    const a = seedCoach(db, store);
    const t1 = traineeUser(db, a.trainee1);
    // Twelve workouts with two prescriptions each; moving the program to trainee2 gives all of
    // them one and the same version (a tie across page boundaries).
    const ops = [];
    for (let i = 0; i < 12; i++) {
      const workout = uuid();
      ops.push(a.desk.op('workout', workout, 'put', { programId: a.program, week: 1 + (i % 4), day: 1 + (i % 7), title: `W${i}` }));
      for (let p = 0; p < 2; p++) {
        ops.push(a.desk.op('prescription', uuid(), 'put', { workoutId: workout, exerciseId: a.exercise, position: p, sets: 3, reps: '5' }));
      }
    }
    a.desk.pushApplied(ops);
    const program = storedRow(db, 'program', a.program)!;
    a.desk.pushApplied([a.desk.op('program', a.program, 'patch', { traineeId: a.trainee2 }, program.version)]);
    const moved = storedRow(db, 'program', a.program)!.version;
    const tied = db.prepare(`SELECT COUNT(*) FROM canonical_rows WHERE version = ?`).pluck().get(moved) as number;
    assert.ok(tied > 20, `the move gave ${tied} rows one version`);

    for (const user of [a.coach, t1.user]) {
      for (const since of [0, 5]) {
        const whole = store.catchUp(user, since);
        assert.ok(whole.rows.length > 0);
        for (const limit of [1, 2, 7, 500]) {
          const paged = readPaged(store, user, since, limit);
          assert.deepEqual(paged.rows, whole.rows, `${user.role} since ${since}, pages of ${limit}`);
          assert.equal(paged.version, whole.version);
        }
        const live = whole.rows.filter((r) => !r.deleted);
        for (let i = 1; i < live.length; i++) assert.ok(live[i]!.version >= live[i - 1]!.version, 'rows in version order');
        assert.equal(new Set(whole.rows.map(key)).size, whole.rows.length, 'each row once');
      }
    }
    // The old trainee's tombstones come through the pages too.
    const old = readPaged(store, t1.user, 0, 1).rows;
    assert.equal(old.find((r) => r.id === a.program)?.deleted, true);
  });

  test('a row written while the pages are read is left to the live frame: never sent older, never above the cursor', () => {
    const a = seedCoach(db, store);
    const cursor = store.catchUpCursor(a.coach, 0);
    const first = cursor.next(1);
    assert.equal(first.length, 1);
    // The template is the newest row: not yet read. Rename it, and delete the prescription.
    const template = storedRow(db, 'program', a.template)!;
    const rx = storedRow(db, 'prescription', a.prescription)!;
    const out = a.desk.pushApplied([
      a.desk.op('program', a.template, 'patch', { name: 'Renamed template' }, template.version),
      a.desk.op('prescription', a.prescription, 'delete', {}, rx.version),
    ]);
    assert.ok(out.version > cursor.version);
    const rest: Row[] = [];
    for (let page = cursor.next(2); page.length > 0; page = cursor.next(2)) rest.push(...page);
    const all = [...first, ...rest];
    assert.ok(all.every((r) => r.version <= cursor.version), 'nothing above the version the catch-up announces');
    assert.equal(all.find((r) => r.id === a.template), undefined, 'the renamed template is not sent in its old state');
    assert.equal(all.find((r) => r.id === a.prescription && r.entity === 'prescription'), undefined);
    // ...because the push's own changes carried them to the coach live.
    assert.equal(out.changes.get(a.coach.id)?.find((r) => r.id === a.template)?.fields.name, 'Renamed template');
  });
});

describe('catch-up over the socket', () => {
  let dir: string;
  let cleanup: () => void;
  let ts: TestServer;
  const peers: WsPeer[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('coachdesk-catchup-ws-'));
    ts = await startServer(dir, { catchUpChunk: 50, catchUpFramesAhead: 2 });
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    await ts.close();
    cleanup();
  });

  test('a slow reader holds only a few frames; live frames go on meanwhile and synced waits for the end of the catch-up', async () => {
    const a = await coachWorld(ts);
    // About 16 MB of rows: far more than the socket buffers hold.
    const notes = 'Brace, then breathe. '.repeat(380);
    const exercises: string[] = [];
    for (let batch = 0; batch < 4; batch++) {
      const ops = Array.from({ length: 500 }, (_, i) => {
        const id = uuid();
        exercises.push(id);
        return a.desk.op('exercise', id, 'put', { coachId: a.coach.id, name: `Lift ${batch}-${i}`, notes });
      });
      await a.desk.pushApplied(ops);
    }
    const catchUpVersion = await ts.version();

    const slow = await WsPeer.connect(ts.url, 2000);
    peers.push(slow);
    (slow.ws as WebSocket).pause();
    slow.send({ type: 'hello', protocol: 1, token: a.coachToken, clientId: 'slow-desk', lastVersion: 0 });
    // A pull while the catch-up runs is answered after it.
    slow.send({ type: 'pull', since: catchUpVersion });

    // The server side of the slow connection: its send buffer stays a few frames deep.
    const serverSide = () => {
      const inner = ts.server as unknown as { peers: Set<{ ws: WebSocket; clientId?: string }> };
      return [...inner.peers].find((p) => p.clientId === 'slow-desk')?.ws;
    };
    await until('the slow peer is welcomed', () => serverSide() !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    const buffered = serverSide()!.bufferedAmount;
    assert.ok(buffered < 3 * 1024 * 1024, `at most a few frames wait for the slow reader (${buffered} bytes buffered of ~16 MB)`);

    // Meanwhile another desk of the same coach edits: its push is answered at once.
    const fast = await WsPeer.connect(ts.url, 2000);
    peers.push(fast);
    await fast.hello(a.coachToken, 'fast-desk', catchUpVersion);
    const desk = new ServedClient(ts, a.coach, 'fast-desk');
    const from = fast.messages.length;
    const edited = exercises[1999]!;
    fast.send({ type: 'push', ops: [desk.op('exercise', edited, 'patch', { name: 'Renamed meanwhile' }, catchUpVersion)] });
    await fast.waitFor('ack', (m) => m.type === 'ack', from);
    await fast.waitFor('synced', (m) => m.type === 'synced', from);
    const liveVersion = await ts.version();
    assert.ok(liveVersion > catchUpVersion);

    (slow.ws as WebSocket).resume();
    await slow.waitFor('two synced (catch-up, then the pull)', () => slow.messages.filter((m) => m.type === 'synced').length >= 2, 0, 15_000);
    const types = slow.messages.map((m) => m.type);
    assert.equal(types[0], 'welcome');
    const firstSynced = types.indexOf('synced');
    const catchUpFrames = slow.messages.filter((m) => m.type === 'changes' && m.to === catchUpVersion);
    const lastCatchUpFrame = slow.messages.lastIndexOf(catchUpFrames.at(-1)!);
    assert.ok(firstSynced > lastCatchUpFrame, 'no synced before the last catch-up frame');
    const live = slow.messages.findIndex((m: Msg) => m.type === 'changes' && m.to === liveVersion);
    assert.ok(live > 0 && live < firstSynced, 'the live edit reached the slow reader during its catch-up');
    assert.deepEqual(slow.messages[firstSynced], { type: 'synced', version: liveVersion }, 'synced announces the live version it held back');

    const rows = new Map<string, Msg>();
    for (const m of slow.messages.slice(0, firstSynced)) {
      if (m.type !== 'changes') continue;
      for (const r of m.rows as Msg[]) if (!rows.has(r.id) || rows.get(r.id)!.version <= r.version) rows.set(r.id, r);
    }
    for (const id of exercises) assert.ok(rows.has(id), 'every row arrived');
    assert.equal(rows.get(edited)!.fields.name, 'Renamed meanwhile', 'the newest state wins');
    assert.ok(catchUpFrames.every((m) => (m.rows as Msg[]).length <= 50), 'frames of catchUpChunk rows');
    // Then the pull's catch-up: the edit made since the version it asked from.
    assert.deepEqual(types.slice(firstSynced), ['synced', 'changes', 'synced']);
    assert.deepEqual((slow.messages[firstSynced + 1]!.rows as Msg[]).map((r) => r.id), [edited]);
  });
});
