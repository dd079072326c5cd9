// Helpers for the client and end-to-end tests (test/helpers.ts is shared and left alone).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import type { Edit } from '../../sync/local-store.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import type { SyncEngine } from '../../sync/sync-engine.ts';
import type { Fields, Row, ServerMessage } from '../../protocol/index.ts';
import { id, type StoredRow } from '../helpers.ts';

/** The repository root (cwd for spawned CLIs). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

const children = new Set<ChildProcess>();

/** Kills every child this module spawned that is still running (for after() hooks). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
  /** SIGKILL (kill -9) and wait for the exit. */
  kill9(): Promise<Exit>;
}

function track(proc: ChildProcess): Child {
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  // 'close' comes after the exit and after the pipes are drained.
  const exited = new Promise<Exit>((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  void exited.then(() => children.delete(proc));
  return {
    proc,
    pid: proc.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return exited;
    },
  };
}

/** Spawns `node --import tsx <script> ...args` in the repo root. */
export function spawnTs(script: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(proc);
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
  /** The last line of stdout parsed as JSON, when it is JSON. */
  json: Record<string, unknown> | undefined;
}

/** Runs a CLI to completion, SIGKILLing it after `timeoutMs` (the result then says so). */
export async function runTs(script: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnTs(script, args, env);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  try {
    const exit = await child.exited;
    const stdout = child.stdout();
    const last = stdout.trim().split('\n').pop() ?? '';
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(last) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    if (exit.signal === 'SIGKILL' && exit.code === null) {
      throw new Error(`${script} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${child.stderr()}`);
    }
    return { ...exit, stdout, stderr: child.stderr(), json };
  } finally {
    clearTimeout(timer);
  }
}

export const runClient = (args: string[], timeoutMs = 30_000) => runTs('main/cli/client.ts', args, timeoutMs);
export const runServerCli = (args: string[], timeoutMs = 15_000) => runTs('server/cli.ts', args, timeoutMs);

export interface ServerProcess extends Child {
  url: string;
}

/** Starts `server/cli.ts serve --db FILE --port 0` and resolves with the URL it prints. */
export function spawnServer(file: string, env: Record<string, string> = {}, timeoutMs = 15_000): Promise<ServerProcess> {
  return spawnServeWith(['--db', file], env, timeoutMs);
}

/** Starts `server/cli.ts serve ...args --port 0` (say, `--postgres URL`) and resolves with the URL it prints. */
export async function spawnServeWith(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<ServerProcess> {
  const child = spawnTs('server/cli.ts', ['serve', ...args, '--port', '0'], env);
  const start = Date.now();
  for (;;) {
    const match = /listening (ws:\/\/127\.0\.0\.1:\d+\/sync)/.exec(child.stdout());
    if (match) return { ...child, url: match[1]! };
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`server exited before listening: ${child.stderr()}`);
    }
    if (Date.now() - start > timeoutMs) {
      await child.kill9();
      throw new Error(`server did not print its URL within ${timeoutMs} ms: ${child.stderr()}`);
    }
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves the promise, or rejects after `ms` naming `what`. */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading databases (read-only, beside the process that writes them)
// ---------------------------------------------------------------------------------------------

export function withDb<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    return read(db);
  } finally {
    db.close();
  }
}

/** A canonical row as the server stores it (the shape the store-neutral readers return too). */
export type CanonicalRow = StoredRow;

/** Canonical rows of the server database, optionally of one entity. */
export function serverRows(file: string, entity?: string): CanonicalRow[] {
  return withDb(file, (db) => {
    const rows = (
      entity
        ? db.prepare(`SELECT * FROM canonical_rows WHERE entity = ? ORDER BY version`).all(entity)
        : db.prepare(`SELECT * FROM canonical_rows ORDER BY version`).all()
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      entity: r.entity as string,
      id: r.id as string,
      version: r.version as number,
      deleted: r.deleted === 1,
      fields: JSON.parse(r.fields as string) as Fields,
      by: r.by as string,
      traineeId: (r.trainee_id as string | null) ?? null,
    }));
  });
}

export function serverRow(file: string, entity: string, rowId: string): CanonicalRow | undefined {
  return serverRows(file, entity).find((r) => r.id === rowId);
}

export function serverVersion(file: string): number {
  return withDb(file, (db) => Number((db.prepare(`SELECT value FROM server_meta WHERE key = 'version'`).get() as { value: string }).value));
}

export function ledgerCount(file: string, userId?: string): number {
  return withDb(file, (db) =>
    userId
      ? (db.prepare(`SELECT COUNT(*) FROM ledger WHERE user_id = ?`).pluck().get(userId) as number)
      : (db.prepare(`SELECT COUNT(*) FROM ledger`).pluck().get() as number),
  );
}

