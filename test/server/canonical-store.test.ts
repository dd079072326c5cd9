// CanonicalStore over a real SQLite file: idempotency ledger, seqs, scope, reassignment, validation, persistence.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Row } from '../../protocol/index.ts';
import { CanonicalStore } from '../../server/canonical-store.ts';
import { openServerDb, type Db } from '../../server/db.ts';
import { tempDir } from '../helpers.ts';
import {
  StoreClient,
  counts,
  makeOp,
  openStore,
  rowOf,
  seedCoach,
  storedRow,
  traineeUser,
  uuid,
  type CoachWorld,
} from './support.ts';

let dir: string;
let cleanup: () => void;
let db: Db;
let store: CanonicalStore;
let file: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('coachdesk-store-'));
  ({ db, store, file } = openStore(dir));
});

afterEach(() => {
  if (db.open) db.close();
  cleanup();
});

const ids = (rows: Row[] | undefined) => new Set((rows ?? []).map((r) => `${r.entity}:${r.id}`));

describe('idempotency and seqs', () => {
  test('a duplicate push replays the stored acks with replay:true and applies nothing twice', () => {
    const a = seedCoach(db, store);
    const tablet = new StoreClient(store, a.coach, 'tablet');
    const newTrainee = uuid();
    const ops = [
      tablet.op('trainee', newTrainee, 'put', { coachId: a.coach.id, name: 'Bo' }),
      tablet.op('prescription', a.prescription, 'patch', { sets: 6 }, 7),
    ];
    const first = tablet.push(ops);
    assert.deepEqual(
      first.acks.map((x) => [x.seq, x.status, x.replay]),
      [
        [1, 'applied', false],
        [2, 'applied', false],
      ],
    );
    const before = counts(db);
    const rowBefore = storedRow(db, 'prescription', a.prescription);

    const again = tablet.push(ops.map((o) => ({ ...o })));
    assert.equal(again.acks.length, 2);
    for (const [i, ack] of again.acks.entries()) {
      assert.deepEqual(ack, { ...first.acks[i]!, replay: true }, `ack ${i + 1} is the stored ack, marked replay`);
    }
    assert.equal(again.changes.size, 0, 'a replay broadcasts nothing');
    assert.equal(again.expectedSeq, undefined);
    assert.deepEqual(counts(db), before, 'no row, ledger entry or version was added');
    assert.deepEqual(storedRow(db, 'prescription', a.prescription), rowBefore);
    assert.equal(store.currentVersion, before.version);
    assert.equal(store.nextSeq(a.coach.id, 'tablet'), 3);
  });

  test('the ledger keeps an ack as its outcome; an entry written whole (before that) replays the same', () => {
    const a = seedCoach(db, store);
    const tablet = new StoreClient(store, a.coach, 'tablet');
    const ops = [tablet.op('prescription', a.prescription, 'patch', { sets: 6 }, 7), tablet.op('prescription', a.prescription, 'patch', { reps: '5' }, 7)];
    const first = tablet.push(ops);
    const stored = db.prepare(`SELECT ack FROM ledger WHERE key = ?`).pluck();
    assert.deepEqual(JSON.parse(stored.get(ops[0]!.key) as string), { status: 'applied', version: first.acks[0]!.version });
    // The second entry as an older server wrote it: the whole ack.
    db.prepare(`UPDATE ledger SET ack = ? WHERE key = ?`).run(JSON.stringify(first.acks[1]), ops[1]!.key);
    const again = tablet.push(ops.map((o) => ({ ...o })));
    assert.deepEqual(
      again.acks,
      first.acks.map((ack) => ({ ...ack, replay: true })),
    );
  });

  test('resend after a lost ack (server restarted in between): old op replays, the new one applies once', () => {
    const a = seedCoach(db, store);
    const phone = new StoreClient(store, a.coach, 'phone');
    const lost = phone.op('trainee', a.trainee1, 'patch', { notes: 'knee' }, 1);
    const lostOutcome = phone.push([lost]); // the ack never reaches the client
    assert.equal(lostOutcome.acks[0]!.status, 'applied');
    const versionAfterLost = storedRow(db, 'trainee', a.trainee1)!.version;

    db.close();
    db = openServerDb(file);
    store = new CanonicalStore(db);
    phone.store = store;
    assert.equal(store.nextSeq(a.coach.id, 'phone'), 2, 'the server remembers the seq across a restart');

    const next = phone.op('trainee', a.trainee1, 'patch', { email: 'x@example.com' }, versionAfterLost);
    const before = counts(db);
    const out = phone.push([lost, next]);
    assert.deepEqual(
      out.acks.map((x) => [x.key, x.seq, x.status, x.replay]),
      [
        [lost.key, 1, 'applied', true],
        [next.key, 2, 'applied', false],
      ],
    );
    assert.equal(out.acks[0]!.version, lostOutcome.acks[0]!.version, 'the replay carries the original version');
    assert.equal(counts(db).version, before.version + 1, 'only the new op took a version');
    assert.equal(counts(db).ledger, before.ledger + 1);
    assert.deepEqual(storedRow(db, 'trainee', a.trainee1)!.fields, {
      coachId: a.coach.id,
      name: "Ana's first trainee",
      notes: 'knee',
      email: 'x@example.com',
    });
  });

  test('the same key with different content is rejected idempotency_key_reused (below and at nextSeq)', () => {
    const a = seedCoach(db, store);
    const desk = new StoreClient(store, a.coach, 'desk2');
    const original = desk.op('exercise', a.exercise, 'patch', { notes: 'brace' }, 3);
    assert.equal(desk.push([original]).acks[0]!.status, 'applied');
    const rowBefore = storedRow(db, 'exercise', a.exercise);
    const before = counts(db);

    // Same seq, same key, different content (a client bug): refused, not replayed.
    const sameSeq = desk.push([{ ...original, fields: { notes: 'breathe' } }]);
    assert.equal(sameSeq.acks[0]!.status, 'rejected');
    assert.equal(sameSeq.acks[0]!.reason, 'idempotency_key_reused');
    assert.equal(sameSeq.acks[0]!.replay, false);

    // A new seq reusing the key for other content: refused, and the seq is used up.
    const newSeq = desk.op('exercise', a.exercise, 'patch', { notes: 'breathe' }, 3, { key: original.key });
    const out = desk.push([newSeq]);
    assert.equal(out.acks[0]!.status, 'rejected');
    assert.equal(out.acks[0]!.reason, 'idempotency_key_reused');
    assert.equal(out.acks[0]!.seq, 2);
    assert.deepEqual(storedRow(db, 'exercise', a.exercise), rowBefore, 'nothing applied');
    assert.equal(counts(db).version, before.version);
    assert.equal(store.nextSeq(a.coach.id, 'desk2'), 3, 'the refused op still advanced nextSeq');
  });

  test('the same op (same key and content) resent under a new seq replays: replay:true, the ack names that seq, nothing applied twice', () => {
    const a = seedCoach(db, store);
    const desk = new StoreClient(store, a.coach, 'renumbered');
    const original = desk.op('trainee', a.trainee2, 'patch', { notes: 'shoulder' }, 2);
    const first = desk.push([original]);
    assert.equal(first.acks[0]!.status, 'applied');
    const before = counts(db);
    // e.g. a client restored from a backup renumbers its outbox above the server's nextSeq
    const renumbered = { ...original, seq: 2 };
    const out = desk.push([renumbered]);
    assert.equal(out.acks.length, 1);
    assert.equal(out.acks[0]!.replay, true);
    assert.equal(out.acks[0]!.status, 'applied');
    assert.equal(out.acks[0]!.version, first.acks[0]!.version);
    assert.deepEqual(counts(db), before, 'applied once');
    assert.equal(store.nextSeq(a.coach.id, 'renumbered'), 3, 'the new seq is used up');
    assert.equal(out.acks[0]!.seq, 2, 'one ack per op, carrying the seq of the op it answers');
  });

  test('a seq below nextSeq with an unknown key is rejected seq_reused and not applied', () => {
    const a = seedCoach(db, store);
    const desk = new StoreClient(store, a.coach, 'desk3');
    desk.pushApplied([desk.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'One' })]);
    const stranger = uuid();
    const before = counts(db);
    const out = desk.push([makeOp({ seq: 1, entity: 'trainee', id: stranger, action: 'put', fields: { coachId: a.coach.id, name: 'Two' } })]);
    assert.equal(out.acks.length, 1);
    assert.equal(out.acks[0]!.status, 'rejected');
    assert.equal(out.acks[0]!.reason, 'seq_reused');
    assert.equal(storedRow(db, 'trainee', stranger), undefined);
    assert.deepEqual(counts(db), before);
    assert.equal(store.nextSeq(a.coach.id, 'desk3'), 2);
  });

  test('a seq above nextSeq: expectedSeq set, the ops before it applied, nothing of the rest', () => {
    const a = seedCoach(db, store);
    const client = 'gappy';
    const t1 = uuid();
    const t3 = uuid();
    const t4 = uuid();
    const op1 = makeOp({ seq: 1, entity: 'trainee', id: t1, action: 'put', fields: { coachId: a.coach.id, name: 'One' } });
    const op3 = makeOp({ seq: 3, entity: 'trainee', id: t3, action: 'put', fields: { coachId: a.coach.id, name: 'Three' } });
    const op4 = makeOp({ seq: 4, entity: 'trainee', id: t4, action: 'put', fields: { coachId: a.coach.id, name: 'Four' } });
    const out = store.push(a.coach, client, [op1, op3, op4], Date.now());
    assert.equal(out.expectedSeq, 2);
    assert.deepEqual(
      out.acks.map((x) => [x.seq, x.status]),
      [[1, 'applied']],
    );
    assert.ok(storedRow(db, 'trainee', t1), 'the op before the gap is applied');
    assert.equal(storedRow(db, 'trainee', t3), undefined);
    assert.equal(storedRow(db, 'trainee', t4), undefined);
    assert.equal(store.nextSeq(a.coach.id, client), 2);

    // The ignored ops were not consumed: sent again in order they apply normally.
    const op2 = makeOp({ seq: 2, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Two' } });
    const retry = store.push(a.coach, client, [op2, op3, op4], Date.now());
    assert.equal(retry.expectedSeq, undefined);
    assert.deepEqual(
      retry.acks.map((x) => [x.seq, x.status, x.replay]),
      [
        [2, 'applied', false],
        [3, 'applied', false],
        [4, 'applied', false],
      ],
    );
    assert.equal(store.nextSeq(a.coach.id, client), 5);
  });

  test('a fresh client that starts above 1 applies nothing', () => {
    const a = seedCoach(db, store);
    const before = counts(db);
    const out = store.push(a.coach, 'late', [makeOp({ seq: 2, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'X' } })], Date.now());
    assert.equal(out.expectedSeq, 1);
    assert.equal(out.acks.length, 0);
    assert.deepEqual(counts(db), before);
    assert.equal(store.nextSeq(a.coach.id, 'late'), 1);
  });

  test('every op advances nextSeq whatever its status, and its ack is kept for replay', () => {
    const a = seedCoach(db, store);
    const t = traineeUser(db, a.trainee1);
    const phone = new StoreClient(store, t.user, 'phone');
    const ops = [
      phone.op('session', uuid(), 'put', { traineeId: a.trainee1, date: 'not a date', status: 'planned' }), // invalid
      phone.op('program', uuid(), 'put', { coachId: a.coach.id, traineeId: a.trainee1, name: 'Mine', weeks: 2 }), // forbidden
      phone.op('session', uuid(), 'patch', { notes: 'x' }, 1), // unknown row
      phone.op('prescription', a.prescription, 'patch', { rpe: 8 }, 7), // applied
    ];
    const out = phone.push(ops);
    assert.deepEqual(
      out.acks.map((x) => [x.seq, x.status, x.reason]),
      [
        [1, 'rejected', 'invalid'],
        [2, 'rejected', 'forbidden'],
        [3, 'rejected', 'unknown_row'],
        [4, 'applied', undefined],
      ],
    );
    assert.equal(store.nextSeq(t.user.id, 'phone'), 5);
    const replay = phone.push(ops);
    assert.deepEqual(
      replay.acks.map((x) => [x.seq, x.status, x.reason, x.replay]),
      [
        [1, 'rejected', 'invalid', true],
        [2, 'rejected', 'forbidden', true],
        [3, 'rejected', 'unknown_row', true],
        [4, 'applied', undefined, true],
      ],
    );
    const fifth = phone.op('settings', t.user.id, 'put', { units: 'lb' });
    assert.equal(phone.push([fifth]).acks[0]!.status, 'applied');
  });

  test('`at` is clamped to the receive time: a fast clock cannot win forever', () => {
    const a = seedCoach(db, store);
    const phone = new StoreClient(store, a.coach, 'fast-clock');
    const laptop = new StoreClient(store, a.coach, 'laptop');
    const now = Date.now();
    const w1 = phone.op('settings', a.coach.id, 'put', { units: 'kg' }, 0, { at: '2099-01-01T00:00:00.000Z' });
    phone.pushApplied([w1], now);
    const base = storedRow(db, 'settings', a.coach.id)!.version;
    // Another install of the same coach, written after base (conflicting with the next one)
    phone.pushApplied([phone.op('settings', a.coach.id, 'patch', { units: 'lb' }, base, { at: '2099-01-01T00:00:00.000Z' })], now);
    // laptop saw only `base`, writes later in real time with an honest clock
    const honest = laptop.op('settings', a.coach.id, 'patch', { units: 'kg' }, base, { at: new Date(now + 1000).toISOString() });
    const out = laptop.push([honest], now + 1000);
    assert.equal(out.acks[0]!.status, 'applied', JSON.stringify(out.acks[0]));
    assert.equal(storedRow(db, 'settings', a.coach.id)!.fields.units, 'kg');
  });
});

