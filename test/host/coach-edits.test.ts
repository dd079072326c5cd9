// The coach's builder edits through the host, against a real sync server on loopback and real
// SQLite files: copy week (replace/add, progression), undo/redo that sync like any other edit,
// cutting weeks, the load-unit rule, merging exercises, maxes and %1RM, the outbox's words for
// a pending delete, and the undo state events.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { LocalStore } from '../../sync/local-store.ts';
import type { ChangeEvent, ProgramDetail, UndoState } from '../../preload/api.ts';
import { serverRow, serverRows } from '../e2e/support.ts';
import { id, openClient, startServer, tempDir, type TestServer } from '../helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let srv: TestServer;
const hosts: CoachDeskHost[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

before(async () => {
  tmp = tempDir('coachdesk-edits-');
  srv = await startServer(tmp.dir);
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const h of hosts) await h.close();
  await srv.close();
  tmp.cleanup();
});

function newHost(name: string): CoachDeskHost {
  const host = new CoachDeskHost(join(tmp.dir, `${name}-${id().slice(0, 8)}`), fileModeVault);
  hosts.push(host);
  host.start();
  return host;
}

async function signedInCoach(name: string, server: { url: string; addCoach(name?: string): { userId: string; token: string } } = srv) {
  const coach = server.addCoach(name);
  const host = newHost(name);
  const result = await host.signIn(server.url, coach.token);
  assert.ok(result.ok, JSON.stringify(result));
  return { host, coach };
}

/** Another install of the same coach (a second laptop), signed in to the same server. */
async function secondDevice(coach: { token: string }, name: string, url = srv.url): Promise<CoachDeskHost> {
  const host = newHost(name);
  const result = await host.signIn(url, coach.token);
  assert.ok(result.ok, JSON.stringify(result));
  return host;
}

