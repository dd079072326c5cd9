import type { Database, PreparedStatement, SqlValue, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { SyncDb, SyncStatement } from './db.ts';
import { LocalStore, type LocalStoreOptions } from './local-store.ts';

const isNamed = (params: unknown[]): params is [Record<string, unknown>] =>
  params.length === 1 && typeof params[0] === 'object' && params[0] !== null && !Array.isArray(params[0]) && !ArrayBuffer.isView(params[0]);

function value(v: unknown, where: string): SqlValue {
  if (v === undefined) return null;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || v instanceof Uint8Array) return v;
  throw new TypeError(`SQLite cannot store ${typeof v} (${where})`);
}

/** SQLite's errors as better-sqlite3 words them: the message alone, the result code's name as `code`. */
function sqliteError(error: unknown): unknown {
  const m = error instanceof Error ? /^(SQLITE_[A-Z_]+): sqlite3 result code \d+: ([\s\S]*)$/.exec(error.message) : null;
  return m ? Object.assign(new Error(m[2]), { code: m[1] }) : error;
}

/**
 * The official SQLite WebAssembly build behind the engine's SyncDb: in the trainee app's worker
 * (over the opfs-sahpool VFS) and under Node (in memory) for the engine's tests. Statements are
 * prepared once per SQL text and kept until close.
 */
export function wasmSyncDb(sqlite3: Sqlite3Static, db: Database): SyncDb {
  const statements = new Map<string, PreparedStatement>();
  /** Each statement's parameter names without their prefix, read from SQLite once. */
  const paramNames = new Map<PreparedStatement, string[]>();
  const namesOf = (stmt: PreparedStatement): string[] => {
    let names = paramNames.get(stmt);
    if (!names) {
      names = [];
      for (let i = 1; i <= stmt.parameterCount; i++) {
        const name = sqlite3.capi.sqlite3_bind_parameter_name(stmt.pointer!, i);
        if (!name) throw new TypeError(`parameter ${i} has no name, but the values came by name`);
        names.push(name.slice(1));
      }
      paramNames.set(stmt, names);
    }
    return names;
  };
  let depth = 0;
  let open = true;

  const bind = (stmt: PreparedStatement, params: unknown[]) => {
    if (params.length === 0) return;
    if (isNamed(params)) {
      const named = params[0];
      namesOf(stmt).forEach((name, i) => stmt.bind(i + 1, value(named[name], name)));
    } else {
      stmt.bind(params.map((p, i) => value(p, `parameter ${i + 1}`)));
    }
  };

  /** Runs one statement with its parameters, resetting it whatever happens. */
  const use = <T>(sql: string, params: unknown[], read: (stmt: PreparedStatement) => T): T => {
    let stmt = statements.get(sql);
    try {
      if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
      bind(stmt, params);
      return read(stmt);
    } catch (error) {
      throw sqliteError(error);
    } finally {
      // reset() reports the step's error again; the catch above has already thrown it.
      try {
        stmt?.reset(true);
      } catch {}
    }
  };

  const statement = (sql: string): SyncStatement => ({
    run: (...params) =>
      use(sql, params, (stmt) => {
        while (stmt.step());
        return { changes: db.changes() };
      }),
    get: (...params) => use(sql, params, (stmt) => (stmt.step() ? stmt.get({}) : undefined)),
    all: (...params) =>
      use(sql, params, (stmt) => {
        const rows: unknown[] = [];
        while (stmt.step()) rows.push(stmt.get({}));
        return rows;
      }),
  });

  return {
    exec(sql) {
      try {
        db.exec(sql);
      } catch (error) {
        throw sqliteError(error);
      }
    },
    prepare: statement,
    transaction<T>(fn: () => T): T {
      const savepoint = `sp${depth}`;
      this.exec(depth === 0 ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
      depth++;
      try {
        const result = fn();
        depth--;
        this.exec(depth === 0 ? 'COMMIT' : `RELEASE ${savepoint}`);
        return result;
      } catch (error) {
        depth--;
        try {
          db.exec(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
        } catch {
          // Some errors (a full disk) have already rolled the transaction back.
        }
        throw error;
      }
    },
    close() {
      if (!open) return;
      open = false;
      for (const stmt of statements.values()) stmt.finalize();
      statements.clear();
      paramNames.clear();
      db.close();
    },
    get isOpen() {
      return open;
    },
  };
}

/** A LocalStore over SQLite WebAssembly, on an already opened database. */
export function openWasmLocalStore(sqlite3: Sqlite3Static, db: Database, options: LocalStoreOptions = {}): LocalStore {
  const syncDb = wasmSyncDb(sqlite3, db);
  syncDb.exec('PRAGMA synchronous = FULL');
  return new LocalStore(syncDb, options);
}
