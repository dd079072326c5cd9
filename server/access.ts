// Invites and device access: a coach invites a trainee with a one-time code; the trainee's
// device trades the code for a token of its own (POST /api/join). Codes are kept only as hashes.
import { createHash, randomBytes } from 'node:crypto';
import { INVITE_TTL_MS, newId, type AccessRevoked, type TraineeAccess } from '../protocol/index.ts';
import { issueTraineeToken, type IssuedToken } from './auth.ts';
import type { Db } from './db.ts';

/** Random bytes in an invite code: 144 bits, 24 base64url characters. */
export const INVITE_CODE_BYTES = 18;

export function newInviteCode(): string {
  return randomBytes(INVITE_CODE_BYTES).toString('base64url');
}

/** What the store keeps of a code: its sha-256, hex. */
export function hashInviteCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

export interface IssuedInvite {
  /** The code itself: the only time it exists outside the invitee's hands. */
  code: string;
  createdAt: string;
  expiresAt: string;
}

/** Why a code could not be redeemed. */
export type RedeemRefusal = 'unknown' | 'used' | 'expired' | 'cancelled';

export type RedeemResult = ({ ok: true } & IssuedToken) | { ok: false; reason: RedeemRefusal };

/**
 * The store's part of invites and device access. The SQLite store implements it here; a
 * PostgreSQL store implements the same (with the same single-use guarantee: the invite is
 * marked used and the token stored in one transaction, and only one of two concurrent
 * redemptions of a code can succeed).
 */
export interface AccessStore {
  /** The coach who owns a trainee row, and whether it is deleted; undefined when there is no such row. */
  traineeOwner(traineeId: string): { coachId: string; deleted: boolean } | undefined;
  /**
   * A new invite of a live trainee of this coach, valid `ttlMs` from `now`; undefined when the
   * trainee is not a live trainee of this coach (unknown, another coach's, or deleted).
   */
  createInvite(coachId: string, traineeId: string, now: Date, ttlMs?: number): IssuedInvite | undefined;
  /** Marks the invite used and issues a new trainee token, in one transaction. */
  redeemInvite(code: string, now: Date): RedeemResult;
  /** Every live trainee of this coach with their pending invite, active devices and last sighting. */
  listAccess(coachId: string, now: Date): TraineeAccess[];
  /**
   * Revokes every token of a trainee of this coach (live or deleted) and cancels their pending
   * invites; undefined when the trainee is not this coach's.
   */
  revokeTraineeAccess(coachId: string, traineeId: string, now: Date): AccessRevoked | undefined;
  /** Records that the tokens (by hash) were seen connected at `now`. */
  touchTokens(tokenHashes: readonly string[], now: Date): void;
}

interface InviteRow {
  id: string;
  trainee_id: string;
  coach_id: string;
  expires_at: string;
  used_at: string | null;
  cancelled_at: string | null;
}

