import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import {
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  REQUEST_METHODS,
  describeIssue,
  parseClientFrame,
  requestParamsSchemas,
  type RequestErrorCode,
  type RequestMethod,
  type RequestValues,
  type Row,
  type ServerMessage,
} from '../protocol/index.ts';
import { hashToken, type User } from './auth.ts';
import { CanonicalStore, DEFAULT_LEDGER_RETENTION_MS, UnavailableError, type PushOutcome } from './canonical-store.ts';
import { isTransientDbError, openServerDb, type Db } from './db.ts';
import { DEFAULT_APP_DIR, createHttpHandler } from './http-app.ts';
import { connectionId, createLogger, lineLogger, type Logger, type LoggerOption } from './log.ts';
import { SyncMetrics, type ConnectionRole, type DropBound, type StoreOperation } from './metrics.ts';
import { RateLimiter } from './rate-limit.ts';
import { sqliteServedStore, type ServedCatchUp, type ServedStore } from './served-store.ts';
import { encodeTextFrames } from './ws-frames.ts';

export interface SyncServerOptions {
  /** A database file path, or an open database (the embedded SQLite store)... */
  db?: string | Db;
  /** ...or a store shared with other nodes (PostgreSQL, pg/served-store.ts). */
  store?: ServedStore;
  host?: string;
  port?: number;
  pingIntervalMs?: number;
  helloTimeoutMs?: number;
  /** Bad frames allowed per minute before the peer is closed with 1008. */
  badFrameLimit?: number;
  /** Rows per catch-up `changes` frame. */
  catchUpChunk?: number;
  /**
   * How often (ms) the server looks for tokens revoked by another connection to its database
   * (`revoke-token` in the CLI). Each frame from a client looks too, so a revoked token's next
   * frame is refused whatever this is.
   */
  revocationCheckMs?: number;
  /**
   * A connection whose unsent frames pass this many bytes (a reader that stopped reading) is
   * dropped instead of buffered without end. It loses nothing: its cursor moved only on what it
   * received, so its next hello catches up from there.
   */
  maxBufferedBytes?: number;
  /**
   * The same bound over every connection together, so that memory stays bounded whatever the
   * number of slow readers: past it (checked before each group of pushes is answered), the
   * connections with the most unsent are dropped first.
   * Frames shared by several connections count once per connection, so this errs on the safe side.
   * Neither bound counts a catch-up's own frames in flight: those are paced (see below), so a
   * client catching up is never dropped for the size of its catch-up.
   */
  maxBufferedTotalBytes?: number;
  /**
   * Catch-up frames handed to a connection and not yet written to its socket. A catch-up is
   * read and sent at most this many frames ahead of the socket, and a new frame only while those
   * hold less than a quarter of `maxBufferedBytes`, so a large or slow one holds only a few frames
   * in memory and lets other connections' pushes run between its pages.
   */
  catchUpFramesAhead?: number;
  /**
   * The structured log (JSON lines): a pino logger, or its level (`silent` for none) and
   * destination. By default level info, to standard error. No token, nor its hash, is ever logged.
   */
  logger?: LoggerOption;
  /** Each log line (JSON) handed to a function instead; `logger` wins when both are given. */
  log?: (line: string) => void;
  /** Serve https:// and wss:// with this certificate (chain) and private key, PEM. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The trainee app's built files, served at / (default `<repo>/dist/trainee`). */
  appDir?: string;
  /**
   * The address people reach this server at (`https://coach.example.com`), for the links of
   * invites. Without it a link starts with the address the coach's app connected to.
   */
  publicUrl?: string;
  /** Join attempts (POST /api/join) allowed per remote address and window; successful ones are not counted. */
  joinRateLimit?: { max: number; windowMs: number; maxAddresses?: number };
  /** How often (ms) at most a connected token's `last_seen_at` is written again (checked with each ping). */
  lastSeenEveryMs?: number;
  /**
   * How long idempotency-ledger entries are kept (default 90 days; null: forever). Pruned an hour
   * after start and every hour, a batch per tick (see CanonicalStore.pruneLedger).
   */
  ledgerRetentionMs?: number | null;
  /** How often the ledger is pruned (ms; default an hour). */
  ledgerPruneEveryMs?: number;
  /** Shared store: how often the head version is looked at, in case a poke was missed (ms). */
  headCheckMs?: number;
  /** The clock of invites, joins, last sightings and ledger retention (tests move it). */
  now?: () => number;
  /**
   * Fault injection for crash tests: after this many committed pushes the process kills
   * itself (SIGKILL) before sending anything, i.e. between commit and ack.
   */
  crashAfterCommits?: number;
}

