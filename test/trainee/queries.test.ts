// The trainee app's queries and logging plan (trainee/worker/), run under Node against a
// LocalStore holding canonical rows, as the worker runs them against its SQLite.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Fields, Row } from '../../protocol/index.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import { LogSetError, planFinish, planLogSet } from '../../trainee/worker/log-set.ts';
import { TraineeQueries } from '../../trainee/worker/queries.ts';
import { id, tempDir } from '../helpers.ts';
import { openLocalStore } from '../sync-db.ts';

const coachId = id();
const traineeId = id();
const squat = id();
const bench = id();
const program = id();
// 2026-03-02 is a Monday: week 1 runs 2 Mar … 8 Mar.
const START = '2026-03-02';
const mon1 = id();
const thu1 = id();
const mon2 = id();
const rxSquat = id();
const rxBench = id();
const rxSquatWeek2 = id();
const rxPercent = id();

let version = 0;
const row = (entity: Row['entity'], rowId: string, fields: Fields, by = coachId): Row => ({ entity, id: rowId, version: ++version, deleted: false, fields, by });

function world(): Row[] {
  return [
    row('trainee', traineeId, { coachId, name: 'Ben' }),
    row('exercise', squat, { coachId, name: 'Back squat', videoUrl: 'https://video.example.com/squat' }),
    row('exercise', bench, { coachId, name: 'Bench press' }),
    row('max', id(), { traineeId, exerciseId: bench, kind: '1rm', value: 100, unit: 'kg', date: '2026-02-01', source: 'entered' }),
    row('program', program, { coachId, traineeId, name: 'Block A', startDate: START, weeks: 4 }),
    row('workout', mon1, { programId: program, week: 1, day: 1, title: 'Mon heavy' }),
    row('workout', thu1, { programId: program, week: 1, day: 4, title: 'Thu light' }),
    row('workout', mon2, { programId: program, week: 2, day: 1, title: 'Mon heavy 2' }),
    row('prescription', rxSquat, { workoutId: mon1, exerciseId: squat, position: 1, sets: 3, reps: '5', load: 100, loadUnit: 'kg', rpe: 8, restSec: 180, notes: 'Brace' }),
    row('prescription', rxBench, { workoutId: thu1, exerciseId: bench, position: 1, sets: 2, reps: 'AMRAP', load: 60, loadUnit: 'kg' }),
    row('prescription', rxSquatWeek2, { workoutId: mon2, exerciseId: squat, position: 1, sets: 3, reps: '5', load: 105, loadUnit: 'kg' }),
    row('prescription', rxPercent, { workoutId: mon2, exerciseId: bench, position: 2, sets: 2, reps: '3', load: 80, loadUnit: '%1rm' }),
  ];
}

