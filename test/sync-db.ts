// Which SyncDb adapter the engine's suites run on: better-sqlite3 (the desktop's) by default,
// SQLite WebAssembly (the trainee app's) with COACHDESK_SYNC_DB=wasm. `npm test` runs the
// engine's suites on both. Under Node the wasm build keeps files in its in-memory file system,
// so a store closed and opened again in the same process finds its data, as in a browser's
// OPFS; a file written to disk beforehand (a fixture) is copied in when first opened.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import init from '@sqlite.org/sqlite-wasm';
import Database from 'better-sqlite3';
import { betterSqliteDb, openLocalStore as openNodeLocalStore } from '../main/sync/node-sqlite.ts';
import type { SyncDb } from '../sync/db.ts';
import type { LocalStore, LocalStoreOptions } from '../sync/local-store.ts';
import { openWasmLocalStore, wasmSyncDb } from '../sync/sqlite-wasm.ts';

export const SYNC_DB: 'better-sqlite3' | 'wasm' = process.env.COACHDESK_SYNC_DB === 'wasm' ? 'wasm' : 'better-sqlite3';
const sqlite3 = SYNC_DB === 'wasm' ? await init() : undefined;
const copiedIn = new Set<string>();

/** For tests about the file on disk or other processes, which only the desktop adapter has. */
export const onlyOnDisk = SYNC_DB === 'wasm' ? 'the wasm adapter keeps its files in memory under Node' : false;

/** The wasm build's in-memory file for a path, copied in from disk the first time. */
function wasmFile(file: string): string {
  const name = `/${createHash('sha1').update(resolve(file)).digest('hex')}.db`;
  if (!copiedIn.has(name)) {
    copiedIn.add(name);
    if (existsSync(file)) {
      const bytes = new Uint8Array(readFileSync(file));
      // A WAL file (format bytes 2, 2) as the rollback-journal file it is once checkpointed: the
      // wasm build's default VFS has no shared memory for WAL.
      if (bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
      sqlite3!.capi.sqlite3_js_posix_create_file(name, bytes);
    }
  }
  return name;
}

export function openLocalStore(file: string, options: Omit<LocalStoreOptions, 'name'> = {}): LocalStore {
  if (!sqlite3) return openNodeLocalStore(file, options);
  return openWasmLocalStore(sqlite3, new sqlite3.oo1.DB(wasmFile(file), 'c'), { ...options, name: file });
}

/** The same file without the store, for a test to look at or damage it; closed after `use`. */
export function withRawDb<T>(file: string, use: (db: SyncDb) => T): T {
  const db = sqlite3 ? wasmSyncDb(sqlite3, new sqlite3.oo1.DB(wasmFile(file), 'c')) : betterSqliteDb(new Database(file));
  try {
    return use(db);
  } finally {
    db.close();
  }
}
