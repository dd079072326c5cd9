// Used by bench/edit-path.ts (writeRow, writeRows, children, close) and bench/story.ts: add to
// this class freely, but keep those methods' signatures and their one-transaction-per-write cost.
import Database from 'better-sqlite3';
import type { Fields } from '../../protocol/index.ts';

export interface V1Row {
  entity: string;
  id: string;
  fields: Fields;
  updatedAt: number;
  deleted: boolean;
  dirty: boolean;
}

/** A row as it travels between V1 clients and the V1 server: the whole row and its time. */
export interface V1WireRow {
  entity: string;
  id: string;
  fields: Fields;
  updatedAt: number;
  deleted: boolean;
}

/** A row as both V1 databases store it (the client adds a dirty flag). */
export interface StoredV1Row {
  entity: string;
  id: string;
  fields: string;
  updated_at: number;
  deleted: number;
}

interface StoredRow extends StoredV1Row {
  dirty: number;
}

export const wireOf = (r: StoredV1Row): V1WireRow => ({
  entity: r.entity,
  id: r.id,
  fields: JSON.parse(r.fields) as Fields,
  updatedAt: r.updated_at,
  deleted: r.deleted === 1,
});

const fromStored = (r: StoredRow): V1Row => ({ ...wireOf(r), dirty: r.dirty === 1 });

/**
 * V1's client: the design that lost trainees' logged sets. An edit writes the whole row
 * straight into the local SQLite (WAL, synchronous=FULL, the same durability as CoachDesk's
 * outbox) with the device clock's time and a dirty flag; sync later pushes dirty rows whole
 * and the server keeps the later timestamp.
 */
