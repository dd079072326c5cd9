import { Emitter } from './emitter.ts';
import {
  MAX_OPS_PER_PUSH,
  newId,
  PROTOCOL_VERSION,
  type Ack,
  type Op,
  type RequestErrorCode,
  type RequestMethod,
  type RequestValues,
  type ResponseFrame,
  type Row,
  type ServerMessage,
} from '../protocol/index.ts';
import type { Edit, FailedOp, JournalEntry, LocalStore } from './local-store.ts';

export type Connection = 'offline' | 'connecting' | 'syncing' | 'synced';

export interface SyncError {
  code: 'unauthorized' | 'unreachable' | 'protocol' | 'server' | 'wrong_user' | 'local';
  message: string;
}

/** What a UI shows about sync. */
export interface SyncState {
  connection: Connection;
  pending: number;
  failed: FailedOp[];
  journal: JournalEntry[];
  lastSyncAt: string | null;
  lastVersion: number;
  userId: string | null;
  role: string | null;
  error: SyncError | null;
  /** True once stop() ran or the server refused this install for good (bad token, protocol). */
  stopped: boolean;
}

export interface SyncEngineOptions {
  store: LocalStore;
  /**
   * The sync server's address, or several nodes of one server: after a connection closes or
   * fails, the next one in the list is tried (in turn, round the list).
   */
  url: string | readonly string[];
  token: string;
  /** Ops kept in flight (sent, not yet acked) at once. */
  window?: number;
  /**
   * Reconnect delays: equal jitter, doubling from `baseMs` to `maxMs`. While the server has been
   * unreachable for less than `quickWindowMs` the ceiling stays at `quickMs`, so a server that
   * restarts is found again within that; after it, or when the server answers that it is
   * overloaded, the delays grow to `maxMs`.
   */
  backoff?: { baseMs: number; maxMs: number; quickMs?: number; quickWindowMs?: number };
  /** A connection with no frame or ping for this long is presumed dead. */
  idleTimeoutMs?: number;
  journalLimit?: number;
  /** Opens the connection: `ws` on the desktop (main/sync/node-socket.ts), the browser's WebSocket in the trainee app, an in-memory one in simulations. */
  connect: (url: string) => EngineSocket;
  /** The backoff's jitter, in [0, 1): Math.random by default; seeded in simulations. */
  random?: () => number;
}

/** What the engine uses of a connection (a subset of `ws`'s WebSocket). */
export interface EngineSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'open' | 'ping', listener: () => void): this;
  on(event: 'message', listener: (data: { toString(): string }) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'close', listener: (code: number, reason: { toString(): string }) => void): this;
  once(event: 'close', listener: () => void): this;
}

/** WebSocket readyState values (the same in `ws` and browsers). */
const OPEN = 1;
const CLOSED = 3;

const utf8 = new TextEncoder();

/** Node: a timer alone must not keep the process alive (browsers have no unref). */
const unref = <T>(timer: T): T => {
  (timer as { unref?: () => void }).unref?.();
  return timer;
};

/** After the frames that arrived together (Node's setImmediate; a task in browsers, which lack it). */
const nextTurn: (fn: () => void) => void = typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