export class SqliteAccessStore implements AccessStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      trainee: db.prepare(`SELECT coach_id, deleted FROM canonical_rows WHERE entity = 'trainee' AND id = ?`),
      insertInvite: db.prepare(
        `INSERT INTO invites (id, trainee_id, coach_id, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      inviteByHash: db.prepare(`SELECT id, trainee_id, coach_id, expires_at, used_at, cancelled_at FROM invites WHERE code_hash = ?`),
      useInvite: db.prepare(`UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND cancelled_at IS NULL`),
      traineesOf: db.prepare(`SELECT id FROM canonical_rows WHERE entity = 'trainee' AND coach_id = ? AND deleted = 0 ORDER BY id`).pluck(),
      pendingInvite: db.prepare(
        `SELECT created_at AS createdAt, expires_at AS expiresAt FROM invites
         WHERE trainee_id = ? AND coach_id = ? AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > ?
         ORDER BY created_at DESC, id DESC LIMIT 1`,
      ),
      devices: db.prepare(`SELECT COUNT(*) FROM tokens WHERE user_id = ? AND revoked_at IS NULL`).pluck(),
      lastSeen: db.prepare(`SELECT MAX(last_seen_at) FROM tokens WHERE user_id = ?`).pluck(),
      revokeTokens: db.prepare(`UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`),
      cancelInvites: db.prepare(
        `UPDATE invites SET cancelled_at = ? WHERE trainee_id = ? AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > ?`,
      ),
      touch: db.prepare(`UPDATE tokens SET last_seen_at = ? WHERE hash = ?`),
    };
  }

  traineeOwner(traineeId: string): { coachId: string; deleted: boolean } | undefined {
    const row = this.stmts.trainee.get(traineeId) as { coach_id: string | null; deleted: number } | undefined;
    return row?.coach_id ? { coachId: row.coach_id, deleted: row.deleted === 1 } : undefined;
  }

  createInvite(coachId: string, traineeId: string, now: Date, ttlMs = INVITE_TTL_MS): IssuedInvite | undefined {
    const owner = this.traineeOwner(traineeId);
    if (!owner || owner.deleted || owner.coachId !== coachId) return undefined;
    const code = newInviteCode();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    this.stmts.insertInvite.run(newId(now.getTime()), traineeId, coachId, hashInviteCode(code), createdAt, expiresAt);
    return { code, createdAt, expiresAt };
  }

  redeemInvite(code: string, now: Date): RedeemResult {
    // IMMEDIATE: the write lock is taken before the invite is read, so of two redemptions (in
    // this process or another one) the second reads the invite as used.
    return this.db
      .transaction((): RedeemResult => {
        const invite = this.stmts.inviteByHash.get(hashInviteCode(code)) as InviteRow | undefined;
        if (!invite) return { ok: false, reason: 'unknown' };
        if (invite.cancelled_at) return { ok: false, reason: 'cancelled' };
        if (invite.used_at) return { ok: false, reason: 'used' };
        if (Date.parse(invite.expires_at) <= now.getTime()) return { ok: false, reason: 'expired' };
        // The trainee was deleted, or is no longer this coach's: the invite lapses with it.
        const owner = this.traineeOwner(invite.trainee_id);
        if (!owner || owner.deleted || owner.coachId !== invite.coach_id) return { ok: false, reason: 'cancelled' };
        if (this.stmts.useInvite.run(now.toISOString(), invite.id).changes !== 1) return { ok: false, reason: 'used' };
        return { ok: true, ...issueTraineeToken(this.db, invite.trainee_id) };
      })
      .immediate();
  }

  listAccess(coachId: string, now: Date): TraineeAccess[] {
    const at = now.toISOString();
    return this.db.transaction(() =>
      (this.stmts.traineesOf.all(coachId) as string[]).map((traineeId) => ({
        traineeId,
        invite: (this.stmts.pendingInvite.get(traineeId, coachId, at) as { createdAt: string; expiresAt: string } | undefined) ?? null,
        devices: this.stmts.devices.get(traineeId) as number,
        lastSeenAt: (this.stmts.lastSeen.get(traineeId) as string | null) ?? null,
      })),
    )();
  }

  revokeTraineeAccess(coachId: string, traineeId: string, now: Date): AccessRevoked | undefined {
    const at = now.toISOString();
    return this.db
      .transaction(() => {
        const owner = this.traineeOwner(traineeId);
        if (!owner || owner.coachId !== coachId) return undefined;
        return {
          revokedTokens: this.stmts.revokeTokens.run(at, traineeId).changes,
          cancelledInvites: this.stmts.cancelInvites.run(at, traineeId, at).changes,
        };
      })
      .immediate();
  }

  touchTokens(tokenHashes: readonly string[], now: Date): void {
    if (tokenHashes.length === 0) return;
    const at = now.toISOString();
    this.db.transaction(() => {
      for (const hash of tokenHashes) this.stmts.touch.run(at, hash);
    })();
  }
}
