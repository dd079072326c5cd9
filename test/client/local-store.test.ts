import assert from 'node:assert/strict';
import { openLocalStore } from '../sync-db.ts';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { LocalStore, LocalStoreError } from '../../sync/local-store.ts';
import type { Ack, Row } from '../../protocol/index.ts';
import { id, tempDir } from '../helpers.ts';

const COACH = id();

let tmp: { dir: string; cleanup: () => void };
let opened: LocalStore[] = [];

function open(name = 'client.db'): LocalStore {
  const store = openLocalStore(join(tmp.dir, name));
  opened.push(store);
  return store;
}

function reopen(store: LocalStore): LocalStore {
  store.close();
  opened = opened.filter((s) => s !== store);
  const again = openLocalStore(store.file);
  opened.push(again);
  return again;
}

function outboxRows(store: LocalStore): number {
  return (store.db.prepare(`SELECT COUNT(*) AS n FROM outbox`).get() as { n: number }).n;
}

function row(entity: Row['entity'], rowId: string, version: number, fields: Row['fields'], deleted = false): Row {
  return { entity, id: rowId, version, deleted, fields: deleted ? {} : fields, by: COACH };
}

function ack(key: string, seq: number, status: Ack['status'], extra: Partial<Ack> = {}): Ack {
  return { type: 'ack', key, seq, status, replay: false, ...extra };
}

const exerciseFields = (name: string) => ({ coachId: COACH, name });

beforeEach(() => {
  tmp = tempDir('coachdesk-local-store-');
  opened = [];
});

afterEach(() => {
  for (const s of opened) {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
  tmp.cleanup();
});

describe('enqueue validates', () => {
  const cases: Array<{ name: string; edit: () => Parameters<LocalStore['enqueue']>[0]; message: RegExp }> = [
    {
      name: 'a field out of range',
      edit: () => ({
        entity: 'prescription',
        id: id(),
        action: 'put',
        fields: { workoutId: id(), exerciseId: id(), position: 1, sets: 0, reps: '5' },
      }),
      message: /prescription\.sets/,
    },
    {
      name: 'a malformed reps string',
      edit: () => ({ entity: 'prescription', id: id(), action: 'put', fields: { workoutId: id(), exerciseId: id(), position: 1, sets: 3, reps: 'lots' } }),
      message: /prescription\.reps/,
    },
    {
      name: 'an unknown field',
      edit: () => ({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: COACH, name: 'Squat', colour: 'red' } }),
      message: /exercise has no field "colour"/,
    },
    {
      name: 'a missing required field',
      edit: () => ({ entity: 'trainee', id: id(), action: 'put', fields: { coachId: COACH } }),
      message: /trainee\.name is required/,
    },
    {
      name: 'an id that is not a UUID',
      edit: () => ({ entity: 'exercise', id: 'squat-1', action: 'put', fields: exerciseFields('Squat') }),
      message: /\bid must be a UUID/,
    },
    {
      name: 'a patch of a row that does not exist',
      edit: () => ({ entity: 'set_log', id: id(), action: 'patch', fields: { reps: 5 } }),
      message: /no set_log with id/,
    },
    {
      name: 'an empty patch',
      edit: () => ({ entity: 'exercise', id: id(), action: 'patch', fields: {} }),
      message: /at least one field/,
    },
  ];
  for (const c of cases) {
    test(`${c.name}: a clear error, nothing written`, () => {
      const store = open();
      const edit = c.edit();
      assert.throws(
        () => store.enqueue(edit),
        (error: unknown) => {
          assert.ok(error instanceof LocalStoreError, `expected a LocalStoreError, got ${String(error)}`);
          assert.match(error.message, c.message);
          return true;
        },
      );
      assert.equal(store.pendingCount, 0);
      assert.equal(store.nextSeq, 1);
      assert.equal(outboxRows(store), 0);
      assert.equal(store.getRow(edit.entity, edit.id), undefined);
      const again = reopen(store);
      assert.equal(again.nextSeq, 1);
      assert.equal(outboxRows(again), 0);
    });
  }

  test('an op gets a fresh key, the next seq, an ISO time and the replica version as base', () => {
    const store = open();
    const known = id();
    store.applyIncoming({ rows: [row('exercise', known, 7, exerciseFields('Bench'))], acks: [] });
    const a = store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('Squat') });
    const b = store.enqueue({ entity: 'exercise', id: known, action: 'patch', fields: { name: 'Bench press' } });
    assert.equal(a.seq, 1);
    assert.equal(b.seq, 2);
    assert.notEqual(a.key, b.key);
    assert.match(a.key, /^[0-9a-f-]{36}$/);
    assert.equal(a.baseVersion, 0);
    assert.equal(b.baseVersion, 7);
    assert.ok(!Number.isNaN(Date.parse(a.at)) && a.at.endsWith('Z'));
    assert.equal(store.nextSeq, 3);
  });
});

