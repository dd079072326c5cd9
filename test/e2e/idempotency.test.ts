// Exactly-once over a real network: lost acks, resends, duplicate installs and key reuse.
// Every test checks the server's own store (SQLite or PostgreSQL) for what was applied.
import assert from 'node:assert/strict';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import { onlyOnDisk, openLocalStore } from '../sync-db.ts';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SyncServer } from '../../server/sync-server.ts';
import { LocalStore } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import type { Op } from '../../protocol/index.ts';
import { id, openClient, sqliteOnly, startServer, tempDir, until, type TestServer } from '../helpers.ts';
import {
  idle,
  ledgerKeys,
  rawClient,
  serverNextSeq,
  serverSetLogs,
  setupWorld,
  startLossyProxy,
  type LossyProxy,
  type RawClient,
  type Setup,
} from './support.ts';

let tmp: { dir: string; cleanup: () => void };
let srv: TestServer;
let engines: SyncEngine[] = [];
let stores: LocalStore[] = [];
let proxies: LossyProxy[] = [];
let raws: RawClient[] = [];

function open(url: string, token: string, name: string) {
  const client = openClient(tmp.dir, url, token, name);
  engines.push(client.engine);
  stores.push(client.store);
  return client;
}

function openFile(file: string, url: string, token: string) {
  const store = openLocalStore(file);
  const engine = new SyncEngine({ connect: openWebSocket,  store, url, token, backoff: { baseMs: 20, maxMs: 200 } });
  stores.push(store);
  engines.push(engine);
  return { store, engine };
}

beforeEach(async () => {
  tmp = tempDir('coachdesk-idem-');
  srv = await startServer(tmp.dir);
  engines = [];
  stores = [];
  proxies = [];
  raws = [];
});

afterEach(async () => {
  for (const r of raws) await r.close();
  for (const e of engines) await e.stop();
  for (const s of stores) s.close();
  for (const p of proxies) await p.close();
  await srv.close();
  tmp.cleanup();
});

/** Edits that start a session and log `count` sets in it. */
function sessionEdits(setup: Setup, count: number, sessionId = id()) {
  return [
    { entity: 'session' as const, id: sessionId, action: 'put' as const, fields: { traineeId: setup.world.traineeId, date: '2026-11-24', status: 'in_progress' } },
    ...Array.from({ length: count }, (_, setIndex) => ({
      entity: 'set_log' as const,
      id: id(),
      action: 'put' as const,
      fields: { sessionId, exerciseId: setup.world.exerciseId, setIndex, reps: 5, load: 100, done: true },
    })),
  ];
}

/** Live set_log rows of a session, as the server holds them. */
async function setLogs(sessionId: string) {
  return (await srv.rows('set_log')).filter((r) => !r.deleted && r.fields.sessionId === sessionId);
}

/** Each set index of the session exactly once on the server. */
async function assertEachSetOnce(sessionId: string, count: number) {
  const logs = await setLogs(sessionId);
  assert.equal(logs.length, count, `the server holds ${logs.length} set_logs, expected ${count}`);
  assert.deepEqual(
    logs.map((l) => l.fields.setIndex as number).sort((a, b) => a - b),
    Array.from({ length: count }, (_, i) => i),
  );
}

