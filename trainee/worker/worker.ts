/// <reference lib="webworker" />
// The trainee app's data worker: the only owner of the phone's database. It opens SQLite
// (WebAssembly, the opfs-sahpool VFS: no COOP/COEP needed), runs the one SyncEngine of sync/
// over the browser's WebSocket to ws(s)://<this origin>/sync, keeps the device token in the
// database's meta table (never in a URL or localStorage), and answers the page (trainee/rpc.ts).
//
// One tab at a time: the worker holds the Web Lock `coachdesk-trainee-db` for as long as the
// database is open. A second tab's worker finds it taken (state `locked`); its "Use it here"
// (`claim`) asks the owner over the BroadcastChannel `coachdesk-trainee` to let go, and waits
// for the lock. The owner stops syncing, closes the database, releases the VFS's file handles
// and the lock (state `released`), and the new tab opens it.
// First: no eval under the CSP (zod), before any schema is built.
import './no-eval.ts';
import init, { type Database, type SAHPoolUtil, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { newId } from '../../protocol/index.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import { openWasmLocalStore } from '../../sync/sqlite-wasm.ts';
import { SyncEngine, type SyncState } from '../../sync/sync-engine.ts';
import type { CallMessage, DbState, EventMessage, Method, Params, ReplyMessage, Result, RpcError, SyncSummary } from '../rpc.ts';
import { openBrowserSocket, syncUrlOf } from './browser-socket.ts';
import { checkSetValues, LogSetError, planFinish, planLogSet } from './log-set.ts';
import { TraineeQueries } from './queries.ts';

declare const self: DedicatedWorkerGlobalScope;
/** The wasm file's name in the built app (hashed); set by scripts/build-trainee.mjs. */
declare const __SQLITE_WASM__: string;


const LOCK = 'coachdesk-trainee-db';
const CHANNEL = 'coachdesk-trainee';
const DB_FILE = '/trainee.db';
const META_TOKEN = 'trainee.token';
const META_USER = 'trainee.userId';

let sqlite3: Sqlite3Static | undefined;
let pool: SAHPoolUtil | undefined;
let db: Database | undefined;
let store: LocalStore | undefined;
let engine: SyncEngine | undefined;
let queries: TraineeQueries | undefined;
let dbState: DbState = 'opening';
let dbMessage: string | undefined;
/** Resolving it lets go of the lock (after the database is closed). */
let letGo: (() => void) | undefined;
let opened: Promise<void> | undefined;

const post = (m: EventMessage | ReplyMessage) => self.postMessage(m);
const channel = new BroadcastChannel(CHANNEL);

function setDb(state: DbState, message?: string): void {
  dbState = state;
  dbMessage = message;
  post({ type: 'event', event: 'db', state, ...(message ? { message } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Opening and closing

async function loadSqlite(): Promise<Sqlite3Static> {
  const wasm = typeof __SQLITE_WASM__ === 'string' ? __SQLITE_WASM__ : 'sqlite3.wasm';
  const options = {
    // The wasm file comes from the app's own origin (and so from the service worker's cache offline).
    locateFile: (file: string) => new URL(file === 'sqlite3.wasm' ? wasm : file, `${self.location.origin}/`).href,
    print: () => {},
    printErr: (...args: unknown[]) => console.warn('sqlite3:', ...args),
  };
  return (init as unknown as (o: typeof options) => Promise<Sqlite3Static>)(options);
}

async function installPool(s: Sqlite3Static): Promise<SAHPoolUtil> {
  if (pool) {
    if (pool.isPaused()) await pool.unpauseVfs();
    return pool;
  }
  // A tab that just let go may hold its file handles for a moment more.
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      // forceReinitIfPreviouslyFailed: a failed attempt is otherwise remembered (not in the typings).
      return await s.installOpfsSAHPoolVfs({ name: 'coachdesk', forceReinitIfPreviouslyFailed: true } as Parameters<Sqlite3Static['installOpfsSAHPoolVfs']>[0]);
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw lastError;
}

async function open(): Promise<void> {
  setDb('opening');
  sqlite3 ??= await loadSqlite();
  pool = await installPool(sqlite3);
  db = new pool.OpfsSAHPoolDb(DB_FILE);
  store = openWasmLocalStore(sqlite3, db, { name: 'trainee.db' });
  const token = store.getMeta(META_TOKEN);
  const userId = store.getMeta(META_USER);
  if (token && userId) startSync(userId, token);
  setDb('ready');
  pushSync();
}

function startSync(userId: string, token: string): void {
  queries = new TraineeQueries(store!, userId);
  engine = new SyncEngine({
    store: store!,
    url: syncUrlOf(self.location),
    token,
    connect: openBrowserSocket,
  });
  engine.on('state', () => pushSync());
  engine.on('rows', () => changed());
  engine.start();
}

/** Holds the lock while the database is open; resolves when it is let go. */
function holdWhileOpen(): Promise<void> {
  return new Promise<void>((resolve) => {
    letGo = resolve;
    opened = open().catch((error: unknown) => {
      console.error(error);
      setDb('failed', `could not open the database on this phone: ${(error as Error).message}`);
    });
  });
}

async function close(): Promise<void> {
  const e = engine;
  engine = undefined;
  queries = undefined;
  if (e) await Promise.race([e.stop(), new Promise((r) => setTimeout(r, 1500))]);
  store?.close();
  store = undefined;
  db = undefined;
  try {
    pool?.pauseVfs();
  } catch (error) {
    console.warn('could not release the database files', error);
  }
  letGo?.();
  letGo = undefined;
}

function tryLock(): void {
  void navigator.locks.request(LOCK, { ifAvailable: true }, async (lock) => {
    if (!lock) {
      setDb('locked');
      return;
    }
    await holdWhileOpen();
  });
}

/** "Use it here": ask the tab that has it to let go, and wait for the lock. */
function claim(): Promise<void> {
  if (dbState === 'ready' || dbState === 'opening' || dbState === 'waiting') return opened ?? Promise.resolve();
  setDb('waiting');
  return new Promise<void>((done) => {
    void navigator.locks.request(LOCK, async () => {
      const held = holdWhileOpen();
      await opened;
      done();
      await held;
    });
    channel.postMessage({ type: 'takeover' });
  });
}

channel.onmessage = (e: MessageEvent<{ type: string }>) => {
  if (e.data?.type !== 'takeover' || !letGo) return;
  void close().then(() => setDb('released'));
};

// ---------------------------------------------------------------------------------------------
// What the page sees

function summary(state?: SyncState): SyncSummary {
  const s = store;
  if (!s) return { signedIn: false, userId: null, traineeName: null, connection: 'offline', pending: 0, pendingSets: 0, failed: 0, error: null, lastSyncAt: null };
  const userId = s.getMeta(META_USER) ?? null;
  const st = state ?? engine?.getState();
  const pendingOps = s.pendingCount > 0 ? s.pendingOps(0, 10_000) : [];
  return {
    signedIn: userId !== null,
    userId,
    traineeName: queries?.traineeName() ?? null,
    connection: st?.connection ?? 'offline',
    pending: s.pendingCount,
    pendingSets: pendingOps.filter((op) => op.entity === 'set_log').length,
    failed: st?.failed.length ?? s.failedOps().length,
    error: st?.error && st.error.code !== 'unreachable' ? { code: st.error.code, message: st.error.message } : null,
    lastSyncAt: st?.lastSyncAt ?? null,
  };
}

let syncScheduled = false;
function pushSync(): void {
  if (syncScheduled) return;
  syncScheduled = true;
  queueMicrotask(() => {
    syncScheduled = false;
    post({ type: 'event', event: 'sync', sync: summary() });
  });
}

let changeScheduled = false;
function changed(): void {
  if (changeScheduled) return;
  changeScheduled = true;
  queueMicrotask(() => {
    changeScheduled = false;
    post({ type: 'event', event: 'changed' });
  });
}

// ---------------------------------------------------------------------------------------------
// Calls

class CallError extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
  }
}

function signedIn(): TraineeQueries {
  if (!store) throw new CallError({ code: 'locked', message: dbMessage ?? 'the database is not open in this tab' });
  if (!queries) throw new CallError({ code: 'not_signed_in', message: 'open the invite link from your coach first' });
  return queries;
}

async function signIn(userId: string, token: string): Promise<SyncSummary> {
  await opened;
  if (!store) throw new CallError({ code: 'locked', message: 'the database is not open in this tab' });
  const known = store.identity.userId ?? store.getMeta(META_USER);
  if (known && known !== userId) {
    if (store.pendingCount > 0) {
      throw new CallError({ code: 'invalid', message: 'this phone still holds sets of another trainee that have not synced: connect to sync them first' });
    }
    // Another trainee on this phone: start from an empty database.
    await engine?.stop();
    engine = undefined;
    store.close();
    pool!.unlink(DB_FILE);
    db = new pool!.OpfsSAHPoolDb(DB_FILE);
    store = openWasmLocalStore(sqlite3!, db, { name: 'trainee.db' });
  }
  store.db.transaction(() => {
    store!.setMeta(META_USER, userId);
    store!.setMeta(META_TOKEN, token);
  });
  if (engine) {
    await engine.stop();
    engine = undefined;
  }
  startSync(userId, token);
  changed();
  return summary();
}

const handlers: { [M in Method]: (params: Params<M>) => Promise<Result<M>> | Result<M> } = {
  status: async () => ({ db: dbState, sync: summary() }),
  claim: async () => {
    await claim();
    return { db: dbState };
  },
  signIn: ({ userId, token }) => signIn(userId, token),
  today: ({ today }) => signedIn().today(today),
  workout: ({ workoutId, today }) => signedIn().workout(workoutId, today),
  program: () => signedIn().programs(),
  history: ({ today }) => signedIn().history(today),
  logSet: (input) => {
    const q = signedIn();
    checkSetValues(input);
    const { edits, result } = planLogSet(store!, q, input, newId);
    engine!.enqueueAll(edits);
    changed();
    return result;
  },
  finishWorkout: ({ workoutId, today }) => {
    const q = signedIn();
    const { edits, sessionId } = planFinish(q, workoutId, today, newId);
    engine!.enqueueAll(edits);
    changed();
    return { sessionId };
  },
  syncNow: () => {
    engine?.syncNow();
    return summary();
  },
  release: async () => {
    await close();
    setDb('released');
    return { db: dbState };
  },
};

async function answer(m: CallMessage): Promise<void> {
  try {
    if (m.method !== 'status' && m.method !== 'claim' && m.method !== 'release') await opened;
    const handler = handlers[m.method] as (p: unknown) => unknown;
    const value = await handler(m.params);
    post({ type: 'reply', id: m.id, ok: true, value });
  } catch (error) {
    const e: RpcError =
      error instanceof CallError
        ? error.error
        : error instanceof LogSetError
          ? { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) }
          : { code: 'failed', message: (error as Error).message ?? String(error) };
    post({ type: 'reply', id: m.id, ok: false, error: e });
  }
}

self.addEventListener('message', (e: MessageEvent<CallMessage>) => {
  if (e.data?.type === 'call') void answer(e.data);
});
// The network came back: connect now rather than at the next retry.
self.addEventListener('online', () => engine?.syncNow());

tryLock();