describe('durability', () => {
  test('outbox, nextSeq and clientId survive close and reopen', () => {
    const store = open();
    const clientId = store.clientId;
    const rowId = id();
    const ops = [
      store.enqueue({ entity: 'exercise', id: rowId, action: 'put', fields: exerciseFields('Squat') }),
      store.enqueue({ entity: 'exercise', id: rowId, action: 'patch', fields: { category: 'legs' } }),
      store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('Deadlift') }),
    ];
    const again = reopen(store);
    assert.equal(again.clientId, clientId);
    assert.equal(again.nextSeq, 4);
    assert.equal(again.pendingCount, 3);
    assert.deepEqual(again.pendingOps(1, 10), ops);
    assert.deepEqual(again.getRow('exercise', rowId)?.fields, { ...exerciseFields('Squat'), category: 'legs' });
    const next = again.enqueue({ entity: 'exercise', id: rowId, action: 'delete' });
    assert.equal(next.seq, 4);
  });

  test('nextSeq survives acks that empty the outbox, and a crash before they are recorded', () => {
    const store = open();
    const ops = [1, 2, 3].map((n) => store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields(`E${n}`) }));
    // A second connection opened before the acks: the state a crash would leave behind.
    const beforeAcks = openLocalStore(store.file);
    opened.push(beforeAcks);
    assert.equal(beforeAcks.nextSeq, 4);
    store.applyIncoming({ rows: [], acks: ops.map((op) => ack(op.key, op.seq, 'applied')) });
    assert.equal(outboxRows(store), 0);
    const again = reopen(store);
    assert.equal(again.nextSeq, 4, 'the seqs the server consumed are not reused');
    assert.equal(again.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('E4') }).seq, 4);
  });

  test('a day lists rows moved into it and not rows moved out, while their moves are pending', () => {
    const store = open();
    const [dayA, dayB, workoutsProgram, ex] = [id(), id(), id(), id()];
    const p = (workoutId: string, position: number) => ({ workoutId, exerciseId: ex, position, sets: 3, reps: '5' });
    const stays = id();
    const moves = id();
    const fresh = id();
    store.applyIncoming({
      rows: [row('prescription', stays, 2, p(dayA, 1)), row('prescription', moves, 3, p(dayA, 2))],
      acks: [],
    });
    store.enqueue({ entity: 'prescription', id: moves, action: 'patch', fields: { workoutId: dayB } });
    store.enqueue({ entity: 'prescription', id: fresh, action: 'put', fields: p(dayA, 3) });
    store.enqueue({ entity: 'prescription', id: fresh, action: 'patch', fields: { sets: 5 } });
    assert.deepEqual(store.children('prescription', dayA).map((r) => r.id).sort(), [stays, fresh].sort());
    assert.deepEqual(store.children('prescription', dayB).map((r) => r.id), [moves]);
    store.enqueue({ entity: 'prescription', id: fresh, action: 'delete' });
    assert.deepEqual(store.children('prescription', dayA).map((r) => r.id), [stays]);
    store.enqueue({ entity: 'prescription', id: fresh, action: 'put', fields: p(dayB, 9) });
    assert.deepEqual(store.children('prescription', dayB).map((r) => r.id).sort(), [moves, fresh].sort());
    assert.deepEqual(store.children('prescription', workoutsProgram), []);
  });

  test('an enqueued op is on disk at once, visible to another connection', () => {
    const store = open();
    const op = store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('Squat') });
    // A second, independent connection (as after a crash) sees it without close().
    const other = openLocalStore(store.file);
    opened.push(other);
    assert.equal(other.clientId, store.clientId);
    assert.deepEqual(other.pendingOps(1, 10), [op]);
    assert.equal(other.nextSeq, 2);
  });

  test('each install has its own clientId', () => {
    const a = open('a.db');
    const b = open('b.db');
    assert.notEqual(a.clientId, b.clientId);
  });
});