async function synced(host: CoachDeskHost) {
  const start = Date.now();
  for (;;) {
    const s = await host.getSyncStatus();
    if (s.connection === 'synced' && s.pendingCount === 0) return s;
    if (Date.now() - start > 8000) throw new Error(`not synced: ${JSON.stringify({ connection: s.connection, pending: s.pendingCount, error: s.error, failed: s.failed })}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits (bounded) until an async check holds; the last failure is the error. */
async function eventually(what: string, check: () => Promise<void> | void, timeoutMs = 8000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}: ${(error as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const storeOf = (host: CoachDeskHost) => (host as unknown as { active: { store: LocalStore } }).active.store;

/** A program's workouts as the builder shows them, without the pending flags (which differ by device and moment). */
function shape(program: ProgramDetail | null, weeks?: number[]) {
  assert.ok(program, 'the program exists');
  return program.workouts
    .filter((w) => !weeks || weeks.includes(w.week))
    .map(({ pending: _p, prescriptions, ...w }) => ({ ...w, prescriptions: prescriptions.map(({ pending: _q, ...r }) => r) }));
}

/** Live canonical rows of these ids, by id, as the server holds them. */
function liveOnServer(ids: string[]) {
  const wanted = new Set(ids);
  return new Map(
    serverRows(srv.file)
      .filter((r) => wanted.has(r.id) && !r.deleted)
      .map((r) => [r.id, r.fields]),
  );
}

/** A sync server of its own, that a test can stop (no signal) and start again on the same port. */
async function closableServer() {
  const dir = tempDir('coachdesk-offline-');
  const server = await startServer(dir.dir);
  cleanups.push(async () => {
    await server.close();
    dir.cleanup();
  });
  return server;
}

/** Workouts per (week, day) of a program. */
function perDay(program: ProgramDetail | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of program!.workouts) out.set(`${w.week}/${w.day}`, [...(out.get(`${w.week}/${w.day}`) ?? []), w.title]);
  return out;
}

describe('copy week', () => {
  test("'replace' leaves exactly one copy per day; one undo restores the weeks exactly, on the server too; redo brings the copies back", async () => {
    const { host, coach } = await signedInCoach('Replace');
    const squat = await host.createExercise({ name: 'Back squat' });
    const bench = await host.createExercise({ name: 'Bench press' });
    const dead = await host.createExercise({ name: 'Deadlift' });
    const program = await host.createProgram({ name: 'Block A', weeks: 4, traineeId: null });
    const lower = await host.addWorkout(program, 1, 1, 'Lower');
    await host.addPrescription(lower, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg', rpe: 7, restSec: 180 });
    await host.addPrescription(lower, { exerciseId: dead.id, sets: 1, reps: '5', load: 140, loadUnit: 'kg' });
    const upper = await host.addWorkout(program, 1, 3, 'Upper');
    await host.addPrescription(upper, { exerciseId: bench.id, sets: 3, reps: '8-10', tempo: '3010', notes: 'pause the first rep' });
    // Weeks 2 and 3 already hold workouts: two on Monday (AM and PM), one on a day week 1 has none.
    const am = await host.addWorkout(program, 2, 1, 'AM');
    await host.addPrescription(am, { exerciseId: dead.id, sets: 3, reps: '3', load: 150, loadUnit: 'kg', notes: 'old' });
    const pm = await host.addWorkout(program, 2, 1, 'PM');
    await host.addPrescription(pm, { exerciseId: bench.id, sets: 4, reps: '6', load: 80, loadUnit: 'kg' });
    const fri = await host.addWorkout(program, 2, 5, 'Conditioning');
    await host.addPrescription(fri, { exerciseId: squat.id, sets: 2, reps: 'AMRAP', group: 'A' });
    const w3 = await host.addWorkout(program, 3, 3, 'Old upper');
    await host.addPrescription(w3, { exerciseId: bench.id, sets: 5, reps: '5', load: 85, loadUnit: 'kg', rpe: 8 });
    await synced(host);

    const before = shape(await host.getProgram(program), [2, 3]);
    const oldIds = before.flatMap((w) => [w.id, ...w.prescriptions.map((p) => p.id)]);
    const oldOnServer = liveOnServer(oldIds);
    assert.equal(oldOnServer.size, oldIds.length, 'the old weeks reached the server');
    const week1 = shape(await host.getProgram(program), [1]);

    await host.copyWeek(program, 1, [2, 3], { mode: 'replace' });
    const copied = await host.getProgram(program);
    const days = perDay(copied);
    for (const week of [2, 3]) {
      assert.deepEqual(days.get(`${week}/1`), ['Lower'], `week ${week} Monday holds exactly one copy`);
      assert.deepEqual(days.get(`${week}/3`), ['Upper'], `week ${week} Wednesday holds exactly one copy`);
    }
    assert.equal(days.get('2/5'), undefined, 'a day week 1 has nothing on is emptied');
    assert.equal(copied!.workouts.length, 6);
    for (const week of [2, 3]) {
      const copies = shape(copied, [week]);
      assert.deepEqual(
        copies.map((w) => ({ day: w.day, title: w.title, rx: w.prescriptions.map(({ id: _i, workoutId: _w, ...r }) => r) })),
        week1.map((w) => ({ day: w.day, title: w.title, rx: w.prescriptions.map(({ id: _i, workoutId: _w, ...r }) => r) })),
        `week ${week} is week 1's copy`,
      );
      assert.ok(copies.every((w) => !week1.some((s) => s.id === w.id)), 'copies have their own ids');
    }
    assert.deepEqual(await host.getUndoState(), { undo: 'Copy week 1 to weeks 2, 3', redo: null });
    const afterCopy = shape(copied, [2, 3]);

    // One undo puts weeks 2 and 3 back exactly as they were.
    assert.equal(await host.undo(), 'Copy week 1 to weeks 2, 3');
    assert.deepEqual(shape(await host.getProgram(program), [2, 3]), before);
    assert.deepEqual(shape(await host.getProgram(program), [1]), week1, 'week 1 untouched');
    for (const rowId of oldIds) {
      const local = storeOf(host).getRow(before.some((w) => w.id === rowId) ? 'workout' : 'prescription', rowId);
      assert.deepEqual(local?.fields, oldOnServer.get(rowId), `row ${rowId} has every field it had (positions included)`);
    }

    // The undo went through the outbox: the server holds the old rows again, the copies deleted.
    await synced(host);
    const restored = liveOnServer([...oldIds, ...afterCopy.flatMap((w) => [w.id, ...w.prescriptions.map((p) => p.id)])]);
    assert.deepEqual(restored, oldOnServer, 'exactly the old rows are live on the server, with the same fields');
    const laptop = await secondDevice(coach, 'Replace-laptop');
    await eventually('the second device to see the restored weeks', async () => assert.deepEqual(shape(await laptop.getProgram(program), [2, 3]), before));

    // Redo brings the same copies back (same ids), on both devices.
    assert.equal(await host.redo(), 'Copy week 1 to weeks 2, 3');
    assert.deepEqual(shape(await host.getProgram(program), [2, 3]), afterCopy);
    await synced(host);
    await eventually('the second device to see the copies again', async () => assert.deepEqual(shape(await laptop.getProgram(program), [2, 3]), afterCopy));
    assert.equal(liveOnServer(oldIds).size, 0, 'the replaced rows are deleted on the server again');
  });

  test("'add' keeps what the weeks held and puts the copy after it; undo removes only the copies", async () => {
    const { host } = await signedInCoach('Add');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'Block B', weeks: 3, traineeId: null });
    const lower = await host.addWorkout(program, 1, 1, 'Lower');
    await host.addPrescription(lower, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    const existing = await host.addWorkout(program, 2, 1, 'Existing');
    await host.addPrescription(existing, { exerciseId: squat.id, sets: 1, reps: '1', load: 120, loadUnit: 'kg' });
    const before = shape(await host.getProgram(program));

    await host.copyWeek(program, 1, [2, 3], { mode: 'add' });
    const after = await host.getProgram(program);
    const days = perDay(after);
    assert.deepEqual(days.get('2/1'), ['Existing', 'Lower'], 'both kept, the copy after');
    assert.deepEqual(days.get('3/1'), ['Lower']);
    const kept = shape(after).find((w) => w.id === existing)!;
    assert.deepEqual(kept, before.find((w) => w.id === existing), 'the existing workout is untouched');

    assert.equal(await host.undo(), 'Copy week 1 to weeks 2, 3');
    assert.deepEqual(shape(await host.getProgram(program)), before);
    await synced(host);
    assert.equal(serverRows(srv.file, 'workout').filter((r) => r.fields.programId === program && !r.deleted).length, 2, 'the server holds the two original workouts only');
  });

  test("'replace' onto a week named twice still leaves one copy per day", async () => {
    const { host } = await signedInCoach('Twice');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'Twice', weeks: 3, traineeId: null });
    const lower = await host.addWorkout(program, 1, 1, 'Lower');
    await host.addPrescription(lower, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    await host.addWorkout(program, 2, 1, 'Old');
    // The API's schema lets a week appear twice in toWeeks (preload/api-params.ts `weeks`).
    await host.copyWeek(program, 1, [2, 2, 3], { mode: 'replace' });
    const days = perDay(await host.getProgram(program));
    assert.deepEqual(days.get('2/1'), ['Lower'], 'week 2 Monday holds one copy');
    assert.deepEqual(days.get('3/1'), ['Lower']);
  });

  test('copy day: replace leaves one workout on the day, add puts it beside', async () => {
    const { host } = await signedInCoach('CopyDay');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'Block C', weeks: 2, traineeId: null });
    const lower = await host.addWorkout(program, 1, 1, 'Lower');
    await host.addPrescription(lower, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    await host.addWorkout(program, 2, 2, 'One');
    await host.addWorkout(program, 2, 2, 'Two');
    await host.copyDay(lower, 2, 2, 'replace');
    assert.deepEqual(perDay(await host.getProgram(program)).get('2/2'), ['Lower']);
    await host.copyDay(lower, 2, 2, 'add');
    assert.deepEqual(perDay(await host.getProgram(program)).get('2/2'), ['Lower', 'Lower']);
    assert.equal(await host.undo(), 'Copy Week 1 · Mon — Lower to Week 2 · Tue');
    assert.equal(await host.undo(), 'Copy Week 1 · Mon — Lower to Week 2 · Tue');
    assert.deepEqual(perDay(await host.getProgram(program)).get('2/2'), ['One', 'Two']);
  });
});