describe('lost acks', () => {
  test('the server committed but the acks were lost: the resend is replayed, nothing applied twice', async () => {
    const setup = await setupWorld(srv, open);
    const proxy = await startLossyProxy(srv.url);
    proxies.push(proxy);
    const ben = open(proxy.url, setup.traineeToken, 'ben');
    ben.engine.start();
    await idle(ben.engine, 'Ben connecting through the proxy');

    const versionBefore = await srv.version();
    const ledgerBefore = await srv.count('ledger', 'user_id = ?', setup.world.traineeId);
    proxy.dropDownstream = true;
    const edits = sessionEdits(setup, 40);
    const sessionId = edits[0]!.id;
    const ops = ben.engine.enqueueAll(edits);

    // The server commits all of it; not one answer reaches Ben.
    await until('the server to commit the push', async () => (await srv.count('ledger', 'user_id = ?', setup.world.traineeId)) === ledgerBefore + ops.length);
    assert.equal(await srv.version(), versionBefore + ops.length);
    await until('the answers to reach the proxy and be lost', () => proxy.dropped > 0);
    assert.equal(ben.store.pendingCount, ops.length, 'without acks the outbox keeps every op');
    assert.equal(ben.engine.counters.acked, 0);

    // The connection drops; the engine reconnects and sends the same ops (same keys), numbered
    // from the seq the server expects, so a key it knows is replayed under its new seq.
    proxy.dropDownstream = false;
    proxy.cut();
    await idle(ben.engine, 'Ben resending after the cut');

    assert.equal(ben.engine.counters.replays, ops.length, 'every resent op was answered from the ledger');
    assert.equal(ben.engine.counters.acked, ops.length);
    assert.equal(ben.store.pendingCount, 0);
    assert.deepEqual(ben.engine.getState().failed, []);
    await assertEachSetOnce(sessionId, ops.length - 1);
    assert.equal(await srv.version(), versionBefore + ops.length, 'the resend applied nothing');
    assert.equal(await srv.count('ledger', 'user_id = ?', setup.world.traineeId), ledgerBefore + ops.length);
    assert.equal(await srv.nextSeq(setup.world.traineeId, ben.store.clientId), ben.store.nextSeq, 'client and server agree on the next seq');
    assert.equal(ben.store.nextSeq, ops.at(-1)!.seq + 1 + ops.length, 'each replay took one seq');
    // The replica holds every result even though the original changes were lost too.
    for (const op of ops) {
      const row = ben.store.getRow(op.entity, op.id);
      assert.ok(row && !row.pending, `${op.entity} ${op.id} is in the replica`);
      assert.equal(row.version, (await srv.row(op.entity, op.id))!.version);
    }
  });

  test('a connection cut in the middle of a pipelined drain: replays for what was committed, the rest applied, each once', async () => {
    const setup = await setupWorld(srv, open);
    const proxy = await startLossyProxy(srv.url);
    proxies.push(proxy);
    const ben = open(proxy.url, setup.traineeToken, 'ben');
    ben.engine.start();
    await idle(ben.engine, 'Ben connecting through the proxy');

    const versionBefore = await srv.version();
    const ledgerBefore = await srv.count('ledger', 'user_id = ?', setup.world.traineeId);
    const first = sessionEdits(setup, 749);
    const second = sessionEdits(setup, 749);
    const edits = [...first, ...second]; // 1500 ops: three pushes of 500
    // The wire dies half way through the second push: the server gets the first push whole and
    // a torn second frame; no answer comes back.
    const seqFrom = ben.store.nextSeq;
    const ops = ben.store.enqueueAll(edits);
    assert.equal(ops[0]!.seq, seqFrom);
    const frame = (from: number) => Buffer.byteLength(JSON.stringify({ type: 'push', ops: ops.slice(from, from + 500) }));
    proxy.dropDownstream = true;
    proxy.upstreamBudget = frame(0) + 14 + Math.floor(frame(500) / 2);
    ben.engine.enqueueAll([]); // nudge the engine to send what the store holds
    await until('the first push to commit', async () => (await srv.count('ledger', 'user_id = ?', setup.world.traineeId)) === ledgerBefore + 500, 10_000);
    await until('the wire to be spent', () => proxy.upstreamBudget === 0, 10_000);
    assert.equal(await srv.count('ledger', 'user_id = ?', setup.world.traineeId), ledgerBefore + 500, 'the torn frame applied nothing');
    assert.equal(ben.store.pendingCount, ops.length);
    proxy.cut();
    proxy.dropDownstream = false;
    proxy.upstreamBudget = undefined;
    await idle(ben.engine, 'Ben finishing the drain', 20_000);

    assert.equal(ben.engine.counters.replays, 500, 'the committed push was answered from the ledger');
    assert.equal(ben.engine.counters.acked, ops.length);
    assert.equal(ben.store.pendingCount, 0);
    await assertEachSetOnce(first[0]!.id, 749);
    await assertEachSetOnce(second[0]!.id, 749);
    assert.equal(await srv.version(), versionBefore + ops.length);
    const ledger = await srv.ledger(setup.world.traineeId);
    assert.equal(ledger.length, ledgerBefore + ops.length);
    assert.equal(new Set(ledger.map((l) => l.seq)).size, ledger.length, 'one ledger entry per seq');
  });
});

