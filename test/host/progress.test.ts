// The Progress view's host side: a client's sets logged on their phone reach the coach's replica
// through a real sync server, and getProgress computes e1RM, volume, compliance and drift from
// it; the cache; the store's pending edits; 100k set_logs read in one pass.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { ProgressService } from '../../main/host/progress.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { addDays } from '../../protocol/calendar.ts';
import type { Row } from '../../protocol/index.ts';
import type { Settings, TraineeProgress } from '../../preload/api.ts';
import { idle } from '../e2e/support.ts';
import { id, openClient, startServer, tempDir, type TestServer } from '../helpers.ts';
import { openLocalStore } from '../sync-db.ts';

let tmp: ReturnType<typeof tempDir>;
let srv: TestServer;
const closers: Array<() => Promise<void> | void> = [];

before(async () => {
  tmp = tempDir('coachdesk-progress-');
  srv = await startServer(tmp.dir);
});
after(async () => {
  for (const close of closers.reverse()) await close();
  await srv.close();
  tmp.cleanup();
});

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)?.slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const START = '2026-01-05'; // a Monday
const TODAY = '2026-02-15'; // the Sunday of week 6

describe('getProgress over the sync path', () => {
  let host: CoachDeskHost;
  let benId = '';
  let squatId = '';
  const rxOfWeek: string[] = [];
  let trainee: ReturnType<typeof openClient>;

  before(async () => {
    const coach = srv.addCoach('Ana');
    host = new CoachDeskHost(join(tmp.dir, 'desk'), fileModeVault);
    closers.push(() => host.close());
    host.start();
    const signed = await host.signIn(srv.url, coach.token);
    assert.ok(signed.ok, JSON.stringify(signed));
    benId = await host.saveTrainee({ name: 'Ben Okafor' });
    squatId = (await host.createExercise({ name: 'Back squat', category: 'Squat' })).id;
    const programId = await host.createProgram({ name: 'Block A', weeks: 6, traineeId: benId, startDate: START });
    for (let week = 1; week <= 6; week++) {
      const workoutId = await host.addWorkout(programId, week, 1, 'Lower');
      rxOfWeek.push(await host.addPrescription(workoutId, { exerciseId: squatId, sets: 3, reps: '5', load: 100 + 5 * (week - 1), loadUnit: 'kg', rpe: 8 }));
    }
    await until('the coach synced', () => host.getSyncStatus(), (s) => s.connection === 'synced' && s.pendingCount === 0);

    // Ben's phone: a real engine with his token.
    trainee = openClient(tmp.dir, srv.url, srv.addTraineeToken(benId).token, 'ben');
    closers.push(async () => {
      await trainee.engine.stop();
      trainee.store.close();
    });
    trainee.engine.start();
    await idle(trainee.engine, 'Ben caught up');
    const workouts = trainee.store.list('workout');
    assert.equal(workouts.length, 6);
    // Six Mondays of squats, 3 × 5, 5 kg more each week, RPE 8.5 against 8; week 3 adds a set
    // of 0 reps and one of 15 (no e1RM), and a set in lb.
    for (let week = 1; week <= 6; week++) {
      const workout = workouts.find((w) => w.fields.week === week)!;
      const sessionId = id();
      const load = 100 + 5 * (week - 1);
      const edits = [{ entity: 'session' as const, id: sessionId, action: 'put' as const, fields: { traineeId: benId, workoutId: workout.id, date: addDays(START, 7 * (week - 1)), status: 'completed' } }];
      for (let setIndex = 0; setIndex < 3; setIndex++) {
        edits.push({ entity: 'set_log' as never, id: id(), action: 'put', fields: { sessionId, prescriptionId: rxOfWeek[week - 1]!, exerciseId: squatId, setIndex, reps: 5, load, loadUnit: 'kg', rpe: 8.5, done: true, targetReps: '5', targetLoad: load } as never });
      }
      if (week === 3) {
        edits.push({ entity: 'set_log' as never, id: id(), action: 'put', fields: { sessionId, exerciseId: squatId, setIndex: 3, reps: 0, load: 200, loadUnit: 'kg', done: true } as never });
        edits.push({ entity: 'set_log' as never, id: id(), action: 'put', fields: { sessionId, exerciseId: squatId, setIndex: 4, reps: 15, load: 60, loadUnit: 'kg', done: true } as never });
        edits.push({ entity: 'set_log' as never, id: id(), action: 'put', fields: { sessionId, exerciseId: squatId, setIndex: 5, reps: 1, load: 264.55, loadUnit: 'lb', done: true } as never });
      }
      trainee.engine.enqueueAll(edits);
    }
    await idle(trainee.engine, 'Ben’s sets sent');
  });

  const progress = () => until('Ben’s sets on the desk', () => host.getProgress(benId, { today: TODAY }), (p): p is TraineeProgress => (p?.setCount ?? 0) >= 21);

  test('e1RM per session (Epley), the running best, PR dates and the table of bests', async () => {
    const p = (await progress())!;
    assert.equal(p.setCount, 21);
    assert.equal(p.units, 'kg');
    assert.equal(p.formula, 'epley');
    assert.equal(p.series.length, 1);
    const squat = p.series[0]!;
    assert.equal(squat.exerciseName, 'Back squat');
    assert.deepEqual(squat.dates, [0, 1, 2, 3, 4, 5].map((w) => addDays(START, 7 * w)));
    // 100 kg × 5 → 116.7; week 3's single of 264.55 lb (120 kg) beats its 110 × 5 (128.3).
    assert.deepEqual(squat.e1rm, [116.7, 122.5, 128.3, 134.2, 140, 145.8]);
    assert.deepEqual(squat.best, squat.e1rm);
    assert.deepEqual(squat.prs, [1, 2, 3, 4, 5]);
    assert.deepEqual(p.best, [{ exerciseId: squatId, exerciseName: 'Back squat', e1rm: 145.8, date: addDays(START, 35), reps: 5, load: 125 }]);
  });

  test('weekly volume and hard sets, per exercise and category; blocks of the program’s 6 weeks', async () => {
    const p = (await progress())!;
    assert.equal(p.weekly.weeks.length, 6);
    // Week 3: 3 × 5 × 110 + 0 reps × 200 + 15 × 60 + 1 × 120.0 kg
    assert.deepEqual(p.weekly.total.volume, [1500, 1575, 1650 + 900 + 120, 1725, 1800, 1875]);
    assert.deepEqual(p.weekly.total.hardSets, [3, 3, 3, 3, 3, 3], 'RPE 8.5 sets; the unprescribed sets without RPE are not hard');
    assert.deepEqual(p.weekly.categories.map((c) => c.name), ['Squat']);
    assert.deepEqual(p.blocks.weeks, 6);
    assert.equal(p.blocks.basis, 'program');
    assert.equal(p.blocks.programName, 'Block A');
    assert.deepEqual(p.blocks.blocks, [{ start: START, end: addDays(START, 41), current: true }]);
  });

  test('compliance over 7/30/90 days and RPE drift', async () => {
    const p = (await progress())!;
    const [week, month] = p.compliance;
    assert.deepEqual({ ...week, previous: undefined }, { days: 7, sessionsDone: 1, sessionsPlanned: 1, sessions: 1, setsDone: 3, setsPrescribed: 3, sets: 1, previous: undefined, dropped: false });
    // 17 Jan – 15 Feb holds the Mondays of weeks 3–6.
    assert.deepEqual([month!.sessionsPlanned, month!.sessionsDone, month!.setsPrescribed, month!.setsDone], [4, 4, 12, 12]);
    assert.deepEqual(p.drift.map((d) => [d.exerciseName, d.meanDiff, d.sets, d.sessions]), [['Back squat', 0.5, 18, 6]]);
  });

  test('answers from its cache until something changes; units and formula follow the settings', async () => {
    const a = await progress();
    assert.equal(await host.getProgress(benId, { today: TODAY }), a, 'the same answer, not recomputed');
    await host.updateSettings({ units: 'lb', e1rmFormula: 'brzycki' });
    const lb = (await host.getProgress(benId, { today: TODAY }))!;
    assert.equal(lb.units, 'lb');
    assert.equal(lb.formula, 'brzycki');
    // 100 kg = 220.46 lb; Brzycki × 36/32 → 248.0 lb
    assert.equal(lb.series[0]!.e1rm[0], 248);
    assert.equal(lb.series[0]!.load[0], 220.5);
    assert.equal((await host.getSettings()).e1rmFormula, 'brzycki');
    await host.updateSettings({ units: 'kg', e1rmFormula: 'epley' });
  });

  test('a set Ben logs later shows up (rows arriving clear the cache); a client gone is null', async () => {
    const sessionId = id();
    trainee.engine.enqueueAll([
      { entity: 'session', id: sessionId, action: 'put', fields: { traineeId: benId, date: addDays(START, 38), status: 'completed' } },
      { entity: 'set_log', id: id(), action: 'put', fields: { sessionId, exerciseId: squatId, setIndex: 0, reps: 3, load: 140, loadUnit: 'kg', done: true } },
    ]);
    const p = await until('the new set', () => host.getProgress(benId, { today: TODAY }), (v) => v?.setCount === 22);
    assert.equal(p!.best[0]!.e1rm, 154);
    assert.equal(p!.series[0]!.prs.at(-1), 6);
    assert.equal(await host.getProgress(id(), { today: TODAY }), null);
  });
});

