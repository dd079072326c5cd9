// The story CoachDesk exists for, end to end over loopback with a real server and real engines:
// the coach edits offline, the trainee keeps logging online, and when the coach reconnects the
// server resolves everything by the domain rules and both replicas agree.
import assert from 'node:assert/strict';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import { openLocalStore } from '../sync-db.ts';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { LocalStore } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import type { Fields, Row } from '../../protocol/index.ts';
import { id, openClient, startServer, tempDir, until, type TestServer } from '../helpers.ts';
import { byKey, idle, replicaRows, setupWorld, type ReplicaRow, type Setup } from './support.ts';

let tmp: { dir: string; cleanup: () => void };
let srv: TestServer;
let engines: SyncEngine[] = [];
let stores: LocalStore[] = [];

function open(url: string, token: string, name: string) {
  const client = openClient(tmp.dir, url, token, name);
  engines.push(client.engine);
  stores.push(client.store);
  return client;
}

beforeEach(async () => {
  tmp = tempDir('coachdesk-story-');
  srv = await startServer(tmp.dir);
  engines = [];
  stores = [];
});

afterEach(async () => {
  for (const e of engines) await e.stop();
  for (const s of stores) s.close();
  await srv.close();
  tmp.cleanup();
});

/** The rows of Ben's scope as the server holds them: his rows, and the exercises his program uses. */
async function traineeScope(traineeId: string) {
  const all = await srv.rows();
  const mine = all.filter((r) => r.traineeId === traineeId);
  const usedExercises = new Set(mine.filter((r) => r.entity === 'prescription' && !r.deleted).map((r) => r.fields.exerciseId));
  return [...mine, ...all.filter((r) => r.entity === 'exercise' && usedExercises.has(r.id))];
}

function sameRow(a: ReplicaRow | undefined, b: { version: number; deleted: boolean; fields: Fields } | undefined, what: string) {
  assert.ok(a, `${what}: missing`);
  assert.ok(b, `${what}: missing on the other side`);
  assert.equal(a.version, b.version, `${what}: version`);
  assert.equal(a.deleted, b.deleted, `${what}: deleted`);
  assert.deepEqual(a.fields, b.deleted ? {} : b.fields, `${what}: fields`);
}

/** Ben's replica holds exactly his scope, and it equals the coach's replica and the server. */
async function assertReplicasAgree(setup: Setup, ben: { store: LocalStore }) {
  const scope = await traineeScope(setup.world.traineeId);
  const coachRows = byKey(replicaRows(setup.coach.store));
  const benRows = byKey(replicaRows(ben.store));
  const live = scope.filter((r) => !r.deleted);
  assert.deepEqual(
    [...benRows.values()].filter((r) => !r.deleted).map((r) => `${r.entity}/${r.id}`).sort(),
    live.map((r) => `${r.entity}/${r.id}`).sort(),
    "Ben's replica holds exactly the live rows of his scope",
  );
  for (const canonical of scope) {
    const k = `${canonical.entity}/${canonical.id}`;
    sameRow(benRows.get(k), canonical, `Ben's ${k}`);
    sameRow(coachRows.get(k), canonical, `coach's ${k}`);
  }
}

async function replicaCaughtUp(store: LocalStore, scope: () => Promise<Array<{ entity: string; id: string; version: number }>>, what: string) {
  await until(
    what,
    async () => {
      const wanted = await scope();
      const rows = byKey(replicaRows(store));
      return wanted.every((r) => rows.get(`${r.entity}/${r.id}`)?.version === r.version);
    },
    10_000,
  );
}

