// The Progress view's index of set groups (main/host/set-groups.ts): the same answer as reading
// every set one by one, kept up to date as rows arrive, change, move and go, and rebuilt when
// its triggers are gone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ProgressService } from '../../main/host/progress.ts';
import { addDays } from '../../protocol/calendar.ts';
import type { Row } from '../../protocol/index.ts';
import type { Settings, TraineeProgress } from '../../preload/api.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import { id, tempDir } from '../helpers.ts';
import { openLocalStore } from '../sync-db.ts';

const tmp = tempDir('coachdesk-set-groups-');
after(() => tmp.cleanup());

const settings: Settings = { units: 'kg', weekStartsOn: 1, displayName: null, plateIncrement: 2.5, e1rmFormula: 'epley' };
const TODAY = '2026-03-01';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface World {
  store: LocalStore;
  traineeId: string;
  put: (rows: Array<Omit<Row, 'version' | 'by' | 'deleted'> & { deleted?: boolean }>) => void;
  sessions: string[];
  sets: Array<{ id: string; fields: Record<string, unknown> }>;
  exercises: string[];
  prescriptions: string[];
}

/** A client with a program, prescriptions and 60 days of messy logs: kg, lb, %1RM, no load, odd types. */
function world(file: string, seed: number): World {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const store = openLocalStore(file);
  const coachId = id();
  const traineeId = id();
  let version = 0;
  const put: World['put'] = (rows) =>
    store.applyIncoming({ rows: rows.map((r) => ({ ...r, deleted: r.deleted ?? false, version: ++version, by: coachId }) as Row), acks: [], syncedVersion: version });
  const exercises = [id(), id(), id()];
  const programId = id();
  const workoutId = id();
  const prescriptions = [id(), id()];
  put([
    { entity: 'trainee', id: traineeId, fields: { coachId, name: 'Ben' } },
    ...exercises.map((e, i) => ({ entity: 'exercise' as const, id: e, fields: { coachId, name: `Ex ${i}`, category: i === 2 ? null : `Cat ${i}` } })),
    { entity: 'program', id: programId, fields: { coachId, traineeId, name: 'Block', weeks: 4, startDate: '2026-01-05' } },
    { entity: 'workout', id: workoutId, fields: { programId, week: 1, day: 1, name: 'A' } },
    ...prescriptions.map((p, i) => ({ entity: 'prescription' as const, id: p, fields: { workoutId, exerciseId: exercises[i]!, order: i, sets: 3, reps: i ? '8-10' : '5', rpe: i ? 8 : null } })),
  ]);
  const sessions: string[] = [];
  const sets: World['sets'] = [];
  for (let day = 0; day < 60; day++) {
    const sessionId = id();
    sessions.push(sessionId);
    put([{ entity: 'session', id: sessionId, fields: { traineeId, date: addDays('2026-01-01', day), status: pick(['completed', 'completed', 'in_progress']) } }]);
    const rows = [];
    for (let i = 0; i < 12; i++) {
      const fields: Record<string, unknown> = {
        sessionId,
        exerciseId: pick([...exercises, exercises[0]!]),
        setIndex: i,
        reps: pick([1, 3, 5, 5, 5, 8, 12, 15, 0, '5']),
        load: pick([100, 102.5, 100, 225, null, 'heavy', 70]),
        loadUnit: pick(['kg', 'kg', 'lb', '%1RM', null]),
        rpe: pick([null, 6, 7, 8, 8.5, 9.5]),
        done: pick([true, true, true, false, 'yes']),
      };
      if (rnd() < 0.5) fields.prescriptionId = pick(prescriptions);
      if (rnd() < 0.2) fields.targetReps = pick(['5', 'AMRAP', '8-10']);
      const setId = id();
      sets.push({ id: setId, fields });
      rows.push({ entity: 'set_log' as const, id: setId, fields });
    }
    put(rows);
  }
  return { store, traineeId, put, sessions, sets, exercises, prescriptions };
}

