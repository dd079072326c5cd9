import { randomUUID } from 'node:crypto';
import { constants, copyFileSync, existsSync, linkSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION, openServerDb, type Db } from './db.ts';

export interface BackupResult {
  /** Pages copied (of the database's page size). */
  pages: number;
  /** Size of the backup file. */
  bytes: number;
}

export interface BackupOptions {
  /**
   * Pages copied per step; the event loop runs between steps. Writes made meanwhile through the
   * same connection are carried into the copy; a write through another connection restarts it.
   * Default 100; 'all' copies in one step, one read transaction (a consistent snapshot whatever
   * other connections write, holding this process for the whole copy).
   */
  pagesPerStep?: number | 'all';
}

const ALL_PAGES = 0x7fffffff;

/**
 * Copies the open server database `db` to the new file `to` with SQLite's online backup, while
 * the server goes on serving: the copy is the database as it was at one commit. The copy is
 * opened by the server's own open/migration code and checked (`integrity_check`) before it takes
 * the name `to`, so `to` is only ever a complete, valid server database.
 * Refuses (an Error saying why) when `to` exists (it never overwrites), when its folder does not
 * exist, or when it is the live database file itself.
 */
export async function backupServerDb(db: Db, to: string, options: BackupOptions = {}): Promise<BackupResult> {
  const target = resolve(to);
  refuseTarget(db.name, target);
  // Written under a temporary name in the same folder, then linked to `to`: a link never
  // replaces a file, so a file that appeared at `to` meanwhile is not overwritten either.
  const partial = join(dirname(target), `.${basename(target)}.${randomUUID().slice(0, 8)}.partial`);
  try {
    const perStep = options.pagesPerStep === 'all' ? ALL_PAGES : Math.max(1, Math.floor(options.pagesPerStep ?? 100));
    const { totalPages } = await db.backup(partial, { progress: () => perStep });
    checkCopy(partial);
    publish(partial, target);
    return { pages: totalPages, bytes: statSync(target).size };
  } finally {
    for (const f of [partial, `${partial}-wal`, `${partial}-shm`, `${partial}-journal`]) rmSync(f, { force: true });
  }
}

/**
 * The same for the CLI: backs up the server database file `dbFile` (which a running server may
 * hold open, in WAL mode) from a connection of its own, in one step, so the server's writes
 * during the copy neither restart it nor wait for it.
 */
export async function backupServerFile(dbFile: string, to: string): Promise<BackupResult> {
  if (!existsSync(dbFile)) throw new Error(`no database at ${dbFile}`);
  refuseTarget(dbFile, resolve(to));
  const db = new Database(dbFile, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const schema = db.pragma('user_version', { simple: true }) as number;
    if (schema < 1 || schema > SCHEMA_VERSION) {
      throw new Error(`${dbFile} is not a CoachDesk server database this server knows (schema ${schema}, this one knows 1 to ${SCHEMA_VERSION})`);
    }
    return await backupServerDb(db, to, { pagesPerStep: 'all' });
  } finally {
    db.close();
  }
}

function refuseTarget(liveFile: string, target: string): void {
  if (existsSync(target)) {
    if (sameFile(liveFile, target)) throw new Error(`${target} is the live database itself: back up to another file`);
    throw new Error(`${target} exists already: a backup never overwrites a file (remove it or choose another name)`);
  }
  const folder = dirname(target);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new Error(`cannot back up to ${target}: the folder ${folder} does not exist`);
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

function checkCopy(file: string): void {
  const copy = openServerDb(file);
  try {
    const result = copy.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new Error(`the backup failed its integrity check (${String(result)}): nothing was written`);
  } finally {
    copy.close();
  }
}

function publish(partial: string, target: string): void {
  try {
    linkSync(partial, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${target} exists already: a backup never overwrites a file (remove it or choose another name)`);
    // A file system without hard links: an exclusive copy refuses an existing file the same way.
    try {
      copyFileSync(partial, target, constants.COPYFILE_EXCL);
    } catch (copyError) {
      if ((copyError as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${target} exists already: a backup never overwrites a file`);
      throw copyError;
    }
  }
}
