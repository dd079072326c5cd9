import type { AccessRevoked, Entity, Row, TraineeAccess } from '../protocol/index.ts';
import { SqliteAccessStore, type AccessStore, type IssuedInvite, type RedeemResult } from './access.ts';
import type { User } from './auth.ts';
import { isTransientDbError, readServerVersion, type Db } from './db.ts';
import { encodeRowMeta } from './row-meta.ts';
import {
  audience,
  CatchUpPlan,
  pushSteps,
  runSync,
  toRecord,
  highestPruned,
  LEDGER_PRUNE_BATCH,
  prunableBy,
  UnavailableError,
  type AgedEntry,
  type DbRow,
  type PushOutcome,
  type RawOp,
  type RowRecord,
  type StoreRequest,
  type VersionClock,
} from './store-core.ts';

export { opContent, opContentHash, stableStringify } from './op-content.ts';
export { DEFAULT_LEDGER_RETENTION_MS, toWireRow, UnavailableError, type PushOutcome } from './store-core.ts';

/** A catch-up being read page by page (see CanonicalStore.catchUpCursor). */
export interface CatchUpCursor {
  /** The server version the catch-up covers: `synced` announces it once the pages are sent. */
  readonly version: number;
  /** The next rows (at most `limit`); empty when the catch-up is complete. */
  next(limit: number): Row[];
}

/**
 * The server's canonical state: applies pushes (one transaction each) by the domain rules,
 * keeps the idempotency ledger and per-client seqs, and answers catch-up by scope.
 */
/**
 * Catch-up pages of a scope column in (version, entity, id) order through the scope index
 * (which ends with the primary key), without the write metadata: no sort, no whole-scope read.
 */
function scopePages(db: Db, column: 'coach_id' | 'trainee_id') {
  const select = `SELECT entity, id, version, deleted, fields, by FROM canonical_rows WHERE ${column} = ?`;
  return {
    first: db.prepare(`${select} AND version > ? AND version <= ? ORDER BY version, entity, id LIMIT ?`),
    after: db.prepare(`${select} AND (version, entity, id) > (?, ?, ?) AND version <= ? ORDER BY version, entity, id LIMIT ?`),
  };
}

export class CanonicalStore implements AccessStore {
  private readonly clock: VersionClock;
  /** Where pruneLedger's walk by age stopped: the last entry it read. */
  private pruneWalk: AgedEntry | undefined;
  private readonly stmts;
  private readonly access: SqliteAccessStore;

