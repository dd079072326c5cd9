// The canonical store on PostgreSQL, shared by several stateless server nodes. The push and
// catch-up logic is store-core.ts's, answered here with queries. Pushes from every node take
// one row lock (server_meta's version) for their transaction, so versions are handed out in
// commit order: a reader that saw version N has seen everything below it. A commit sends a
// NOTIFY poke with the new head version (never rows); each node re-reads what it needs.
import type pg from 'pg';
import type { Entity, Row } from '../../protocol/index.ts';
import type { User } from '../auth.ts';
import { encodeRowMeta } from '../row-meta.ts';
import {
  audience,
  type RowRecord,
  CatchUpPlan,
  highestPruned,
  LEDGER_PRUNE_BATCH,
  prunableBy,
  pushSteps,
  runAsync,
  toRecord,
  toWireRow,
  UnavailableError, type AgedEntry, type DbRow, type PushOutcome, type RawOp, type StoreRequest, type VersionClock } from '../store-core.ts';
import { inTransaction } from './schema.ts';

/** How long a push waits for the version lock (other nodes' pushes) before it gives up. */
const PUSH_LOCK_TIMEOUT_MS = 5000;

/** The channel of commit pokes: the payload is the new head version. */
export const POKE_CHANNEL = 'coachdesk_sync';

/** A catch-up read page by page from PostgreSQL. */
export interface AsyncCatchUpCursor {
  readonly version: number;
  next(limit: number): Promise<Row[]>;
}

/**
 * PostgreSQL failures that pass by themselves (the client tries again later): serialization
 * and deadlock, lock or statement timeouts, the server going away or refusing connections.
 */
export function isTransientPgError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return (
    code === '40001' ||
    code === '40P01' ||
    code === '55P03' ||
    code === '57014' ||
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code === '53300' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE'
  );
}

