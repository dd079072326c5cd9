import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { newId } from '../protocol/index.ts';
import { addCoach, addTraineeToken, type User } from '../server/auth.ts';
import { CanonicalStore } from '../server/canonical-store.ts';
import { openServerDb } from '../server/db.ts';
import { fmt, summarize } from './stats.ts';
import { startServerProcess } from '../main/embedded/server-process.ts';
import { benchPostgres, type PostgresBenchResult } from './server-postgres.ts';

type Summary = ReturnType<typeof summarize>;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ECHO_SERVER = fileURLToPath(new URL('./echo-server.ts', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

interface Proc {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const CPU_PROFILE_HOOK = fileURLToPath(new URL('./cpu-profile-hook.mjs', import.meta.url));

/**
 * Environment that makes a child write a V8 CPU profile to `dir/name-PID.cpuprofile` when it
 * exits (Node 20 refuses --cpu-prof in NODE_OPTIONS; bench/cpu-profile-hook.mjs does the same).
 */
function profileEnv(dir: string | undefined, name: string): NodeJS.ProcessEnv | undefined {
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${CPU_PROFILE_HOOK}`.trim(),
    CPU_PROFILE_FILE: join(dir, `${name}-%p.cpuprofile`),
  };
}

/** The network floor's bare ws server (bench/echo-server.ts), in its own process like the real one. */
function startEchoProcess(env?: NodeJS.ProcessEnv): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ECHO_SERVER], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the echo server exited (${code}) before listening`));
    child.once('exit', onExit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening (\S+)/.exec(line);
      if (!m) return;
      child.off('exit', onExit);
      resolve({
        url: m[1]!,
        pid: child.pid!,
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

// ---------------------------------------------------------------------------------------------
// Load clients
// ---------------------------------------------------------------------------------------------

export interface LoadClient {
  ws: WebSocket;
  userId: string;
  nextSeq: number;
  /** The version of the first `synced`: where a later hello of this install would resume. */
  synced: number;
}

/**
 * Opens one connection and says hello. Against the sync server it resolves once the catch-up
 * is over (the first `synced`), so nothing of the handshake runs while the clock does; against
 * the echo server, once the hello came back.
 */
export function connect(url: string, token: string, echo: boolean): Promise<LoadClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 256 * 1024 * 1024, perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, token, clientId: randomUUID(), lastVersion: 0 })));
    let welcome: { userId: string; nextSeq: number } | undefined;
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString()) as { type: string; userId: string; nextSeq: number; version?: number; code?: string };
      if (echo || (welcome && m.type === 'synced')) {
        ws.off('message', onMessage);
        ws.off('error', reject);
        return resolve({ ws, userId: welcome?.userId ?? '', nextSeq: welcome?.nextSeq ?? 1, synced: m.version ?? 0 });
      }
      if (m.type === 'welcome') welcome = m;
      else if (m.type === 'error') reject(new Error(`hello refused: ${m.code}`));
    };
    ws.on('message', onMessage);
  });
}

/** Connects everyone, a few hundred at a time so the listen backlog never overflows (SYN retries cost 1 s). */
export async function connectAll(url: string, tokens: string[], echo: boolean, wave = 200): Promise<LoadClient[]> {
  const out: LoadClient[] = [];
  for (let i = 0; i < tokens.length; i += wave) {
    out.push(...(await Promise.all(tokens.slice(i, i + wave).map((t) => connect(url, t, echo)))));
  }
  return out;
}

export function closeAll(conns: LoadClient[]): Promise<void> {
  return Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((done) => {
          if (c.ws.readyState === WebSocket.CLOSED) return done();
          c.ws.once('close', () => done());
          c.ws.close();
        }),
    ),
  ).then(() => undefined);
}

export const isAck = (data: WebSocket.RawData) => (data as Buffer).toString('latin1', 0, 14) === '{"type":"ack",';
export const isChanges = (data: WebSocket.RawData) => (data as Buffer).toString('latin1', 0, 18) === '{"type":"changes",';
const isError = (data: WebSocket.RawData) => (data as Buffer).toString('latin1', 0, 16) === '{"type":"error",';

// ---------------------------------------------------------------------------------------------
// Acked ops/s, with the network and storage floors
// ---------------------------------------------------------------------------------------------

/** One round's work for one client: push frames, and the same rows as [id, fields JSON] for the storage floor. */
interface Work {
  frames: string[];
  rows: Array<[string, string]>;
}