/**
 * The answer computed from every set read one by one: the path taken while edits of sessions or
 * sets wait to be sent, reached in a copy of the file with another client's session queued.
 */
let copies = 0;
function perSet(w: World, units: Settings['units'] = 'kg', formula: Settings['e1rmFormula'] = 'epley'): TraineeProgress {
  const copy = join(tmp.dir, `per-set-${++copies}.db`);
  w.store.db.prepare('VACUUM INTO ?').run(copy);
  const store = openLocalStore(copy);
  try {
    store.enqueue({ entity: 'session', id: id(), action: 'put', fields: { traineeId: id(), date: '2026-01-01', status: 'planned' } });
    return new ProgressService(store).progress(w.traineeId, { ...settings, units, e1rmFormula: formula }, { today: TODAY })!;
  } finally {
    store.close();
  }
}

const grouped = (w: World, units: Settings['units'] = 'kg', formula: Settings['e1rmFormula'] = 'epley') =>
  new ProgressService(w.store).progress(w.traineeId, { ...settings, units, e1rmFormula: formula }, { today: TODAY })!;

test('the groups give the same Progress as every set read one by one (kg and lb, Epley and Brzycki)', () => {
  for (const seed of [1, 2, 3]) {
    const w = world(join(tmp.dir, `same-${seed}.db`), seed);
    try {
      for (const [units, formula] of [['kg', 'epley'], ['lb', 'brzycki']] as const) {
        const expected = perSet(w, units, formula);
        assert.ok(expected.setCount > 500, `${expected.setCount} sets`);
        assert.ok(expected.best.length > 0 && expected.drift.length > 0, 'the data has bests and drift');
        assert.deepEqual(grouped(w, units, formula), expected, `seed ${seed}, ${units}, ${formula}`);
      }
    } finally {
      w.store.close();
    }
  }
});

test('kept up to date as sets arrive, change, move to another session and are deleted', () => {
  const w = world(join(tmp.dir, 'changes.db'), 7);
  try {
    const service = new ProgressService(w.store);
    const before = service.progress(w.traineeId, settings, { today: TODAY })!;
    const [a, b, c] = [0, 1, 2].map((i) => w.sets.find((s) => s.fields.sessionId === w.sessions[i] && s.fields.done === true && typeof s.fields.load === 'number')!);
    // A heavier set on a session's best exercise, a set moved to another day, one deleted.
    w.put([
      { entity: 'set_log', id: a!.id, fields: { ...a!.fields, reps: 1, load: 400, loadUnit: 'kg', done: true } },
      { entity: 'set_log', id: b!.id, fields: { ...b!.fields, sessionId: w.sessions.at(-1)! } },
      { entity: 'set_log', id: c!.id, fields: {}, deleted: true },
    ]);
    service.invalidate();
    const after = service.progress(w.traineeId, settings, { today: TODAY })!;
    assert.equal(after.setCount, before.setCount - 1);
    assert.deepEqual(after, perSet(w));
    assert.equal(Math.max(...after.best.map((x) => x.e1rm)), 400);
  } finally {
    w.store.close();
  }
});

test('a file whose triggers are gone (a migration rebuilt the replica) is indexed again from scratch', () => {
  const file = join(tmp.dir, 'rebuilt.db');
  const w = world(file, 11);
  const expected = grouped(w);
  w.store.db.exec(`DROP TRIGGER progress_v1_set_log_in; DELETE FROM progress_v1_set_group`);
  // Rows arrive while nothing marks them.
  const extra = { entity: 'set_log' as const, id: id(), fields: { sessionId: w.sessions[0]!, exerciseId: w.exercises[1]!, setIndex: 99, reps: 2, load: 150, loadUnit: 'kg', done: true } };
  w.put([extra]);
  w.sets.push(extra);
  w.store.close();
  const store = openLocalStore(file);
  try {
    const again = new ProgressService(store).progress(w.traineeId, settings, { today: TODAY })!;
    assert.equal(again.setCount, expected.setCount + 1);
    assert.deepEqual(again, perSet({ ...w, store }));
  } finally {
    store.close();
  }
});