describe('scope', () => {
  let a: CoachWorld;
  let b: CoachWorld;
  beforeEach(() => {
    a = seedCoach(db, store, 'Ana');
    b = seedCoach(db, store, 'Ben');
  });

  test('coach B can never write coach A rows: every attempt is rejected forbidden and changes nothing', () => {
    const ben = new StoreClient(store, b.coach, 'ben-desk');
    const before = counts(db);
    const snapshot = db.prepare(`SELECT entity, id, version, deleted, fields FROM canonical_rows ORDER BY entity, id`).all();
    const attempts = [
      ben.op('trainee', a.trainee1, 'patch', { name: 'Stolen' }, 99),
      ben.op('exercise', a.exercise, 'delete', {}, 99),
      ben.op('program', a.program, 'put', { coachId: b.coach.id, traineeId: b.trainee1, name: 'Mine now', weeks: 4 }, 99),
      ben.op('workout', uuid(), 'put', { programId: a.program, week: 1, day: 2, title: 'Sneaky' }),
      ben.op('prescription', uuid(), 'put', { workoutId: b.workout, exerciseId: a.exercise, position: 2, sets: 1, reps: '1' }),
      ben.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'Planted' }),
      ben.op('session', uuid(), 'put', { traineeId: a.trainee1, date: '2026-11-24', status: 'planned' }),
      ben.op('settings', a.coach.id, 'put', { units: 'lb' }),
      ben.op('prescription', a.prescription, 'patch', { sets: 1 }, 99),
    ];
    const out = ben.push(attempts);
    assert.deepEqual(
      out.acks.map((x) => `${x.seq}:${x.status}:${x.reason}`),
      attempts.map((o) => `${o.seq}:rejected:forbidden`),
    );
    assert.equal(out.changes.size, 0);
    assert.deepEqual(counts(db).version, before.version);
    assert.deepEqual(db.prepare(`SELECT entity, id, version, deleted, fields FROM canonical_rows ORDER BY entity, id`).all(), snapshot);
  });

  test('coach B never reads coach A rows: not in catch-up, not in the live changes of A pushes', () => {
    const aIds = [a.trainee1, a.trainee2, a.exercise, a.unusedExercise, a.program, a.workout, a.prescription, a.template];
    const bCatchUp = store.catchUp(b.coach, 0);
    const seen = new Set(bCatchUp.rows.map((r) => r.id));
    for (const x of aIds) assert.equal(seen.has(x), false, `coach B catch-up holds coach A row ${x}`);
    assert.deepEqual(
      [...seen].sort(),
      [b.trainee1, b.trainee2, b.exercise, b.unusedExercise, b.program, b.workout, b.prescription, b.template].sort(),
    );
    assert.ok(bCatchUp.rows.every((r) => !r.deleted), 'coach B gets no tombstones');

    const patch = a.desk.op('prescription', a.prescription, 'patch', { sets: 3 }, 7);
    const settings = a.desk.op('settings', a.coach.id, 'put', { units: 'lb' });
    const out = a.desk.push([patch, settings]);
    assert.deepEqual(
      out.acks.map((x) => x.status),
      ['applied', 'applied'],
    );
    assert.equal(out.changes.has(b.coach.id), false, 'nothing of coach A goes to coach B');
    assert.equal(out.changes.has(b.trainee1), false);
    assert.ok(rowOf(out.changes.get(a.coach.id), 'prescription', a.prescription), 'coach A gets its own change');
    const later = store.catchUp(b.coach, bCatchUp.version);
    assert.deepEqual(later.rows, []);
  });

  test('a trainee reads only their own rows', () => {
    const t1 = traineeUser(db, a.trainee1);
    const t2 = traineeUser(db, a.trainee2);
    const s1 = uuid();
    const s2 = uuid();
    new StoreClient(store, t1.user, 't1-phone').pushApplied([
      makeOp({ seq: 1, entity: 'session', id: s1, action: 'put', fields: { traineeId: a.trainee1, date: '2026-11-24', status: 'completed' } }),
      makeOp({ seq: 2, entity: 'settings', id: a.trainee1, action: 'put', fields: { units: 'kg' } }),
    ]);
    new StoreClient(store, t2.user, 't2-phone').pushApplied([
      makeOp({ seq: 1, entity: 'session', id: s2, action: 'put', fields: { traineeId: a.trainee2, date: '2026-11-24', status: 'planned' } }),
    ]);
    const got = ids(store.catchUp(t1.user, 0).rows);
    assert.deepEqual(
      [...got].sort(),
      [
        `trainee:${a.trainee1}`,
        `program:${a.program}`,
        `workout:${a.workout}`,
        `prescription:${a.prescription}`,
        `exercise:${a.exercise}`,
        `session:${s1}`,
        `settings:${a.trainee1}`,
      ].sort(),
    );
    const t2got = ids(store.catchUp(t2.user, 0).rows);
    assert.deepEqual([...t2got].sort(), [`trainee:${a.trainee2}`, `session:${s2}`].sort());
  });

  test("a trainee cannot write another trainee's rows", () => {
    const t1 = traineeUser(db, a.trainee1);
    const t2 = traineeUser(db, a.trainee2);
    const s2 = uuid();
    new StoreClient(store, t2.user, 't2').pushApplied([
      makeOp({ seq: 1, entity: 'session', id: s2, action: 'put', fields: { traineeId: a.trainee2, date: '2026-11-24', status: 'planned' } }),
    ]);
    const p2 = uuid();
    const w2 = uuid();
    const r2 = uuid();
    a.desk.pushApplied([
      a.desk.op('program', p2, 'put', { coachId: a.coach.id, traineeId: a.trainee2, name: 'T2 block', weeks: 2 }),
      a.desk.op('workout', w2, 'put', { programId: p2, week: 1, day: 1, title: 'A' }),
      a.desk.op('prescription', r2, 'put', { workoutId: w2, exerciseId: a.exercise, position: 1, sets: 3, reps: '5' }),
    ]);
    const phone = new StoreClient(store, t1.user, 't1');
    const before = counts(db);
    const out = phone.push([
      phone.op('session', uuid(), 'put', { traineeId: a.trainee2, date: '2026-11-24', status: 'planned' }),
      phone.op('session', s2, 'patch', { notes: 'mine?' }, 99),
      phone.op('set_log', uuid(), 'put', { sessionId: s2, exerciseId: a.exercise, setIndex: 0, reps: 5, done: true }),
      phone.op('settings', a.trainee2, 'put', { units: 'lb' }),
      phone.op('prescription', r2, 'patch', { notes: 'not my program' }, 99),
      phone.op('trainee', a.trainee2, 'patch', { name: 'Renamed' }, 99),
      phone.op('session', s2, 'delete', {}, 99),
    ]);
    for (const ack of out.acks) assert.deepEqual([ack.seq, ack.status, ack.reason], [ack.seq, 'rejected', 'forbidden']);
    assert.equal(out.acks.length, 7);
    assert.equal(counts(db).version, before.version);
    assert.deepEqual(storedRow(db, 'session', s2)!.fields.notes, undefined);
  });

  test('a trainee writes their own sessions, set_logs and settings', () => {
    const t1 = traineeUser(db, a.trainee1);
    const phone = new StoreClient(store, t1.user, 't1');
    const s = uuid();
    const out = phone.push([
      phone.op('session', s, 'put', { traineeId: a.trainee1, workoutId: a.workout, date: '2026-11-24', status: 'in_progress' }),
      phone.op('set_log', uuid(), 'put', {
        sessionId: s,
        prescriptionId: a.prescription,
        exerciseId: a.exercise,
        setIndex: 0,
        reps: 5,
        load: 100,
        done: true,
        targetReps: '5',
        targetLoad: 100,
      }),
      phone.op('settings', a.trainee1, 'put', { units: 'lb', weekStartsOn: 1 }),
    ]);
    assert.deepEqual(
      out.acks.map((x) => x.status),
      ['applied', 'applied', 'applied'],
    );
    assert.ok(rowOf(out.changes.get(a.coach.id), 'session', s), 'the coach sees the session');
    assert.equal(rowOf(out.changes.get(a.coach.id), 'settings', a.trainee1), undefined, "the coach does not see the trainee's settings");
  });

  test('a trainee cannot create programs, workouts, exercises, nor put or delete prescriptions, nor edit their trainee row', () => {
    const t1 = traineeUser(db, a.trainee1);
    const phone = new StoreClient(store, t1.user, 't1');
    const before = counts(db);
    const out = phone.push([
      phone.op('program', uuid(), 'put', { coachId: a.coach.id, traineeId: a.trainee1, name: 'My own', weeks: 2 }),
      phone.op('workout', uuid(), 'put', { programId: a.program, week: 1, day: 3, title: 'Extra' }),
      phone.op('exercise', uuid(), 'put', { coachId: a.coach.id, name: 'Curl' }),
      phone.op('prescription', uuid(), 'put', { workoutId: a.workout, exerciseId: a.exercise, position: 9, sets: 1, reps: '1' }),
      phone.op('prescription', a.prescription, 'put', { workoutId: a.workout, exerciseId: a.exercise, position: 1, sets: 1, reps: '1' }, 7),
      phone.op('prescription', a.prescription, 'delete', {}, 7),
      phone.op('program', a.program, 'patch', { name: 'Renamed' }, 5),
      phone.op('trainee', a.trainee1, 'patch', { name: 'Me' }, 1),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason}`),
      Array(8).fill('rejected:forbidden'),
    );
    assert.equal(counts(db).version, before.version);
    assert.equal(storedRow(db, 'prescription', a.prescription)!.deleted, false);
  });

  test('a trainee can patch the notes of a prescription of their own program (coach sees it)', () => {
    const t1 = traineeUser(db, a.trainee1);
    const phone = new StoreClient(store, t1.user, 't1');
    const before = storedRow(db, 'prescription', a.prescription)!;
    const out = phone.push([phone.op('prescription', a.prescription, 'patch', { notes: 'left knee hurts' }, before.version)]);
    assert.equal(out.acks[0]!.status, 'applied', JSON.stringify(out.acks[0]));
    const after = storedRow(db, 'prescription', a.prescription)!;
    assert.deepEqual(after.fields, { ...before.fields, notes: 'left knee hurts' });
    assert.equal(rowOf(out.changes.get(a.coach.id), 'prescription', a.prescription)?.fields.notes, 'left knee hurts');
    assert.equal(rowOf(out.changes.get(a.trainee1), 'prescription', a.prescription)?.fields.notes, 'left knee hurts');
  });

  test('a trainee cannot patch workoutId or exerciseId of their prescription', () => {
    const t1 = traineeUser(db, a.trainee1);
    const phone = new StoreClient(store, t1.user, 't1');
    const w2 = uuid();
    a.desk.pushApplied([a.desk.op('workout', w2, 'put', { programId: a.program, week: 1, day: 2, title: 'Day 2' })]);
    const before = storedRow(db, 'prescription', a.prescription)!;
    const out = phone.push([
      phone.op('prescription', a.prescription, 'patch', { workoutId: w2 }, before.version),
      phone.op('prescription', a.prescription, 'patch', { exerciseId: a.unusedExercise }, before.version),
      phone.op('prescription', a.prescription, 'patch', { workoutId: a.workout, notes: 'same workout, still not allowed' }, before.version),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason}`),
      ['rejected:forbidden', 'rejected:forbidden', 'rejected:forbidden'],
    );
    assert.match(out.acks[0]!.message ?? '', /workoutId/);
    assert.deepEqual(storedRow(db, 'prescription', a.prescription), before);
  });
});

