import { copyFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { SyncDb, SyncStatement } from '../../sync/db.ts';
import { userVersion, SCHEMA_VERSION } from '../../sync/local-schema.ts';
import { LocalStore, NewerDatabaseError, UnusableDatabaseError, type LocalStoreOptions } from '../../sync/local-store.ts';

/**
 * The local database failed its integrity check, or is not a database at all. Nothing in it
 * was changed: the unsent edits it holds are still there, and a copy was made at `backup`.
 */
export class DamagedDatabaseError extends UnusableDatabaseError {
  constructor(
    file: string,
    readonly backup: string,
    readonly detail: string,
  ) {
    super(
      file,
      `the local database ${file} is damaged (${detail}). CoachDesk will not open it, so nothing in it is changed or lost; ` +
        `a copy is at ${backup}. Its unsent edits are still in it: restore the file from a backup, or move it aside to start ` +
        `again from the server (edits in it that were never sent would then not be sent).`,
    );
  }
}

const CORRUPTION_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

/** Copies a damaged database (and its WAL) aside, leaving the original untouched. */
function copyDamaged(file: string): string {
  const backup = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) copyFileSync(file + suffix, backup + suffix);
  return backup;
}

/** better-sqlite3 behind the engine's SyncDb. Its statements are already what SyncDb asks for. */
export function betterSqliteDb(db: Database.Database): SyncDb {
  // Prepared once: better-sqlite3's db.transaction(fn) builds four wrapper functions per call,
  // which was a measurable share of a one-edit durable write.
  let control: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement> | undefined;
  const statements = () =>
    (control ??= {
      begin: db.prepare('BEGIN'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT nested'),
      release: db.prepare('RELEASE nested'),
      rollbackTo: db.prepare('ROLLBACK TO nested'),
    });
  return {
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => db.prepare(sql) as unknown as SyncStatement,
    transaction<T>(fn: () => T): T {
      const s = statements();
      const nested = db.inTransaction;
      (nested ? s.savepoint : s.begin).run();
      try {
        const result = fn();
        (nested ? s.release : s.commit).run();
        return result;
      } catch (error) {
        // Some errors (a full disk) have already rolled the transaction back.
        if (db.inTransaction) {
          if (nested) {
            s.rollbackTo.run();
            s.release.run();
          } else s.rollback.run();
        }
        throw error;
      }
    },
    close: () => db.close(),
    get isOpen() {
      return db.open;
    },
  };
}

/**
 * Opens the database and checks it (SQLite's quick_check reads every page). A damaged file is
 * refused with a DamagedDatabaseError, a newer one with a NewerDatabaseError; neither is
 * repaired, replaced or written to here.
 */
function openChecked(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    // Before anything else: two processes opening a new file at once wait for each other.
    db.pragma('busy_timeout = 2000');
    // Before the switch to WAL, which writes the file's header.
    const version = userVersion(betterSqliteDb(db));
    if (version > SCHEMA_VERSION) throw new NewerDatabaseError(file, version);
    db.pragma('journal_mode = WAL');
    const problems = (db.pragma('quick_check(5)') as Array<{ quick_check: string }>).map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length) throw new DamagedDatabaseError(file, copyDamaged(file), `integrity check: ${problems.join('; ')}`);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof UnusableDatabaseError) throw error;
    const code = (error as { code?: string }).code;
    if (code && CORRUPTION_CODES.has(code)) throw new DamagedDatabaseError(file, copyDamaged(file), (error as Error).message);
    throw error;
  }
}

/** The desktop's (and the reference CLI's) local store: a SQLite file through better-sqlite3. */
export function openLocalStore(file: string, options: Omit<LocalStoreOptions, 'name'> = {}): LocalStore {
  const db = openChecked(file);
  // An edit the UI showed as saved must survive a crash or a power cut.
  db.pragma('synchronous = FULL');
  return new LocalStore(betterSqliteDb(db), { ...options, name: file });
}
