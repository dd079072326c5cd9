import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from '../main/embedded/server-process.ts';
import { newId, type Entity, type Fields } from '../protocol/index.ts';
import { addCoach, addTraineeToken, type User } from '../server/auth.ts';
import { CanonicalStore } from '../server/canonical-store.ts';
import { openServerDb } from '../server/db.ts';
import type { CatchUpClientResult } from './catch-up-client.ts';
import { profileEnv } from './drain.ts';
import { fmt, ms } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = fileURLToPath(new URL('./catch-up-client.ts', import.meta.url));

type SeedOp = { entity: Entity; id: string; fields: Fields };

const LIFTS: Array<[string, string]> = [
  ['Back squat', 'squat'], ['Front squat', 'squat'], ['Bench press', 'push'], ['Incline press', 'push'], ['Deadlift', 'hinge'],
  ['Romanian deadlift', 'hinge'], ['Overhead press', 'push'], ['Pull-up', 'pull'], ['Barbell row', 'pull'], ['Split squat', 'squat'],
];

/** The coach's exercise library (lifts and their variations). */
const EXERCISES = 300;

/**
 * One coach's book: `trainees` trainees, each with a 12-week × 4-day program of 6 prescriptions
 * a workout, and the first two weeks logged (8 sessions, 3 sets of each prescription); a library
 * of EXERCISES exercises. 490 rows a trainee + EXERCISES.
 */
function planBook(coachId: string, trainees: number) {
  const coach: SeedOp[] = [];
  const byTrainee = new Map<string, SeedOp[]>();
  const put = (list: SeedOp[], entity: Entity, fields: Fields, id = newId()) => {
    list.push({ entity, id, fields });
    return id;
  };
  const exercises = Array.from({ length: EXERCISES }, (_, i) => {
    const [name, category] = LIFTS[i % LIFTS.length]!;
    return put(coach, 'exercise', { coachId, name: `${name}${i >= LIFTS.length ? ` (variation ${Math.floor(i / LIFTS.length)})` : ''}`, category });
  });
  for (let t = 0; t < trainees; t++) {
    const traineeId = put(coach, 'trainee', { coachId, name: `Trainee ${t + 1}`, email: `trainee${t + 1}@example.com`, notes: 'Goal: a 1.5× bodyweight squat by summer.' });
    const programId = put(coach, 'program', { coachId, traineeId, name: `Strength block (${t + 1})`, startDate: '2026-01-05', weeks: 12, notes: 'Add 2.5 kg a week when all sets are done.' });
    const logs: SeedOp[] = [];
    byTrainee.set(traineeId, logs);
    for (let week = 1; week <= 12; week++) {
      for (let day = 1; day <= 4; day++) {
        const workoutId = put(coach, 'workout', { programId, week, day, title: ['Lower A', 'Upper A', 'Lower B', 'Upper B'][day - 1]!, position: day - 1 });
        const rx = Array.from({ length: 6 }, (_, position) => {
          const exerciseId = exercises[(t * 29 + day * 6 + position) % exercises.length]!;
          const load = 40 + position * 10 + week * 2.5;
          const reps = position < 2 ? '5' : '8-10';
          const id = put(coach, 'prescription', { workoutId, exerciseId, position, sets: 3, reps, load, loadUnit: 'kg', rpe: 7, restSec: 120 });
          return { id, exerciseId, load, reps };
        });
        if (week > 2) continue;
        const sessionId = put(logs, 'session', { traineeId, workoutId, date: `2026-01-${String(5 + (week - 1) * 7 + (day - 1) * 2).padStart(2, '0')}`, status: 'completed', rpe: 8 });
        for (const p of rx) {
          for (let setIndex = 0; setIndex < 3; setIndex++) {
            put(logs, 'set_log', {
              sessionId,
              prescriptionId: p.id,
              exerciseId: p.exerciseId,
              setIndex,
              reps: p.reps === '5' ? 5 : 9,
              load: p.load,
              loadUnit: 'kg',
              rpe: 7 + setIndex * 0.5,
              done: true,
              targetReps: p.reps,
              targetLoad: p.load,
            });
          }
        }
      }
    }
  }
  return { coach, byTrainee };
}

