// Graceful shutdown: pushes already received are committed and acked, then every client is told
// to go (1001); a client mid-drain reconnects to the next server on the same store and every edit
// lands exactly once. `serve` does it on SIGTERM and exits 0.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import type { Edit } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import { SyncServer } from '../../server/sync-server.ts';
import { openLocalStore } from '../sync-db.ts';
import { id, openTestStore, tempDir, until, type TestStore } from '../helpers.ts';
import { killAllChildren, sleep, spawnTs, within } from '../e2e/support.ts';
import { HandSocket, WsPeer, makeOp, uuid, type Msg } from './support.ts';

const T = { timeout: 60_000 };
let tmp: { dir: string; cleanup: () => void };
const stores: TestStore[] = [];
before(() => (tmp = tempDir('coachdesk-ops-shutdown-')));
after(async () => {
  killAllChildren();
  for (const store of stores) await store.close();
  tmp.cleanup();
});

/** A store of the kind under test with a coach; servers are given it with a connection of their own. */
async function newStore(): Promise<{ store: TestStore; coach: { userId: string; token: string } }> {
  const store = await openTestStore(tmp.dir);
  stores.push(store);
  return { store, coach: await store.newCoach('Ana') };
}

describe('graceful shutdown', () => {
  test('a client draining a big outbox: shutdown mid-drain acks what was received, closes with 1001; the next server on the store gets the rest, each edit once', T, async () => {
    const { store: serverStore, coach } = await newStore();
    const first = new SyncServer({ ...serverStore.serverOptions({ ownConnection: true }), port: 0, logger: { level: 'silent' } });
    const url = await first.listen();
    const port = Number(new URL(url).port);

    const store = openLocalStore(join(tmp.dir, 'desk.db'));
    const closeCodes: number[] = [];
    const engine = new SyncEngine({
      store,
      url,
      token: coach.token,
      backoff: { baseMs: 20, maxMs: 200 },
      connect: (to) => openWebSocket(to).on('close', (code) => closeCodes.push(code)),
    });
    const total = 4000;
    const edits: Edit[] = Array.from({ length: total }, (_, i) => ({ entity: 'exercise', id: id(), action: 'put', fields: { coachId: coach.userId, name: `Exercise ${i}` } }));
    const keys = engine.enqueueAll(edits).map((op) => op.key);

    let second: SyncServer | undefined;
    try {
      // Shut down as soon as the first acks are in: thousands of edits are still to go.
      const shutDown = new Promise<{ pendingThen: number }>((resolve, reject) => {
        const onState = (state: { pending: number }) => {
          if (state.pending === total) return;
          engine.off('state', onState);
          first.shutdown().then(() => resolve({ pendingThen: state.pending }), reject);
        };
        engine.on('state', onState);
      });
      engine.start();
      const { pendingThen } = await within('the shutdown mid-drain', 30_000, shutDown);
      assert.ok(pendingThen > 0 && pendingThen < total, `shut down mid-drain (${pendingThen} of ${total} pending)`);
      assert.equal(await first.readiness(), 'shutting down');
      await until('the client to see the server gone', () => closeCodes.length > 0 && engine.getState().connection !== 'syncing', 10_000);
      assert.equal(closeCodes[0], 1001, 'going away');

      // Every op the server committed was acked to the client before the close: none is both applied and still queued.
      const committed = await serverStore.count('ledger');
      assert.ok(committed > 0 && committed < total, `${committed} of ${total} committed before the shutdown`);
      assert.equal(store.pendingCount, total - committed, 'the client holds exactly what the server did not commit');

      // The next server, on the same store and port: the client finds it by itself.
      second = new SyncServer({ ...serverStore.serverOptions({ ownConnection: true }), port, logger: { level: 'silent' } });
      await second.listen();
      assert.equal(await engine.whenIdle(30_000), true, 'the client drained to the new server');
      assert.equal(store.pendingCount, 0);
      assert.deepEqual(store.failedOps(), []);
      assert.equal(engine.counters.rejected, 0);
    } finally {
      await engine.stop();
      await second?.close();
      store.close();
    }

    const ledger = await serverStore.query<{ key: string; ack: string }>('SELECT key, ack FROM ledger');
    assert.equal(ledger.length, total, 'one ledger entry per edit');
    assert.deepEqual(new Set(ledger.map((l) => l.key)), new Set(keys), 'exactly the edits made');
    assert.ok(ledger.every((l) => (JSON.parse(l.ack) as { status: string }).status === 'applied'));
    assert.equal(await serverStore.version(), total, 'one version per edit: nothing applied twice');
    const rows = await serverStore.rows('exercise');
    assert.equal(rows.length, total);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const edit of edits) {
      const row = byId.get(edit.id);
      assert.ok(row, `${edit.id} is stored`);
      assert.deepEqual(row.fields, edit.fields, 'stored whole');
    }
    assert.equal(new Set(rows.map((r) => r.version)).size, total);
  });

  test('a push received in the same turn as the shutdown is committed and acked before the 1001; later frames and connections are refused', T, async () => {
    const { store, coach } = await newStore();
    const server = new SyncServer({ ...store.serverOptions({ ownConnection: true }), port: 0, logger: { level: 'silent' } });
    await server.listen();
    const socket = new HandSocket();
    server.acceptConnection(socket);
    socket.frame({ type: 'hello', protocol: 1, token: coach.token, clientId: 'desk', lastVersion: 0 });
    await until('the catch-up', () => socket.frames.some((m) => m.type === 'synced'));
    const ops = [1, 2, 3].map((seq) => makeOp({ seq, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: coach.userId, name: `E${seq}` } }));
    socket.frame({ type: 'push', ops });
    socket.frame({ type: 'request', requestId: 'r1', method: 'access.list', params: {} });
    const from = socket.frames.length;
    const done = server.shutdown();
    // Frames after the shutdown began are not applied, and no one new gets in.
    socket.frame({ type: 'push', ops: [makeOp({ seq: 4, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: coach.userId, name: 'late' } })] });
    const late = new HandSocket();
    server.acceptConnection(late);
    assert.deepEqual(late.frames, [{ type: 'close', code: 1001 }]);
    await done;

    const after = socket.frames.slice(from).map((m) => (m.type === 'ack' ? `ack ${m.seq} ${m.status}` : m.type === 'close' ? `close ${m.code}` : m.type));
    assert.deepEqual(after, ['changes', 'ack 1 applied', 'ack 2 applied', 'ack 3 applied', 'synced', 'response', 'close 1001']);
    assert.equal(await store.count('ledger'), 3);
    assert.equal(await server.shutdown(), undefined, 'a second call waits for the same end');
  });

  test('serve exits 0 on SIGTERM, closing its clients with 1001', T, async () => {
    const { store, coach } = await newStore();
    const child = spawnTs('server/cli.ts', ['serve', ...store.cliArgs, '--port', '0', '--app-dir', tmp.dir]);
    try {
      let url: string | undefined;
      for (let i = 0; i < 300 && !url; i++) {
        url = /listening (ws:\/\/127\.0\.0\.1:\d+\/sync)/.exec(child.stdout())?.[1];
        if (!url) await sleep(50);
      }
      assert.ok(url, `serve printed no URL: ${child.stderr()}`);
      const peer = await WsPeer.connect(url);
      await peer.hello(coach.token, 'desk');
      child.proc.kill('SIGTERM');
      assert.equal((await peer.waitClose(10_000)).code, 1001);
      const exit = await within('serve to exit after SIGTERM', 10_000, child.exited);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.match(child.stderr(), /"msg":"shutting down"/);
      assert.match(child.stderr(), /"msg":"shut down"/);
    } finally {
      await child.kill9();
    }
  });
});
