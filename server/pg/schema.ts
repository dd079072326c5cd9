// The PostgreSQL store's connection pool and schema. Tables, columns and indexes mirror
// server/db.ts (shared code builds SQL with those names); versions are counted separately from
// SQLite's `user_version`: PostgreSQL schema 1 is SQLite schema 3.
import pg from 'pg';

export type PgQueryable = pg.Pool | pg.PoolClient;

/**
 * Every TEXT column is COLLATE "C" so that text compares and sorts byte by byte, as SQLite's
 * BINARY does, whatever the database's default collation (ids, ISO times in ORDER BY and MAX).
 */
const SCHEMA_1 = `
CREATE TABLE users (
  id TEXT COLLATE "C" PRIMARY KEY,
  role TEXT COLLATE "C" NOT NULL CHECK (role IN ('coach', 'trainee')),
  name TEXT COLLATE "C",
  coach_id TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE tokens (
  hash TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
  created_at TEXT COLLATE "C" NOT NULL,
  revoked_at TEXT COLLATE "C",
  last_seen_at TEXT COLLATE "C"
);
CREATE INDEX tokens_by_user ON tokens (user_id);
CREATE TABLE invites (
  id TEXT COLLATE "C" PRIMARY KEY,
  trainee_id TEXT COLLATE "C" NOT NULL,
  coach_id TEXT COLLATE "C" NOT NULL,
  code_hash TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at TEXT COLLATE "C" NOT NULL,
  expires_at TEXT COLLATE "C" NOT NULL,
  used_at TEXT COLLATE "C",
  cancelled_at TEXT COLLATE "C"
);
CREATE INDEX invites_by_trainee ON invites (trainee_id, created_at);
CREATE TABLE canonical_rows (
  entity TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  fields TEXT COLLATE "C" NOT NULL,
  by TEXT COLLATE "C" NOT NULL,
  meta TEXT COLLATE "C" NOT NULL,
  coach_id TEXT COLLATE "C",
  trainee_id TEXT COLLATE "C",
  owner_id TEXT COLLATE "C",
  parent_id TEXT COLLATE "C",
  ref_id TEXT COLLATE "C",
  PRIMARY KEY (entity, id)
);
CREATE INDEX rows_by_coach ON canonical_rows (coach_id, version) WHERE coach_id IS NOT NULL;
CREATE INDEX rows_by_trainee ON canonical_rows (trainee_id, version) WHERE trainee_id IS NOT NULL;
CREATE INDEX rows_by_owner ON canonical_rows (owner_id, version) WHERE owner_id IS NOT NULL;
CREATE INDEX trainees_by_coach ON canonical_rows (coach_id, id) WHERE entity = 'trainee';
CREATE INDEX rows_by_parent ON canonical_rows (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX prescribed_to ON canonical_rows (ref_id, trainee_id) WHERE entity = 'prescription' AND deleted = 0;
CREATE INDEX prescribed_for ON canonical_rows (trainee_id, ref_id) WHERE entity = 'prescription' AND deleted = 0;
CREATE INDEX maxes_of ON canonical_rows (ref_id, trainee_id) WHERE entity = 'max' AND deleted = 0;
CREATE INDEX maxes_for ON canonical_rows (trainee_id, ref_id) WHERE entity = 'max' AND deleted = 0;
CREATE TABLE scope_exits (
  user_id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  entity TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (user_id, version, entity, id)
);
CREATE TABLE ledger (
  user_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  client_id TEXT COLLATE "C" NOT NULL,
  seq BIGINT NOT NULL,
  hash TEXT COLLATE "C" NOT NULL,
  ack TEXT COLLATE "C" NOT NULL,
  stored_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX ledger_by_client_age ON ledger (user_id, client_id, stored_at);
CREATE TABLE clients (
  user_id TEXT COLLATE "C" NOT NULL,
  client_id TEXT COLLATE "C" NOT NULL,
  next_seq BIGINT NOT NULL,
  last_seen TEXT COLLATE "C" NOT NULL,
  pruned_seq BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, client_id)
);
CREATE TABLE server_meta (
  key TEXT COLLATE "C" PRIMARY KEY,
  value TEXT COLLATE "C" NOT NULL
);
INSERT INTO server_meta (key, value) VALUES ('version', '0');
`;

/**
 * The ledger's age index on stored_at alone, as the SQLite schema 5 has it: pruning walks the
 * ledger by age across installs (canonical-store.ts). Built before the old one is dropped: the
 * build holds off writes to the ledger (pushes wait) for as long as it takes, and the drop's
 * exclusive lock, held to the commit, comes after it.
 */
