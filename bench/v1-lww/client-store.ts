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

  close(): void {
    this.db.close();
  }
}