export class V1ClientStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly byParent: Database.Statement;
  private readonly writeMany: (rows: Array<{ entity: string; id: string; fields: Fields | null }>, at: number) => void;
  // Sync (bench/v1-lww/sync-client.ts): dirty rows out, server rows in, a cursor.
  private readonly getOne: Database.Statement;
  private readonly dirtyAll: Database.Statement;
  private readonly putClean: Database.Statement;
  private readonly metaGet: Database.Statement;
  private readonly metaSet: Database.Statement;
  private readonly applyTx: (rows: V1WireRow[], cursor: number) => number;
  private readonly settleTx: (sent: V1WireRow[], server: V1WireRow[], cursor: number) => void;

  constructor(
    readonly file: string,
    /** The device clock: V1 trusts it, which is how a skewed laptop overwrote newer data. */
    readonly clock: () => number = Date.now,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS rows (
      entity TEXT NOT NULL, id TEXT NOT NULL, parent TEXT, fields TEXT NOT NULL,
      updated_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, dirty INTEGER NOT NULL DEFAULT 1,
      PRIMARY KEY (entity, id)) WITHOUT ROWID`);
    this.db.exec(`CREATE INDEX IF NOT EXISTS rows_parent ON rows (entity, parent)`);
    this.upsert = this.db.prepare(`INSERT INTO rows (entity, id, parent, fields, updated_at, deleted, dirty)
      VALUES (@entity, @id, @parent, @fields, @updatedAt, @deleted, 1)
      ON CONFLICT (entity, id) DO UPDATE SET parent = excluded.parent, fields = excluded.fields,
        updated_at = excluded.updated_at, deleted = excluded.deleted, dirty = 1`);
    this.byParent = this.db.prepare(`SELECT id, fields FROM rows WHERE entity = ? AND parent = ? AND deleted = 0`);
    this.writeMany = this.db.transaction((rows, at) => {
      for (const r of rows) this.upsert.run(this.params(r.entity, r.id, r.fields, at));
    });

    this.db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    this.getOne = this.db.prepare(`SELECT * FROM rows WHERE entity = ? AND id = ?`);
    this.dirtyAll = this.db.prepare(`SELECT * FROM rows WHERE dirty = 1`);
    this.putClean = this.db.prepare(`INSERT INTO rows (entity, id, parent, fields, updated_at, deleted, dirty)
      VALUES (@entity, @id, @parent, @fields, @updatedAt, @deleted, 0)
      ON CONFLICT (entity, id) DO UPDATE SET parent = excluded.parent, fields = excluded.fields,
        updated_at = excluded.updated_at, deleted = excluded.deleted, dirty = 0`);
    this.metaGet = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck();
    this.metaSet = this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    // Rows from the server replace local rows, except rows with an edit not yet pushed: the
    // push that follows settles those at the server, and its answer settles them here.
    this.applyTx = this.db.transaction((rows: V1WireRow[], cursor: number) => {
      let applied = 0;
      for (const r of rows) {
        const local = this.getOne.get(r.entity, r.id) as StoredRow | undefined;
        if (local?.dirty === 1) continue;
        this.putClean.run(this.wire(r));
        applied++;
      }
      if (cursor > this.cursor) this.metaSet.run('cursor', String(cursor));
      return applied;
    });
    // A push answered: each pushed row that was not edited again meanwhile becomes clean and
    // takes the server's row (its own, or the later write that beat it).
    this.settleTx = this.db.transaction((sent: V1WireRow[], server: V1WireRow[], cursor: number) => {
      const byKey = new Map(server.map((r) => [`${r.entity}/${r.id}`, r]));
      for (const s of sent) {
        const local = this.getOne.get(s.entity, s.id) as StoredRow | undefined;
        if (!local || local.updated_at !== s.updatedAt || local.fields !== JSON.stringify(s.fields) || (local.deleted === 1) !== s.deleted) continue;
        const canonical = byKey.get(`${s.entity}/${s.id}`);
        this.putClean.run(this.wire(canonical ?? s));
      }
      if (cursor > this.cursor) this.metaSet.run('cursor', String(cursor));
    });
  }

  private wire(r: V1WireRow) {
    return this.params(r.entity, r.id, r.deleted ? null : r.fields, r.updatedAt);
  }

  private params(entity: string, id: string, fields: Fields | null, at: number) {
    const parent = fields ? ((fields.workoutId ?? fields.programId ?? fields.sessionId ?? fields.traineeId ?? null) as string | null) : null;
    return { entity, id, parent, fields: JSON.stringify(fields ?? {}), updatedAt: at, deleted: fields ? 0 : 1 };
  }

  /** One edit: the whole row as the user now sees it (null deletes it), in its own transaction. */
  writeRow(entity: string, id: string, fields: Fields | null): void {
    this.upsert.run(this.params(entity, id, fields, this.clock()));
  }

  writeRows(rows: Array<{ entity: string; id: string; fields: Fields | null }>): void {
    this.writeMany(rows, this.clock());
  }

  /** Live rows under a parent (a day's prescriptions), as the builder shows them. */
  children(entity: string, _parentField: string, parentId: string): Array<{ id: string; fields: Fields }> {
    return (this.byParent.all(entity, parentId) as Array<{ id: string; fields: string }>).map((r) => ({ id: r.id, fields: JSON.parse(r.fields) as Fields }));
  }

  /** One row as this device holds it (tombstones included), or undefined. */
  getRow(entity: string, id: string): V1Row | undefined {
    const r = this.getOne.get(entity, id) as StoredRow | undefined;
    return r && fromStored(r);
  }

  /** Rows edited here and not yet settled by the server, whole, to push. */
  dirtyRows(): V1WireRow[] {
    return (this.dirtyAll.all() as StoredRow[]).map((r) => {
      const { dirty: _dirty, ...row } = fromStored(r);
      return row;
    });
  }

  /** The server's sequence number up to which this device has applied the server's rows. */
  get cursor(): number {
    return Number((this.metaGet.get('cursor') as string | undefined) ?? '0');
  }

  /** Rows the server sent (catch-up or live), in one transaction; returns how many replaced local rows. */
  applyServerRows(rows: V1WireRow[], cursor: number): number {
    return this.applyTx(rows, cursor);
  }

  /** The server's answer to a push of `sent`: the server's row for each of them. */
  settlePushed(sent: V1WireRow[], server: V1WireRow[], cursor: number): void {
    this.settleTx(sent, server, cursor);
  }

  close(): void {
    this.db.close();
  }
}