/**
 * Every client's pushes for one round. Made batch by batch across the clients, in the order the
 * server will roughly see them, so ids and keys (UUIDv7, time-ordered) arrive ascending as they
 * would from coaches editing at the same time.
 */
export function makeWork(conns: LoadClient[], batches: number, batchSize: number): Work[] {
  const work: Work[] = conns.map(() => ({ frames: [], rows: [] }));
  for (let b = 0; b < batches; b++) {
    conns.forEach((c, ci) => {
      const w = work[ci]!;
      const ops = Array.from({ length: batchSize }, () => {
        const id = newId();
        const fields = { coachId: c.userId, name: 'Romanian deadlift', category: 'hinge' };
        w.rows.push([id, JSON.stringify(fields)]);
        return { key: newId(), seq: c.nextSeq++, at: new Date().toISOString(), entity: 'exercise', id, action: 'put', fields, baseVersion: 0 };
      });
      w.frames.push(JSON.stringify({ type: 'push', ops }));
    });
  }
  return work;
}

export interface LoadRound {
  ops: number;
  seconds: number;
  latenciesMs: number[];
  /**
   * Pushes answered `unavailable` (the store could not take them in time: a PostgreSQL node gives
   * up waiting for the version lock after 5 s) or `out_of_order` (sent behind one of those), and
   * sent again as a client does. Their latency runs from the first send to the acks.
   */
  resent: number;
}

/** The error code of an error frame, read only when one comes (the server's answers are not parsed). */
function errorCode(data: WebSocket.RawData): string {
  return String((JSON.parse(data.toString()) as { code?: unknown }).code);
}

/**
 * Every client sends its frames keeping two batches in flight; a batch is done when
 * `unitsPerBatch` messages that `isUnit` have come back on its connection (its acks from the
 * sync server, its echo from the bare server). Frames are made before the clock starts, and
 * replies are recognised by their first bytes, without parsing, so the load generator (which
 * shares the machine with the server) spends its time sending.
 *
 * A push the server could not store just now (`unavailable`) was not applied, and neither was
 * anything sent after it (`out_of_order`, or `unavailable` too): once both are answered, the
 * client sends them again, the same frames with the same keys and seqs, as CoachDesk's client
 * does. Any other error ends the run.
 */