const SQL = {
  row: `SELECT * FROM canonical_rows WHERE entity = $1 AND id = $2`,
  children: `SELECT * FROM canonical_rows WHERE parent_id = $1 AND entity = $2 ORDER BY id`,
  exerciseTrainees: `SELECT trainee_id FROM canonical_rows WHERE ref_id = $1 AND entity = 'prescription' AND deleted = 0 AND trainee_id IS NOT NULL
    UNION SELECT trainee_id FROM canonical_rows WHERE ref_id = $1 AND entity = 'max' AND deleted = 0`,
  ledgerGet: `SELECT hash, ack FROM ledger WHERE user_id = $1 AND key = $2`,
  ledgerPut: `INSERT INTO ledger (user_id, key, client_id, seq, hash, ack, stored_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  ledgerTouch: `UPDATE ledger SET stored_at = GREATEST(stored_at, $1) WHERE user_id = $2 AND key = $3`,
  nextSeq: `SELECT next_seq FROM clients WHERE user_id = $1 AND client_id = $2`,
  prunedSeq: `SELECT pruned_seq FROM clients WHERE user_id = $1 AND client_id = $2`,
  clientPut: `INSERT INTO clients (user_id, client_id, next_seq, last_seen) VALUES ($1, $2, $3, $4)
    ON CONFLICT (user_id, client_id) DO UPDATE SET next_seq = excluded.next_seq, last_seen = excluded.last_seen`,
  putRow: `INSERT INTO canonical_rows (entity, id, version, deleted, fields, by, meta, coach_id, trainee_id, owner_id, parent_id, ref_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (entity, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, fields = excluded.fields,
      by = excluded.by, meta = excluded.meta, coach_id = excluded.coach_id, trainee_id = excluded.trainee_id,
      owner_id = excluded.owner_id, parent_id = excluded.parent_id, ref_id = excluded.ref_id`,
  relink: `UPDATE canonical_rows SET coach_id = $1, trainee_id = $2, version = $3 WHERE entity = $4 AND id = $5`,
  bump: `UPDATE canonical_rows SET version = $1 WHERE entity = $2 AND id = $3`,
  exitPut: `INSERT INTO scope_exits (user_id, version, entity, id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
  setVersion: `UPDATE server_meta SET value = $1 WHERE key = 'version'`,
  lockVersion: `SELECT value FROM server_meta WHERE key = 'version' FOR UPDATE`,
  readVersion: `SELECT value FROM server_meta WHERE key = 'version'`,
  poke: `SELECT pg_notify('${POKE_CHANNEL}', $1)`,
  ownRows: `SELECT entity, id, version, deleted, fields, by FROM canonical_rows WHERE owner_id = $1 AND version > $2 AND version <= $3`,
  traineeExercises: `SELECT entity, id, version, deleted, fields, by FROM canonical_rows WHERE entity = 'exercise' AND version > $2 AND version <= $3 AND id IN
    (SELECT ref_id FROM canonical_rows WHERE entity = 'prescription' AND trainee_id = $1 AND deleted = 0
     UNION SELECT ref_id FROM canonical_rows WHERE entity = 'max' AND trainee_id = $1 AND deleted = 0)`,
  exitsSince: `SELECT entity, id, MAX(version) AS version FROM scope_exits WHERE user_id = $1 AND version > $2 AND version <= $3 GROUP BY entity, id`,
} as const;

const scopePage = (column: 'coach_id' | 'trainee_id', after: boolean) =>
  `SELECT entity, id, version, deleted, fields, by FROM canonical_rows WHERE ${column} = $1 AND ` +
  (after ? `(version, entity, id) > ($2, $3, $4) AND version <= $5 ORDER BY version, entity, id LIMIT $6` : `version > $2 AND version <= $3 ORDER BY version, entity, id LIMIT $4`);

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * What one push transaction has read and not yet written, to save round trips (each query is
 * one, and a push of 500 ops made ~3,000 of them): rows and ledger entries of its ops read up
 * front in one query each, exercises' trainees once per exercise, and ledger entries written in
 * one insert at the end of each push.
 */
interface TxCache {
  rows: Map<string, RowRecord | undefined>;
  ledger: Map<string, { hash: string; ack: string } | undefined>;
  trainees: Map<string, string[]>;
  ledgerWrites: Array<Extract<StoreRequest, { op: 'ledgerPut' }>>;
}

const rowKey = (entity: string, id: string) => `${entity}\u0000${id}`;
const newCache = (): TxCache => ({ rows: new Map(), ledger: new Map(), trainees: new Map(), ledgerWrites: [] });

/** Runs a named (prepared once per connection) statement. */
function run<R extends pg.QueryResultRow = pg.QueryResultRow>(db: Queryable, name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  return db.query<R>({ name, text, values });
}

export class PgCanonicalStore {
  /** Where pruneLedger's walk by age stopped: the last entry it read. */
  private pruneWalk: AgedEntry | undefined;

  constructor(
    readonly pool: pg.Pool,
    private readonly onOpFailure: (error: unknown, where: string) => void = (error, where) => console.error(`${where} failed`, error),
  ) {}

  /** The head version: every version up to it is committed. */
  async currentVersion(): Promise<number> {
    const { rows } = await run<{ value: string }>(this.pool, 'readVersion', SQL.readVersion, []);
    return Number(rows[0]!.value);
  }

  async nextSeq(userId: string, clientId: string): Promise<number> {
    const { rows } = await run<{ next_seq: number }>(this.pool, 'nextSeq', SQL.nextSeq, [userId, clientId]);
    return rows[0]?.next_seq ?? 1;
  }

  /** Answers store-core's requests with queries on one connection (inside its transaction). */
  private answerer(db: Queryable, cache?: TxCache): (r: StoreRequest) => Promise<unknown> {
    let savepoints = 0;
    const answer = async (r: StoreRequest): Promise<unknown> => {
      switch (r.op) {
        case 'row': {
          const k = rowKey(r.entity, r.id);
          if (cache?.rows.has(k)) return cache.rows.get(k);
          const { rows } = await run<DbRow>(db, 'row', SQL.row, [r.entity, r.id]);
          const record = rows[0] && toRecord(rows[0]);
          cache?.rows.set(k, record);
          return record;
        }
        case 'children':
          return (await run<DbRow>(db, 'children', SQL.children, [r.parentId, r.entity])).rows.map(toRecord);
        case 'exerciseTrainees': {
          const known = cache?.trainees.get(r.exerciseId);
          if (known) return known;
          const trainees = (await run<{ trainee_id: string }>(db, 'exerciseTrainees', SQL.exerciseTrainees, [r.exerciseId])).rows.map((x) => x.trainee_id);
          cache?.trainees.set(r.exerciseId, trainees);
          return trainees;
        }
        case 'ledgerGet': {
          const k = rowKey(r.userId, r.key);
          if (cache?.ledger.has(k)) return cache.ledger.get(k);
          return (await run(db, 'ledgerGet', SQL.ledgerGet, [r.userId, r.key])).rows[0];
        }
        case 'ledgerPut':
          if (cache) {
            cache.ledger.set(rowKey(r.userId, r.key), { hash: r.hash, ack: r.ack });
            cache.ledgerWrites.push(r);
            return;
          }
          return void (await run(db, 'ledgerPut', SQL.ledgerPut, [r.userId, r.key, r.clientId, r.seq, r.hash, r.ack, r.storedAt]));
        case 'ledgerTouch':
          return void (await run(db, 'ledgerTouch', SQL.ledgerTouch, [r.storedAt, r.userId, r.key]));
        case 'nextSeq':
          return (await run<{ next_seq: number }>(db, 'nextSeq', SQL.nextSeq, [r.userId, r.clientId])).rows[0]?.next_seq ?? 1;
        case 'prunedSeq':
          return (await run<{ pruned_seq: number }>(db, 'prunedSeq', SQL.prunedSeq, [r.userId, r.clientId])).rows[0]?.pruned_seq ?? 0;
        case 'clientPut':
          return void (await run(db, 'clientPut', SQL.clientPut, [r.userId, r.clientId, r.nextSeq, r.lastSeen]));
        case 'putRow': {
          const w = r.row;
          cache?.rows.set(rowKey(w.entity, w.id), w);
          if (w.entity === 'prescription' || w.entity === 'max') cache?.trainees.clear();
          const values = [w.entity, w.id, w.version, w.deleted ? 1 : 0, JSON.stringify(w.fields), w.by, encodeRowMeta(w.meta), w.coachId, w.traineeId, w.ownerId, w.parentId, w.refId];
          return void (await run(db, 'putRow', SQL.putRow, values));
        }
        case 'relink': {
          const cached = cache?.rows.get(rowKey(r.entity, r.id));
          if (cached) Object.assign(cached, { coachId: r.coachId, traineeId: r.traineeId, version: r.version });
          if (r.entity === 'prescription' || r.entity === 'max') cache?.trainees.clear();
          return void (await run(db, 'relink', SQL.relink, [r.coachId, r.traineeId, r.version, r.entity, r.id]));
        }
        case 'bump': {
          const cached = cache?.rows.get(rowKey(r.entity, r.id));
          if (cached) cached.version = r.version;
          return void (await run(db, 'bump', SQL.bump, [r.version, r.entity, r.id]));
        }
        case 'exitPut':
          return void (await run(db, 'exitPut', SQL.exitPut, [r.userId, r.version, r.entity, r.id]));
        case 'setVersion':
          return void (await run(db, 'setVersion', SQL.setVersion, [String(r.version)]));
        case 'savepoint': {
          const name = `op_${++savepoints}`;
          await db.query(`SAVEPOINT ${name}`);
          try {
            const value = await runAsync(r.body(), answer);
            await db.query(`RELEASE SAVEPOINT ${name}`);
            return value;
          } catch (error) {
            await db.query(`ROLLBACK TO SAVEPOINT ${name}`);
            // What the op read or wrote is gone with it (its ledger entry is written outside).
            cache?.rows.clear();
            cache?.trainees.clear();
            throw error;
          }
        }
        case 'scopePage': {
          const name = `page_${r.column}_${r.after ? 'after' : 'first'}`;
          const values = r.after ? [r.userId, r.after.version, r.after.entity, r.after.id, r.upto, r.limit] : [r.userId, r.since, r.upto, r.limit];
          return (await run(db, name, scopePage(r.column, !!r.after), values)).rows;
        }
        case 'ownRows':
          return (await run(db, 'ownRows', SQL.ownRows, [r.userId, r.since, r.upto])).rows;
        case 'traineeExercises':
          return (await run(db, 'traineeExercises', SQL.traineeExercises, [r.traineeId, r.since, r.upto])).rows;
        case 'exitsSince':
          return (await run(db, 'exitsSince', SQL.exitsSince, [r.userId, r.since, r.upto])).rows;
      }
    };
    return answer;
  }

  /**
   * Several pushes in one transaction, each in a savepoint of its own, one commit (and one
   * poke) for all; the same contract as the SQLite store's pushGroup. A push that fails
   * unexpectedly is run again with a savepoint per op, so that op alone is rejected; one that
   * still fails gets its error in place of an outcome. A passing fault (UnavailableError) or a
   * failed commit applies none of them.
   */
  async pushGroup(pushes: Array<{ user: User; clientId: string; ops: RawOp[]; receivedAt: number }>, hooks: { beforeCommit?: () => Promise<void> } = {}): Promise<Array<PushOutcome | Error>> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new UnavailableError(`the database cannot be reached: ${(error as Error).message}`);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      // A push waits for the pushes of other nodes, not for ever: past this it is answered
      // `unavailable` (55P03) and its client sends it again.
      await client.query(`SET LOCAL lock_timeout = '${PUSH_LOCK_TIMEOUT_MS}ms'`);
      const { rows } = await run<{ value: string }>(client, 'lockVersion', SQL.lockVersion, []);
      const clock: VersionClock = { version: Number(rows[0]!.value) };
      const versionBefore = clock.version;
      const cache = newCache();
      const answer = this.answerer(client, cache);
      const results: Array<PushOutcome | Error> = [];
      for (const { user, clientId, ops, receivedAt } of pushes) {
        results.push(await this.pushOne(client, answer, cache, clock, user, clientId, ops, receivedAt));
      }
      if (clock.version !== versionBefore) await run(client, 'poke', SQL.poke, [String(clock.version)]);
      await hooks.beforeCommit?.();
      await client.query('COMMIT');
      return results;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      if (isTransientPgError(error) || error instanceof UnavailableError) {
        broken = true;
        throw error instanceof UnavailableError ? error : new UnavailableError((error as Error).message);
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async pushOne(
    client: pg.PoolClient,
    answer: (r: StoreRequest) => Promise<unknown>,
    cache: TxCache,
    clock: VersionClock,
    user: User,
    clientId: string,
    ops: RawOp[],
    receivedAt: number,
  ): Promise<PushOutcome | Error> {
    const versionBefore = clock.version;
    const attempt = async (careful: boolean) => {
      await client.query('SAVEPOINT push');
      try {
        await this.prefetch(client, cache, user.id, ops);
        const outcome = await runAsync(
          pushSteps(clock, user, clientId, ops, receivedAt, careful, isTransientPgError, (error, key) => this.onOpFailure(error, `push from ${user.id}/${clientId}: op ${key}`)),
          answer,
        );
        await this.flushLedger(client, cache);
        await client.query('RELEASE SAVEPOINT push');
        return outcome;
      } catch (error) {
        clock.version = versionBefore;
        await client.query('ROLLBACK TO SAVEPOINT push');
        Object.assign(cache, newCache());
        throw error;
      }
    };
    try {
      try {
        return await attempt(false);
      } catch (error) {
        if (isTransientPgError(error)) throw error;
        return await attempt(true);
      }
    } catch (error) {
      if (isTransientPgError(error) || !(error instanceof Error)) throw error;
      return error;
    }
  }

  /** The rows and ledger entries a push's ops name, in one query each. */
  private async prefetch(client: pg.PoolClient, cache: TxCache, userId: string, ops: RawOp[]): Promise<void> {
    const entities: string[] = [];
    const ids: string[] = [];
    const keys: string[] = [];
    for (const op of ops) {
      if (typeof op.key === 'string' && !cache.ledger.has(rowKey(userId, op.key))) keys.push(op.key);
      if (typeof op.entity === 'string' && typeof op.id === 'string' && !cache.rows.has(rowKey(op.entity, op.id))) {
        entities.push(op.entity);
        ids.push(op.id);
      }
    }
    if (ids.length) {
      const { rows } = await run<DbRow>(client, 'prefetchRows', `SELECT c.* FROM canonical_rows c JOIN unnest($1::text[], $2::text[]) AS w(entity, id) ON c.entity = w.entity AND c.id = w.id`, [entities, ids]);
      for (let i = 0; i < ids.length; i++) cache.rows.set(rowKey(entities[i]!, ids[i]!), undefined);
      for (const row of rows) cache.rows.set(rowKey(row.entity, row.id), toRecord(row));
    }
    if (keys.length) {
      const { rows } = await run<{ key: string; hash: string; ack: string }>(client, 'prefetchLedger', `SELECT key, hash, ack FROM ledger WHERE user_id = $1 AND key = ANY($2::text[])`, [userId, keys]);
      for (const key of keys) cache.ledger.set(rowKey(userId, key), undefined);
      for (const row of rows) cache.ledger.set(rowKey(userId, row.key), { hash: row.hash, ack: row.ack });
    }
  }

  /** The push's ledger entries, in one insert. */
  private async flushLedger(client: pg.PoolClient, cache: TxCache): Promise<void> {
    const w = cache.ledgerWrites;
    if (w.length === 0) return;
    cache.ledgerWrites = [];
    await run(
      client,
      'flushLedger',
      `INSERT INTO ledger (user_id, key, client_id, seq, hash, ack, stored_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])`,
      [w.map((x) => x.userId), w.map((x) => x.key), w.map((x) => x.clientId), w.map((x) => x.seq), w.map((x) => x.hash), w.map((x) => x.ack), w.map((x) => x.storedAt)],
    );
  }

  /** One push alone (tests and tools). */
  async push(user: User, clientId: string, ops: RawOp[], receivedAt: number): Promise<PushOutcome> {
    const [outcome] = await this.pushGroup([{ user, clientId, ops, receivedAt }]);
    if (outcome instanceof Error) throw outcome;
    return outcome!;
  }

  /**
   * A catch-up of this user's scope from `since` to the head version now, read page by page
   * (each page a few queries on any pooled connection). Rows written after it was made have
   * higher versions and reach the connection by the pokes.
   */
  async catchUpCursor(user: { id: string; role: string }, since: number, upto?: number): Promise<AsyncCatchUpCursor> {
    const plan = new CatchUpPlan(user, since, upto ?? (await this.currentVersion()));
    const answer = this.answerer(this.pool);
    return { version: plan.upto, next: (limit: number) => runAsync(plan.next(limit), answer) };
  }

  /** Everything of a catch-up at once (tests and tools). */
  async catchUp(user: { id: string; role: string }, since: number): Promise<{ rows: Row[]; version: number }> {
    const cursor = await this.catchUpCursor(user, since);
    const rows: Row[] = [];
    for (let page = await cursor.next(5000); page.length > 0; page = await cursor.next(5000)) rows.push(...page);
    return { rows, version: cursor.version };
  }

  /**
   * What each user may see of the commits in (from, to]: every row written there, to everyone
   * who may see it now, and a tombstone to each user it left (unless it is back in their scope).
   */
  async changesBetween(from: number, to: number): Promise<Map<string, Row[]>> {
    const answer = this.answerer(this.pool);
    const changes = new Map<string, Row[]>();
    const send = (userId: string, row: Row) => {
      const list = changes.get(userId);
      if (list) list.push(row);
      else changes.set(userId, [row]);
    };
    const { rows } = await run<DbRow>(this.pool, 'rowsBetween', `SELECT * FROM canonical_rows WHERE version > $1 AND version <= $2 ORDER BY version, entity, id`, [from, to]);
    for (const raw of rows) {
      const record = toRecord(raw);
      const row = toWireRow(record);
      for (const userId of await runAsync(audience(record), answer)) send(userId, row);
    }
    const exits = await run<{ user_id: string; entity: Entity; id: string; version: number }>(
      this.pool,
      'exitsBetween',
      `SELECT user_id, entity, id, MAX(version) AS version FROM scope_exits WHERE version > $1 AND version <= $2 GROUP BY user_id, entity, id ORDER BY MAX(version)`,
      [from, to],
    );
    for (const exit of exits.rows) {
      const current = (await answer({ op: 'row', entity: exit.entity, id: exit.id })) as ReturnType<typeof toRecord> | undefined;
      if (current && (await runAsync(audience(current), answer)).has(exit.user_id)) continue;
      send(exit.user_id, { entity: exit.entity, id: exit.id, version: exit.version, deleted: true, fields: {}, by: current?.by ?? '' });
    }
    return changes;
  }

  /**
   * Ledger retention, as the SQLite store's pruneLedger and pruneLedgerStep (the same rule and
   * walk, store-core.ts). Each node walks on its own; an entry renewed by a replay after it was
   * read is not removed.
   */
  async pruneLedger(now: Date, retentionMs: number, limit = Number.POSITIVE_INFINITY): Promise<number> {
    const page = await this.prunePage(now.getTime() - retentionMs);
    let removed = 0;
    while (removed < limit) {
      removed += await page(Math.min(LEDGER_PRUNE_BATCH, limit - removed));
      if (!this.pruneWalk) break;
    }
    return removed;
  }

  async pruneLedgerStep(now: Date, retentionMs: number, maxRead: number): Promise<{ removed: number; done: boolean }> {
    if (!(maxRead >= 1)) throw new RangeError(`pruneLedgerStep reads at least one entry a step, not ${maxRead}`);
    const page = await this.prunePage(now.getTime() - retentionMs);
    let removed = 0;
    for (let read = 0; read < maxRead; read += LEDGER_PRUNE_BATCH) {
      removed += await page(Math.min(LEDGER_PRUNE_BATCH, maxRead - read));
      if (!this.pruneWalk) return { removed, done: true };
    }
    return { removed, done: false };
  }

  /** The next `size` entries of the walk by age, those allowed removed; how many went. */
  private async prunePage(horizon: number): Promise<(size: number) => Promise<number>> {
    const { rows: clients } = await this.pool.query<{ user_id: string; client_id: string; last_seen: string }>(`SELECT user_id, client_id, last_seen FROM clients`);
    const prunable = prunableBy(clients, horizon);
    return async (size) => {
      const after = this.pruneWalk;
      const { rows: entries } = await this.pool.query<AgedEntry>(
        after
          ? `SELECT user_id, key, client_id, seq, stored_at FROM ledger WHERE stored_at < $1 AND (stored_at, key, user_id) > ($2, $3, $4) ORDER BY stored_at, key, user_id LIMIT $5`
          : `SELECT user_id, key, client_id, seq, stored_at FROM ledger WHERE stored_at < $1 ORDER BY stored_at, key, user_id LIMIT $2`,
        after ? [horizon, after.stored_at, after.key, after.user_id, size] : [horizon, size],
      );
      const doomed = entries.filter(prunable);
      let removed = 0;
      if (doomed.length) {
        removed = await inTransaction(this.pool, async (client) => {
          const gone = await client.query<{ user_id: string; client_id: string; seq: number }>(
            `DELETE FROM ledger WHERE (user_id, key, stored_at) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])) RETURNING user_id, client_id, seq`,
            [doomed.map((e) => e.user_id), doomed.map((e) => e.key), doomed.map((e) => e.stored_at)],
          );
          for (const h of highestPruned(gone.rows)) {
            await client.query(`UPDATE clients SET pruned_seq = GREATEST(pruned_seq, $1) WHERE user_id = $2 AND client_id = $3`, [h.seq, h.userId, h.clientId]);
          }
          return gone.rows.length;
        });
      }
      // Moved on only once the page is done: a page whose removal failed is read again.
      this.pruneWalk = entries.length < size ? undefined : entries[entries.length - 1];
      return removed;
    };
  }
}
