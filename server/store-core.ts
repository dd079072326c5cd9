// What a push and a catch-up do, written once for both stores. The logic runs as generators
// that yield each read and write they need (StoreRequest) and get the answer back: the SQLite
// store answers synchronously inside one better-sqlite3 transaction (runSync), the PostgreSQL
// store with awaits inside one PostgreSQL transaction (runAsync). The domain rules (resolver,
// scope) and the ledger's exactly-once rules live here and only here.
import { checkOp, isEntity, type Ack, type Entity, type Fields, type Row } from '../protocol/index.ts';
import type { User } from './auth.ts';
import { explain, resolveOp, type RowMeta, type Writer } from './resolver.ts';
import { decodeRowMeta } from './row-meta.ts';
import { placeRow, writeForbidden, type Placement, type PlacedRow } from './scope.ts';
import { opContentHash } from './op-content.ts';

export interface RowRecord extends PlacedRow {
  version: number;
  by: string;
  meta: RowMeta;
}

/** The columns catch-up sends (no write metadata). */
export interface WireDbRow {
  entity: Entity;
  id: string;
  version: number;
  deleted: number;
  fields: string;
  by: string;
}

export interface DbRow extends WireDbRow {
  meta: string;
  coach_id: string | null;
  trainee_id: string | null;
  owner_id: string | null;
  parent_id: string | null;
  ref_id: string | null;
}

export function wireRow(r: WireDbRow): Row {
  const deleted = r.deleted === 1;
  return { entity: r.entity, id: r.id, version: r.version, deleted, fields: deleted ? {} : (JSON.parse(r.fields) as Fields), by: r.by };
}

