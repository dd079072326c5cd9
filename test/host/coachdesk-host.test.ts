// The host services behind the UI, against a real sync server on loopback and real SQLite files.
import assert from 'node:assert/strict';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import { openLocalStore } from '../../main/sync/node-sqlite.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { LocalStore } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import type { ChangeEvent } from '../../preload/api.ts';
import { until } from '../helpers.ts';
import { hostBed } from './support.ts';

const bed = hostBed('coachdesk-host-');
const { newHost } = bed;

async function signedInCoach(name: string) {
  const coach = bed.srv.addCoach(name);
  const host = newHost(`${name}-${coach.userId.slice(-6)}`);
  const result = await host.signIn(bed.srv.url, coach.token);
  assert.ok(result.ok, JSON.stringify(result));
  return { host, coach };
}

async function synced(host: CoachDeskHost) {
  const start = Date.now();
  for (;;) {
    const s = await host.getSyncStatus();
    if (s.connection === 'synced' && s.pendingCount === 0) return s;
    if (Date.now() - start > 8000) throw new Error(`not synced: ${JSON.stringify({ connection: s.connection, pending: s.pendingCount, error: s.error })}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sign-in', () => {
  test('a wrong token and an unreachable server get clear errors; nothing is saved', async () => {
    const host = newHost('signin-errors');
    const wrong = await host.signIn(bed.srv.url, 'cdt_not-a-real-token');
    assert.equal(wrong.ok, false);
    assert.equal(!wrong.ok && wrong.error, 'unauthorized');
    const down = await host.signIn('ws://127.0.0.1:9/sync', 'x');
    assert.equal(!down.ok && down.error, 'unreachable');
    assert.match(!down.ok ? down.message : '', /cannot reach/);
    const bad = await host.signIn('not a url', 'x');
    assert.equal(!bad.ok && bad.error, 'invalid');
    assert.equal((await host.getSession()).signedIn, false);
  });

  test('a damaged local database is refused at start and at sign-in, with the copy named; the file is left alone', async () => {
    const { host, coach } = await signedInCoach('Damaged');
    await host.saveTrainee({ name: 'Unsent' });
    await host.close();
    const file = join(host.dataDir, `coach-${coach.userId}.db`);
    writeFileSync(file, 'this is not a database any more');
    const again = new CoachDeskHost(host.dataDir, fileModeVault);
    bed.track(again);
    const log = console.error;
    console.error = () => {};
    try {
      again.start();
    } finally {
      console.error = log;
    }
    assert.equal((await again.getSession()).signedIn, false, 'not resumed on a damaged file');
    assert.match(again.damaged?.message ?? '', /is damaged/);
    const result = await again.signIn(bed.srv.url, coach.token);
    assert.equal(!result.ok && result.error, 'damaged_database');
    assert.match(!result.ok ? result.message : '', /a copy is at \S+\.damaged-/);
    assert.equal(readFileSync(file, 'utf8'), 'this is not a database any more');
  });

  test('a signed-in session survives a restart and works offline', async () => {
    const { host, coach } = await signedInCoach('Resume');
    const id = await host.saveTrainee({ name: 'Ben Okafor' });
    await synced(host);
    await host.close();
    const again = new CoachDeskHost(host.dataDir, fileModeVault);
    bed.track(again);
    again.start();
    const session = await again.getSession();
    assert.equal(session.userId, coach.userId);
    assert.deepEqual((await again.getRoster(false)).map((t) => t.id), [id], 'the roster is there before any network');
  });

  test("a trainee's token is refused: CoachDesk is for coaches", async () => {
    const { host } = await signedInCoach('HasTrainee');
    const traineeId = await host.saveTrainee({ name: 'Cara' });
    await synced(host);
    const traineeToken = bed.srv.addTraineeToken(traineeId);
    const other = newHost('trainee-signin');
    const result = await other.signIn(bed.srv.url, traineeToken.token);
    assert.equal(!result.ok && result.error, 'not_a_coach');
  });
});

describe('program builder', () => {
  test('build, reorder, copy a day and a week, assign a template, delete', async () => {
    const { host } = await signedInCoach('Builder');
    const squat = await host.createExercise({ name: 'Back squat', category: 'squat' });
    assert.equal((await host.createExercise({ name: 'back squat' })).id, squat.id, 'create-as-you-type reuses an existing name');
    const bench = await host.createExercise({ name: 'Bench press' });
    const template = await host.createProgram({ name: 'Template: 3-day', weeks: 4, traineeId: null });
    const w1 = await host.addWorkout(template, 1, 1, 'Lower');
    const a = await host.addPrescription(w1, { exerciseId: squat.id, sets: 5, reps: '5', load: 100, loadUnit: 'kg', rpe: 7 });
    const b = await host.addPrescription(w1, { exerciseId: bench.id, sets: 3, reps: '8-10' });
    const c = await host.addPrescription(w1, { exerciseId: bench.id, sets: 1, reps: 'AMRAP' }, a);
    let program = (await host.getProgram(template))!;
    assert.deepEqual(program.workouts[0]!.prescriptions.map((p) => p.id), [a, c, b], 'inserted after the first row');
    await host.movePrescription(b, -1);
    program = (await host.getProgram(template))!;
    assert.deepEqual(program.workouts[0]!.prescriptions.map((p) => p.id), [a, b, c], 'moved up one');
    await host.updatePrescription(a, { reps: '3' });
    await assert.rejects(host.updatePrescription(a, { reps: 'lots' }), /reps/);
    await host.copyDay(w1, 1, 3, 'add');
    await host.copyWeek(template, 1, [2, 3, 4], { mode: 'replace' });
    program = (await host.getProgram(template))!;
    assert.equal(program.workouts.length, 8, 'two days in each of four weeks');
    assert.ok(program.workouts.every((w) => w.prescriptions.length === 3));
    assert.equal(program.workouts.find((w) => w.week === 3 && w.day === 3)!.prescriptions[0]!.reps, '3');

    const ben = await host.saveTrainee({ name: 'Ben Okafor' });
    const assigned = await host.assignProgram(template, ben, '2026-11-23');
    const copy = (await host.getProgram(assigned))!;
    assert.equal(copy.traineeId, ben);
    assert.equal(copy.startDate, '2026-11-23');
    assert.equal(copy.workouts.length, 8);
    assert.ok(copy.workouts.every((w) => !program.workouts.some((t) => t.id === w.id)), 'the copy has its own rows');
    assert.equal((await host.getRoster(false))[0]!.activeProgram?.id, assigned);

    await host.deleteWorkout(copy.workouts[0]!.id);
    assert.equal((await host.getProgram(assigned))!.workouts.length, 7);
    await host.deleteProgram(template);
    assert.equal(await host.getProgram(template), null);
    await synced(host);
    assert.equal((await host.getPrograms()).length, 1);
  });
});

describe('what the trainee logged, and what the server decided', () => {
  test('activity shows logged sets next to the prescription; a conflicting coach edit is explained in plain words', async () => {
    const { host, coach } = await signedInCoach('Ana');
    const squat = await host.createExercise({ name: 'Back squat' });
    const ben = await host.saveTrainee({ name: 'Ben Okafor' });
    const today = new Date().toISOString().slice(0, 10);
    const program = await host.createProgram({ name: 'Block', weeks: 1, traineeId: ben, startDate: today });
    const day = ((new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    // Week 1 is the week of the start date; today's weekday is day `day` of it.
    const workout = await host.addWorkout(program, 1, day, 'Lower');
    const rx = await host.addPrescription(workout, { exerciseId: squat.id, sets: 3, reps: '5', load: 100, loadUnit: 'kg' });
    await synced(host);

    const events: ChangeEvent[] = [];
    host.onChange((e) => events.push(e));
    // Ben logs a set from his phone (the reference engine), as a trainee.
    const benToken = bed.srv.addTraineeToken(ben);
    const phone = openLocalStore(join(bed.dir, `ben-phone-${coach.userId.slice(-6)}.db`));
    const engine = new SyncEngine({ connect: openWebSocket,  store: phone, url: bed.srv.url, token: benToken.token });
    after(async () => {
      await engine.stop();
      if (phone.db.isOpen) phone.close();
    });
    engine.start();
    await engine.whenIdle(5000);
    const sessionId = crypto.randomUUID();
    const setId = crypto.randomUUID();
    engine.enqueueAll([
      { entity: 'session', id: sessionId, action: 'put', fields: { traineeId: ben, workoutId: workout, date: today, status: 'completed' } },
      { entity: 'set_log', id: setId, action: 'put', fields: { sessionId, prescriptionId: rx, exerciseId: squat.id, setIndex: 0, reps: 5, load: 102.5, loadUnit: 'kg', done: true, targetReps: '5', targetLoad: 100 } },
    ]);
    assert.equal(await engine.whenIdle(5000), true);
    await until('the coach to see the logged set', () => events.some((e) => e.kind === 'data' && e.entities.includes('set_log')));

    const activity = (await host.getTraineeActivity(ben))!;
    const logged = activity.workouts.find((w) => w.workout.id === workout)!;
    assert.equal(logged.plannedDate, today);
    assert.equal(logged.sessions[0]!.sets[0]!.load, 102.5);
    assert.equal(logged.sessions[0]!.sets[0]!.targetLoad, 100);
    assert.equal(logged.workout.prescriptions[0]!.load, 100);
    const roster = (await host.getRoster(false)).find((t) => t.id === ben)!;
    assert.equal(roster.lastSessionDate, today);
    assert.equal(roster.compliance7, 1, 'one workout planned today or earlier this week, one completed');

    // The coach "corrects" Ben's load: the trainee's logged value stays, and the journal says so.
    const hostStore = (host as unknown as { active: { store: LocalStore } }).active.store;
    (host as unknown as { edit: (e: unknown[]) => void }).edit([{ entity: 'set_log', id: setId, action: 'patch', fields: { load: 100 } }]);
    await synced(host);
    const status = await host.getSyncStatus();
    assert.equal(status.journal.length, 1);
    assert.match(status.journal[0]!.text, /^Ben's logged sets on \w{3} were kept; your change to load was not applied\.$/);
    assert.equal(hostStore.getRow('set_log', setId)!.fields.load, 102.5);
  });
});