describe('duplicate installs', () => {
  test('two copies of one client database push the same ops: each op is applied once', { skip: onlyOnDisk }, async () => {
    const setup = await setupWorld(srv, open);
    const first = open(srv.url, setup.traineeToken, 'ben');
    first.engine.start();
    await idle(first.engine, 'Ben connecting');
    await first.engine.stop();
    const edits = sessionEdits(setup, 60);
    const sessionId = edits[0]!.id;
    const ops = first.store.enqueueAll(edits);
    const file = first.store.file;
    first.store.close();
    stores = stores.filter((s) => s !== first.store);
    const copy = join(tmp.dir, 'restored-copy.db');
    copyFileSync(file, copy);

    const versionBefore = await srv.version();
    const a = openFile(file, srv.url, setup.traineeToken);
    const b = openFile(copy, srv.url, setup.traineeToken);
    assert.equal(a.store.clientId, b.store.clientId, 'the copy is the same install');
    assert.equal(b.store.pendingCount, ops.length);
    a.engine.start();
    b.engine.start();
    await Promise.all([idle(a.engine, 'install A'), idle(b.engine, 'install B')]);

    await assertEachSetOnce(sessionId, ops.length - 1);
    assert.equal(await srv.version(), versionBefore + ops.length);
    assert.equal(a.engine.counters.acked + b.engine.counters.acked, 2 * ops.length, 'both copies drained');
    assert.equal(a.engine.counters.replays + b.engine.counters.replays, ops.length, 'one copy was answered from the ledger');
    assert.equal((await srv.ledger(setup.world.traineeId)).filter((l) => ops.some((o) => o.key === l.key)).length, ops.length);
    assert.equal(await srv.nextSeq(setup.world.traineeId, a.store.clientId), ops.at(-1)!.seq + 1);
    assert.deepEqual(a.engine.getState().failed, []);
    assert.deepEqual(b.engine.getState().failed, []);
  });
});

