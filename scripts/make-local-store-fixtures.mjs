// Writes test/fixtures/local-store/schema-N.db with the code that shipped each local database
// schema, and schema-N.expected.json: what that code itself read back from the file (outbox,
// failed list, journal, rows, meta). test/client/migrations.test.ts opens the files with the
// current LocalStore and expects to read the same.
//
// Regenerate (from the repository root, with node_modules installed):
//   node scripts/make-local-store-fixtures.mjs
// Each commit below is checked out in a temporary `git worktree`, with this checkout's
// node_modules linked in; the worktrees are removed afterwards. The files get new keys and
// times on every run, so regenerate only when a schema's fixture must change.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The last commit that wrote each schema (schema 3 is the code before user_version existed). */
const COMMITS = { 1: '0fb6429', 2: 'fbf21e4', 3: 'c80f4e6' };

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'test/fixtures/local-store');

// Runs inside the old worktree; uses only the API all three versions share.
const DRIVER = `
import { writeFileSync } from 'node:fs';
import { LocalStore } from './main/sync/local-store.ts';
import { ENTITIES } from './protocol/index.ts';

const [file, expectedFile] = process.argv.slice(2);
const coach = '00000000-0000-4000-8000-00000000c0ac';
const id = (n: number) => '00000000-0000-4000-8000-' + String(n).padStart(12, '0');
const T1 = id(1), E1 = id(2), P1 = id(3), W1 = id(4), W2 = id(5), R1 = id(6), R2 = id(7), R3 = id(8), S1 = id(9), L1 = id(10), L2 = id(11), R4 = id(12);
const E2 = id(20), R6 = id(21), W3 = id(22), R5 = id(23), L3 = id(24);

const store = new LocalStore(file);
store.recordWelcome({ userId: coach, role: 'coach', nextSeq: 1 });
let version = 0;
const row = (entity: string, rowId: string, fields: Record<string, unknown>, deleted = false) =>
  ({ entity, id: rowId, version: ++version, deleted, fields, by: coach }) as never;
store.applyIncoming({
  rows: [
    row('trainee', T1, { coachId: coach, name: 'Ada Lift' }),
    row('exercise', E1, { coachId: coach, name: 'Back squat' }),
    row('program', P1, { coachId: coach, traineeId: T1, name: 'Block 1', weeks: 4 }),
    row('workout', W1, { programId: P1, week: 1, day: 1, title: 'Squat day' }),
    row('workout', W2, { programId: P1, week: 1, day: 3, title: 'Pull day' }),
    row('prescription', R1, { workoutId: W1, exerciseId: E1, position: 1, sets: 3, reps: '5' }),
    row('prescription', R2, { workoutId: W1, exerciseId: E1, position: 2, sets: 2, reps: '8-10' }),
    row('prescription', R3, { workoutId: W2, exerciseId: E1, position: 1, sets: 5, reps: 'AMRAP' }),
    row('session', S1, { traineeId: T1, workoutId: W1, date: '2026-11-02', status: 'completed' }),
    row('set_log', L1, { sessionId: S1, prescriptionId: R1, exerciseId: E1, setIndex: 0, reps: 5, load: 100, loadUnit: 'kg', done: true }),
    row('set_log', L2, { sessionId: S1, prescriptionId: R1, exerciseId: E1, setIndex: 1, reps: 5, load: 100, loadUnit: 'kg', done: true }),
    row('prescription', R4, {}, true),
  ],
  acks: [],
  syncedVersion: version,
});

// Four edits the server answers: refused, partly applied, superseded, applied.
const refused = store.enqueue({ entity: 'trainee', id: T1, action: 'patch', fields: { name: 'Ada L.' } });
const partial = store.enqueue({ entity: 'exercise', id: E2, action: 'put', fields: { coachId: coach, name: 'Deadlift', category: 'hinge' } });
const superseded = store.enqueue({ entity: 'workout', id: W2, action: 'patch', fields: { title: 'Back day' } });
const applied = store.enqueue({ entity: 'prescription', id: R6, action: 'put', fields: { workoutId: W2, exerciseId: E1, position: 2, sets: 3, reps: '12' } });
const ack = (op: { key: string; seq: number }, status: string, extra: Record<string, unknown> = {}) => ({ type: 'ack', key: op.key, seq: op.seq, status, replay: false, ...extra }) as never;
store.applyIncoming({
  rows: [
    row('exercise', E2, { coachId: coach, name: 'Deadlift' }),
    row('prescription', R6, { workoutId: W2, exerciseId: E1, position: 2, sets: 3, reps: '12' }),
  ],
  acks: [
    ack(refused, 'rejected', { reason: 'forbidden', message: 'trainee names are the trainee’s own' }),
    ack(partial, 'partial', { version: version - 1, dropped: ['category'], reason: 'last-write-wins', message: 'category was changed by another edit' }),
    ack(superseded, 'superseded', { reason: 'coach-edit-wins', message: 'a newer edit of this workout won' }),
    ack(applied, 'applied', { version }),
  ],
  syncedVersion: version,
});

// A second refusal, with no message (the store words it itself).
const refused2 = store.enqueue({ entity: 'set_log', id: L2, action: 'patch', fields: { reps: 6 } });
store.applyIncoming({ rows: [], acks: [ack(refused2, 'rejected', { reason: 'invalid' })] });

// Edits still waiting to be sent, some under parents not yet on the server.
store.enqueue({ entity: 'workout', id: W3, action: 'put', fields: { programId: P1, week: 2, day: 1, title: 'Heavy day' } });
store.enqueueAll([
  { entity: 'prescription', id: R5, action: 'put', fields: { workoutId: W3, exerciseId: E2, position: 1, sets: 5, reps: '3', load: 140, loadUnit: 'kg' } },
  { entity: 'prescription', id: R1, action: 'patch', fields: { sets: 4 } },
]);
store.enqueue({ entity: 'set_log', id: L3, action: 'put', fields: { sessionId: S1, prescriptionId: R1, exerciseId: E1, setIndex: 2, reps: 4, load: 100, loadUnit: 'kg', done: true } });
store.enqueue({ entity: 'prescription', id: R2, action: 'delete' });

const expected = {
  meta: Object.fromEntries((store.db.prepare('SELECT key, value FROM meta ORDER BY key').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value])),
  nextSeq: store.nextSeq,
  pending: store.pendingOps(0, 1000),
  failed: store.failedOps(),
  journal: store.journal(),
  rows: Object.fromEntries(ENTITIES.map((entity) => [entity, store.list(entity)])),
};
store.db.pragma('wal_checkpoint(TRUNCATE)');
store.close();
writeFileSync(expectedFile, JSON.stringify(expected, null, 2) + '\\n');
`;

const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' });
mkdirSync(out, { recursive: true });
for (const [schema, commit] of Object.entries(COMMITS)) {
  const tmp = mkdtempSync(join(tmpdir(), `coachdesk-schema-${schema}-`));
  const tree = join(tmp, 'tree');
  git('worktree', 'add', '--detach', tree, commit);
  try {
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
    writeFileSync(join(tree, 'make-fixture.ts'), DRIVER);
    const db = join(tmp, `schema-${schema}.db`);
    execFileSync(process.execPath, ['--import', 'tsx', 'make-fixture.ts', db, join(out, `schema-${schema}.expected.json`)], { cwd: tree, stdio: 'inherit' });
    for (const suffix of ['-wal', '-shm']) if (existsSync(db + suffix)) throw new Error(`${db}${suffix} was left beside the file`);
    copyFileSync(db, join(out, `schema-${schema}.db`));
    console.log(`schema-${schema}.db from ${commit}`);
  } finally {
    git('worktree', 'remove', '--force', tree);
    rmSync(tmp, { recursive: true, force: true });
  }
}