describe('program reassignment', () => {
  let a: CoachWorld;
  let t1: ReturnType<typeof traineeUser>;
  let t2: ReturnType<typeof traineeUser>;
  let session1: string;
  let vBefore: number;
  let out: ReturnType<StoreClient['push']>;

  beforeEach(() => {
    a = seedCoach(db, store);
    t1 = traineeUser(db, a.trainee1);
    t2 = traineeUser(db, a.trainee2);
    session1 = uuid();
    new StoreClient(store, t1.user, 't1').pushApplied([
      makeOp({ seq: 1, entity: 'session', id: session1, action: 'put', fields: { traineeId: a.trainee1, workoutId: a.workout, date: '2026-11-24', status: 'completed' } }),
    ]);
    vBefore = store.currentVersion;
    const program = storedRow(db, 'program', a.program)!;
    out = a.desk.push([a.desk.op('program', a.program, 'patch', { traineeId: a.trainee2 }, program.version)]);
    assert.equal(out.acks[0]!.status, 'applied');
  });

  const tombstone = (rows: Row[] | undefined, entity: 'program' | 'workout' | 'prescription' | 'exercise', id: string) => {
    const r = rowOf(rows, entity, id);
    assert.ok(r, `a tombstone for ${entity} ${id}`);
    assert.equal(r.deleted, true, `${entity} is sent as deleted`);
    assert.deepEqual(r.fields, {}, `${entity} tombstone carries no fields`);
  };

  test('the old trainee gets tombstones for program, workouts and prescriptions live', () => {
    const old = out.changes.get(a.trainee1);
    tombstone(old, 'program', a.program);
    tombstone(old, 'workout', a.workout);
    tombstone(old, 'prescription', a.prescription);
    assert.ok((old ?? []).every((r) => r.deleted), 'only tombstones go to the old trainee');
  });

  test('the old trainee gets the same tombstones in catch-up (since before, and from scratch)', () => {
    for (const since of [vBefore, 0]) {
      const rows = store.catchUp(t1.user, since).rows;
      tombstone(rows, 'program', a.program);
      tombstone(rows, 'workout', a.workout);
      tombstone(rows, 'prescription', a.prescription);
      for (const r of rows) {
        if ([a.program, a.workout, a.prescription].includes(r.id)) assert.equal(r.deleted, true);
      }
    }
    const fromScratch = ids(store.catchUp(t1.user, 0).rows);
    assert.ok(fromScratch.has(`session:${session1}`), 'sessions never follow the program (no cascade)');
    assert.ok(fromScratch.has(`trainee:${a.trainee1}`), 'the old trainee keeps their trainee row');
  });

  test('the new trainee gets program, workouts and prescriptions live and in catch-up; the coach keeps them', () => {
    const fresh = out.changes.get(a.trainee2);
    for (const [entity, id] of [
      ['program', a.program],
      ['workout', a.workout],
      ['prescription', a.prescription],
    ] as const) {
      const r = rowOf(fresh, entity, id);
      assert.ok(r && !r.deleted, `${entity} live to the new trainee`);
      assert.ok(Object.keys(r.fields).length > 0, `${entity} carries its fields`);
      const c = rowOf(store.catchUp(t2.user, vBefore).rows, entity, id);
      assert.ok(c && !c.deleted, `${entity} in the new trainee's catch-up since before the move`);
      const coachRow = rowOf(out.changes.get(a.coach.id), entity, id);
      assert.ok(coachRow && !coachRow.deleted, `${entity} live to the coach`);
    }
    assert.equal(rowOf(fresh, 'program', a.program)!.fields.traineeId, a.trainee2);
    assert.equal(rowOf(out.changes.get(a.trainee2), 'session', session1), undefined);
    assert.equal(rowOf(store.catchUp(t2.user, 0).rows, 'session', session1), undefined, "the old trainee's session stays theirs");
  });

  test('the exercise follows the program: live and in catch-up to the new trainee', () => {
    const live = rowOf(out.changes.get(a.trainee2), 'exercise', a.exercise);
    assert.ok(live && !live.deleted, 'the new trainee receives the exercise the prescription uses, live');
    const since = rowOf(store.catchUp(t2.user, vBefore).rows, 'exercise', a.exercise);
    assert.ok(since && !since.deleted, 'and in catch-up since the version before the move');
  });

  test('the exercise leaves the old trainee: tombstone live and in catch-up', () => {
    tombstone(out.changes.get(a.trainee1), 'exercise', a.exercise);
    tombstone(store.catchUp(t1.user, vBefore).rows, 'exercise', a.exercise);
    tombstone(store.catchUp(t1.user, 0).rows, 'exercise', a.exercise);
  });
});

