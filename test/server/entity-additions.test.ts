// The additions to the entities over a real SQLite file: training maxes (scope, audience of
// their exercise, tombstones), merged exercises, and the stricter field checks.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Fields, Row } from '../../protocol/index.ts';
import type { CanonicalStore } from '../../server/canonical-store.ts';
import type { Db } from '../../server/db.ts';
import { tempDir } from '../helpers.ts';
import { StoreClient, counts, openStore, rowOf, seedCoach, storedRow, traineeUser, uuid, type CoachWorld } from './support.ts';

let cleanup: () => void;
let db: Db;
let store: CanonicalStore;
let a: CoachWorld;
let b: CoachWorld;

beforeEach(() => {
  let dir: string;
  ({ dir, cleanup } = tempDir('coachdesk-additions-'));
  ({ db, store } = openStore(dir));
  a = seedCoach(db, store, 'Ana');
  b = seedCoach(db, store, 'Ben');
});

afterEach(() => {
  if (db.open) db.close();
  cleanup();
});

const maxFields = (traineeId: string, exerciseId: string, extra: Fields = {}): Fields => ({
  traineeId,
  exerciseId,
  kind: '1rm',
  value: 140,
  unit: 'kg',
  date: '2026-11-20',
  source: 'entered',
  ...extra,
});

const ids = (rows: Row[] | undefined) => new Set((rows ?? []).map((r) => `${r.entity}:${r.id}`));
const versionOf = (entity: 'max' | 'exercise' | 'prescription', id: string) => storedRow(db, entity, id)!.version;

function placement(id: string) {
  return db.prepare(`SELECT coach_id AS coachId, trainee_id AS traineeId, ref_id AS refId FROM canonical_rows WHERE entity = 'max' AND id = ?`).get(id);
}

/** The coach sets a max and insists it was applied. */
function setMax(traineeId: string, exerciseId: string, extra: Fields = {}): string {
  const id = uuid();
  a.desk.pushApplied([a.desk.op('max', id, 'put', maxFields(traineeId, exerciseId, extra))]);
  return id;
}

