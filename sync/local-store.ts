import type { SyncDb } from './db.ts';
import {
  applyOp,
  checkFields,
  ENTITIES,
  isEntity,
  isUuid,
  newId,
  type Ack,
  type Action,
  type Entity,
  type Fields,
  type Op,
  type Reason,
  type Role,
  type Row,
} from '../protocol/index.ts';
import { isoTime } from './iso-time.ts';
import { migrate, MigrationError, PARENT_FIELD, SCHEMA_VERSION, userVersion } from './local-schema.ts';

/** An edit as the app makes it; the store adds key, seq, time and base version. */
export interface Edit {
  entity: Entity;
  id: string;
  action: Action;
  fields?: Fields;
}

/** A row as the UI shows it: the replica with this install's pending edits laid on top. */
export interface ViewRow {
  entity: Entity;
  id: string;
  version: number;
  fields: Fields;
  /** True while edits of this row wait in the outbox. */
  pending: boolean;
}

export interface FailedOp {
  op: Op;
  reason: Reason | string;
  message: string;
  failedAt: string;
}

export interface JournalEntry {
  id: number;
  at: string;
  key: string;
  entity: Entity;
  rowId: string;
  action: Action;
  status: 'partial' | 'superseded';
  reason: string;
  dropped: string[];
  message: string;
  /** What the user tried to write. */
  fields: Fields;
}

export interface IncomingBatch {
  rows: Row[];
  acks: Ack[];
  syncedVersion?: number;
}

export interface IncomingResult {
  applied: number;
  rejected: number;
  /** Keys of ops the acks removed from the outbox. */
  done: string[];
}

export class LocalStoreError extends Error {}

/** The local database cannot be used by this build; it was left as it was. */
export class UnusableDatabaseError extends LocalStoreError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** The local database was written by a newer CoachDesk. It is never downgraded, nor changed at all. */
export class NewerDatabaseError extends UnusableDatabaseError {
  constructor(
    file: string,
    readonly version: number,
    readonly supported: number = SCHEMA_VERSION,
  ) {
    super(
      file,
      `the local database ${file} was written by a newer CoachDesk (schema ${version}; this version reads up to schema ${supported}). ` +
        `Install the newer CoachDesk to open it; this version leaves the file unchanged.`,
    );
  }
}

interface OutboxRow {
  seq: number;
  key: string;
  entity: Entity;
  id: string;
  action: Action;
  fields: string;
  base_version: number;
  at: string;
}

interface FailedRow extends OutboxRow {
  ack: string;
  failed_at: string;
}

function toOp(r: OutboxRow): Op {
  return { key: r.key, seq: r.seq, at: r.at, entity: r.entity, id: r.id, action: r.action, fields: JSON.parse(r.fields) as Fields, baseVersion: r.base_version };
}


interface StoredView {
  id: string;
  version: number;
  fields: string;
}

/**
 * Whether pending ops may leave a row under `parent`, decided from the ops alone so that
 * listing a day's rows does not build the view of every pending row. The replica's parent
 * counts only when no op sets the field, and then the replica query has already found it.
 */
function mayHaveParent(ops: Op[], parent: { field: string; id: string }): boolean {
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    // Scanning back from the newest op, a delete met before any put leaves the row deleted
    // (a patch of a deleted row changes nothing).
    if (op.action === 'delete') return false;
    if (op.action === 'put' || Object.hasOwn(op.fields, parent.field)) return op.fields[parent.field] === parent.id;
  }
  return false;
}

interface ReplicaHead {
  version: number;
  deleted: number;
}

/** Rows whose replica head is kept in memory, at most (a few MB); past it the cache starts over. */
const HEADS_KEPT = 50_000;

function refuseEdit(message: string, index: number, count: number): never {
  throw new LocalStoreError(count > 1 ? `edit ${index + 1} of ${count}: ${message}` : message);
}

const rowKey = (entity: string, id: string) => `${entity}\u0000${id}`;

export interface LocalStoreOptions {
  /** The device's clock: edits carry its time (a laptop's clock may be hours off). */
  clock?: () => number;
  /** What errors call the database: its file name. */
  name?: string;
}

/**
 * A client's local database: the replica of canonical rows, the durable outbox of edits not
 * yet acknowledged, the resolution journal, and the sync cursor. Written against SyncDb, so the
 * desktop (better-sqlite3) and the trainee app (SQLite WebAssembly in a worker) share it.
 */