  constructor(readonly db: Db) {
    this.clock = { version: readServerVersion(db) };
    this.access = new SqliteAccessStore(db);
    this.stmts = {
      getRow: db.prepare(`SELECT * FROM canonical_rows WHERE entity = ? AND id = ?`),
      putRow: db.prepare(
        `INSERT INTO canonical_rows (entity, id, version, deleted, fields, by, meta, coach_id, trainee_id, owner_id, parent_id, ref_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (entity, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, fields = excluded.fields,
           by = excluded.by, meta = excluded.meta, coach_id = excluded.coach_id, trainee_id = excluded.trainee_id,
           owner_id = excluded.owner_id, parent_id = excluded.parent_id, ref_id = excluded.ref_id`,
      ),
      relink: db.prepare(`UPDATE canonical_rows SET coach_id = ?, trainee_id = ?, version = ? WHERE entity = ? AND id = ?`),
      bump: db.prepare(`UPDATE canonical_rows SET version = ? WHERE entity = ? AND id = ?`),
      children: db.prepare(`SELECT * FROM canonical_rows WHERE parent_id = ? AND entity = ? ORDER BY id`),
      exerciseTrainees: db
        .prepare(
          `SELECT trainee_id FROM canonical_rows
           WHERE ref_id = ? AND entity = 'prescription' AND deleted = 0 AND trainee_id IS NOT NULL
           UNION SELECT trainee_id FROM canonical_rows WHERE ref_id = ? AND entity = 'max' AND deleted = 0`,
        )
        .pluck(),
      ledgerGet: db.prepare(`SELECT hash, ack FROM ledger WHERE user_id = ? AND key = ?`),
      ledgerPut: db.prepare(`INSERT INTO ledger (user_id, key, client_id, seq, hash, ack, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      ledgerTouch: db.prepare(`UPDATE ledger SET stored_at = MAX(stored_at, ?) WHERE user_id = ? AND key = ?`),
      // The ledger by age, through ledger_by_age (which ends with the primary key: no sort).
      ledgerAged: db.prepare(
        `SELECT user_id, key, client_id, seq, stored_at FROM ledger WHERE stored_at < ? ORDER BY stored_at, key, user_id LIMIT ?`,
      ),
      ledgerAgedAfter: db.prepare(
        `SELECT user_id, key, client_id, seq, stored_at FROM ledger WHERE stored_at < ? AND (stored_at, key, user_id) > (?, ?, ?)
         ORDER BY stored_at, key, user_id LIMIT ?`,
      ),
      ledgerDelete: db.prepare(`DELETE FROM ledger WHERE user_id = ? AND key = ?`),
      clientsAll: db.prepare(`SELECT user_id, client_id, last_seen FROM clients`),
      clientGet: db.prepare(`SELECT next_seq FROM clients WHERE user_id = ? AND client_id = ?`).pluck(),
      clientPrunedSeq: db.prepare(`SELECT pruned_seq FROM clients WHERE user_id = ? AND client_id = ?`).pluck(),
      clientPruned: db.prepare(`UPDATE clients SET pruned_seq = MAX(pruned_seq, ?) WHERE user_id = ? AND client_id = ?`),
      clientPut: db.prepare(
        `INSERT INTO clients (user_id, client_id, next_seq, last_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, client_id) DO UPDATE SET next_seq = excluded.next_seq, last_seen = excluded.last_seen`,
      ),
      exitPut: db.prepare(`INSERT OR IGNORE INTO scope_exits (user_id, version, entity, id) VALUES (?, ?, ?, ?)`),
      setVersion: db.prepare(`UPDATE server_meta SET value = ? WHERE key = 'version'`),
      coachPages: scopePages(db, 'coach_id'),
      traineePages: scopePages(db, 'trainee_id'),
      ownRows: db.prepare(
        `SELECT entity, id, version, deleted, fields, by FROM canonical_rows WHERE owner_id = ? AND version > ? AND version <= ?`,
      ),
      traineeExercises: db.prepare(
        `SELECT entity, id, version, deleted, fields, by FROM canonical_rows WHERE entity = 'exercise' AND version > ? AND version <= ? AND id IN
           (SELECT ref_id FROM canonical_rows WHERE entity = 'prescription' AND trainee_id = ? AND deleted = 0
            UNION SELECT ref_id FROM canonical_rows WHERE entity = 'max' AND trainee_id = ? AND deleted = 0)`,
      ),
      exitsSince: db.prepare(
        `SELECT entity, id, MAX(version) AS version FROM scope_exits WHERE user_id = ? AND version > ? AND version <= ? GROUP BY entity, id`,
      ),
    };
  }

  // Invites and device access (see access.ts: the interface a PostgreSQL store implements too).

  traineeOwner(traineeId: string): { coachId: string; deleted: boolean } | undefined {
    return this.access.traineeOwner(traineeId);
  }

  createInvite(coachId: string, traineeId: string, now: Date, ttlMs?: number): IssuedInvite | undefined {
    return this.access.createInvite(coachId, traineeId, now, ttlMs);
  }

  redeemInvite(code: string, now: Date): RedeemResult {
    return this.access.redeemInvite(code, now);
  }

  listAccess(coachId: string, now: Date): TraineeAccess[] {
    return this.access.listAccess(coachId, now);
  }

  revokeTraineeAccess(coachId: string, traineeId: string, now: Date): AccessRevoked | undefined {
    return this.access.revokeTraineeAccess(coachId, traineeId, now);
  }

  touchTokens(tokenHashes: readonly string[], now: Date): void {
    this.access.touchTokens(tokenHashes, now);
  }

  get currentVersion(): number {
    return this.clock.version;
  }

  nextSeq(userId: string, clientId: string): number {
    return (this.stmts.clientGet.get(userId, clientId) as number | undefined) ?? 1;
  }

  private load(entity: Entity, id: string): RowRecord | undefined {
    const row = this.stmts.getRow.get(entity, id) as DbRow | undefined;
    return row && toRecord(row);
  }

  /** Who may see a row now (undefined when there is no such row): an oracle for simulations. */
  audienceOf(entity: Entity, id: string): { version: number; users: Set<string> } | undefined {
    const row = this.load(entity, id);
    return row && { version: row.version, users: runSync(audience(row), this.answer) };
  }

  /** Answers the shared logic's requests (store-core.ts) with this file's statements. */
  private readonly answer = (r: StoreRequest): unknown => {
    const s = this.stmts;
    switch (r.op) {
      case 'row':
        return this.load(r.entity, r.id);
      case 'children':
        return (s.children.all(r.parentId, r.entity) as DbRow[]).map(toRecord);
      case 'exerciseTrainees':
        return s.exerciseTrainees.all(r.exerciseId, r.exerciseId);
      case 'ledgerGet':
        return s.ledgerGet.get(r.userId, r.key);
      case 'ledgerPut':
        return void s.ledgerPut.run(r.userId, r.key, r.clientId, r.seq, r.hash, r.ack, r.storedAt);
      case 'ledgerTouch':
        return void s.ledgerTouch.run(r.storedAt, r.userId, r.key);
      case 'nextSeq':
        return this.nextSeq(r.userId, r.clientId);
      case 'prunedSeq':
        return (s.clientPrunedSeq.get(r.userId, r.clientId) as number | undefined) ?? 0;
      case 'clientPut':
        return void s.clientPut.run(r.userId, r.clientId, r.nextSeq, r.lastSeen);
      case 'putRow':
        return void this.write(r.row);
      case 'relink':
        return void s.relink.run(r.coachId, r.traineeId, r.version, r.entity, r.id);
      case 'bump':
        return void s.bump.run(r.version, r.entity, r.id);
      case 'exitPut':
        return void s.exitPut.run(r.userId, r.version, r.entity, r.id);
      case 'setVersion':
        return void s.setVersion.run(String(r.version));
      case 'savepoint':
        return this.db.transaction(() => runSync(r.body(), this.answer))();
      case 'scopePage': {
        const pages = r.column === 'coach_id' ? s.coachPages : s.traineePages;
        return r.after
          ? pages.after.all(r.userId, r.after.version, r.after.entity, r.after.id, r.upto, r.limit)
          : pages.first.all(r.userId, r.since, r.upto, r.limit);
      }
      case 'ownRows':
        return s.ownRows.all(r.userId, r.since, r.upto);
      case 'traineeExercises':
        return s.traineeExercises.all(r.since, r.upto, r.traineeId, r.traineeId);
      case 'exitsSince':
        return s.exitsSince.all(r.userId, r.since, r.upto);
    }
  };

  /**
   * Applies one push from one client in one transaction. Throws UnavailableError when the
   * database is passingly unable to commit; nothing is applied then.
   */
  push(user: User, clientId: string, ops: RawOp[], receivedAt: number): PushOutcome {
    const versionBefore = this.clock.version;
    try {
      try {
        return this.pushTx(user, clientId, ops, receivedAt, false);
      } catch (error) {
        if (isTransientDbError(error)) throw error;
        // An op failed unexpectedly: run the push again, each op in a savepoint of its own,
        // so that op alone is rejected and the queue behind it moves on.
        this.clock.version = versionBefore;
        return this.pushTx(user, clientId, ops, receivedAt, true);
      }
    } catch (error) {
      this.clock.version = versionBefore;
      if (isTransientDbError(error)) throw new UnavailableError((error as Error).message);
      throw error;
    }
  }

  /**
   * Several pushes in one transaction: one commit for all. A push that fails unexpectedly gets
   * its error in place of an outcome and the others go on; a passing fault (UnavailableError)
   * or a failed commit applies none of them.
   *
   * The pushes first run without savepoints: a savepoint makes SQLite copy each page a push
   * first touches into a journal, which was half of a push's cost. Only when one of them fails
   * unexpectedly is all of it rolled back and run again, each push in a savepoint of its own.
   */
  pushGroup(pushes: Array<{ user: User; clientId: string; ops: RawOp[]; receivedAt: number }>): Array<PushOutcome | Error> {
    const versionBefore = this.clock.version;
    try {
      try {
        return this.db.transaction(() => pushes.map(({ user, clientId, ops, receivedAt }) => this.pushSteps(user, clientId, ops, receivedAt, false)))();
      } catch (error) {
        if (isTransientDbError(error)) throw error;
        this.clock.version = versionBefore;
        return this.db.transaction(() =>
          pushes.map(({ user, clientId, ops, receivedAt }) => {
            try {
              return this.push(user, clientId, ops, receivedAt);
            } catch (error) {
              if (error instanceof UnavailableError || !(error instanceof Error)) throw error;
              return error;
            }
          }),
        )();
      }
    } catch (error) {
      this.clock.version = versionBefore;
      if (isTransientDbError(error)) throw new UnavailableError((error as Error).message);
      throw error;
    }
  }

  private pushSteps(user: User, clientId: string, ops: RawOp[], receivedAt: number, careful: boolean): PushOutcome {
    return runSync(
      pushSteps(this.clock, user, clientId, ops, receivedAt, careful, isTransientDbError, (error, key) =>
        console.error(`push from ${user.id}/${clientId}: op ${key} failed`, error),
      ),
      this.answer,
    );
  }

  private pushTx(user: User, clientId: string, ops: RawOp[], receivedAt: number, careful: boolean): PushOutcome {
    return this.db.transaction(() => this.pushSteps(user, clientId, ops, receivedAt, careful))();
  }

  private prunedSeq(userId: string, clientId: string): number {
    return (this.stmts.clientPrunedSeq.get(userId, clientId) as number | undefined) ?? 0;
  }

  /**
   * Removes the ledger entries stored (or last replayed) before `now - retentionMs` whose install
   * has pushed again at least a day after them (see LEDGER_SETTLED_MS), at most `limit`, oldest
   * first, in transactions of at most LEDGER_PRUNE_BATCH entries read so no other writer waits
   * long. Returns how many were removed: less than `limit` only once the walk is done. Each
   * install's pruned_seq keeps the highest seq removed, so a resend under its own seq is still
   * known for one (see prunedReplay). The whole walk may hold the event loop: a serving process
   * takes it in steps (pruneLedgerStep).
   */
  pruneLedger(now: Date, retentionMs: number, limit = Number.POSITIVE_INFINITY): number {
    const page = this.prunePage(now.getTime() - retentionMs);
    let removed = 0;
    while (removed < limit) {
      removed += page(Math.min(LEDGER_PRUNE_BATCH, limit - removed));
      if (!this.pruneWalk) break;
    }
    return removed;
  }

  /**
   * One step of pruneLedger's walk for a serving process: it reads at most `maxRead` entries,
   * those it keeps included, so a step holds the event loop briefly however many entries the
   * walk must step over. Call again on a later tick until `done`.
   */
  pruneLedgerStep(now: Date, retentionMs: number, maxRead: number): { removed: number; done: boolean } {
    if (!(maxRead >= 1)) throw new RangeError(`pruneLedgerStep reads at least one entry a step, not ${maxRead}`);
    const page = this.prunePage(now.getTime() - retentionMs);
    let removed = 0;
    for (let read = 0; read < maxRead; read += LEDGER_PRUNE_BATCH) {
      removed += page(Math.min(LEDGER_PRUNE_BATCH, maxRead - read));
      if (!this.pruneWalk) return { removed, done: true };
    }
    return { removed, done: false };
  }

  /**
   * Reads the next `size` entries of the walk by age and removes those their install's bound
   * allows, in one transaction; returns how many went. The walk goes on from where the last page
   * stopped (pruneWalk), so the entries it keeps (an install's last day before it went quiet) are
   * read once per walk, not once per call; after the last page it starts from the oldest again.
   */
  private prunePage(horizon: number): (size: number) => number {
    const prunable = prunableBy(this.stmts.clientsAll.all() as Array<{ user_id: string; client_id: string; last_seen: string }>, horizon);
    const page = this.db.transaction((size: number): number => {
      const after = this.pruneWalk;
      const entries = (after ? this.stmts.ledgerAgedAfter.all(horizon, after.stored_at, after.key, after.user_id, size) : this.stmts.ledgerAged.all(horizon, size)) as AgedEntry[];
      const doomed = entries.filter(prunable);
      for (const e of doomed) this.stmts.ledgerDelete.run(e.user_id, e.key);
      for (const h of highestPruned(doomed)) this.stmts.clientPruned.run(h.seq, h.userId, h.clientId);
      this.pruneWalk = entries.length < size ? undefined : entries[entries.length - 1];
      return doomed.length;
    });
    return (size) => page.immediate(size);
  }

  /** Writes a row whole (inserted, or replacing the stored one), with its placement columns. */
  private write(r: RowRecord): void {
    this.stmts.putRow.run(
      r.entity,
      r.id,
      r.version,
      r.deleted ? 1 : 0,
      JSON.stringify(r.fields),
      r.by,
      encodeRowMeta(r.meta),
      r.coachId,
      r.traineeId,
      r.ownerId,
      r.parentId,
      r.refId,
    );
  }

  /**
   * Everything in this user's scope newer than `since`, in version order, and tombstones for
   * rows that left the scope since then. Reads it all at once; the server streams it with
   * {@link catchUpCursor} instead.
   */
  catchUp(user: { id: string; role: string }, since: number): { rows: Row[]; version: number } {
    const cursor = this.catchUpCursor(user, since);
    const rows: Row[] = [];
    for (let page = cursor.next(5000); page.length > 0; page = cursor.next(5000)) rows.push(...page);
    return { rows, version: cursor.version };
  }

  /**
   * The same catch-up read page by page, so a large scope is never held in memory at once:
   * rows in the user's scope with `since < version <= cursor.version` in version order, then
   * tombstones for rows that left the scope. Pages may be read across ticks while pushes go on:
   * a row written after the cursor was made has a version above `cursor.version` and is left to
   * the live `changes` that carried it (the connection was subscribed before the cursor was
   * made), so nothing is missed and nothing is sent in an older state than the live one.
   */
  catchUpCursor(user: { id: string; role: string }, since: number): CatchUpCursor {
    const plan = new CatchUpPlan(user, since, this.clock.version);
    return { version: plan.upto, next: (limit: number) => runSync(plan.next(limit), this.answer) };
  }
}