describe('progression', () => {
  test('copy week with a progression: loads and RPE per week; %1RM and AMRAP rows as the rules say', async () => {
    const { host } = await signedInCoach('Progress');
    const squat = await host.createExercise({ name: 'Back squat' });
    const press = await host.createExercise({ name: 'Overhead press' });
    const program = await host.createProgram({ name: 'Linear', weeks: 4, traineeId: null });
    const day = await host.addWorkout(program, 1, 2, 'Heavy');
    await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg', rpe: 7 });
    await host.addPrescription(day, { exerciseId: press.id, sets: 3, reps: '5', load: 70, loadUnit: '%1rm' });
    await host.addPrescription(day, { exerciseId: press.id, sets: 1, reps: 'AMRAP' });

    await host.copyWeek(program, 1, [2, 3, 4], { mode: 'replace', progression: { load: { step: 2.5, unit: 'kg' }, rpe: { step: 0.5 } } });
    const rows = (await host.getProgram(program))!.workouts.map((w) => ({ week: w.week, day: w.day, rx: w.prescriptions.map((p) => [p.load, p.loadUnit, p.rpe, p.reps]) }));
    assert.deepEqual(rows, [
      { week: 1, day: 2, rx: [[100, 'kg', 7, '5'], [70, '%1rm', null, '5'], [null, null, null, 'AMRAP']] },
      { week: 2, day: 2, rx: [[102.5, 'kg', 7.5, '5'], [70, '%1rm', null, '5'], [null, null, null, 'AMRAP']] },
      { week: 3, day: 2, rx: [[105, 'kg', 8, '5'], [70, '%1rm', null, '5'], [null, null, null, 'AMRAP']] },
      { week: 4, day: 2, rx: [[107.5, 'kg', 8.5, '5'], [70, '%1rm', null, '5'], [null, null, null, 'AMRAP']] },
    ]);
    await synced(host);
    const onServer = serverRows(srv.file, 'prescription').filter((r) => !r.deleted && r.fields.exerciseId === squat.id);
    assert.deepEqual(onServer.map((r) => r.fields.load).sort(), [100, 102.5, 105, 107.5]);

    // A % step moves %1RM rows by points, and kg rows by the percentage.
    await host.copyWeek(program, 1, [2, 3], { mode: 'replace', progression: { load: { step: 5, unit: '%' } } });
    const pct = (await host.getProgram(program))!.workouts.filter((w) => w.week <= 3).map((w) => w.prescriptions.slice(0, 2).map((p) => p.load));
    assert.deepEqual(pct, [[100, 70], [105, 75], [110, 80]]);
  });

  test('a progression that goes out of range is refused, naming week and exercise; nothing is written', async () => {
    const { host } = await signedInCoach('Refused');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'Too steep', weeks: 4, traineeId: null });
    const day = await host.addWorkout(program, 1, 1, 'Lower');
    await host.addPrescription(day, { exerciseId: squat.id, sets: 3, reps: '3', load: 150, loadUnit: 'kg', rpe: 8 });
    const before = shape(await host.getProgram(program));
    const undoBefore = await host.getUndoState();
    await assert.rejects(host.copyWeek(program, 1, [2, 3, 4], { mode: 'replace', progression: { rpe: { step: 1 } } }), { message: 'Week 4, Back squat: RPE would be 11, outside 1–10' });
    assert.deepEqual(shape(await host.getProgram(program)), before);
    assert.deepEqual(await host.getUndoState(), undoBefore);
    await assert.rejects(host.copyWeek(program, 2, [3], { mode: 'replace' }), /week 2 has no workouts to copy/);
    await assert.rejects(host.copyWeek(program, 1, [5], { mode: 'replace' }), /week 5 is past the end of this 4-week program/);
  });

  test('progressRows changes only the chosen rows in the other weeks, and says what it could not find', async () => {
    const { host } = await signedInCoach('Rows');
    const squat = await host.createExercise({ name: 'Back squat' });
    const bench = await host.createExercise({ name: 'Bench press' });
    const program = await host.createProgram({ name: 'Rows', weeks: 4, traineeId: null });
    const day = await host.addWorkout(program, 1, 1, 'Lower');
    const sq = await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg', rpe: 7 });
    await host.addPrescription(day, { exerciseId: bench.id, sets: 3, reps: '8', load: 60, loadUnit: 'kg' });
    await host.copyWeek(program, 1, [2, 3], { mode: 'replace' });
    // Week 3's squat was changed by hand (RPE): the load progression leaves that alone.
    const week3 = (await host.getProgram(program))!.workouts.find((w) => w.week === 3)!;
    await host.updatePrescription(week3.prescriptions[0]!.id, { rpe: 9 });
    await host.addWorkout(program, 4, 1, 'Other');

    const result = await host.progressRows(day, [sq], [2, 3, 4], { load: { step: 5, unit: 'kg' } });
    assert.deepEqual(result, { changed: 2, missing: ['Week 4: no Back squat'] });
    const loads = (await host.getProgram(program))!.workouts.filter((w) => w.day === 1 && w.week <= 3).map((w) => w.prescriptions.map((p) => [p.load, p.rpe]));
    assert.deepEqual(loads, [
      [[100, 7], [60, null]],
      [[105, 7], [60, null]],
      [[110, 9], [60, null]],
    ]);
    assert.equal((await host.getUndoState()).undo, 'Progress 1 row of Week 1 · Mon — Lower');
    await host.undo();
    const undone = (await host.getProgram(program))!.workouts.filter((w) => w.day === 1 && w.week <= 3).map((w) => w.prescriptions[0]!.load);
    assert.deepEqual(undone, [100, 100, 100]);
  });
});

describe('progression onto rows in another unit', () => {
  test('progressRows never leaves a load in a unit it was not computed in', async () => {
    const { host } = await signedInCoach('RowsUnits');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'Mixed', weeks: 3, traineeId: null });
    const day = await host.addWorkout(program, 1, 1, 'Lower');
    const sq = await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    await host.copyWeek(program, 1, [2, 3], { mode: 'replace' });
    // The coach switched week 2's squat to 70 %1RM and week 3's to 225 lb by hand.
    const [, w2, w3] = (await host.getProgram(program))!.workouts;
    await host.updatePrescription(w2!.prescriptions[0]!.id, { load: 70, loadUnit: '%1rm' });
    await host.updatePrescription(w3!.prescriptions[0]!.id, { load: 225, loadUnit: 'lb' });

    await host.progressRows(day, [sq], [2, 3], { load: { step: 2.5, unit: 'kg' } });
    const [, p2, p3] = (await host.getProgram(program))!.workouts.map((w) => w.prescriptions[0]!);
    // From 100 kg + 2.5 kg a week the loads computed are 102.5 kg and 105 kg: stored beside
    // '%1rm' or 'lb' they would mean 102.5 % of the max and 105 lb.
    assert.notDeepEqual([p2!.load, p2!.loadUnit], [102.5, '%1rm'], 'week 2: 102.5 kg is not 102.5 %1RM');
    assert.notDeepEqual([p3!.load, p3!.loadUnit], [105, 'lb'], 'week 3: 105 kg is not 105 lb');
  });
});