describe('the coach edits offline while the trainee logs online', () => {
  test('program edit applied, every logged set kept with the trainee values, the conflict journaled, replicas equal', async () => {
    const setup = await setupWorld(srv, open);
    const { world, coach } = setup;

    // Ben signs in on his phone and sees his program.
    const ben = open(srv.url, setup.traineeToken, 'ben');
    ben.engine.start();
    await idle(ben.engine, 'Ben catching up');
    assert.equal(ben.engine.getState().role, 'trainee');
    assert.equal(ben.store.getRow('prescription', world.prescriptionId)?.fields.sets, 3);
    assert.equal(ben.store.getRow('exercise', world.exerciseId)?.fields.name, 'Back squat');

    // 13:50 — Ben starts the session and logs three sets.
    const sessionId = id();
    const setA = id();
    const setB = id();
    const setC = id();
    const logged = (setIndex: number, reps: number, load: number): Fields => ({
      sessionId,
      prescriptionId: world.prescriptionId,
      exerciseId: world.exerciseId,
      setIndex,
      reps,
      load,
      loadUnit: 'kg',
      done: true,
      targetReps: '5',
      targetLoad: 100,
    });
    const benValues = new Map<string, Fields>([
      [setA, logged(0, 5, 100)],
      [setB, logged(1, 5, 100)],
      [setC, logged(2, 4, 100)],
    ]);
    ben.engine.enqueueAll([
      { entity: 'session', id: sessionId, action: 'put', fields: { traineeId: world.traineeId, workoutId: world.workoutId, date: '2026-11-24', status: 'in_progress' } },
      ...[...benValues].map(([rowId, fields]) => ({ entity: 'set_log' as const, id: rowId, action: 'put' as const, fields })),
    ]);
    await idle(ben.engine, 'Ben logging the first sets');

    // The coach's desk receives them live.
    await until('the coach to see the first sets', () => [setA, setB, setC].every((s) => coach.store.getRow('set_log', s) !== undefined));
    const seenByCoach = coach.store.getRow('set_log', setA)!.version;

    // 14:00 — the coach goes offline and edits Ben's prescription.
    await coach.engine.stop();
    assert.equal(coach.engine.getState().connection, 'offline');
    coach.engine.enqueue({ entity: 'prescription', id: world.prescriptionId, action: 'patch', fields: { sets: 5, reps: '3', load: 120 } });

    // 14:01 — Ben, online, logs more sets, corrects sets A and B, and lowers the prescribed load.
    const setD = id();
    const setE = id();
    benValues.set(setD, logged(3, 5, 100));
    benValues.set(setE, logged(4, 5, 100));
    benValues.set(setA, { ...benValues.get(setA)!, reps: 3, load: 95 });
    benValues.set(setB, { ...benValues.get(setB)!, reps: 4 });
    ben.engine.enqueueAll([
      { entity: 'set_log', id: setD, action: 'put', fields: benValues.get(setD)! },
      { entity: 'set_log', id: setE, action: 'put', fields: benValues.get(setE)! },
      { entity: 'set_log', id: setA, action: 'patch', fields: { reps: 3, load: 95 } },
      { entity: 'set_log', id: setB, action: 'patch', fields: { reps: 4 } },
      { entity: 'prescription', id: world.prescriptionId, action: 'patch', fields: { load: 95 } },
    ]);
    await idle(ben.engine, 'Ben logging at 14:01');
    assert.deepEqual(ben.engine.getState().failed, [], "all of Ben's edits are accepted");

    // Still offline (and later than Ben), the coach "fixes" the sets Ben logged.
    const coachA = coach.engine.enqueue({ entity: 'set_log', id: setA, action: 'patch', fields: { reps: 5, load: 100 } });
    const coachB = coach.engine.enqueue({ entity: 'set_log', id: setB, action: 'patch', fields: { reps: 6, note: 'count the half rep' } });
    assert.equal(coachA.baseVersion, seenByCoach, 'the offline edit carries the version the coach saw');
    // Offline, the coach's screen shows the coach's own edits.
    assert.equal(coach.store.getRow('set_log', setA)?.fields.reps, 5);
    assert.equal(coach.store.getRow('set_log', setA)?.pending, true);
    assert.equal(coach.store.getRow('prescription', world.prescriptionId)?.fields.load, 120);
    assert.equal(coach.store.getRow('set_log', setD), undefined, 'offline, the coach has not heard of the 14:01 sets');
    assert.equal(coach.store.pendingCount, 3);

    // The coach reconnects.
    coach.engine.start();
    await idle(coach.engine, 'the coach reconnecting');
    const state = coach.engine.getState();
    assert.equal(state.pending, 0);
    assert.deepEqual(state.failed, [], 'nothing the coach did was refused');

    // The coach's program edit is applied — the coach wins over Ben's later prescription patch.
    const prescription = (await srv.row('prescription', world.prescriptionId))!;
    assert.equal(prescription.fields.sets, 5);
    assert.equal(prescription.fields.reps, '3');
    assert.equal(prescription.fields.load, 120);

    // Every set Ben logged is there, once, with Ben's values.
    const serverLogs = (await srv.rows('set_log')).filter((r) => r.fields.sessionId === sessionId);
    assert.equal(serverLogs.length, benValues.size);
    for (const [rowId, values] of benValues) {
      const canonical = serverLogs.find((r) => r.id === rowId);
      assert.ok(canonical && !canonical.deleted, `set ${values.setIndex} is still there`);
      for (const [field, value] of Object.entries(values)) {
        assert.deepEqual(canonical.fields[field], value, `set ${values.setIndex}: ${field} keeps Ben's value`);
      }
    }
    assert.deepEqual((await srv.row('set_log', setA))!.fields, benValues.get(setA), 'set A is exactly what Ben wrote');
    // The coach's note on set B did not conflict with anything Ben wrote, so it stands.
    assert.deepEqual((await srv.row('set_log', setB))!.fields, { ...benValues.get(setB)!, note: 'count the half rep' });

    // The coach's conflicting set_log changes are in the coach's journal.
    const journal = coach.store.journal();
    const entryA = journal.find((j) => j.key === coachA.key);
    const entryB = journal.find((j) => j.key === coachB.key);
    assert.ok(entryA, `the change to set A is journaled: ${JSON.stringify(journal)}`);
    assert.equal(entryA.status, 'superseded');
    assert.equal(entryA.reason, 'trainee-log-wins');
    assert.deepEqual([...entryA.dropped].sort(), ['load', 'reps']);
    assert.ok(entryA.message.length > 0);
    assert.deepEqual(entryA.fields, { reps: 5, load: 100 });
    assert.ok(entryB, 'the change to set B is journaled');
    assert.equal(entryB.status, 'partial');
    assert.equal(entryB.reason, 'trainee-log-wins');
    assert.deepEqual(entryB.dropped, ['reps']);
    assert.equal(journal.length, 2, 'the program edit was applied whole: no journal entry');
    // Ben's journal is empty: nothing of his was overruled.
    assert.deepEqual(ben.store.journal(), []);

    // The coach's screen now shows canonical state.
    assert.deepEqual(coach.store.getRow('set_log', setA)?.fields, benValues.get(setA));
    assert.equal(coach.store.getRow('set_log', setA)?.pending, false);
    assert.equal(coach.store.getRow('set_log', setD)?.fields.reps, 5);

    // Ben's phone receives the coach's edit, and both replicas agree on all of Ben's scope.
    await replicaCaughtUp(ben.store, () => traineeScope(world.traineeId), "Ben's replica to catch up");
    assert.equal(ben.store.getRow('prescription', world.prescriptionId)?.fields.load, 120);
    await assertReplicasAgree(setup, ben);
  });

  test('several offline edits of the same rows apply in the order they were made', async () => {
    const setup = await setupWorld(srv, open);
    const { world, coach } = setup;
    await coach.engine.stop();

    const p = world.prescriptionId;
    const ex = id();
    const coachId = world.coachId;
    const ops = [
      coach.engine.enqueue({ entity: 'prescription', id: p, action: 'patch', fields: { sets: 4 } }),
      coach.engine.enqueue({ entity: 'prescription', id: p, action: 'patch', fields: { sets: 5, notes: 'first' } }),
      coach.engine.enqueue({ entity: 'prescription', id: p, action: 'patch', fields: { reps: '8-10' } }),
      coach.engine.enqueue({ entity: 'prescription', id: p, action: 'patch', fields: { notes: 'second' } }),
      coach.engine.enqueue({ entity: 'prescription', id: p, action: 'patch', fields: { load: null, notes: 'third' } }),
      // A row made, deleted and made again, all offline.
      coach.engine.enqueue({ entity: 'exercise', id: ex, action: 'put', fields: { coachId, name: 'Row v1' } }),
      coach.engine.enqueue({ entity: 'exercise', id: ex, action: 'patch', fields: { name: 'Row v2' } }),
      coach.engine.enqueue({ entity: 'exercise', id: ex, action: 'delete' }),
      coach.engine.enqueue({ entity: 'exercise', id: ex, action: 'put', fields: { coachId, name: 'Row v3' } }),
      coach.engine.enqueue({ entity: 'exercise', id: ex, action: 'patch', fields: { category: 'back' } }),
      // And a row deleted last.
      coach.engine.enqueue({ entity: 'workout', id: world.workoutId, action: 'patch', fields: { title: 'Renamed' } }),
      coach.engine.enqueue({ entity: 'workout', id: world.workoutId, action: 'delete' }),
    ];
    const expectedPrescription = {
      workoutId: world.workoutId,
      exerciseId: world.exerciseId,
      position: 1,
      sets: 5,
      reps: '8-10',
      load: null,
      loadUnit: 'kg',
      notes: 'third',
    };
    // The optimistic view already shows the end result.
    assert.deepEqual(coach.store.getRow('prescription', p)?.fields, expectedPrescription);
    assert.deepEqual(coach.store.getRow('exercise', ex)?.fields, { coachId, name: 'Row v3', category: 'back' });
    assert.equal(coach.store.getRow('workout', world.workoutId), undefined);

    coach.engine.start();
    await idle(coach.engine, 'the coach reconnecting');
    assert.deepEqual(coach.engine.getState().failed, []);
    assert.deepEqual(coach.store.journal(), []);

    const canonical = (await srv.row('prescription', p))!;
    // `load: null` clears the field; null or absent both mean "no load".
    assert.deepEqual({ ...canonical.fields, load: canonical.fields.load ?? null }, expectedPrescription);
    assert.deepEqual((await srv.row('exercise', ex))?.fields, { coachId, name: 'Row v3', category: 'back' });
    assert.equal((await srv.row('workout', world.workoutId))?.deleted, true);

    // The server applied them in seq order: each op's version is above the one before it.
    const ledger = (await srv.ledger(world.coachId)).filter((l) => ops.some((o) => o.key === l.key));
    assert.deepEqual(ledger.map((l) => l.key), ops.map((o) => o.key));
    const versions = ledger.map((l) => l.ack.version as number);
    for (let i = 1; i < versions.length; i++) assert.ok(versions[i]! > versions[i - 1]!, `op ${i + 1} applied after op ${i}: ${versions.join(',')}`);
    assert.ok(ledger.every((l) => l.ack.status === 'applied'), JSON.stringify(ledger.map((l) => l.ack)));

    // The coach's replica holds the same end state.
    assert.deepEqual(coach.store.getRow('exercise', ex), { entity: 'exercise', id: ex, version: (await srv.row('exercise', ex))!.version, fields: { coachId, name: 'Row v3', category: 'back' }, pending: false });
    assert.equal(coach.store.getRow('workout', world.workoutId), undefined);
  });
});

