// Real engines against a real SyncServer over the in-memory network the simulation uses: the
// seams (the engine's `connect`, the server's `acceptConnection`) carry the whole protocol, and
// cuts and lost answers lose nothing.
import assert from 'node:assert/strict';
import { openLocalStore } from '../../main/sync/node-sqlite.ts';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { LocalStore } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import { addCoach, addTraineeToken } from '../../server/auth.ts';
import { openServerDb, type Db } from '../../server/db.ts';
import { SyncServer } from '../../server/sync-server.ts';
import { MemoryNetwork } from '../../sim/memory-network.ts';
import { idle, ledgerCount, serverVersion, worldEdits } from '../e2e/support.ts';
import { id, tempDir, until } from '../helpers.ts';

let tmp: { dir: string; cleanup: () => void };
let db: Db;
let server: SyncServer;
let network: MemoryNetwork;
let file: string;
const engines: SyncEngine[] = [];
const stores: LocalStore[] = [];

beforeEach(() => {
  tmp = tempDir('coachdesk-memnet-');
  file = join(tmp.dir, 'server.db');
  db = openServerDb(file);
  server = new SyncServer({ db, log: () => {} });
  network = new MemoryNetwork(() => server);
});

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
  for (const s of stores.splice(0)) s.close();
  await server.close();
  db.close();
  tmp.cleanup();
});

function client(name: string, token: string) {
  const store = openLocalStore(join(tmp.dir, `${name}.db`));
  const engine = new SyncEngine({ store, url: 'memory://sync', token, connect: network.connect, backoff: { baseMs: 5, maxMs: 20 } });
  stores.push(store);
  engines.push(engine);
  return { store, engine };
}

describe('engines and server over the in-memory network', () => {
  test('the coach builds a program, the trainee logs sets; both replicas hold the same rows', async () => {
    const coachToken = addCoach(db, 'Ana');
    const coach = client('coach', coachToken.token);
    coach.engine.start();
    const { world, edits } = worldEdits(coachToken.userId);
    coach.engine.enqueueAll(edits);
    await idle(coach.engine, 'the coach');
    const ben = client('ben', addTraineeToken(db, world.traineeId).token);
    ben.engine.start();
    await idle(ben.engine, 'Ben catching up');
    assert.equal(ben.store.getRow('prescription', world.prescriptionId)?.fields.sets, 3);
    const session = id();
    ben.engine.enqueueAll([
      { entity: 'session', id: session, action: 'put', fields: { traineeId: world.traineeId, workoutId: world.workoutId, date: '2026-11-24', status: 'in_progress' } },
      ...[0, 1, 2].map((i) => ({ entity: 'set_log' as const, id: id(), action: 'put' as const, fields: { sessionId: session, exerciseId: world.exerciseId, setIndex: i, reps: 5, load: 100, done: true } })),
    ]);
    await idle(ben.engine, 'Ben logging');
    await until('the coach to see the sets live', () => coach.store.children('set_log', session).length === 3);
    assert.ok(network.links.length >= 2);
  });

  test('connections cut in the middle of a drain, over and over: every op applied once', async () => {
    const coachToken = addCoach(db, 'Ana');
    const coach = client('coach', coachToken.token);
    const ops = Array.from({ length: 3000 }, (_, i) => ({ entity: 'exercise' as const, id: id(), action: 'put' as const, fields: { coachId: coachToken.userId, name: `Exercise ${i}` } }));
    coach.engine.enqueueAll(ops);
    const version0 = serverVersion(file);
    let cuts = 0;
    let framesToServer = 0;
    network.observe = (link, from) => {
      if (from !== 'client' || ++framesToServer % 3 !== 0 || cuts >= 5) return;
      cuts++;
      link.cut();
    };
    coach.engine.start();
    await idle(coach.engine, 'the drain through cuts', 20_000);
    assert.equal(cuts, 5);
    assert.equal(serverVersion(file), version0 + 3000, 'each op applied once');
    assert.equal(ledgerCount(file, coachToken.userId), 3000);
    assert.equal(coach.store.pendingCount, 0);
  });

  test('answers lost after the server committed: the resent push is replayed, not applied again', async () => {
    const coachToken = addCoach(db, 'Ana');
    const coach = client('coach', coachToken.token);
    coach.engine.enqueueAll(Array.from({ length: 1200 }, (_, i) => ({ entity: 'exercise' as const, id: id(), action: 'put' as const, fields: { coachId: coachToken.userId, name: `E${i}` } })));
    let lost = false;
    network.observe = (link, from, frame) => {
      if (lost || from !== 'client' || !frame.toString('latin1', 0, 16).startsWith('{"type":"push"')) return;
      // This push reaches the server; everything the server says on this link from now on is lost.
      lost = true;
      link.dropServerFrames = true;
      setTimeout(() => link.cut(), 20);
    };
    coach.engine.start();
    await idle(coach.engine, 'the drain after lost answers', 20_000);
    assert.ok(lost);
    assert.equal(ledgerCount(file, coachToken.userId), 1200);
    assert.equal(serverVersion(file), 1200);
    assert.ok(coach.engine.counters.replays > 0, `replayed acks: ${JSON.stringify(coach.engine.counters)}`);
  });
});