export function ledgerKeys(file: string, userId: string): Array<{ key: string; seq: number; clientId: string; ack: Record<string, unknown> }> {
  return withDb(file, (db) =>
    (db.prepare(`SELECT key, seq, client_id, ack FROM ledger WHERE user_id = ? ORDER BY seq`).all(userId) as Array<Record<string, unknown>>).map((r) => ({
      key: r.key as string,
      seq: r.seq as number,
      clientId: r.client_id as string,
      ack: JSON.parse(r.ack as string) as Record<string, unknown>,
    })),
  );
}

export function serverNextSeq(file: string, userId: string, clientId: string): number | undefined {
  return withDb(file, (db) => db.prepare(`SELECT next_seq FROM clients WHERE user_id = ? AND client_id = ?`).pluck().get(userId, clientId) as number | undefined);
}

/** Live set_log rows per session, as the server holds them. */
export function serverSetLogs(file: string, sessionId?: string): CanonicalRow[] {
  return serverRows(file, 'set_log').filter((r) => !r.deleted && (sessionId === undefined || r.fields.sessionId === sessionId));
}

export interface ReplicaRow {
  entity: string;
  id: string;
  version: number;
  deleted: boolean;
  fields: Fields;
  by: string;
}

/** The replica table of a client store (canonical rows as that client last heard them). */
export function replicaRows(store: LocalStore): ReplicaRow[] {
  return (store.db.prepare(`SELECT * FROM replica ORDER BY entity, id`).all() as Array<Record<string, unknown>>).map((r) => ({
    entity: r.entity as string,
    id: r.id as string,
    version: r.version as number,
    deleted: r.deleted === 1,
    fields: JSON.parse(r.fields as string) as Fields,
    by: r.by as string,
  }));
}

export function outboxCount(file: string): number {
  return withDb(file, (db) => db.prepare(`SELECT COUNT(*) FROM outbox`).pluck().get() as number);
}

export function clientMeta(file: string, key: string): string | undefined {
  return withDb(file, (db) => db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(key) as string | undefined);
}

// ---------------------------------------------------------------------------------------------
// A coach's world
// ---------------------------------------------------------------------------------------------

export interface World {
  coachId: string;
  traineeId: string;
  exerciseId: string;
  programId: string;
  workoutId: string;
  prescriptionId: string;
}

/** The edits a coach makes to set up one trainee with a program of one prescription. */
export function worldEdits(coachId: string, name = 'Ben'): { world: World; edits: Edit[] } {
  const world: World = { coachId, traineeId: id(), exerciseId: id(), programId: id(), workoutId: id(), prescriptionId: id() };
  const edits: Edit[] = [
    { entity: 'trainee', id: world.traineeId, action: 'put', fields: { coachId, name } },
    { entity: 'exercise', id: world.exerciseId, action: 'put', fields: { coachId, name: 'Back squat', category: 'legs' } },
    { entity: 'program', id: world.programId, action: 'put', fields: { coachId, traineeId: world.traineeId, name: 'Strength block', weeks: 4 } },
    { entity: 'workout', id: world.workoutId, action: 'put', fields: { programId: world.programId, week: 1, day: 1, title: 'Heavy day' } },
    {
      entity: 'prescription',
      id: world.prescriptionId,
      action: 'put',
      fields: { workoutId: world.workoutId, exerciseId: world.exerciseId, position: 1, sets: 3, reps: '5', load: 100, loadUnit: 'kg' },
    },
  ];
  return { world, edits };
}