describe('ProgressService on years of logs', () => {
  const settings: Settings = { units: 'kg', weekStartsOn: 1, displayName: null, plateIncrement: 2.5, e1rmFormula: 'epley' };

  test('3 years of daily logs (≈100k set_logs) in one SQL pass; pending edits of sets are seen', () => {
    const store = openLocalStore(join(tmp.dir, 'years.db'));
    closers.push(() => store.close());
    const coachId = id();
    const traineeId = id();
    const exercises = ['Back squat', 'Bench press', 'Deadlift', 'Overhead press', 'Barbell row', 'Pull-up'].map((name, i) => ({ id: id(), name, category: ['Squat', 'Push', 'Hinge', 'Push', 'Pull', 'Pull'][i]! }));
    let version = 0;
    const row = (entity: Row['entity'], fields: Record<string, unknown>, rowId = id()): Row => ({ entity, id: rowId, version: ++version, deleted: false, fields, by: coachId }) as Row;
    const rows: Row[] = [row('trainee', { coachId, name: 'Years' }, traineeId), ...exercises.map((e) => row('exercise', { coachId, name: e.name, category: e.category }, e.id))];
    let sets = 0;
    for (let day = 0; day < 1095; day++) {
      const sessionId = id();
      rows.push(row('session', { traineeId, date: addDays('2024-01-01', day), status: 'completed' }, sessionId));
      for (let i = 0; i < 92; i++) {
        const ex = exercises[i % exercises.length]!;
        rows.push(row('set_log', { sessionId, exerciseId: ex.id, setIndex: i, reps: 1 + (i % 12), load: 60 + (day % 90) + (i % 7), loadUnit: 'kg', rpe: 7 + (i % 3), done: true }));
        sets++;
      }
    }
    for (let i = 0; i < rows.length; i += 20_000) store.applyIncoming({ rows: rows.slice(i, i + 20_000), acks: [], syncedVersion: Math.min(version, rows[Math.min(i + 20_000, rows.length) - 1]!.version) });
    const service = new ProgressService(store);
    const t0 = performance.now();
    const first = service.progress(traineeId, settings, { today: '2026-12-31' })!;
    const firstMs = performance.now() - t0;
    const t1 = performance.now();
    const again = service.progress(traineeId, settings, { today: '2026-12-31' });
    const cachedMs = performance.now() - t1;
    assert.equal(first.setCount, sets);
    assert.ok(sets > 100_000, `${sets} sets`);
    assert.equal(first.series.length, 6);
    assert.equal(first.series[0]!.dates.length, 1095);
    assert.equal(again, first);
    const bytes = JSON.stringify(first).length;
    console.log(`  ${sets} set_logs: first read and compute ${firstMs.toFixed(0)} ms, cached ${cachedMs.toFixed(2)} ms, answer ${(bytes / 1024).toFixed(0)} KiB`);
    assert.ok(firstMs < 3000, `first compute took ${firstMs} ms`);

    // A set edit waiting in the outbox goes through the store's view instead, and is counted.
    const lastSession = store.children('session', traineeId).find((s) => s.fields.date === '2026-12-30')!;
    store.enqueue({ entity: 'set_log', id: id(), action: 'put', fields: { sessionId: lastSession.id, exerciseId: exercises[0]!.id, setIndex: 500, reps: 1, load: 400, loadUnit: 'kg', done: true } });
    service.invalidate();
    const pending = service.progress(traineeId, settings, { today: '2026-12-31' })!;
    assert.equal(pending.setCount, sets + 1);
    assert.equal(pending.best.find((b) => b.exerciseId === exercises[0]!.id)!.e1rm, 400);
  });
});