describe('duplicate pushes and key reuse on the wire', () => {
  async function raw(setup: Setup, clientId = id()) {
    const client = await rawClient(srv.url, { token: setup.traineeToken, clientId });
    raws.push(client);
    return client;
  }

  function ops(setup: Setup, count: number, firstSeq = 1): Op[] {
    const at = new Date().toISOString();
    return sessionEdits(setup, count - 1).map((e, i) => ({ key: id(), seq: firstSeq + i, at, entity: e.entity, id: e.id, action: e.action, fields: e.fields, baseVersion: 0 }));
  }

  test('the same push twice on one connection: the second is answered from the ledger, replay:true', async () => {
    const setup = await setupWorld(srv, open);
    const clientId = id();
    const client = await raw(setup, clientId);
    const batch = ops(setup, 6);
    const sessionId = batch[0]!.id;
    const versionBefore = await srv.version();
    client.send({ type: 'push', ops: batch });
    client.send({ type: 'push', ops: batch });
    const acks = await client.acks(12);
    const [firstAcks, secondAcks] = [acks.slice(0, 6), acks.slice(6, 12)];
    assert.deepEqual(firstAcks.map((a) => [a.key, a.seq, a.status, a.replay]), batch.map((o) => [o.key, o.seq, 'applied', false]));
    assert.deepEqual(secondAcks.map((a) => [a.key, a.seq, a.status, a.replay]), batch.map((o) => [o.key, o.seq, 'applied', true]));
    assert.deepEqual(secondAcks.map((a) => a.version), firstAcks.map((a) => a.version), 'a replay carries the stored outcome');
    await assertEachSetOnce(sessionId, 5);
    assert.equal(await srv.version(), versionBefore + 6);
    assert.equal(await srv.nextSeq(setup.world.traineeId, clientId), 7);
  });

  test('a resend on a new connection after the first one died without answers is replayed', async () => {
    const setup = await setupWorld(srv, open);
    const clientId = id();
    const first = await raw(setup, clientId);
    const batch = ops(setup, 10);
    const sessionId = batch[0]!.id;
    const versionBefore = await srv.version();
    const ledgerBefore = await srv.count('ledger');
    first.send({ type: 'push', ops: batch });
    // Drop the socket right after sending, without reading anything.
    await first.close();
    await until('the server to commit', async () => (await srv.count('ledger')) === ledgerBefore + 10);

    const second = await raw(setup, clientId);
    const welcome = second.received[0] as { type: string; nextSeq: number };
    assert.equal(welcome.type, 'welcome');
    assert.equal(welcome.nextSeq, 11, 'the server remembers how far this install got');
    const from = second.received.length;
    second.send({ type: 'push', ops: batch });
    const acks = await second.acks(10, from);
    assert.ok(acks.every((a) => a.replay && a.status === 'applied'), JSON.stringify(acks));
    assert.deepEqual(acks.map((a) => a.seq), batch.map((o) => o.seq));
    await assertEachSetOnce(sessionId, 9);
    assert.equal(await srv.version(), versionBefore + 10);
    assert.equal(await srv.count('ledger'), ledgerBefore + 10);
  });

  test('a key reused for a different edit is rejected, applies nothing, and the queue moves on', async () => {
    const setup = await setupWorld(srv, open);
    const clientId = id();
    const client = await raw(setup, clientId);
    const batch = ops(setup, 3); // session + 2 set_logs, seqs 1..3
    client.send({ type: 'push', ops: batch });
    await client.acks(3);
    const versionBefore = await srv.version();
    const log = batch[1]!;

    // Same key, new seq, different content.
    let from = client.received.length;
    const reused: Op = { ...log, seq: 4, id: id(), fields: { ...log.fields, setIndex: 7 } };
    const next: Op = { ...batch[2]!, key: id(), seq: 5, id: id(), fields: { ...batch[2]!.fields, setIndex: 8 } };
    client.send({ type: 'push', ops: [reused, next] });
    let acks = await client.acks(2, from);
    assert.equal(acks[0]!.key, log.key);
    assert.equal(acks[0]!.status, 'rejected');
    assert.equal(acks[0]!.reason, 'idempotency_key_reused');
    assert.equal(acks[0]!.replay, false);
    assert.equal(acks[1]!.status, 'applied', 'the op behind the refused one is applied');
    assert.equal(await srv.row('set_log', reused.id), undefined, 'the reused key wrote nothing');
    assert.equal((await srv.row('set_log', log.id))?.fields.setIndex, 0, 'the original edit stands');
    assert.equal(await srv.version(), versionBefore + 1);
    assert.equal(await srv.nextSeq(setup.world.traineeId, clientId), 6, 'the refused op still advanced the seq');

    // Same key, an old seq, different content: refused too.
    from = client.received.length;
    client.send({ type: 'push', ops: [{ ...log, fields: { ...log.fields, reps: 99 } }] });
    acks = await client.acks(1, from);
    assert.equal(acks[0]!.status, 'rejected');
    assert.equal(acks[0]!.reason, 'idempotency_key_reused');
    assert.equal((await srv.row('set_log', log.id))?.fields.reps, 5);
    assert.equal(await srv.version(), versionBefore + 1);

    // Same key, same content, under a new seq (a renumbered outbox): answered from the ledger.
    from = client.received.length;
    client.send({ type: 'push', ops: [{ ...log, seq: 6 }] });
    acks = await client.acks(1, from);
    assert.equal(acks[0]!.key, log.key);
    assert.equal(acks[0]!.status, 'applied');
    assert.equal(acks[0]!.replay, true);
    assert.equal(await srv.version(), versionBefore + 1, 'nothing applied twice');
    assert.equal((await setLogs(batch[0]!.id)).length, 3);
  });

  test('a replayed ack names the seq of the op it answers', async () => {
    const setup = await setupWorld(srv, open);
    const client = await raw(setup);
    const batch = ops(setup, 2);
    client.send({ type: 'push', ops: batch });
    await client.acks(2);
    const from = client.received.length;
    // The same op (same key and content) sent again under the next seq.
    client.send({ type: 'push', ops: [{ ...batch[1]!, seq: 3 }] });
    const [again] = await client.acks(1, from);
    assert.equal(again!.replay, true);
    assert.equal(again!.key, batch[1]!.key);
    assert.equal(again!.seq, 3, `ack ${JSON.stringify(again)} answers the op sent with seq 3`);
  });

  test('a seq already used by another edit is refused and applies nothing', async () => {
    const setup = await setupWorld(srv, open);
    const client = await raw(setup);
    const batch = ops(setup, 2);
    client.send({ type: 'push', ops: batch });
    await client.acks(2);
    const versionBefore = await srv.version();
    const from = client.received.length;
    const other: Op = { ...batch[1]!, key: id(), id: id(), seq: 2 };
    client.send({ type: 'push', ops: [other] });
    const [ack] = await client.acks(1, from);
    assert.equal(ack!.status, 'rejected');
    assert.equal(ack!.key, other.key);
    assert.equal(await srv.row('set_log', other.id), undefined);
    assert.equal(await srv.version(), versionBefore);
  });
});