/** Waits until the engine's outbox is empty and it is caught up; fails with its state if not. */
export async function idle(engine: SyncEngine, what: string, timeoutMs = 10_000): Promise<void> {
  const ok = await engine.whenIdle(timeoutMs);
  if (!ok) {
    const s = engine.getState();
    throw new Error(`${what}: not idle within ${timeoutMs} ms (connection ${s.connection}, pending ${s.pending}, error ${JSON.stringify(s.error)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy that can lose the server's answers (a lost ack, for real)
// ---------------------------------------------------------------------------------------------

export interface LossyProxy {
  url: string;
  /** While true, bytes from the server to the client are thrown away. */
  dropDownstream: boolean;
  /** Bytes thrown away so far. */
  dropped: number;
  /**
   * When set, at most this many more bytes from the client reach the server; the rest are thrown
   * away (a connection that dies in the middle of a frame).
   */
  upstreamBudget: number | undefined;
  /** Destroys every open connection through the proxy (both sides). */
  cut(): void;
  close(): Promise<void>;
}

export async function startLossyProxy(targetUrl: string): Promise<LossyProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (d: Buffer) => {
      if (proxy.upstreamBudget === undefined) return void upstream.write(d);
      const n = Math.min(proxy.upstreamBudget, d.length);
      proxy.upstreamBudget -= n;
      if (n > 0) upstream.write(d.subarray(0, n));
    });
    upstream.on('data', (d) => {
      if (proxy.dropDownstream) proxy.dropped += d.length;
      else client.write(d);
    });
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const proxy: LossyProxy = {
    url: `ws://127.0.0.1:${port}${target.pathname}`,
    dropDownstream: false,
    dropped: 0,
    upstreamBudget: undefined,
    cut() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    async close() {
      proxy.cut();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return proxy;
}

// ---------------------------------------------------------------------------------------------
// A raw protocol client, to send exactly the frames a test needs
// ---------------------------------------------------------------------------------------------

export interface RawClient {
  ws: WebSocket;
  received: ServerMessage[];
  send(message: unknown): void;
  /** Waits for the first message from `from` on that matches, and returns its index too. */
  next<T extends ServerMessage>(what: string, match: (m: ServerMessage) => boolean, from?: number, timeoutMs?: number): Promise<T>;
  /** Waits until `n` acks arrived after index `from`, and returns them. */
  acks(n: number, from?: number, timeoutMs?: number): Promise<Array<Extract<ServerMessage, { type: 'ack' }>>>;
  close(): Promise<void>;
}

export async function rawClient(url: string, hello: { token: string; clientId: string; lastVersion?: number }): Promise<RawClient> {
  const ws = new WebSocket(url);
  const received: ServerMessage[] = [];
  ws.on('message', (data) => received.push(JSON.parse(data.toString()) as ServerMessage));
  await within('raw client to connect', 5000, once(ws, 'open'));
  const client: RawClient = {
    ws,
    received,
    send: (m) => ws.send(JSON.stringify(m)),
    async next<T extends ServerMessage>(what: string, match: (m: ServerMessage) => boolean, from = 0, timeoutMs = 5000): Promise<T> {
      const start = Date.now();
      for (;;) {
        const found = received.slice(from).find(match);
        if (found) return found as T;
        if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(received.slice(from))}`);
        await sleep(5);
      }
    },
    async acks(n, from = 0, timeoutMs = 5000) {
      const start = Date.now();
      for (;;) {
        const acks = received.slice(from).filter((m) => m.type === 'ack') as Array<Extract<ServerMessage, { type: 'ack' }>>;
        if (acks.length >= n) return acks;
        if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${n} acks; got ${JSON.stringify(received.slice(from))}`);
        await sleep(5);
      }
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = once(ws, 'close');
      ws.terminate();
      await within('raw client to close', 5000, closed);
    },
  };
  client.send({ type: 'hello', protocol: 1, token: hello.token, clientId: hello.clientId, lastVersion: hello.lastVersion ?? 0 });
  await client.next('synced after hello', (m) => m.type === 'synced' || m.type === 'error');
  const first = received[0];
  if (first?.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(received)}`);
  return client;
}

/** Rows by `entity/id`, for comparisons. */
export function byKey<T extends { entity: string; id: string }>(rows: T[]): Map<string, T> {
  return new Map(rows.map((r) => [`${r.entity}/${r.id}`, r]));
}

export type { Row };

// ---------------------------------------------------------------------------------------------
// A coach with one trainee, set up over the network
// ---------------------------------------------------------------------------------------------

export interface Setup {
  world: World;
  coach: { store: LocalStore; engine: SyncEngine };
  coachToken: string;
  traineeToken: string;
}

/**
 * A coach (online through `coachUrl`, the server's URL unless given) creates trainee Ben with
 * a program, workout, prescription and exercise; Ben then gets a token.
 */
export async function setupWorld(
  srv: { url: string; newCoach(name?: string): Promise<{ userId: string; token: string }>; newTraineeToken(traineeId: string): Promise<{ userId: string; token: string }> },
  open: (url: string, token: string, name: string) => { store: LocalStore; engine: SyncEngine },
  coachUrl = srv.url,
): Promise<Setup> {
  const issued = await srv.newCoach('Ana');
  const coach = open(coachUrl, issued.token, 'coach');
  coach.engine.start();
  const { world, edits } = worldEdits(issued.userId);
  coach.engine.enqueueAll(edits);
  await idle(coach.engine, 'coach creating the world');
  const state = coach.engine.getState();
  if (state.failed.length) throw new Error(`setup edits were refused: ${JSON.stringify(state.failed)}`);
  const trainee = await srv.newTraineeToken(world.traineeId);
  if (trainee.userId !== world.traineeId) throw new Error('a trainee user id must be the trainee row id');
  return { world, coach, coachToken: issued.token, traineeToken: trainee.token };
}
