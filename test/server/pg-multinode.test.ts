// Three sync nodes on one PostgreSQL database, clients spread over them: each client's edits
// reach the others live through the other nodes (NOTIFY pokes, re-read by version); one node
// is killed -9 in the middle of pushes and its clients move on to the next address. Afterwards
// every op is in the ledger exactly once, and every client holds exactly the canonical rows of
// its scope.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import type { Entity, Row } from '../../protocol/index.ts';
import { PgCanonicalStore } from '../../server/pg/canonical-store.ts';
import * as pgAuth from '../../server/pg/auth.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import type { LocalStore } from '../../sync/local-store.ts';
import { killAllChildren, spawnServeWith, type ServerProcess } from '../e2e/support.ts';
import { id, tempDir, until } from '../helpers.ts';
import { openLocalStore } from '../sync-db.ts';
import { freshPgDatabase, type TestPgDatabase } from './pg-support.ts';

const tmp = tempDir('coachdesk-multinode-');
let db: TestPgDatabase | undefined;
after(async () => {
  killAllChildren();
  await db?.drop();
  tmp.cleanup();
});

interface Client {
  name: string;
  store: LocalStore;
  engine: SyncEngine;
}

function client(name: string, urls: string[], token: string): Client {
  const store = openLocalStore(join(tmp.dir, `${name}.db`));
  const engine = new SyncEngine({ connect: openWebSocket, store, url: urls, token, backoff: { baseMs: 20, maxMs: 200 } });
  return { name, store, engine };
}

const ENTITIES: Entity[] = ['trainee', 'exercise', 'program', 'workout', 'prescription', 'session', 'set_log', 'max', 'settings'];

/** A replica's live rows, as entity/id → fields. */
function replicaOf(store: LocalStore): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const entity of ENTITIES) for (const row of store.list(entity)) out.set(`${entity}/${row.id}`, row.fields);
  return out;
}

function scopeOf(rows: Row[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const row of rows) if (!row.deleted) out.set(`${row.entity}/${row.id}`, row.fields);
  return out;
}