describe('the engine keeps its keys', () => {
  test('ops resent after a reconnect carry the keys and seqs they were made with', async () => {
    const setup = await setupWorld(srv, open);
    const proxy = await startLossyProxy(srv.url);
    proxies.push(proxy);
    const ben = open(proxy.url, setup.traineeToken, 'ben');
    ben.engine.start();
    await idle(ben.engine, 'Ben connecting');
    proxy.dropDownstream = true;
    const ops = ben.engine.enqueueAll(sessionEdits(setup, 3));
    await until('the commit', async () => (await srv.ledger(setup.world.traineeId)).some((l) => l.key === ops.at(-1)!.key));
    proxy.cut();
    proxy.dropDownstream = false;
    await idle(ben.engine, 'Ben resending');
    const ledger = await srv.ledger(setup.world.traineeId);
    assert.deepEqual(
      ledger.map((l) => [l.key, l.seq]),
      ops.map((o) => [o.key, o.seq]),
    );
    assert.equal(ben.engine.counters.replays, ops.length);
  });
});


describe('seq bookkeeping across server trouble', () => {
  test('database busy: the server answers unavailable, applies nothing, and the client resends later, each op once', { skip: sqliteOnly("another connection holds the SQLite file's write lock past the busy timeout") }, async () => {
    const setup = await setupWorld(srv, open);
    const ben = open(srv.url, setup.traineeToken, 'ben');
    ben.engine.start();
    await idle(ben.engine, 'Ben connecting');
    let sawUnavailable = false;
    ben.engine.on('state', (s: { error: { code: string } | null }) => {
      if (s.error?.code === 'server') sawUnavailable = true;
    });
    const versionBefore = await srv.version();
    const ledgerBefore = await srv.count('ledger');

    // Another writer holds the database: the server's commit times out (busy).
    const lock = new Database(srv.file);
    lock.exec('BEGIN IMMEDIATE');
    const edits = sessionEdits(setup, 10);
    let ops: Op[] = [];
    try {
      ops = ben.engine.enqueueAll(edits);
      await until('the server to answer unavailable', () => sawUnavailable, 15_000);
      assert.equal(await srv.count('ledger'), ledgerBefore, 'nothing was applied');
      assert.equal(ben.store.pendingCount, ops.length, 'the client keeps every op');
      assert.deepEqual(ben.engine.getState().failed, [], 'a passing fault is not a refusal');
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    await idle(ben.engine, 'Ben resending after the fault', 15_000);
    await assertEachSetOnce(edits[0]!.id, 10);
    assert.equal(await srv.version(), versionBefore + ops.length);
    assert.equal(await srv.count('ledger'), ledgerBefore + ops.length);
    assert.equal(ben.engine.counters.acked, ops.length);
  });

  test('the server restored from a backup: the pending ops are renumbered from the seq it expects and applied once', { skip: sqliteOnly('the backup is a copy of the SQLite file (VACUUM INTO) served by a second server') }, async () => {
    const setup = await setupWorld(srv, open);
    const ben = open(srv.url, setup.traineeToken, 'ben');
    ben.engine.start();
    ben.engine.enqueueAll(sessionEdits(setup, 3));
    await idle(ben.engine, 'Ben logging');
    const backup = join(tmp.dir, 'backup.db');
    srv.db.exec(`VACUUM INTO '${backup}'`);
    const expectedSeq = serverNextSeq(srv.file, setup.world.traineeId, ben.store.clientId)!;
    // Ben goes on logging; then the server's disk is lost and the backup restored.
    ben.engine.enqueueAll(sessionEdits(setup, 3));
    await idle(ben.engine, 'Ben logging more');
    await ben.engine.stop();
    const lost = ben.store.nextSeq - expectedSeq;
    assert.equal(lost, 4);

    const restored = new SyncServer({ db: backup, port: 0, log: () => {} });
    const url = await restored.listen();
    try {
      const edits = sessionEdits(setup, 2);
      const ops = ben.store.enqueueAll(edits);
      assert.equal(ops[0]!.seq, expectedSeq + lost, 'queued after the seqs the restored server never saw');
      const engine = new SyncEngine({ connect: openWebSocket,  store: ben.store, url, token: setup.traineeToken, backoff: { baseMs: 20, maxMs: 200 } });
      engines.push(engine);
      engine.start();
      await idle(engine, 'Ben syncing with the restored server');
      assert.deepEqual(engine.getState().failed, []);
      assert.equal(serverSetLogs(backup, edits[0]!.id).length, 2);
      const ledger = ledgerKeys(backup, setup.world.traineeId).filter((l) => ops.some((o) => o.key === l.key));
      assert.deepEqual(ledger.map((l) => l.seq), [expectedSeq, expectedSeq + 1, expectedSeq + 2], 'renumbered from the seq the server expected');
      assert.equal(serverNextSeq(backup, setup.world.traineeId, ben.store.clientId), expectedSeq + 3);
      assert.equal(ben.store.nextSeq, expectedSeq + 3);
    } finally {
      await restored.close();
    }
  });
});
