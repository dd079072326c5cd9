// The host's boundary, called directly: checkParams for every API method (one good call, one
// bad value named by its field), and callHost's answers (invalid, refused, internal) with a real
// host on real SQLite files and a real sync server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callHost } from '../../main/host/api-boundary.ts';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import { API_PARAMS, checkParams } from '../../preload/api-params.ts';
import { API_METHODS, type ApiMethod } from '../../preload/api.ts';
import { id, startServer, tempDir, type TestServer } from '../helpers.ts';

const u = () => id();
const rx = { exerciseId: u(), sets: 5, reps: '5', load: 100, loadUnit: 'kg' as const };

/** For each method: calls that pass, and one bad call with the field its message names. */
const CASES: Record<ApiMethod, { good: unknown[][]; bad: { params: unknown[]; field: string; message?: RegExp } }> = {
  getSession: { good: [[]], bad: { params: [1], field: '', message: /^getSession takes no parameters, not 1$/ } },
  signIn: { good: [['ws://127.0.0.1:8787/sync', 'cdt_abc'], [' wss://sync.example.com/sync ', 'x']], bad: { params: ['http://127.0.0.1:8787/sync', 't'], field: 'serverUrl', message: /must be a ws:\/\/ or wss:\/\/ address/ } },
  signOut: { good: [[]], bad: { params: [true], field: '' } },
  getSyncStatus: { good: [[]], bad: { params: [{}], field: '' } },
  syncNow: { good: [[]], bad: { params: ['now'], field: '' } },
  retryEdit: { good: [[u()]], bad: { params: ['not-a-key'], field: 'key', message: /^key must be a UUID$/ } },
  discardEdit: { good: [[u()]], bad: { params: [42], field: 'key', message: /^key must be text, not a number$/ } },
  undo: { good: [[]], bad: { params: [1], field: '' } },
  redo: { good: [[]], bad: { params: [1], field: '' } },
  getUndoState: { good: [[]], bad: { params: [1], field: '' } },
  getUpdateState: { good: [[]], bad: { params: ['now'], field: '' } },
  restartToUpdate: { good: [[]], bad: { params: [true], field: '' } },
  getRoster: { good: [[false], [true]], bad: { params: ['yes'], field: 'includeArchived', message: /must be true or false, not text/ } },
  saveTrainee: { good: [[{ name: 'Ben Okafor', email: 'ben@example.com' }], [{ id: u(), name: 'Ben', email: null, notes: null }]], bad: { params: [{ name: 'Ben', email: 'ben at home' }], field: 'input.email', message: /e-mail address/ } },
  setTraineeArchived: { good: [[u(), true]], bad: { params: [u(), 'true'], field: 'archived' } },
  getExercises: { good: [[]], bad: { params: [1], field: '' } },
  getExerciseLibrary: { good: [[]], bad: { params: [1], field: '' } },
  createExercise: { good: [[{ name: 'Back squat' }], [{ name: 'Row', category: 'pull', videoUrl: 'https://example.com/row' }]], bad: { params: [{ name: '   ' }], field: 'input.name', message: /must not be empty/ } },
  updateExercise: { good: [[u(), { notes: 'bar on traps' }], [u(), { name: 'Squat', videoUrl: null }]], bad: { params: [u(), {}], field: 'patch', message: /must change at least one field/ } },
  mergeExercises: { good: [[u(), [u(), u()]]], bad: { params: [u(), []], field: 'mergeIds', message: /needs at least one exercise/ } },
  getPrograms: { good: [[]], bad: { params: [1], field: '' } },
  getProgram: { good: [[u()]], bad: { params: ['1'], field: 'id' } },
  createProgram: { good: [[{ name: 'Block', weeks: 4, traineeId: null }], [{ name: 'Block', weeks: 104, traineeId: u(), startDate: '2026-12-02' }]], bad: { params: [{ name: 'Block', weeks: 0, traineeId: null }], field: 'input.weeks', message: /must be at least 1/ } },
  updateProgram: { good: [[u(), { weeks: 3 }], [u(), { weeks: 3 }, { removeLaterWeeks: true }], [u(), { name: 'B', startDate: null }, undefined]], bad: { params: [u(), { weeks: 3 }, { remove: true }], field: 'options', message: /options has no field "remove"/ } },
  deleteProgram: { good: [[u()]], bad: { params: [null], field: 'id' } },
  assignProgram: { good: [[u(), u(), '2026-12-02']], bad: { params: [u(), u(), '2026-02-30'], field: 'startDate', message: /must be a real calendar date/ } },
  saveAsTemplate: { good: [[u(), 'Template: 3-day']], bad: { params: [u(), ' '], field: 'name' } },
  addWorkout: { good: [[u(), 1, 7, 'Lower'], [u(), 104, 1, '']], bad: { params: [u(), 1, 8, 'Lower'], field: 'day', message: /must be at most 7/ } },
  updateWorkout: { good: [[u(), { title: 'Upper' }], [u(), { notes: null }]], bad: { params: [u(), {}], field: 'patch' } },
  deleteWorkout: { good: [[u()]], bad: { params: [u(), u()], field: '', message: /deleteWorkout takes \(id\), not 2/ } },
  copyDay: { good: [[u(), 2, 3, 'replace'], [u(), 2, 3, 'add']], bad: { params: [u(), 2, 3, 'merge'], field: 'mode', message: /must be replace or add/ } },
  copyWeek: {
    good: [[u(), 1, [2, 3], { mode: 'add' }], [u(), 1, [2], { mode: 'replace', progression: { load: { step: 2.5, unit: 'kg' }, reps: { wave: ['5', '3', '1'] }, rpe: { step: 0.5 } } }]],
    bad: { params: [u(), 1, [], { mode: 'add' }], field: 'toWeeks', message: /needs at least one week/ },
  },
  progressRows: { good: [[u(), [u()], [2, 3], { load: { step: 5, unit: '%' } }]], bad: { params: [u(), [u()], [2], { load: { step: 0, unit: 'kg' } }], field: 'progression.load.step', message: /must not be 0/ } },
  addPrescription: { good: [[u(), rx], [u(), { exerciseId: u(), sets: 1, reps: 'AMRAP' }, null], [u(), rx, u()]], bad: { params: [u(), { exerciseId: u(), sets: 5, reps: '5', load: 100 }], field: 'input.loadUnit', message: /a load needs its unit/ } },
  updatePrescription: { good: [[u(), { reps: '8-10' }], [u(), { load: null, loadUnit: null }]], bad: { params: [u(), { reps: '10-8' }], field: 'patch.reps', message: /a range must go from low to high/ } },
  deletePrescription: { good: [[u()]], bad: { params: [], field: '' } },
  movePrescription: { good: [[u(), -1], [u(), 1]], bad: { params: [u(), 2], field: 'direction', message: /must be -1 or 1/ } },
  getTraineeActivity: { good: [[u()]], bad: { params: ['ben'], field: 'traineeId' } },
  getProgress: { good: [[u()], [u(), {}], [u(), { today: '2026-02-15' }]], bad: { params: [u(), { today: '2026-02-30' }], field: 'options.today', message: /real calendar date/ } },
  getMaxes: { good: [[u()]], bad: { params: [{}], field: 'traineeId' } },
  saveMax: {
    good: [[{ traineeId: u(), exerciseId: u(), kind: 'tm', value: 130, unit: 'kg', date: '2026-03-01' }], [{ id: u(), traineeId: u(), exerciseId: u(), kind: '1rm', value: 315, unit: 'lb', date: '2026-03-01', source: 'estimated', notes: null }]],
    bad: { params: [{ traineeId: u(), exerciseId: u(), kind: '1rm', value: 0, unit: 'kg', date: '2026-03-01' }], field: 'input.value', message: /must be more than 0/ },
  },
  deleteMax: { good: [[u()]], bad: { params: ['max-1'], field: 'id' } },
  getSettings: { good: [[]], bad: { params: [1], field: '' } },
  updateSettings: { good: [[{ plateIncrement: 1.25 }], [{ units: 'lb', weekStartsOn: 0, displayName: null }], [{ e1rmFormula: 'brzycki' }]], bad: { params: [{ plateIncrement: 0 }], field: 'patch.plateIncrement', message: /must be more than 0/ } },
  inviteTrainee: { good: [[u()]], bad: { params: ['ben'], field: 'traineeId', message: /^traineeId must be a UUID$/ } },
  getTraineeAccess: { good: [[]], bad: { params: [u()], field: '', message: /^getTraineeAccess takes no parameters, not 1$/ } },
  revokeTraineeAccess: { good: [[u()]], bad: { params: [], field: '', message: /^revokeTraineeAccess takes \(traineeId\), not 0$/ } },
  exportProgramPdf: { good: [[u()]], bad: { params: ['x'], field: 'programId', message: /must be a UUID/ } },
  getProgramPrintHtml: { good: [[u()]], bad: { params: [], field: '' } },
  exportProgramCsv: { good: [[u()]], bad: { params: [7], field: 'programId' } },
  exportLoggedSetsCsv: { good: [[u()]], bad: { params: [null], field: 'traineeId' } },
  previewProgramImport: { good: [['week,day\r\n'], ['']], bad: { params: [42], field: 'csv', message: /must be text/ } },
  importProgram: {
    good: [['week,day', { traineeId: u(), name: 'Block 2' }], ['x', { traineeId: null, name: 'T', startDate: '2026-03-02' }]],
    bad: { params: ['x', { traineeId: u(), name: '  ' }], field: 'target.name', message: /must not be empty/ },
  },
};

