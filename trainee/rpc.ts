// The page ↔ worker protocol of the trainee app. The worker owns the database and the sync
// engine; the page asks it things with `call` messages and gets one `reply` each (matched by
// `id`), and the worker pushes `event` messages when data or the sync state change.
//
//   page → worker  {type:'call', id, method, params}
//   worker → page  {type:'reply', id, ok:true, value} | {type:'reply', id, ok:false, error:{code, message}}
//   worker → page  {type:'event', event:'db', state, message?}   the database's life (lock, open, failure)
//                  {type:'event', event:'sync', sync}             connection, pending count, errors
//                  {type:'event', event:'changed'}                rows changed (server or local): read again
//
// Everything is structured-cloneable plain data.

import type { HistoryEntry, LogSetInput, LogSetResult, ProgramView, TodayView, WorkoutView } from './worker/queries.ts';

export type { HistoryEntry, LogSetInput, LogSetResult, ProgramView, TodayView, WorkoutView };

export type Connection = 'offline' | 'connecting' | 'syncing' | 'synced';

/** What the page shows about sync, always. */
export interface SyncSummary {
  signedIn: boolean;
  userId: string | null;
  traineeName: string | null;
  connection: Connection;
  /** Edits in the outbox, and how many of them are logged sets. */
  pending: number;
  pendingSets: number;
  /** Edits the server refused (kept for the trainee to see). */
  failed: number;
  /** A lasting problem: the token refused (signed out by the coach), another user, a local failure. */
  error: { code: string; message: string } | null;
  lastSyncAt: string | null;
}

/** The database's life in the worker. */
export type DbState =
  /** Another tab holds the database (the Web Lock `coachdesk-trainee-db`). */
  | 'locked'
  /** Waiting for the other tab to let go (after "Use it here"). */
  | 'waiting'
  | 'opening'
  | 'ready'
  /** Let go for another tab (after it asked over the BroadcastChannel). */
  | 'released'
  | 'failed';

/** Every method: its params and its result. `today` is the phone's local date, YYYY-MM-DD. */
export interface Methods {
  /** The current sync summary and database state. */
  status: { params: Record<string, never>; result: { db: DbState; sync: SyncSummary } };
  /** Waits for the lock (another tab lets go), then opens the database. */
  claim: { params: Record<string, never>; result: { db: DbState } };
  /** Stores the device's token and user id from a join (in the worker's SQLite) and starts syncing. */
  signIn: { params: { userId: string; token: string }; result: SyncSummary };
  today: { params: { today: string }; result: TodayView };
  workout: { params: { workoutId: string; today: string }; result: WorkoutView | null };
  program: { params: { today: string }; result: ProgramView[] };
  history: { params: { today: string }; result: HistoryEntry[] };
  logSet: { params: LogSetInput; result: LogSetResult };
  /** Marks today's session of the workout completed. */
  finishWorkout: { params: { workoutId: string; today: string }; result: { sessionId: string } };
  /** Connects now (the network came back, the app came to the front). */
  syncNow: { params: Record<string, never>; result: SyncSummary };
  /** Stops syncing and closes the database, for another tab to take it. */
  release: { params: Record<string, never>; result: { db: DbState } };
}

export type Method = keyof Methods;
export type Params<M extends Method> = Methods[M]['params'];
export type Result<M extends Method> = Methods[M]['result'];

export type RpcErrorCode = 'invalid' | 'not_found' | 'not_signed_in' | 'locked' | 'failed';

export interface RpcError {
  code: RpcErrorCode;
  message: string;
  /** For `invalid` input: the field it is about (reps, load, rpe, note). */
  field?: string;
}

export type CallMessage = { [M in Method]: { type: 'call'; id: number; method: M; params: Params<M> } }[Method];

export type ReplyMessage = { type: 'reply'; id: number; ok: true; value: unknown } | { type: 'reply'; id: number; ok: false; error: RpcError };

export type EventMessage =
  | { type: 'event'; event: 'db'; state: DbState; message?: string }
  | { type: 'event'; event: 'sync'; sync: SyncSummary }
  | { type: 'event'; event: 'changed' };

export type WorkerMessage = ReplyMessage | EventMessage;

export class RpcFailure extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
  }
}

/** The minimal surface of a Worker the client needs (a fake in tests). */
export interface Port {
  postMessage(message: CallMessage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerMessage>) => void): void;
}

/** The page's side: typed calls and an event stream. */
export function rpcClient(port: Port, onEvent: (event: EventMessage) => void) {
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: RpcFailure) => void }>();
  port.addEventListener('message', (e) => {
    const m = e.data;
    if (m.type === 'event') return onEvent(m);
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(new RpcFailure(m.error));
  });
  return {
    call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
      const id = nextId++;
      return new Promise<Result<M>>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        port.postMessage({ type: 'call', id, method, params } as CallMessage);
      });
    },
  };
}

export type RpcClient = ReturnType<typeof rpcClient>;
