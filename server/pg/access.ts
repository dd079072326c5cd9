// Invites and device access over PostgreSQL: server/access.ts's AccessStore, async, with the
// same answers and the same single-use guarantee.
import { INVITE_TTL_MS, newId, type AccessRevoked, type TraineeAccess } from '../../protocol/index.ts';
import { hashInviteCode, newInviteCode, type IssuedInvite, type RedeemResult } from '../access.ts';
import { issueTraineeToken } from './auth.ts';
import { inTransaction, type PgQueryable } from './schema.ts';

/** AccessStore (server/access.ts, which says what each method does) with every answer a Promise. */
export interface AsyncAccessStore {
  traineeOwner(traineeId: string): Promise<{ coachId: string; deleted: boolean } | undefined>;
  createInvite(coachId: string, traineeId: string, now: Date, ttlMs?: number): Promise<IssuedInvite | undefined>;
  redeemInvite(code: string, now: Date): Promise<RedeemResult>;
  listAccess(coachId: string, now: Date): Promise<TraineeAccess[]>;
  revokeTraineeAccess(coachId: string, traineeId: string, now: Date): Promise<AccessRevoked | undefined>;
  touchTokens(tokenHashes: readonly string[], now: Date): Promise<void>;
}

interface InviteRow {
  id: string;
  trainee_id: string;
  coach_id: string;
  expires_at: string;
  used_at: string | null;
  cancelled_at: string | null;
}

/**
 * Locks: a redemption holds its trainee's row FOR SHARE and then the invite FOR UPDATE; a
 * revocation holds the trainee's row FOR NO KEY UPDATE. So of two redemptions of one code the
 * second waits and reads the invite used, a revocation waits for a redemption in flight (and
 * revokes the token it issued) or makes it wait (and read the invite cancelled), and a push that
 * deletes the trainee cannot slip in between the check and the commit. Both take the trainee's
 * row first, so they cannot deadlock.
 */
export class PgAccessStore implements AsyncAccessStore {
  /** `db`: the pool, or a client whose transaction every method then runs in. */
  constructor(private readonly db: PgQueryable) {}

  async traineeOwner(traineeId: string): Promise<{ coachId: string; deleted: boolean } | undefined> {
    return owner(this.db, traineeId, '');
  }

  async createInvite(coachId: string, traineeId: string, now: Date, ttlMs = INVITE_TTL_MS): Promise<IssuedInvite | undefined> {
    const code = newInviteCode();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const { rowCount } = await this.db.query(
      `INSERT INTO invites (id, trainee_id, coach_id, code_hash, created_at, expires_at)
       SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (
         SELECT 1 FROM canonical_rows WHERE entity = 'trainee' AND id = $2 AND coach_id = $3 AND deleted = 0)`,
      [newId(now.getTime()), traineeId, coachId, hashInviteCode(code), createdAt, expiresAt],
    );
    return rowCount === 1 ? { code, createdAt, expiresAt } : undefined;
  }

  async redeemInvite(code: string, now: Date): Promise<RedeemResult> {
    const codeHash = hashInviteCode(code);
    return inTransaction(this.db, async (client): Promise<RedeemResult> => {
      const found = await client.query<{ trainee_id: string }>(`SELECT trainee_id FROM invites WHERE code_hash = $1`, [codeHash]);
      if (!found.rows[0]) return { ok: false, reason: 'unknown' };
      const trainee = await owner(client, found.rows[0].trainee_id, 'FOR SHARE');
      const { rows } = await client.query<InviteRow>(
        `SELECT id, trainee_id, coach_id, expires_at, used_at, cancelled_at FROM invites WHERE code_hash = $1 FOR UPDATE`,
        [codeHash],
      );
      const invite = rows[0];
      if (!invite) return { ok: false, reason: 'unknown' };
      if (invite.cancelled_at) return { ok: false, reason: 'cancelled' };
      if (invite.used_at) return { ok: false, reason: 'used' };
      if (Date.parse(invite.expires_at) <= now.getTime()) return { ok: false, reason: 'expired' };
      // The trainee was deleted, or is no longer this coach's: the invite lapses with it.
      if (!trainee || trainee.deleted || trainee.coachId !== invite.coach_id) return { ok: false, reason: 'cancelled' };
      const used = await client.query(`UPDATE invites SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND cancelled_at IS NULL`, [
        now.toISOString(),
        invite.id,
      ]);
      if (used.rowCount !== 1) return { ok: false, reason: 'used' };
      return { ok: true, ...(await issueTraineeToken(client, invite.trainee_id)) };
    });
  }

  async listAccess(coachId: string, now: Date): Promise<TraineeAccess[]> {
    // One statement: one snapshot, as SQLite's read transaction.
    const { rows } = await this.db.query<TraineeAccess>(
      `SELECT r.id AS "traineeId",
         (SELECT json_build_object('createdAt', i.created_at, 'expiresAt', i.expires_at) FROM invites i
          WHERE i.trainee_id = r.id AND i.coach_id = $1 AND i.used_at IS NULL AND i.cancelled_at IS NULL AND i.expires_at > $2
          ORDER BY i.created_at DESC, i.id DESC LIMIT 1) AS invite,
         (SELECT COUNT(*) FROM tokens t WHERE t.user_id = r.id AND t.revoked_at IS NULL) AS devices,
         (SELECT MAX(t.last_seen_at) FROM tokens t WHERE t.user_id = r.id) AS "lastSeenAt"
       FROM canonical_rows r WHERE r.entity = 'trainee' AND r.coach_id = $1 AND r.deleted = 0
       ORDER BY r.id`,
      [coachId, now.toISOString()],
    );
    return rows;
  }

  async revokeTraineeAccess(coachId: string, traineeId: string, now: Date): Promise<AccessRevoked | undefined> {
    const at = now.toISOString();
    return inTransaction(this.db, async (client) => {
      const trainee = await owner(client, traineeId, 'FOR NO KEY UPDATE');
      if (!trainee || trainee.coachId !== coachId) return undefined;
      const tokens = await client.query(`UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, [at, traineeId]);
      const invites = await client.query(
        `UPDATE invites SET cancelled_at = $1 WHERE trainee_id = $2 AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > $1`,
        [at, traineeId],
      );
      return { revokedTokens: tokens.rowCount ?? 0, cancelledInvites: invites.rowCount ?? 0 };
    });
  }

  async touchTokens(tokenHashes: readonly string[], now: Date): Promise<void> {
    if (tokenHashes.length === 0) return;
    await this.db.query(`UPDATE tokens SET last_seen_at = $1 WHERE hash = ANY($2::text[])`, [now.toISOString(), tokenHashes]);
  }
}

async function owner(db: PgQueryable, traineeId: string, lock: '' | 'FOR SHARE' | 'FOR NO KEY UPDATE'): Promise<{ coachId: string; deleted: boolean } | undefined> {
  const { rows } = await db.query<{ coach_id: string | null; deleted: number }>(
    `SELECT coach_id, deleted FROM canonical_rows WHERE entity = 'trainee' AND id = $1 ${lock}`,
    [traineeId],
  );
  const row = rows[0];
  return row?.coach_id ? { coachId: row.coach_id, deleted: row.deleted === 1 } : undefined;
}