describe('trainee queries', () => {
  let tmp: ReturnType<typeof tempDir>;
  let n = 0;
  before(() => {
    tmp = tempDir('coachdesk-trainee-q-');
  });
  after(() => tmp.cleanup());

  /** A fresh store holding the world and `extra` rows as the server sent them. */
  function open(extra: Row[] = []): { store: LocalStore; q: TraineeQueries } {
    const store = openLocalStore(join(tmp.dir, `t${n++}.db`));
    // The world first, then `extra` at later versions (a row given again replaces the world's).
    const rows = world();
    store.applyIncoming({ rows: [...rows, ...extra.map((r) => ({ ...r, version: ++version }))], acks: [] });
    return { store, q: new TraineeQueries(store, traineeId) };
  }

  const session = (sessionId: string, workoutId: string | null, date: string, status = 'completed') =>
    row('session', sessionId, { traineeId, ...(workoutId ? { workoutId } : {}), date, status }, traineeId);
  const set = (sessionId: string, exerciseId: string, setIndex: number, reps: number, load: number | null, more: Fields = {}) =>
    row('set_log', id(), { sessionId, exerciseId, setIndex, reps, ...(load === null ? {} : { load, loadUnit: 'kg' }), done: true, ...more }, traineeId);

  test('today: the workout planned today by the start date', () => {
    const { store, q } = open();
    const t = q.today('2026-03-02');
    assert.equal(t.when, 'today');
    assert.equal(t.workout?.id, mon1);
    assert.equal(t.workout?.plannedDate, '2026-03-02');
    assert.equal(t.traineeName, 'Ben');
    assert.deepEqual(t.others.map((w) => w.id), [thu1, mon2], 'the rest of the program is one tap away');
    store.close();
  });

  test('today: the next one when none is planned today; none after the last; unscheduled without a start date', () => {
    const { store, q } = open();
    const tue = q.today('2026-03-03');
    assert.equal(tue.when, 'next');
    assert.equal(tue.workout?.id, thu1);
    assert.equal(tue.workout?.plannedDate, '2026-03-05');
    assert.equal(q.today('2026-03-06').workout?.id, mon2);
    assert.equal(q.today('2026-03-06').workout?.plannedDate, '2026-03-09');
    assert.equal(q.today('2026-04-01').when, 'none');
    store.close();

    const undated = open([row('program', program, { coachId, traineeId, name: 'Block A', weeks: 4 }), session(id(), mon1, '2026-03-02')]);
    // The session has no sets but is completed: the first workout is done, the next not.
    const u = undated.q.today('2026-03-10');
    assert.equal(u.when, 'unscheduled');
    assert.equal(u.workout?.id, thu1);
    undated.store.close();
  });

  test('programs: weeks with their workouts and planned dates; another trainee sees nothing of it', () => {
    const { store, q } = open();
    const [p] = q.programs();
    assert.equal(p?.name, 'Block A');
    assert.deepEqual(
      p?.weekList.map((w) => [w.week, w.workouts.map((x) => [x.title, x.plannedDate])]),
      [
        [1, [['Mon heavy', '2026-03-02'], ['Thu light', '2026-03-05']]],
        [2, [['Mon heavy 2', '2026-03-09']]],
      ],
    );
    assert.deepEqual(new TraineeQueries(store, id()).programs(), []);
    assert.equal(new TraineeQueries(store, id()).workout(mon1, START), null);
    store.close();
  });

  test('prescriptions: targets, coach notes and video; each set prefilled from the prescription', () => {
    const { store, q } = open();
    const w = q.workout(mon1, '2026-03-02')!;
    const p = w.prescriptions[0]!;
    assert.equal(p.exerciseName, 'Back squat');
    assert.equal(p.videoUrl, 'https://video.example.com/squat');
    assert.equal(p.notes, 'Brace');
    assert.equal(p.summary, '3 × 5 @ 100 kg · RPE 8');
    assert.equal(p.restSec, 180);
    assert.deepEqual(
      p.rows.map((r) => [r.n, r.prefill, r.last, r.logged]),
      [1, 2, 3].map((n) => [n, { reps: '5', load: '100', rpe: '' }, null, null]),
    );
    store.close();
  });

  test("prefill: last time's values shown per set; AMRAP reps come from last time; %1RM resolved from the max", () => {
    const lastWeek = id();
    const { store, q } = open([
      session(lastWeek, thu1, '2026-03-05'),
      set(lastWeek, bench, 0, 12, 60, { prescriptionId: rxBench, rpe: 9 }),
      set(lastWeek, bench, 1, 10, 60, { prescriptionId: rxBench }),
    ]);
    // The same workout again a week later (repeated): last time is the session of 5 March.
    const bench1 = q.workout(thu1, '2026-03-12')!.prescriptions[0]!;
    assert.deepEqual(bench1.rows[0]!.last, { date: '2026-03-05', reps: 12, load: 60, loadUnit: 'kg', rpe: 9 });
    assert.deepEqual(bench1.rows[1]!.last, { date: '2026-03-05', reps: 10, load: 60, loadUnit: 'kg', rpe: null });
    assert.deepEqual(bench1.rows.map((r) => r.prefill.reps), ['12', '10'], 'AMRAP: the reps of last time');
    assert.deepEqual(bench1.rows.map((r) => r.prefill.load), ['60', '60']);

    // Week 2's %1RM bench: 80 % of the 100 kg max, with last time from another workout's bench.
    const pct = q.workout(mon2, '2026-03-09')!.prescriptions[1]!;
    assert.equal(pct.summary, '2 × 3 @ 80 kg (80%)');
    assert.deepEqual(pct.rows[0]!.target, { reps: '3', load: 80, unit: 'kg', percent: 80, rpe: null, part: null });
    assert.deepEqual(pct.rows[0]!.prefill, { reps: '3', load: '80', rpe: '' });
    assert.equal(pct.rows[0]!.last?.reps, 12, 'last time is by exercise across workouts');
    store.close();
  });

  test("the workout view shows today's session's sets on their rows, in order; other days' sets are not today's", () => {
    const today = id();
    const yesterday = id();
    const { store, q } = open([
      session(yesterday, mon1, '2026-03-01', 'in_progress'),
      set(yesterday, squat, 0, 5, 90, { prescriptionId: rxSquat }),
      session(today, mon1, '2026-03-02', 'in_progress'),
      set(today, squat, 1, 4, 102.5, { prescriptionId: rxSquat }),
      set(today, squat, 0, 5, 100, { prescriptionId: rxSquat, note: 'easy' }),
      set(today, bench, 2, 10, 40),
    ]);
    const w = q.workout(mon1, '2026-03-02')!;
    assert.equal(w.sessionId, today);
    const rows = w.prescriptions[0]!.rows;
    assert.deepEqual(rows.map((r) => r.logged && [r.logged.reps, r.logged.load, r.logged.note]), [[5, 100, 'easy'], [4, 102.5, null], null]);
    assert.equal(rows[2]!.last?.load, 90, 'last time: the session before');
    assert.deepEqual(w.extra.map((s) => [s.exerciseName, s.reps]), [['Bench press', 10]], 'a set without a prescription');
    assert.equal(w.done, true);
    store.close();
  });

  test('e1RM by Epley per set; the best so far per exercise; a new best marked only when it beats an earlier one', () => {
    const s1 = id();
    const s2 = id();
    const { store, q } = open([
      session(s1, mon1, '2026-03-02'),
      set(s1, squat, 0, 5, 100, { prescriptionId: rxSquat }), // 116.7: the first, not a "new" best
      set(s1, squat, 1, 4, 102.5, { prescriptionId: rxSquat }), // 116.2
      set(s1, squat, 2, 3, 110, { prescriptionId: rxSquat }), // 121: new best
      set(s1, squat, 3, 15, 60, { prescriptionId: rxSquat }), // over 12 reps: no estimate
      session(s2, mon2, '2026-03-09'),
      set(s2, squat, 0, 1, 120, { prescriptionId: rxSquatWeek2 }), // 120: not a best
    ]);
    const [h2, h1] = q.history('2026-03-09');
    assert.deepEqual(h1!.exercises[0]!.sets.map((s) => [s.e1rm, s.newBest]), [[116.7, false], [116.2, false], [121, true], [null, false]]);
    assert.deepEqual(h2!.exercises[0]!.sets.map((s) => [s.e1rm, s.newBest]), [[120, false]]);
    assert.deepEqual(q.bests().get(squat), { e1rm: 121, unit: 'kg' });
    assert.equal(q.workout(mon2, '2026-03-09')!.prescriptions[0]!.best?.e1rm, 121);
    assert.equal(q.wouldBeNewBest(squat, 115, 2, 'kg'), true); // 122.7
    assert.equal(q.wouldBeNewBest(squat, 112.5, 3, 'kg'), true); // 123.75
    assert.equal(q.wouldBeNewBest(squat, 100, 5, 'kg'), false);
    assert.equal(q.wouldBeNewBest(bench, 100, 5, 'kg'), false, 'no earlier set: nothing to beat');
    store.close();
  });

  test('history: past sessions newest first, prescribed next to done; unlogged prescriptions and free sets too', () => {
    const s1 = id();
    const s2 = id();
    const future = id();
    const { store, q } = open([
      session(s1, mon1, '2026-03-02'),
      set(s1, squat, 0, 5, 100, { prescriptionId: rxSquat, targetReps: '5', targetLoad: 100 }),
      set(s1, squat, 1, 5, 100, { prescriptionId: rxSquat, targetReps: '5', targetLoad: 100, rpe: 8 }),
      session(s2, mon2, '2026-03-09'),
      set(s2, bench, 0, 3, 80, { prescriptionId: rxPercent, targetReps: '3', targetLoad: 80 }),
      set(s2, squat, 1, 8, 60, { targetReps: '8', targetLoad: 60 }),
      session(future, thu1, '2026-03-20'),
      set(future, bench, 0, 1, 1),
    ]);
    const h = q.history('2026-03-10');
    assert.deepEqual(h.map((x) => [x.date, x.workoutTitle, x.programName]), [
      ['2026-03-09', 'Mon heavy 2', 'Block A'],
      ['2026-03-02', 'Mon heavy', 'Block A'],
    ]);
    assert.deepEqual(
      h[0]!.exercises.map((e) => [e.exerciseName, e.prescribed, e.sets.map((s) => `${s.reps}x${s.load}`)]),
      [
        ['Back squat', '3 × 5 @ 105 kg', []],
        ['Bench press', '2 × 3 @ 80 kg', ['3x80']],
        ['Back squat', '8 @ 60 kg', ['8x60']],
      ],
    );
    assert.deepEqual(h[1]!.exercises.map((e) => [e.prescribed, e.sets.map((s) => [s.reps, s.load, s.rpe])]), [['3 × 5 @ 100 kg · RPE 8', [[5, 100, null], [5, 100, 8]]]]);
    store.close();
  });

  test('logging: the rows the reference client writes (a session per workout, then set_logs with targets)', () => {
    const { store, q } = open();
    let ids = 0;
    const newId = () => `00000000-0000-7000-8000-${String(++ids).padStart(12, '0')}`;
    const first = planLogSet(store, q, { workoutId: mon1, prescriptionId: rxSquat, n: 1, reps: 5, load: 100, rpe: null, note: null, today: '2026-03-02' }, newId);
    assert.deepEqual(first.edits, [
      { entity: 'session', id: first.result.sessionId, action: 'put', fields: { traineeId, workoutId: mon1, date: '2026-03-02', status: 'in_progress' } },
      {
        entity: 'set_log',
        id: first.result.setLogId,
        action: 'put',
        fields: { sessionId: first.result.sessionId, exerciseId: squat, setIndex: 0, reps: 5, done: true, prescriptionId: rxSquat, targetReps: '5', targetLoad: 100, loadUnit: 'kg', load: 100 },
      },
    ]);
    assert.deepEqual(first.result, { setLogId: first.result.setLogId, sessionId: first.result.sessionId, e1rm: 116.7, newBest: false, restSec: 180 });
    store.enqueueAll(first.edits);

    const second = planLogSet(store, q, { workoutId: mon1, prescriptionId: rxSquat, n: 2, reps: 3, load: 110, rpe: 9, note: '  fast ', today: '2026-03-02' }, newId);
    assert.equal(second.edits.length, 1, 'the session is made once');
    assert.deepEqual(second.edits[0]!.fields, {
      sessionId: first.result.sessionId,
      exerciseId: squat,
      setIndex: 1,
      reps: 3,
      done: true,
      prescriptionId: rxSquat,
      targetReps: '5',
      targetLoad: 100,
      loadUnit: 'kg',
      load: 110,
      rpe: 9,
      note: 'fast',
    });
    assert.equal(second.result.newBest, true);
    store.enqueueAll(second.edits);
    assert.equal(q.workout(mon1, '2026-03-02')!.prescriptions[0]!.rows.filter((r) => r.logged?.pending).length, 2, 'pending sets show at once');

    // %1RM: the target load is resolved from the max, as set-log-plan does.
    const pct = planLogSet(store, q, { workoutId: mon2, prescriptionId: rxPercent, n: 1, reps: 3, load: 80, rpe: null, note: null, today: '2026-03-09' }, newId);
    assert.deepEqual(pct.edits[1]!.fields, { sessionId: pct.result.sessionId, exerciseId: bench, setIndex: 0, reps: 3, done: true, prescriptionId: rxPercent, targetReps: '3', targetLoad: 80, loadUnit: 'kg', load: 80 });

    const finish = planFinish(q, mon1, '2026-03-02', newId);
    assert.deepEqual(finish.edits, [{ entity: 'session', id: first.result.sessionId, action: 'patch', fields: { status: 'completed' } }]);
    store.close();
  });

  test('logging refuses what is not a set: reps not a whole number of 1 or more, a negative load, RPE out of 1–10', () => {
    const { store, q } = open();
    const base = { workoutId: mon1, prescriptionId: rxSquat, n: 1, reps: 5, load: 100, rpe: null, note: null, today: '2026-03-02' };
    for (const [bad, field] of [
      [{ reps: 0 }, 'reps'],
      [{ reps: 2.5 }, 'reps'],
      [{ reps: Number.NaN }, 'reps'],
      [{ load: -1 }, 'load'],
      [{ rpe: 11 }, 'rpe'],
    ] as const) {
      assert.throws(() => planLogSet(store, q, { ...base, ...bad }, id), (e: unknown) => e instanceof LogSetError && e.field === field, JSON.stringify(bad));
    }
    assert.throws(() => planLogSet(store, q, { ...base, prescriptionId: rxBench }, id), /no longer in the workout/);
    assert.equal(store.pendingCount, 0);
    store.close();
  });
});