describe('weeks of a program', () => {
  test('lowering weeks below ones holding workouts is refused, naming the weeks and the count; with removeLaterWeeks they go in one undo step', async () => {
    const { host, coach } = await signedInCoach('Weeks');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'Six weeks', weeks: 6, traineeId: null });
    const w1 = await host.addWorkout(program, 1, 1, 'Lower');
    await host.addPrescription(w1, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    const w3 = await host.addWorkout(program, 3, 1, 'Lower 3');
    await host.addPrescription(w3, { exerciseId: squat.id, sets: 4, reps: '4', load: 110, loadUnit: 'kg' });
    const w5a = await host.addWorkout(program, 5, 1, 'Lower 5');
    await host.addPrescription(w5a, { exerciseId: squat.id, sets: 3, reps: '3', load: 120, loadUnit: 'kg', notes: 'belt' });
    const w5b = await host.addWorkout(program, 5, 4, 'Upper 5');
    await host.addPrescription(w5b, { exerciseId: squat.id, sets: 1, reps: '1', load: 130, loadUnit: 'kg' });
    await synced(host);
    const before = shape(await host.getProgram(program));
    const later = before.filter((w) => w.week > 2);
    const laterIds = later.flatMap((w) => [w.id, ...w.prescriptions.map((p) => p.id)]);
    const laterOnServer = liveOnServer(laterIds);
    assert.equal(laterOnServer.size, 6);

    await assert.rejects(host.updateProgram(program, { weeks: 2 }), { message: 'weeks 3, 5 still hold 3 workouts: confirm to remove them, or keep 6 weeks' });
    await assert.rejects(host.updateProgram(program, { weeks: 4 }), { message: 'week 5 still holds 2 workouts: confirm to remove them, or keep 6 weeks' });
    assert.equal((await host.getProgram(program))!.weeks, 6, 'nothing changed');
    assert.deepEqual(shape(await host.getProgram(program)), before);
    await host.updateProgram(program, { weeks: 5 }); // nothing in week 6: allowed
    assert.equal((await host.getProgram(program))!.weeks, 5);
    await host.updateProgram(program, { weeks: 6 });

    await host.updateProgram(program, { weeks: 2 }, { removeLaterWeeks: true });
    const cut = (await host.getProgram(program))!;
    assert.equal(cut.weeks, 2);
    assert.deepEqual(cut.workouts.map((w) => w.id), [w1]);
    assert.deepEqual(await host.getUndoState(), { undo: 'Cut Six weeks to 2 weeks', redo: null });
    await synced(host);
    assert.equal(liveOnServer(laterIds).size, 0, 'the later weeks are deleted on the server');

    assert.equal(await host.undo(), 'Cut Six weeks to 2 weeks');
    const back = await host.getProgram(program);
    assert.equal(back!.weeks, 6);
    assert.deepEqual(shape(back), before);
    await synced(host);
    assert.deepEqual(liveOnServer(laterIds), laterOnServer, 'the server holds them again, as they were');
    assert.equal(serverRow(srv.file, 'program', program)?.fields.weeks, 6);
    const laptop = await secondDevice(coach, 'Weeks-laptop');
    await eventually('the second device to see six weeks', async () => {
      const p = await laptop.getProgram(program);
      assert.equal(p?.weeks, 6);
      assert.deepEqual(shape(p), before);
    });
  });
});

describe('delete, undo, redo', () => {
  test('a deleted prescription comes back with its fields and goes again; each step syncs', async () => {
    const { host } = await signedInCoach('Delete');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'D', weeks: 1, traineeId: null });
    const day = await host.addWorkout(program, 1, 1, 'Lower');
    const rx = await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg', rpe: 7.5, tempo: '20X0', restSec: 120, group: 'A1' });
    await synced(host);
    const fields = serverRow(srv.file, 'prescription', rx)!.fields;

    await host.deletePrescription(rx);
    assert.equal((await host.getProgram(program))!.workouts[0]!.prescriptions.length, 0);
    assert.equal((await host.getUndoState()).undo, 'Delete Back squat in Week 1 · Mon — Lower');
    await synced(host);
    assert.equal(serverRow(srv.file, 'prescription', rx)!.deleted, true);

    assert.equal(await host.undo(), 'Delete Back squat in Week 1 · Mon — Lower');
    assert.deepEqual(storeOf(host).getRow('prescription', rx)?.fields, fields);
    await synced(host);
    const back = serverRow(srv.file, 'prescription', rx)!;
    assert.equal(back.deleted, false);
    assert.deepEqual(back.fields, fields);

    assert.equal(await host.redo(), 'Delete Back squat in Week 1 · Mon — Lower');
    assert.equal(storeOf(host).getRow('prescription', rx), undefined);
    await synced(host);
    assert.equal(serverRow(srv.file, 'prescription', rx)!.deleted, true);
    assert.equal(await host.redo(), null, 'nothing more to redo');
  });

  test('undo of a field patch touches only that field: a field another device changed meanwhile stays', async () => {
    const { host, coach } = await signedInCoach('Patch');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'P', weeks: 1, traineeId: null });
    const day = await host.addWorkout(program, 1, 1, 'Lower');
    const rx = await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    await synced(host);
    const laptop = await secondDevice(coach, 'Patch-laptop');
    await synced(laptop);

    await host.updatePrescription(rx, { sets: 4 });
    await synced(host);
    await eventually('the laptop to see 4 sets', async () => assert.equal((await laptop.getProgram(program))!.workouts[0]!.prescriptions[0]!.sets, 4));
    await laptop.updatePrescription(rx, { reps: '3', load: 110 });
    await synced(laptop);
    await eventually('the host to see the laptop’s change', () => assert.equal(storeOf(host).getRow('prescription', rx)?.fields.reps, '3'));

    assert.equal(await host.undo(), 'Change sets of Back squat in Week 1 · Mon — Lower');
    const local = storeOf(host).getRow('prescription', rx)!.fields;
    assert.equal(local.sets, 5, 'sets back');
    assert.equal(local.reps, '3', 'the laptop’s reps stay');
    assert.equal(local.load, 110, 'the laptop’s load stays');
    const pending = (await host.getSyncStatus()).pending;
    assert.equal(pending.length, 1);
    await synced(host);
    const onServer = serverRow(srv.file, 'prescription', rx)!.fields;
    assert.deepEqual([onServer.sets, onServer.reps, onServer.load], [5, '3', 110]);
    await eventually('the laptop to see the undo', async () => {
      const p = (await laptop.getProgram(program))!.workouts[0]!.prescriptions[0]!;
      assert.deepEqual([p.sets, p.reps, p.load], [5, '3', 110]);
    });
  });
});

