// The PostgreSQL store's schema, users and tokens, invites and access, and the admin CLI on it.
// Every test makes its own database (coachdesk_t_<random>), dropped at the end. PostgreSQL is
// COACHDESK_TEST_POSTGRES (a URL of a database to connect to for CREATE DATABASE), by default
// postgres://postgres@127.0.0.1:5432/postgres; without it answering, the tests are skipped, unless
// COACHDESK_TEST_POSTGRES was set.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { hashInviteCode, SqliteAccessStore } from '../../server/access.ts';
import * as sqliteAuth from '../../server/auth.ts';
import { openServerDb, type Db } from '../../server/db.ts';
import { PgAccessStore, type AsyncAccessStore } from '../../server/pg/access.ts';
import * as pgAuth from '../../server/pg/auth.ts';
import { migratePg, openPgPool, PG_SCHEMA_VERSION, readinessPg, type PgQueryable } from '../../server/pg/schema.ts';
import { runServerCli } from '../e2e/support.ts';
import { tempDir } from '../helpers.ts';
import { createPgDatabase, PG_ADMIN_URL } from './pg-support.ts';

const ADMIN_URL = PG_ADMIN_URL;
const T = { timeout: 60_000 };
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);

const adminPool = new pg.Pool({ connectionString: ADMIN_URL, max: 2, connectionTimeoutMillis: 5000 });
adminPool.on('error', () => {});
const unavailable = await adminPool.query('SELECT 1').then(
  () => undefined,
  (error: Error) => `PostgreSQL at ${ADMIN_URL} does not answer (${error.message || (error as { code?: string }).code})`,
);
if (unavailable && process.env.COACHDESK_TEST_POSTGRES) throw new Error(unavailable);
if (unavailable) console.error(`\n*** SKIPPING the PostgreSQL admin tests: ${unavailable} ***\n`);
const PG = { ...T, skip: unavailable ?? false };

const tmp = tempDir('coachdesk-pg-admin-');
const databases: string[] = [];
const pools: pg.Pool[] = [];

after(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => {})));
  for (const name of databases) await adminPool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminPool.end();
  tmp.cleanup();
});

/** A new, empty database; its URL. */
async function freshDatabase(): Promise<string> {
  const { name, url } = await createPgDatabase();
  databases.push(name);
  return url;
}

function poolOn(url: string, max = 4): pg.Pool {
  const pool = openPgPool(url, { max });
  pools.push(pool);
  return pool;
}

/** A pool on a new database, migrated. */
async function migratedPool(max = 4): Promise<{ url: string; pool: pg.Pool }> {
  const url = await freshDatabase();
  const pool = poolOn(url, max);
  await migratePg(pool);
  return { url, pool };
}

/** A trainee row as the coach's sync would store it (only what auth and access read). */
const TRAINEE_SQL = `INSERT INTO canonical_rows (entity, id, version, deleted, fields, by, meta, coach_id, trainee_id)
  VALUES ('trainee', $1, 1, $2, $3, $4, '{}', $4, $1)
  ON CONFLICT (entity, id) DO UPDATE SET deleted = excluded.deleted, fields = excluded.fields, coach_id = excluded.coach_id`;
interface TraineeRow {
  id: string;
  coachId: string;
  name?: string;
  deleted?: boolean;
}
const traineeParams = (t: TraineeRow) => [t.id, t.deleted ? 1 : 0, JSON.stringify({ name: t.name ?? 'Ben' }), t.coachId];
const putPgTrainee = (db: PgQueryable, t: TraineeRow) => db.query(TRAINEE_SQL, traineeParams(t)).then(() => undefined);
const putSqliteTrainee = (db: Db, t: TraineeRow) =>
  void db.prepare(TRAINEE_SQL.replace(/\$(\d)/g, '@p$1')).run(Object.fromEntries(traineeParams(t).map((v, i) => [`p${i + 1}`, v])));

/** Resolves once a connection to the pool's database waits for a lock (so the interleaving under test really happened). */
async function someoneWaitsForLock(pool: pg.Pool): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await pool.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no connection ever waited for a lock');
}

/** schema_migrations of a database migrated to this code's schema: one row per migration. */
const everyVersion = () => Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => ({ version: i + 1 }));