/** Pushes ops through the real store (resolver, scope columns, versions) in big transactions. */
function pushAll(store: CanonicalStore, user: User, ops: SeedOp[], at: string): void {
  const clientId = `seed-${user.id}`;
  let seq = store.nextSeq(user.id, clientId);
  const now = Date.now();
  for (let i = 0; i < ops.length; i += 5000) {
    const batch = ops.slice(i, i + 5000).map((o) => ({ key: newId(), seq: seq++, at, entity: o.entity, id: o.id, action: 'put', fields: o.fields, baseVersion: 0 }));
    const outcome = store.push(user, clientId, batch, now);
    const bad = outcome.acks.find((a) => a.status !== 'applied');
    if (bad) throw new Error(`catch-up seed: ${bad.status} ${bad.reason}: ${bad.message}`);
  }
}

/** Seeds the server database file; returns the coach's token and the rows the coach may see. */
export function seedCoachBook(file: string, trainees: number): { token: string; rows: number; version: number; seedMs: number } {
  const t = process.hrtime.bigint();
  const db = openServerDb(file);
  // The seeding connection only: a big page cache (the store's scope queries re-read the same
  // pages thousands of times) and no fsync per transaction. Rows are written as in production.
  db.pragma('cache_size = -524288');
  db.pragma('synchronous = OFF');
  try {
    const { userId: coachId, token } = addCoach(db, 'Ana');
    const store = new CanonicalStore(db);
    const { coach, byTrainee } = planBook(coachId, trainees);
    const at = new Date().toISOString();
    pushAll(store, { id: coachId, role: 'coach', name: 'Ana', coachId: null }, coach, at);
    // Sessions and sets come from the trainees' phones, as they would.
    for (const [traineeId, logs] of byTrainee) {
      addTraineeToken(db, traineeId);
      pushAll(store, { id: traineeId, role: 'trainee', name: null, coachId }, logs, at);
    }
    const rows = coach.length + [...byTrainee.values()].reduce((n, l) => n + l.length, 0);
    return { token, rows, version: store.currentVersion, seedMs: ms(process.hrtime.bigint() - t) };
  } finally {
    db.close();
  }
}

/** A memory figure of a process from /proc (VmHWM: peak resident set, VmRSS: now), in MB; null where /proc is not there. */
export function procStatusMB(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | null {
  if (pid === undefined) return null;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const peakRssMB = (pid: number | undefined) => procStatusMB(pid, 'VmHWM');
const residentMB = (pid: number | undefined) => procStatusMB(pid, 'VmRSS');

function runClient(url: string, token: string, db: string): Promise<CatchUpClientResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, '--url', url, '--token', token, '--db', db], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...profileEnv('catch-up-client') },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`catch-up client exited ${code}: ${err.trim() || last}`));
      try {
        resolve(JSON.parse(last) as CatchUpClientResult);
      } catch {
        reject(new Error(`catch-up client printed no JSON: ${out.trim()} ${err.trim()}`));
      }
    });
  });
}

export interface CatchUpResult {
  quick: boolean;
  trainees: number;
  /** Rows the coach may see on the server (the seed). */
  rows: number;
  seedMs: number;
  /** One fresh install after another against the same server. */
  clients: CatchUpClientResult[];
  median: CatchUpClientResult;
  worst: CatchUpClientResult;
  /** Server child: resident set once listening (and its peak by then), and its peak (VmHWM) after the catch-ups. */
  serverRssBeforeMB: number | null;
  serverPeakBeforeMB: number | null;
  serverPeakMB: number | null;
  targets: { syncedMs: number; peakMB: number };
}

/**
 * Catch-up: a fresh install of a coach with `trainees` trainees (~490 rows each) syncs from
 * zero. Server and client each run in their own process; time to `synced` and peak memory.
 */