describe('loads and units', () => {
  test('a load without a unit is refused, on add and on update; nothing is queued', async () => {
    const { host } = await signedInCoach('Units');
    const squat = await host.createExercise({ name: 'Back squat' });
    const program = await host.createProgram({ name: 'U', weeks: 1, traineeId: null });
    const day = await host.addWorkout(program, 1, 1, 'Lower');
    const pendingBefore = (await host.getSyncStatus()).pendingCount;
    await assert.rejects(host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 100 }), { message: 'a load needs its unit (kg, lb or %1RM)' });
    await assert.rejects(host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: null }), /a load needs its unit/);
    assert.equal((await host.getSyncStatus()).pendingCount, pendingBefore);
    assert.equal((await host.getProgram(program))!.workouts[0]!.prescriptions.length, 0);

    const bare = await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5' });
    await assert.rejects(host.updatePrescription(bare, { load: 80 }), /a load needs its unit/);
    const withUnit = await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    await assert.rejects(host.updatePrescription(withUnit, { loadUnit: null }), /a load needs its unit/);
    await assert.rejects(host.updatePrescription(withUnit, { loadUnit: '' as never }), /a load needs its unit/);
    await host.updatePrescription(withUnit, { load: 105 });
    await host.updatePrescription(bare, { load: 60, loadUnit: 'lb' });
    await host.updatePrescription(withUnit, { load: null, loadUnit: null });
    const rx = (await host.getProgram(program))!.workouts[0]!.prescriptions.map((p) => [p.load, p.loadUnit]);
    assert.deepEqual(rx, [[60, 'lb'], [null, null]]);
  });
});

