// The local database's schema version (PRAGMA user_version) and its forward migrations. Plain
// SQL through exec/prepare().run/get/all only, so it ports to a minimal synchronous DB.
import type { SyncDb } from './db.ts';
import type { Entity } from '../protocol/index.ts';

/** The schema this build writes, and the newest it reads. */
export const SCHEMA_VERSION = 3;

/** The field that links a row to the row it belongs to, kept in replica.parent and indexed. */
export const PARENT_FIELD: Partial<Record<Entity, string>> = {
  program: 'traineeId',
  workout: 'programId',
  prescription: 'workoutId',
  max: 'traineeId',
  session: 'traineeId',
  set_log: 'sessionId',
};

/** Schema 3, as a new file gets it. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replica (
  entity TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  fields TEXT NOT NULL,
  by TEXT NOT NULL,
  parent TEXT,
  PRIMARY KEY (entity, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replica_by_parent ON replica (entity, parent) WHERE parent IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  entity TEXT NOT NULL,
  id TEXT NOT NULL,
  action TEXT NOT NULL,
  fields TEXT NOT NULL,
  base_version INTEGER NOT NULL,
  at TEXT NOT NULL
);
-- Edits the server refused: out of the seq space (the server has consumed their seqs), kept
-- until the user retries or discards them.
CREATE TABLE IF NOT EXISTS failed (
  key TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  entity TEXT NOT NULL,
  id TEXT NOT NULL,
  action TEXT NOT NULL,
  fields TEXT NOT NULL,
  base_version INTEGER NOT NULL,
  at TEXT NOT NULL,
  ack TEXT NOT NULL,
  failed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  key TEXT NOT NULL,
  entity TEXT NOT NULL,
  row_id TEXT NOT NULL,
  action TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  dropped TEXT NOT NULL,
  message TEXT NOT NULL,
  fields TEXT NOT NULL
);
`;

type Db = Pick<SyncDb, 'exec' | 'prepare'>;

export function userVersion(db: Db): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/**
 * The file's schema: user_version when set; otherwise (files written before it was) told by
 * the tables' shape, and 0 for a file with no tables yet.
 */
export function schemaVersion(db: Db): number {
  const version = userVersion(db);
  if (version !== 0) return version;
  const tables = new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name));
  if (tables.size === 0) return 0;
  const columns = (table: string) => new Set((db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as Array<{ name: string }>).map((r) => r.name));
  if (columns('outbox').has('status')) return 1;
  if (columns('replica').has('parent')) return 3;
  if (tables.has('failed')) return 2;
  throw new Error(`its tables (${[...tables].sort().join(', ')}) are not those of any CoachDesk schema`);
}

/** Each step takes the file from schema n to n + 1; index n. Step 0 creates a new file. */
const STEPS: Array<(db: Db) => void> = [
  (db) => db.exec(SCHEMA),

  // 1 → 2: refused edits leave the outbox (status 'failed', their ack in last_ack with the
  // time it came as failedAt) for the failed table; the outbox loses status and last_ack.
  (db) => {
    db.exec(`
      CREATE TABLE failed (
        key TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        entity TEXT NOT NULL,
        id TEXT NOT NULL,
        action TEXT NOT NULL,
        fields TEXT NOT NULL,
        base_version INTEGER NOT NULL,
        at TEXT NOT NULL,
        ack TEXT NOT NULL,
        failed_at TEXT NOT NULL
      );
      INSERT INTO failed (key, seq, entity, id, action, fields, base_version, at, ack, failed_at)
        SELECT key, seq, entity, id, action, fields, base_version, at,
          COALESCE(json_remove(last_ack, '$.failedAt'), json_object('type', 'ack', 'key', key, 'seq', seq, 'status', 'rejected', 'replay', json('false'))),
          COALESCE(json_extract(last_ack, '$.failedAt'), at)
        FROM outbox WHERE status = 'failed';
      ALTER TABLE outbox RENAME TO outbox_schema_1;
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        entity TEXT NOT NULL,
        id TEXT NOT NULL,
        action TEXT NOT NULL,
        fields TEXT NOT NULL,
        base_version INTEGER NOT NULL,
        at TEXT NOT NULL
      );
      INSERT INTO outbox (seq, key, entity, id, action, fields, base_version, at)
        SELECT seq, key, entity, id, action, fields, base_version, at FROM outbox_schema_1 WHERE status = 'pending';
      DROP TABLE outbox_schema_1;
    `);
  },

  // 2 → 3: replica.parent, as applyIncoming writes it: the parent field's value when it is a
  // string and the row is not deleted.
  (db) => {
    db.exec('ALTER TABLE replica ADD COLUMN parent TEXT');
    const fill = db.prepare(`UPDATE replica SET parent = json_extract(fields, ?) WHERE entity = ? AND deleted = 0 AND json_type(fields, ?) = 'text'`);
    for (const [entity, field] of Object.entries(PARENT_FIELD)) fill.run(`$.${field}`, entity, `$.${field}`);
    db.exec('CREATE INDEX replica_by_parent ON replica (entity, parent) WHERE parent IS NOT NULL');
  },
];

/** A migration step failed; its transaction was rolled back. */
export class MigrationError extends Error {}

/**
 * Brings the file up to SCHEMA_VERSION one step at a time, each step in its own transaction
 * together with its user_version, so a failure leaves the file at the last whole version.
 * A file newer than this build is left untouched (`to` above SCHEMA_VERSION).
 */
export function migrate(db: Db): { from: number; to: number } {
  let version = userVersion(db);
  if (version >= SCHEMA_VERSION) return { from: version, to: version };
  let from: number | undefined;
  for (;;) {
    // IMMEDIATE, and the version read inside: a second process opening the same old file
    // waits, then finds it migrated.
    db.exec('BEGIN IMMEDIATE');
    let next: number | undefined;
    try {
      version = schemaVersion(db);
      from ??= version;
      if (version > SCHEMA_VERSION) {
        db.exec('ROLLBACK');
        return { from, to: version };
      }
      // A new file gets the current schema at once; a schema-3 file from before user_version
      // only gets its number.
      next = version === 0 || version === SCHEMA_VERSION ? SCHEMA_VERSION : version + 1;
      if (version < SCHEMA_VERSION) STEPS[version]!(db);
      db.exec(`PRAGMA user_version = ${next}`);
      db.exec('COMMIT');
    } catch (error) {
      // Some errors (a full disk) have already rolled the transaction back.
      try {
        db.exec('ROLLBACK');
      } catch {}
      const detail = (error as Error).message;
      if (next === undefined) throw new MigrationError(`its schema is not recognised (${detail})`);
      throw new MigrationError(
        version === 0 ? `creating its tables failed (${detail})` : `upgrading it from schema ${version} to ${next} failed (${detail}); it is left at schema ${version}`,
      );
    }
    version = next;
    if (version === SCHEMA_VERSION) return { from, to: version };
  }
}
