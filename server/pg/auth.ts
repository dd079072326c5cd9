// server/auth.ts over PostgreSQL: the same users and tokens, the same answers, async. Each
// function takes the pool, or a client whose transaction it then runs in.
import { newId, type Role } from '../../protocol/index.ts';
import { hashToken, newToken, type IssuedToken, type User } from '../auth.ts';
import { inTransaction, type PgQueryable } from './schema.ts';

async function storeToken(db: PgQueryable, userId: string): Promise<IssuedToken> {
  const token = newToken();
  await db.query(`INSERT INTO tokens (hash, user_id, created_at) VALUES ($1, $2, $3)`, [hashToken(token), userId, new Date().toISOString()]);
  return { userId, token };
}

export async function addCoach(db: PgQueryable, name: string): Promise<IssuedToken> {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('a coach needs a name (--name)');
  return inTransaction(db, async (client) => {
    const id = newId();
    await client.query(`INSERT INTO users (id, role, name, created_at) VALUES ($1, 'coach', $2, $3)`, [id, trimmed, new Date().toISOString()]);
    return storeToken(client, id);
  });
}

/** Issues a token for a trainee whose trainee row exists (see server/auth.ts). */
export async function addTraineeToken(db: PgQueryable, traineeId: string): Promise<IssuedToken> {
  return inTransaction(db, (client) => issueTraineeToken(client, traineeId));
}

/**
 * The body of addTraineeToken, for a caller inside a transaction: makes or refreshes the
 * trainee's user from their trainee row and stores a new token. The row is read FOR SHARE, so
 * it cannot be deleted (nor its access revoked, see PgAccessStore) before the caller commits.
 */
export async function issueTraineeToken(db: PgQueryable, traineeId: string): Promise<IssuedToken> {
  const { rows } = await db.query<{ coach_id: string; deleted: number; fields: string }>(
    `SELECT coach_id, deleted, fields FROM canonical_rows WHERE entity = 'trainee' AND id = $1 FOR SHARE`,
    [traineeId],
  );
  const row = rows[0];
  if (!row) throw new Error(`no trainee with id ${traineeId}: the coach must create (and sync) the trainee first`);
  if (row.deleted) throw new Error(`trainee ${traineeId} has been deleted`);
  const name = (JSON.parse(row.fields) as { name?: string }).name ?? null;
  await db.query(
    `INSERT INTO users (id, role, name, coach_id, created_at) VALUES ($1, 'trainee', $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, coach_id = excluded.coach_id`,
    [traineeId, name, row.coach_id, new Date().toISOString()],
  );
  return storeToken(db, traineeId);
}

/** Revokes one token, or every token of a user. Resolves to how many were revoked. */
export async function revokeTokens(db: PgQueryable, by: { token?: string; userId?: string }): Promise<number> {
  const now = new Date().toISOString();
  let result;
  if (by.token) result = await db.query(`UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL`, [now, hashToken(by.token)]);
  else if (by.userId) result = await db.query(`UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, [now, by.userId]);
  else throw new Error('say which token to revoke (--token T or --user ID)');
  return result.rowCount ?? 0;
}

/** Whether a token (by its hash) is known and not revoked. */
export async function tokenIsLive(db: PgQueryable, hash: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM tokens WHERE hash = $1 AND revoked_at IS NULL`, [hash]);
  return (rowCount ?? 0) > 0;
}

export async function authenticate(db: PgQueryable, token: string): Promise<User | undefined> {
  const { rows } = await db.query<{ id: string; role: Role; name: string | null; coach_id: string | null }>(
    `SELECT u.id, u.role, u.name, u.coach_id FROM tokens t JOIN users u ON u.id = t.user_id
     WHERE t.hash = $1 AND t.revoked_at IS NULL`,
    [hashToken(token)],
  );
  const row = rows[0];
  return row && { id: row.id, role: row.role, name: row.name, coachId: row.coach_id };
}
