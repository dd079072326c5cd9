import { createHash, randomBytes } from 'node:crypto';
import { newId, type Role } from '../protocol/index.ts';
import type { Db } from './db.ts';

export interface User {
  id: string;
  role: Role;
  name: string | null;
  /** For a trainee: the coach whose trainee row they are. */
  coachId: string | null;
}

export interface IssuedToken {
  userId: string;
  token: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 256 random bits. The prefix keeps a token from starting with "-", which CLIs read as an option. */
export function newToken(): string {
  return `cdt_${randomBytes(32).toString('base64url')}`;
}

function storeToken(db: Db, userId: string): IssuedToken {
  const token = newToken();
  db.prepare(`INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)`).run(hashToken(token), userId, new Date().toISOString());
  return { userId, token };
}

export function addCoach(db: Db, name: string): IssuedToken {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('a coach needs a name (--name)');
  return db.transaction(() => {
    const id = newId();
    db.prepare(`INSERT INTO users (id, role, name, created_at) VALUES (?, 'coach', ?, ?)`).run(id, trimmed, new Date().toISOString());
    return storeToken(db, id);
  })();
}

/**
 * Issues a token for a trainee. The trainee row must already exist (a coach creates it through
 * sync); the trainee's user id is the id of that row.
 */
export function addTraineeToken(db: Db, traineeId: string): IssuedToken {
  return db.transaction(() => issueTraineeToken(db, traineeId))();
}

/**
 * The body of addTraineeToken, for callers that hold a transaction already (a join by invite
 * marks the invite used and issues the token in one): makes or refreshes the trainee's user
 * from their trainee row and stores a new token for them.
 */
export function issueTraineeToken(db: Db, traineeId: string): IssuedToken {
  const row = db
    .prepare(`SELECT coach_id, deleted, fields FROM canonical_rows WHERE entity = 'trainee' AND id = ?`)
    .get(traineeId) as { coach_id: string; deleted: number; fields: string } | undefined;
  if (!row) throw new Error(`no trainee with id ${traineeId}: the coach must create (and sync) the trainee first`);
  if (row.deleted) throw new Error(`trainee ${traineeId} has been deleted`);
  const name = (JSON.parse(row.fields) as { name?: string }).name ?? null;
  db.prepare(
    `INSERT INTO users (id, role, name, coach_id, created_at) VALUES (?, 'trainee', ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, coach_id = excluded.coach_id`,
  ).run(traineeId, name, row.coach_id, new Date().toISOString());
  return storeToken(db, traineeId);
}

/** Revokes one token, or every token of a user. Returns how many were revoked. */
export function revokeTokens(db: Db, by: { token?: string; userId?: string }): number {
  const now = new Date().toISOString();
  if (by.token) return db.prepare(`UPDATE tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL`).run(now, hashToken(by.token)).changes;
  if (by.userId) return db.prepare(`UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`).run(now, by.userId).changes;
  throw new Error('say which token to revoke (--token T or --user ID)');
}

/** Whether a token (by its hash) is known and not revoked. */
export function tokenIsLive(db: Db, hash: string): boolean {
  return db.prepare(`SELECT 1 FROM tokens WHERE hash = ? AND revoked_at IS NULL`).get(hash) !== undefined;
}

export function authenticate(db: Db, token: string): User | undefined {
  const row = db
    .prepare(
      `SELECT u.id, u.role, u.name, u.coach_id FROM tokens t JOIN users u ON u.id = t.user_id
       WHERE t.hash = ? AND t.revoked_at IS NULL`,
    )
    .get(hashToken(token)) as { id: string; role: Role; name: string | null; coach_id: string | null } | undefined;
  return row && { id: row.id, role: row.role, name: row.name, coachId: row.coach_id };
}