describe('checkParams', () => {
  test('every API method has a case here', () => {
    assert.deepEqual(Object.keys(CASES).sort(), [...API_METHODS].sort());
    assert.deepEqual(Object.keys(API_PARAMS).sort(), [...API_METHODS].sort());
  });

  for (const method of API_METHODS) {
    test(`${method}: a good call passes, a bad value is named`, () => {
      const { good, bad } = CASES[method];
      for (const params of good) {
        const checked = checkParams(method, params);
        assert.ok(checked.ok, `${method}(${JSON.stringify(params)}): ${!checked.ok ? checked.message : ''}`);
        assert.equal(checked.params.length, params.length);
      }
      const checked = checkParams(method, bad.params);
      assert.equal(checked.ok, false, `${method}(${JSON.stringify(bad.params)}) must be refused`);
      if (checked.ok) return;
      assert.equal(checked.field, bad.field, checked.message);
      if (bad.field) assert.ok(checked.message.startsWith(bad.field), `the message starts with the field: ${checked.message}`);
      if (bad.message) assert.match(checked.message, bad.message);
    });
  }

  test('parameters are a list; optional ones may be left off the end; the parsed values come back', () => {
    assert.deepEqual(checkParams('getRoster', { includeArchived: true }), { ok: false, message: 'getRoster takes a list of parameters', field: '' });
    assert.match((checkParams('addWorkout', [u(), 1, 2]) as { message: string }).message, /^addWorkout takes \(programId, week, day, title\), not 3$/);
    assert.match((checkParams('addPrescription', [u(), rx, null, 'extra']) as { message: string }).message, /takes \(workoutId, input, afterId\?\), not 4/);
    const signIn = checkParams('signIn', ['  ws://127.0.0.1:1/sync ', ' token ']);
    assert.ok(signIn.ok);
    assert.deepEqual(signIn.params, ['ws://127.0.0.1:1/sync', 'token'], 'trimmed as parsed');
    const strict = checkParams('saveTrainee', [{ name: 'Ben', age: 30 }]);
    assert.equal(!strict.ok && strict.field, 'input');
    assert.match(!strict.ok ? strict.message : '', /input has no field "age"/);
  });
});