describe('PostgreSQL schema', () => {
  test('migratePg creates the tables, columns and indexes of the SQLite schema, BIGINT versions, server_meta version 0', PG, async () => {
    const url = await freshDatabase();
    const pool = poolOn(url);
    assert.match((await readinessPg(pool))!, /has schema 0, this server runs schema \d+: not migrated/);
    await migratePg(pool);
    assert.equal(await readinessPg(pool), undefined);

    const lite = openServerDb(join(tmp.dir, `schema-${randomUUID()}.db`));
    try {
      const liteTables = lite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
      const pgTables = (await pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)).rows.map((r) => r.table_name);
      assert.deepEqual(pgTables, [...liteTables, 'schema_migrations'].sort());
      for (const table of liteTables) {
        const liteColumns = (lite.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string; notnull: number; pk: number }>).map((c) => [c.name, c.notnull === 1 || c.pk > 0]);
        const { rows } = await pool.query(
          `SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        );
        assert.deepEqual(rows.map((r) => [r.column_name, r.is_nullable === 'NO']), liteColumns, `columns of ${table}`);
      }
      // Every index SQLite has, on the same columns, partial where SQLite's is.
      const liteIndexes = (lite.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).all() as Array<{ name: string; sql: string }>).map(
        (i) => [i.name, (lite.prepare(`PRAGMA index_info(${i.name})`).all() as Array<{ name: string }>).map((c) => c.name), / WHERE /.test(i.sql)],
      );
      const { rows: pgIndexes } = await pool.query(
        `SELECT c.relname AS name, array_agg(a.attname::text ORDER BY k.ord) AS columns, ix.indpred IS NOT NULL AS partial
         FROM pg_index ix JOIN pg_class c ON c.oid = ix.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
         WHERE n.nspname = 'public' AND NOT ix.indisprimary AND NOT ix.indisunique
         GROUP BY c.relname, ix.indpred ORDER BY c.relname`,
      );
      assert.deepEqual(pgIndexes.map((i) => [i.name, i.columns, i.partial]), liteIndexes);
    } finally {
      lite.close();
    }

    const { rows: bigints } = await pool.query(
      `SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'bigint' ORDER BY 1`,
    );
    assert.deepEqual(bigints.map((r) => r.c), ['canonical_rows.version', 'clients.next_seq', 'clients.pruned_seq', 'ledger.seq', 'ledger.stored_at', 'scope_exits.version']);
    assert.deepEqual((await pool.query(`SELECT key, value FROM server_meta`)).rows, [{ key: 'version', value: '0' }]);
    assert.deepEqual((await pool.query(`SELECT version FROM schema_migrations ORDER BY version`)).rows, everyVersion());
    // BIGINT comes back as a number.
    await pool.query(`INSERT INTO clients (user_id, client_id, next_seq, last_seen) VALUES ('u', 'c', $1, 'x')`, [2 ** 40]);
    assert.deepEqual((await pool.query(`SELECT next_seq, pruned_seq FROM clients`)).rows, [{ next_seq: 2 ** 40, pruned_seq: 0 }]);
  });

  test('a second migratePg changes nothing', PG, async () => {
    const { pool } = await migratedPool();
    const before = (await pool.query(`SELECT version, applied_at FROM schema_migrations`)).rows;
    await pool.query(`UPDATE server_meta SET value = '42' WHERE key = 'version'`);
    await pgAuth.addCoach(pool, 'Ana');
    await migratePg(pool);
    assert.deepEqual((await pool.query(`SELECT version, applied_at FROM schema_migrations`)).rows, before);
    assert.equal((await pool.query(`SELECT value FROM server_meta WHERE key = 'version'`)).rows[0].value, '42');
    assert.equal((await pool.query(`SELECT COUNT(*) AS n FROM users`)).rows[0].n, 1);
  });

  test('four nodes migrating a new database at once all succeed and leave one schema', PG, async () => {
    const url = await freshDatabase();
    const nodes = [1, 2, 3, 4].map(() => poolOn(url, 1));
    const outcomes = await Promise.allSettled(nodes.map((pool) => migratePg(pool)));
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'], JSON.stringify(outcomes));
    const pool = nodes[0]!;
    assert.deepEqual((await pool.query(`SELECT version FROM schema_migrations ORDER BY version`)).rows, everyVersion());
    assert.equal((await pool.query(`SELECT COUNT(*) AS n FROM server_meta`)).rows[0].n, 1);
    for (const node of nodes) assert.equal(await readinessPg(node), undefined);
  });

  test('a database with a newer schema is refused, by migratePg and by readinessPg', PG, async () => {
    const { url, pool } = await migratedPool();
    const name = new URL(url).pathname.slice(1);
    await pool.query(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())`, [PG_SCHEMA_VERSION + 1]);
    await assert.rejects(
      migratePg(pool),
      new RegExp(`PostgreSQL database ${name} has CoachDesk schema ${PG_SCHEMA_VERSION + 1}, newer than this server knows \\(${PG_SCHEMA_VERSION}\\)`),
    );
    assert.match((await readinessPg(pool))!, /newer than this server knows/);
    assert.equal((await pool.query(`SELECT COUNT(*) AS n FROM schema_migrations`)).rows[0].n, PG_SCHEMA_VERSION + 1);
  });

  test('schema 1 → 2: the ledger age index led by the install is replaced by one on stored_at, entries kept', PG, async () => {
    const { pool } = await migratedPool();
    // Back to schema 1's ledger index, as a database migrated before schema 2 has it.
    await pool.query(`DROP INDEX ledger_by_age; CREATE INDEX ledger_by_client_age ON ledger (user_id, client_id, stored_at)`);
    await pool.query(`DELETE FROM schema_migrations WHERE version > 1`);
    await pool.query(`INSERT INTO ledger (user_id, key, client_id, seq, hash, ack, stored_at) VALUES ('u', 'k', 'c', 1, 'h', '{}', 5)`);
    await migratePg(pool);
    const indexes = (await pool.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'ledger' AND indexname <> 'ledger_pkey' ORDER BY 1`)).rows.map((r) => r.indexname);
    assert.deepEqual(indexes, ['ledger_by_age']);
    assert.equal((await pool.query(`SELECT COUNT(*) AS n FROM ledger`)).rows[0].n, 1);
    assert.deepEqual((await pool.query(`SELECT version FROM schema_migrations ORDER BY version`)).rows, everyVersion());
  });

  test('readinessPg names a PostgreSQL that does not answer; openPgPool refuses other URLs', PG, async () => {
    const nowhere = poolOn('postgres://postgres@127.0.0.1:1/nothing');
    assert.match((await readinessPg(nowhere))!, /^PostgreSQL does not answer: .*ECONNREFUSED/);
    assert.throws(() => openPgPool('mysql://root:secret@db/coach'), /not a PostgreSQL URL \(postgres:\/\/ or postgresql:\/\/\): "mysql:\/\/root:\*\*\*@db\/coach"/);
    assert.throws(() => openPgPool('./sync.db'), /not a PostgreSQL URL/);
  });

  test('BIGINT values beyond 2^53 - 1 are an error, not a rounded number', PG, async () => {
    const { pool } = await migratedPool();
    const { rows } = await pool.query(`SELECT 9007199254740991::int8 AS max, (-9007199254740991)::int8 AS min, COUNT(*) AS n FROM users`);
    assert.deepEqual(rows, [{ max: Number.MAX_SAFE_INTEGER, min: -Number.MAX_SAFE_INTEGER, n: 0 }]);
    await assert.rejects(pool.query(`SELECT 9007199254740992::int8 AS v`), /BIGINT value 9007199254740992 .* beyond Number\.MAX_SAFE_INTEGER/);
    assert.equal((await pool.query(`SELECT 1::int8 AS v`)).rows[0].v, 1, 'the pool still works');
  });
});

describe('PostgreSQL users and tokens', () => {
  test('a coach token authenticates until revoked, by token or by user; bad input is named', PG, async () => {
    const { pool } = await migratedPool();
    const ana = await pgAuth.addCoach(pool, '  Ana ');
    assert.deepEqual(Object.keys(ana), ['userId', 'token']);
    assert.match(ana.token, /^cdt_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await pgAuth.authenticate(pool, ana.token), { id: ana.userId, role: 'coach', name: 'Ana', coachId: null });
    assert.equal(await pgAuth.authenticate(pool, `${ana.token}x`), undefined);
    assert.equal(await pgAuth.tokenIsLive(pool, sqliteAuth.hashToken(ana.token)), true);

    assert.equal(await pgAuth.revokeTokens(pool, { token: ana.token }), 1);
    assert.equal(await pgAuth.revokeTokens(pool, { token: ana.token }), 0);
    assert.equal(await pgAuth.authenticate(pool, ana.token), undefined);
    assert.equal(await pgAuth.tokenIsLive(pool, sqliteAuth.hashToken(ana.token)), false);

    const bo = await pgAuth.addCoach(pool, 'Bo');
    const bo2 = await pgAuth.addCoach(pool, 'Bo');
    assert.notEqual(bo.userId, bo2.userId);
    assert.equal(await pgAuth.revokeTokens(pool, { userId: bo.userId }), 1);
    assert.equal(await pgAuth.authenticate(pool, bo.token), undefined);
    assert.equal((await pgAuth.authenticate(pool, bo2.token))?.id, bo2.userId);

    await assert.rejects(pgAuth.addCoach(pool, '   '), /a coach needs a name \(--name\)/);
    await assert.rejects(pgAuth.revokeTokens(pool, {}), /say which token to revoke \(--token T or --user ID\)/);
  });

  test('a trainee token needs a live trainee row and authenticates as that trainee', PG, async () => {
    const { pool } = await migratedPool();
    const coach = await pgAuth.addCoach(pool, 'Ana');
    const traineeId = randomUUID();
    await assert.rejects(pgAuth.addTraineeToken(pool, traineeId), new RegExp(`no trainee with id ${traineeId}: the coach must create \\(and sync\\) the trainee first`));
    await putPgTrainee(pool, { id: traineeId, coachId: coach.userId, name: 'Ben' });
    const ben = await pgAuth.addTraineeToken(pool, traineeId);
    assert.equal(ben.userId, traineeId);
    assert.deepEqual(await pgAuth.authenticate(pool, ben.token), { id: traineeId, role: 'trainee', name: 'Ben', coachId: coach.userId });
    // A second token refreshes the user from the row; both work.
    await putPgTrainee(pool, { id: traineeId, coachId: coach.userId, name: 'Benny' });
    const ben2 = await pgAuth.addTraineeToken(pool, traineeId);
    assert.equal((await pgAuth.authenticate(pool, ben.token))?.name, 'Benny');
    assert.equal((await pgAuth.authenticate(pool, ben2.token))?.id, traineeId);
    await putPgTrainee(pool, { id: traineeId, coachId: coach.userId, deleted: true });
    await assert.rejects(pgAuth.addTraineeToken(pool, traineeId), new RegExp(`trainee ${traineeId} has been deleted`));
  });

  test("on a client, issueTraineeToken runs in the caller's transaction: rolled back, no token", PG, async () => {
    const { pool } = await migratedPool();
    const coach = await pgAuth.addCoach(pool, 'Ana');
    const traineeId = randomUUID();
    await putPgTrainee(pool, { id: traineeId, coachId: coach.userId });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const issued = await pgAuth.issueTraineeToken(client, traineeId);
      assert.equal((await pgAuth.authenticate(client, issued.token))?.id, traineeId);
      await client.query('ROLLBACK');
      assert.equal(await pgAuth.authenticate(pool, issued.token), undefined);
    } finally {
      client.release();
    }
  });
});

/** The same story of invites on a store; every answer, with random parts replaced by names. */
async function inviteStory(h: {
  access: AsyncAccessStore;
  addCoach(name: string): Promise<sqliteAuth.IssuedToken>;
  authenticate(token: string): Promise<sqliteAuth.User | undefined>;
  putTrainee(t: TraineeRow): Promise<void>;
}): Promise<Array<[string, unknown]>> {
  const log: Array<[string, unknown]> = [];
  const names = new Map<string, string>();
  const say = (what: string, value: unknown) =>
    log.push([
      what,
      JSON.parse(
        JSON.stringify(value ?? null, (_k, v: unknown) => {
          if (typeof v !== 'string') return v;
          if (names.has(v)) return names.get(v);
          if (v.startsWith('cdt_')) return '<token>';
          return /^[A-Za-z0-9_-]{24}$/.test(v) ? '<code>' : v;
        }),
      ),
    ]);
  const a = h.access;
  const ana = await h.addCoach('Ana');
  const bo = await h.addCoach('Bo');
  names.set(ana.userId, '<ana>').set(bo.userId, '<bo>');
  await h.putTrainee({ id: 't-1', coachId: ana.userId, name: 'Ben' });
  await h.putTrainee({ id: 't-2', coachId: ana.userId, name: 'Cy' });
  await h.putTrainee({ id: 't-3', coachId: bo.userId, name: 'Di' });
  await h.putTrainee({ id: 't-4', coachId: ana.userId, deleted: true });
  say('owner t-1', await a.traineeOwner('t-1'));
  say('owner t-4', await a.traineeOwner('t-4'));
  say('owner unknown', await a.traineeOwner('t-404'));
  say("invite another coach's trainee", await a.createInvite(ana.userId, 't-3', at(0)));
  say('invite a deleted trainee', await a.createInvite(ana.userId, 't-4', at(0)));
  say('invite an unknown trainee', await a.createInvite(ana.userId, 't-404', at(0)));
  const first = (await a.createInvite(ana.userId, 't-1', at(0)))!;
  say('invite t-1', first);
  say('list with it pending', await a.listAccess(ana.userId, at(1)));
  const joined = await a.redeemInvite(first.code, at(1000));
  say('redeem', joined);
  assert.ok(joined.ok);
  say('the joined token', await h.authenticate(joined.token));
  say('redeem again', await a.redeemInvite(first.code, at(2000)));
  say('redeem an unknown code', await a.redeemInvite('AAAAAAAAAAAAAAAAAAAAAAAA', at(2000)));
  const short = (await a.createInvite(ana.userId, 't-1', at(0), 60_000))!;
  say('redeem when it expires', await a.redeemInvite(short.code, at(60_000)));
  const lapsing = (await a.createInvite(ana.userId, 't-2', at(0)))!;
  await h.putTrainee({ id: 't-2', coachId: ana.userId, name: 'Cy', deleted: true });
  say('redeem for a deleted trainee', await a.redeemInvite(lapsing.code, at(3000)));
  await h.putTrainee({ id: 't-2', coachId: ana.userId, name: 'Cy' });
  const moving = (await a.createInvite(ana.userId, 't-2', at(0)))!;
  await h.putTrainee({ id: 't-2', coachId: bo.userId, name: 'Cy' });
  say("redeem for a trainee now another coach's", await a.redeemInvite(moving.code, at(3000)));
  await h.putTrainee({ id: 't-2', coachId: ana.userId, name: 'Cy' });
  await a.createInvite(ana.userId, 't-2', at(4000));
  const pending = (await a.createInvite(ana.userId, 't-1', at(4000)))!;
  await a.touchTokens([], at(4500));
  await a.touchTokens([sqliteAuth.hashToken(joined.token), 'not-a-hash'], at(5000));
  say('list', await a.listAccess(ana.userId, at(5000)));
  say('list of the other coach', await a.listAccess(bo.userId, at(5000)));
  say("revoke another coach's trainee", await a.revokeTraineeAccess(bo.userId, 't-1', at(6000)));
  say('revoke t-1', await a.revokeTraineeAccess(ana.userId, 't-1', at(6000)));
  say('the revoked token', await h.authenticate(joined.token));
  say('redeem a cancelled invite', await a.redeemInvite(pending.code, at(7000)));
  say('revoke a deleted trainee of the coach', await a.revokeTraineeAccess(ana.userId, 't-4', at(6000)));
  say('revoke an unknown trainee', await a.revokeTraineeAccess(ana.userId, 't-404', at(6000)));
  say('list after revoking', await a.listAccess(ana.userId, at(8000)));
  return log;
}

describe('PostgreSQL invites and access', () => {
  test('create, list, redeem, touch, revoke: the same answers as the SQLite store, refusals included', PG, async () => {
    const { pool } = await migratedPool();
    const onPg = await inviteStory({
      access: new PgAccessStore(pool),
      addCoach: (name) => pgAuth.addCoach(pool, name),
      authenticate: (token) => pgAuth.authenticate(pool, token),
      putTrainee: (t) => putPgTrainee(pool, t),
    });
    const lite = openServerDb(join(tmp.dir, `access-${randomUUID()}.db`));
    let onSqlite;
    try {
      const access = new SqliteAccessStore(lite);
      onSqlite = await inviteStory({
        access: {
          traineeOwner: async (...args) => access.traineeOwner(...args),
          createInvite: async (...args) => access.createInvite(...args),
          redeemInvite: async (...args) => access.redeemInvite(...args),
          listAccess: async (...args) => access.listAccess(...args),
          revokeTraineeAccess: async (...args) => access.revokeTraineeAccess(...args),
          touchTokens: async (...args) => access.touchTokens(...args),
        },
        addCoach: async (name) => sqliteAuth.addCoach(lite, name),
        authenticate: async (token) => sqliteAuth.authenticate(lite, token),
        putTrainee: async (t) => putSqliteTrainee(lite, t),
      });
    } finally {
      lite.close();
    }
    assert.deepEqual(onPg, onSqlite);
    // And what that story says, so that agreeing is not agreeing on nothing.
    const said = new Map(onPg);
    assert.deepEqual(said.get('owner t-1'), { coachId: '<ana>', deleted: false });
    assert.deepEqual(said.get('owner t-4'), { coachId: '<ana>', deleted: true });
    assert.equal(said.get("invite another coach's trainee"), null);
    assert.deepEqual(said.get('invite t-1'), { code: '<code>', createdAt: at(0).toISOString(), expiresAt: new Date(T0 + 7 * 86_400_000).toISOString() });
    assert.deepEqual(said.get('list with it pending'), [
      { traineeId: 't-1', invite: { createdAt: at(0).toISOString(), expiresAt: new Date(T0 + 7 * 86_400_000).toISOString() }, devices: 0, lastSeenAt: null },
      { traineeId: 't-2', invite: null, devices: 0, lastSeenAt: null },
    ]);
    assert.deepEqual(said.get('redeem'), { ok: true, userId: 't-1', token: '<token>' });
    assert.deepEqual(said.get('the joined token'), { id: 't-1', role: 'trainee', name: 'Ben', coachId: '<ana>' });
    assert.deepEqual(said.get('redeem again'), { ok: false, reason: 'used' });
    assert.deepEqual(said.get('redeem an unknown code'), { ok: false, reason: 'unknown' });
    assert.deepEqual(said.get('redeem when it expires'), { ok: false, reason: 'expired' });
    assert.deepEqual(said.get('redeem for a deleted trainee'), { ok: false, reason: 'cancelled' });
    assert.deepEqual(said.get("redeem for a trainee now another coach's"), { ok: false, reason: 'cancelled' });
    assert.deepEqual(said.get('list'), [
      { traineeId: 't-1', invite: { createdAt: at(4000).toISOString(), expiresAt: new Date(T0 + 4000 + 7 * 86_400_000).toISOString() }, devices: 1, lastSeenAt: at(5000).toISOString() },
      { traineeId: 't-2', invite: { createdAt: at(4000).toISOString(), expiresAt: new Date(T0 + 4000 + 7 * 86_400_000).toISOString() }, devices: 0, lastSeenAt: null },
    ]);
    assert.deepEqual(said.get('list of the other coach'), [{ traineeId: 't-3', invite: null, devices: 0, lastSeenAt: null }]);
    assert.equal(said.get("revoke another coach's trainee"), null);
    assert.deepEqual(said.get('revoke t-1'), { revokedTokens: 1, cancelledInvites: 2 }, 'the pending invite and the short one, not yet expired');
    assert.equal(said.get('the revoked token'), null);
    assert.deepEqual(said.get('redeem a cancelled invite'), { ok: false, reason: 'cancelled' });
    assert.deepEqual(said.get('revoke a deleted trainee of the coach'), { revokedTokens: 0, cancelledInvites: 0 });
    assert.equal(said.get('revoke an unknown trainee'), null);
  });

  test('of two redemptions of one code on two connections, the second waits for the first and is refused as used', PG, async () => {
    const { pool } = await migratedPool();
    const coach = await pgAuth.addCoach(pool, 'Ana');
    await putPgTrainee(pool, { id: 't-1', coachId: coach.userId });
    const invite = (await new PgAccessStore(pool).createInvite(coach.userId, 't-1', at(0)))!;
    const [first, second] = [await pool.connect(), await pool.connect()];
    try {
      await first.query('BEGIN');
      await second.query('BEGIN');
      const won = await new PgAccessStore(first).redeemInvite(invite.code, at(1000));
      assert.equal(won.ok, true);
      const late = new PgAccessStore(second).redeemInvite(invite.code, at(1000));
      await someoneWaitsForLock(pool);
      await first.query('COMMIT');
      assert.deepEqual(await late, { ok: false, reason: 'used' });
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
    assert.equal((await pool.query(`SELECT COUNT(*) AS n FROM tokens WHERE user_id = 't-1'`)).rows[0].n, 1);
  });

  test('ten redemptions of one code at once through the pool: exactly one succeeds', PG, async () => {
    const { pool } = await migratedPool(10);
    const coach = await pgAuth.addCoach(pool, 'Ana');
    await putPgTrainee(pool, { id: 't-1', coachId: coach.userId });
    const store = new PgAccessStore(pool);
    for (let round = 0; round < 3; round++) {
      const invite = (await store.createInvite(coach.userId, 't-1', at(0)))!;
      const results = await Promise.all(Array.from({ length: 10 }, () => store.redeemInvite(invite.code, at(1000))));
      assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
      assert.deepEqual(results.filter((r) => !r.ok), Array(9).fill({ ok: false, reason: 'used' }));
    }
    assert.equal((await pool.query(`SELECT COUNT(*) AS n FROM tokens WHERE user_id = 't-1'`)).rows[0].n, 3);
  });

  test('a revocation that meets a redemption in flight waits for it and revokes the token it issued', PG, async () => {
    const { pool } = await migratedPool();
    const coach = await pgAuth.addCoach(pool, 'Ana');
    await putPgTrainee(pool, { id: 't-1', coachId: coach.userId });
    const store = new PgAccessStore(pool);
    const invite = (await store.createInvite(coach.userId, 't-1', at(0)))!;
    const joining = await pool.connect();
    let token: string;
    try {
      await joining.query('BEGIN');
      const joined = await new PgAccessStore(joining).redeemInvite(invite.code, at(1000));
      assert.ok(joined.ok);
      token = joined.token;
      const revoking = store.revokeTraineeAccess(coach.userId, 't-1', at(1500));
      await someoneWaitsForLock(pool);
      await joining.query('COMMIT');
      assert.deepEqual(await revoking, { revokedTokens: 1, cancelledInvites: 0 });
    } finally {
      joining.release();
    }
    assert.equal(await pgAuth.authenticate(pool, token), undefined);
    assert.equal((await pool.query(`SELECT used_at FROM invites WHERE code_hash = $1`, [hashInviteCode(invite.code)])).rows[0].used_at, at(1000).toISOString());
  });
});

describe('server CLI with --postgres', () => {
  /** Runs the CLI and parses the one JSON line it printed, insisting it exited 0. */
  async function cli(args: string[]): Promise<Record<string, unknown>> {
    const r = await runServerCli(args, 30_000);
    assert.equal(r.code, 0, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
    return r.json!;
  }
  const shape = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => [k, typeof v]);

  test('add-coach, add-trainee-token, invite and revoke-token print what they print with --db', PG, async () => {
    const url = await freshDatabase();
    const file = join(tmp.dir, `cli-${randomUUID()}.db`);
    const [onPg, onFile] = await Promise.all([cli(['add-coach', '--postgres', url, '--name', 'Ana']), cli(['add-coach', '--db', file, '--name', 'Ana'])]);
    assert.deepEqual(shape(onPg), shape(onFile));
    assert.deepEqual(shape(onPg), [['userId', 'string'], ['token', 'string']]);
    const pool = poolOn(url);
    assert.deepEqual(await pgAuth.authenticate(pool, onPg.token as string), { id: onPg.userId, role: 'coach', name: 'Ana', coachId: null });

    await putPgTrainee(pool, { id: 't-1', coachId: onPg.userId as string });
    const lite = openServerDb(file);
    putSqliteTrainee(lite, { id: 't-1', coachId: onFile.userId as string });
    lite.close();
    const [tokenPg, tokenFile, invitePg, inviteFile] = await Promise.all([
      cli(['add-trainee-token', '--postgres', url, '--trainee', 't-1']),
      cli(['add-trainee-token', '--db', file, '--trainee', 't-1']),
      cli(['invite', '--postgres', url, '--trainee', 't-1', '--base-url', 'https://coach.example.com/', '--coach', onPg.userId as string]),
      cli(['invite', '--db', file, '--trainee', 't-1', '--base-url', 'https://coach.example.com/']),
    ]);
    assert.deepEqual(shape(tokenPg), shape(tokenFile));
    assert.equal(tokenPg.userId, 't-1');
    assert.equal((await pgAuth.authenticate(pool, tokenPg.token as string))?.role, 'trainee');
    assert.deepEqual(shape(invitePg), shape(inviteFile));
    assert.deepEqual(shape(invitePg), [['code', 'string'], ['url', 'string'], ['expiresAt', 'string']]);
    assert.equal(invitePg.url, `https://coach.example.com/join#${invitePg.code}`);
    const joined = await new PgAccessStore(pool).redeemInvite(invitePg.code as string, new Date());
    assert.equal(joined.ok && joined.userId, 't-1');

    const [revokedPg, revokedFile, againPg] = await Promise.all([
      cli(['revoke-token', '--postgres', url, '--token', tokenPg.token as string]),
      cli(['revoke-token', '--db', file, '--user', 't-1']),
      cli(['revoke-token', '--postgres', url, '--user', 'nobody']),
    ]);
    assert.deepEqual(revokedPg, { revoked: 1 });
    assert.deepEqual(revokedFile, { revoked: 1 });
    assert.deepEqual(againPg, { revoked: 0 });
    assert.equal(await pgAuth.authenticate(pool, tokenPg.token as string), undefined);
  });

  test('errors: the store given twice or not at all, a URL that is not PostgreSQL, backup on PostgreSQL, an unknown trainee, no server', PG, async () => {
    const url = await freshDatabase();
    const file = join(tmp.dir, `never-${randomUUID()}.db`);
    const usage: Array<{ args: string[]; message: RegExp }> = [
      { args: ['add-coach', '--db', file, '--postgres', url, '--name', 'Ana'], message: /give --db FILE or --postgres URL, not both/ },
      { args: ['invite', '--trainee', 't-1'], message: /--db FILE or --postgres URL is required/ },
      { args: ['revoke-token', '--postgres', 'mysql://root:hunter2@db/coach', '--user', 'u'], message: /--postgres must be a postgres:\/\/ or postgresql:\/\/ URL, not "mysql:\/\/root:\*\*\*@db\/coach"/ },
      { args: ['add-trainee-token', '--postgres', file, '--trainee', 't-1'], message: /--postgres must be a postgres:\/\/ or postgresql:\/\/ URL, not ".*never-.*\.db"/ },
      { args: ['add-coach', '--postgres', url], message: /--name is required/ },
      { args: ['serve', '--postgres', 'mysql://root:hunter2@db/coach'], message: /--postgres must be a postgres:\/\/ or postgresql:\/\/ URL/ },
      { args: ['serve', '--db', file, '--postgres', url], message: /give --db FILE or --postgres URL, not both/ },
      { args: ['backup', '--postgres', url, '--to', join(tmp.dir, 'b.db')], message: /backup takes --db FILE only/ },
    ];
    const results = await Promise.all(usage.map((c) => runServerCli(c.args, 30_000)));
    results.forEach((r, i) => {
      const c = usage[i]!;
      assert.equal(r.code, 2, `${c.args.join(' ')} exited ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, c.message, c.args.join(' '));
      assert.doesNotMatch(r.stderr, /hunter2/);
      assert.equal(r.stdout, '');
    });
    assert.equal(existsSync(file), false);
    const pool = poolOn(url);
    assert.equal((await pool.query(`SELECT to_regclass('schema_migrations') AS t`)).rows[0].t, null, 'nothing was migrated');

    const [unknown, nowhere] = await Promise.all([
      runServerCli(['invite', '--postgres', url, '--trainee', 't-404'], 30_000),
      runServerCli(['add-coach', '--postgres', 'postgresql://postgres:hunter2@127.0.0.1:1/nothing', '--name', 'Ana'], 30_000),
    ]);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /^error: no trainee with id t-404: the coach must create \(and sync\) the trainee first$/m);
    assert.equal(nowhere.code, 1, nowhere.stderr);
    assert.match(nowhere.stderr, /^error: PostgreSQL at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nothing: .*ECONNREFUSED/m);
    assert.doesNotMatch(nowhere.stderr, /hunter2/);
    assert.equal(await readinessPg(pool), undefined, 'invite migrated the database first');
  });
});