describe('exercise scope through prescriptions', () => {
  test('a coach adding a prescription to an assigned program sends its exercise to the trainee, live and in catch-up', () => {
    const a = seedCoach(db, store);
    const t1 = traineeUser(db, a.trainee1);
    const v = store.currentVersion;
    const out = a.desk.push([
      a.desk.op('prescription', uuid(), 'put', { workoutId: a.workout, exerciseId: a.unusedExercise, position: 2, sets: 3, reps: '5' }),
    ]);
    assert.equal(out.acks[0]!.status, 'applied');
    const live = rowOf(out.changes.get(a.trainee1), 'exercise', a.unusedExercise);
    assert.ok(live && !live.deleted, 'the trainee receives the newly used exercise live');
    const later = rowOf(store.catchUp(t1.user, v).rows, 'exercise', a.unusedExercise);
    assert.ok(later && !later.deleted, 'and in catch-up since the version before');
  });

  test('deleting the only prescription that uses an exercise sends the trainee a tombstone for it', () => {
    const a = seedCoach(db, store);
    const t1 = traineeUser(db, a.trainee1);
    const v = store.currentVersion;
    const out = a.desk.push([a.desk.op('prescription', a.prescription, 'delete', {}, storedRow(db, 'prescription', a.prescription)!.version)]);
    assert.equal(out.acks[0]!.status, 'applied');
    const rx = rowOf(out.changes.get(a.trainee1), 'prescription', a.prescription);
    assert.ok(rx?.deleted, 'the deleted prescription reaches the trainee');
    const ex = rowOf(out.changes.get(a.trainee1), 'exercise', a.exercise);
    assert.ok(ex?.deleted, 'the exercise it used leaves the trainee scope as a tombstone');
    assert.ok(rowOf(store.catchUp(t1.user, v).rows, 'exercise', a.exercise)?.deleted, 'exercise tombstone in catch-up since before the delete');
    assert.equal(rowOf(store.catchUp(t1.user, 0).rows, 'exercise', a.exercise)?.deleted ?? true, true);
  });
});

