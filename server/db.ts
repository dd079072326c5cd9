import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * 1: the first schema. 2: invites; tokens.last_seen_at (added to files of schema 1 on open).
 * 3: ledger.stored_at and clients.pruned_seq, for ledger retention (added to older files on open).
 * 4: the ledger keyed by (key, user_id) instead of (user_id, key) (older files rebuilt on open).
 * 5: the ledger's age index on stored_at alone instead of (user_id, client_id, stored_at).
 */
export const SCHEMA_VERSION = 5;

/**
 * Keyed by the op's key first: keys are time-ordered UUIDs, so a commit's entries land together
 * at the end of the B-tree. Led by the user, the pushes of 1,000 coaches in one commit each
 * wrote a leaf page of its own (bench/server-store.ts --statements: 5.5 MB of WAL per 2,000 ops,
 * against 4.2 MB keyed by key).
 */
const LEDGER_TABLE = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
  user_id TEXT NOT NULL,
  key TEXT NOT NULL,
  client_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  ack TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  PRIMARY KEY (key, user_id)
) WITHOUT ROWID;`;

/**
 * The canonical store. One row per entity instance (tombstones kept), with the per-field write
 * metadata the resolver needs and denormalised scope columns so catch-up is one indexed scan:
 *  - coach_id: the coach who owns the row (null for settings);
 *  - trainee_id: the trainee the row belongs to or is assigned to (null for templates, exercises);
 *  - owner_id: the user a settings row belongs to;
 *  - parent_id / ref_id: the parent row and, for prescriptions and maxes, the exercise (which
 *    a trainee sees through them).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('coach', 'trainee')),
  name TEXT,
  coach_id TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  last_seen_at TEXT
);
-- A coach's invite of a trainee: the code is stored only as its sha-256. Single use: a join
-- sets used_at (and issues a token) in one transaction.
CREATE TABLE IF NOT EXISTS invites (
  id TEXT PRIMARY KEY,
  trainee_id TEXT NOT NULL,
  coach_id TEXT NOT NULL,
  code_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  cancelled_at TEXT
);
CREATE INDEX IF NOT EXISTS invites_by_trainee ON invites (trainee_id, created_at);
CREATE TABLE IF NOT EXISTS canonical_rows (
  entity TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  fields TEXT NOT NULL,
  by TEXT NOT NULL,
  meta TEXT NOT NULL,
  coach_id TEXT,
  trainee_id TEXT,
  owner_id TEXT,
  parent_id TEXT,
  ref_id TEXT,
  PRIMARY KEY (entity, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rows_by_coach ON canonical_rows (coach_id, version) WHERE coach_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS rows_by_trainee ON canonical_rows (trainee_id, version) WHERE trainee_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS rows_by_owner ON canonical_rows (owner_id, version) WHERE owner_id IS NOT NULL;
-- A coach's trainees, for the list of who has access.
CREATE INDEX IF NOT EXISTS trainees_by_coach ON canonical_rows (coach_id, id) WHERE entity = 'trainee';
CREATE INDEX IF NOT EXISTS rows_by_parent ON canonical_rows (parent_id) WHERE parent_id IS NOT NULL;
-- Who sees an exercise (the trainees it is prescribed to) and which exercises a trainee sees:
-- both answered from these indexes alone, without reading the rows.
DROP INDEX IF EXISTS rows_by_ref;
CREATE INDEX IF NOT EXISTS prescribed_to ON canonical_rows (ref_id, trainee_id) WHERE entity = 'prescription' AND deleted = 0;
CREATE INDEX IF NOT EXISTS prescribed_for ON canonical_rows (trainee_id, ref_id) WHERE entity = 'prescription' AND deleted = 0;
-- The same for the exercises of trainees' maxes.
CREATE INDEX IF NOT EXISTS maxes_of ON canonical_rows (ref_id, trainee_id) WHERE entity = 'max' AND deleted = 0;
CREATE INDEX IF NOT EXISTS maxes_for ON canonical_rows (trainee_id, ref_id) WHERE entity = 'max' AND deleted = 0;
CREATE TABLE IF NOT EXISTS scope_exits (
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  entity TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (user_id, version, entity, id)
) WITHOUT ROWID;
-- stored_at: when the op was received or last resent (ms since 1970, server clock), for
-- CanonicalStore.pruneLedger.
${LEDGER_TABLE('ledger')}
-- pruned_seq: the highest seq of this client whose ledger entry was pruned (0: none).
CREATE TABLE IF NOT EXISTS clients (
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  next_seq INTEGER NOT NULL,
  last_seen TEXT NOT NULL,
  pruned_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, client_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS server_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** Opens (and creates or migrates) the server's database file. */
export function openServerDb(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // An ack promises the edit is stored: the commit must reach the disk before the ack leaves.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 2000');
  db.pragma('foreign_keys = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    db.close();
    throw new Error(`${file} was written by a newer CoachDesk server (schema ${current}, this one knows ${SCHEMA_VERSION})`);
  }
  db.exec(SCHEMA);
  // Schema 1 → 2: tokens learn when they were last seen (invites came with the schema above).
  migrate(db, () => hasColumn(db, 'tokens', 'last_seen_at'), () => db.exec(`ALTER TABLE tokens ADD COLUMN last_seen_at TEXT`));
  // Schema 2 → 3: ledger entries get a time to be pruned by (those already there: the migration's
  // time, as a column default, so a large ledger is not rewritten), and clients the seq below
  // which pruned entries were.
  migrate(db, () => hasColumn(db, 'ledger', 'stored_at'), () => {
    db.exec(`ALTER TABLE ledger ADD COLUMN stored_at INTEGER NOT NULL DEFAULT ${Date.now()}`);
    db.exec(`ALTER TABLE clients ADD COLUMN pruned_seq INTEGER NOT NULL DEFAULT 0`);
  });
  // Schema 3 → 4: the ledger rebuilt with key first in its primary key (its index goes with the
  // old table and is made again below). Every entry is copied as it was.
  migrate(db, () => ledgerKeyedByKey(db), () => {
    db.exec(LEDGER_TABLE('ledger_schema_4'));
    db.exec(`INSERT INTO ledger_schema_4 (user_id, key, client_id, seq, hash, ack, stored_at)
      SELECT user_id, key, client_id, seq, hash, ack, stored_at FROM ledger`);
    db.exec(`DROP TABLE ledger`);
    db.exec(`ALTER TABLE ledger_schema_4 RENAME TO ledger`);
  });
  // Schema 4 → 5: the ledger's age index is on stored_at alone, so a commit's entries land
  // together at its end whoever pushed them (led by the install, 1,000 coaches' pushes in one
  // commit wrote a leaf page each); pruning walks it by age across installs.
  migrate(db, () => !hasIndex(db, 'ledger_by_client_age'), () => db.exec(`DROP INDEX ledger_by_client_age`));
  db.exec(`CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens (user_id)`);
  db.exec(`CREATE INDEX IF NOT EXISTS ledger_by_age ON ledger (stored_at)`);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  db.prepare(`INSERT OR IGNORE INTO server_meta (key, value) VALUES ('version', '0')`).run();
  return db;
}

function hasColumn(db: Db, table: string, column: string): boolean {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).some((c) => c.name === column);
}

function hasIndex(db: Db, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?`).get(name) !== undefined;
}

/** Whether the ledger's primary key starts with the op's key (schema 4). */
export function ledgerKeyedByKey(db: Db): boolean {
  return (db.prepare(`PRAGMA table_info(ledger)`).all() as Array<{ name: string; pk: number }>).some((c) => c.name === 'key' && c.pk === 1);
}

/** One migration step, in one transaction, unless `done` says it was taken already. */
function migrate(db: Db, done: () => boolean, step: () => void): void {
  if (done()) return;
  // Another process may be opening the same file: look again once holding the write lock.
  db.transaction(() => {
    if (!done()) step();
  }).immediate();
}

export function readServerVersion(db: Db): number {
  const row = db.prepare(`SELECT value FROM server_meta WHERE key = 'version'`).get() as { value: string };
  return Number(row.value);
}

/** SQLite failures that pass by themselves: the client should simply try again later. */
export function isTransientDbError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR'))
  );
}
