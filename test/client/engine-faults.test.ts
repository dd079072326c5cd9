// The engine and the local store when the server's count and the file's disagree, when a
// token of another user meets a database, and when the local database itself fails.
import assert from 'node:assert/strict';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import { onlyOnDisk, openLocalStore } from '../sync-db.ts';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalStore } from '../../sync/local-store.ts';
import { id, openClient, startServer, tempDir, until, type TestServer } from '../helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let srv: TestServer;

before(async () => {
  tmp = tempDir('coachdesk-faults-');
  srv = await startServer(tmp.dir);
});
after(async () => {
  await srv.close();
  tmp.cleanup();
});

describe('renumbering the outbox', () => {
  test('a failed op does not block renumbering, and pending ops keep their order', () => {
    const store = openLocalStore(join(tmp.dir, `renumber-${id()}.db`));
    try {
      const coachId = id();
      const ops = store.enqueueAll([1, 2, 3].map((n) => ({ entity: 'exercise' as const, id: id(), action: 'put' as const, fields: { coachId, name: `E${n}` } })));
      store.applyIncoming({ rows: [], acks: [{ type: 'ack', key: ops[1]!.key, seq: 2, status: 'rejected', reason: 'forbidden', replay: false }] });
      assert.equal(store.failedOps().length, 1);
      // The server came back from a backup and expects seq 2: ops 1 and 3 become 2 and 3.
      store.renumberPending(2);
      const pending = store.pendingOps(0, 10);
      assert.deepEqual(pending.map((o) => [o.key, o.seq]), [[ops[0]!.key, 2], [ops[2]!.key, 3]]);
      assert.equal(store.nextSeq, 4);
      assert.equal(store.failedOps()[0]!.op.key, ops[1]!.key, 'the failed op is still listed');
      const retried = store.retry(ops[1]!.key);
      assert.equal(retried.seq, 4, 'a retry takes the next seq');
    } finally {
      store.close();
    }
  });

  test('a restored client file syncs its new edits instead of colliding with seqs the server has seen', { skip: onlyOnDisk }, async () => {
    const coach = srv.addCoach('Restore');
    const file = join(tmp.dir, `restored-${id()}.db`);
    const first = openClient(tmp.dir, srv.url, coach.token, `orig-${id()}`);
    first.engine.start();
    await until('first sync', () => first.engine.getState().connection === 'synced');
    // Take a copy of the file now (clientId and seqs as they are), then make three edits.
    first.store.db.prepare('VACUUM INTO ?').run(file);
    for (const n of [1, 2, 3]) first.engine.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: coach.userId, name: `Old ${n}` } });
    await first.engine.whenIdle(5000);
    await first.engine.stop();
    first.store.close();

    const restored = openLocalStore(file);
    const { SyncEngine } = await import('../../sync/sync-engine.ts');
    const engine = new SyncEngine({ connect: openWebSocket,  store: restored, url: srv.url, token: coach.token, backoff: { baseMs: 20, maxMs: 200 } });
    const edit = engine.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: coach.userId, name: 'Made after the restore' } });
    assert.equal(edit.seq, 1, 'the restored file thinks seq 1 is next');
    engine.start();
    assert.equal(await engine.whenIdle(5000), true, JSON.stringify(engine.getState().error));
    assert.deepEqual(engine.getState().failed, [], 'nothing was refused');
    assert.equal(restored.getRow('exercise', edit.id)?.pending, false, 'the new edit reached the server');
    assert.equal(restored.list('exercise').length, 4, 'and the three edits made before the restore came back');
    await engine.stop();
    restored.close();
  });
});

describe('out_of_order mid-connection', () => {
  test('the engine renumbers from the seq the server expects and resends, and everything is applied once', async () => {
    const coach = srv.addCoach('Gap');
    const c = openClient(tmp.dir, srv.url, coach.token, `gap-${id()}`);
    c.engine.start();
    await until('synced', () => c.engine.getState().connection === 'synced');
    const first = c.engine.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: coach.userId, name: 'Before the gap' } });
    assert.equal(await c.engine.whenIdle(5000), true);
    // Ops whose seqs skip ahead of what the server expects, on the open connection (no welcome
    // in between to renumber them): the server answers out_of_order with the seq it expects.
    const names = ['Gap one', 'Gap two', 'Gap three'];
    const queued = c.store.enqueueAll(names.map((name) => ({ entity: 'exercise' as const, id: id(), action: 'put' as const, fields: { coachId: coach.userId, name } })));
    c.store.renumberPending(first.seq + 40);
    const last = c.engine.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: coach.userId, name: 'After the gap' } });
    assert.ok(last.seq > first.seq + 40, 'sent with seqs the server does not expect');
    assert.equal(await c.engine.whenIdle(5000), true, `stuck: ${JSON.stringify(c.engine.getState().error)}`);
    assert.deepEqual(c.engine.getState().failed, []);
    for (const op of [...queued, last]) assert.equal(c.store.getRow('exercise', op.id)?.pending, false, `${op.id} reached the server`);
    const onServer = (srv.db.prepare(`SELECT json_extract(fields, '$.name') AS name FROM canonical_rows WHERE entity = 'exercise' AND coach_id = ? ORDER BY name`).all(coach.userId) as Array<{ name: string }>).map((r) => r.name);
    assert.deepEqual(onServer, ['After the gap', 'Before the gap', 'Gap one', 'Gap three', 'Gap two']);
    const keys = [first, ...queued, last].map((op) => op.key);
    const ledger = srv.db.prepare(`SELECT COUNT(*) AS n FROM ledger WHERE key IN (${keys.map(() => '?').join(', ')})`).get(...keys) as { n: number };
    assert.equal(ledger.n, 5, 'each op applied once');
    await c.engine.stop();
    c.store.close();
  });
});

describe('one database, one user', () => {
  test("another user's token on a database is refused before anything is exchanged", async () => {
    const ana = srv.addCoach('Ana');
    const bo = srv.addCoach('Bo');
    const c = openClient(tmp.dir, srv.url, ana.token, `shared-${id()}`);
    c.engine.start();
    await until('Ana synced', () => c.engine.getState().connection === 'synced');
    c.engine.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: ana.userId, name: 'Ana only' } });
    await c.engine.whenIdle(5000);
    await c.engine.stop();
    const { SyncEngine } = await import('../../sync/sync-engine.ts');
    const asBo = new SyncEngine({ connect: openWebSocket,  store: c.store, url: srv.url, token: bo.token });
    asBo.start();
    await until('Bo refused', () => asBo.getState().stopped);
    assert.equal(asBo.getState().error?.code, 'wrong_user');
    assert.equal(c.store.identity.userId, ana.userId, "the file still belongs to Ana");
    await asBo.stop();
    c.store.close();
  });
});

describe('local database failures', () => {
  test('a failing local database turns into an error state, not a crash', async () => {
    const ana = srv.addCoach('Ana');
    const c = openClient(tmp.dir, srv.url, ana.token, `broken-${id()}`);
    c.engine.start();
    await until('synced', () => c.engine.getState().connection === 'synced');
    const other = openClient(tmp.dir, srv.url, ana.token, `other-${id()}`);
    other.engine.start();
    await until('other synced', () => other.engine.getState().connection === 'synced');
    // Break the file under the running engine, then make the server send it something.
    c.store.db.close();
    other.engine.enqueue({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: ana.userId, name: 'Broadcast' } });
    await until('the engine to report the local failure', () => c.engine.getState().error?.code === 'local');
    await other.engine.stop();
    other.store.close();
    await c.engine.stop().catch(() => {});
  });
});
