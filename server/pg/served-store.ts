// The sync server's store on PostgreSQL (one per node): the canonical store, users, tokens and
// invites over one pool, and one dedicated connection that LISTENs for other nodes' commits.
import pg from 'pg';
import type { ServedStore, SharedCommits } from '../served-store.ts';
import { PgAccessStore } from './access.ts';
import { authenticate } from './auth.ts';
import { PgCanonicalStore, POKE_CHANNEL } from './canonical-store.ts';
import { readinessPg } from './schema.ts';

/** How often at most the tokens of open connections are looked up for revocations (ms). */
const REVOCATION_LOOK_MS = 250;

export interface PgServedStoreOptions {
  /** Logs what goes wrong with the LISTEN connection (it reconnects by itself). */
  onListenError?: (error: Error) => void;
}

export class PgServedStore implements ServedStore {
  readonly canonical: PgCanonicalStore;
  readonly shared: SharedCommits;
  private readonly access: PgAccessStore;
  private readonly listeners: Array<(head: number) => void> = [];
  private listener?: pg.Client;
  private closed = false;
  private lastRevocationLook = 0;

  constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
    private readonly opts: PgServedStoreOptions = {},
  ) {
    this.canonical = new PgCanonicalStore(pool);
    this.access = new PgAccessStore(pool);
    this.shared = {
      onCommit: (listener) => {
        this.listeners.push(listener);
        void this.listen();
      },
      changesBetween: (from, to) => this.canonical.changesBetween(from, to),
    };
  }

  /** One connection of its own LISTENs to the pokes; when it breaks, another replaces it. */
  private async listen(): Promise<void> {
    if (this.listener || this.closed) return;
    const client = new pg.Client({ connectionString: this.url });
    this.listener = client;
    const retry = (error: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => {});
      if (this.closed) return;
      this.opts.onListenError?.(error);
      setTimeout(() => void this.listen(), 500).unref();
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('the LISTEN connection ended')));
    client.on('notification', (n) => {
      const head = Number(n.payload);
      if (n.channel === POKE_CHANNEL && Number.isFinite(head)) for (const l of this.listeners) l(head);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${POKE_CHANNEL}`);
    } catch (error) {
      retry(error as Error);
    }
  }

  authenticate(token: string) {
    return authenticate(this.pool, token);
  }

  /** Revocations come from any node or the CLI: the open connections' tokens are looked up, at most every 250 ms. */
  async revokedAmong(live: () => readonly string[]): Promise<Set<string> | undefined> {
    const now = Date.now();
    if (now - this.lastRevocationLook < REVOCATION_LOOK_MS) return undefined;
    const hashes = live();
    if (hashes.length === 0) return undefined;
    this.lastRevocationLook = now;
    const { rows } = await this.pool.query<{ hash: string }>(`SELECT hash FROM tokens WHERE hash = ANY($1::text[]) AND revoked_at IS NOT NULL`, [hashes]);
    return new Set(rows.map((r) => r.hash));
  }

  nextSeq(userId: string, clientId: string) {
    return this.canonical.nextSeq(userId, clientId);
  }

  currentVersion() {
    return this.canonical.currentVersion();
  }

  catchUpCursor(user: { id: string; role: string }, since: number, upto?: number) {
    return this.canonical.catchUpCursor(user, since, upto);
  }

  pushGroup(pushes: Parameters<PgCanonicalStore['pushGroup']>[0]) {
    return this.canonical.pushGroup(pushes);
  }

  createInvite(coachId: string, traineeId: string, now: Date) {
    return this.access.createInvite(coachId, traineeId, now);
  }

  redeemInvite(code: string, now: Date) {
    return this.access.redeemInvite(code, now);
  }

  listAccess(coachId: string, now: Date) {
    return this.access.listAccess(coachId, now);
  }

  revokeTraineeAccess(coachId: string, traineeId: string, now: Date) {
    return this.access.revokeTraineeAccess(coachId, traineeId, now);
  }

  touchTokens(tokenHashes: readonly string[], now: Date) {
    return this.access.touchTokens(tokenHashes, now);
  }

  pruneLedger(now: Date, retentionMs: number, maxRead: number) {
    return this.canonical.pruneLedgerStep(now, retentionMs, maxRead);
  }

  readiness() {
    return readinessPg(this.pool);
  }

  async close(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await this.pool.end();
  }
}

