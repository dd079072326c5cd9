import { createHash } from 'node:crypto';
import { checkOp, isEntity, type Ack, type AccessRevoked, type Entity, type Fields, type Op, type Row, type TraineeAccess } from '../protocol/index.ts';
import { SqliteAccessStore, type AccessStore, type IssuedInvite, type RedeemResult } from './access.ts';
import type { User } from './auth.ts';
import { isTransientDbError, readServerVersion, type Db } from './db.ts';
import { explain, resolveOp, type RowMeta, type Writer } from './resolver.ts';
import { decodeRowMeta, encodeRowMeta } from './row-meta.ts';
import { placeRow, writeForbidden, type Placement, type PlacedRow } from './scope.ts';

interface RowRecord extends PlacedRow {
  version: number;
  by: string;
  meta: RowMeta;
}

/** The columns catch-up sends (no write metadata). */
interface WireDbRow {
  entity: Entity;
  id: string;
  version: number;
  deleted: number;
  fields: string;
  by: string;
}

interface DbRow extends WireDbRow {
  meta: string;
  coach_id: string | null;
  trainee_id: string | null;
  owner_id: string | null;
  parent_id: string | null;
  ref_id: string | null;
}

function wireRow(r: WireDbRow): Row {
  const deleted = r.deleted === 1;
  return { entity: r.entity, id: r.id, version: r.version, deleted, fields: deleted ? {} : (JSON.parse(r.fields) as Fields), by: r.by };
}

/** A catch-up being read page by page (see CanonicalStore.catchUpCursor). */
export interface CatchUpCursor {
  /** The server version the catch-up covers: `synced` announces it once the pages are sent. */
  readonly version: number;
  /** The next rows (at most `limit`); empty when the catch-up is complete. */
  next(limit: number): Row[];
}

export interface PushOutcome {
  acks: Ack[];
  /** Set when an op arrived ahead of the seq the server expects; the rest were ignored. */
  expectedSeq?: number;
  /** Rows to send, per user id: canonical rows, and tombstones for rows that left their scope. */
  changes: Map<string, Row[]>;
  version: number;
}

export class UnavailableError extends Error {}

/** A row a push changed: who saw it before, and what it is now (when written). */
interface TouchedRow {
  entity: Entity;
  id: string;
  before: Set<string>;
  current?: RowRecord;
}

/** Notes a row before the push changes it; `now` is its new state when the push wrote it. */
type Touch = (before: RowRecord | undefined, entity: Entity, id: string, now?: RowRecord) => void;

/** How long ledger entries are kept by default (see pruneLedger). */
export const DEFAULT_LEDGER_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/** Ledger entries removed per transaction by pruneLedger. */
const LEDGER_PRUNE_BATCH = 500;

/**
 * An install's ledger entry is pruned only once the install has pushed again this long after
 * the entry was stored or last replayed. Its ack had reached it by then: on a live connection
 * it went out at once (a peer that stops reading is dropped after two missed pings, about a
 * minute), and an install that lost it resends the op first thing when it connects again (a
 * replay, which renews the entry). So an install that lost an ack and stays away for longer than
 * the retention still finds its entry: CoachDesk's client renumbers what it resends, and a
 * renumbered resend is known by its key alone.
 */
const LEDGER_SETTLED_MS = 24 * 60 * 60 * 1000;

/** Child entity whose placement follows a parent's, for cascades when a parent moves. */
const CHILD_OF: Partial<Record<Entity, Entity>> = { program: 'workout', workout: 'prescription', session: 'set_log' };

/** JSON with sorted keys. Below 16 levels (valid ops have 3) it stops: such ops are invalid anyway. */
export function stableStringify(value: unknown, depth = 0): string {
  if (depth > 16) return '"…"';
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k], depth + 1)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const OP_KEYS = new Set(['key', 'seq', 'at', 'entity', 'id', 'action', 'fields', 'baseVersion']);

/**
 * stableStringify of an op's content for the usual shape (the op's own keys, flat fields),
 * without sorting the op's keys or recursing; undefined for any other shape. Its output is
 * byte for byte the generic one: ledger hashes stored before it still match.
 */
