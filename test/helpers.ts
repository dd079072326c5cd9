import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addCoach, addTraineeToken } from '../server/auth.ts';
import { openServerDb, type Db } from '../server/db.ts';
import { SyncServer, type SyncServerOptions } from '../server/sync-server.ts';
import { LocalStore } from '../main/sync/local-store.ts';
import { SyncEngine } from '../main/sync/sync-engine.ts';

export function tempDir(prefix = 'coachdesk-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServer {
  server: SyncServer;
  db: Db;
  url: string;
  file: string;
  addCoach(name?: string): { userId: string; token: string };
  addTraineeToken(traineeId: string): { userId: string; token: string };
  close(): Promise<void>;
}

export async function startServer(dir: string, options: Partial<SyncServerOptions> = {}): Promise<TestServer> {
  const file = join(dir, `server-${randomUUID().slice(0, 8)}.db`);
  const db = openServerDb(file);
  const server = new SyncServer({ db, port: 0, log: () => {}, ...options });
  const url = await server.listen();
  return {
    server,
    db,
    url,
    file,
    addCoach: (name = 'Ana') => addCoach(db, name),
    addTraineeToken: (traineeId) => addTraineeToken(db, traineeId),
    async close() {
      await server.close();
      db.close();
    },
  };
}

export function openClient(dir: string, url: string, token: string, name = randomUUID().slice(0, 8)) {
  const store = new LocalStore(join(dir, `client-${name}.db`));
  const engine = new SyncEngine({ store, url, token, backoff: { baseMs: 20, maxMs: 200 } });
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