describe('maxes: who may write them', () => {
  test("a coach sets a max for their own trainee: applied, placed under that trainee, sent to the coach and that trainee only", () => {
    const max = uuid();
    const out = a.desk.push([a.desk.op('max', max, 'put', maxFields(a.trainee1, a.unusedExercise, { kind: 'tm', notes: 'from a 3RM' }))]);
    assert.equal(out.acks[0]!.status, 'applied', JSON.stringify(out.acks[0]));
    assert.deepEqual(storedRow(db, 'max', max)!.fields, maxFields(a.trainee1, a.unusedExercise, { kind: 'tm', notes: 'from a 3RM' }));
    assert.deepEqual(placement(max), { coachId: a.coach.id, traineeId: a.trainee1, refId: a.unusedExercise });
    assert.ok(rowOf(out.changes.get(a.coach.id), 'max', max), 'the coach gets the max');
    assert.ok(rowOf(out.changes.get(a.trainee1), 'max', max), 'the trainee gets their max');
    assert.deepEqual([...out.changes.keys()].sort(), [a.coach.id, a.trainee1].sort(), 'nobody else gets anything');

    const patched = a.desk.push([a.desk.op('max', max, 'patch', { value: 145, source: 'estimated' }, versionOf('max', max))]);
    assert.equal(patched.acks[0]!.status, 'applied');
    assert.equal(storedRow(db, 'max', max)!.fields.value, 145);
  });

  test("refused forbidden: another coach's trainee, another coach's exercise, or moving a max there; nothing is written", () => {
    const mine = setMax(a.trainee1, a.exercise);
    const before = counts(db);
    const out = a.desk.push([
      a.desk.op('max', uuid(), 'put', maxFields(b.trainee1, a.exercise)),
      a.desk.op('max', uuid(), 'put', maxFields(a.trainee1, b.exercise)),
      a.desk.op('max', uuid(), 'put', maxFields(b.trainee1, b.exercise)),
      a.desk.op('max', mine, 'patch', { exerciseId: b.exercise }, versionOf('max', mine)),
      a.desk.op('max', mine, 'patch', { traineeId: b.trainee1 }, versionOf('max', mine)),
    ]);
    const ben = b.desk.push([b.desk.op('max', mine, 'delete', {}, versionOf('max', mine))]);
    assert.deepEqual(
      [...out.acks, ...ben.acks].map((x) => `${x.status}:${x.reason}`),
      Array(6).fill('rejected:forbidden'),
    );
    assert.match(out.acks[0]!.message ?? '', /max\.exerciseId/);
    assert.match(out.acks[1]!.message ?? '', /max\.exerciseId/);
    assert.match(out.acks[2]!.message ?? '', /not yours/);
    assert.equal(out.changes.size + ben.changes.size, 0);
    assert.equal(counts(db).version, before.version);
    assert.deepEqual(placement(mine), { coachId: a.coach.id, traineeId: a.trainee1, refId: a.exercise });
  });

  test('unknown_row for a trainee or an exercise that does not exist, naming the field', () => {
    const out = a.desk.push([
      a.desk.op('max', uuid(), 'put', maxFields(uuid(), a.exercise)),
      a.desk.op('max', uuid(), 'put', maxFields(a.trainee1, uuid())),
      a.desk.op('max', uuid(), 'patch', { value: 100 }, 3),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason}`),
      Array(3).fill('rejected:unknown_row'),
    );
    assert.match(out.acks[0]!.message ?? '', /max\.traineeId: no trainee/);
    assert.match(out.acks[1]!.message ?? '', /max\.exerciseId: no exercise/);
  });

  test("a trainee's writes of maxes are rejected forbidden, their own included", () => {
    const max = setMax(a.trainee1, a.exercise);
    const phone = new StoreClient(store, traineeUser(db, a.trainee1).user, 'phone');
    const before = counts(db);
    const out = phone.push([
      phone.op('max', uuid(), 'put', maxFields(a.trainee1, a.exercise)),
      phone.op('max', max, 'patch', { value: 200 }, versionOf('max', max)),
      phone.op('max', max, 'delete', {}, versionOf('max', max)),
      phone.op('max', uuid(), 'put', maxFields(a.trainee2, a.exercise)),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason}`),
      Array(4).fill('rejected:forbidden'),
    );
    for (const ack of out.acks.slice(0, 3)) assert.match(ack.message ?? '', /a trainee may read their maxes, not change them/);
    assert.equal(counts(db).version, before.version);
    assert.equal(storedRow(db, 'max', max)!.fields.value, 140);
  });

  test('invalid max fields are rejected invalid naming the field', () => {
    const out = a.desk.push([
      a.desk.op('max', uuid(), 'put', maxFields(a.trainee1, a.exercise, { value: 0 })),
      a.desk.op('max', uuid(), 'put', maxFields(a.trainee1, a.exercise, { unit: '%1rm' })),
      a.desk.op('max', uuid(), 'put', maxFields(a.trainee1, a.exercise, { kind: '3rm' })),
      a.desk.op('max', uuid(), 'put', maxFields(a.trainee1, a.exercise, { date: '2026-13-01' })),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason}`),
      Array(4).fill('rejected:invalid'),
    );
    assert.match(out.acks[0]!.message ?? '', /max\.value must be more than 0/);
    assert.match(out.acks[1]!.message ?? '', /max\.unit/);
    assert.match(out.acks[2]!.message ?? '', /max\.kind/);
    assert.match(out.acks[3]!.message ?? '', /max\.date/);
  });
});

describe('maxes: who sees them and their exercise', () => {
  test("catch-up: a trainee gets their maxes and the exercises these use; another trainee of the coach gets neither", () => {
    const t1 = traineeUser(db, a.trainee1).user;
    const t2 = traineeUser(db, a.trainee2).user;
    const v = store.currentVersion;
    const max = setMax(a.trainee1, a.unusedExercise);

    const got = ids(store.catchUp(t1, 0).rows);
    assert.ok(got.has(`max:${max}`), 'the max');
    assert.ok(got.has(`exercise:${a.unusedExercise}`), 'the exercise it uses, prescribed to nobody');
    const since = store.catchUp(t1, v).rows;
    assert.ok(rowOf(since, 'exercise', a.unusedExercise) && !rowOf(since, 'exercise', a.unusedExercise)!.deleted, 'the exercise in catch-up since before the max');
    assert.deepEqual([...ids(store.catchUp(t2, 0).rows)].sort(), [`trainee:${a.trainee2}`], 'trainee2 sees only their trainee row');
    assert.ok(ids(store.catchUp(a.coach, 0).rows).has(`max:${max}`), 'the coach sees the max');
    assert.equal(rowOf(store.catchUp(b.coach, 0).rows, 'max', max), undefined, 'another coach does not');
  });

  test('live: the max and its newly visible exercise go to the trainee; an exercise they already see is not sent again', () => {
    const used = uuid();
    const out = a.desk.push([
      a.desk.op('max', used, 'put', maxFields(a.trainee1, a.exercise)),
      a.desk.op('max', uuid(), 'put', maxFields(a.trainee1, a.unusedExercise)),
    ]);
    const live = out.changes.get(a.trainee1);
    assert.equal(live?.filter((r) => r.entity === 'max').length, 2);
    const fresh = rowOf(live, 'exercise', a.unusedExercise);
    assert.ok(fresh && !fresh.deleted && fresh.fields.name === 'Deadlift', 'the exercise the trainee did not see before, with its fields');
    assert.equal(rowOf(live, 'exercise', a.exercise), undefined, 'the prescribed exercise was already theirs');
    assert.equal(out.changes.get(a.trainee2), undefined);
  });

  test('deleting a max: tombstones for the max and, when nothing else shows it, its exercise; live and in catch-up', () => {
    const t1 = traineeUser(db, a.trainee1).user;
    const onUnused = setMax(a.trainee1, a.unusedExercise);
    const alsoOnUnused = setMax(a.trainee1, a.unusedExercise, { kind: 'tm', value: 125 });
    const onPrescribed = setMax(a.trainee1, a.exercise);

    // Another max still uses the exercise: it stays.
    let out = a.desk.push([a.desk.op('max', onUnused, 'delete', {}, versionOf('max', onUnused))]);
    assert.equal(rowOf(out.changes.get(a.trainee1), 'max', onUnused)?.deleted, true);
    assert.equal(rowOf(out.changes.get(a.trainee1), 'exercise', a.unusedExercise), undefined);

    // The last max on it: the exercise leaves the trainee's scope, not the coach's.
    const v = store.currentVersion;
    out = a.desk.push([a.desk.op('max', alsoOnUnused, 'delete', {}, versionOf('max', alsoOnUnused))]);
    const live = out.changes.get(a.trainee1);
    assert.equal(rowOf(live, 'max', alsoOnUnused)?.deleted, true, 'the max tombstone');
    assert.deepEqual(rowOf(live, 'exercise', a.unusedExercise), { entity: 'exercise', id: a.unusedExercise, version: versionOf('exercise', a.unusedExercise), deleted: true, fields: {}, by: a.coach.id });
    assert.equal(rowOf(out.changes.get(a.coach.id), 'exercise', a.unusedExercise)?.deleted, false, 'the coach keeps the exercise (at its new version)');
    assert.equal(storedRow(db, 'exercise', a.unusedExercise)!.deleted, false);
    for (const since of [v, 0]) {
      const rows = store.catchUp(t1, since).rows;
      assert.equal(rowOf(rows, 'exercise', a.unusedExercise)?.deleted, true, `exercise tombstone in catch-up since ${since}`);
      assert.equal(rowOf(rows, 'max', alsoOnUnused)?.deleted, true, `max tombstone in catch-up since ${since}`);
    }

    // An exercise still prescribed to the trainee stays when its max goes.
    out = a.desk.push([a.desk.op('max', onPrescribed, 'delete', {}, versionOf('max', onPrescribed))]);
    assert.equal(rowOf(out.changes.get(a.trainee1), 'exercise', a.exercise), undefined);
    assert.equal(rowOf(store.catchUp(t1, 0).rows, 'exercise', a.exercise)?.deleted, false);
  });

  test('a max keeps its exercise with the trainee when the last prescription of it goes, and the reverse', () => {
    const t1 = traineeUser(db, a.trainee1).user;
    const max = setMax(a.trainee1, a.exercise);
    let out = a.desk.push([a.desk.op('prescription', a.prescription, 'delete', {}, versionOf('prescription', a.prescription))]);
    assert.equal(rowOf(out.changes.get(a.trainee1), 'exercise', a.exercise), undefined, 'no tombstone: the max still shows it');
    assert.equal(rowOf(store.catchUp(t1, 0).rows, 'exercise', a.exercise)?.deleted, false);

    const v = store.currentVersion;
    out = a.desk.push([a.desk.op('max', max, 'delete', {}, versionOf('max', max))]);
    assert.equal(rowOf(out.changes.get(a.trainee1), 'exercise', a.exercise)?.deleted, true, 'now nothing shows it');
    assert.equal(rowOf(store.catchUp(t1, v).rows, 'exercise', a.exercise)?.deleted, true);
  });

  test('moving a max to another trainee of the coach: the first gets tombstones, the second the max and its exercise', () => {
    const t2 = traineeUser(db, a.trainee2).user;
    const max = setMax(a.trainee1, a.unusedExercise);
    const v = store.currentVersion;
    const out = a.desk.push([a.desk.op('max', max, 'patch', { traineeId: a.trainee2 }, versionOf('max', max))]);
    assert.equal(out.acks[0]!.status, 'applied');
    const old = out.changes.get(a.trainee1);
    assert.equal(rowOf(old, 'max', max)?.deleted, true);
    assert.equal(rowOf(old, 'exercise', a.unusedExercise)?.deleted, true);
    const fresh = out.changes.get(a.trainee2);
    assert.equal(rowOf(fresh, 'max', max)?.fields.traineeId, a.trainee2);
    assert.equal(rowOf(fresh, 'exercise', a.unusedExercise)?.deleted, false);
    assert.ok(ids(store.catchUp(t2, v).rows).has(`exercise:${a.unusedExercise}`));
  });

  test('a re-created max brings its exercise back to the trainee', () => {
    const max = setMax(a.trainee1, a.unusedExercise);
    a.desk.pushApplied([a.desk.op('max', max, 'delete', {}, versionOf('max', max))]);
    const out = a.desk.push([a.desk.op('max', max, 'put', maxFields(a.trainee1, a.unusedExercise), versionOf('max', max))]);
    assert.equal(out.acks[0]!.status, 'applied');
    assert.equal(rowOf(out.changes.get(a.trainee1), 'exercise', a.unusedExercise)?.deleted, false);
  });
});

describe('merged exercises', () => {
  const merge = (client: StoreClient, exercise: string, into: string | null) => client.op('exercise', exercise, 'patch', { mergedInto: into }, 99);

  test("an exercise merged into another of the coach's, live or deleted, is applied; mergedInto can be cleared", () => {
    const deleted = uuid();
    a.desk.pushApplied([a.desk.op('exercise', deleted, 'put', { coachId: a.coach.id, name: 'Old squat' })]);
    a.desk.pushApplied([a.desk.op('exercise', deleted, 'delete', {}, versionOf('exercise', deleted))]);
    const fresh = uuid();
    const out = a.desk.push([
      merge(a.desk, a.unusedExercise, a.exercise),
      a.desk.op('exercise', fresh, 'put', { coachId: a.coach.id, name: 'Squat (old name)', mergedInto: deleted }),
      merge(a.desk, a.unusedExercise, null),
    ]);
    assert.deepEqual(
      out.acks.map((x) => x.status),
      ['applied', 'applied', 'applied'],
    );
    assert.equal(storedRow(db, 'exercise', fresh)!.fields.mergedInto, deleted);
    assert.equal(storedRow(db, 'exercise', a.unusedExercise)!.fields.mergedInto, null);
  });

  test("into another coach's exercise: forbidden; into none: unknown_row; into itself or into a loop: invalid", () => {
    a.desk.pushApplied([merge(a.desk, a.unusedExercise, a.exercise)]);
    const before = counts(db);
    const out = a.desk.push([
      merge(a.desk, a.exercise, b.exercise),
      a.desk.op('exercise', uuid(), 'put', { coachId: a.coach.id, name: 'Sneaky', mergedInto: b.exercise }),
      merge(a.desk, a.exercise, uuid()),
      merge(a.desk, a.exercise, a.exercise),
      merge(a.desk, a.exercise, a.unusedExercise),
    ]);
    const ben = b.desk.push([merge(b.desk, a.exercise, b.exercise)]);
    assert.deepEqual(
      [...out.acks, ...ben.acks].map((x) => `${x.status}:${x.reason}`),
      ['rejected:forbidden', 'rejected:forbidden', 'rejected:unknown_row', 'rejected:invalid', 'rejected:invalid', 'rejected:forbidden'],
    );
    assert.match(out.acks[0]!.message ?? '', /exercise\.mergedInto: .*same coach/);
    assert.match(out.acks[2]!.message ?? '', /exercise\.mergedInto: no exercise/);
    assert.match(out.acks[3]!.message ?? '', /exercise\.mergedInto: an exercise cannot be merged into itself/);
    assert.match(out.acks[4]!.message ?? '', /exercise\.mergedInto: .* is already merged into this exercise/);
    assert.equal(counts(db).version, before.version);
  });
});

describe('stricter field checks', () => {
  test('trainee.email: an invalid address is rejected invalid naming the field; a valid one and null are applied', () => {
    const t = uuid();
    const out = a.desk.push([
      a.desk.op('trainee', uuid(), 'put', { coachId: a.coach.id, name: 'Bo', email: 'bo at example' }),
      a.desk.op('trainee', a.trainee1, 'patch', { email: 'not-an-address' }, 99),
      a.desk.op('trainee', a.trainee1, 'patch', { email: 42 }, 99),
      a.desk.op('trainee', t, 'put', { coachId: a.coach.id, name: 'Cy', email: 'cy@example.com' }),
      a.desk.op('trainee', a.trainee2, 'put', { coachId: a.coach.id, name: 'Dee', email: null }, 99),
      a.desk.op('trainee', t, 'patch', { email: null }, 99),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason ?? ''}`),
      ['rejected:invalid', 'rejected:invalid', 'rejected:invalid', 'applied:', 'applied:', 'applied:'],
    );
    assert.match(out.acks[0]!.message ?? '', /^trainee\.email must be an e-mail address/);
    assert.match(out.acks[1]!.message ?? '', /^trainee\.email /);
    assert.match(out.acks[2]!.message ?? '', /^trainee\.email /);
    assert.equal(storedRow(db, 'trainee', a.trainee1)!.fields.email, undefined);
    assert.equal(storedRow(db, 'trainee', t)!.fields.email, null);
  });

  test('a row stored before the checks is served as it is, and a patch that does not touch the field goes through', () => {
    const fields = { ...storedRow(db, 'trainee', a.trainee1)!.fields, email: 'ana at gym' };
    db.prepare(`UPDATE canonical_rows SET fields = ? WHERE entity = 'trainee' AND id = ?`).run(JSON.stringify(fields), a.trainee1);
    const out = a.desk.push([
      a.desk.op('trainee', a.trainee1, 'patch', { notes: 'moved gyms' }, 99),
      a.desk.op('trainee', a.trainee1, 'put', { ...fields, notes: 'moved gyms' }, 99),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason ?? ''}`),
      ['applied:', 'rejected:invalid'],
    );
    assert.deepEqual(rowOf(out.changes.get(a.coach.id), 'trainee', a.trainee1)!.fields, { ...fields, notes: 'moved gyms' });
  });

  test('prescription.reps must be at least 1: "0" and "0-5" are rejected invalid', () => {
    const out = a.desk.push([
      a.desk.op('prescription', uuid(), 'put', { workoutId: a.workout, exerciseId: a.exercise, position: 2, sets: 3, reps: '0' }),
      a.desk.op('prescription', a.prescription, 'patch', { reps: '0-5' }, 99),
      a.desk.op('prescription', a.prescription, 'patch', { reps: '1-5' }, 99),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason ?? ''}`),
      ['rejected:invalid', 'rejected:invalid', 'applied:'],
    );
    assert.equal(out.acks[0]!.message, 'prescription.reps must be at least 1');
    assert.equal(out.acks[1]!.message, 'prescription.reps must be at least 1');
  });

  test('a logged set may still target 0 reps (set_log.targetReps is not a prescription)', () => {
    const phone = new StoreClient(store, traineeUser(db, a.trainee1).user, 'phone');
    const session = uuid();
    const out = phone.push([
      phone.op('session', session, 'put', { traineeId: a.trainee1, date: '2026-11-24', status: 'in_progress' }),
      phone.op('set_log', uuid(), 'put', { sessionId: session, exerciseId: a.exercise, setIndex: 0, reps: 0, done: false, targetReps: '0' }),
    ]);
    assert.deepEqual(
      out.acks.map((x) => x.status),
      ['applied', 'applied'],
    );
  });

  test('prescription kind and scheme are applied and come back as sent, live and in catch-up', () => {
    const t1 = traineeUser(db, a.trainee1).user;
    const scheme = [
      { part: 'warmup', sets: 2, reps: '5', load: 50, loadUnit: '%top' },
      { part: 'top', sets: 1, reps: '3', load: 85, loadUnit: '%1rm', rpe: 8.5 },
      { part: 'backoff', sets: 3, reps: '5-6', load: 90, loadUnit: '%top', rpe: null },
    ];
    const timed = uuid();
    const v = store.currentVersion;
    const withScheme = a.desk.op('prescription', a.prescription, 'patch', { kind: 'reps', scheme }, 99);
    const out = a.desk.push([
      withScheme,
      a.desk.op('prescription', timed, 'put', { workoutId: a.workout, exerciseId: a.exercise, position: 2, sets: 3, reps: '30-45', kind: 'time' }),
    ]);
    assert.deepEqual(
      out.acks.map((x) => x.status),
      ['applied', 'applied'],
    );
    assert.deepEqual(storedRow(db, 'prescription', a.prescription)!.fields.scheme, scheme);
    assert.deepEqual(rowOf(out.changes.get(a.trainee1), 'prescription', a.prescription)!.fields.scheme, scheme);
    const caught = store.catchUp(t1, v).rows;
    assert.deepEqual(rowOf(caught, 'prescription', a.prescription)!.fields, { ...storedRow(db, 'prescription', a.prescription)!.fields, kind: 'reps', scheme });
    assert.equal(rowOf(caught, 'prescription', timed)!.fields.kind, 'time');

    // Sent again (a lost ack), it is a replay: its nested fields hash as they did.
    const again = a.desk.push([structuredClone(withScheme)]);
    assert.deepEqual([again.acks[0]!.status, again.acks[0]!.replay], ['applied', true]);
  });

  test('a bad scheme part or kind is rejected invalid, the message naming the field', () => {
    const part = { part: 'top', sets: 1, reps: '3' };
    const patch = (fields: Fields) => a.desk.op('prescription', a.prescription, 'patch', fields, 99);
    const out = a.desk.push([
      patch({ scheme: [part, { ...part, loadUnit: 'stone' }] }),
      patch({ scheme: [{ ...part, part: 'cluster' }] }),
      patch({ scheme: [{ ...part, reps: '0' }] }),
      patch({ scheme: [{ ...part, sets: 21 }] }),
      patch({ scheme: [{ ...part, tempo: '3010' }] }),
      patch({ scheme: Array(13).fill(part) }),
      patch({ scheme: part }),
      patch({ kind: 'weight' }),
    ]);
    assert.deepEqual(
      out.acks.map((x) => `${x.status}:${x.reason}`),
      Array(8).fill('rejected:invalid'),
    );
    const messages = out.acks.map((x) => x.message);
    assert.equal(messages[0], 'prescription.scheme.1.loadUnit must be kg, lb, %1rm or %top');
    assert.equal(messages[1], 'prescription.scheme.0.part must be warmup, top, backoff, drop or work');
    assert.equal(messages[2], 'prescription.scheme.0.reps must be at least 1');
    assert.equal(messages[3], 'prescription.scheme.0.sets must be at most 20');
    assert.match(messages[4] ?? '', /tempo/);
    assert.equal(messages[5], 'prescription.scheme must have at most 12 parts');
    assert.match(messages[6] ?? '', /^prescription\.scheme /);
    assert.equal(messages[7], 'prescription.kind must be reps, time or distance');
  });
});