/** What the server uses of a connection (a subset of `ws`'s WebSocket; an in-memory one in simulations). */
export interface ServerSocket {
  readonly readyState: number;
  readonly OPEN: number;
  /** Bytes handed to send() and not yet written out. */
  readonly bufferedAmount: number;
  send(data: string | Buffer, options: { binary: boolean }, done?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'pong', listener: () => void): this;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'close', listener: (code?: number) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/** A request frame as parsed: the method and params are checked when it is answered. */
interface RequestMessage {
  requestId: string;
  method: string;
  params?: unknown;
}

interface Peer {
  ws: ServerSocket;
  /** Its log, with its connection id (and its user once past hello) on every line. */
  log: Logger;
  /** `http(s)://host[:port]` the connection was made to (from its upgrade request), for invite links. */
  httpBase?: string;
  /** When its token's last_seen_at was last written (ms). */
  touchedAt?: number;
  /** Requests waiting for this connection's earlier pushes to be answered. */
  pendingRequests: RequestMessage[];
  /** Its requests are being answered (one at a time, in order). */
  answering?: boolean;
  user?: User;
  clientId?: string;
  missedPongs: number;
  badFrames: number[];
  helloTimer?: NodeJS.Timeout;
  /** The sha-256 of the token this connection signed in with. */
  tokenHash?: string;
  /** Its token was revoked: the connection is closing and nothing of it is applied. */
  revoked?: boolean;
  /** The catch-up being sent, if any. */
  catchUp?: CatchUpState;
  /**
   * Catch-up frames handed to the socket and not yet written out, and their bytes: they pace
   * the catch-up, and the bounds on unsent bytes leave them out. Kept here, not on the
   * catch-up, because they are still in flight after it ends.
   */
  catchUpInFlight: { frames: number; bytes: number };
  /** A catch-up pump is due in the next turn. */
  pumpDue: boolean;
  /** A catch-up pump is running (pages are read asynchronously). */
  pumping: boolean;
  /** Frames of the turn being sent (sendTurn), written together at its end. */
  turn?: Array<string | Buffer>;
  /** The frames received so far, handled one after another (some wait for the store). */
  handled: Promise<void>;
  /**
   * A shared store: the version its first catch-up covers. Rows up to it are not sent live
   * (this node may not have sent them on yet when the connection came).
   */
  liveFrom?: number;
}

interface CatchUpState {
  /** Undefined while the cursor is being made. */
  cursor?: ServedCatchUp;
  /**
   * The highest version of a live `synced` held back while the catch-up runs: the client may
   * move its cursor only once the catch-up is complete. Announced with the catch-up's own.
   */
  heldSynced: number;
  /** `pull`s that arrived meanwhile, answered in turn. */
  queued: number[];
}

export const CLOSE = {
  goingAway: 1001,
  tooBig: 1009,
  policy: 1008,
  badProtocol: 4400,
  unauthorized: 4401,
  helloTimeout: 4408,
} as const;

/** The sync server: one WebSocket endpoint at /sync over the canonical store. */
export class SyncServer {
  /** The store the server serves from. */
  readonly served: ServedStore;
  /** The SQLite store, when it serves from one (tests and tools read it directly). */
  private readonly sqlite?: { db: Db; store: CanonicalStore };
  private readonly ownsDb: boolean;
  private readonly http: HttpServer | HttpsServer;
  private readonly tls: boolean;
  private readonly log: Logger;
  readonly metrics: SyncMetrics;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private readonly byUser = new Map<string, Set<Peer>>();
  private pingTimer?: NodeJS.Timeout;
  private revocationTimer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  private pruning = false;
  /** A push group is being committed; pushes received meanwhile wait for the next. */
  private committing = false;
  /** Pushers of the group being committed: live `synced` frames wait for their acks. */
  private readonly awaitingAcks = new Set<Peer>();
  /** Shared store: the version up to which other nodes' commits were re-read and sent on. */
  private fannedOut = 0;
  private fanOutChain: Promise<void> = Promise.resolve();
  private headTimer?: NodeJS.Timeout;
  private commits = 0;
  /** Peers whose token's last_seen_at is written at the end of this turn. */
  private readonly seenSoon = new Set<Peer>();
  private closed = false;
  /** shutdown() has begun: no new connections, no new frames. */
  private draining = false;
  private shutdownDone?: Promise<void>;
  /** Called when the last connection is gone while draining. */
  private drained?: () => void;
  /**
   * Pushes received in this turn of the event loop, committed together at its end. `startedAt`
   * is the receipt on the monotonic clock (the push→ack latency); `receivedAt` the wall clock.
   */
  private queuedPushes: Array<{ peer: Peer; ops: Array<Record<string, unknown> & { key: string; seq: number }>; receivedAt: number; startedAt: number }> = [];
  private readonly opts: Required<Omit<SyncServerOptions, 'db' | 'store' | 'publicUrl' | 'logger' | 'log' | 'tls'>> & { publicUrl?: string };
  readonly joinLimiter: RateLimiter;

  /** The SQLite store this server serves from (tests, tools and simulations read it directly). */
  get store(): CanonicalStore {
    if (!this.sqlite) throw new Error('this server serves a shared store, not a SQLite file');
    return this.sqlite.store;
  }