export class LocalStore {
  readonly file: string;
  readonly clientId: string;
  private nextSeqValue: number;
  /** Pending ops per row, in seq order: the optimistic layer over the replica. */
  private readonly overlay = new Map<string, Op[]>();
  /** Rows with a pending op that puts them under a parent, by parent id (and back): a day lists its new rows without a scan. */
  private readonly overlayByParent = new Map<string, Set<string>>();
  private readonly overlayParentsOf = new Map<string, Set<string>>();
  private pendingTotal = 0;
  /**
   * The replica's version and deleted flag of rows edited here (null: no such row), so an edit
   * does not read its base version from SQLite each time (that SELECT was most of what an edit
   * cost above an upsert). Filled on first use; applyIncoming, the replica's only writer, keeps
   * the rows it holds in step once its transaction has committed.
   */
  private readonly heads = new Map<string, ReplicaHead | null>();
  private readonly stmts;

  /** The device's clock: edits carry its time (a laptop's clock may be hours off). */
  private readonly clock: () => number;

  /**
   * Takes over an open database (an adapter made it durable: synchronous=FULL where the VFS
   * has such a setting) and brings its schema up to date.
   */
  constructor(
    readonly db: SyncDb,
    options: LocalStoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    const file = (this.file = options.name ?? ':memory:');
    try {
      const { to } = migrate(this.db);
      // Written by a newer CoachDesk: migrate left it untouched.
      if (to > SCHEMA_VERSION) throw new NewerDatabaseError(file, to);
    } catch (error) {
      this.db.close();
      if (error instanceof MigrationError) throw new UnusableDatabaseError(file, `the local database ${file} cannot be opened: ${error.message}`);
      throw error;
    }
    this.stmts = {
      metaGet: db.prepare(`SELECT value FROM meta WHERE key = ?`),
      metaSet: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      replicaGet: db.prepare(`SELECT version, deleted, fields FROM replica WHERE entity = ? AND id = ?`),
      replicaPut: db.prepare(
        `INSERT INTO replica (entity, id, version, deleted, fields, by, parent) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (entity, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, fields = excluded.fields,
           by = excluded.by, parent = excluded.parent
         WHERE excluded.version >= replica.version`,
      ),
      replicaList: db.prepare(`SELECT id, version, fields FROM replica WHERE entity = ? AND deleted = 0`),
      // Named: without statistics the planner prefers the primary key's entity prefix, which
      // scans every row of the entity (a client's 100k set logs for one session's sets).
      replicaChildren: db.prepare(`SELECT id, version, fields FROM replica INDEXED BY replica_by_parent WHERE entity = ? AND parent = ? AND deleted = 0`),
      replicaCounts: db.prepare(`SELECT entity, COUNT(*) AS n FROM replica WHERE deleted = 0 GROUP BY entity`),
      replicaHead: db.prepare(`SELECT version, deleted FROM replica WHERE entity = ? AND id = ?`),
      outboxInsert: db.prepare(`INSERT INTO outbox (seq, key, entity, id, action, fields, base_version, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      outboxByKey: db.prepare(`SELECT * FROM outbox WHERE key = ?`),
      outboxDelete: db.prepare(`DELETE FROM outbox WHERE key = ?`),
      outboxPending: db.prepare(`SELECT * FROM outbox WHERE seq >= ? ORDER BY seq LIMIT ?`),
      outboxAllPending: db.prepare(`SELECT * FROM outbox ORDER BY seq`),
      failedInsert: db.prepare(
        `INSERT OR REPLACE INTO failed (key, seq, entity, id, action, fields, base_version, at, ack, failed_at)
         VALUES (@key, @seq, @entity, @id, @action, @fields, @base_version, @at, @ack, @failed_at)`,
      ),
      failedByKey: db.prepare(`SELECT * FROM failed WHERE key = ?`),
      failedDelete: db.prepare(`DELETE FROM failed WHERE key = ?`),
      failedAll: db.prepare(`SELECT * FROM failed ORDER BY failed_at, seq`),
      outboxResequence: db.prepare(`UPDATE outbox SET seq = ? WHERE key = ?`),
      journalInsert: db.prepare(
        `INSERT INTO journal (at, key, entity, row_id, action, status, reason, dropped, message, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      journalList: db.prepare(`SELECT * FROM journal ORDER BY id DESC LIMIT ?`),
    };

    this.clientId = this.getMeta('clientId') ?? this.initClientId();
    const lastQueued = (db.prepare(`SELECT MAX(seq) AS seq FROM outbox`).get() as { seq: number | null }).seq;
    this.nextSeqValue = Math.max(Number(this.getMeta('nextSeq') ?? '1'), (lastQueued ?? 0) + 1);
    for (const row of this.stmts.outboxAllPending.all() as OutboxRow[]) this.addToOverlay(toOp(row));
  }

  private initClientId(): string {
    const id = crypto.randomUUID();
    this.setMeta('clientId', id);
    return id;
  }

  getMeta(key: string): string | undefined {
    return (this.stmts.metaGet.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.metaSet.run(key, value);
  }

  get lastVersion(): number {
    return Number(this.getMeta('lastVersion') ?? '0');
  }

  get identity(): { userId?: string; role?: Role } {
    return { userId: this.getMeta('userId'), role: this.getMeta('role') as Role | undefined };
  }

  get pendingCount(): number {
    return this.pendingTotal;
  }

  get nextSeq(): number {
    return this.nextSeqValue;
  }

  private addToOverlay(op: Op): void {
    const k = rowKey(op.entity, op.id);
    const field = PARENT_FIELD[op.entity];
    const parent = field ? op.fields[field] : undefined;
    if (typeof parent === 'string') {
      const rows = this.overlayByParent.get(parent);
      if (rows) rows.add(k);
      else this.overlayByParent.set(parent, new Set([k]));
      const parents = this.overlayParentsOf.get(k);
      if (parents) parents.add(parent);
      else this.overlayParentsOf.set(k, new Set([parent]));
    }
    const list = this.overlay.get(k);
    if (list) list.push(op);
    else this.overlay.set(k, [op]);
    this.pendingTotal++;
  }

  private removeFromOverlay(op: { entity: string; id: string; key: string }): void {
    const k = rowKey(op.entity, op.id);
    const list = this.overlay.get(k);
    if (!list) return;
    const i = list.findIndex((o) => o.key === op.key);
    if (i < 0) return;
    list.splice(i, 1);
    this.pendingTotal--;
    if (list.length === 0) {
      this.overlay.delete(k);
      for (const parent of this.overlayParentsOf.get(k) ?? []) this.overlayByParent.get(parent)?.delete(k);
      this.overlayParentsOf.delete(k);
    }
  }

  /**
   * Records an edit in the outbox in one durable transaction and returns the op. Invalid edits
   * throw a LocalStoreError naming the field and write nothing.
   */
  enqueue(edit: Edit): Op {
    return this.enqueueAll([edit])[0]!;
  }

  /** Several edits as one durable transaction: all are queued, or none. */
  enqueueAll(edits: Edit[]): Op[] {
    if (edits.length === 0) return [];
    const at = isoTime(this.clock());
    // One edit is one INSERT, made durable and atomic by SQLite's own statement transaction,
    // without BEGIN and COMMIT round trips (the write then costs V1's upsert and little more).
    // Several share a transaction; a refused one throws inside it, which rolls back those
    // already inserted.
    const ops =
      edits.length === 1
        ? [this.insertEdit(edits[0]!, 0, 1, undefined, at)]
        : this.db.transaction(() => {
            const created = new Set<string>();
            return edits.map((edit, i) => this.insertEdit(edit, i, edits.length, created, at));
          });
    this.nextSeqValue = ops[ops.length - 1]!.seq + 1;
    for (const op of ops) this.addToOverlay(op);
    return ops;
  }

  /**
   * Checks one edit of a batch and inserts its op, or throws a LocalStoreError naming what is
   * wrong. `created`: the rows the batch's earlier edits put.
   */
  private insertEdit(edit: Edit, index: number, count: number, created: Set<string> | undefined, at: string): Op {
    // The store makes key, seq, time and base version itself; what the caller gave is checked.
    if (!isEntity(edit.entity)) refuseEdit(`op entity must be one of ${ENTITIES.join(', ')}`, index, count);
    if (!isUuid(edit.id)) refuseEdit('op id must be a UUID', index, count);
    if (edit.action !== 'put' && edit.action !== 'patch' && edit.action !== 'delete') refuseEdit(`op action must be put, patch or delete, not ${String(edit.action)}`, index, count);
    const checked = checkFields(edit.entity, edit.action, edit.action === 'delete' ? {} : (edit.fields ?? {}));
    if (!checked.ok) refuseEdit(checked.message, index, count);
    const k = rowKey(edit.entity, edit.id);
    const head = this.replicaHead(edit.entity, edit.id, k);
    // A put needs no row. A patch or delete needs the row in the view: pending ops decide when
    // one of them puts or deletes it, else the replica does.
    const live = edit.action === 'put' || created?.has(k) || (this.pendingExists(k) ?? (head !== undefined && head.deleted === 0));
    if (!live) refuseEdit(`no ${edit.entity} with id ${edit.id} to ${edit.action}`, index, count);
    const key = newId();
    const seq = this.nextSeqValue + index;
    const fields = (checked as { fields: Fields }).fields;
    const baseVersion = head?.version ?? 0;
    this.stmts.outboxInsert.run(seq, key, edit.entity, edit.id, edit.action, JSON.stringify(fields), baseVersion, at);
    if (edit.action === 'put') created?.add(k);
    else if (edit.action === 'delete') created?.delete(k);
    return { key, seq, at, entity: edit.entity, id: edit.id, action: edit.action, fields, baseVersion };
  }

  private replicaHead(entity: string, id: string, k: string): ReplicaHead | undefined {
    let head = this.heads.get(k);
    if (head === undefined) {
      head = (this.stmts.replicaHead.get(entity, id) as ReplicaHead | undefined) ?? null;
      if (this.heads.size >= HEADS_KEPT) this.heads.clear();
      this.heads.set(k, head);
    }
    return head ?? undefined;
  }

  /** Whether the view holds the row as the newest pending put or delete says; undefined when no pending op decides. */
  private pendingExists(k: string): boolean | undefined {
    const pending = this.overlay.get(k);
    if (pending) {
      for (let i = pending.length - 1; i >= 0; i--) {
        const action = pending[i]!.action;
        if (action === 'put') return true;
        if (action === 'delete') return false;
      }
    }
    return undefined;
  }

  /** The row as the UI shows it, or undefined when it does not exist (or is deleted). */
  getRow(entity: Entity, id: string): ViewRow | undefined {
    const stored = this.stmts.replicaGet.get(entity, id) as { version: number; deleted: number; fields: string } | undefined;
    let state = stored && { deleted: stored.deleted === 1, fields: JSON.parse(stored.fields) as Fields };
    const pending = this.overlay.get(rowKey(entity, id));
    if (pending) for (const op of pending) state = applyOp(state, op.action, op.fields);
    if (!state || state.deleted) return undefined;
    return { entity, id, version: stored?.version ?? 0, fields: state.fields, pending: !!pending };
  }

  /**
   * A row's fields as last known, even while a pending delete hides it from the view (what the
   * outbox says an edit deletes). Undefined for a row never seen.
   */
  getReplicaRow(entity: Entity, id: string): { fields: Fields } | undefined {
    const stored = this.stmts.replicaGet.get(entity, id) as { deleted: number; fields: string } | undefined;
    let state = stored && stored.deleted === 0 ? { deleted: false, fields: JSON.parse(stored.fields) as Fields } : undefined;
    for (const op of this.overlay.get(rowKey(entity, id)) ?? []) if (op.action !== 'delete') state = applyOp(state, op.action, op.fields);
    return state && { fields: state.fields };
  }

  /** All live rows of an entity as the UI shows them. */
  list(entity: Entity, where?: (fields: Fields) => boolean): ViewRow[] {
    return this.viewOf(entity, this.stmts.replicaList.all(entity) as StoredView[], where);
  }

  /** Live rows whose parent link (programId, workoutId, sessionId, traineeId) is `parentId`, through an index. */
  children(entity: Entity, parentId: string): ViewRow[] {
    const field = PARENT_FIELD[entity];
    if (!field) throw new LocalStoreError(`${entity} rows have no parent`);
    return this.viewOf(entity, this.stmts.replicaChildren.all(entity, parentId) as StoredView[], (f) => f[field] === parentId, { field, id: parentId });
  }

  private viewOf(entity: Entity, stored: StoredView[], where?: (fields: Fields) => boolean, parent?: { field: string; id: string }): ViewRow[] {
    const out: ViewRow[] = [];
    const seen = new Set<string>();
    for (const r of stored) {
      seen.add(r.id);
      const pending = this.overlay.get(rowKey(entity, r.id));
      const view = pending ? this.getRow(entity, r.id) : { entity, id: r.id, version: r.version, fields: JSON.parse(r.fields) as Fields, pending: false };
      if (view && (!where || where(view.fields))) out.push(view);
    }
    // Rows created here and not yet acknowledged, and pending edits to replica tombstones.
    const candidates = parent ? [...(this.overlayByParent.get(parent.id) ?? [])].map((k) => this.overlay.get(k)!) : this.overlay.values();
    for (const ops of candidates) {
      const first = ops[0]!;
      if (first.entity !== entity || seen.has(first.id)) continue;
      seen.add(first.id);
      if (parent && !mayHaveParent(ops, parent)) continue;
      const view = this.getRow(entity, first.id);
      if (view && (!where || where(view.fields))) out.push(view);
    }
    return out;
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.stmts.replicaCounts.all() as Array<{ entity: string; n: number }>) out[r.entity] = r.n;
    return out;
  }

  /** Pending ops from `fromSeq` on, in seq order. */
  pendingOps(fromSeq: number, limit: number): Op[] {
    return (this.stmts.outboxPending.all(fromSeq, limit) as OutboxRow[]).map(toOp);
  }

  // The engine reads the failed list and the journal on every state change; they change only
  // here, so they are read from the database again only after a write to them.
  private failedCache: FailedOp[] | undefined;
  private journalCache: { limit: number; entries: JournalEntry[] } | undefined;

  failedOps(): FailedOp[] {
    this.failedCache ??= this.readFailed();
    return [...this.failedCache];
  }

  journal(limit = 100): JournalEntry[] {
    if (this.journalCache?.limit !== limit) this.journalCache = { limit, entries: this.readJournal(limit) };
    return [...this.journalCache.entries];
  }

  private readFailed(): FailedOp[] {
    return (this.stmts.failedAll.all() as FailedRow[]).map((r) => {
      const ack = JSON.parse(r.ack) as Ack;
      return { op: toOp(r), reason: ack.reason ?? 'rejected', message: ack.message ?? 'the server refused this edit', failedAt: r.failed_at };
    });
  }

  private readJournal(limit: number): JournalEntry[] {
    return (this.stmts.journalList.all(limit) as Array<Record<string, unknown>>).map((r) => ({
      id: r.id as number,
      at: r.at as string,
      key: r.key as string,
      entity: r.entity as Entity,
      rowId: r.row_id as string,
      action: r.action as Action,
      status: r.status as 'partial' | 'superseded',
      reason: r.reason as string,
      dropped: JSON.parse(r.dropped as string) as string[],
      message: r.message as string,
      fields: JSON.parse(r.fields as string) as Fields,
    }));
  }

  /** Records who this install syncs as, and numbers the outbox from the seq the server expects. */
  recordWelcome(welcome: { userId: string; role: Role; nextSeq: number }): void {
    this.db.transaction(() => {
      this.setMeta('userId', welcome.userId);
      this.setMeta('role', welcome.role);
      this.renumberPending(welcome.nextSeq);
    });
  }

  /**
   * Numbers the pending ops contiguously from `from`, in their order, and the next edit after
   * them. Always safe: an op the server already applied is known by its key and only replayed,
   * and one it never saw is applied once. It is what keeps the queue moving when the server's
   * count and this file's disagree (a file restored from a backup, a server restored from one).
   */
  renumberPending(from: number): void {
    const pending = this.stmts.outboxAllPending.all() as OutboxRow[];
    const aligned = pending.every((r, i) => r.seq === from + i);
    const next = from + pending.length;
    if (aligned && next === this.nextSeqValue) return;
    this.db.transaction(() => {
      if (!aligned) {
        // Move out of the way first so the primary key never collides mid-update.
        for (const r of pending) this.stmts.outboxResequence.run(-r.seq, r.key);
        pending.forEach((r, i) => this.stmts.outboxResequence.run(from + i, r.key));
      }
      this.setMeta('nextSeq', String(next));
    });
    this.nextSeqValue = next;
    if (!aligned) this.rebuildOverlay();
  }

  private rebuildOverlay(): void {
    this.overlay.clear();
    this.overlayByParent.clear();
    this.overlayParentsOf.clear();
    this.pendingTotal = 0;
    for (const row of this.stmts.outboxAllPending.all() as OutboxRow[]) this.addToOverlay(toOp(row));
  }

  /**
   * Applies what arrived from the server in one transaction: canonical rows (newer versions
   * only), acks (drop the op, or park a rejected one in the failed list), and the cursor.
   * Losing this transaction in a crash is harmless: the server replays it, so it skips the
   * outbox's full durability.
   */
  applyIncoming(batch: IncomingBatch): IncomingResult {
    const result: IncomingResult = { applied: 0, rejected: 0, done: [] };
    const settled: Op[] = [];
    this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      this.db.transaction(() => {
        for (const row of batch.rows) {
          const parentField = PARENT_FIELD[row.entity];
          const parent = !row.deleted && parentField ? row.fields[parentField] : null;
          this.stmts.replicaPut.run(
            row.entity,
            row.id,
            row.version,
            row.deleted ? 1 : 0,
            JSON.stringify(row.deleted ? {} : row.fields),
            row.by,
            typeof parent === 'string' ? parent : null,
          );
        }
        const now = isoTime(this.clock());
        for (const ack of batch.acks) {
          const stored = this.stmts.outboxByKey.get(ack.key) as OutboxRow | undefined;
          if (!stored) continue;
          const op = toOp(stored);
          this.stmts.outboxDelete.run(ack.key);
          if (ack.status === 'rejected') {
            this.failedCache = undefined;
            this.stmts.failedInsert.run({ ...stored, ack: JSON.stringify(ack), failed_at: now });
            result.rejected++;
          } else {
            result.applied++;
            if (ack.status === 'partial' || ack.status === 'superseded') {
              this.journalCache = undefined;
              this.stmts.journalInsert.run(
                now,
                op.key,
                op.entity,
                op.id,
                op.action,
                ack.status,
                ack.reason ?? ack.status,
                JSON.stringify(ack.dropped ?? []),
                ack.message ?? '',
                JSON.stringify(op.fields),
              );
            }
          }
          settled.push(op);
          result.done.push(ack.key);
        }
        if (settled.length) this.setMeta('nextSeq', String(this.nextSeqValue));
        if (batch.syncedVersion !== undefined && batch.syncedVersion > this.lastVersion) {
          this.setMeta('lastVersion', String(batch.syncedVersion));
          this.setMeta('lastSyncAt', now);
        }
      });
    } finally {
      this.db.exec('PRAGMA synchronous = FULL');
    }
    // As replicaPut left them: a row replaces the stored one unless that one is newer.
    for (const row of batch.rows) {
      const k = rowKey(row.entity, row.id);
      const head = this.heads.get(k);
      if (head === undefined) continue;
      if (head === null || row.version >= head.version) this.heads.set(k, { version: row.version, deleted: row.deleted ? 1 : 0 });
    }
    for (const op of settled) this.removeFromOverlay(op);
    return result;
  }

  /** A failed edit, sent again as a new edit (new key and seq) on the current row. */
  retry(key: string): Op {
    const stored = this.stmts.failedByKey.get(key) as FailedRow | undefined;
    if (!stored) throw new LocalStoreError(`no failed edit with key ${key}`);
    const old = toOp(stored);
    const newKey = newId();
    const seq = this.nextSeqValue;
    const at = isoTime(this.clock());
    // Sent as it was, whatever the row has become since: the server resolves it again.
    const op = this.db.transaction((): Op => {
      this.failedCache = undefined;
      this.stmts.failedDelete.run(key);
      const baseVersion = this.replicaHead(old.entity, old.id, rowKey(old.entity, old.id))?.version ?? 0;
      this.stmts.outboxInsert.run(seq, newKey, old.entity, old.id, old.action, JSON.stringify(old.fields), baseVersion, at);
      return { ...old, key: newKey, seq, at, baseVersion };
    });
    this.nextSeqValue = op.seq + 1;
    this.addToOverlay(op);
    return op;
  }

  /** Drops a failed edit for good (the user confirmed). */
  discard(key: string): void {
    this.failedCache = undefined;
    if (this.stmts.failedDelete.run(key).changes === 0) throw new LocalStoreError(`no failed edit with key ${key}`);
  }

  close(): void {
    this.db.close();
  }
}