describe('the view lays pending ops over the replica', () => {
  test('put, patch and delete, and list with rows created offline', () => {
    const store = open();
    const squat = id();
    const bench = id();
    const gone = id();
    store.applyIncoming({
      rows: [
        row('exercise', squat, 3, exerciseFields('Squat')),
        row('exercise', bench, 4, exerciseFields('Bench')),
        row('exercise', gone, 5, exerciseFields('Curl')),
      ],
      acks: [],
    });
    assert.deepEqual(store.getRow('exercise', squat), { entity: 'exercise', id: squat, version: 3, fields: exerciseFields('Squat'), pending: false });

    store.enqueue({ entity: 'exercise', id: squat, action: 'patch', fields: { category: 'legs' } });
    store.enqueue({ entity: 'exercise', id: squat, action: 'patch', fields: { name: 'Back squat' } });
    store.enqueue({ entity: 'exercise', id: gone, action: 'delete' });
    const fresh = id();
    store.enqueue({ entity: 'exercise', id: fresh, action: 'put', fields: exerciseFields('Row') });
    store.enqueue({ entity: 'exercise', id: fresh, action: 'patch', fields: { notes: 'pause at chest' } });
    store.enqueue({ entity: 'exercise', id: bench, action: 'put', fields: { ...exerciseFields('Bench press'), category: 'push' } });

    assert.deepEqual(store.getRow('exercise', squat), {
      entity: 'exercise',
      id: squat,
      version: 3,
      fields: { ...exerciseFields('Back squat'), category: 'legs' },
      pending: true,
    });
    assert.equal(store.getRow('exercise', gone), undefined, 'a pending delete hides the row');
    assert.deepEqual(store.getRow('exercise', fresh), {
      entity: 'exercise',
      id: fresh,
      version: 0,
      fields: { ...exerciseFields('Row'), notes: 'pause at chest' },
      pending: true,
    });
    assert.deepEqual(store.getRow('exercise', bench)?.fields, { ...exerciseFields('Bench press'), category: 'push' }, 'a put replaces the fields');

    const listed = new Map(store.list('exercise').map((r) => [r.id, r]));
    assert.deepEqual([...listed.keys()].sort(), [squat, bench, fresh].sort());
    assert.equal(listed.get(fresh)?.pending, true);
    assert.equal(listed.get(squat)?.fields.name, 'Back squat');
    assert.deepEqual(
      store.list('exercise', (f) => f.category === 'legs').map((r) => r.id),
      [squat],
    );
    assert.deepEqual(store.list('program'), []);

    // The replica underneath is untouched: the overlay is only a view.
    const stored = (store.db.prepare(`SELECT fields FROM replica WHERE entity = 'exercise' AND id = ?`).get(squat) as { fields: string }).fields;
    assert.deepEqual(JSON.parse(stored), exerciseFields('Squat'));
  });

  test('each edit takes the base version the replica holds then, as rows come in between edits', () => {
    const store = open();
    const known = id();
    const stranger = id();
    const base = (rowId: string) => store.enqueue({ entity: 'exercise', id: rowId, action: 'patch', fields: { name: 'x' } }).baseVersion;
    store.applyIncoming({ rows: [row('exercise', known, 3, exerciseFields('Bench')), row('exercise', stranger, 4, exerciseFields('Row'))], acks: [] });
    assert.equal(base(known), 3);
    store.applyIncoming({ rows: [row('exercise', known, 8, exerciseFields('Bench'))], acks: [] });
    assert.equal(base(known), 8);
    // An older row does not replace the replica's, so the base stays.
    store.applyIncoming({ rows: [row('exercise', known, 5, exerciseFields('Old'))], acks: [] });
    assert.equal(base(known), 8);
    // A row not edited before: its first edit reads the replica.
    store.applyIncoming({ rows: [row('exercise', stranger, 6, exerciseFields('Row'))], acks: [] });
    assert.equal(base(stranger), 6);
    // A put creates a row the replica lacks; the server's row then gives later edits its version.
    const created = id();
    assert.equal(store.enqueue({ entity: 'exercise', id: created, action: 'put', fields: exerciseFields('New') }).baseVersion, 0);
    store.applyIncoming({ rows: [row('exercise', created, 11, exerciseFields('New'))], acks: [] });
    assert.equal(base(created), 11);
    assert.equal(reopen(store).enqueue({ entity: 'exercise', id: known, action: 'patch', fields: { name: 'y' } }).baseVersion, 8);
  });

  test('a row deleted on the server after an edit here cannot be patched once that edit is settled', () => {
    const store = open();
    const rowId = id();
    store.applyIncoming({ rows: [row('exercise', rowId, 2, exerciseFields('Squat'))], acks: [] });
    const op = store.enqueue({ entity: 'exercise', id: rowId, action: 'patch', fields: { name: 'Front squat' } });
    store.applyIncoming({ rows: [row('exercise', rowId, 5, {}, true)], acks: [ack(op.key, op.seq, 'superseded', { version: 5 })] });
    assert.throws(() => store.enqueue({ entity: 'exercise', id: rowId, action: 'patch', fields: { name: 'Again' } }), /no exercise with id/);
    assert.equal(store.enqueue({ entity: 'exercise', id: rowId, action: 'put', fields: exerciseFields('Again') }).baseVersion, 5);
  });

  test('a row deleted on the server and put again offline is listed', () => {
    const store = open();
    const rowId = id();
    store.applyIncoming({ rows: [row('exercise', rowId, 9, {}, true)], acks: [] });
    assert.deepEqual(store.list('exercise'), []);
    store.enqueue({ entity: 'exercise', id: rowId, action: 'put', fields: exerciseFields('Again') });
    const listed = store.list('exercise');
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.id, rowId);
    assert.equal(listed[0]!.fields.name, 'Again');
    assert.equal(listed[0]!.pending, true);
  });

  test('the view is rebuilt from the outbox after reopen', () => {
    const store = open();
    const rowId = id();
    store.applyIncoming({ rows: [row('exercise', rowId, 2, exerciseFields('Squat'))], acks: [] });
    store.enqueue({ entity: 'exercise', id: rowId, action: 'patch', fields: { name: 'Front squat' } });
    const again = reopen(store);
    assert.deepEqual(again.getRow('exercise', rowId), { entity: 'exercise', id: rowId, version: 2, fields: exerciseFields('Front squat'), pending: true });
  });
});

