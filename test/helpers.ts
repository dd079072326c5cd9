import { openWebSocket } from '../main/sync/node-socket.ts';
import { openLocalStore } from './sync-db.ts';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fields } from '../protocol/index.ts';
import type { IssuedInvite } from '../server/access.ts';
import * as sqliteAuth from '../server/auth.ts';
import type { IssuedToken, User } from '../server/auth.ts';
import { CanonicalStore } from '../server/canonical-store.ts';
import { openServerDb, readServerVersion, type Db } from '../server/db.ts';
import { PgAccessStore } from '../server/pg/access.ts';
import * as pgAuth from '../server/pg/auth.ts';
import { PgCanonicalStore } from '../server/pg/canonical-store.ts';
import { PgServedStore } from '../server/pg/served-store.ts';
import type { PushOutcome, RawOp } from '../server/store-core.ts';
import { SyncServer, type SyncServerOptions } from '../server/sync-server.ts';
import { SyncEngine } from '../sync/sync-engine.ts';
import { freshPgDatabase } from './server/pg-support.ts';

export function tempDir(prefix = 'coachdesk-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// Which store the sync server of the server suites serves from: the embedded SQLite file by
// default, PostgreSQL (a fresh database on the local server, see server/pg-support.ts) with
// COACHDESK_SERVER_STORE=postgres. `npm test` runs the server suites on both (the files under
// test/server and test/e2e that start a server here); the other suites use the synchronous
// addCoach and addTraineeToken, and run on SQLite only.

export const SERVER_STORE: 'sqlite' | 'postgres' = process.env.COACHDESK_SERVER_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** For tests about the SQLite store itself (its file, its connection, its schema): skipped on PostgreSQL. */
export const onlySqlite: string | false = sqliteOnly('about the SQLite store itself');

/** The same, saying why the test is about SQLite. */
export function sqliteOnly(why: string): string | false {
  return SERVER_STORE === 'postgres' ? `SQLite only: ${why}` : false;
}

/** A canonical row as the server stores it. */
export interface StoredRow {
  entity: string;
  id: string;
  version: number;
  deleted: boolean;
  fields: Fields;
  by: string;
  traineeId: string | null;
}

/** An idempotency-ledger entry as the server stores it. */
export interface LedgerEntry {
  key: string;
  seq: number;
  clientId: string;
  ack: Record<string, unknown>;
}

/**
 * The server's store, whichever it is, for a test to set up and look at: everything here
 * answers asynchronously, the same on SQLite and on PostgreSQL. SQL given to `query` is written
 * with `?` placeholders and runs on either (the two schemas have the same tables and columns).
 */
export interface TestStore {
  readonly kind: 'sqlite' | 'postgres';
  /** The SQLite file (throws on PostgreSQL: such a test is `onlySqlite`). */
  readonly file: string;
  /** The open SQLite database (throws on PostgreSQL: such a test is `onlySqlite`). */
  readonly db: Db;
  /** How the server CLI is pointed at this store: `--db FILE` or `--postgres URL`. */
  readonly cliArgs: string[];
  /**
   * Options for a SyncServer serving this store: the open SQLite database (or, with
   * `ownConnection`, its file, which the server opens and closes itself), or a PgServedStore of
   * its own (a pool and a LISTEN connection, which the server closes).
   */
  serverOptions(opts?: { ownConnection?: boolean }): Pick<SyncServerOptions, 'db' | 'store'>;
  newCoach(name?: string): Promise<IssuedToken>;
  /** A token for a trainee whose trainee row exists (as `add-trainee-token` does). */
  newTraineeToken(traineeId: string): Promise<IssuedToken>;
  authenticate(token: string): Promise<User | undefined>;
  /** Revokes through a connection of its own, as the CLI does from another process. */
  revokeElsewhere(by: { token?: string; userId?: string }): Promise<number>;
  /** Pushes straight into the store, outside any connection. */
  push(user: User, clientId: string, ops: RawOp[], receivedAt?: number): Promise<PushOutcome>;
  createInvite(coachId: string, traineeId: string, now: Date): Promise<IssuedInvite | undefined>;
  /** The version of the last commit. */
  version(): Promise<number>;
  /** The seq the store expects next from an install (1 for one it does not know). */
  nextSeq(userId: string, clientId: string): Promise<number>;
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** The first column of the first row (undefined when there is none). */
  value<T = unknown>(sql: string, ...params: unknown[]): Promise<T>;
  /** `SELECT COUNT(*) FROM table [WHERE where]`. */
  count(table: string, where?: string, ...params: unknown[]): Promise<number>;
  /** Canonical rows in version order, optionally of one entity. */
  rows(entity?: string): Promise<StoredRow[]>;
  row(entity: string, id: string): Promise<StoredRow | undefined>;
  /** A user's ledger entries in seq order. */
  ledger(userId: string): Promise<LedgerEntry[]>;
  /** Everything the store holds, as bytes: the SQLite file and its WAL, or every PostgreSQL table's rows as text. */
  storedBytes(): Promise<Buffer>;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, ...`. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const storedRow = (r: Record<string, unknown>): StoredRow => ({
  entity: r.entity as string,
  id: r.id as string,
  version: Number(r.version),
  deleted: Number(r.deleted) === 1,
  fields: JSON.parse(r.fields as string) as Fields,
  by: r.by as string,
  traineeId: (r.trainee_id as string | null) ?? null,
});

/**
 * A store for a sync server of a test, in `dir` (SQLite) or in a fresh PostgreSQL database
 * (COACHDESK_SERVER_STORE=postgres). `canonical` gives the SQLite canonical store pushes go
 * through: a server's own, when one serves the file (it keeps the version in memory).
 */
export async function openTestStore(dir: string, canonical?: () => CanonicalStore | undefined): Promise<TestStore> {
  return SERVER_STORE === 'postgres' ? openPgTestStore() : openSqliteTestStore(dir, canonical);
}

function notOn(kind: string, what: string): never {
  throw new Error(`the test server serves ${kind}: it has no ${what} (a test that needs it is onlySqlite)`);
}

function openSqliteTestStore(dir: string, canonical: () => CanonicalStore | undefined = () => undefined): TestStore {
  const file = join(dir, `server-${randomUUID().slice(0, 8)}.db`);
  const db = openServerDb(file);
  // Not kept: a CanonicalStore holds the version in memory, and a server may have committed since.
  const store = () => canonical() ?? new CanonicalStore(db);
  const query = <T>(sql: string, ...params: unknown[]) => Promise.resolve(db.prepare(sql).all(...params) as T[]);
  const value = async <T>(sql: string, ...params: unknown[]) => (await query<Record<string, unknown>>(sql, ...params)).map((r) => Object.values(r)[0])[0] as T;
  return {
    kind: 'sqlite',
    file,
    db,
    cliArgs: ['--db', file],
    serverOptions: ({ ownConnection = false } = {}) => (ownConnection ? { db: file } : { db }),
    newCoach: async (name = 'Ana') => sqliteAuth.addCoach(db, name),
    newTraineeToken: async (traineeId) => sqliteAuth.addTraineeToken(db, traineeId),
    authenticate: async (token) => sqliteAuth.authenticate(db, token),
    async revokeElsewhere(by) {
      const other = openServerDb(file);
      try {
        return sqliteAuth.revokeTokens(other, by);
      } finally {
        other.close();
      }
    },
    push: async (user, clientId, ops, receivedAt = Date.now()) => store().push(user, clientId, ops, receivedAt),
    createInvite: async (coachId, traineeId, now) => store().createInvite(coachId, traineeId, now),
    version: async () => readServerVersion(db),
    nextSeq: async (userId, clientId) => store().nextSeq(userId, clientId),
    query,
    value,
    count: (table, where, ...params) => value<number>(`SELECT COUNT(*) FROM ${table}${where ? ` WHERE ${where}` : ''}`, ...params),
    ...readers(query),
    storedBytes: async () => Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f))),
    close: async () => {
      if (db.open) db.close();
    },
  };
}

async function openPgTestStore(): Promise<TestStore> {
  const pg = await freshPgDatabase();
  const pool = pg.pool;
  const canonical = new PgCanonicalStore(pool);
  const query = async <T>(sql: string, ...params: unknown[]) => (await pool.query(numbered(sql), params)).rows as T[];
  const value = async <T>(sql: string, ...params: unknown[]) => (await query<Record<string, unknown>>(sql, ...params)).map((r) => Object.values(r)[0])[0] as T;
  return {
    kind: 'postgres',
    get file(): string {
      return notOn('PostgreSQL', 'SQLite file');
    },
    get db(): Db {
      return notOn('PostgreSQL', 'SQLite database');
    },
    cliArgs: ['--postgres', pg.url],
    // A node's pool and LISTEN connection of its own, as `serve --postgres` makes; the server closes them.
    serverOptions: () => ({ store: new PgServedStore(pg.pool2(4), pg.url) }),
    newCoach: (name = 'Ana') => pgAuth.addCoach(pool, name),
    newTraineeToken: (traineeId) => pgAuth.addTraineeToken(pool, traineeId),
    authenticate: (token) => pgAuth.authenticate(pool, token),
    revokeElsewhere: (by) => pgAuth.revokeTokens(pool, by),
    push: (user, clientId, ops, receivedAt = Date.now()) => canonical.push(user, clientId, ops, receivedAt),
    createInvite: (coachId, traineeId, now) => new PgAccessStore(pool).createInvite(coachId, traineeId, now),
    version: () => canonical.currentVersion(),
    nextSeq: (userId, clientId) => canonical.nextSeq(userId, clientId),
    query,
    value,
    count: (table, where, ...params) => value<number>(`SELECT COUNT(*) FROM ${table}${where ? ` WHERE ${where}` : ''}`, ...params),
    ...readers(query),
    async storedBytes() {
      const tables = await query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
      const parts: string[] = [];
      for (const { name } of tables) for (const r of await query<{ t: string }>(`SELECT row_to_json(x)::text AS t FROM "${name}" x`)) parts.push(r.t);
      return Buffer.from(parts.join('\n'));
    },
    close: () => pg.drop(),
  };
}

function readers(query: <T>(sql: string, ...params: unknown[]) => Promise<T[]>) {
  const rows = async (entity?: string) =>
    (
      await (entity
        ? query<Record<string, unknown>>(`SELECT * FROM canonical_rows WHERE entity = ? ORDER BY version, entity, id`, entity)
        : query<Record<string, unknown>>(`SELECT * FROM canonical_rows ORDER BY version, entity, id`))
    ).map(storedRow);
  return {
    rows,
    async row(entity: string, id: string) {
      const found = await query<Record<string, unknown>>(`SELECT * FROM canonical_rows WHERE entity = ? AND id = ?`, entity, id);
      return found[0] && storedRow(found[0]);
    },
    async ledger(userId: string) {
      const found = await query<Record<string, unknown>>(`SELECT key, seq, client_id, ack FROM ledger WHERE user_id = ? ORDER BY seq`, userId);
      return found.map((r) => ({ key: r.key as string, seq: Number(r.seq), clientId: r.client_id as string, ack: JSON.parse(r.ack as string) as Record<string, unknown> }));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A sync server on port 0 over a TestStore.

export interface TestServer extends TestStore {
  /** The running server (a new one after restart()). */
  readonly server: SyncServer;
  url: string;
  port: number;
  /** SQLite only (synchronous, for the suites that run on SQLite alone); `newCoach` works on both. */
  addCoach(name?: string): { userId: string; token: string };
  /** SQLite only (synchronous); `newTraineeToken` works on both. */
  addTraineeToken(traineeId: string): { userId: string; token: string };
  /** Closes the server (its clients see it gone), keeping its database. */
  stop(): Promise<void>;
  /** A new server on the same port and database. */
  restart(): Promise<void>;
  /** Closes the server and the store (a PostgreSQL database is dropped). */
  close(): Promise<void>;
}

export async function startServer(dir: string, options: Partial<SyncServerOptions> = {}): Promise<TestServer> {
  let server: SyncServer | undefined;
  const store = await openTestStore(dir, () => server?.store);
  try {
    server = new SyncServer({ ...store.serverOptions(), port: 0, log: () => {}, ...options });
    await server.listen();
  } catch (error) {
    await server?.close().catch(() => {});
    await store.close();
    throw error;
  }
  const url = server.url;
  const port = Number(new URL(url).port);
  const stop = async () => {
    const s = server;
    server = undefined;
    await s?.close();
  };
  const own = {
    get server() {
      if (!server) throw new Error('the test server is stopped');
      return server;
    },
    url,
    port,
    addCoach(name = 'Ana') {
      if (store.kind !== 'sqlite') throw new Error('addCoach is synchronous, for SQLite only: use await srv.newCoach()');
      return sqliteAuth.addCoach(store.db, name);
    },
    addTraineeToken(traineeId: string) {
      if (store.kind !== 'sqlite') throw new Error('addTraineeToken is synchronous, for SQLite only: use await srv.newTraineeToken()');
      return sqliteAuth.addTraineeToken(store.db, traineeId);
    },
    stop,
    async restart() {
      const s = new SyncServer({ ...store.serverOptions(), log: () => {}, ...options, port });
      await s.listen();
      server = s;
    },
    async close() {
      await stop();
      await store.close();
    },
  };
  // The store's getters (file and db throw on PostgreSQL) are kept as getters, not read here.
  const handle = Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(store), ...Object.getOwnPropertyDescriptors(own) }) as TestServer;
  return handle;
}

export function openClient(dir: string, url: string, token: string, name = randomUUID().slice(0, 8)) {
  const store = openLocalStore(join(dir, `client-${name}.db`));
  const engine = new SyncEngine({ connect: openWebSocket,  store, url, token, backoff: { baseMs: 20, maxMs: 200 } });
  return { store, engine };
}

/** Waits until `check` holds (it may answer asynchronously, as a TestStore's readers do). */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const id = () => randomUUID();

/** What a phone does with an invite link: POST the code (after the #) to the server's /api/join. */
export async function joinWithCode(httpBase: string, code: string): Promise<{ status: number; body: { userId?: string; token?: string; error?: string; message?: string } & Record<string, unknown> }> {
  const res = await fetch(`${httpBase}/api/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: (await res.json()) as { userId?: string; token?: string } & Record<string, unknown> };
}