  constructor(options: SyncServerOptions) {
    this.opts = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8787,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
      badFrameLimit: options.badFrameLimit ?? 20,
      catchUpChunk: options.catchUpChunk ?? 500,
      catchUpFramesAhead: options.catchUpFramesAhead ?? 4,
      revocationCheckMs: options.revocationCheckMs ?? 250,
      maxBufferedBytes: options.maxBufferedBytes ?? 16 * 1024 * 1024,
      maxBufferedTotalBytes: options.maxBufferedTotalBytes ?? 256 * 1024 * 1024,
      crashAfterCommits: options.crashAfterCommits ?? 0,
      appDir: options.appDir ?? DEFAULT_APP_DIR,
      publicUrl: options.publicUrl?.replace(/\/+$/, ''),
      joinRateLimit: options.joinRateLimit ?? { max: 10, windowMs: 10 * 60_000 },
      lastSeenEveryMs: options.lastSeenEveryMs ?? 60_000,
      ledgerRetentionMs: options.ledgerRetentionMs === undefined ? DEFAULT_LEDGER_RETENTION_MS : options.ledgerRetentionMs,
      ledgerPruneEveryMs: options.ledgerPruneEveryMs ?? 3_600_000,
      headCheckMs: options.headCheckMs ?? 1000,
      now: options.now ?? Date.now,
    };
    this.joinLimiter = new RateLimiter({
      max: this.opts.joinRateLimit.max,
      windowMs: this.opts.joinRateLimit.windowMs,
      maxKeys: this.opts.joinRateLimit.maxAddresses ?? 10_000,
      now: this.opts.now,
    });
    this.log = options.logger || !options.log ? createLogger(options.logger) : lineLogger(options.log);
    this.metrics = new SyncMetrics({
      connectionsByRole: () => this.connectionsByRole(),
      catchUpsInFlight: () => [...this.peers].filter((p) => p.catchUp).length,
      unsentBytes: () => this.unsentBytes,
    });
    if ((options.db === undefined) === (options.store === undefined)) throw new Error('a sync server serves either a SQLite database (db) or a shared store (store)');
    this.ownsDb = typeof options.db === 'string';
    if (options.store) this.served = options.store;
    else {
      const db = typeof options.db === 'string' ? openServerDb(options.db) : options.db!;
      const store = new CanonicalStore(db);
      this.sqlite = { db, store };
      this.served = sqliteServedStore(db, store, db.pragma('user_version', { simple: true }) as number);
    }
    const handler = createHttpHandler({
      appDir: this.opts.appDir,
      join: (code) => this.storeCall('join', () => this.served.redeemInvite(code, new Date(this.opts.now()))),
      joinLimiter: this.joinLimiter,
      logger: this.log,
      readiness: () => this.readiness(),
      metrics: () => this.metrics.scrape(),
    });
    this.tls = options.tls !== undefined;
    this.http = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
    this.wss = new WebSocketServer({ server: this.http, path: '/sync', maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    this.wss.on('connection', (ws, request) => this.acceptConnection(ws, request));
    // ws re-emits the HTTP server's errors (a busy port, say); listen() reports those.
    this.wss.on('error', (error) => this.log.error({ err: error }, 'sync endpoint error'));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.pingTimer = setInterval(() => this.heartbeat(), this.opts.pingIntervalMs);
    this.pingTimer.unref();
    this.revocationTimer = setInterval(() => this.guardStore('revocation_check', () => this.closeRevoked()), this.opts.revocationCheckMs);
    this.revocationTimer.unref();
    if (this.opts.ledgerRetentionMs !== null) {
      this.pruneTimer = setInterval(() => void this.pruneLedger(), this.opts.ledgerPruneEveryMs);
      this.pruneTimer.unref();
    }
    const shared = this.served.shared;
    if (shared) {
      this.fannedOut = await this.served.currentVersion();
      shared.onCommit((head) => void this.fanOut(head));
      // A poke can be missed (a dropped LISTEN connection): the head version is looked at too.
      this.headTimer = setInterval(() => void this.served.currentVersion().then((head) => this.fanOut(head), () => {}), this.opts.headCheckMs);
      this.headTimer.unref();
    }
    this.log.info({ url: this.url }, 'listening');
    return this.url;
  }

  get url(): string {
    const address = this.http.address() as AddressInfo;
    return `${this.tls ? 'wss' : 'ws'}://${this.opts.host}:${address.port}/sync`;
  }

  get connectionCount(): number {
    return this.peers.size;
  }

  /** The bounds on unsent bytes this server drops slow readers at. */
  get bounds(): { maxBufferedBytes: number; maxBufferedTotalBytes: number } {
    return { maxBufferedBytes: this.opts.maxBufferedBytes, maxBufferedTotalBytes: this.opts.maxBufferedTotalBytes };
  }

  /** Bytes handed to connections and not yet written out, over all of them. */
  get unsentBytes(): number {
    let total = 0;
    for (const peer of this.peers) total += peer.ws.bufferedAmount;
    return total;
  }

  private connectionsByRole(): Record<ConnectionRole, number> {
    const counts = { coach: 0, trainee: 0, pending: 0 };
    for (const peer of this.peers) counts[peer.user?.role ?? 'pending']++;
    return counts;
  }

  /**
   * Why this server cannot take work now, in one line, or undefined when it can (/readyz): it is
   * shutting down, its store does not answer a query, or the database's schema is not the one it
   * opened (migrations run when the file is opened, before the server exists).
   */
  async readiness(): Promise<string | undefined> {
    if (this.draining || this.closed) return 'shutting down';
    try {
      return await this.served.readiness();
    } catch (error) {
      return `the store does not answer: ${String((error as Error).message ?? error).split('\n', 1)[0]}`;
    }
  }

  /**
   * Stops gracefully. New connections are refused at once; pushes already received are committed
   * and their acks sent; then every client is closed with 1001 (going away), so it reconnects
   * elsewhere, and the store is closed. A client that does not finish the close handshake within
   * `timeoutMs` is cut off. Frames that arrive after this began are not applied: their clients
   * send them again after reconnecting, and the ledger answers any already applied with a replay.
   */
  shutdown({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.shutdownDone ??= this.drainAndClose(timeoutMs);
    return this.shutdownDone;
  }

  private async drainAndClose(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.draining = true;
    this.log.info({ connections: this.peers.size }, 'shutting down');
    // Stops listening; the callback waits for every connection, so it is not awaited here.
    this.http.close();
    clearInterval(this.pingTimer);
    clearInterval(this.revocationTimer);
    clearInterval(this.pruneTimer);
    // The frames received before (their handling may wait for the store), the pushes among
    // them (their commit was due), and the requests behind those.
    await Promise.all([...this.peers].map((p) => p.handled));
    await this.settlePushes();
    if (this.peers.size > 0) {
      const gone = new Promise<void>((resolve) => (this.drained = resolve));
      for (const peer of this.peers) peer.ws.close(CLOSE.goingAway, 'server shutting down');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([gone, late]);
      clearTimeout(timer);
      if (this.peers.size > 0) this.log.warn({ connections: this.peers.size }, 'cutting off connections that did not close in time');
    }
    await this.touch([...this.seenSoon], 0);
    this.seenSoon.clear();
    await this.close();
    this.log.info('shut down');
  }

  async close(): Promise<void> {
    // Pushes not yet committed are dropped unanswered: their clients send them again.
    this.closed = true;
    this.queuedPushes = [];
    clearInterval(this.pingTimer);
    clearInterval(this.revocationTimer);
    clearInterval(this.pruneTimer);
    clearInterval(this.headTimer);
    this.seenSoon.clear();
    const touched = this.touch([...this.peers], 0);
    for (const peer of this.peers) peer.ws.terminate();
    await touched;
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    // Pushes in flight finish before the store closes.
    while (this.committing) await new Promise((r) => setTimeout(r, 5));
    if (this.ownsDb) this.sqlite?.db.close();
    if (!this.sqlite) await this.served.close();
  }

  /** Runs a call on the store, counting its failure before passing it on. */
  private async storeCall<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.metrics.storeError(operation);
      throw error;
    }
  }

