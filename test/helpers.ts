import { openWebSocket } from '../main/sync/node-socket.ts';
import { openLocalStore } from './sync-db.ts';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addCoach, addTraineeToken } from '../server/auth.ts';
import { openServerDb, type Db } from '../server/db.ts';
import { SyncServer, type SyncServerOptions } from '../server/sync-server.ts';
import { LocalStore } from '../sync/local-store.ts';
import { SyncEngine } from '../sync/sync-engine.ts';

export function tempDir(prefix = 'coachdesk-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServer {
  /** The running server (a new one after restart()). */
  readonly server: SyncServer;
  db: Db;
  url: string;
  file: string;
  port: number;
  addCoach(name?: string): { userId: string; token: string };
  addTraineeToken(traineeId: string): { userId: string; token: string };
  /** Closes the server (its clients see it gone), keeping its database. */
  stop(): Promise<void>;
  /** A new server on the same port and database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(dir: string, options: Partial<SyncServerOptions> = {}): Promise<TestServer> {
  const file = join(dir, `server-${randomUUID().slice(0, 8)}.db`);
  const db = openServerDb(file);
  let server: SyncServer | undefined = new SyncServer({ db, port: 0, log: () => {}, ...options });
  const url = await server.listen();
  const port = Number(new URL(url).port);
  const handle: TestServer = {
    get server() {
      if (!server) throw new Error('the test server is stopped');
      return server;
    },
    db,
    url,
    file,
    port,
    addCoach: (name = 'Ana') => addCoach(db, name),
    addTraineeToken: (traineeId) => addTraineeToken(db, traineeId),
    async stop() {
      const s = server;
      server = undefined;
      await s?.close();
    },
    async restart() {
      const s = new SyncServer({ db, log: () => {}, ...options, port });
      await s.listen();
      server = s;
    },
    async close() {
      await handle.stop();
      db.close();
    },
  };
  return handle;
}

export function openClient(dir: string, url: string, token: string, name = randomUUID().slice(0, 8)) {
  const store = openLocalStore(join(dir, `client-${name}.db`));
  const engine = new SyncEngine({ connect: openWebSocket,  store, url, token, backoff: { baseMs: 20, maxMs: 200 } });
  return { store, engine };
}

export async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const id = () => randomUUID();

/** What a phone does with an invite link: POST the code (after the #) to the server's /api/join. */
export async function joinWithCode(httpBase: string, code: string): Promise<{ status: number; body: { userId?: string; token?: string; error?: string; message?: string } & Record<string, unknown> }> {
  const res = await fetch(`${httpBase}/api/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: (await res.json()) as { userId?: string; token?: string } & Record<string, unknown> };
}