describe('callHost', () => {
  let tmp: ReturnType<typeof tempDir>;
  let srv: TestServer;
  let host: CoachDeskHost;
  const logged: string[] = [];
  const log = (line: string) => logged.push(line);

  before(async () => {
    tmp = tempDir('coachdesk-boundary-');
    srv = await startServer(tmp.dir);
    host = new CoachDeskHost(join(tmp.dir, 'data'), fileModeVault);
    host.start();
  });
  after(async () => {
    await host.close();
    await srv.close();
    tmp.cleanup();
  });

  test('an unknown method and a bad parameter are invalid, with the field named; the host is not called', async () => {
    assert.deepEqual(await callHost(host, 'dropTables', [], log), { ok: false, error: { code: 'invalid', message: 'there is no call named "dropTables"' } });
    assert.deepEqual(await callHost(host, 'onChange', [], log), { ok: false, error: { code: 'invalid', message: 'there is no call named "onChange"' } });
    const bad = await callHost(host, 'addWorkout', [u(), 0, 1, 'x'], log);
    assert.deepEqual(bad, { ok: false, error: { code: 'invalid', message: 'week must be at least 1', field: 'week' } });
    assert.deepEqual(logged, []);
  });

  test('what the host refuses comes back as refused with its message; results as values', async () => {
    assert.deepEqual(await callHost(host, 'getRoster', [false], log), { ok: false, error: { code: 'refused', message: 'sign in first' } });
    const coach = srv.addCoach('Boundary');
    const signed = await callHost(host, 'signIn', [srv.url, coach.token], log);
    assert.equal(signed.ok, true, JSON.stringify(signed));
    const created = await callHost(host, 'createProgram', [{ name: ' Block ', weeks: 2, traineeId: null }], log);
    assert.ok(created.ok);
    const programId = created.value as string;
    const workout = await callHost(host, 'addWorkout', [programId, 3, 1, 'Late'], log);
    assert.deepEqual(workout, { ok: false, error: { code: 'refused', message: 'week 3 is past the end of this 2-week program' } });
    assert.deepEqual(await callHost(host, 'undo', [], log), { ok: true, value: 'Create program Block' });
    assert.deepEqual(await callHost(host, 'getProgram', [programId], log), { ok: true, value: null });
    assert.deepEqual(await callHost(host, 'deleteWorkout', [u()], log), { ok: false, error: { code: 'refused', message: 'this workout no longer exists' } });
    assert.deepEqual(logged, []);
  });

  test('a fault of ours is internal: logged whole, and the page gets no stack or SQL', async () => {
    const store = (host as unknown as { active: { store: LocalStore } }).active.store;
    // The local replica's table goes missing under the host (a SQLite fault, not a refusal).
    store.db.exec('ALTER TABLE replica RENAME TO replica_away');
    try {
      const reply = await callHost(host, 'getRoster', [false], log);
      assert.deepEqual(reply, { ok: false, error: { code: 'internal', message: 'CoachDesk could not do that (getRoster): an internal error, written to the log' } });
    } finally {
      store.db.exec('ALTER TABLE replica_away RENAME TO replica');
    }
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /^getRoster failed: .*no such table: replica/s);
    assert.match(logged[0]!, /\n\s+at /, 'with the stack');
    assert.deepEqual(await callHost(host, 'getRoster', [false], log), { ok: true, value: [] }, 'and the host serves on');
  });
});