  /** Runs a call on the store whose failure is counted and logged, never thrown (out of a timer, say). */
  private async guardStore(operation: StoreOperation, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.metrics.storeError(operation);
      this.log.error({ err: error, operation }, 'store failure');
    }
  }

  /**
   * Removes ledger entries past the retention, walking the ledger `batch` entries per tick so
   * pushes run in between (each step holds the event loop and the write lock briefly). Resolves
   * with how many went.
   */
  async pruneLedger(batch = 2000): Promise<number> {
    const retention = this.opts.ledgerRetentionMs;
    if (retention === null || this.pruning) return 0;
    this.pruning = true;
    let removed = 0;
    try {
      for (;;) {
        let step = { removed: 0, done: true };
        if (!this.closed && !this.draining) await this.guardStore('ledger_prune', async () => (step = await this.served.pruneLedger(new Date(this.opts.now()), retention, batch)));
        removed += step.removed;
        if (step.done) break;
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.pruning = false;
    }
    if (removed > 0) this.log.info({ removed, retentionDays: retention / 86_400_000 }, 'ledger pruned');
    return removed;
  }

  /** Serves one connection: every connection to /sync, or one a simulation hands over. */
  acceptConnection(ws: ServerSocket, request?: IncomingMessage): void {
    if (this.draining || this.closed) return ws.close(CLOSE.goingAway, 'server shutting down');
    const peer: Peer = {
      ws,
      log: this.log.child({ conn: connectionId() }),
      httpBase: request && requestBase(request),
      pendingRequests: [],
      missedPongs: 0,
      badFrames: [],
      catchUpInFlight: { frames: 0, bytes: 0 },
      pumpDue: false,
      pumping: false,
      handled: Promise.resolve(),
    };
    this.peers.add(peer);
    peer.log.info({ remote: request?.socket.remoteAddress }, 'connected');
    peer.helloTimer = setTimeout(() => {
      if (peer.user) return;
      peer.log.info('no hello in time: closing');
      ws.close(CLOSE.helloTimeout, 'hello must come within 10 s');
    }, this.opts.helloTimeoutMs);
    ws.on('pong', () => (peer.missedPongs = 0));
    ws.on('message', (data, isBinary) => this.receive(peer, data, isBinary));
    ws.on('close', (code) => {
      peer.log.info({ code }, 'closed');
      this.forget(peer);
    });
    ws.on('error', (error) => {
      // A frame over the limit surfaces here; ws closes with 1009 by itself.
      peer.log.warn({ err: error }, 'connection error');
    });
  }

  private forget(peer: Peer): void {
    clearTimeout(peer.helloTimer);
    if (!this.peers.delete(peer)) return;
    peer.pendingRequests = [];
    if (!this.closed) this.touchSoon(peer);
    if (peer.user) {
      const set = this.byUser.get(peer.user.id);
      set?.delete(peer);
      if (set?.size === 0) this.byUser.delete(peer.user.id);
    }
    if (this.peers.size === 0) this.drained?.();
  }

  /**
   * Writes `last_seen_at` of the peers' tokens, for those written longer than `everyMs` ago
   * (0: all), in one transaction. A failure is logged, never thrown: it is bookkeeping.
   */
  private async touch(peers: Peer[], everyMs: number): Promise<void> {
    const now = this.opts.now();
    const due = peers.filter((p) => p.tokenHash && !p.revoked && (everyMs === 0 || now - (p.touchedAt ?? 0) >= everyMs));
    if (due.length === 0) return;
    try {
      await this.served.touchTokens([...new Set(due.map((p) => p.tokenHash!))], new Date(now));
      for (const p of due) p.touchedAt = now;
    } catch (error) {
      this.metrics.storeError('last_seen');
      this.log.warn({ err: error }, 'could not note when tokens were last seen');
    }
  }

  /**
   * Notes a peer as seen now, written at the end of this turn with every other peer noted in it:
   * a storm of reconnects costs one commit per turn, not one per connection.
   */
  private touchSoon(peer: Peer): void {
    this.seenSoon.add(peer);
    if (this.seenSoon.size > 1) return;
    setImmediate(() => {
      if (this.closed) return;
      const peers = [...this.seenSoon];
      this.seenSoon.clear();
      void this.touch(peers, 0);
    });
  }

  private heartbeat(): void {
    void this.touch([...this.peers], this.opts.lastSeenEveryMs);
    for (const peer of this.peers) {
      if (peer.missedPongs >= 2) {
        peer.log.info('no answer to two pings: dropping the connection');
        peer.ws.terminate();
        continue;
      }
      peer.missedPongs++;
      peer.ws.ping();
    }
  }

  private send(peer: Peer, message: ServerMessage): void {
    this.sendRaw(peer, JSON.stringify(message));
  }

  /**
   * Writes one turn's frames to a peer in one call, unless what it was sent before is still
   * unsent past the bound: a reader that stopped reading is dropped, not buffered without end.
   */
  private sendTurn(peer: Peer, send: () => void): void {
    if (peer.ws.readyState !== peer.ws.OPEN) return;
    const unsent = this.liveUnsent(peer);
    if (unsent > this.opts.maxBufferedBytes) return this.dropSlow(peer, unsent, 'per_connection', 'over the limit per connection');
    // The turn's frames are encoded together and go out in one write (ws-frames.ts). The
    // server's WebSocketServer has no compression, so ws's sender never holds frames back that
    // these could overtake; what ws writes itself still counts in bufferedAmount.
    // A turn begun inside another joins it: its frames go out in the outer one's write, in order.
    if (peer.turn) return send();
    const socket = (peer.ws as unknown as { _socket?: { write(data: Buffer): boolean } })._socket;
    const frames: Array<string | Buffer> = [];
    peer.turn = frames;
    try {
      send();
    } finally {
      peer.turn = undefined;
      if (frames.length > 0 && peer.ws.readyState === peer.ws.OPEN) {
        if (socket) socket.write(encodeTextFrames(frames));
        else for (const frame of frames) peer.ws.send(frame, { binary: false });
      }
    }
  }

  /** What a connection has unsent beyond its catch-up's frames in flight (those are bounded by the catch-up's pacing). */
  private liveUnsent(peer: Peer): number {
    return peer.ws.bufferedAmount - peer.catchUpInFlight.bytes;
  }

  private dropSlow(peer: Peer, unsent: number, bound: DropBound, why: string): void {
    this.metrics.dropped(bound);
    peer.log.warn({ unsent, bound }, `dropping a slow connection: ${unsent} bytes unsent, ${why}`);
    // terminate() frees what it holds at once; close() would queue a close frame behind it.
    peer.ws.terminate();
    this.forget(peer);
  }

  /** Drops the connections with the most unsent until all of them together are within the bound. */
  private enforceBufferBudget(): void {
    let total = 0;
    const backlog: Array<{ peer: Peer; unsent: number }> = [];
    for (const peer of this.peers) {
      const unsent = this.liveUnsent(peer);
      if (unsent <= 0) continue;
      total += unsent;
      backlog.push({ peer, unsent });
    }
    if (total <= this.opts.maxBufferedTotalBytes) return;
    backlog.sort((a, b) => b.unsent - a.unsent);
    for (const { peer, unsent } of backlog) {
      if (total <= this.opts.maxBufferedTotalBytes) break;
      this.dropSlow(peer, unsent, 'total', `the server's total unsent over the limit (${total} bytes)`);
      total -= unsent;
    }
  }

  /** A text frame; a Buffer holds UTF-8 text already encoded once for many peers. */
  private sendRaw(peer: Peer, text: string | Buffer): void {
    if (peer.turn) peer.turn.push(text);
    else if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send(text, { binary: false });
  }

  private badFrame(peer: Peer, message: string): void {
    const now = Date.now();
    peer.badFrames = peer.badFrames.filter((t) => now - t < 60_000);
    peer.badFrames.push(now);
    this.send(peer, { type: 'error', code: 'bad_message', message });
    if (peer.badFrames.length > this.opts.badFrameLimit) {
      peer.log.warn({ badFrames: peer.badFrames.length }, 'too many bad frames: closing');
      peer.ws.close(CLOSE.policy, 'too many bad frames');
    }
  }

  private receive(peer: Peer, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const receivedAt = this.opts.now();
    const startedAt = performance.now();
    // Shutting down: the peer has been told to go; what it sends now it sends again elsewhere.
    if (this.draining) return;
    if (isBinary) return this.badFrame(peer, 'frames must be text (JSON)');
    const text = Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data).toString();
    const parsed = parseClientFrame(text);
    if (!parsed.ok) return this.badFrame(peer, parsed.message);
    const message = parsed.message;
    // A connection's frames are handled in the order they came, each once the one before is
    // taken in (a hello waits for the store; a push is queued for the next commit).
    peer.handled = peer.handled.then(async () => {
      try {
        if (this.closed || peer.ws.readyState !== peer.ws.OPEN) return;
        if (peer.user) await this.closeRevoked();
        if (peer.revoked) return;
        if (message.type === 'hello') return await this.hello(peer, message);
        if (!peer.user || !peer.clientId) return this.badFrame(peer, 'the first frame must be hello');
        if (message.type === 'pull') return this.catchUp(peer, message.since);
        if (message.type === 'request') return this.request(peer, message);
        this.push(peer, message.ops, receivedAt, startedAt);
      } catch (error) {
        // What a frame's handler calls is the store (authentication, a catch-up's first page).
        this.metrics.storeError(STORE_OPERATION_OF[message.type] ?? 'push');
        this.answerFailure(peer, message.type, error);
      }
    });
  }