describe('deletes never cascade', () => {
  test('deleting a program leaves its workouts, prescriptions, and the trainee sessions and set_logs', () => {
    const a = seedCoach(db, store);
    const t1 = traineeUser(db, a.trainee1);
    const s = uuid();
    const log = uuid();
    new StoreClient(store, t1.user, 't1').pushApplied([
      makeOp({ seq: 1, entity: 'session', id: s, action: 'put', fields: { traineeId: a.trainee1, workoutId: a.workout, date: '2026-11-24', status: 'completed' } }),
      makeOp({ seq: 2, entity: 'set_log', id: log, action: 'put', fields: { sessionId: s, prescriptionId: a.prescription, exerciseId: a.exercise, setIndex: 0, reps: 5, done: true } }),
    ]);
    const out = a.desk.push([
      a.desk.op('program', a.program, 'delete', {}, store.currentVersion),
      a.desk.op('workout', a.workout, 'delete', {}, store.currentVersion),
    ]);
    assert.deepEqual(
      out.acks.map((x) => x.status),
      ['applied', 'applied'],
    );
    assert.equal(storedRow(db, 'prescription', a.prescription)!.deleted, false);
    assert.equal(storedRow(db, 'session', s)!.deleted, false);
    assert.deepEqual(storedRow(db, 'set_log', log)!.fields.reps, 5);
  });

  test('a coach delete of a session the trainee logged after the coach saw it is superseded trainee-log-wins', () => {
    const a = seedCoach(db, store);
    const t1 = traineeUser(db, a.trainee1);
    const s = uuid();
    const phone = new StoreClient(store, t1.user, 't1');
    phone.pushApplied([makeOp({ seq: 1, entity: 'session', id: s, action: 'put', fields: { traineeId: a.trainee1, date: '2026-11-24', status: 'planned' } })]);
    const coachSaw = storedRow(db, 'session', s)!.version;
    phone.pushApplied([makeOp({ seq: 2, entity: 'session', id: s, action: 'patch', fields: { status: 'completed' }, baseVersion: coachSaw })]);
    const out = a.desk.push([a.desk.op('session', s, 'delete', {}, coachSaw)]);
    assert.equal(out.acks[0]!.status, 'superseded');
    assert.equal(out.acks[0]!.reason, 'trainee-log-wins');
    assert.equal(storedRow(db, 'session', s)!.deleted, false);
    assert.equal(storedRow(db, 'session', s)!.fields.status, 'completed');
  });
});