export async function loadRound(
  conns: LoadClient[],
  work: Work[],
  batchSize: number,
  unitsPerBatch: number,
  isUnit: (data: WebSocket.RawData) => boolean,
): Promise<LoadRound> {
  const latenciesMs: number[] = [];
  let ops = 0;
  let resent = 0;
  const handlers: Array<(data: WebSocket.RawData) => void> = [];
  const start = process.hrtime.bigint();
  await Promise.all(
    conns.map(
      (c, ci) =>
        new Promise<void>((resolve, reject) => {
          const frames = work[ci]!.frames;
          const firstSentAt: bigint[] = [];
          /** Frames sent and not yet answered, oldest first (the server answers a connection's pushes in order). */
          const inFlight: number[] = [];
          let next = 0;
          let done = 0;
          let units = 0;
          /** Set once a push was refused: where to start again when nothing is in flight. */
          let resendFrom: number | undefined;
          const fill = () => {
            while (inFlight.length < 2 && next < frames.length) {
              firstSentAt[next] ??= process.hrtime.bigint();
              inFlight.push(next);
              c.ws.send(frames[next]!);
              next++;
            }
          };
          const onMessage = (data: WebSocket.RawData) => {
            if (isUnit(data)) {
              if (resendFrom !== undefined) return reject(new Error('a push was acked after an earlier one was refused: the server applied it out of order'));
              if (++units < unitsPerBatch) return;
              units = 0;
              const frame = inFlight.shift()!;
              latenciesMs.push(Number(process.hrtime.bigint() - firstSentAt[frame]!) / 1e6);
              ops += batchSize;
              done++;
              if (done === frames.length) resolve();
              else fill();
              return;
            }
            if (!isError(data)) return;
            const code = errorCode(data);
            if ((code !== 'unavailable' && code !== 'out_of_order') || units > 0 || inFlight.length === 0) {
              return reject(new Error(`the server answered a push with ${data.toString().slice(0, 300)}`));
            }
            const frame = inFlight.shift()!;
            resent++;
            resendFrom = Math.min(resendFrom ?? frame, frame);
            if (inFlight.length > 0) return;
            next = resendFrom;
            resendFrom = undefined;
            fill();
          };
          handlers[ci] = onMessage;
          c.ws.on('message', onMessage);
          fill();
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  conns.forEach((c, ci) => c.ws.off('message', handlers[ci]!));
  return { ops, seconds, latenciesMs, resent };
}

/** The storage floor: the same rows, one transaction of `batchSize` rows per push, WAL + synchronous=FULL. */
function openStorageFloor(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE rows (id TEXT PRIMARY KEY, fields TEXT NOT NULL) WITHOUT ROWID`);
  const insert = db.prepare(`INSERT INTO rows (id, fields) VALUES (?, ?)`);
  const batch = db.transaction((rows: Array<[string, string]>) => {
    for (const [id, fields] of rows) insert.run(id, fields);
  });
  return {
    /** Inserts the rows of every client's pushes, batch by batch, in the order clients would interleave them. */
    round(work: Work[], batchSize: number): LoadRound {
      const batches: Array<Array<[string, string]>> = [];
      const perClient = work[0]?.frames.length ?? 0;
      for (let b = 0; b < perClient; b++) for (const w of work) batches.push(w.rows.slice(b * batchSize, (b + 1) * batchSize));
      const latenciesMs: number[] = [];
      let ops = 0;
      const start = process.hrtime.bigint();
      for (const rows of batches) {
        const t = process.hrtime.bigint();
        batch(rows);
        latenciesMs.push(Number(process.hrtime.bigint() - t) / 1e6);
        ops += rows.length;
      }
      return { ops, seconds: Number(process.hrtime.bigint() - start) / 1e9, latenciesMs, resent: 0 };
    },
    close: () => db.close(),
  };
}

export interface Throughput {
  ops: number;
  seconds: number;
  opsPerSec: number;
  /** Push to last ack (server), push to echo (network floor), one transaction (storage floor). */
  latencyMs: Summary;
  /** Pushes refused for now and sent again (LoadRound.resent). */
  resent: number;
}

export function total(rounds: LoadRound[]): Throughput {
  const ops = rounds.reduce((a, r) => a + r.ops, 0);
  const seconds = rounds.reduce((a, r) => a + r.seconds, 0);
  return { ops, seconds, opsPerSec: ops / seconds, latencyMs: summarize(rounds.flatMap((r) => r.latenciesMs)), resent: rounds.reduce((a, r) => a + r.resent, 0) };
}

export interface ScalingRow {
  clients: number;
  batchSize: number;
  /** Batches each client pushes per round; every round runs the server, the echo and the storage floor once. */
  batchesPerRound: number;
  rounds: number;
  server: Throughput;
  network: Throughput;
  storage: Throughput;
  /** Read back from the server's database after the run (warm-up included): rows written and ops acked `applied`. */
  verified: { rows: number; applied: number; ok: boolean };
  /** The server process's CPU time (user + system, from /proc) per acked op in the timed rounds, µs; undefined off Linux. */
  serverCpuUsPerOp?: number;
  /** With `profileDir`: each process's profile and the windows (process.hrtime µs, V8's clock too) its legs ran in. */
  profile?: { server: ProfiledProcess; echo: ProfiledProcess };
}

export interface ProfiledProcess {
  file: string;
  windowsUs: Array<[number, number]>;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** A process's CPU time so far (user + system), ms, from /proc; undefined where there is none. */
function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

/** Runs `leg` and notes the window it ran in. */
async function timed<T>(windows: Array<[number, number]>, leg: () => Promise<T>): Promise<T> {
  const start = nowUs();
  try {
    return await leg();
  } finally {
    windows.push([start, nowUs()]);
  }
}

/**
 * One client count: a fresh database with `clients` coaches, the sync server in its own
 * process (the echo server runs in another, shared by all rows), and `rounds` rounds of
 * [server, echo, storage floor] in a rotating order so that machine noise hits all three.
 */
async function scalingRow(
  dir: string,
  echoStarting: Promise<Proc>,
  clients: number,
  batchSize: number,
  batchesPerRound: number,
  rounds: number,
  profileDir?: string,
): Promise<ScalingRow> {
  const dbFile = join(dir, `server-${clients}.db`);
  const db = openServerDb(dbFile);
  const tokens = db.transaction(() => Array.from({ length: clients }, (_, i) => addCoach(db, `Coach ${i}`).token))();
  db.close();
  const [server, echo] = await Promise.all([startServerProcess(dbFile, { env: profileEnv(profileDir, `server-${clients}`) }), echoStarting]);
  const storage = openStorageFloor(join(dir, `floor-${clients}.db`));
  const serverRounds: LoadRound[] = [];
  const echoRounds: LoadRound[] = [];
  const storageRounds: LoadRound[] = [];
  const serverWindows: Array<[number, number]> = [];
  const echoWindows: Array<[number, number]> = [];
  let warmOps = 0;
  let serverCpuMs: number | undefined = 0;
  try {
    const conns = await connectAll(server.url, tokens, false);
    const echoConns = await connectAll(echo.url, tokens, true);
    // Untimed warm-up (about 2,000 ops) so the first timed round does not pay for the JIT.
    const k = Math.min(clients, Math.ceil(2000 / batchSize));
    const warm = makeWork(conns.slice(0, k), Math.ceil(2000 / (k * batchSize)), batchSize);
    warmOps = (await loadRound(conns.slice(0, k), warm, batchSize, batchSize, isAck)).ops;
    await loadRound(echoConns.slice(0, k), warm, batchSize, 1, () => true);
    for (let r = 0; r < rounds; r++) {
      const work = makeWork(conns, batchesPerRound, batchSize);
      const legs = [
        async () => {
          const before = cpuMsOf(server.child.pid);
          serverRounds.push(await timed(serverWindows, () => loadRound(conns, work, batchSize, batchSize, isAck)));
          const after = cpuMsOf(server.child.pid);
          serverCpuMs = before === undefined || after === undefined || serverCpuMs === undefined ? undefined : serverCpuMs + after - before;
        },
        async () => echoRounds.push(await timed(echoWindows, () => loadRound(echoConns, work, batchSize, 1, () => true))),
        async () => storageRounds.push(storage.round(work, batchSize)),
      ];
      for (let i = 0; i < legs.length; i++) await legs[(i + r) % legs.length]!();
    }
    await closeAll(echoConns);
    await closeAll(conns);
  } finally {
    storage.close();
    await server.stop();
  }
  const check = new Database(dbFile, { readonly: true });
  const rows = check.prepare(`SELECT count(*) FROM canonical_rows WHERE entity = 'exercise'`).pluck().get() as number;
  const applied = check.prepare(`SELECT count(*) FROM ledger WHERE ack LIKE '%"status":"applied"%'`).pluck().get() as number;
  check.close();
  const s = total(serverRounds);
  const row: ScalingRow = {
    clients,
    batchSize,
    batchesPerRound,
    rounds,
    server: s,
    network: total(echoRounds),
    storage: total(storageRounds),
    verified: { rows, applied, ok: rows === s.ops + warmOps && applied === s.ops + warmOps },
  };
  if (serverCpuMs !== undefined) row.serverCpuUsPerOp = (serverCpuMs * 1000) / s.ops;
  if (profileDir) row.profile = profiledPair(profileDir, `server-${clients}`, server.child.pid, serverWindows, echo.pid, echoWindows);
  return row;
}

/** Where the profiled server and echo processes wrote their profiles, and the measured windows in them. */
function profiledPair(dir: string, serverName: string, serverPid: number | undefined, serverWindows: Array<[number, number]>, echoPid: number | undefined, echoWindows: Array<[number, number]>) {
  return {
    server: { file: join(dir, `${serverName}-${serverPid}.cpuprofile`), windowsUs: serverWindows },
    echo: { file: join(dir, `echo-${echoPid}.cpuprofile`), windowsUs: echoWindows },
  };
}

// ---------------------------------------------------------------------------------------------
// Fan-out
// ---------------------------------------------------------------------------------------------

export interface FanOutResult {
  trainees: number;
  patches: number;
  /** Send of the coach's patch to the `changes` frame arriving on each trainee connection. */
  receiptMs: Summary & { max: number };
  /** Per patch, send to the last trainee's receipt (p50 and p99 over patches). */
  allReachedMs: Summary;
  /** Send of the patch to the coach's ack. */
  coachAckMs: Summary;
  /** The same measurement with the bare ws server forwarding one frame of the same size to everyone. */
  floorMs: Summary & { max: number };
  /** Every receipt carried the new name. */
  ok: boolean;
  /** With `profileDir`: the server's profile and the window of the renames. */
  profile?: { server: ProfiledProcess; echo: ProfiledProcess };
}

/**
 * Seeds one coach with `trainees` trainees, each with a program, a workout and a prescription
 * of the same exercise, straight through CanonicalStore before the server starts.
 */
function seedFanOut(dbFile: string, trainees: number): { coachToken: string; traineeTokens: string[]; exerciseId: string; version: number } {
  const db = openServerDb(dbFile);
  try {
    const coach = addCoach(db, 'Coach');
    const user: User = { id: coach.userId, role: 'coach', name: 'Coach', coachId: null };
    const store = new CanonicalStore(db);
    const clientId = randomUUID();
    const coachId = coach.userId;
    let seq = 1;
    const ops: Array<Record<string, unknown> & { key: string; seq: number }> = [];
    const op = (entity: string, id: string, fields: Record<string, unknown>) =>
      ops.push({ key: newId(), seq: seq++, at: new Date().toISOString(), entity, id, action: 'put', fields, baseVersion: 0 });
    const exerciseId = newId();
    op('exercise', exerciseId, { coachId, name: 'Back squat', category: 'squat' });
    const traineeIds: string[] = [];
    for (let i = 0; i < trainees; i++) {
      const traineeId = newId();
      const programId = newId();
      const workoutId = newId();
      traineeIds.push(traineeId);
      op('trainee', traineeId, { coachId, name: `Trainee ${i}` });
      op('program', programId, { coachId, traineeId, name: 'Strength block', weeks: 4, startDate: '2026-01-05' });
      op('workout', workoutId, { programId, week: 1, day: 1, title: 'Day 1' });
      op('prescription', newId(), { workoutId, exerciseId, position: 1, sets: 5, reps: '5', load: 100, loadUnit: 'kg', restSec: 180 });
    }
    for (let i = 0; i < ops.length; i += 500) {
      const outcome = store.push(user, clientId, ops.slice(i, i + 500), Date.now());
      const bad = outcome.acks.find((a) => a.status !== 'applied');
      if (bad) throw new Error(`fan-out seeding: ${bad.status} ${bad.reason ?? ''} ${bad.message ?? ''}`);
    }
    const version = store.currentVersion;
    const traineeTokens = db.transaction(() => traineeIds.map((id) => addTraineeToken(db, id).token))();
    return { coachToken: coach.token, traineeTokens, exerciseId, version };
  } finally {
    db.close();
  }
}

export interface FanOutSamples {
  receipts: number[];
  /** Per patch: the last receipt, i.e. the time until every receiver had it. */
  last: number[];
  acks: number[];
  ok: boolean;
}

function add(to: FanOutSamples, from: FanOutSamples): void {
  to.receipts.push(...from.receipts);
  to.last.push(...from.last);
  to.acks.push(...from.acks);
  to.ok &&= from.ok;
}

/** Sends `patches` frames from `sender` and times each until every receiver got its `changes` frame. */
export async function timeFanOut(
  sender: LoadClient,
  receivers: LoadClient[],
  patches: number,
  frame: (i: number) => string,
  senderDone: ((data: WebSocket.RawData) => boolean) | undefined,
  isReceipt: (data: WebSocket.RawData) => boolean,
  check: (data: WebSocket.RawData) => boolean,
): Promise<FanOutSamples> {
  const receipts: number[] = [];
  const last: number[] = [];
  const acks: number[] = [];
  let ok = true;
  for (let i = 0; i < patches; i++) {
    let got = 0;
    let acked = senderDone === undefined;
    let sentAt = 0n;
    await new Promise<void>((resolve, reject) => {
      const stuck = setTimeout(() => {
        detach();
        reject(new Error(`fan-out: after 10 s, ${got} of ${receivers.length} receipts${acked ? '' : ' and no ack'}`));
      }, 10_000);
      const detach = () => {
        clearTimeout(stuck);
        for (const r of receivers) r.ws.off('message', onReceipt);
        sender.ws.off('message', onAck);
      };
      const finish = () => {
        if (got < receivers.length || !acked) return;
        detach();
        last.push(receipts[receipts.length - 1]!);
        resolve();
      };
      const onReceipt = (data: WebSocket.RawData) => {
        if (!isReceipt(data)) return;
        receipts.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
        if (!check(data)) ok = false;
        got++;
        finish();
      };
      const onAck = (data: WebSocket.RawData) => {
        if (!senderDone?.(data)) return;
        acks.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
        acked = true;
        finish();
      };
      for (const r of receivers) r.ws.on('message', onReceipt);
      sender.ws.on('message', onAck);
      sentAt = process.hrtime.bigint();
      sender.ws.send(frame(i));
    });
    // Let the trailing `synced` frames drain before the next patch.
    await new Promise((r) => setTimeout(r, 20));
  }
  return { receipts, last, acks, ok };
}

const WARM_PATCHES = 2;
/** Renames timed in a row before the floor takes its turn. */
const FANOUT_BLOCK = 5;

export const withMax = (samples: number[]) => ({ ...summarize(samples), max: samples.reduce((a, b) => Math.max(a, b), 0) });

async function fanOut(dir: string, echo: Proc, trainees: number, patches: number, profileDir?: string): Promise<FanOutResult> {
  const dbFile = join(dir, `fanout-${trainees}.db`);
  const seed = seedFanOut(dbFile, trainees);
  const server = await startServerProcess(dbFile, { env: profileEnv(profileDir, `fanout-${trainees}`) });
  const serverWindows: Array<[number, number]> = [];
  const echoWindows: Array<[number, number]> = [];
  let result: FanOutResult;
  try {
    const [coach] = await connectAll(server.url, [seed.coachToken], false);
    const receivers = await connectAll(server.url, seed.traineeTokens, false);
    let version = seed.version;
    let renames = 0;
    let name = '';
    let sampleFrame = '';
    const rename = () => {
      name = `Back squat (high bar) v${++renames}`;
      const op = { key: newId(), seq: coach!.nextSeq++, at: new Date().toISOString(), entity: 'exercise', id: seed.exerciseId };
      return JSON.stringify({ type: 'push', ops: [{ ...op, action: 'patch', fields: { name }, baseVersion: version }] });
    };
    const coachAcked = (data: WebSocket.RawData) => {
      if (!isAck(data)) return false;
      version = (JSON.parse(data.toString()) as { version: number }).version;
      return true;
    };
    const carriesName = (data: WebSocket.RawData) => {
      const text = data.toString();
      sampleFrame ||= text;
      return text.includes(JSON.stringify(name));
    };
    // One rename to learn the size of the frame a trainee gets, for the floor's frames.
    await timeFanOut(coach!, receivers, 1, rename, coachAcked, isChanges, carriesName);
    // The floor: the bare ws server forwards one frame of the same size to as many connections.
    const [sender, ...echoReceivers] = await connectAll(echo.url, Array.from({ length: trainees + 1 }, () => 'x'), true);
    const forward = (i: number) => `{"type":"fanout","i":${i},"pad":"${'x'.repeat(Math.max(0, sampleFrame.length - 40))}"}`;
    // Two untimed rounds first, so the timed ones do not pay for the JIT; then blocks of the
    // real fan-out and of the floor in turn, so that machine noise hits both.
    await timeFanOut(coach!, receivers, WARM_PATCHES, rename, coachAcked, isChanges, carriesName);
    await timeFanOut(sender!, echoReceivers, WARM_PATCHES, forward, undefined, () => true, () => true);
    const real: FanOutSamples = { receipts: [], last: [], acks: [], ok: true };
    const floor: FanOutSamples = { receipts: [], last: [], acks: [], ok: true };
    for (let done = 0; done < patches; done += FANOUT_BLOCK) {
      const n = Math.min(FANOUT_BLOCK, patches - done);
      add(real, await timed(serverWindows, () => timeFanOut(coach!, receivers, n, rename, coachAcked, isChanges, carriesName)));
      add(floor, await timed(echoWindows, () => timeFanOut(sender!, echoReceivers, n, forward, undefined, () => true, () => true)));
    }
    await closeAll([coach!, ...receivers, sender!, ...echoReceivers]);
    result = {
      trainees,
      patches,
      receiptMs: withMax(real.receipts),
      allReachedMs: summarize(real.last),
      coachAckMs: summarize(real.acks),
      floorMs: withMax(floor.receipts),
      ok: real.ok && real.receipts.length === trainees * patches,
    };
  } finally {
    await server.stop();
  }
  if (profileDir) result.profile = profiledPair(profileDir, `fanout-${trainees}`, server.child.pid, serverWindows, echo.pid, echoWindows);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

export interface ServerScalingResult {
  quick: boolean;
  rows: ScalingRow[];
  /** Left out when only some rows were asked for (profiling one row). */
  fanOut?: FanOutResult;
  /** floorShare: the server's acked ops/s as a share of the same row's SQLite floor. */
  targets: { opsPerSec: number; fanOutP99Ms: number; floorShare: number };
  /** 1-minute load average of the machine before and after: other work on a 2-core machine moves these figures a lot. */
  loadAverage: { before: number; after: number };
  /** The same workload on PostgreSQL with one and two nodes (bench/server-postgres.ts). */
  postgres: PostgresBenchResult | { skipped: string };
}

/** Clients, ops per push, pushes per client per round, rounds. */
const PLAN = {
  quick: [
    [1, 500, 6, 2],
    [10, 500, 2, 2],
    [100, 100, 1, 2],
  ],
  full: [
    [1, 500, 30, 3],
    [10, 500, 4, 3],
    [100, 100, 4, 3],
    [1000, 20, 4, 3],
  ],
} as const;

/**
 * Acked ops/s of the sync server (in its own process) with 1 to 1,000 connected coaches, next to
 * its two floors measured in the same run with the same clients and batches: a bare ws echo
 * server (network) and a bare batched durable SQLite insert (storage). Then the fan-out of one
 * coach's exercise edit to every connected trainee who has it in a program.
 *
 * `profileDir`: the server and echo processes write V8 CPU profiles there (server-N-PID.cpuprofile,
 * fanout-N-PID…, echo-PID…) when they exit; each row says which file and time windows are its own.
 */
export async function benchServerScaling(
  dir: string,
  opts: { quick: boolean; profileDir?: string; /** Only these rows of the plan (by clients), without fan-out and PostgreSQL. */ clients?: number[] },
): Promise<ServerScalingResult> {
  const loadBefore = loadavg()[0]!;
  const rows: ScalingRow[] = [];
  // One echo server for the whole run (it keeps no state); it starts while the first sync server does.
  const echoStarting = startEchoProcess(profileEnv(opts.profileDir, 'echo'));
  let fan: FanOutResult | undefined;
  try {
    for (const [clients, batchSize, batches, rounds] of opts.quick ? PLAN.quick : PLAN.full) {
      if (opts.clients && !opts.clients.includes(clients)) continue;
      rows.push(await scalingRow(dir, echoStarting, clients, batchSize, batches, rounds, opts.profileDir));
    }
    const [trainees, patches] = opts.quick ? [100, 5] : [1000, 30];
    if (!opts.clients) fan = await fanOut(dir, await echoStarting, trainees, patches, opts.profileDir);
  } finally {
    await echoStarting.then((echo) => echo.stop()).catch(() => undefined);
  }
  const postgres = opts.clients ? { skipped: 'only some rows were asked for' } : await benchPostgres(dir, { quick: opts.quick });
  return {
    quick: opts.quick,
    rows,
    fanOut: fan,
    targets: { opsPerSec: 20_000, fanOutP99Ms: 50, floorShare: 0.5 },
    loadAverage: { before: loadBefore, after: loadavg()[0]! },
    postgres,
  };
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const pair = (s: Summary, digits = 1) => `${fmt(s.p50, digits)} / ${fmt(s.p99, digits)}`;

export function printServerScaling(r: ServerScalingResult): string[] {
  const lines = [
    'Server: acked ops/s next to its floors, measured interleaved in the same run (each client a coach pushing new',
    'rows, 2 pushes in flight; the server and a bare ws echo server each in their own process; ms: push to last ack,',
    'push to echo, one SQLite commit)',
    '  clients  batch   server ops/s  p50 / p99 ms   ws echo ops/s  p50 / p99 ms   SQLite rows/s  p50 / p99 ms   server/SQLite   server CPU µs/op',
  ];
  for (const row of r.rows) {
    lines.push(
      `  ${String(row.clients).padStart(7)}  ${String(row.batchSize).padStart(5)}  ${int(row.server.opsPerSec).padStart(13)}  ${pair(row.server.latencyMs, 0).padStart(12)}` +
        `  ${int(row.network.opsPerSec).padStart(14)}  ${pair(row.network.latencyMs).padStart(12)}  ${int(row.storage.opsPerSec).padStart(14)}  ${pair(row.storage.latencyMs, 2).padStart(12)}` +
        `  ${`${fmt((row.server.opsPerSec / row.storage.opsPerSec) * 100, 0)} %`.padStart(14)}` +
        `  ${(row.serverCpuUsPerOp === undefined ? '-' : fmt(row.serverCpuUsPerOp, 1)).padStart(17)}`,
    );
  }
  const perRow = r.rows.map((row) => `${row.clients}: ${row.rounds}×${row.batchesPerRound}`).join(', ');
  lines.push(
    `  pushes per client (rounds × pushes) ${perRow}; targets: ${int(r.targets.opsPerSec)} acked ops/s or more, and ${fmt(r.targets.floorShare * 100, 0)} % of the SQLite floor`,
  );
  for (const row of r.rows.filter((x) => !x.verified.ok)) {
    lines.push(`  WARNING ${row.clients} clients: ${row.server.ops} acks counted, but ${row.verified.rows} rows and ${row.verified.applied} applied ops in the database`);
  }
  for (const row of r.rows.filter((x) => x.server.resent > 0)) {
    lines.push(`  ${row.clients} clients: ${int(row.server.resent)} pushes were answered unavailable (or out of order behind one) and sent again`);
  }
  const f = r.fanOut;
  if (!f) return lines;
  lines.push(
    '',
    `Fan-out: a coach renames an exercise that ${int(f.trainees)} connected trainees have in their programs (${f.patches} renames), ms`,
    '  what                                   p50      p99      max',
    `  send to changes at each trainee   ${fmt(f.receiptMs.p50, 1).padStart(8)} ${fmt(f.receiptMs.p99, 1).padStart(8)} ${fmt(f.receiptMs.max, 1).padStart(8)}   (${int(f.receiptMs.n)} receipts; target p99 < ${r.targets.fanOutP99Ms} ms)`,
    `  send until all trainees have it   ${fmt(f.allReachedMs.p50, 1).padStart(8)} ${fmt(f.allReachedMs.p99, 1).padStart(8)}            (per rename: its last receipt)`,
    `  send to the coach's ack           ${fmt(f.coachAckMs.p50, 1).padStart(8)} ${fmt(f.coachAckMs.p99, 1).padStart(8)}`,
    `  floor: bare ws server forwarding  ${fmt(f.floorMs.p50, 1).padStart(8)} ${fmt(f.floorMs.p99, 1).padStart(8)} ${fmt(f.floorMs.max, 1).padStart(8)}`,
  );
  if (!f.ok) lines.push('  WARNING: some trainees did not receive the new name');
  lines.push(...printPostgres(r.postgres, r.rows));
  lines.push(`  machine load average (1 min) ${fmt(r.loadAverage.before, 2)} before, ${fmt(r.loadAverage.after, 2)} after, on ${cpus().length} cores`);
  return lines;
}

function printPostgres(pgResult: ServerScalingResult['postgres'], sqliteRows: ScalingRow[]): string[] {
  const lines = ['', 'The same pushes on PostgreSQL (nodes in their own processes on this machine, with PostgreSQL; clients alternate between nodes)'];
  if ('skipped' in pgResult) return [...lines, `  skipped: ${pgResult.skipped}`];
  lines.push('  clients  batch  store            acked ops/s  p50 / p99 ms   vs SQLite   pushes sent again');
  for (const row of pgResult.rows) {
    const sqlite = sqliteRows.find((x) => x.clients === row.clients);
    const ratio = sqlite ? `${fmt((row.server.opsPerSec / sqlite.server.opsPerSec) * 100, 0)} %` : '-';
    lines.push(
      `  ${String(row.clients).padStart(7)}  ${String(row.batchSize).padStart(5)}  ${`PostgreSQL, ${row.nodes} node${row.nodes > 1 ? 's' : ''}`.padEnd(16)} ${int(row.server.opsPerSec).padStart(11)}  ${pair(row.server.latencyMs, 0).padStart(12)}   ${ratio.padStart(7)}   ${int(row.server.resent).padStart(17)}` +
        (row.verified.ok ? '' : `   WARNING: ${row.verified.rows} rows, ${row.verified.applied} applied for ${row.server.ops} acks`),
    );
  }
  for (const f of pgResult.fanOut) {
    lines.push(
      `  fan-out to ${int(f.trainees)} trainees over ${f.nodes} node${f.nodes > 1 ? 's' : ''}: send to changes p50 ${fmt(f.receiptMs.p50, 1)} / p99 ${fmt(f.receiptMs.p99, 1)} / max ${fmt(f.receiptMs.max, 1)} ms; all reached p50 ${fmt(f.allReachedMs.p50, 1)} ms; coach's ack p50 ${fmt(f.coachAckMs.p50, 1)} ms${f.ok ? '' : '  WARNING: some receipts missing'}`,
    );
  }
  const n = pgResult.notify;
  lines.push(
    `  NOTIFY at commit (${int(n.transactions)} transactions of version lock + insert + bump, ${n.concurrency} at a time): ` +
      `${int(n.withoutNotify.perSec)}/s (p99 ${fmt(n.withoutNotify.p99Ms, 1)} ms) without, ${int(n.withNotify.perSec)}/s (p99 ${fmt(n.withNotify.p99Ms, 1)} ms) with the poke`,
  );
  return lines;
}