  /**
   * Closes every connection whose token was revoked (4401, after an `unauthorized` error). The
   * store says cheaply when nothing can have been revoked since it last looked.
   */
  private async closeRevoked(): Promise<void> {
    if (this.closed) return;
    // The connections are listed only when the store may have a revocation to tell: this runs
    // before every frame, and a list of 1,000 connections per frame was a cost per op.
    const live = () => [...this.peers].filter((p) => p.tokenHash && !p.revoked);
    const revoked = await this.served.revokedAmong(() => [...new Set(live().map((p) => p.tokenHash!))]);
    if (!revoked) return;
    for (const peer of live()) if (revoked.has(peer.tokenHash!)) this.refuseRevoked(peer);
  }

  /** Closes a connection whose token was revoked (4401, after an `unauthorized` error); nothing more of it is applied. */
  private refuseRevoked(peer: Peer): void {
    if (peer.revoked) return;
    peer.revoked = true;
    peer.pendingRequests = [];
    peer.log.info('token revoked: closing');
    this.send(peer, { type: 'error', code: 'unauthorized', message: 'this token was revoked' });
    peer.ws.close(CLOSE.unauthorized, 'token revoked');
  }

  private answerFailure(peer: Peer, what: string, error: unknown): void {
    if (error instanceof UnavailableError) {
      peer.log.warn({ err: error, frame: what }, 'store unavailable');
      return this.send(peer, { type: 'error', code: 'unavailable', message: 'the server could not store edits just now; try again' });
    }
    peer.log.error({ err: error, frame: what }, 'unexpected failure handling a frame');
    this.send(peer, { type: 'error', code: 'unavailable', message: 'the server failed; try again' });
  }