describe('validation', () => {
  test('invalid fields are rejected invalid with a message naming the field; nothing is written', () => {
    const a = seedCoach(db, store);
    const desk = new StoreClient(store, a.coach, 'v');
    const fresh = uuid();
    const before = counts(db);
    const out = desk.push([
      desk.op('prescription', fresh, 'put', { workoutId: a.workout, exerciseId: a.exercise, position: 1, sets: 0, reps: '5' }),
      desk.op('prescription', a.prescription, 'patch', { foo: 1 }, 7),
      desk.op('prescription', a.prescription, 'patch', { reps: '10-8' }, 7),
      desk.op('set_log', uuid(), 'put', { sessionId: uuid(), exerciseId: a.exercise, setIndex: 0, reps: -1, done: true }),
      desk.op('program', uuid(), 'put', { coachId: a.coach.id, traineeId: null, name: 'No weeks' }),
      { ...desk.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'X' }), id: 'not-a-uuid' },
    ]);
    const got = out.acks.map((x) => [x.status, x.reason]);
    assert.deepEqual(got, Array(6).fill(['rejected', 'invalid']));
    assert.match(out.acks[0]!.message ?? '', /prescription\.sets/);
    assert.match(out.acks[1]!.message ?? '', /prescription has no field "foo"/);
    assert.match(out.acks[2]!.message ?? '', /prescription\.reps/);
    assert.match(out.acks[3]!.message ?? '', /set_log\.reps/);
    assert.match(out.acks[4]!.message ?? '', /program\.weeks/);
    assert.match(out.acks[5]!.message ?? '', /\bid\b/);
    assert.equal(storedRow(db, 'prescription', fresh), undefined);
    assert.equal(counts(db).version, before.version);
    assert.equal(store.nextSeq(a.coach.id, 'v'), 7);
  });
});