const LEDGER_BY_AGE = `
CREATE INDEX ledger_by_age ON ledger (stored_at);
DROP INDEX IF EXISTS ledger_by_client_age;
`;

/** Migration n (from 1) brings schema n - 1 to n; each runs in one transaction. Only ever append. */
const MIGRATIONS: readonly string[] = [SCHEMA_1, LEDGER_BY_AGE];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** pg_advisory_xact_lock key taken by every migration transaction ("CoachD" in ASCII). */
const MIGRATION_LOCK = 0x436f61636844;

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new Error(`a BIGINT value ${text} from PostgreSQL is beyond Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}) and cannot be read exactly`);
  }
  return value;
}

/** int8 as a JS number (for this pool's clients only); every other type as pg parses it. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Whether `url` is a PostgreSQL connection URL (postgres:// or postgresql://). */
export function isPgUrl(url: string): boolean {
  return /^postgres(ql)?:\/\/./i.test(url);
}

/** `url` with any password replaced by ***, for messages. */
export function redactPgUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

export type PgPoolOptions = Omit<pg.PoolConfig, 'connectionString' | 'types'>;

/** A pool on the database at `url` whose BIGINT values come back as numbers (an unsafe one throws). */
export function openPgPool(url: string, opts: PgPoolOptions = {}): pg.Pool {
  if (!isPgUrl(url)) throw new Error(`not a PostgreSQL URL (postgres:// or postgresql://): "${redactPgUrl(url)}"`);
  const pool = new pg.Pool({ connectionTimeoutMillis: 10_000, ...opts, connectionString: url, types: TYPES });
  // An idle client whose connection broke (the server restarted) is dropped by the pool; the
  // next query reports any lasting failure. Without a listener the process would exit.
  pool.on('error', () => {});
  return pool;
}

/** The database's schema version (0: none) and its name, for messages. */
async function schemaVersion(db: PgQueryable): Promise<{ version: number; database: string }> {
  const { rows } = await db.query<{ present: boolean; database: string }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS present, current_database() AS database`,
  );
  const { present, database } = rows[0]!;
  if (!present) return { version: 0, database };
  const max = await db.query<{ version: number }>(`SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations`);
  return { version: max.rows[0]!.version, database };
}

function newerSchemaError(database: string, version: number): Error {
  return new Error(
    `PostgreSQL database ${database} has CoachDesk schema ${version}, newer than this server knows (${PG_SCHEMA_VERSION}): run a newer CoachDesk server`,
  );
}

/**
 * Creates or migrates the schema. Safe when several nodes start at once: each migration takes an
 * advisory lock inside its transaction and looks at the version again before it runs.
 * Refuses a database whose schema is newer than this code's.
 */
export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    let { version, database } = await schemaVersion(client);
    while (version < PG_SCHEMA_VERSION) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
        ({ version } = await schemaVersion(client));
        if (version < PG_SCHEMA_VERSION) {
          await client.query(MIGRATIONS[version]!);
          await client.query(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())`, [version + 1]);
          version++;
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
    }
    if (version > PG_SCHEMA_VERSION) throw newerSchemaError(database, version);
  } finally {
    client.release(broken);
  }
}

/**
 * Why the store cannot take work (one line), or undefined when PostgreSQL answers within
 * `timeoutMs` and the schema is this code's: /readyz.
 */
export async function readinessPg(pool: pg.Pool, timeoutMs = 2000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`PostgreSQL did not answer within ${timeoutMs} ms`), timeoutMs);
  });
  const check = schemaVersion(pool).then(
    ({ version, database }) => {
      if (version === PG_SCHEMA_VERSION) return undefined;
      if (version > PG_SCHEMA_VERSION) return newerSchemaError(database, version).message;
      return `PostgreSQL database ${database} has schema ${version}, this server runs schema ${PG_SCHEMA_VERSION}: not migrated`;
    },
    (error: Error) => `PostgreSQL does not answer: ${describePgError(error)}`,
  );
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error's message on one line; a failed connection to every address of a host has none of its own. */
export function describePgError(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: unknown[] };
  const text = e?.message || (e?.errors?.length ? e.errors.map(describePgError).join('; ') : '') || e?.code || String(error);
  return text.split('\n', 1)[0]!;
}

/**
 * Runs `body` in a transaction: on a pool, a new one (committed when `body` resolves, rolled back
 * when it throws); on a client, the caller's (the caller began it and ends it).
 */
export async function inTransaction<T>(db: PgQueryable, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (!(db instanceof pg.Pool)) return body(db);
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