  private async hello(peer: Peer, hello: { protocol: number; token: string; clientId: string; lastVersion: number }): Promise<void> {
    if (peer.user) return this.badFrame(peer, 'hello was already received on this connection');
    if (hello.protocol !== PROTOCOL_VERSION) {
      peer.log.warn({ protocol: hello.protocol }, 'hello refused: unsupported protocol');
      this.send(peer, { type: 'error', code: 'bad_message', message: `this server speaks protocol ${PROTOCOL_VERSION}, not ${hello.protocol}` });
      return peer.ws.close(CLOSE.badProtocol, 'unsupported protocol');
    }
    const user = await this.served.authenticate(hello.token);
    if (!user) {
      peer.log.warn('hello refused: unknown or revoked token');
      this.send(peer, { type: 'error', code: 'unauthorized', message: 'unknown or revoked token' });
      return peer.ws.close(CLOSE.unauthorized, 'unauthorized');
    }
    const [nextSeq, serverVersion] = await Promise.all([this.served.nextSeq(user.id, hello.clientId), this.served.currentVersion()]);
    if (peer.ws.readyState !== peer.ws.OPEN || !this.peers.has(peer)) return;
    clearTimeout(peer.helloTimer);
    peer.user = user;
    peer.tokenHash = hashToken(hello.token);
    peer.clientId = hello.clientId;
    peer.log = peer.log.child({ userId: user.id });
    peer.log.info({ role: user.role, clientId: hello.clientId, lastVersion: hello.lastVersion }, 'hello accepted');
    // Subscribed before its catch-up's cursor is made: what commits after the cursor's version
    // reaches it live.
    const set = this.byUser.get(user.id) ?? new Set();
    set.add(peer);
    this.byUser.set(user.id, set);
    if (this.served.shared) peer.liveFrom = Math.max(serverVersion, this.fannedOut);
    this.touchSoon(peer);
    this.send(peer, { type: 'welcome', userId: user.id, role: user.role, nextSeq, serverVersion });
    this.catchUp(peer, hello.lastVersion);
  }

  /**
   * Sends the catch-up from `since` in `changes` frames, then `synced`. Pages are read only as
   * the socket takes the frames before them (at most `catchUpFramesAhead` frames ahead), so a
   * catch-up of any size holds a few frames in memory. A small one goes out at once.
   */
  private catchUp(peer: Peer, since: number, queued: number[] = []): void {
    if (peer.catchUp) {
      peer.catchUp.queued.push(since);
      return;
    }
    const state: CatchUpState = { heldSynced: 0, queued };
    peer.catchUp = state;
    // A shared store: up to what this node has sent on live, or further (the head when the
    // connection came): everything above reaches the connection live.
    const upto = this.served.shared ? Math.max(this.fannedOut, peer.liveFrom ?? 0) : undefined;
    this.served.catchUpCursor(peer.user!, since, upto).then(
      (cursor) => {
        state.cursor = cursor;
        void this.pumpCatchUp(peer);
      },
      (error) => this.catchUpFailed(peer, error),
    );
  }

  private catchUpFailed(peer: Peer, error: unknown): void {
    peer.catchUp = undefined;
    this.metrics.storeError('catch_up');
    peer.log.error({ err: error }, 'catch-up failed');
    this.send(peer, { type: 'error', code: 'unavailable', message: 'the server failed; try again' });
  }

  private async pumpCatchUp(peer: Peer): Promise<void> {
    const state = peer.catchUp;
    if (!state?.cursor || peer.pumping) return;
    if (peer.ws.readyState !== peer.ws.OPEN) {
      peer.catchUp = undefined;
      return;
    }
    const { cursor } = state;
    peer.pumping = true;
    try {
      const inFlight = peer.catchUpInFlight;
      // One frame always goes when none is in flight, whatever the bounds, so a catch-up never stalls.
      while (inFlight.frames === 0 || (inFlight.frames < this.opts.catchUpFramesAhead && inFlight.bytes < this.opts.maxBufferedBytes / 4)) {
        const rows = await cursor.next(this.opts.catchUpChunk);
        if (peer.catchUp !== state || peer.ws.readyState !== peer.ws.OPEN) return;
        if (rows.length === 0) {
          peer.catchUp = undefined;
          this.send(peer, { type: 'synced', version: Math.max(cursor.version, state.heldSynced) });
          const next = state.queued.shift();
          if (next !== undefined) this.catchUp(peer, next, state.queued);
          return;
        }
        const frame = Buffer.from(JSON.stringify({ type: 'changes', to: cursor.version, rows }));
        inFlight.frames++;
        inFlight.bytes += frame.length;
        peer.ws.send(frame, { binary: false }, () => {
          inFlight.frames--;
          inFlight.bytes -= frame.length;
          // Other connections' frames run between pages; a new page waits for the next turn.
          if (!peer.catchUp || peer.pumpDue) return;
          peer.pumpDue = true;
          setImmediate(() => {
            peer.pumpDue = false;
            void this.pumpCatchUp(peer);
          });
        });
      }
    } catch (error) {
      this.catchUpFailed(peer, error);
    } finally {
      peer.pumping = false;
    }
  }

  /**
   * Pushes that arrive in the same turn of the event loop (from many clients at once) are
   * committed in one transaction, one savepoint each, and answered after that commit: one
   * fsync for all of them instead of one each.
   */
  private push(peer: Peer, ops: Array<Record<string, unknown> & { key: string; seq: number }>, receivedAt: number, startedAt: number): void {
    this.queuedPushes.push({ peer, ops, receivedAt, startedAt });
    if (this.queuedPushes.length === 1 && !this.committing) setImmediate(() => void this.commitQueuedPushes());
  }