describe('applyIncoming', () => {
  test('newer versions replace, older ones are ignored', () => {
    const store = open();
    const rowId = id();
    store.applyIncoming({ rows: [row('exercise', rowId, 5, exerciseFields('v5'))], acks: [] });
    store.applyIncoming({ rows: [row('exercise', rowId, 3, exerciseFields('v3'))], acks: [] });
    assert.deepEqual(store.getRow('exercise', rowId), { entity: 'exercise', id: rowId, version: 5, fields: exerciseFields('v5'), pending: false });
    store.applyIncoming({ rows: [row('exercise', rowId, 8, exerciseFields('v8'))], acks: [] });
    assert.equal(store.getRow('exercise', rowId)?.fields.name, 'v8');
    assert.equal(store.getRow('exercise', rowId)?.version, 8);
    // Within one batch too: the newest wins whatever the order.
    store.applyIncoming({ rows: [row('exercise', rowId, 11, exerciseFields('v11')), row('exercise', rowId, 10, exerciseFields('v10'))], acks: [] });
    assert.equal(store.getRow('exercise', rowId)?.fields.name, 'v11');
  });

  test('tombstones hide rows, and an older live version does not bring them back', () => {
    const store = open();
    const rowId = id();
    const other = id();
    store.applyIncoming({ rows: [row('exercise', rowId, 4, exerciseFields('Squat')), row('exercise', other, 5, exerciseFields('Bench'))], acks: [] });
    assert.deepEqual(store.counts(), { exercise: 2 });
    store.applyIncoming({ rows: [row('exercise', rowId, 6, {}, true)], acks: [] });
    assert.equal(store.getRow('exercise', rowId), undefined);
    assert.deepEqual(store.list('exercise').map((r) => r.id), [other]);
    assert.deepEqual(store.counts(), { exercise: 1 });
    store.applyIncoming({ rows: [row('exercise', rowId, 4, exerciseFields('Squat'))], acks: [] });
    assert.equal(store.getRow('exercise', rowId), undefined);
  });

  test('the cursor moves only on synced, and never back', () => {
    const store = open();
    store.applyIncoming({ rows: [row('exercise', id(), 12, exerciseFields('A'))], acks: [] });
    assert.equal(store.lastVersion, 0);
    store.applyIncoming({ rows: [], acks: [], syncedVersion: 12 });
    assert.equal(store.lastVersion, 12);
    assert.ok(store.getMeta('lastSyncAt'));
    store.applyIncoming({ rows: [], acks: [], syncedVersion: 9 });
    assert.equal(store.lastVersion, 12);
    assert.equal(reopen(store).lastVersion, 12);
  });

  test('acks drop their ops from the outbox and the view shows the canonical row', () => {
    const store = open();
    const rowId = id();
    const put = store.enqueue({ entity: 'exercise', id: rowId, action: 'put', fields: exerciseFields('Squat') });
    const patch = store.enqueue({ entity: 'exercise', id: rowId, action: 'patch', fields: { category: 'legs' } });
    const result = store.applyIncoming({ rows: [row('exercise', rowId, 1, exerciseFields('Squat'))], acks: [ack(put.key, put.seq, 'applied', { version: 1 })] });
    assert.deepEqual(result, { applied: 1, rejected: 0, done: [put.key] });
    assert.equal(store.pendingCount, 1);
    assert.deepEqual(store.pendingOps(1, 10), [patch]);
    assert.deepEqual(store.getRow('exercise', rowId), {
      entity: 'exercise',
      id: rowId,
      version: 1,
      fields: { ...exerciseFields('Squat'), category: 'legs' },
      pending: true,
    });
    store.applyIncoming({ rows: [row('exercise', rowId, 2, { ...exerciseFields('Squat'), category: 'legs' })], acks: [ack(patch.key, patch.seq, 'applied', { version: 2 })] });
    assert.equal(store.pendingCount, 0);
    assert.equal(outboxRows(store), 0);
    assert.deepEqual(store.getRow('exercise', rowId), { entity: 'exercise', id: rowId, version: 2, fields: { ...exerciseFields('Squat'), category: 'legs' }, pending: false });
    // A replayed ack for an op that is already gone changes nothing.
    const replay = store.applyIncoming({ rows: [], acks: [ack(put.key, put.seq, 'applied', { version: 1, replay: true })] });
    assert.deepEqual(replay, { applied: 0, rejected: 0, done: [] });
    assert.equal(reopen(store).pendingCount, 0);
  });

  test('a rejected ack parks the op in failedOps, out of the view and out of the queue', () => {
    const store = open();
    const known = id();
    store.applyIncoming({ rows: [row('exercise', known, 3, exerciseFields('Squat'))], acks: [] });
    const created = id();
    const bad = store.enqueue({ entity: 'exercise', id: created, action: 'put', fields: exerciseFields('Not mine') });
    const badPatch = store.enqueue({ entity: 'exercise', id: known, action: 'patch', fields: { name: 'Renamed' } });
    const good = store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('Fine') });
    const result = store.applyIncoming({
      rows: [],
      acks: [
        ack(bad.key, bad.seq, 'rejected', { reason: 'forbidden', message: 'this exercise is not yours to change' }),
        ack(badPatch.key, badPatch.seq, 'rejected', { reason: 'invalid', message: 'exercise.name is bad' }),
      ],
    });
    assert.equal(result.rejected, 2);
    assert.equal(result.applied, 0);
    assert.equal(store.pendingCount, 1);
    assert.deepEqual(store.pendingOps(1, 10), [good]);
    assert.equal(store.getRow('exercise', created), undefined, 'a refused put is not shown as a row');
    assert.equal(store.getRow('exercise', known)?.fields.name, 'Squat', 'a refused patch no longer colours the view');
    assert.ok(!store.list('exercise').some((r) => r.id === created));

    const failed = store.failedOps();
    assert.equal(failed.length, 2);
    assert.deepEqual(failed[0]!.op, bad);
    assert.equal(failed[0]!.reason, 'forbidden');
    assert.equal(failed[0]!.message, 'this exercise is not yours to change');
    assert.ok(!Number.isNaN(Date.parse(failed[0]!.failedAt)));
    assert.deepEqual(failed[1]!.op, badPatch);
    assert.equal(failed[1]!.reason, 'invalid');

    const again = reopen(store);
    assert.equal(again.failedOps().length, 2);
    assert.equal(again.pendingCount, 1);
    assert.equal(again.getRow('exercise', created), undefined);
    assert.deepEqual(again.pendingOps(1, 10), [good]);
  });

  test('partial and superseded acks drop the op and land in the journal', () => {
    const store = open();
    const logId = id();
    const sessionId = id();
    const exerciseId = id();
    const logFields = { sessionId, exerciseId, setIndex: 0, reps: 5, load: 100, done: true };
    store.applyIncoming({ rows: [row('set_log', logId, 4, logFields)], acks: [] });
    const partial = store.enqueue({ entity: 'set_log', id: logId, action: 'patch', fields: { reps: 6, note: 'felt easy' } });
    const superseded = store.enqueue({ entity: 'set_log', id: logId, action: 'patch', fields: { load: 110 } });
    const result = store.applyIncoming({
      rows: [row('set_log', logId, 9, { ...logFields, reps: 4, note: 'felt easy' })],
      acks: [
        ack(partial.key, partial.seq, 'partial', {
          version: 9,
          dropped: ['reps'],
          reason: 'trainee-log-wins',
          message: "The trainee's logged values were kept; your change to reps was not applied.",
        }),
        ack(superseded.key, superseded.seq, 'superseded', { version: 9, dropped: ['load'], reason: 'trainee-log-wins', message: 'kept the log' }),
      ],
    });
    assert.deepEqual(result, { applied: 2, rejected: 0, done: [partial.key, superseded.key] });
    assert.equal(store.pendingCount, 0);
    assert.deepEqual(store.failedOps(), []);
    assert.deepEqual(store.getRow('set_log', logId)?.fields, { ...logFields, reps: 4, note: 'felt easy' });

    const journal = store.journal();
    assert.equal(journal.length, 2);
    const [second, first] = journal; // newest first
    assert.equal(first!.key, partial.key);
    assert.equal(first!.status, 'partial');
    assert.equal(first!.reason, 'trainee-log-wins');
    assert.deepEqual(first!.dropped, ['reps']);
    assert.match(first!.message, /reps was not applied/);
    assert.equal(first!.entity, 'set_log');
    assert.equal(first!.rowId, logId);
    assert.equal(first!.action, 'patch');
    assert.deepEqual(first!.fields, { reps: 6, note: 'felt easy' });
    assert.equal(second!.key, superseded.key);
    assert.equal(second!.status, 'superseded');
    assert.deepEqual(second!.dropped, ['load']);
    assert.equal(second!.message, 'kept the log');
    assert.deepEqual(store.journal(1).map((j) => j.key), [superseded.key]);
    assert.equal(reopen(store).journal().length, 2);
  });

  test('an applied ack leaves no journal entry', () => {
    const store = open();
    const op = store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('Squat') });
    store.applyIncoming({ rows: [], acks: [ack(op.key, op.seq, 'applied', { version: 1 })] });
    assert.deepEqual(store.journal(), []);
  });
});

