import { openWebSocket } from '../sync/node-socket.ts';
import { openLocalStore } from '../sync/node-sqlite.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverAdmin, startServerProcess, type ServerProcess } from '../embedded/server-process.ts';
import { LocalStore, type Edit } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import { planDemo } from './demo-data.ts';

export interface DemoAccounts {
  coach: { userId: string; token: string; name: string };
  trainees: Array<{ userId: string; name: string; token: string | null }>;
}

export interface DemoWorkspace {
  dir: string;
  server: ServerProcess;
  accounts: DemoAccounts;
  /** The coach's local database (the desktop app's file). */
  coachDb: string;
}

async function syncEdits(dbFile: string, url: string, token: string, edits: Edit[]): Promise<void> {
  const store = openLocalStore(dbFile);
  const engine = new SyncEngine({ connect: openWebSocket,  store, url, token });
  try {
    if (edits.length) engine.enqueueAll(edits);
    engine.start();
    if (!(await engine.whenIdle(30_000))) throw new Error(`demo data did not sync: ${engine.getState().error?.message ?? 'timed out'}`);
  } finally {
    await engine.stop();
    store.close();
  }
}

/**
 * Starts the embedded sync server on a data folder, seeding it on first use with the demo
 * (a coach, three trainees, a 4-week program, Ben's logged first week) through the real
 * sync path: the coach's and Ben's edits go through their own outboxes.
 */
export async function openDemoWorkspace(dir: string, opts: { port?: number } = {}): Promise<DemoWorkspace> {
  mkdirSync(dir, { recursive: true });
  const serverDb = join(dir, 'server.db');
  const coachDb = join(dir, 'coach.db');
  const accountsFile = join(dir, 'accounts.json');
  const server = await startServerProcess(serverDb, { port: opts.port ?? 0 });
  try {
    if (existsSync(accountsFile)) {
      return { dir, server, coachDb, accounts: JSON.parse(readFileSync(accountsFile, 'utf8')) as DemoAccounts };
    }
    const name = 'Ana Coach';
    const coach = await serverAdmin(['add-coach', '--db', serverDb, '--name', name]);
    const plan = planDemo(coach.userId);
    await syncEdits(coachDb, server.url, coach.token, plan.coachEdits);
    const trainees: DemoAccounts['trainees'] = [];
    for (const t of plan.trainees) {
      const edits = plan.traineeEdits.get(t.id);
      if (!edits) {
        trainees.push({ userId: t.id, name: t.name, token: null });
        continue;
      }
      const issued = await serverAdmin(['add-trainee-token', '--db', serverDb, '--trainee', t.id]);
      await syncEdits(join(dir, `trainee-${t.name.split(' ')[0]!.toLowerCase()}.db`), server.url, issued.token, edits);
      trainees.push({ userId: t.id, name: t.name, token: issued.token });
    }
    await syncEdits(coachDb, server.url, coach.token, []);
    const accounts: DemoAccounts = { coach: { ...coach, name }, trainees };
    writeFileSync(accountsFile, JSON.stringify(accounts, null, 2), { mode: 0o600 });
    return { dir, server, coachDb, accounts };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