  /** Commits what is queued, and again until nothing is (shutdown waits for this). */
  private async settlePushes(): Promise<void> {
    while (this.committing) await new Promise((r) => setTimeout(r, 1));
    await this.commitQueuedPushes();
  }

  private async commitQueuedPushes(): Promise<void> {
    if (this.closed || this.committing || this.queuedPushes.length === 0) return;
    this.committing = true;
    try {
      await this.guardStore('revocation_check', () => this.closeRevoked());
      // Before this group's frames, as the bound per connection is checked before each turn's:
      // what the last group wrote has had a turn to reach the sockets.
      this.enforceBufferBudget();
      const group = this.queuedPushes.filter(({ peer }) => !peer.revoked);
      this.queuedPushes = [];
      if (group.length === 0) return;
      try {
        await this.commitGroup(group);
      } finally {
        // Requests that came after these pushes, now that their outcome is known.
        for (const peer of new Set(group.map((g) => g.peer))) await this.answerPendingRequests(peer);
      }
    } finally {
      this.committing = false;
      // Pushes that came while this group was committed make the next group.
      if (this.queuedPushes.length > 0 && !this.closed) setImmediate(() => void this.commitQueuedPushes());
    }
  }

  private async commitGroup(group: SyncServer['queuedPushes']): Promise<void> {
    // A shared store's rows reach the pushers in a fan-out that may run before their acks go.
    if (this.served.shared) for (const { peer } of group) this.awaitingAcks.add(peer);
    try {
      await this.commitAndAnswer(group);
    } finally {
      for (const { peer } of group) this.awaitingAcks.delete(peer);
    }
  }

  private async commitAndAnswer(group: SyncServer['queuedPushes']): Promise<void> {
    let results: Array<PushOutcome | Error>;
    try {
      results = await this.served.pushGroup(group.map(({ peer, ops, receivedAt }) => ({ user: peer.user!, clientId: peer.clientId!, ops, receivedAt })));
    } catch (error) {
      this.metrics.storeError('push');
      for (const { peer, startedAt } of group) {
        this.answerFailure(peer, 'push', error);
        this.metrics.pushAnswered(error instanceof UnavailableError ? 'unavailable' : 'failed', startedAt);
      }
      return;
    }
    this.commits += group.length;
    if (this.opts.crashAfterCommits > 0 && this.commits >= this.opts.crashAfterCommits) process.kill(process.pid, 'SIGKILL');
    // A shared store: every node (this one too) sends the rows on from a re-read by version, so
    // the pushers get their rows before their acks.
    const head = Math.max(0, ...results.map((r) => (r instanceof Error ? 0 : r.version)));
    if (this.served.shared) await this.fanOut(head);
    results.forEach((result, i) => {
      const { peer, startedAt } = group[i]!;
      if (result instanceof Error) {
        this.metrics.storeError('push');
        this.answerFailure(peer, 'push', result);
        this.metrics.pushAnswered(result instanceof UnavailableError ? 'unavailable' : 'failed', startedAt);
      } else {
        this.answerPush(peer, result);
        this.metrics.pushAnswered(result.expectedSeq === undefined ? 'acked' : 'out_of_order', startedAt, result.acks);
      }
    });
  }

  /**
   * Shared store: sends on what every node committed up to `head` that this one has not sent
   * yet, to each of its connections that may see it, then `synced`. One at a time, in version
   * order: versions are committed in order, so (fannedOut, head] holds everything between.
   */
  private fanOut(head: number): Promise<void> {
    const shared = this.served.shared;
    if (!shared) return Promise.resolve();
    this.fanOutChain = this.fanOutChain.then(async () => {
      const from = this.fannedOut;
      if (head <= from || this.closed) return;
      try {
        const changes = await shared.changesBetween(from, head);
        this.fannedOut = Math.max(this.fannedOut, head);
        this.broadcast(changes, head);
      } catch (error) {
        // The head check tries again from the same version.
        this.metrics.storeError('catch_up');
        this.log.error({ err: error, from, head }, 'could not read the commits of other nodes');
      }
    });
    return this.fanOutChain;
  }

  // -------------------------------------------------------------------------------------------
  // Requests (invites and access): answered in order, each after the pushes its connection sent
  // before it, so an invite for a trainee created just before finds the trainee.

  private request(peer: Peer, message: RequestMessage): void {
    peer.pendingRequests.push(message);
    const waiting = this.queuedPushes.some((q) => q.peer === peer) || this.committing;
    if (!waiting) void this.answerPendingRequests(peer);
  }

  private async answerPendingRequests(peer: Peer): Promise<void> {
    if (peer.answering) return;
    peer.answering = true;
    try {
      while (peer.pendingRequests.length > 0 && !peer.revoked && peer.ws.readyState === peer.ws.OPEN) {
        await this.answerRequest(peer, peer.pendingRequests.shift()!);
      }
    } finally {
      peer.answering = false;
    }
  }