describe('retry and discard', () => {
  function withFailed(store: LocalStore) {
    const known = id();
    store.applyIncoming({ rows: [row('exercise', known, 3, exerciseFields('Squat'))], acks: [] });
    const op = store.enqueue({ entity: 'exercise', id: known, action: 'patch', fields: { name: 'Back squat' } });
    const other = store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('Bench') });
    store.applyIncoming({
      rows: [row('exercise', known, 6, exerciseFields('Squat (edited elsewhere)'))],
      acks: [ack(op.key, op.seq, 'rejected', { reason: 'internal', message: 'the server failed to apply this edit' }), ack(other.key, other.seq, 'applied', { version: 5 })],
    });
    assert.equal(store.failedOps().length, 1);
    return { known, op };
  }

  test('retry queues the failed edit again with a new key and seq, on the current version', () => {
    const store = open();
    const { known, op } = withFailed(store);
    const nextSeq = store.nextSeq;
    const again = store.retry(op.key);
    assert.notEqual(again.key, op.key);
    assert.equal(again.seq, nextSeq);
    assert.ok(again.seq > op.seq);
    assert.equal(again.baseVersion, 6);
    assert.equal(again.entity, op.entity);
    assert.equal(again.id, op.id);
    assert.equal(again.action, op.action);
    assert.deepEqual(again.fields, op.fields);
    assert.equal(store.nextSeq, nextSeq + 1);
    assert.deepEqual(store.failedOps(), []);
    assert.deepEqual(store.pendingOps(1, 10), [again]);
    assert.equal(store.getRow('exercise', known)?.fields.name, 'Back squat');
    assert.equal(store.getRow('exercise', known)?.pending, true);
    const reopened = reopen(store);
    assert.deepEqual(reopened.pendingOps(1, 10), [again]);
    assert.equal(reopened.nextSeq, nextSeq + 1);
  });

  test('retry and discard refuse keys that are not failed edits', () => {
    const store = open();
    const pending = store.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('Squat') });
    assert.throws(() => store.retry(pending.key), LocalStoreError);
    assert.throws(() => store.discard(pending.key), LocalStoreError);
    assert.throws(() => store.retry(id()), /no failed edit/);
    assert.throws(() => store.discard(id()), /no failed edit/);
    assert.equal(store.pendingCount, 1);
  });

  test('discard removes a failed edit for good', () => {
    const store = open();
    const { known, op } = withFailed(store);
    const nextSeq = store.nextSeq;
    store.discard(op.key);
    assert.deepEqual(store.failedOps(), []);
    assert.equal(store.pendingCount, 0);
    assert.equal(outboxRows(store), 0);
    assert.equal(store.getRow('exercise', known)?.fields.name, 'Squat (edited elsewhere)');
    assert.equal(store.nextSeq, nextSeq);
    const again = reopen(store);
    assert.deepEqual(again.failedOps(), []);
    assert.equal(outboxRows(again), 0);
  });
});