function plainOpContent(raw: Record<string, unknown>): string | undefined {
  const keys = Object.keys(raw);
  if (keys.length !== OP_KEYS.size || !keys.every((k) => OP_KEYS.has(k))) return undefined;
  const fields = raw.fields;
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return undefined;
  let f = '';
  for (const k of Object.keys(fields).sort()) {
    const v = (fields as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object') return undefined;
    f += `${f ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`;
  }
  const leaf = (v: unknown) => (v !== null && typeof v === 'object' ? stableStringify(v, 1) : (JSON.stringify(v) ?? 'null'));
  return `{"action":${leaf(raw.action)},"at":${leaf(raw.at)},"baseVersion":${leaf(raw.baseVersion)},"entity":${leaf(raw.entity)},"fields":{${f}},"id":${leaf(raw.id)},"key":${leaf(raw.key)}}`;
}

/** The content of an op that its idempotency key stands for (everything but its seq). */
export function opContentHash(raw: Record<string, unknown>): string {
  return createHash('sha256').update(opContent(raw)).digest('base64url');
}

export function opContent(raw: Record<string, unknown>): string {
  const plain = plainOpContent(raw);
  if (plain !== undefined) return plain;
  const { seq: _seq, ...content } = raw;
  return stableStringify(content);
}

function toRecord(r: DbRow): RowRecord {
  return {
    entity: r.entity,
    id: r.id,
    version: r.version,
    deleted: r.deleted === 1,
    fields: JSON.parse(r.fields) as Fields,
    by: r.by,
    meta: decodeRowMeta(r.meta),
    coachId: r.coach_id,
    traineeId: r.trainee_id,
    ownerId: r.owner_id,
    parentId: r.parent_id,
    refId: r.ref_id,
  };
}

export function toWireRow(r: RowRecord): Row {
  return { entity: r.entity, id: r.id, version: r.version, deleted: r.deleted, fields: r.deleted ? {} : r.fields, by: r.by };
}

/** Rows whose refId names an exercise: a live one shows the exercise to its trainee. */
function refersToExercise(entity: Entity): boolean {
  return entity === 'prescription' || entity === 'max';
}

/** Trainees see an exercise through live prescriptions in their programs and their live maxes. */
function exerciseAudienceMayChange(before: RowRecord | undefined, after: RowRecord): boolean {
  if (!before) return after.traineeId !== null;
  if (before.traineeId === null && after.traineeId === null) return false;
  return before.refId !== after.refId || before.traineeId !== after.traineeId || before.deleted !== after.deleted;
}

function placementChanged(a: Placement, b: Placement): boolean {
  return a.coachId !== b.coachId || a.traineeId !== b.traineeId || a.parentId !== b.parentId || a.refId !== b.refId;
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
  private version: number;
  private readonly stmts;
  private readonly access: SqliteAccessStore;

  constructor(readonly db: Db) {
    this.version = readServerVersion(db);
    this.access = new SqliteAccessStore(db);
    this.stmts = {
      getRow: db.prepare(`SELECT * FROM canonical_rows WHERE entity = ? AND id = ?`),
      putRow: db.prepare(
        `INSERT INTO canonical_rows (entity, id, version, deleted, fields, by, meta, coach_id, trainee_id, owner_id, parent_id, ref_id)
         VALUES (@entity, @id, @version, @deleted, @fields, @by, @meta, @coachId, @traineeId, @ownerId, @parentId, @refId)
         ON CONFLICT (entity, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, fields = excluded.fields,
           by = excluded.by, meta = excluded.meta, coach_id = excluded.coach_id, trainee_id = excluded.trainee_id,
           owner_id = excluded.owner_id, parent_id = excluded.parent_id, ref_id = excluded.ref_id`,
      ),
      relink: db.prepare(`UPDATE canonical_rows SET coach_id = ?, trainee_id = ?, version = ? WHERE entity = ? AND id = ?`),
      bump: db.prepare(`UPDATE canonical_rows SET version = ? WHERE entity = ? AND id = ?`),
      children: db.prepare(`SELECT * FROM canonical_rows WHERE parent_id = ? AND entity = ?`),
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
      ledgerAnyBefore: db.prepare(`SELECT 1 FROM ledger WHERE user_id = ? AND client_id = ? AND stored_at < ? LIMIT 1`).pluck(),
      ledgerBefore: db.prepare(`SELECT key, seq FROM ledger WHERE user_id = ? AND client_id = ? AND stored_at < ? ORDER BY stored_at LIMIT ?`),
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
    return this.version;
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
    return row && { version: row.version, users: this.audience(row) };
  }

  /** Everyone who may see this row now. */
  private audience(r: RowRecord): Set<string> {
    const users = new Set<string>();
    if (r.entity === 'settings') {
      if (r.ownerId) users.add(r.ownerId);
      return users;
    }
    if (r.coachId) users.add(r.coachId);
    if (r.traineeId) users.add(r.traineeId);
    if (r.entity === 'exercise') for (const t of this.stmts.exerciseTrainees.all(r.id, r.id) as string[]) users.add(t);
    return users;
  }

  /**
   * Applies one push from one client in one transaction. Throws UnavailableError when the
   * database is passingly unable to commit; nothing is applied then.
   */
  push(user: User, clientId: string, ops: Array<Record<string, unknown> & { key: string; seq: number }>, receivedAt: number): PushOutcome {
    const versionBefore = this.version;
    try {
      try {
        return this.pushTx(user, clientId, ops, receivedAt, false);
      } catch (error) {
        if (isTransientDbError(error)) throw error;
        // An op failed unexpectedly: run the push again, each op in a savepoint of its own,
        // so that op alone is rejected and the queue behind it moves on.
        this.version = versionBefore;
        return this.pushTx(user, clientId, ops, receivedAt, true);
      }
    } catch (error) {
      this.version = versionBefore;
      if (isTransientDbError(error)) throw new UnavailableError((error as Error).message);
      throw error;
    }
  }

  /**
   * Several pushes in one transaction, each in a savepoint of its own: one commit for all.
   * A push that fails unexpectedly gets its error in place of an outcome and the others go
   * on; a passing fault (UnavailableError) or a failed commit applies none of them.
   */
  pushGroup(pushes: Array<{ user: User; clientId: string; ops: Array<Record<string, unknown> & { key: string; seq: number }>; receivedAt: number }>): Array<PushOutcome | Error> {
    const versionBefore = this.version;
    try {
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
    } catch (error) {
      this.version = versionBefore;
      if (isTransientDbError(error)) throw new UnavailableError((error as Error).message);
      throw error;
    }
  }

  private pushTx(
    user: User,
    clientId: string,
    ops: Array<Record<string, unknown> & { key: string; seq: number }>,
    receivedAt: number,
    careful: boolean,
  ): PushOutcome {
    const writer: Writer = { userId: user.id, role: user.role, clientId };
    const versionBefore = this.version;
    return this.db.transaction(() => {
      let expected = this.nextSeq(user.id, clientId);
      const startSeq = expected;
      const acks: Ack[] = [];
      const touched = new Map<string, TouchedRow>();
      const record = (row: TouchedRow) => {
        const k = `${row.entity}\u0000${row.id}`;
        const entry = touched.get(k);
        if (!entry) touched.set(k, row);
        else if (row.current) entry.current = row.current;
      };
      // Who saw a row is read before the op changes it (the audience comes from the database).
      const noted = (r: RowRecord | undefined, entity: Entity, id: string, now?: RowRecord): TouchedRow => ({
        entity,
        id,
        before: r ? this.audience(r) : new Set(),
        ...(now ? { current: now } : {}),
      });
      // A row touched again in this push keeps the audience noted the first time: only its
      // current state moves on (an exercise prescribed 300 times is not asked 300 times).
      const touch: Touch = (r, entity, id, now) => {
        const entry = touched.get(`${entity}\u0000${id}`);
        if (!entry) record(noted(r, entity, id, now));
        else if (now) entry.current = now;
      };
      let expectedSeq: number | undefined;

      for (const raw of ops) {
        const hash = opContentHash(raw);
        const stored = this.stmts.ledgerGet.get(user.id, raw.key) as { hash: string; ack: string } | undefined;
        if (raw.seq < expected) {
          if (stored) acks.push(this.replay(user.id, raw, hash, stored, receivedAt));
          else acks.push(raw.seq <= this.prunedSeq(user.id, clientId) ? prunedReplay(raw) : seqReused(raw));
          continue;
        }
        if (raw.seq > expected) {
          expectedSeq = expected;
          break;
        }
        expected++;
        if (stored) {
          acks.push(this.replay(user.id, raw, hash, stored, receivedAt));
          continue;
        }
        let ack: Ack;
        if (!careful) ack = this.applyOne(raw, writer, user, receivedAt, touch);
        else {
          // Touches are staged so a failed op leaves nothing to broadcast.
          const staged: TouchedRow[] = [];
          const versionBeforeOp = this.version;
          try {
            ack = this.db.transaction(() => this.applyOne(raw, writer, user, receivedAt, (...args) => staged.push(noted(...args))))();
            for (const row of staged) record(row);
          } catch (error) {
            if (isTransientDbError(error)) throw error;
            this.version = versionBeforeOp;
            console.error(`push from ${user.id}/${clientId}: op ${raw.key} failed`, error);
            ack = { type: 'ack', key: raw.key, seq: raw.seq, status: 'rejected', reason: 'internal', message: 'the server failed to apply this edit', replay: false };
          }
        }
        this.stmts.ledgerPut.run(user.id, raw.key, clientId, raw.seq, hash, JSON.stringify(ack), receivedAt);
        acks.push(ack);
      }

      const changes = this.settleTouched(touched, versionBefore, user.id);
      if (expected !== startSeq) this.stmts.clientPut.run(user.id, clientId, expected, new Date(receivedAt).toISOString());
      if (this.version !== versionBefore) this.stmts.setVersion.run(String(this.version));
      const outcome: PushOutcome = { acks, changes, version: this.version };
      if (expectedSeq !== undefined) outcome.expectedSeq = expectedSeq;
      return outcome;
    })();
  }

  private prunedSeq(userId: string, clientId: string): number {
    return (this.stmts.clientPrunedSeq.get(userId, clientId) as number | undefined) ?? 0;
  }

  /**
   * Removes the ledger entries stored (or last replayed) before `now - retentionMs` whose install
   * has pushed again at least a day after them (see LEDGER_SETTLED_MS), at most `limit`, in
   * transactions of at most LEDGER_PRUNE_BATCH entries so no other writer waits long. Returns how
   * many were removed. Each install's pruned_seq keeps the highest seq removed, so a resend under
   * its own seq is still known for one (see prunedReplay). A serving process should pass a limit
   * and call again on a later tick while it returns the limit: the event loop is held throughout.
   */
  pruneLedger(now: Date, retentionMs: number, limit = Number.POSITIVE_INFINITY): number {
    const horizon = now.getTime() - retentionMs;
    const batch = this.db.transaction((userId: string, clientId: string, before: number, size: number): number => {
      const entries = this.stmts.ledgerBefore.all(userId, clientId, before, size) as Array<{ key: string; seq: number }>;
      let highest = 0;
      for (const e of entries) {
        this.stmts.ledgerDelete.run(userId, e.key);
        highest = Math.max(highest, e.seq);
      }
      if (entries.length) this.stmts.clientPruned.run(highest, userId, clientId);
      return entries.length;
    });
    let removed = 0;
    for (const c of this.stmts.clientsAll.all() as Array<{ user_id: string; client_id: string; last_seen: string }>) {
      const before = Math.min(horizon, Date.parse(c.last_seen) - LEDGER_SETTLED_MS);
      if (!Number.isFinite(before) || !this.stmts.ledgerAnyBefore.get(c.user_id, c.client_id, before)) continue;
      while (removed < limit) {
        const size = Math.min(LEDGER_PRUNE_BATCH, limit - removed);
        const n = batch.immediate(c.user_id, c.client_id, before, size);
        removed += n;
        if (n < size) break;
      }
      if (removed >= limit) break;
    }
    return removed;
  }

  /** An op the ledger holds: its stored ack again (the entry renewed), or a refusal for other content. */
  private replay(userId: string, raw: { key: string; seq: number }, hash: string, stored: { hash: string; ack: string }, receivedAt: number): Ack {
    if (stored.hash !== hash) return keyReused(raw);
    this.stmts.ledgerTouch.run(receivedAt, userId, raw.key);
    return { ...(JSON.parse(stored.ack) as Ack), seq: raw.seq, replay: true };
  }

  private applyOne(
    raw: Record<string, unknown> & { key: string; seq: number },
    writer: Writer,
    user: User,
    receivedAt: number,
    touch: Touch,
  ): Ack {
    const base = { type: 'ack' as const, key: raw.key, seq: raw.seq, replay: false };
    const checked = checkOp(raw);
    if (!checked.ok) return { ...base, status: 'rejected', reason: 'invalid', message: checked.message };
    const op = checked.op;
    const existing = this.load(op.entity, op.id);

    const lookup = (entity: Entity, id: string) => this.load(entity, id);
    let after: Placement | undefined = existing;
    if (op.action === 'put' || (op.action === 'patch' && existing && !existing.deleted)) {
      const merged = op.action === 'put' ? op.fields : { ...existing!.fields, ...op.fields };
      const placed = placeRow(op.entity, op.id, merged, lookup);
      if (!placed.ok) return { ...base, status: 'rejected', reason: placed.reason, message: placed.message };
      after = placed.placement;
    }
    if (after) {
      const forbidden = writeForbidden(user, op, existing, after);
      if (forbidden) return { ...base, status: 'rejected', reason: 'forbidden', message: forbidden };
    }

    const version = this.version + 1;
    const at = Math.min(Date.parse(op.at), receivedAt);
    const resolution = resolveOp(existing, op, writer, at, version);
    if (resolution.status === 'rejected') return { ...base, ...resolution };
    if (resolution.status === 'superseded') {
      const ack: Ack = { ...base, status: 'superseded', version: existing?.version ?? 0, reason: resolution.reason };
      if (resolution.dropped.length) ack.dropped = resolution.dropped;
      ack.message = explain(resolution.reason, resolution.dropped, op.entity);
      return ack;
    }

    // Where the row sits follows the fields it keeps: a dropped traineeId must not move it.
    let placement = after ?? existing!;
    if (!resolution.next.deleted && resolution.dropped.length > 0) {
      const placed = placeRow(op.entity, op.id, resolution.next.fields, lookup);
      if (!placed.ok) return { ...base, status: 'rejected', reason: placed.reason, message: placed.message };
      placement = placed.placement;
    }
    this.version = version;
    const next: RowRecord = {
      entity: op.entity,
      id: op.id,
      version,
      by: writer.userId,
      deleted: resolution.next.deleted,
      fields: resolution.next.fields,
      meta: resolution.next.meta,
      coachId: placement.coachId,
      traineeId: placement.traineeId,
      ownerId: placement.ownerId,
      parentId: placement.parentId,
      refId: placement.refId,
    };
    // Everything whose audience this op may change is noted before anything is written.
    touch(existing, op.entity, op.id, next);
    if (refersToExercise(op.entity) && exerciseAudienceMayChange(existing, next)) {
      if (existing?.refId) touch(this.load('exercise', existing.refId), 'exercise', existing.refId);
      if (next.refId && next.refId !== existing?.refId) touch(this.load('exercise', next.refId), 'exercise', next.refId);
    }
    this.write(next);
    if (existing && placementChanged(existing, next)) this.relinkChildren(next, version, touch);

    const ack: Ack = { ...base, status: resolution.status, version };
    if (resolution.dropped.length) ack.dropped = resolution.dropped;
    if (resolution.reason) {
      ack.reason = resolution.reason;
      ack.message = explain(resolution.reason, resolution.dropped, op.entity);
    }
    return ack;
  }

  private write(r: RowRecord): void {
    this.stmts.putRow.run({
      entity: r.entity,
      id: r.id,
      version: r.version,
      deleted: r.deleted ? 1 : 0,
      fields: JSON.stringify(r.fields),
      by: r.by,
      meta: encodeRowMeta(r.meta),
      coachId: r.coachId,
      traineeId: r.traineeId,
      ownerId: r.ownerId,
      parentId: r.parentId,
      refId: r.refId,
    });
  }

  /** A parent moved to another trainee (or coach): its descendants follow, with new versions. */
  private relinkChildren(parent: RowRecord, version: number, touch: Touch): void {
    const childEntity = CHILD_OF[parent.entity];
    if (!childEntity) return;
    for (const row of this.stmts.children.all(parent.id, childEntity) as DbRow[]) {
      const child = toRecord(row);
      if (child.coachId === parent.coachId && child.traineeId === parent.traineeId) continue;
      const moved = { ...child, coachId: parent.coachId, traineeId: parent.traineeId, version };
      touch(child, child.entity, child.id, moved);
      if (child.entity === 'prescription' && child.refId) touch(this.load('exercise', child.refId), 'exercise', child.refId);
      this.stmts.relink.run(parent.coachId, parent.traineeId, version, child.entity, child.id);
      this.relinkChildren(moved, version, touch);
    }
  }

  /**
   * After a push: every row it touched goes to everyone who sees it now; everyone who saw it
   * before and no longer does gets a tombstone, live and (through scope_exits) in catch-up.
   */
  private settleTouched(
    touched: Map<string, TouchedRow>,
    versionBefore: number,
    writerId: string,
  ): Map<string, Row[]> {
    const changes = new Map<string, Row[]>();
    const send = (userId: string, row: Row) => {
      const list = changes.get(userId);
      if (list) list.push(row);
      else changes.set(userId, [row]);
    };
    for (const { entity, id, before, current: written } of touched.values()) {
      const current = written ?? this.load(entity, id);
      if (!current) continue;
      const after = this.audience(current);
      const left = [...before].filter((u) => !after.has(u));
      const joined = [...after].some((u) => !before.has(u));
      if (current.version <= versionBefore) {
        if (!left.length && !joined) continue;
        // Only its audience changed (an exercise seen through a program): give it a new version.
        current.version = ++this.version;
        this.stmts.bump.run(current.version, entity, id);
      }
      const row = toWireRow(current);
      for (const userId of after) send(userId, row);
      for (const userId of left) {
        this.stmts.exitPut.run(userId, current.version, entity, id);
        send(userId, { entity, id, version: current.version, deleted: true, fields: {}, by: writerId });
      }
    }
    return changes;
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
    const upto = this.version;
    const coach = user.role === 'coach';
    const { first, after } = coach ? this.stmts.coachPages : this.stmts.traineePages;
    // Settings and, for a trainee, the exercises seen through their prescriptions and maxes: a few rows,
    // merged into the main scan by version.
    const extras = [
      ...(this.stmts.ownRows.all(user.id, since, upto) as WireDbRow[]),
      ...(coach ? [] : (this.stmts.traineeExercises.all(since, upto, user.id, user.id) as WireDbRow[])),
    ].sort((a, b) => a.version - b.version);
    let last: WireDbRow | undefined;
    let buffer: WireDbRow[] = [];
    let scanned = false;
    let exits: Row[] | undefined;
    const readPage = (limit: number): WireDbRow[] =>
      (last ? after.all(user.id, last.version, last.entity, last.id, upto, limit) : first.all(user.id, since, upto, limit)) as WireDbRow[];
    return {
      version: upto,
      next: (limit: number): Row[] => {
        const out: Row[] = [];
        while (out.length < limit) {
          if (buffer.length === 0 && !scanned) {
            buffer = readPage(limit);
            if (buffer.length < limit) scanned = true;
            last = buffer[buffer.length - 1] ?? last;
          }
          const main = buffer[0];
          const extra = extras[0];
          if (!main && !extra) break;
          out.push(wireRow(!extra || (main && main.version <= extra.version) ? buffer.shift()! : extras.shift()!));
        }
        if (out.length < limit) {
          exits ??= this.exitTombstones(user, since, upto);
          out.push(...exits.splice(0, limit - out.length));
        }
        return out;
      },
    };
  }

  /** Tombstones for rows that left the user's scope in (since, upto] and are not back in it. */
  private exitTombstones(user: { id: string }, since: number, upto: number): Row[] {
    const rows: Row[] = [];
    for (const exit of this.stmts.exitsSince.all(user.id, since, upto) as Array<{ entity: Entity; id: string; version: number }>) {
      if (!isEntity(exit.entity)) continue;
      const current = this.load(exit.entity, exit.id);
      // Back in scope: the scan (or a live frame, when it came back after `upto`) carries it.
      if (current && this.audience(current).has(user.id)) continue;
      rows.push({ entity: exit.entity, id: exit.id, version: exit.version, deleted: true, fields: {}, by: current?.by ?? '' });
    }
    return rows;
  }
}

/**
 * The ack of an op whose seq is below the client's nextSeq and at or below the highest seq whose
 * ledger entry was pruned, with a key the ledger no longer holds: a resend of an op the server
 * took long ago (the contract: a seq below nextSeq is a duplicate, never applied twice). Its
 * stored ack is gone, so it is answered `applied` with `replay: true` and no version: the op was
 * taken once and the row as it is now reached the client in catch-up. Not `rejected`: the client
 * would show it as a failed edit and invite a retry, which would apply it a second time. Not
 * `superseded` or `partial`: CoachDesk's client writes those to the resolution journal, a note
 * about a conflict that may never have happened. `applied` makes every client drop it quietly.
 */
function prunedReplay(raw: { key: string; seq: number }): Ack {
  return {
    type: 'ack',
    key: raw.key,
    seq: raw.seq,
    status: 'applied',
    message: 'this edit reached the server long ago; its outcome is no longer on record and the row shows its current state',
    replay: true,
  };
}

function seqReused(raw: { key: string; seq: number }): Ack {
  return {
    type: 'ack',
    key: raw.key,
    seq: raw.seq,
    status: 'rejected',
    reason: 'seq_reused',
    message: `seq ${raw.seq} was already used by another edit from this install`,
    replay: false,
  };
}

function keyReused(raw: { key: string; seq: number }): Ack {
  return {
    type: 'ack',
    key: raw.key,
    seq: raw.seq,
    status: 'rejected',
    reason: 'idempotency_key_reused',
    message: 'this idempotency key was already used for a different edit',
    replay: false,
  };
}
