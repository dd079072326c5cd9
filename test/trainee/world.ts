// What the trainee app's end-to-end test and its bench share: the app built into a folder, a
// sync server serving it (its own process, `serve --app-dir`), a coach online through the one
// sync engine, a trainee with a program whose first workout is today, and invites from the CLI.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../../main/embedded/server-process.ts';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import { mondayOf } from '../../protocol/calendar.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import { idle, ROOT, runServerCli } from '../e2e/support.ts';
import { id } from '../helpers.ts';
import { openLocalStore } from '../sync-db.ts';

/** The phone's local date, as the app computes "today". */
export function localIso(d = new Date()): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Program day (1 = Monday … 7 = Sunday) of a date. */
export const programDay = (iso: string) => ((new Date(`${iso}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

export function buildApp(outdir: string): string {
  const r = spawnSync(process.execPath, ['scripts/build-trainee.mjs', '--outdir', outdir], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`building the trainee app failed: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

export interface TraineeWorld {
  coachId: string;
  traineeId: string;
  squatId: string;
  benchId: string;
  programId: string;
  todayWorkoutId: string;
  nextWorkoutId: string;
  squatRxId: string;
  benchRxId: string;
}

export interface TraineeStack {
  dir: string;
  appDir: string;
  serverDb: string;
  server: ServerProcess;
  port: number;
  base: string;
  coach: { store: LocalStore; engine: SyncEngine; token: string };
  world: TraineeWorld;
  /** A new invite link for the trainee, from the CLI. */
  invite(): Promise<string>;
  close(): Promise<void>;
}

/** `squatSets`: the sets of today's Back squat prescription (3 in the test, more for the bench). */
export async function startTraineeStack(dir: string, opts: { squatSets?: number; appDir?: string } = {}): Promise<TraineeStack> {
  const appDir = opts.appDir ?? join(dir, 'app');
  if (!opts.appDir) buildApp(appDir);
  const serverDb = join(dir, 'server.db');
  const added = await runServerCli(['add-coach', '--db', serverDb, '--name', 'Ana Coach']);
  if (added.code !== 0 || !added.json) throw new Error(`add-coach failed: ${added.stderr}`);
  const coachToken = String(added.json.token);
  const coachId = String(added.json.userId);
  const server = await startServerProcess(serverDb, { args: ['--app-dir', appDir], onLog: () => {} });
  const port = Number(new URL(server.url.replace('ws:', 'http:')).port);
  const base = `http://127.0.0.1:${port}`;

  const store = openLocalStore(join(dir, 'coach.db'));
  const engine = new SyncEngine({ connect: openWebSocket, store, url: server.url, token: coachToken, backoff: { baseMs: 50, maxMs: 500 } });
  engine.start();

  const today = localIso();
  const tomorrow = localIso(new Date(Date.now() + 86_400_000));
  const world: TraineeWorld = {
    coachId,
    traineeId: id(),
    squatId: id(),
    benchId: id(),
    programId: id(),
    todayWorkoutId: id(),
    nextWorkoutId: id(),
    squatRxId: id(),
    benchRxId: id(),
  };
  // Week 1 holds today; tomorrow may fall in week 2 (today a Sunday).
  const weekOf = (iso: string) => 1 + Math.round((Date.parse(`${mondayOf(iso)}T00:00:00Z`) - Date.parse(`${mondayOf(today)}T00:00:00Z`)) / (7 * 86_400_000));
  engine.enqueueAll([
    { entity: 'trainee', id: world.traineeId, action: 'put', fields: { coachId, name: 'Ben Carter' } },
    {
      entity: 'exercise',
      id: world.squatId,
      action: 'put',
      fields: { coachId, name: 'Back squat', category: 'legs', videoUrl: 'https://video.example.com/back-squat', notes: 'Bar on the traps, knees out.' },
    },
    { entity: 'exercise', id: world.benchId, action: 'put', fields: { coachId, name: 'Bench press', category: 'push' } },
    { entity: 'program', id: world.programId, action: 'put', fields: { coachId, traineeId: world.traineeId, name: 'Strength block', startDate: today, weeks: 4 } },
    {
      entity: 'workout',
      id: world.todayWorkoutId,
      action: 'put',
      fields: { programId: world.programId, week: 1, day: programDay(today), title: 'Heavy lower', notes: 'Warm up well: 10 minutes easy, then empty bar.' },
    },
    {
      entity: 'prescription',
      id: world.squatRxId,
      action: 'put',
      fields: {
        workoutId: world.todayWorkoutId,
        exerciseId: world.squatId,
        position: 1,
        sets: opts.squatSets ?? 3,
        reps: '5',
        load: 100,
        loadUnit: 'kg',
        rpe: 8,
        restSec: 180,
        notes: 'Brace hard, drive up. Leave one rep in the tank.',
      },
    },
    { entity: 'workout', id: world.nextWorkoutId, action: 'put', fields: { programId: world.programId, week: weekOf(tomorrow), day: programDay(tomorrow), title: 'Upper push' } },
    {
      entity: 'prescription',
      id: world.benchRxId,
      action: 'put',
      fields: { workoutId: world.nextWorkoutId, exerciseId: world.benchId, position: 1, sets: 4, reps: '6-8', load: 70, loadUnit: 'kg', restSec: 120 },
    },
  ]);
  await idle(engine, 'the coach creating the trainee and program', 15_000);
  const failed = engine.getState().failed;
  if (failed.length) throw new Error(`the server refused the coach's edits: ${JSON.stringify(failed)}`);

  return {
    dir,
    appDir,
    serverDb,
    server,
    port,
    base,
    coach: { store, engine, token: coachToken },
    world,
    async invite() {
      const r = await runServerCli(['invite', '--db', serverDb, '--trainee', world.traineeId, '--base-url', base]);
      if (r.code !== 0 || !r.json) throw new Error(`invite failed: ${r.stderr}`);
      return String(r.json.url);
    },
    async close() {
      await engine.stop();
      store.close();
      await server.stop();
    },
  };
}
