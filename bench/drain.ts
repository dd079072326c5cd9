import { openWebSocket } from '../main/sync/node-socket.ts';
import { openLocalStore } from '../main/sync/node-sqlite.ts';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { startServerProcess } from '../main/embedded/server-process.ts';
import type { Edit } from '../sync/local-store.ts';
import { LocalStore } from '../sync/local-store.ts';
import { SyncEngine } from '../sync/sync-engine.ts';
import { newId } from '../protocol/index.ts';
import { addCoach } from '../server/auth.ts';
import { openServerDb } from '../server/db.ts';
import { fmt, ms } from './stats.ts';

/**
 * A coach's offline afternoon, `count` edits long: a few trainees and exercises, then programs
 * (12 weeks × 4 days × 6 prescriptions) built workout by workout, with the coach going back
 * over each workout (a load changed, a rep range, a note): about 70 % puts, 30 % patches.
 */
export function offlineEdits(coachId: string, count: number): Edit[] {
  const edits: Edit[] = [];
  const traineeIds = Array.from({ length: 5 }, () => newId());
  traineeIds.forEach((id, i) => edits.push({ entity: 'trainee', id, action: 'put', fields: { coachId, name: `Trainee ${i + 1}`, email: `t${i + 1}@example.com` } }));
  const lifts = ['Back squat', 'Bench press', 'Deadlift', 'Overhead press', 'Barbell row', 'Pull-up', 'Romanian deadlift', 'Split squat', 'Dip', 'Hip thrust'];
  const exerciseIds = Array.from({ length: 30 }, () => newId());
  exerciseIds.forEach((id, i) => edits.push({ entity: 'exercise', id, action: 'put', fields: { coachId, name: `${lifts[i % lifts.length]} ${Math.floor(i / lifts.length) + 1}`, category: 'strength' } }));
  let p = 0;
  for (;;) {
    const programId = newId();
    edits.push({ entity: 'program', id: programId, action: 'put', fields: { coachId, traineeId: traineeIds[p % traineeIds.length]!, name: `Block ${p + 1}`, startDate: '2026-01-05', weeks: 12 } });
    for (let week = 1; week <= 12; week++) {
      for (let day = 1; day <= 4; day++) {
        const workoutId = newId();
        edits.push({ entity: 'workout', id: workoutId, action: 'put', fields: { programId, week, day, title: `W${week} D${day}` } });
        const prescriptionIds: string[] = [];
        for (let position = 0; position < 6; position++) {
          const id = newId();
          prescriptionIds.push(id);
          edits.push({
            entity: 'prescription',
            id,
            action: 'put',
            fields: {
              workoutId,
              exerciseId: exerciseIds[(day * 6 + position + p) % exerciseIds.length]!,
              position,
              sets: 3 + (position % 3),
              reps: position < 2 ? '5' : '8-10',
              load: 60 + week * 2.5,
              loadUnit: 'kg',
              restSec: 120,
            },
          });
        }
        edits.push({ entity: 'prescription', id: prescriptionIds[0]!, action: 'patch', fields: { load: 62.5 + week * 2.5, rpe: 8 } });
        edits.push({ entity: 'prescription', id: prescriptionIds[3]!, action: 'patch', fields: { reps: '10-12', notes: 'slow eccentric' } });
        edits.push({ entity: 'workout', id: workoutId, action: 'patch', fields: { notes: 'warm up 10 min' } });
        if (edits.length >= count) return edits.slice(0, count);
      }
    }
    p++;
  }
}

export interface DrainRun {
  edits: number;
  /** start() to the last ack (outbox empty and connection synced). */
  drainMs: number;
  opsPerSec: number;
  /** start() to the welcome (connection open, hello answered). */
  welcomeMs: number;
  /** Enqueueing the edits offline, in chunks of 500 (not part of the drain). */
  enqueueMs: number;
  /** Of the edits, puts of new rows. */
  puts: number;
}

export interface DrainResult {
  quick: boolean;
  edits: number;
  runs: DrainRun[];
  median: DrainRun;
  worst: DrainRun;
  targetMs: number;
}