describe('exercise library', () => {
  test('merge re-points prescriptions and maxes, retires the merged ones (history still names them), and undoes in one step', async () => {
    const { host } = await signedInCoach('Merge');
    const keep = await host.createExercise({ name: 'Back squat', category: 'squat' });
    const dup = await host.createExercise({ name: 'Squat' });
    const dup2 = await host.createExercise({ name: 'BB squat' });
    const bench = await host.createExercise({ name: 'Bench press' });
    const ben = await host.saveTrainee({ name: 'Ben Okafor' });
    const today = new Date().toISOString().slice(0, 10);
    const program = await host.createProgram({ name: 'Ben block', weeks: 1, traineeId: ben, startDate: today });
    const dayOfWeek = ((new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    const day = await host.addWorkout(program, 1, dayOfWeek, 'Lower');
    const a = await host.addPrescription(day, { exerciseId: dup.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    const b = await host.addPrescription(day, { exerciseId: dup2.id, sets: 3, reps: '8', load: 70, loadUnit: '%1rm' });
    const c = await host.addPrescription(day, { exerciseId: keep.id, sets: 1, reps: '1', load: 140, loadUnit: 'kg' });
    const d = await host.addPrescription(day, { exerciseId: bench.id, sets: 3, reps: '5', load: 80, loadUnit: 'kg' });
    const template = await host.createProgram({ name: 'Template: squats', weeks: 1, traineeId: null });
    const tday = await host.addWorkout(template, 1, 1, 'T');
    const e = await host.addPrescription(tday, { exerciseId: dup.id, sets: 2, reps: '2' });
    const max = await host.saveMax({ traineeId: ben, exerciseId: dup.id, kind: '1rm', value: 150, unit: 'kg', date: '2026-01-05' });
    await synced(host);

    // Ben logs a set of "Squat" before the merge.
    const phone = await traineePhone(ben);
    const sessionId = id();
    phone.engine.enqueueAll([
      { entity: 'session', id: sessionId, action: 'put', fields: { traineeId: ben, workoutId: day, date: today, status: 'completed' } },
      { entity: 'set_log', id: id(), action: 'put', fields: { sessionId, prescriptionId: a, exerciseId: dup.id, setIndex: 0, reps: 5, load: 100, loadUnit: 'kg', done: true } },
    ]);
    assert.equal(await phone.engine.whenIdle(5000), true);
    await eventually('the coach to see the logged set', async () => assert.equal(setNames(await host.getTraineeActivity(ben)).length, 1));

    const libraryBefore = await host.getExerciseLibrary();
    assert.deepEqual(
      libraryBefore.map((x) => [x.name, x.uses]),
      ([['BB squat', 1], ['Back squat', 1], ['Bench press', 1], ['Squat', 2]] as Array<[string, number]>).sort((x, y) => x[0].localeCompare(y[0])),
    );
    const rxBefore = new Map([a, b, c, d, e].map((rxId) => [rxId, storeOf(host).getRow('prescription', rxId)!.fields]));

    await host.mergeExercises(keep.id, [dup.id, dup2.id, keep.id]);
    assert.deepEqual(await host.getUndoState(), { undo: 'Merge Squat, BB squat into Back squat', redo: null });
    const merged = (await host.getProgram(program))!.workouts[0]!.prescriptions;
    assert.deepEqual(merged.map((p) => [p.id, p.exerciseId, p.exerciseName]), [
      [a, keep.id, 'Back squat'],
      [b, keep.id, 'Back squat'],
      [c, keep.id, 'Back squat'],
      [d, bench.id, 'Bench press'],
    ]);
    assert.equal((await host.getProgram(template))!.workouts[0]!.prescriptions[0]!.exerciseId, keep.id, 'templates too');
    for (const [rxId, f] of rxBefore) {
      const { exerciseId: _x, ...rest } = storeOf(host).getRow('prescription', rxId)!.fields;
      const { exerciseId: _y, ...was } = f;
      assert.deepEqual(rest, was, 'only exerciseId changes');
    }
    const maxes = await host.getMaxes(ben);
    assert.deepEqual(maxes.maxes.map((m) => [m.id, m.exerciseId, m.exerciseName, m.value]), [[max, keep.id, 'Back squat', 150]]);
    assert.equal(merged[1]!.percentOf?.value, 150, 'the %1RM row now takes the re-pointed max');
    assert.deepEqual((await host.getExercises()).map((x) => x.name), ['Back squat', 'Bench press'], 'merged exercises leave the builder list');
    assert.deepEqual((await host.getExerciseLibrary()).map((x) => [x.name, x.uses]), [['Back squat', 4], ['Bench press', 1]]);
    assert.deepEqual(setNames(await host.getTraineeActivity(ben)), ['Squat'], 'history still names the exercise that was logged');
    assert.equal(storeOf(host).getRow('exercise', dup.id)?.fields.mergedInto, keep.id);

    await synced(host);
    assert.equal(serverRow(srv.file, 'exercise', dup2.id)!.fields.mergedInto, keep.id);
    assert.equal(serverRow(srv.file, 'max', max)!.fields.exerciseId, keep.id);
    assert.ok([a, b, e].every((rxId) => serverRow(srv.file, 'prescription', rxId)!.fields.exerciseId === keep.id));

    // A name already taken is refused; the kept exercise may still be renamed.
    await assert.rejects(host.updateExercise(bench.id, { name: ' back SQUAT ' }), { message: 'there is already an exercise named Back squat: merge the two instead' });
    await assert.rejects(host.mergeExercises(keep.id, [keep.id]), /choose at least one other exercise/);

    // One undo puts everything back.
    assert.equal(await host.undo(), 'Merge Squat, BB squat into Back squat');
    for (const [rxId, f] of rxBefore) assert.deepEqual(storeOf(host).getRow('prescription', rxId)!.fields, f);
    assert.deepEqual((await host.getMaxes(ben)).maxes.map((m) => m.exerciseId), [dup.id]);
    assert.deepEqual((await host.getExerciseLibrary()).map((x) => [x.name, x.uses]), libraryBefore.map((x) => [x.name, x.uses]));
    assert.equal(storeOf(host).getRow('exercise', dup.id)?.fields.mergedInto ?? null, null);
    await synced(host);
    assert.equal(serverRow(srv.file, 'exercise', dup.id)!.fields.mergedInto ?? null, null);
    assert.equal(serverRow(srv.file, 'max', max)!.fields.exerciseId, dup.id);
    assert.equal(serverRow(srv.file, 'prescription', b)!.fields.exerciseId, dup2.id);

    await host.updateExercise(keep.id, { name: 'Back Squat (high bar)', notes: 'bar on traps' });
    const renamed = (await host.getExerciseLibrary()).find((x) => x.id === keep.id)!;
    assert.equal(renamed.name, 'Back Squat (high bar)');
    assert.equal(renamed.notes, 'bar on traps');
    await assert.rejects(host.updateExercise(keep.id, { name: '  ' }), /an exercise needs a name/);
  });
});

/** The exercise names on every set the trainee logged, as the activity view shows them. */
function setNames(activity: Awaited<ReturnType<CoachDeskHost['getTraineeActivity']>>): string[] {
  assert.ok(activity);
  return [...activity.workouts.flatMap((w) => w.sessions), ...activity.otherSessions].flatMap((s) => s.sets.map((x) => x.exerciseName));
}

/** A trainee's phone (the reference engine), signed in with a trainee token. */
async function traineePhone(traineeId: string) {
  const token = srv.addTraineeToken(traineeId);
  const phone = openClient(tmp.dir, srv.url, token.token);
  cleanups.push(async () => {
    await phone.engine.stop();
    if (phone.store.db.isOpen) phone.store.close();
  });
  phone.engine.start();
  assert.equal(await phone.engine.whenIdle(5000), true, 'the phone synced');
  return phone;
}

describe('maxes', () => {
  test('saved maxes list newest first; %1RM rows carry the current max; estimates come from logged sets by Epley', async () => {
    const { host } = await signedInCoach('Maxes');
    const squat = await host.createExercise({ name: 'Back squat' });
    const bench = await host.createExercise({ name: 'Bench press' });
    const row = await host.createExercise({ name: 'Row' });
    const ben = await host.saveTrainee({ name: 'Ben Okafor' });
    const cara = await host.saveTrainee({ name: 'Cara Diaz' });
    const old = await host.saveMax({ traineeId: ben, exerciseId: squat.id, kind: '1rm', value: 140, unit: 'kg', date: '2026-01-10' });
    const tm = await host.saveMax({ traineeId: ben, exerciseId: squat.id, kind: 'tm', value: 130, unit: 'kg', date: '2026-03-01', notes: ' 90% of 145 ' });
    const benchMax = await host.saveMax({ traineeId: ben, exerciseId: bench.id, kind: '1rm', value: 225, unit: 'lb', date: '2026-02-01' });
    await host.saveMax({ traineeId: cara, exerciseId: squat.id, kind: '1rm', value: 90, unit: 'kg', date: '2026-03-05' });
    assert.equal((await host.getUndoState()).undo, 'Set 1RM of Back squat for Cara Diaz');

    const list = (await host.getMaxes(ben)).maxes;
    assert.deepEqual(list.map((m) => [m.id, m.kind, m.value, m.unit, m.date, m.exerciseName]), [
      [tm, 'tm', 130, 'kg', '2026-03-01', 'Back squat'],
      [benchMax, '1rm', 225, 'lb', '2026-02-01', 'Bench press'],
      [old, '1rm', 140, 'kg', '2026-01-10', 'Back squat'],
    ]);
    assert.equal(list[0]!.notes, '90% of 145');
    assert.equal(list[0]!.source, 'entered');

    const today = new Date().toISOString().slice(0, 10);
    const program = await host.createProgram({ name: 'Ben block', weeks: 1, traineeId: ben, startDate: today });
    const dayOfWeek = ((new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    const day = await host.addWorkout(program, 1, dayOfWeek, 'Main');
    const sq = await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 75, loadUnit: '%1rm' });
    const bp = await host.addPrescription(day, { exerciseId: bench.id, sets: 5, reps: '5', load: 80, loadUnit: '%1rm' });
    await host.addPrescription(day, { exerciseId: squat.id, sets: 1, reps: '3', load: 120, loadUnit: 'kg' });
    await host.addPrescription(day, { exerciseId: row.id, sets: 3, reps: '10', load: 60, loadUnit: '%1rm' });
    const template = await host.createProgram({ name: 'Template', weeks: 1, traineeId: null });
    const tday = await host.addWorkout(template, 1, 1, 'T');
    await host.addPrescription(tday, { exerciseId: squat.id, sets: 5, reps: '5', load: 75, loadUnit: '%1rm' });

    const rx = (await host.getProgram(program))!.workouts[0]!.prescriptions;
    assert.deepEqual(rx.map((p) => p.percentOf), [
      { kind: 'tm', value: 130, unit: 'kg', date: '2026-03-01' },
      { kind: '1rm', value: 225, unit: 'lb', date: '2026-02-01' },
      null, // a kg load is not a percentage
      null, // no max of Row for Ben
    ]);
    assert.equal((await host.getProgram(template))!.workouts[0]!.prescriptions[0]!.percentOf, null, 'a template has no client, so no max');

    // Deleting the newest max makes the one before it current; undo brings it back.
    await host.deleteMax(tm);
    assert.equal((await host.getProgram(program))!.workouts[0]!.prescriptions.find((p) => p.id === sq)!.percentOf?.value, 140);
    assert.equal(await host.undo(), 'Delete the max of Back squat');
    assert.equal((await host.getProgram(program))!.workouts[0]!.prescriptions.find((p) => p.id === sq)!.percentOf?.value, 130);
    // Editing a max keeps its id.
    assert.equal(await host.saveMax({ id: benchMax, traineeId: ben, exerciseId: bench.id, kind: '1rm', value: 230, unit: 'lb', date: '2026-02-01' }), benchMax);
    assert.equal((await host.getProgram(program))!.workouts[0]!.prescriptions.find((p) => p.id === bp)!.percentOf?.value, 230);
    await synced(host);
    assert.deepEqual(
      serverRows(srv.file, 'max')
        .filter((r) => r.fields.traineeId === ben && !r.deleted)
        .map((r) => [r.id, r.fields.value])
        .sort(),
      [
        [benchMax, 230],
        [old, 140],
        [tm, 130],
      ].sort(),
    );

    // Ben logs sets: the best e1RM per exercise (compared in kg) is the estimate.
    const phone = await traineePhone(ben);
    const sessionId = id();
    const set = (i: number, exerciseId: string, reps: number, load: number | null, loadUnit: string | null, done = true) => ({
      entity: 'set_log' as const,
      id: id(),
      action: 'put' as const,
      fields: { sessionId, exerciseId, setIndex: i, reps, load, loadUnit, done },
    });
    phone.engine.enqueueAll([
      { entity: 'session', id: sessionId, action: 'put', fields: { traineeId: ben, workoutId: day, date: today, status: 'completed' } },
      set(0, squat.id, 5, 100, 'kg'), // 116.7
      set(1, squat.id, 3, 110, 'kg'), // 121
      set(2, squat.id, 13, 120, 'kg'), // too many reps: no estimate
      set(3, squat.id, 5, 150, 'kg', false), // not done
      set(4, bench.id, 1, 200, 'lb'), // 200 lb = 90.7 kg
      set(5, bench.id, 2, 90, 'kg'), // 96 kg: the best
      set(6, row.id, 10, null, null), // no load
    ]);
    assert.equal(await phone.engine.whenIdle(5000), true);
    await eventually('the estimates to arrive', async () => assert.equal((await host.getMaxes(ben)).estimates.length, 2));
    const { estimates } = await host.getMaxes(ben);
    assert.deepEqual(estimates, [
      { exerciseId: squat.id, exerciseName: 'Back squat', e1rm: 121, unit: 'kg', date: today, reps: 3, load: 110 },
      { exerciseId: bench.id, exerciseName: 'Bench press', e1rm: 96, unit: 'kg', date: today, reps: 2, load: 90 },
    ]);
    assert.deepEqual((await host.getMaxes(cara)).estimates, [], "Ben's sets are not Cara's");
    await assert.rejects(host.getMaxes(id()), /no longer exists/);
  });
});

describe('maxes written offline', () => {
  test('a max entered later on the same date is the current one, also before it is sent', async () => {
    const server = await closableServer();
    const { host } = await signedInCoach('MaxOffline', server);
    const squat = await host.createExercise({ name: 'Back squat' });
    const ben = await host.saveTrainee({ name: 'Ben Okafor' });
    const program = await host.createProgram({ name: 'B', weeks: 1, traineeId: ben });
    const day = await host.addWorkout(program, 1, 1, 'Lower');
    await host.addPrescription(day, { exerciseId: squat.id, sets: 5, reps: '5', load: 80, loadUnit: '%1rm' });
    const first = await host.saveMax({ traineeId: ben, exerciseId: squat.id, kind: '1rm', value: 140, unit: 'kg', date: '2026-03-02' });
    await synced(host);
    await server.stop();
    await eventually('the host to see it is offline', async () => assert.notEqual((await host.getSyncStatus()).connection, 'synced'));

    // Tested again the same day, entered while offline: this one is the newest.
    const second = await host.saveMax({ traineeId: ben, exerciseId: squat.id, kind: '1rm', value: 145, unit: 'kg', date: '2026-03-02' });
    assert.deepEqual((await host.getMaxes(ben)).maxes.map((m) => m.id), [second, first], 'newest first: by date, then the latest written');
    assert.equal((await host.getProgram(program))!.workouts[0]!.prescriptions[0]!.percentOf?.value, 145);

    await server.restart();
    await host.syncNow();
    await synced(host);
    assert.deepEqual((await host.getMaxes(ben)).maxes.map((m) => m.id), [second, first], 'the same order once sent');
  });
});

describe('what the outbox says', () => {
  test('a pending delete names the row it deletes, also for rows the server never saw', async () => {
    const server = await closableServer();
    const { host } = await signedInCoach('Outbox', server);
    const squat = await host.createExercise({ name: 'Back squat' });
    const bench = await host.createExercise({ name: 'Bench press' });
    const program = await host.createProgram({ name: 'O', weeks: 1, traineeId: null });
    const lower = await host.addWorkout(program, 1, 1, 'Lower');
    const rx = await host.addPrescription(lower, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    const upper = await host.addWorkout(program, 1, 3, 'Upper');
    const bp = await host.addPrescription(upper, { exerciseId: bench.id, sets: 3, reps: '5' });
    await synced(host);

    await server.stop(); // the basement: no signal
    await eventually('the host to see it is offline', async () => assert.notEqual((await host.getSyncStatus()).connection, 'synced'));
    await host.deletePrescription(rx);
    await host.deleteWorkout(upper);
    // Made and deleted offline: the server never saw it.
    const extra = await host.addPrescription(lower, { exerciseId: bench.id, sets: 1, reps: '1' });
    await host.deletePrescription(extra);

    const status = await host.getSyncStatus();
    assert.deepEqual(
      status.pending.map((p) => p.summary),
      [
        'Delete prescription: Back squat in Week 1 · Mon — Lower',
        'Delete prescription: Bench press in Week 1 · Wed — Upper',
        'Delete workout: Week 1 · Wed — Upper',
        'Add prescription: Bench press in Week 1 · Mon — Lower',
        'Delete prescription: Bench press in Week 1 · Mon — Lower',
      ],
    );
    assert.equal(status.pending[0]!.rowId, rx);
    assert.equal(status.pending[1]!.rowId, bp);
    assert.notEqual(status.connection, 'synced');
    assert.equal(status.error, null, 'being offline is not an error');

    // The server comes back on its port: syncNow drains the outbox at once.
    await server.restart();
    await host.syncNow();
    const done = await synced(host);
    assert.deepEqual(done.pending, []);
    assert.equal(serverRows(server.file, 'prescription').find((r) => r.id === rx)?.deleted, true);
  });
});

describe('undo of settings', () => {
  test('undoing a setting first set on an existing settings row takes it away again', async () => {
    const { host } = await signedInCoach('SettingsUndo');
    await host.updateSettings({ units: 'lb' }); // creates the settings row (a put)
    await host.updateSettings({ plateIncrement: 10 }); // a patch of it
    assert.equal((await host.getSettings()).plateIncrement, 10);
    assert.equal(await host.undo(), 'Change plateIncrement in Settings');
    const settings = await host.getSettings();
    assert.equal(settings.plateIncrement, 5, 'back to the default for lb');
    assert.equal(settings.units, 'lb', 'the units stay');
    assert.deepEqual(await host.getUndoState(), { undo: 'Change units in Settings', redo: 'Change plateIncrement in Settings' });
    await synced(host);
  });

  test('undoing a first display name and a first week start works the same way', async () => {
    const { host } = await signedInCoach('SettingsUndo2');
    await host.updateSettings({ units: 'kg' });
    await host.updateSettings({ displayName: 'Coach Ana', weekStartsOn: 0 });
    assert.equal(await host.undo(), 'Change weekStartsOn, displayName in Settings');
    const settings = await host.getSettings();
    assert.equal(settings.weekStartsOn, 1, 'Monday, the default, again');
    assert.ok(!settings.displayName, 'no display name again');
  });
});

describe('undo state events', () => {
  test('{kind: undo} change events carry the labels of what undo and redo would do', async () => {
    const { host } = await signedInCoach('Events');
    const events: ChangeEvent[] = [];
    host.onChange((e) => events.push(e));
    const states = () => events.filter((e): e is Extract<ChangeEvent, { kind: 'undo' }> => e.kind === 'undo').map((e) => e.state);
    const last = (): UndoState | undefined => states().at(-1);

    assert.deepEqual(await host.getUndoState(), { undo: null, redo: null });
    assert.equal(await host.undo(), null, 'nothing to undo');
    assert.equal(await host.redo(), null);

    const ben = await host.saveTrainee({ name: 'Ben Okafor' });
    assert.deepEqual(last(), { undo: 'Add client Ben Okafor', redo: null });
    await host.saveTrainee({ id: ben, name: 'Ben O.' });
    assert.deepEqual(last(), { undo: 'Edit client Ben O.', redo: null });
    await host.setTraineeArchived(ben, true);
    assert.deepEqual(last(), { undo: 'Archive Ben O.', redo: null });

    assert.equal(await host.undo(), 'Archive Ben O.');
    assert.deepEqual(last(), { undo: 'Edit client Ben O.', redo: 'Archive Ben O.' });
    assert.equal((await host.getRoster(false)).length, 1, 'unarchived');
    assert.equal(await host.undo(), 'Edit client Ben O.');
    assert.deepEqual(last(), { undo: 'Add client Ben Okafor', redo: 'Edit client Ben O.' });
    assert.equal((await host.getRoster(false))[0]!.name, 'Ben Okafor');
    assert.equal(await host.redo(), 'Edit client Ben O.');
    assert.deepEqual(last(), { undo: 'Edit client Ben O.', redo: 'Archive Ben O.' });
    assert.deepEqual(await host.getUndoState(), last());

    // A new edit clears what could be redone.
    await host.updateSettings({ units: 'lb' });
    assert.deepEqual(last(), { undo: 'Change units in Settings', redo: null });
    assert.equal((await host.getSettings()).plateIncrement, 5, 'the default plate increment follows the units');
    await host.undo();
    assert.equal((await host.getSettings()).plateIncrement, 2.5);

    // Every undo/redo/edit above sent exactly one undo event, in order.
    assert.deepEqual(states(), [
      { undo: 'Add client Ben Okafor', redo: null },
      { undo: 'Edit client Ben O.', redo: null },
      { undo: 'Archive Ben O.', redo: null },
      { undo: 'Edit client Ben O.', redo: 'Archive Ben O.' },
      { undo: 'Add client Ben Okafor', redo: 'Edit client Ben O.' },
      { undo: 'Edit client Ben O.', redo: 'Archive Ben O.' },
      { undo: 'Change units in Settings', redo: null },
      { undo: 'Edit client Ben O.', redo: 'Change units in Settings' },
    ]);
    await synced(host);
    assert.equal(serverRow(srv.file, 'trainee', ben)!.fields.name, 'Ben O.');
    assert.notEqual(serverRow(srv.file, 'trainee', ben)!.fields.archived, true, 'not archived');

    // Signing out forgets the history, and says so.
    await host.signOut();
    assert.deepEqual(last(), { undo: null, redo: null });
  });
});