test('three nodes, clients on different nodes, one node killed -9 mid-push: every op once, every client equal to its scope', { timeout: 180_000 }, async () => {
  db = await freshPgDatabase('coachdesk_mn');
  const appDir = join(tmp.dir, 'app');
  mkdirSync(appDir);
  const nodes: ServerProcess[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await spawnServeWith(['--postgres', db.url, '--app-dir', appDir], { COACHDESK_PG_POOL: '4' }, 60_000));
  const urls = nodes.map((n) => n.url);
  const rotate = (k: number) => [...urls.slice(k), ...urls.slice(0, k)];

  const coachToken = await pgAuth.addCoach(db.pool, 'Ana');
  const coach = client('coach', rotate(0), coachToken.token);
  const clients = [coach];
  try {
    coach.engine.start();
    const trainees = [id(), id()];
    const exercise = id();
    const program = id();
    const workout = id();
    const rx = id();
    coach.engine.enqueueAll([
      ...trainees.map((t, i) => ({ entity: 'trainee' as const, id: t, action: 'put' as const, fields: { coachId: coachToken.userId, name: `Trainee ${i}` } })),
      { entity: 'exercise', id: exercise, action: 'put', fields: { coachId: coachToken.userId, name: 'Back squat' } },
      { entity: 'program', id: program, action: 'put', fields: { coachId: coachToken.userId, traineeId: trainees[0]!, name: 'Block', weeks: 4 } },
      { entity: 'workout', id: workout, action: 'put', fields: { programId: program, week: 1, day: 1, title: 'Day 1' } },
      { entity: 'prescription', id: rx, action: 'put', fields: { workoutId: workout, exerciseId: exercise, position: 1, sets: 5, reps: '5', load: 100, loadUnit: 'kg' } },
    ]);
    await until('the coach’s first edits acked', () => coach.store.pendingCount === 0, 30_000);

    // Each trainee on another node than the coach's.
    const phones = await Promise.all(
      trainees.map(async (t, i) => {
        const token = await pgAuth.addTraineeToken(db!.pool, t);
        return client(`phone-${i}`, rotate(i + 1), token.token);
      }),
    );
    clients.push(...phones);
    for (const p of phones) p.engine.start();
    await until('the first trainee’s phone has its program', () => phones[0]!.store.list('prescription').length === 1, 30_000);

    // Live across nodes: the coach (node 1) edits, the phone (node 2, never reconnected) sees it.
    coach.engine.enqueue({ entity: 'prescription', id: rx, action: 'patch', fields: { load: 105 } });
    await until('the coach’s edit reaches the phone on another node', () => phones[0]!.store.getRow('prescription', rx)?.fields.load === 105, 30_000);

    // Many edits from everyone; the coach's node dies in the middle of them.
    const sessions = trainees.map(() => id());
    phones.forEach((p, i) => p.engine.enqueue({ entity: 'session', id: sessions[i]!, action: 'put', fields: { traineeId: trainees[i]!, date: '2026-12-01', status: 'in_progress' } }));
    let enqueued = 0;
    for (let round = 0; round < 30; round++) {
      const batch = Array.from({ length: 20 }, (_, k) => ({ entity: 'exercise' as const, id: id(), action: 'put' as const, fields: { coachId: coachToken.userId, name: `Ex ${round}-${k}` } }));
      coach.engine.enqueueAll(batch);
      phones.forEach((p, i) =>
        p.engine.enqueueAll(Array.from({ length: 5 }, (_, k) => ({ entity: 'set_log' as const, id: id(), action: 'put' as const, fields: { sessionId: sessions[i]!, exerciseId: exercise, setIndex: round * 5 + k, reps: 5, load: 100, loadUnit: 'kg', done: true } }))),
      );
      enqueued += 20 + 2 * 5;
      if (round === 10) await nodes[0]!.kill9();
      await new Promise((r) => setTimeout(r, 20));
    }
    await until('every outbox drained on the nodes left', () => clients.every((c) => c.store.pendingCount === 0 && c.store.failedOps().length === 0), 120_000);

    // Every op once: the ledger holds each key once (its primary key), and as many as were sent.
    const ledger = await db.pool.query<{ n: number; keys: number }>(`SELECT COUNT(*)::int AS n, COUNT(DISTINCT key)::int AS keys FROM ledger`);
    assert.equal(ledger.rows[0]!.n, ledger.rows[0]!.keys);
    assert.equal(ledger.rows[0]!.n, 6 + 1 + 2 + enqueued, 'one ledger entry per op sent');
    const rows = await db.pool.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM canonical_rows WHERE entity IN ('exercise', 'set_log')`);
    assert.equal(rows.rows[0]!.n, 1 + 30 * 20 + 2 * 30 * 5, 'every row written, none twice');

    // Every client equals the canonical rows of its scope.
    const canonical = new PgCanonicalStore(db.pool);
    const users = [
      { id: coachToken.userId, role: 'coach' },
      ...trainees.map((t) => ({ id: t, role: 'trainee' })),
    ];
    const same = async () => {
      const scopes = await Promise.all(users.map((u) => canonical.catchUp(u, 0)));
      return clients.every((c, i) => JSON.stringify([...replicaOf(c.store)].sort()) === JSON.stringify([...scopeOf(scopes[i]!.rows)].sort()));
    };
    await until('every replica to equal its scope', same, 30_000);
    const scopes = await Promise.all(users.map((u) => canonical.catchUp(u, 0)));
    clients.forEach((c, i) => assert.deepEqual(new Map([...replicaOf(c.store)].sort()), new Map([...scopeOf(scopes[i]!.rows)].sort()), c.name));
    assert.ok(scopes[1]!.rows.some((r) => r.entity === 'set_log'), 'the trainee’s scope holds their sets');
  } finally {
    for (const c of clients) {
      await c.engine.stop();
      c.store.close();
    }
    for (const n of nodes) await n.kill9();
  }
});