async function drainOnce(dir: string, count: number): Promise<DrainRun> {
  mkdirSync(dir, { recursive: true });
  const serverFile = join(dir, 'server.db');
  const db = openServerDb(serverFile);
  const { userId: coachId, token } = addCoach(db, 'Ana');
  db.close();
  const edits = offlineEdits(coachId, count);

  const store = openLocalStore(join(dir, 'client.db'));
  let t = process.hrtime.bigint();
  for (let i = 0; i < edits.length; i += 500) store.enqueueAll(edits.slice(i, i + 500));
  const enqueueMs = ms(process.hrtime.bigint() - t);

  const server = await startServerProcess(serverFile, { env: profileEnv('drain-server') });
  const engine = new SyncEngine({ connect: openWebSocket,  store, url: server.url, token });
  try {
    let welcomeAt: bigint | undefined;
    engine.on('state', (s: { connection: string }) => {
      if (!welcomeAt && s.connection === 'syncing') welcomeAt = process.hrtime.bigint();
    });
    t = process.hrtime.bigint();
    engine.start();
    const idle = await engine.whenIdle(120_000);
    const end = process.hrtime.bigint();
    if (!idle) throw new Error(`drain: the outbox did not empty (${store.pendingCount} of ${count} pending)`);
    if (engine.counters.acked !== count || engine.counters.rejected !== 0) {
      throw new Error(`drain: ${engine.counters.acked} acked, ${engine.counters.rejected} rejected of ${count}`);
    }
    const drainMs = ms(end - t);
    return { edits: count, drainMs, opsPerSec: count / (drainMs / 1000), welcomeMs: welcomeAt ? ms(welcomeAt - t) : NaN, enqueueMs, puts: edits.filter((e) => e.action === 'put').length };
  } finally {
    await engine.stop();
    store.close();
    await server.stop();
  }
}

/**
 * BENCH_CPU_PROF_DIR=DIR profiles the server child (Node 20 refuses --cpu-prof in NODE_OPTIONS,
 * so bench/cpu-profile-hook.mjs starts the inspector's profiler); read the files with
 * bench/profile-summary.ts.
 */
export function profileEnv(name: string): NodeJS.ProcessEnv {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  if (!dir) return {};
  const hook = fileURLToPath(new URL('./cpu-profile-hook.mjs', import.meta.url));
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${hook}`.trim(), CPU_PROFILE_FILE: join(dir, `${name}-%p.cpuprofile`) };
}

/** Rows the server holds for the coach, to check that the drain landed. */
function serverRowCount(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT COUNT(*) FROM canonical_rows`).pluck().get() as number;
  } finally {
    db.close();
  }
}

/**
 * Drain: `edits` edits made offline by a coach (LocalStore outbox), then the engine starts
 * against the server in its own process; time from start() to the last ack.
 */
export async function benchDrain(dir: string, opts: { quick: boolean }): Promise<DrainResult> {
  const count = opts.quick ? 2000 : 10_000;
  const reps = opts.quick ? 1 : 5;
  const runs: DrainRun[] = [];
  for (let i = 0; i < reps; i++) {
    const runDir = join(dir, `drain-${i}`);
    const run = await drainOnce(runDir, count);
    // Every put is a row on the server (patches change rows, they make none).
    const rows = serverRowCount(join(runDir, 'server.db'));
    if (rows !== run.puts) throw new Error(`drain: the server holds ${rows} rows, expected ${run.puts}`);
    runs.push(run);
  }
  const sorted = [...runs].sort((a, b) => a.drainMs - b.drainMs);
  return { quick: opts.quick, edits: count, runs, median: sorted[Math.floor((sorted.length - 1) / 2)]!, worst: sorted[sorted.length - 1]!, targetMs: 2000 };
}

export function printDrain(r: DrainResult): string[] {
  const lines = [
    `\nDrain: ${r.edits} edits made offline${r.quick ? ' (quick: 10,000 in full mode)' : ''} (70 % puts, 30 % patches), then reconnect; start() to the last ack, server in its own process`,
    '  run        drain ms    ops/s   welcome ms   enqueue ms (offline, not timed in drain)',
  ];
  const row = (label: string, x: DrainRun) =>
    `  ${label.padEnd(8)} ${fmt(x.drainMs, 1).padStart(10)} ${fmt(x.opsPerSec, 0).padStart(8)} ${fmt(x.welcomeMs, 1).padStart(12)} ${fmt(x.enqueueMs, 1).padStart(12)}`;
  r.runs.forEach((x, i) => lines.push(row(`#${i + 1}`, x)));
  if (r.runs.length > 1) {
    lines.push(row('median', r.median));
    lines.push(row('worst', r.worst));
  }
  lines.push(
    r.quick
      ? `  target: 10,000 edits acked within ${fmt(r.targetMs, 0)} ms of reconnecting (judged in full mode only)`
      : `  target: the last ack within ${fmt(r.targetMs, 0)} ms of reconnecting (${r.worst.drainMs < r.targetMs ? 'met' : 'MISSED'}${r.runs.length > 1 ? ' by the worst run' : ''})`,
  );
  return lines;
}