export async function benchCatchUp(dir: string, opts: { quick: boolean }): Promise<CatchUpResult> {
  const trainees = opts.quick ? 20 : 200;
  const installs = opts.quick ? 1 : 3;
  const serverFile = join(dir, 'catch-up-server.db');
  const { token, rows, version, seedMs } = seedCoachBook(serverFile, trainees);
  const server = await startServerProcess(serverFile, { env: profileEnv('catch-up-server') });
  try {
    const serverRssBeforeMB = residentMB(server.child.pid);
    const serverPeakBeforeMB = peakRssMB(server.child.pid);
    const clients: CatchUpClientResult[] = [];
    for (let i = 0; i < installs; i++) {
      const client = await runClient(server.url, token, join(dir, `catch-up-client-${i}.db`));
      // A benchmark that synced nothing would look fast: every row must be in the replica.
      if (client.replicaRows !== rows) throw new Error(`catch-up: the replica holds ${client.replicaRows} rows, the server ${rows}`);
      if (client.lastVersion !== version) throw new Error(`catch-up: the client's cursor is ${client.lastVersion}, the server's version ${version}`);
      clients.push(client);
    }
    const serverPeakMB = peakRssMB(server.child.pid);
    const sorted = [...clients].sort((a, b) => a.syncedMs - b.syncedMs);
    return {
      quick: opts.quick,
      trainees,
      rows,
      seedMs,
      clients,
      median: sorted[Math.floor((sorted.length - 1) / 2)]!,
      worst: sorted[sorted.length - 1]!,
      serverRssBeforeMB,
      serverPeakBeforeMB,
      serverPeakMB,
      targets: { syncedMs: 5000, peakMB: 200 },
    };
  } finally {
    await server.stop();
  }
}

export function printCatchUp(r: CatchUpResult): string[] {
  const mb = (n: number | null) => (n === null ? 'n/a' : `${fmt(n, 0)} MB`);
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const { targets } = r;
  const clientPeak = Math.max(...r.clients.map((c) => c.maxRssMB));
  const lines = [
    `\nCatch-up: a fresh coach install, ${r.trainees} trainees, ${r.rows.toLocaleString('en')} rows${r.quick ? ' (quick: 200 trainees, 98,300 rows in full mode)' : ''}; server and client each in their own process`,
    '  install   start() to synced   rows/s   client peak (VmHWM)    client RSS before start()',
  ];
  const row = (label: string, c: CatchUpClientResult) =>
    `  ${label.padEnd(8)} ${`${fmt(c.syncedMs, 0)} ms`.padStart(18)} ${fmt(c.replicaRows / (c.syncedMs / 1000), 0).padStart(8)} ${mb(c.maxRssMB).padStart(22)} ${mb(c.rssBeforeMB).padStart(27)}`;
  r.clients.forEach((c, i) => lines.push(row(`#${i + 1}`, c)));
  if (r.clients.length > 1) {
    lines.push(`  median ${`${fmt(r.median.syncedMs, 0)} ms`.padStart(20)}, worst ${fmt(r.worst.syncedMs, 0)} ms; highest client peak ${mb(clientPeak)}`);
  }
  lines.push(
    `  server peak memory (VmHWM) over the catch-ups: ${mb(r.serverPeakMB)}; ${mb(r.serverRssBeforeMB)} resident once listening`,
    `  every replica holds all ${r.rows} rows and the server's version (checked); seeding through CanonicalStore.push took ${fmt(r.seedMs / 1000, 1)} s (not timed)`,
    `  targets${r.quick ? ' (for ~100,000 rows: judged in full mode only)' : ''}: synced < ${targets.syncedMs} ms (${verdict(r.worst.syncedMs < targets.syncedMs)}), client peak < ${targets.peakMB} MB (${verdict(clientPeak < targets.peakMB)}), ` +
      `server peak < ${targets.peakMB} MB (${r.serverPeakMB === null ? 'not measured here' : verdict(r.serverPeakMB < targets.peakMB)})`,
  );
  return lines;
}
