/**
 * The small synchronous database the sync engine is written against. Two adapters implement
 * it: better-sqlite3 on the desktop (main/sync/node-sqlite.ts) and the official SQLite
 * WebAssembly build in the trainee app's worker (sync/sqlite-wasm.ts). Parameters are
 * positional (`?`), or one object for `@name` parameters.
 */
export interface SyncStatement {
  run(...params: unknown[]): { changes: number };
  /** The first row as an object keyed by column name, or undefined. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SyncDb {
  /** Runs SQL without parameters or results (several statements allowed). */
  exec(sql: string): void;
  /** A statement to run many times; adapters may cache it. */
  prepare(sql: string): SyncStatement;
  /** Runs `fn` in a transaction (a savepoint when nested): all of it is committed, or none. */
  transaction<T>(fn: () => T): T;
  close(): void;
  readonly isOpen: boolean;
}
