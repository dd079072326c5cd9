// What the sync server asks of its store, asynchronously so that one server serves either
// store: the embedded SQLite file (answers at once, in process) or PostgreSQL shared by several
// nodes (pg/served-store.ts).
import type { AccessRevoked, Row, TraineeAccess } from '../protocol/index.ts';
import type { IssuedInvite, RedeemResult } from './access.ts';
import { authenticate, tokenIsLive, type User } from './auth.ts';
import type { CanonicalStore } from './canonical-store.ts';
import type { Db } from './db.ts';
import type { PushOutcome, RawOp } from './store-core.ts';

/** A catch-up read page by page. */
export interface ServedCatchUp {
  /** The version the catch-up covers: `synced` announces it once the pages are sent. */
  readonly version: number;
  next(limit: number): Promise<Row[]>;
}

export interface ServedStore {
  authenticate(token: string): Promise<User | undefined>;
  /**
   * Of these token hashes, those revoked since; undefined when no revocation can have happened
   * since the last look (the common case, answered without a query).
   */
  revokedAmong(hashes: () => readonly string[]): Promise<Set<string> | undefined>;
  nextSeq(userId: string, clientId: string): Promise<number>;
  currentVersion(): Promise<number>;
  /**
   * A catch-up from `since`; up to `upto` when given (a shared store: the version this node had
   * sent on when the connection subscribed, so that live frames carry the rest), else the head.
   */
  catchUpCursor(user: { id: string; role: string }, since: number, upto?: number): Promise<ServedCatchUp>;
  pushGroup(pushes: Array<{ user: User; clientId: string; ops: RawOp[]; receivedAt: number }>): Promise<Array<PushOutcome | Error>>;
  createInvite(coachId: string, traineeId: string, now: Date): Promise<IssuedInvite | undefined>;
  redeemInvite(code: string, now: Date): Promise<RedeemResult>;
  listAccess(coachId: string, now: Date): Promise<TraineeAccess[]>;
  revokeTraineeAccess(coachId: string, traineeId: string, now: Date): Promise<AccessRevoked | undefined>;
  touchTokens(tokenHashes: readonly string[], now: Date): Promise<void>;
  /** One bounded step of ledger retention (CanonicalStore.pruneLedgerStep): call again until done. */
  pruneLedger(now: Date, retentionMs: number, maxRead: number): Promise<{ removed: number; done: boolean }>;
  /** Why the store cannot take work now, in one line; undefined when it can (/readyz). */
  readiness(): Promise<string | undefined>;
  /**
   * Set when other processes commit to the same store (PostgreSQL nodes): the rows their
   * commits changed are not in this process's PushOutcome, so the server re-reads what its
   * connections may see by version, on each poke and on a periodic look at the head version.
   */
  shared?: SharedCommits;
  close(): Promise<void>;
}

export interface SharedCommits {
  /** Calls `listener` with the head version after any node's commit (a poke; may be missed). */
  onCommit(listener: (head: number) => void): void;
  /** What each user may see of the commits in (from, to]: rows, and tombstones for rows that left them. */
  changesBetween(from: number, to: number): Promise<Map<string, Row[]>>;
}

/** The SQLite store, in this process: every call is answered synchronously, wrapped. */
export function sqliteServedStore(db: Db, store: CanonicalStore, schemaVersion: number): ServedStore {
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let seenDataVersion = -1;
  const now = <T>(call: () => T): Promise<T> => {
    try {
      return Promise.resolve(call());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    authenticate: (token) => now(() => authenticate(db, token)),
    // Revocations come through another connection (the CLI): SQLite's data_version moves only then.
    revokedAmong: (hashes) =>
      now(() => {
        const seen = dataVersion.get() as number;
        if (seen === seenDataVersion) return undefined;
        seenDataVersion = seen;
        return new Set(hashes().filter((h) => !tokenIsLive(db, h)));
      }),
    nextSeq: (userId, clientId) => now(() => store.nextSeq(userId, clientId)),
    currentVersion: () => now(() => store.currentVersion),
    catchUpCursor: (user, since) =>
      now(() => {
        const cursor = store.catchUpCursor(user, since);
        return { version: cursor.version, next: (limit: number) => now(() => cursor.next(limit)) };
      }),
    pushGroup: (pushes) => now(() => store.pushGroup(pushes)),
    createInvite: (coachId, traineeId, at) => now(() => store.createInvite(coachId, traineeId, at)),
    redeemInvite: (code, at) => now(() => store.redeemInvite(code, at)),
    listAccess: (coachId, at) => now(() => store.listAccess(coachId, at)),
    revokeTraineeAccess: (coachId, traineeId, at) => now(() => store.revokeTraineeAccess(coachId, traineeId, at)),
    touchTokens: (hashes, at) => now(() => store.touchTokens(hashes, at)),
    pruneLedger: (at, retentionMs, maxRead) => now(() => store.pruneLedgerStep(at, retentionMs, maxRead)),
    readiness: () =>
      now(() => {
        if (schemaVersion === 0) return 'the database has no schema (it was not opened with openServerDb)';
        try {
          const schema = db.pragma('user_version', { simple: true }) as number;
          if (schema !== schemaVersion) return `the database schema is ${schema}, this server runs schema ${schemaVersion}`;
          if (!db.prepare(`SELECT value FROM server_meta WHERE key = 'version'`).get()) return 'the database is not migrated: server_meta has no version';
        } catch (error) {
          return `the store does not answer: ${String((error as Error).message ?? error).split('\n', 1)[0]}`;
        }
        return undefined;
      }),
    close: () => now(() => undefined),
  };
}