/** A request the server refused, or could not be asked (`offline`, `timeout`). */
export class SyncRequestError extends Error {
  constructor(
    readonly code: RequestErrorCode | 'offline' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

export interface SyncCounters {
  acked: number;
  rejected: number;
  replays: number;
}

/** Pushes stay well under the server's 1 MiB frame limit, whatever the ops carry. */
const PUSH_FRAME_BUDGET = 768 * 1024;

/** The longest run of ops from the start that fits one push frame (at least one op). */
export function pushFrame(ops: Op[]): { text: string; count: number } {
  const parts: string[] = [];
  let bytes = 0;
  for (const op of ops) {
    const json = JSON.stringify(op);
    // Ops are mostly ASCII: the string length is exact for them, and encoding is needed only otherwise.
    const size = /^[\x00-\x7f]*$/.test(json) ? json.length : utf8.encode(json).length;
    if (parts.length > 0 && bytes + size + 1 > PUSH_FRAME_BUDGET) break;
    parts.push(json);
    bytes += size + 1;
  }
  return { text: `{"type":"push","ops":[${parts.join(',')}]}`, count: parts.length };
}

/**
 * Drains the outbox in seq order over one WebSocket and applies what the server sends back.
 * The engine never merges: it queues, replays and shows. No Node and no DOM: the desktop host,
 * the reference CLI and the trainee app's worker all drive this one engine.
 */
export class SyncEngine extends Emitter {
  readonly store: LocalStore;
  readonly counters: SyncCounters = { acked: 0, rejected: 0, replays: 0 };
  private readonly opts: Required<Omit<SyncEngineOptions, 'store' | 'backoff' | 'url'>> & { urls: string[]; backoff: Required<NonNullable<SyncEngineOptions['backoff']>> };
  private ws: EngineSocket | undefined;
  private connection: Connection = 'offline';
  private error: SyncError | null = null;
  private running = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private welcomed = false;
  private caughtUp = false;
  /** Highest seq sent on this connection; ops above it are still to send. */
  private sentUpTo = 0;
  private inflight = 0;
  private resentFrom: number | undefined;
  private inbox: ServerMessage[] = [];
  /** Requests sent on this connection, answered by requestId. */
  private readonly requests = new Map<string, { resolve: (value: unknown) => void; reject: (error: SyncRequestError) => void; timer: ReturnType<typeof setTimeout> }>();
  /** Server "unavailable" answers and local failures since the last ack: the backoff keeps growing through reconnects. */
  private troubles = 0;
  /** When the server stopped answering (no welcome since), for the reconnect delays. */
  private outageSince: number | undefined;
  private flushScheduled = false;
  private emitScheduled = false;
  /** Which of the server's addresses the next connection goes to. */
  private urlIndex = 0;

  constructor(options: SyncEngineOptions) {
    super();
    this.store = options.store;
    this.opts = {
      urls: typeof options.url === 'string' ? [options.url] : [...options.url],
      token: options.token,
      window: options.window ?? 2000,
      backoff: { baseMs: 250, maxMs: 30_000, quickMs: 2000, quickWindowMs: 5 * 60_000, ...options.backoff },
      idleTimeoutMs: options.idleTimeoutMs ?? 75_000,
      journalLimit: options.journalLimit ?? 100,
      connect: options.connect,
      random: options.random ?? Math.random,
    };
    if (this.opts.urls.length === 0) throw new Error('the sync server needs an address: none was given');
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.error = null;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.idleTimer);
    const ws = this.ws;
    this.ws = undefined;
    this.failRequests('sync stopped before the server answered');
    if (ws && ws.readyState !== CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.terminate();
      });
    }
    this.guarded('store what the server sent', () => this.flushInbox());
    this.setConnection('offline');
  }

  /**
   * Asks the server something outside the op stream (a coach's invites and device access). Only
   * on a live connection: an offline coach is told so at once rather than queued, since the
   * answer (a join code, say) is needed now.
   */
  request<M extends RequestMethod>(method: M, params: Record<string, unknown>, timeoutMs = 10_000): Promise<RequestValues[M]> {
    const ws = this.ws;
    if (!ws || !this.welcomed || ws.readyState !== OPEN) return Promise.reject(new SyncRequestError('offline', 'not connected to the sync server: try again when online'));
    const requestId = newId();
    return new Promise<RequestValues[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(requestId);
        reject(new SyncRequestError('timeout', `the sync server did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.requests.set(requestId, { resolve: resolve as (value: unknown) => void, reject, timer });
      ws.send(JSON.stringify({ type: 'request', requestId, method, params }));
    });
  }

  private answer(message: ResponseFrame): void {
    const pending = this.requests.get(message.requestId);
    if (!pending) return;
    this.requests.delete(message.requestId);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new SyncRequestError(message.error.code, message.error.message));
  }

  private failRequests(why: string): void {
    for (const [id, pending] of this.requests) {
      clearTimeout(pending.timer);
      pending.reject(new SyncRequestError('offline', why));
      this.requests.delete(id);
    }
  }

  /**
   * Connects now rather than at the next retry (the coach's "Sync now"); on a live connection it
   * sends what is queued. After the server refused the token it tries once more.
   */
  syncNow(): void {
    if (!this.running) return this.start();
    if (this.ws) return this.pump();
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  /** Queues an edit durably and returns at once; it is sent when the connection allows. */
  enqueue(edit: Edit): Op {
    const op = this.store.enqueue(edit);
    this.afterLocalChange();
    return op;
  }

  enqueueAll(edits: Edit[]): Op[] {
    const ops = this.store.enqueueAll(edits);
    this.afterLocalChange();
    return ops;
  }

  retry(key: string): Op {
    const op = this.store.retry(key);
    this.afterLocalChange();
    return op;
  }

  discard(key: string): void {
    this.store.discard(key);
    this.scheduleEmit();
  }

  private afterLocalChange(): void {
    this.pump();
    this.updateConnection();
    this.scheduleEmit();
  }

  getState(): SyncState {
    try {
      this.lastState = this.readState();
    } catch (error) {
      this.error = { code: 'local', message: `could not read the local database: ${(error as Error).message}` };
      this.lastState = { ...this.lastState, connection: this.connection, error: this.error, stopped: !this.running };
    }
    return this.lastState;
  }

  private lastState: SyncState = {
    connection: 'offline',
    pending: 0,
    failed: [],
    journal: [],
    lastSyncAt: null,
    lastVersion: 0,
    userId: null,
    role: null,
    error: null,
    stopped: true,
  };

  private readState(): SyncState {
    const { userId, role } = this.store.identity;
    return {
      connection: this.connection,
      pending: this.store.pendingCount,
      failed: this.store.failedOps(),
      journal: this.store.journal(this.opts.journalLimit),
      lastSyncAt: this.store.getMeta('lastSyncAt') ?? null,
      lastVersion: this.store.lastVersion,
      userId: userId ?? null,
      role: role ?? null,
      error: this.error,
      stopped: !this.running,
    };
  }

  /** Resolves once the outbox is empty and the replica caught up, or when the engine stops. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        const idle = this.connection === 'synced' && this.store.pendingCount === 0;
        if (idle || !this.running) {
          cleanup();
          resolve(idle);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(false);
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('state', check);
      };
      this.on('state', check);
      check();
    });
  }

  private connect(): void {
    if (!this.running) return;
    this.setConnection('connecting');
    this.welcomed = false;
    this.caughtUp = false;
    this.sentUpTo = 0;
    this.inflight = 0;
    this.resentFrom = undefined;
    const url = this.opts.urls[this.urlIndex % this.opts.urls.length]!;
    const ws = this.opts.connect(url);
    this.ws = ws;
    ws.on('open', () => {
      this.touchIdle();
      ws.send(
        JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, token: this.opts.token, clientId: this.store.clientId, lastVersion: this.store.lastVersion }),
      );
    });
    ws.on('ping', () => this.touchIdle());
    ws.on('message', (data) => {
      this.touchIdle();
      let message: ServerMessage;
      try {
        message = JSON.parse(data.toString()) as ServerMessage;
      } catch {
        return;
      }
      this.receive(message);
    });
    ws.on('error', (error) => {
      if (!this.welcomed) this.error = { code: 'unreachable', message: `cannot reach ${url}: ${error.message}` };
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      clearTimeout(this.idleTimer);
      this.failRequests('the connection to the sync server was lost before it answered');
      this.guarded('store what the server sent', () => this.flushInbox());
      if (code === 4401) this.halt({ code: 'unauthorized', message: 'the server refused this token (unknown or revoked): sign in again' });
      else if (code === 4400) this.halt({ code: 'protocol', message: `the server does not speak sync protocol ${PROTOCOL_VERSION}: ${reason.toString()}` });
      else {
        this.urlIndex = (this.urlIndex + 1) % this.opts.urls.length;
        this.scheduleReconnect();
      }
    });
  }

  private halt(error: SyncError): void {
    this.error = error;
    this.running = false;
    this.setConnection('offline');
  }

  private touchIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = unref(setTimeout(() => this.probeIdle(), this.opts.idleTimeoutMs / 2));
  }

  /**
   * Halfway through a silence, ask the server for what is new: browsers answer the server's
   * pings without telling the page, so a quiet but live connection must be seen to answer.
   * One that answers nothing for the rest of the timeout is presumed dead.
   */
  private probeIdle(): void {
    const ws = this.ws;
    if (ws && this.welcomed && ws.readyState === OPEN) ws.send(JSON.stringify({ type: 'pull', since: this.store.lastVersion }));
    this.idleTimer = unref(setTimeout(() => this.ws?.terminate(), this.opts.idleTimeoutMs / 2));
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    this.setConnection('offline');
    const { baseMs, maxMs, quickMs, quickWindowMs } = this.opts.backoff;
    const now = Date.now();
    this.outageSince ??= now;
    const quick = this.troubles === 0 && now - this.outageSince < quickWindowMs;
    const ceiling = Math.min(quick ? Math.min(quickMs, maxMs) : maxMs, baseMs * 2 ** Math.min(this.attempt, 20));
    const delay = ceiling / 2 + this.opts.random() * (ceiling / 2);
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /**
   * A local database failure (disk full, file locked) must not take the app down: drop the
   * connection and come back later; the server resends whatever was not stored.
   */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.error = { code: 'local', message: `could not ${what}: ${(error as Error).message}` };
      this.inbox = [];
      this.troubles++;
      this.ws?.close(4000, 'local failure');
      this.scheduleEmit();
    }
  }

  /** Frames that arrive together are applied together, in one local transaction. */
  private receive(message: ServerMessage): void {
    this.guarded('store what the server sent', () => this.handle(message));
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome': {
        const known = this.store.identity.userId;
        if (known && known !== message.userId) {
          this.ws?.close(4000, 'wrong user');
          return this.halt({
            code: 'wrong_user',
            message: 'this token belongs to another user than the one this local database syncs for: use another database file',
          });
        }
        this.welcomed = true;
        this.outageSince = undefined;
        // After "unavailable" answers, keep backing off even though the connection opens.
        this.attempt = this.troubles;
        this.error = null;
        this.flushInbox();
        this.store.recordWelcome(message);
        this.setConnection('syncing');
        this.pump();
        return;
      }
      case 'error':
        this.flushInbox();
        this.handleError(message);
        return;
      case 'response':
        // What the server did before answering is stored first.
        this.flushInbox();
        this.answer(message);
        return;
      default:
        this.inbox.push(message);
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          nextTurn(() => this.guarded('store what the server sent', () => this.flushInbox()));
        }
    }
  }

  private handleError(message: Extract<ServerMessage, { type: 'error' }>): void {
    switch (message.code) {
      case 'unauthorized':
        this.error = { code: 'unauthorized', message: message.message ?? 'unauthorized' };
        return;
      case 'out_of_order': {
        const expected = message.expectedSeq ?? 1;
        if (this.resentFrom === expected) return; // later frames of a pipelined send say the same
        this.resentFrom = expected;
        this.store.renumberPending(expected);
        this.sentUpTo = expected - 1;
        this.inflight = 0;
        this.pump();
        return;
      }
      case 'unavailable':
        // Nothing of that push was applied: start over on a fresh connection after a pause.
        this.troubles++;
        this.error = { code: 'server', message: message.message ?? 'the server is unavailable' };
        this.ws?.close(4000, 'retry later');
        return;
      case 'bad_message':
        this.error = { code: 'protocol', message: message.message ?? 'the server did not understand a frame' };
        return;
    }
  }

  private flushInbox(): void {
    this.flushScheduled = false;
    if (this.inbox.length === 0) return;
    const messages = this.inbox;
    this.inbox = [];
    const rows: Row[] = [];
    const acks: Ack[] = [];
    let syncedVersion: number | undefined;
    for (const m of messages) {
      if (m.type === 'changes') rows.push(...m.rows);
      else if (m.type === 'ack') acks.push(m);
      else if (m.type === 'synced') syncedVersion = Math.max(syncedVersion ?? 0, m.version);
    }
    const result = this.store.applyIncoming({ rows, acks, syncedVersion });
    for (const ack of acks) if (ack.replay) this.counters.replays++;
    if (acks.length) this.troubles = 0;
    this.counters.acked += result.applied;
    this.counters.rejected += result.rejected;
    this.inflight = Math.max(0, this.inflight - acks.length);
    if (syncedVersion !== undefined) this.caughtUp = true;
    if (rows.length) this.emit('rows', rows);
    this.pump();
    this.updateConnection();
    this.scheduleEmit();
  }

  /** Sends pending ops after the last one sent, keeping at most `window` in flight. */
  private pump(): void {
    const ws = this.ws;
    if (!ws || !this.welcomed || ws.readyState !== OPEN) return;
    while (this.inflight < this.opts.window) {
      const room = Math.min(MAX_OPS_PER_PUSH, this.opts.window - this.inflight);
      const ops = this.store.pendingOps(this.sentUpTo + 1, room);
      if (ops.length === 0) return;
      const frame = pushFrame(ops);
      ws.send(frame.text);
      this.sentUpTo = ops[frame.count - 1]!.seq;
      this.inflight += frame.count;
    }
  }

  private updateConnection(): void {
    if (!this.welcomed || !this.ws) return;
    this.setConnection(this.caughtUp && this.store.pendingCount === 0 ? 'synced' : 'syncing');
  }

  private setConnection(connection: Connection): void {
    if (this.connection === connection) return;
    this.connection = connection;
    this.scheduleEmit();
  }

  private scheduleEmit(): void {
    if (this.emitScheduled) return;
    this.emitScheduled = true;
    queueMicrotask(() => {
      this.emitScheduled = false;
      this.emit('state', this.getState());
    });
  }
}