describe('enqueueAll', () => {
  test('is all-or-nothing', () => {
    const store = open();
    const first = id();
    assert.throws(
      () =>
        store.enqueueAll([
          { entity: 'exercise', id: first, action: 'put', fields: exerciseFields('Squat') },
          { entity: 'exercise', id: id(), action: 'put', fields: { coachId: COACH, name: '' } },
        ]),
      (error: unknown) => {
        assert.ok(error instanceof LocalStoreError);
        assert.match(error.message, /edit 2 of 2/);
        assert.match(error.message, /exercise\.name/);
        return true;
      },
    );
    assert.equal(store.pendingCount, 0);
    assert.equal(store.nextSeq, 1);
    assert.equal(outboxRows(store), 0);
    assert.equal(store.getRow('exercise', first), undefined);
    const again = reopen(store);
    assert.equal(again.nextSeq, 1);
    assert.equal(outboxRows(again), 0);
    // The next edit takes seq 1: nothing was burnt.
    assert.equal(again.enqueue({ entity: 'exercise', id: first, action: 'put', fields: exerciseFields('Squat') }).seq, 1);
  });

  test('queues related edits together, in order, with contiguous seqs', () => {
    const store = open();
    const rowId = id();
    const ops = store.enqueueAll([
      { entity: 'exercise', id: rowId, action: 'put', fields: exerciseFields('Squat') },
      { entity: 'exercise', id: rowId, action: 'patch', fields: { category: 'legs' } },
      { entity: 'exercise', id: id(), action: 'put', fields: exerciseFields('Bench') },
    ]);
    assert.deepEqual(ops.map((o) => o.seq), [1, 2, 3]);
    assert.equal(new Set(ops.map((o) => o.key)).size, 3);
    assert.equal(store.nextSeq, 4);
    assert.deepEqual(store.getRow('exercise', rowId)?.fields, { ...exerciseFields('Squat'), category: 'legs' });
    assert.deepEqual(reopen(store).pendingOps(1, 10), ops);
  });

  test('a patch after a delete of the same new row in one batch is refused', () => {
    const store = open();
    const rowId = id();
    assert.throws(
      () =>
        store.enqueueAll([
          { entity: 'exercise', id: rowId, action: 'put', fields: exerciseFields('Squat') },
          { entity: 'exercise', id: rowId, action: 'delete' },
          { entity: 'exercise', id: rowId, action: 'patch', fields: { name: 'x' } },
        ]),
      /edit 3 of 3: no exercise with id/,
    );
    assert.equal(outboxRows(store), 0);
  });
});