describe('unexpected failures', () => {
  test('an op that fails unexpectedly is acked rejected internal; the ops around it apply and nothing of it is sent', (t) => {
    const a = seedCoach(db, store);
    const poison = uuid();
    // A fault the server cannot foresee (not a passing one): the row write itself fails.
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON canonical_rows WHEN NEW.id = '${poison}' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    t.mock.method(console, 'error', () => {});
    const desk = new StoreClient(store, a.coach, 'faulty');
    const ok1 = uuid();
    const ok3 = uuid();
    const out = desk.push([
      desk.op('trainee', ok1, 'put', { coachId: a.coach.id, name: 'Before' }),
      desk.op('trainee', poison, 'put', { coachId: a.coach.id, name: 'Poison' }),
      desk.op('trainee', ok3, 'put', { coachId: a.coach.id, name: 'After' }),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.seq}:${x.status}:${x.reason ?? ''}`),
      ['1:applied:', '2:rejected:internal', '3:applied:'],
    );
    assert.equal(store.nextSeq(a.coach.id, 'faulty'), 4, 'the queue moves on past the failed op');
    assert.equal(storedRow(db, 'trainee', poison), undefined);
    assert.ok(storedRow(db, 'trainee', ok1) && storedRow(db, 'trainee', ok3), 'the ops around it are stored');
    const sent = out.changes.get(a.coach.id) ?? [];
    assert.equal(rowOf(sent, 'trainee', poison), undefined, 'a row that was never stored must not be broadcast');
    assert.deepEqual(
      sent.map((r) => r.id).sort(),
      [ok1, ok3].sort(),
    );
    const c = counts(db);
    assert.equal(store.currentVersion, c.version, 'the in-memory version matches the stored one');
    assert.equal(c.maxRowVersion, c.version);
  });
});

describe('pushes committed together', () => {
  test('pushes of several users in one group each get the outcome they would get alone, in one commit', (t) => {
    const a = seedCoach(db, store, 'Ana');
    const b = seedCoach(db, store, 'Bo');
    const phone = new StoreClient(store, traineeUser(db, a.trainee1).user, 'phone');
    const poison = uuid();
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON canonical_rows WHEN NEW.id = '${poison}' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    t.mock.method(console, 'error', () => {});
    const before = store.currentVersion;
    const session = uuid();
    const pushes = [
      { client: a.desk, ops: [a.desk.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'New' })] },
      { client: b.desk, ops: [b.desk.op('trainee', poison, 'put', { coachId: b.coach.id, name: 'Poison' }), b.desk.op('exercise', uuid(), 'put', { coachId: b.coach.id, name: 'Row' })] },
      { client: phone, ops: [phone.op('session', session, 'put', { traineeId: a.trainee1, date: '2026-11-24', status: 'planned' })] },
    ];
    const results = store.pushGroup(pushes.map(({ client, ops }) => ({ user: client.user, clientId: client.clientId, ops, receivedAt: Date.now() })));
    const acks = results.map((r) => (r instanceof Error ? r.message : r.acks.map((x) => `${x.status}:${x.version ?? x.reason}`)));
    assert.deepEqual(acks, [[`applied:${before + 1}`], ['rejected:internal', `applied:${before + 2}`], [`applied:${before + 3}`]]);
    assert.equal(store.currentVersion, before + 3);
    assert.equal(counts(db).version, before + 3, 'committed');
    assert.equal(storedRow(db, 'trainee', poison), undefined);
    assert.ok(storedRow(db, 'session', session));
    assert.equal(store.nextSeq(b.coach.id, b.desk.clientId), b.desk.seq, 'the failed op used up its seq');
    // The trainee's session reached the coach in the same group's changes.
    assert.ok(rowOf((results[2] as { changes: Map<string, Row[]> }).changes.get(a.coach.id), 'session', session));
  });

  test('a group that cannot commit applies none of its pushes and can be pushed again', () => {
    const a = seedCoach(db, store, 'Ana');
    const b = seedCoach(db, store, 'Bo');
    const group = [a.desk, b.desk].map((client) => ({
      user: client.user,
      clientId: client.clientId,
      ops: [client.op('trainee', uuid(), 'put', { coachId: client.user.id, name: 'Later' })],
      receivedAt: Date.now(),
    }));
    const before = store.currentVersion;
    db.pragma('busy_timeout = 0');
    const blocker = openServerDb(file);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      assert.throws(() => store.pushGroup(group), (e: Error) => e.constructor.name === 'UnavailableError');
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    assert.equal(store.currentVersion, before);
    assert.equal(store.nextSeq(a.coach.id, a.desk.clientId), a.desk.seq - 1, 'no seq used up');
    const again = store.pushGroup(group);
    assert.deepEqual(again.map((r) => (r instanceof Error ? 'error' : r.acks[0]!.status)), ['applied', 'applied']);
    assert.equal(store.currentVersion, before + 2);
  });
});

describe('persistence', () => {
  test('versions, rows, nextSeq and the ledger survive closing and reopening the db file', () => {
    const a = seedCoach(db, store);
    const t1 = traineeUser(db, a.trainee1);
    const phone = new StoreClient(store, t1.user, 'phone');
    const s = uuid();
    const sessionOp = phone.op('session', s, 'put', { traineeId: a.trainee1, date: '2026-11-24', status: 'planned' });
    const first = phone.push([sessionOp]);
    const version = store.currentVersion;
    const coachView = store.catchUp(a.coach, 0);
    const deskSeq = store.nextSeq(a.coach.id, a.desk.clientId);
    db.close();

    db = openServerDb(file);
    store = new CanonicalStore(db);
    assert.equal(store.currentVersion, version);
    assert.equal(store.nextSeq(t1.user.id, 'phone'), 2);
    assert.equal(store.nextSeq(a.coach.id, a.desk.clientId), deskSeq);
    assert.deepEqual(store.catchUp(a.coach, 0).rows, coachView.rows);

    phone.store = store;
    const replay = phone.push([sessionOp]);
    assert.deepEqual(replay.acks[0], { ...first.acks[0]!, replay: true });
    const next = phone.push([phone.op('session', s, 'patch', { status: 'completed' }, version)]);
    assert.equal(next.acks[0]!.status, 'applied');
    assert.equal(next.acks[0]!.version, version + 1, 'versions keep increasing from where they were');
  });
});

describe('review regressions', () => {
  test('a dropped traineeId does not move the program: scope follows the fields the server kept', () => {
    const a = seedCoach(db, store);
    const t1 = traineeUser(db, a.trainee1);
    const t2 = traineeUser(db, a.trainee2);
    const trainee3 = uuid();
    a.desk.pushApplied([a.desk.op('trainee', trainee3, 'put', { coachId: a.coach.id, name: 'Third' })]);
    const t3 = traineeUser(db, trainee3);
    const base = storedRow(db, 'program', a.program)!.version;
    const past = new Date(Date.now() - 60_000).toISOString();
    // The tablet saw the program before the laptop moved it to trainee2, and its clock is earlier.
    const tablet = new StoreClient(store, a.coach, 'tablet');
    a.desk.pushApplied([a.desk.op('program', a.program, 'patch', { traineeId: a.trainee2 }, base)]);
    const vBefore = store.currentVersion;
    const out = tablet.push([tablet.op('program', a.program, 'patch', { traineeId: trainee3, name: 'Renamed' }, base, { at: past })]);
    assert.equal(out.acks[0]!.status, 'partial', JSON.stringify(out.acks[0]));
    assert.deepEqual(out.acks[0]!.dropped, ['traineeId']);
    const stored = db.prepare(`SELECT trainee_id, fields FROM canonical_rows WHERE entity = 'program' AND id = ?`).get(a.program) as { trainee_id: string; fields: string };
    assert.equal(JSON.parse(stored.fields).traineeId, a.trainee2, 'the kept traineeId');
    assert.equal(stored.trainee_id, a.trainee2, 'the scope column agrees with the kept field');
    assert.equal(rowOf(store.catchUp(t3.user, 0).rows, 'program', a.program), undefined, 'trainee3 never sees the program');
    assert.equal(rowOf(store.catchUp(t2.user, vBefore).rows, 'program', a.program)?.fields.name, 'Renamed', 'trainee2 keeps it, renamed');
    assert.equal(rowOf(store.catchUp(t1.user, 0).rows, 'program', a.program)?.deleted, true, 'trainee1 holds a tombstone');
  });

  test("a coach cannot give a program to another coach's trainee", () => {
    const a = seedCoach(db, store, 'Ana');
    const b = seedCoach(db, store, 'Bo');
    const program = uuid();
    const out = a.desk.push([a.desk.op('program', program, 'put', { coachId: a.coach.id, traineeId: b.trainee1, name: 'Sneaky', weeks: 1 })]);
    assert.equal(out.acks[0]!.status, 'rejected');
    assert.equal(out.acks[0]!.reason, 'forbidden');
    assert.match(out.acks[0]!.message ?? '', /program\.traineeId/);
    assert.equal(storedRow(db, 'program', program), undefined);
    assert.equal(out.changes.get(b.trainee1), undefined, "nothing reaches the other coach's trainee");
    const moved = a.desk.push([a.desk.op('program', a.program, 'patch', { traineeId: b.trainee1 }, storedRow(db, 'program', a.program)!.version)]);
    assert.equal(moved.acks[0]!.reason, 'forbidden', 'nor move an existing one there');
  });

  test('an absurdly nested op is rejected invalid, not answered unavailable', () => {
    const a = seedCoach(db, store);
    let nested: unknown = 1;
    for (let i = 0; i < 100_000; i++) nested = [nested];
    const out = a.desk.push([a.desk.op('exercise', uuid(), 'put', { coachId: a.coach.id, name: 'x', notes: nested as string })]);
    assert.equal(out.acks[0]!.status, 'rejected');
    assert.equal(out.acks[0]!.reason, 'invalid');
  });
});