  private async answerRequest(peer: Peer, message: RequestMessage): Promise<void> {
    const { requestId } = message;
    const fail = (code: RequestErrorCode, text: string) => this.send(peer, { type: 'response', requestId, ok: false, error: { code, message: text } });
    if (!(REQUEST_METHODS as readonly string[]).includes(message.method)) {
      return fail('invalid', `unknown method "${message.method.slice(0, 64)}"; this server knows ${REQUEST_METHODS.join(', ')}`);
    }
    const method = message.method as RequestMethod;
    const user = peer.user!;
    if (user.role !== 'coach') return fail('forbidden', `only a coach may ${method}`);
    const params = message.params ?? {};
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return fail('invalid', 'params must be an object');
    const parsed = requestParamsSchemas[method].safeParse(params, { reportInput: true });
    if (!parsed.success) return fail('invalid', describeIssue('params', parsed.error.issues[0]!));
    const now = new Date(this.opts.now());
    const notFound = () => fail('not_found', 'you have no trainee with this id');
    const ok = <M extends RequestMethod>(_method: M, value: RequestValues[M]) => this.send(peer, { type: 'response', requestId, ok: true, value });
    try {
      switch (method) {
        case 'invite.create': {
          const { traineeId } = parsed.data as { traineeId: string };
          const invite = await this.served.createInvite(user.id, traineeId, now);
          if (!invite) return notFound();
          return ok(method, { code: invite.code, url: `${this.inviteBase(peer)}/join#${invite.code}`, expiresAt: invite.expiresAt });
        }
        case 'access.list':
          return ok(method, { trainees: await this.served.listAccess(user.id, now) });
        case 'access.revoke': {
          const { traineeId } = parsed.data as { traineeId: string };
          const revoked = await this.served.revokeTraineeAccess(user.id, traineeId, now);
          if (!revoked) return notFound();
          // Every token of the trainee is revoked: every connection of theirs closes now.
          for (const other of this.byUser.get(traineeId) ?? []) this.refuseRevoked(other);
          return ok(method, revoked);
        }
      }
    } catch (error) {
      this.metrics.storeError('request');
      if (!isTransientDbError(error)) peer.log.error({ err: error, method }, 'request failed');
      fail('unavailable', 'the server could not do this just now; try again');
    }
  }

  /** The start of an invite link: --public-url, else where the coach's app reached this server. */
  private inviteBase(peer: Peer): string {
    if (this.opts.publicUrl) return this.opts.publicUrl;
    if (peer.httpBase) return peer.httpBase;
    const address = this.http.address() as AddressInfo | null;
    return `${this.tls ? 'https' : 'http'}://${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${address?.port ?? this.opts.port}`;
  }

  private answerPush(peer: Peer, outcome: PushOutcome): void {
    const user = peer.user!;
    // The pusher first gets the rows that carry its ops' outcome, then the acks, then synced,
    // all before anyone else is written to.
    this.sendTurn(peer, () => {
      // A shared store's rows went to every connection (this one too) before the acks.
      const own = this.served.shared ? undefined : outcome.changes.get(user.id);
      if (own?.length) this.send(peer, { type: 'changes', to: outcome.version, rows: own });
      for (const ack of outcome.acks) this.send(peer, ack);
      if (outcome.expectedSeq !== undefined) {
        this.send(peer, { type: 'error', code: 'out_of_order', expectedSeq: outcome.expectedSeq, message: `expected seq ${outcome.expectedSeq}` });
      }
      this.sendSynced(peer, JSON.stringify({ type: 'synced', version: outcome.version }), outcome.version);
    });
    if (!this.served.shared) this.broadcast(outcome.changes, outcome.version, peer);
  }

  /** Sends each user's rows to every connection of theirs (but the pusher's), then `synced`. */
  private broadcast(changes: Map<string, Row[]>, version: number, except?: Peer): void {
    const synced = Buffer.from(JSON.stringify({ type: 'synced', version }));
    // A row shared by many users (an exercise prescribed to 1,000 trainees) is serialised once,
    // and identical frames are encoded once.
    const rowJson = new Map<Row, string>();
    const frames = new Map<string, Buffer>();
    const serialised = (row: Row) => {
      let json = rowJson.get(row);
      if (json === undefined) rowJson.set(row, (json = JSON.stringify(row)));
      return json;
    };
    for (const [userId, rows] of changes) {
      const peers = this.byUser.get(userId);
      if (!peers) continue;
      // Made for the first connection that gets it: often the pusher is the user's only one.
      let frame: Buffer | undefined;
      for (const peer of peers) {
        if (peer === except) continue;
        if (peer.liveFrom !== undefined && peer.liveFrom >= version) continue;
        if (!frame) {
          const body = rows.map(serialised).join(',');
          frame = frames.get(body);
          if (!frame) frames.set(body, (frame = Buffer.from(`{"type":"changes","to":${version},"rows":[${body}]}`)));
        }
        // A connection whose catch-up covers part of these versions gets only the rows above it
        // (a shared store's fan-out may span versions from before the connection came).
        // Nothing left: nothing is sent, as to a connection the rows never concerned.
        const fresh = peer.liveFrom !== undefined && rows.some((row) => row.version <= peer.liveFrom!) ? rows.filter((row) => row.version > peer.liveFrom!) : rows;
        if (fresh.length === 0) continue;
        const own = fresh === rows ? frame : Buffer.from(`{"type":"changes","to":${version},"rows":[${fresh.map(serialised).join(',')}]}`);
        this.sendTurn(peer, () => {
          this.sendRaw(peer, own);
          // A pusher waiting for its acks gets `synced` after them (answerPush).
          if (!this.awaitingAcks.has(peer)) this.sendSynced(peer, synced, version);
        });
      }
    }
  }

  /** A live `synced`, held back while the peer's catch-up runs (it is announced at its end). */
  private sendSynced(peer: Peer, frame: string | Buffer, version: number): void {
    if (peer.catchUp) peer.catchUp.heldSynced = Math.max(peer.catchUp.heldSynced, version);
    else this.sendRaw(peer, frame);
  }
}

/** The store operation behind each kind of frame, for the count of store errors. */
const STORE_OPERATION_OF: Record<string, StoreOperation> = { hello: 'hello', pull: 'catch_up', request: 'request', push: 'push' };

/** A host header as browsers and WebSocket clients send it: a name or address, and a port. */
const HOST_HEADER = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** `http(s)://host[:port]` of an upgrade request, when its Host header is a plain host. */
function requestBase(request: IncomingMessage): string | undefined {
  const host = request.headers.host;
  if (!host || !HOST_HEADER.test(host)) return undefined;
  const tls = (request.socket as { encrypted?: boolean }).encrypted === true;
  return `${tls ? 'https' : 'http'}://${host}`;
}