describe('a program changes hands', () => {
  for (const benOnline of [true, false]) {
    test(`the coach gives Ben's program to Cara (Ben ${benOnline ? 'online' : 'offline, catching up later'}): Ben's phone drops all of it, Cara's gets all of it`, async () => {
      const setup = await setupWorld(srv, open);
      const { world, coach } = setup;
      const cara = id();
      coach.engine.enqueue({ entity: 'trainee', id: cara, action: 'put', fields: { coachId: world.coachId, name: 'Cara' } });
      await idle(coach.engine, 'the coach adding Cara');
      const caraToken = (await srv.newTraineeToken(cara)).token;

      const ben = open(srv.url, setup.traineeToken, 'ben');
      const caraPhone = open(srv.url, caraToken, 'cara');
      ben.engine.start();
      caraPhone.engine.start();
      await idle(ben.engine, 'Ben catching up');
      await idle(caraPhone.engine, 'Cara catching up');
      assert.ok(ben.store.getRow('exercise', world.exerciseId), 'Ben sees the exercise his program uses');
      assert.equal(caraPhone.store.getRow('program', world.programId), undefined);
      // Cara's phone is up to date and past the exercise's version before the move.
      assert.ok(caraPhone.store.lastVersion > 0);
      if (!benOnline) await ben.engine.stop();

      coach.engine.enqueue({ entity: 'program', id: world.programId, action: 'patch', fields: { traineeId: cara } });
      await idle(coach.engine, 'the coach moving the program');
      if (!benOnline) {
        ben.engine.start();
        await idle(ben.engine, 'Ben catching up after the move');
      }

      const moved = [
        ['program', world.programId],
        ['workout', world.workoutId],
        ['prescription', world.prescriptionId],
        ['exercise', world.exerciseId],
      ] as const;
      await until(
        "Ben's phone to drop the program, and Cara's to get it",
        () => moved.every(([entity, rowId]) => ben.store.getRow(entity, rowId) === undefined && caraPhone.store.getRow(entity, rowId) !== undefined),
        3000,
      ).catch((error: Error) => {
        const state = moved.map(([entity, rowId]) => `${entity}: Ben ${ben.store.getRow(entity, rowId) ? 'has it' : 'dropped it'}, Cara ${caraPhone.store.getRow(entity, rowId) ? 'has it' : 'lacks it'}`);
        throw new Error(`${error.message}\n${state.join('\n')}`);
      });
      // Ben keeps only his own trainee row.
      assert.deepEqual(
        replicaRows(ben.store).filter((r) => !r.deleted).map((r) => r.entity),
        ['trainee'],
      );
      assert.equal(caraPhone.store.getRow('prescription', world.prescriptionId)?.fields.exerciseId, world.exerciseId);
    });
  }
});