export function toRecord(r: DbRow): RowRecord {
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

export interface PushOutcome {
  acks: Ack[];
  /** Set when an op arrived ahead of the seq the server expects; the rest were ignored. */
  expectedSeq?: number;
  /** Rows to send, per user id: canonical rows, and tombstones for rows that left their scope. */
  changes: Map<string, Row[]>;
  version: number;
}

/** The database is passingly unable to commit: nothing was applied, the client tries again. */
export class UnavailableError extends Error {}

export type RawOp = Record<string, unknown> & { key: string; seq: number };

/** How long ledger entries are kept by default (see pruneLedger). */
export const DEFAULT_LEDGER_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/** Ledger entries read (and those allowed removed) per transaction by pruneLedger. */
export const LEDGER_PRUNE_BATCH = 500;

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

/**
 * The time before which an install's ledger entries may go: past the retention, and a day
 * before the install's last push (see LEDGER_SETTLED_MS). NaN when its last push is unknown.
 */
export function ledgerPruneBefore(lastSeen: string, horizon: number): number {
  return Math.min(horizon, Date.parse(lastSeen) - LEDGER_SETTLED_MS);
}

/** A ledger entry as pruning reads it, walking the ledger oldest first. */
export interface AgedEntry {
  user_id: string;
  key: string;
  client_id: string;
  seq: number;
  stored_at: number;
}

/** Whether pruning may remove an entry: it is older than its install's bound (ledgerPruneBefore). */
export function prunableBy(clients: ReadonlyArray<{ user_id: string; client_id: string; last_seen: string }>, horizon: number): (entry: AgedEntry) => boolean {
  const before = new Map<string, number>();
  for (const c of clients) before.set(`${c.user_id}\u0000${c.client_id}`, ledgerPruneBefore(c.last_seen, horizon));
  // An install with no clients row has no known last push: nothing of it goes.
  return (e) => e.stored_at < (before.get(`${e.user_id}\u0000${e.client_id}`) ?? Number.NaN);
}

/** The highest seq removed of each install, for its clients.pruned_seq. */
export function highestPruned(removed: ReadonlyArray<{ user_id: string; client_id: string; seq: number }>): Array<{ userId: string; clientId: string; seq: number }> {
  const highest = new Map<string, { userId: string; clientId: string; seq: number }>();
  for (const e of removed) {
    const install = `${e.user_id}\u0000${e.client_id}`;
    const seen = highest.get(install);
    if (!seen) highest.set(install, { userId: e.user_id, clientId: e.client_id, seq: Number(e.seq) });
    else seen.seq = Math.max(seen.seq, Number(e.seq));
  }
  return [...highest.values()];
}


/** Everything the logic asks of a store, one read or write at a time. */
export type StoreRequest =
  | { op: 'row'; entity: Entity; id: string }
  | { op: 'children'; parentId: string; entity: Entity }
  | { op: 'exerciseTrainees'; exerciseId: string }
  | { op: 'ledgerGet'; userId: string; key: string }
  | { op: 'ledgerPut'; userId: string; key: string; clientId: string; seq: number; hash: string; ack: string; storedAt: number }
  | { op: 'ledgerTouch'; userId: string; key: string; storedAt: number }
  | { op: 'nextSeq'; userId: string; clientId: string }
  | { op: 'prunedSeq'; userId: string; clientId: string }
  | { op: 'clientPut'; userId: string; clientId: string; nextSeq: number; lastSeen: string }
  | { op: 'putRow'; row: RowRecord }
  | { op: 'relink'; coachId: string | null; traineeId: string | null; version: number; entity: Entity; id: string }
  | { op: 'bump'; version: number; entity: Entity; id: string }
  | { op: 'exitPut'; userId: string; version: number; entity: Entity; id: string }
  | { op: 'setVersion'; version: number }
  /** Runs `body` in a savepoint: rolled back to it when body throws (the error goes on). */
  | { op: 'savepoint'; body: () => Step<unknown> }
  | { op: 'scopePage'; column: 'coach_id' | 'trainee_id'; userId: string; since: number; upto: number; after?: WireDbRow; limit: number }
  | { op: 'ownRows'; userId: string; since: number; upto: number }
  | { op: 'traineeExercises'; traineeId: string; since: number; upto: number }
  | { op: 'exitsSince'; userId: string; since: number; upto: number };

export type Step<T> = Generator<StoreRequest, T, unknown>;

/** One request, its answer typed as the caller expects it. */
function* ask<T>(request: StoreRequest): Step<T> {
  return (yield request) as T;
}


/** Drives `steps` with a synchronous store (all of it inside the caller's transaction). */
export function runSync<T>(steps: Step<T>, answer: (request: StoreRequest) => unknown): T {
  let next = steps.next();
  for (;;) {
    if (next.done) return next.value;
    let value: unknown;
    try {
      value = answer(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(value);
  }
}

/** Drives `steps` with an asynchronous store. */
export async function runAsync<T>(steps: Step<T>, answer: (request: StoreRequest) => Promise<unknown>): Promise<T> {
  let next = steps.next();
  for (;;) {
    if (next.done) return next.value;
    let value: unknown;
    try {
      value = await answer(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(value);
  }
}

/** The server's version counter, moved by the logic as it writes. */
export interface VersionClock {
  version: number;
}

/** A row a push changed: who saw it before, and what it is now (when written). */
interface TouchedRow {
  entity: Entity;
  id: string;
  before: Set<string>;
  current?: RowRecord;
  /** There was no row before this push (not even a tombstone). */
  isNew: boolean;
}

/** Notes a row before the push changes it; `now` is its new state when the push wrote it. */
type Touch = (before: RowRecord | undefined, entity: Entity, id: string, now?: RowRecord) => Step<void>;

/** Child entity whose placement follows a parent's, for cascades when a parent moves. */
const CHILD_OF: Partial<Record<Entity, Entity>> = { program: 'workout', workout: 'prescription', session: 'set_log' };

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

/** Everyone who may see this row now. */
export function* audience(r: RowRecord): Step<Set<string>> {
  const users = new Set<string>();
  if (r.entity === 'settings') {
    if (r.ownerId) users.add(r.ownerId);
    return users;
  }
  if (r.coachId) users.add(r.coachId);
  if (r.traineeId) users.add(r.traineeId);
  if (r.entity === 'exercise') for (const t of ((yield { op: 'exerciseTrainees', exerciseId: r.id }) as string[])) users.add(t);
  return users;
}

/**
 * One push from one client: ledger and seq checks, each op resolved and written, and who must
 * hear of what it changed. `careful` runs each op in a savepoint of its own so an op that fails
 * unexpectedly is rejected alone (the store re-runs a push that way after such a failure);
 * `isTransient` tells a passing database fault, which must abort the whole push, from a bug.
 */
export function* pushSteps(
  clock: VersionClock,
  user: User,
  clientId: string,
  ops: RawOp[],
  receivedAt: number,
  careful: boolean,
  isTransient: (error: unknown) => boolean,
  onOpFailure: (error: unknown, key: string) => void,
): Step<PushOutcome> {
  const writer: Writer = { userId: user.id, role: user.role, clientId };
  const versionBefore = clock.version;
  let expected = ((yield { op: 'nextSeq', userId: user.id, clientId }) as number);
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
  function* noted(r: RowRecord | undefined, entity: Entity, id: string, now?: RowRecord): Step<TouchedRow> {
    return { entity, id, before: r ? yield* audience(r) : new Set<string>(), isNew: !r, ...(now ? { current: now } : {}) };
  }
  // A row touched again in this push keeps the audience noted the first time: only its
  // current state moves on (an exercise prescribed 300 times is not asked 300 times).
  const touch: Touch = function* (r, entity, id, now) {
    const entry = touched.get(`${entity}\u0000${id}`);
    if (!entry) record(yield* noted(r, entity, id, now));
    else if (now) entry.current = now;
  };
  let expectedSeq: number | undefined;

  for (const raw of ops) {
    const hash = opContentHash(raw);
    const stored = ((yield { op: 'ledgerGet', userId: user.id, key: raw.key }) as { hash: string; ack: string } | undefined);
    if (raw.seq < expected) {
      if (stored) acks.push(yield* replay(user.id, raw, hash, stored, receivedAt));
      else acks.push(raw.seq <= (((yield { op: 'prunedSeq', userId: user.id, clientId }) as number)) ? prunedReplay(raw) : seqReused(raw));
      continue;
    }
    if (raw.seq > expected) {
      expectedSeq = expected;
      break;
    }
    expected++;
    if (stored) {
      acks.push(yield* replay(user.id, raw, hash, stored, receivedAt));
      continue;
    }
    let ack: Ack;
    if (!careful) ack = yield* applyOne(clock, raw, writer, user, receivedAt, touch);
    else {
      // Touches are staged so a failed op leaves nothing to broadcast.
      const staged: TouchedRow[] = [];
      const versionBeforeOp = clock.version;
      try {
        ack = (yield* ask<Ack>({
          op: 'savepoint',
          body: () =>
            applyOne(clock, raw, writer, user, receivedAt, function* (...args) {
              staged.push(yield* noted(...args));
            }),
        })) as Ack;
        for (const row of staged) record(row);
      } catch (error) {
        if (isTransient(error)) throw error;
        clock.version = versionBeforeOp;
        onOpFailure(error, raw.key);
        ack = { type: 'ack', key: raw.key, seq: raw.seq, status: 'rejected', reason: 'internal', message: 'the server failed to apply this edit', replay: false };
      }
    }
    yield { op: 'ledgerPut', userId: user.id, key: raw.key, clientId, seq: raw.seq, hash, ack: storedAck(ack), storedAt: receivedAt };
    acks.push(ack);
  }

  const changes = yield* settleTouched(clock, touched, versionBefore, user.id);
  if (expected !== startSeq) yield { op: 'clientPut', userId: user.id, clientId, nextSeq: expected, lastSeen: new Date(receivedAt).toISOString() };
  if (clock.version !== versionBefore) yield { op: 'setVersion', version: clock.version };
  const outcome: PushOutcome = { acks, changes, version: clock.version };
  if (expectedSeq !== undefined) outcome.expectedSeq = expectedSeq;
  return outcome;
}

/** An op the ledger holds: its stored ack again (the entry renewed), or a refusal for other content. */
function* replay(userId: string, raw: { key: string; seq: number }, hash: string, stored: { hash: string; ack: string }, receivedAt: number): Step<Ack> {
  if (stored.hash !== hash) return keyReused(raw);
  yield { op: 'ledgerTouch', userId, key: raw.key, storedAt: receivedAt };
  return { type: 'ack', key: raw.key, ...(JSON.parse(stored.ack) as Omit<Ack, 'type' | 'key' | 'seq' | 'replay'>), seq: raw.seq, replay: true } as Ack;
}

/**
 * What the ledger keeps of an ack: its outcome (status, version, reason, dropped, message).
 * Its type, key, seq and replay flag are the op's and are put back on a replay; entries
 * written before this kept the whole ack, which reads the same.
 */
function storedAck(ack: Ack): string {
  // The usual outcome, written directly: the same text JSON.stringify gives it.
  if (ack.status === 'applied' && typeof ack.version === 'number' && ack.dropped === undefined && ack.reason === undefined && ack.message === undefined) {
    return `{"status":"applied","version":${ack.version}}`;
  }
  const { type: _type, key: _key, seq: _seq, replay: _replay, ...outcome } = ack;
  return JSON.stringify(outcome);
}

/** placeRow for a row with these fields; it looks up parents synchronously, so they are read first. */
function* placeWith(entity: Entity, id: string, fields: Fields): Step<ReturnType<typeof placeRow>> {
  const known = new Map<string, RowRecord | undefined>();
  for (;;) {
    let missing: [Entity, string] | undefined;
    const placed = placeRow(entity, id, fields, (parent, parentId) => {
      const k = `${parent}\u0000${parentId}`;
      if (!known.has(k)) missing ??= [parent, parentId];
      return known.get(k);
    });
    if (!missing) return placed;
    known.set(`${missing[0]}\u0000${missing[1]}`, ((yield { op: 'row', entity: missing[0], id: missing[1] }) as RowRecord | undefined));
  }
}

function* applyOne(clock: VersionClock, raw: RawOp, writer: Writer, user: User, receivedAt: number, touch: Touch): Step<Ack> {
  const base = { type: 'ack' as const, key: raw.key, seq: raw.seq, replay: false };
  const checked = checkOp(raw);
  if (!checked.ok) return { ...base, status: 'rejected', reason: 'invalid', message: checked.message };
  const op = checked.op;
  const existing = ((yield { op: 'row', entity: op.entity, id: op.id }) as RowRecord | undefined);

  let after: Placement | undefined = existing;
  if (op.action === 'put' || (op.action === 'patch' && existing && !existing.deleted)) {
    const merged = op.action === 'put' ? op.fields : { ...existing!.fields, ...op.fields };
    const placed = yield* placeWith(op.entity, op.id, merged);
    if (!placed.ok) return { ...base, status: 'rejected', reason: placed.reason, message: placed.message };
    after = placed.placement;
  }
  if (after) {
    const forbidden = writeForbidden(user, op, existing, after);
    if (forbidden) return { ...base, status: 'rejected', reason: 'forbidden', message: forbidden };
  }

  const version = clock.version + 1;
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
    const placed = yield* placeWith(op.entity, op.id, resolution.next.fields);
    if (!placed.ok) return { ...base, status: 'rejected', reason: placed.reason, message: placed.message };
    placement = placed.placement;
  }
  clock.version = version;
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
  yield* touch(existing, op.entity, op.id, next);
  if (refersToExercise(op.entity) && exerciseAudienceMayChange(existing, next)) {
    if (existing?.refId) yield* touch(((yield { op: 'row', entity: 'exercise', id: existing.refId }) as RowRecord | undefined), 'exercise', existing.refId);
    if (next.refId && next.refId !== existing?.refId) yield* touch(((yield { op: 'row', entity: 'exercise', id: next.refId }) as RowRecord | undefined), 'exercise', next.refId);
  }
  yield { op: 'putRow', row: next };
  if (existing && placementChanged(existing, next)) yield* relinkChildren(next, version, touch);

  const ack: Ack = { ...base, status: resolution.status, version };
  if (resolution.dropped.length) ack.dropped = resolution.dropped;
  if (resolution.reason) {
    ack.reason = resolution.reason;
    ack.message = explain(resolution.reason, resolution.dropped, op.entity);
  }
  return ack;
}

/** A parent moved to another trainee (or coach): its descendants follow, with new versions. */
function* relinkChildren(parent: RowRecord, version: number, touch: Touch): Step<void> {
  const childEntity = CHILD_OF[parent.entity];
  if (!childEntity) return;
  for (const child of ((yield { op: 'children', parentId: parent.id, entity: childEntity }) as RowRecord[])) {
    if (child.coachId === parent.coachId && child.traineeId === parent.traineeId) continue;
    const moved = { ...child, coachId: parent.coachId, traineeId: parent.traineeId, version };
    yield* touch(child, child.entity, child.id, moved);
    if (child.entity === 'prescription' && child.refId) yield* touch(((yield { op: 'row', entity: 'exercise', id: child.refId }) as RowRecord | undefined), 'exercise', child.refId);
    yield { op: 'relink', coachId: parent.coachId, traineeId: parent.traineeId, version, entity: child.entity, id: child.id };
    yield* relinkChildren(moved, version, touch);
  }
}

/**
 * After a push: every row it touched goes to everyone who sees it now; everyone who saw it
 * before and no longer does gets a tombstone, live and (through scope_exits) in catch-up.
 */
function* settleTouched(clock: VersionClock, touched: Map<string, TouchedRow>, versionBefore: number, writerId: string): Step<Map<string, Row[]>> {
  const changes = new Map<string, Row[]>();
  const send = (userId: string, row: Row) => {
    const list = changes.get(userId);
    if (list) list.push(row);
    else changes.set(userId, [row]);
  };
  // Trainees see an exercise through prescriptions and maxes, which name only exercises that
  // exist: one created in this push is seen by its coach alone unless this push wrote such rows.
  let refsWritten = false;
  for (const t of touched.values()) if (refersToExercise(t.entity)) refsWritten = true;
  for (const { entity, id, before, current: written, isNew } of touched.values()) {
    const current = written ?? (((yield { op: 'row', entity, id }) as RowRecord | undefined));
    if (!current) continue;
    const after = entity === 'exercise' && isNew && !refsWritten ? new Set(current.coachId ? [current.coachId] : []) : yield* audience(current);
    // Most rows a push touches are new: nobody saw them before.
    const left = before.size === 0 ? [] : [...before].filter((u) => !after.has(u));
    const joined = before.size === 0 ? after.size > 0 : [...after].some((u) => !before.has(u));
    if (current.version <= versionBefore) {
      if (!left.length && !joined) continue;
      // Only its audience changed (an exercise seen through a program): give it a new version.
      current.version = ++clock.version;
      yield { op: 'bump', version: current.version, entity, id };
    }
    const row = toWireRow(current);
    for (const userId of after) send(userId, row);
    for (const userId of left) {
      yield { op: 'exitPut', userId, version: current.version, entity, id };
      send(userId, { entity, id, version: current.version, deleted: true, fields: {}, by: writerId });
    }
  }
  return changes;
}

/**
 * A catch-up read page by page: rows in the user's scope with `since < version <= upto` in
 * version order (the scope column's pages merged with the user's settings and, for a trainee,
 * the exercises seen through prescriptions and maxes), then tombstones for rows that left the
 * scope. Each page is one `next(limit)`, run by the store's driver.
 */
export class CatchUpPlan {
  private extras: WireDbRow[] | undefined;
  private last: WireDbRow | undefined;
  private buffer: WireDbRow[] = [];
  private scanned = false;
  private exits: Row[] | undefined;

  constructor(
    private readonly user: { id: string; role: string },
    private readonly since: number,
    readonly upto: number,
  ) {}

  *next(limit: number): Step<Row[]> {
    const { user, since, upto } = this;
    const coach = user.role === 'coach';
    if (!this.extras) {
      const own = ((yield { op: 'ownRows', userId: user.id, since, upto }) as WireDbRow[]);
      const exercises = coach ? [] : ((yield { op: 'traineeExercises', traineeId: user.id, since, upto }) as WireDbRow[]);
      this.extras = [...own, ...exercises].sort((a, b) => a.version - b.version);
    }
    const extras = this.extras;
    const out: Row[] = [];
    while (out.length < limit) {
      if (this.buffer.length === 0 && !this.scanned) {
        this.buffer = yield* ask<WireDbRow[]>({
          op: 'scopePage',
          column: coach ? 'coach_id' : 'trainee_id',
          userId: user.id,
          since,
          upto,
          ...(this.last ? { after: this.last } : {}),
          limit,
        });
        if (this.buffer.length < limit) this.scanned = true;
        this.last = this.buffer[this.buffer.length - 1] ?? this.last;
      }
      const main = this.buffer[0];
      const extra = extras[0];
      if (!main && !extra) break;
      out.push(wireRow(!extra || (main && main.version <= extra.version) ? this.buffer.shift()! : extras.shift()!));
    }
    if (out.length < limit) {
      this.exits ??= yield* exitTombstones(user, since, upto);
      out.push(...this.exits.splice(0, limit - out.length));
    }
    return out;
  }
}

/** Tombstones for rows that left the user's scope in (since, upto] and are not back in it. */
function* exitTombstones(user: { id: string }, since: number, upto: number): Step<Row[]> {
  const rows: Row[] = [];
  for (const exit of ((yield { op: 'exitsSince', userId: user.id, since, upto }) as Array<{ entity: Entity; id: string; version: number }>)) {
    if (!isEntity(exit.entity)) continue;
    const current = ((yield { op: 'row', entity: exit.entity, id: exit.id }) as RowRecord | undefined);
    // Back in scope: the scan (or a live frame, when it came back after `upto`) carries it.
    if (current && (yield* audience(current)).has(user.id)) continue;
    rows.push({ entity: exit.entity, id: exit.id, version: exit.version, deleted: true, fields: {}, by: current?.by ?? '' });
  }
  return rows;
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
/** An ack that is not an op's own outcome (the op was not run): only its status and words differ. */
function answered(raw: { key: string; seq: number }, outcome: Pick<Ack, 'status' | 'reason' | 'message' | 'replay'>): Ack {
  return { type: 'ack', key: raw.key, seq: raw.seq, ...outcome } as Ack;
}

function prunedReplay(raw: { key: string; seq: number }): Ack {
  return answered(raw, {
    status: 'applied',
    message: 'this edit reached the server long ago; its outcome is no longer on record and the row shows its current state',
    replay: true,
  });
}

function seqReused(raw: { key: string; seq: number }): Ack {
  return answered(raw, { status: 'rejected', reason: 'seq_reused', message: `seq ${raw.seq} was already used by another edit from this install`, replay: false });
}

function keyReused(raw: { key: string; seq: number }): Ack {
  return answered(raw, { status: 'rejected', reason: 'idempotency_key_reused', message: 'this idempotency key was already used for a different edit', replay: false });
}
