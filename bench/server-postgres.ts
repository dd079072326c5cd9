// The sync server on PostgreSQL, one node and two nodes on one database, on the workload of the
// SQLite rows (bench/server-throughput.ts): acked ops/s and push→ack latency with 1 to 1,000
// coaches, the fan-out of an exercise rename to trainees spread over the nodes, and what the
// NOTIFY poke costs at commit.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type WebSocket from 'ws';
import { newId } from '../protocol/index.ts';
import type { User } from '../server/auth.ts';
import * as pgAuth from '../server/pg/auth.ts';
import { PgCanonicalStore } from '../server/pg/canonical-store.ts';
import { migratePg, openPgPool } from '../server/pg/schema.ts';
import { closeAll, connectAll, isAck, isChanges, loadRound, makeWork, timeFanOut, total, withMax, type FanOutSamples, type LoadRound, type Throughput } from './server-throughput.ts';
import { summarize } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_URL = process.env.COACHDESK_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Node {
  url: string;
  stop(): Promise<void>;
}

/** One sync node (`serve --postgres`) in its own process. */
function startNode(dbUrl: string, appDir: string): Promise<Node> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'serve', '--postgres', dbUrl, '--port', '0', '--app-dir', appDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, COACHDESK_PG_POOL: '8' },
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`a sync node exited (${code}) before listening`));
    child.once('exit', onExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening (\S+)/.exec(line);
      if (!m) return;
      child.off('exit', onExit);
      resolve({
        url: m[1]!,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** A database of its own, migrated; dropped by `drop`. */
async function database(tag: string): Promise<{ url: string; pool: pg.Pool; drop(): Promise<void> }> {
  const name = `coachdesk_bench_${tag}_${newId().replaceAll('-', '').slice(-10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = openPgPool(url.toString(), { max: 4 });
  await migratePg(pool);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface PgScalingRow {
  nodes: number;
  clients: number;
  batchSize: number;
  server: Throughput;
  /** Rows and applied acks read back from PostgreSQL after the run (warm-up included). */
  verified: { rows: number; applied: number; ok: boolean };
}

async function scalingRow(dir: string, nodesWanted: number, clients: number, batchSize: number, batches: number, rounds: number): Promise<PgScalingRow> {
  const db = await database(`n${nodesWanted}c${clients}`);
  const appDir = join(dir, 'no-app');
  mkdirSync(appDir, { recursive: true });
  const nodes: Node[] = [];
  try {
    const tokens: string[] = [];
    for (let i = 0; i < clients; i++) tokens.push((await pgAuth.addCoach(db.pool, `Coach ${i}`)).token);
    for (let i = 0; i < nodesWanted; i++) nodes.push(await startNode(db.url, appDir));
    // Clients alternate between the nodes.
    const conns = (await Promise.all(nodes.map((n, i) => connectAll(n.url, tokens.filter((_, k) => k % nodesWanted === i), false)))).flat();
    const k = Math.min(clients, Math.ceil(1000 / batchSize));
    const warm = makeWork(conns.slice(0, k), Math.ceil(1000 / (k * batchSize)), batchSize);
    const warmOps = (await loadRound(conns.slice(0, k), warm, batchSize, batchSize, isAck)).ops;
    const timedRounds: LoadRound[] = [];
    for (let r = 0; r < rounds; r++) timedRounds.push(await loadRound(conns, makeWork(conns, batches, batchSize), batchSize, batchSize, isAck));
    await closeAll(conns);
    const s = total(timedRounds);
    const { rows } = await db.pool.query<{ rows: number; applied: number }>(
      `SELECT (SELECT count(*)::int FROM canonical_rows WHERE entity = 'exercise') AS rows, (SELECT count(*)::int FROM ledger WHERE ack LIKE '%"status":"applied"%') AS applied`,
    );
    const v = rows[0]!;
    return { nodes: nodesWanted, clients, batchSize, server: s, verified: { rows: v.rows, applied: v.applied, ok: v.rows === s.ops + warmOps && v.applied === s.ops + warmOps } };
  } finally {
    for (const n of nodes) await n.stop();
    await db.drop();
  }
}

export interface PgFanOutResult {
  nodes: number;
  trainees: number;
  patches: number;
  receiptMs: ReturnType<typeof withMax>;
  allReachedMs: ReturnType<typeof summarize>;
  coachAckMs: ReturnType<typeof summarize>;
  ok: boolean;
}

/** A coach on the first node renames an exercise that every trainee (spread over the nodes) has in a program. */
async function fanOut(dir: string, nodesWanted: number, trainees: number, patches: number): Promise<PgFanOutResult> {
  const db = await database(`fan${nodesWanted}`);
  const appDir = join(dir, 'no-app');
  mkdirSync(appDir, { recursive: true });
  const nodes: Node[] = [];
  try {
    const coach = await pgAuth.addCoach(db.pool, 'Coach');
    const user: User = { id: coach.userId, role: 'coach', name: 'Coach', coachId: null };
    const store = new PgCanonicalStore(db.pool);
    let seq = 1;
    const ops: Array<Record<string, unknown> & { key: string; seq: number }> = [];
    const op = (entity: string, id: string, fields: Record<string, unknown>) => ops.push({ key: newId(), seq: seq++, at: new Date().toISOString(), entity, id, action: 'put', fields, baseVersion: 0 });
    const exerciseId = newId();
    op('exercise', exerciseId, { coachId: coach.userId, name: 'Back squat', category: 'squat' });
    const traineeIds: string[] = [];
    for (let i = 0; i < trainees; i++) {
      const traineeId = newId();
      const programId = newId();
      const workoutId = newId();
      traineeIds.push(traineeId);
      op('trainee', traineeId, { coachId: coach.userId, name: `Trainee ${i}` });
      op('program', programId, { coachId: coach.userId, traineeId, name: 'Block', weeks: 4 });
      op('workout', workoutId, { programId, week: 1, day: 1, title: 'Day 1' });
      op('prescription', newId(), { workoutId, exerciseId, position: 1, sets: 5, reps: '5', load: 100, loadUnit: 'kg' });
    }
    const seedClient = 'bench-seed';
    for (let i = 0; i < ops.length; i += 500) await store.push(user, seedClient, ops.slice(i, i + 500), Date.now());
    let version = await store.currentVersion();
    const traineeTokens: string[] = [];
    for (const id of traineeIds) traineeTokens.push((await pgAuth.addTraineeToken(db.pool, id)).token);
    for (let i = 0; i < nodesWanted; i++) nodes.push(await startNode(db.url, appDir));
    const [coachConn] = await connectAll(nodes[0]!.url, [coach.token], false);
    const receivers = (await Promise.all(nodes.map((n, i) => connectAll(n.url, traineeTokens.filter((_, k) => k % nodesWanted === i), false)))).flat();
    let name = '';
    let renames = 0;
    const rename = () => {
      name = `Back squat v${++renames}`;
      const o = { key: newId(), seq: coachConn!.nextSeq++, at: new Date().toISOString(), entity: 'exercise', id: exerciseId };
      return JSON.stringify({ type: 'push', ops: [{ ...o, action: 'patch', fields: { name }, baseVersion: version }] });
    };
    const coachAcked = (data: WebSocket.RawData) => {
      if (!isAck(data)) return false;
      version = (JSON.parse(data.toString()) as { version: number }).version;
      return true;
    };
    const carriesName = (data: WebSocket.RawData) => data.toString().includes(JSON.stringify(name));
    await timeFanOut(coachConn!, receivers, 2, rename, coachAcked, isChanges, carriesName);
    const real: FanOutSamples = await timeFanOut(coachConn!, receivers, patches, rename, coachAcked, isChanges, carriesName);
    await closeAll([coachConn!, ...receivers]);
    return {
      nodes: nodesWanted,
      trainees,
      patches,
      receiptMs: withMax(real.receipts),
      allReachedMs: summarize(real.last),
      coachAckMs: summarize(real.acks),
      ok: real.ok && real.receipts.length === trainees * patches,
    };
  } finally {
    for (const n of nodes) await n.stop();
    await db.drop();
  }
}

export interface NotifyCost {
  transactions: number;
  concurrency: number;
  withoutNotify: { perSec: number; p99Ms: number };
  withNotify: { perSec: number; p99Ms: number };
}

/**
 * What the poke costs at commit: the same transaction (take the version row, bump it, write a
 * row) with and without pg_notify, `concurrency` at a time, interleaved in blocks.
 */
async function notifyCost(transactions: number, concurrency: number): Promise<NotifyCost> {
  const db = await database('notify');
  const pool = new pg.Pool({ connectionString: db.url, max: concurrency });
  // pool.end() resolves before its connections are closed, and dropping the database with FORCE
  // then terminates them: an idle client's error would reach a pool without a listener and end
  // the process (CI's quick bench did so once).
  pool.on('error', () => {});
  try {
    await pool.query(`CREATE TABLE t (id TEXT PRIMARY KEY, v BIGINT)`);
    const one = async (notify: boolean) => {
      const c = await pool.connect();
      const t0 = process.hrtime.bigint();
      try {
        await c.query('BEGIN');
        const { rows } = await c.query<{ value: string }>(`SELECT value FROM server_meta WHERE key = 'version' FOR UPDATE`);
        const v = Number(rows[0]!.value) + 1;
        await c.query(`INSERT INTO t (id, v) VALUES ($1, $2)`, [newId(), v]);
        await c.query(`UPDATE server_meta SET value = $1 WHERE key = 'version'`, [String(v)]);
        if (notify) await c.query(`SELECT pg_notify('coachdesk_bench', $1)`, [String(v)]);
        await c.query('COMMIT');
      } finally {
        c.release();
      }
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const run = async (notify: boolean, n: number) => {
      const lat: number[] = [];
      const t0 = process.hrtime.bigint();
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < n) {
          next++;
          lat.push(await one(notify));
        }
      }));
      return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, lat };
    };
    await run(false, 200);
    await run(true, 200);
    const acc = { off: { s: 0, n: 0, lat: [] as number[] }, on: { s: 0, n: 0, lat: [] as number[] } };
    const block = Math.ceil(transactions / 4);
    for (let b = 0; b < 4; b++) {
      for (const notify of b % 2 ? [true, false] : [false, true]) {
        const r = await run(notify, block);
        const a = notify ? acc.on : acc.off;
        a.s += r.seconds;
        a.n += block;
        a.lat.push(...r.lat);
      }
    }
    const p99 = (xs: number[]) => summarize(xs).p99;
    return {
      transactions,
      concurrency,
      withoutNotify: { perSec: acc.off.n / acc.off.s, p99Ms: p99(acc.off.lat) },
      withNotify: { perSec: acc.on.n / acc.on.s, p99Ms: p99(acc.on.lat) },
    };
  } finally {
    await pool.end();
    await db.drop();
  }
}

export interface PostgresBenchResult {
  rows: PgScalingRow[];
  fanOut: PgFanOutResult[];
  notify: NotifyCost;
}

/** Clients, ops per push, pushes per client per round, rounds: the SQLite rows' plan, shortened. */
const PLAN = {
  quick: [
    [1, 500, 4, 1],
    [100, 100, 1, 1],
  ],
  full: [
    [1, 500, 10, 2],
    [10, 500, 2, 2],
    [100, 100, 2, 2],
    [1000, 20, 2, 2],
  ],
} as const;

export async function benchPostgres(dir: string, opts: { quick: boolean }): Promise<PostgresBenchResult | { skipped: string }> {
  if (process.env.COACHDESK_BENCH_POSTGRES === '0') return { skipped: 'COACHDESK_BENCH_POSTGRES=0' };
  try {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.end();
  } catch (error) {
    return { skipped: `PostgreSQL at ${ADMIN_URL} does not answer: ${(error as Error).message}` };
  }
  const rows: PgScalingRow[] = [];
  for (const [clients, batchSize, batches, rounds] of opts.quick ? PLAN.quick : PLAN.full) {
    for (const nodes of [1, 2]) rows.push(await scalingRow(dir, nodes, clients, batchSize, batches, rounds));
  }
  const [trainees, patches] = opts.quick ? [100, 5] : [1000, 30];
  const fan = [await fanOut(dir, 1, trainees, patches), await fanOut(dir, 2, trainees, patches)];
  const notify = await notifyCost(opts.quick ? 800 : 4000, 8);
  return { rows, fanOut: fan, notify };
}