describe('downloads while an upload backlog is pending', () => {
  const BACKLOG = 600;

  /** Records, for every batch the coach's store takes in, what was pending before and what came. */
  function recordBatches(store: LocalStore, watch: Set<string>) {
    const seen: Array<{ pendingBefore: number; rows: Row[]; ackCount: number; viewOk: boolean }> = [];
    const original = store.applyIncoming.bind(store);
    store.applyIncoming = (batch) => {
      const pendingBefore = store.pendingCount;
      const result = original(batch);
      const mine = batch.rows.filter((r) => watch.has(r.id));
      if (mine.length) {
        // At this moment the screen shows Ben's new sets and the coach's still-pending edits.
        const viewOk = mine.every((r) => store.getRow('set_log', r.id)?.pending === false) && (store.pendingCount === 0 || store.list('exercise').some((r) => r.pending));
        seen.push({ pendingBefore, rows: mine, ackCount: batch.acks.length, viewOk });
      }
      return result;
    };
    return seen;
  }

  function backlogEdits(coachId: string) {
    return Array.from({ length: BACKLOG }, (_, i) => ({ entity: 'exercise' as const, id: id(), action: 'put' as const, fields: { coachId, name: `Variation ${i}` } }));
  }

  async function benLogs(ben: { engine: SyncEngine }, setup: Setup, ids: string[]) {
    const sessionId = id();
    ben.engine.enqueueAll([
      { entity: 'session', id: sessionId, action: 'put', fields: { traineeId: setup.world.traineeId, date: '2026-11-24', status: 'in_progress' } },
      ...ids.map((rowId, setIndex) => ({
        entity: 'set_log' as const,
        id: rowId,
        action: 'put' as const,
        fields: { sessionId, exerciseId: setup.world.exerciseId, setIndex, reps: 5, load: 100, done: true },
      })),
    ]);
    await idle(ben.engine, 'Ben logging');
    return ids;
  }

  test('catch-up on reconnect lands before the backlog has drained', async () => {
    const setup = await setupWorld(srv, open);
    const { coach } = setup;
    const ben = open(srv.url, setup.traineeToken, 'ben');
    ben.engine.start();
    await idle(ben.engine, 'Ben catching up');

    await coach.engine.stop();
    coach.engine.enqueueAll(backlogEdits(setup.world.coachId));
    const logs = await benLogs(ben, setup, [id(), id(), id(), id(), id()]);

    const seen = recordBatches(coach.store, new Set(logs));
    const ackedBefore = coach.engine.counters.acked;
    coach.engine.start();
    await idle(coach.engine, 'the coach draining the backlog', 20_000);

    const arrived = new Set(seen.flatMap((s) => s.rows.map((r) => r.id)));
    assert.deepEqual([...arrived].sort(), [...logs].sort(), "all of Ben's sets reached the coach");
    const first = seen[0]!;
    assert.ok(first.pendingBefore > 0, `Ben's sets arrived while ${first.pendingBefore} uploads were pending`);
    assert.equal(first.pendingBefore, BACKLOG, 'catch-up comes before any ack of the backlog');
    assert.ok(first.viewOk, "the view showed Ben's sets and the pending edits together");
    assert.equal(coach.engine.counters.acked - ackedBefore, BACKLOG);
    assert.equal(coach.store.list('exercise').length, BACKLOG + 1);
    assert.equal((await srv.rows('exercise')).length, BACKLOG + 1);
    for (const rowId of logs) assert.equal(coach.store.getRow('set_log', rowId)?.fields.reps, 5);
  });

  test('a backlog of long notes drains: pushes stay within the 1 MiB frame limit', async () => {
    const setup = await setupWorld(srv, open);
    const { coach } = setup;
    await coach.engine.stop();
    // 150 valid edits with the longest notes the schema allows (10 000 characters): about
    // 1.5 MB of ops, so they cannot all go in one frame.
    const long = 'Cue: brace, knees out, drive through the mid-foot. '.repeat(200).slice(0, 10_000);
    const edits = Array.from({ length: 150 }, (_, i) => ({
      entity: 'exercise' as const,
      id: id(),
      action: 'put' as const,
      fields: { coachId: setup.world.coachId, name: `Variation ${i}`, notes: long },
    }));
    coach.engine.enqueueAll(edits);
    const ackedBefore = coach.engine.counters.acked;
    coach.engine.start();
    const drained = await coach.engine.whenIdle(5000);
    const state = coach.engine.getState();
    assert.ok(drained, `the backlog did not drain: pending ${state.pending}, connection ${state.connection}, acked ${coach.engine.counters.acked - ackedBefore}`);
    assert.equal(coach.engine.counters.acked - ackedBefore, edits.length);
    assert.equal((await srv.rows('exercise')).length, edits.length + 1);
  });

  test('a live change arrives in the middle of the drain', async () => {
    const setup = await setupWorld(srv, open);
    const ben = open(srv.url, setup.traineeToken, 'ben');
    ben.engine.start();
    await idle(ben.engine, 'Ben catching up');
    await setup.coach.engine.stop();
    const coachFile = setup.coach.store.file;
    setup.coach.store.close();
    stores = stores.filter((s) => s !== setup.coach.store);

    // The same install, with a window of one op in flight so the drain takes many round trips.
    const store = openLocalStore(coachFile);
    stores.push(store);
    const engine = new SyncEngine({ connect: openWebSocket,  store, url: srv.url, token: setup.coachToken, window: 1, backoff: { baseMs: 20, maxMs: 200 } });
    engines.push(engine);
    engine.enqueueAll(backlogEdits(setup.world.coachId).slice(0, 300));
    const logs = [id(), id(), id()];
    const seen = recordBatches(store, new Set(logs));
    engine.start();
    await until('the drain to start', () => engine.counters.acked >= 5, 10_000);
    await benLogs(ben, setup, logs);
    const pendingWhenBenLogged = store.pendingCount;
    await idle(engine, 'the coach draining the backlog', 20_000);

    assert.ok(pendingWhenBenLogged > 0, 'Ben logged while the drain was still running');
    const arrived = new Set(seen.flatMap((s) => s.rows.map((r) => r.id)));
    assert.deepEqual([...arrived].sort(), [...logs].sort());
    assert.ok(seen[0]!.pendingBefore > 0, "Ben's sets arrived while uploads were pending");
    assert.ok(seen[0]!.viewOk);
    assert.equal(engine.counters.acked, 300);
    assert.deepEqual(engine.getState().failed, []);
  });
});
