// Crashes of real processes: the server SIGKILLed between commit and ack, and the reference client
// CLI SIGKILLed in the middle of a drain. Nothing may be lost and nothing applied twice.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { LocalStore } from '../../sync/local-store.ts';
import type { SyncEngine } from '../../sync/sync-engine.ts';
import { id, openClient, startServer, tempDir, type TestServer, type TestStore } from '../helpers.ts';
import { killAllChildren, outboxCount, runClient, sleep, spawnServeWith, spawnTs, setupWorld, within, type ServerProcess, type Setup } from './support.ts';

let tmp: { dir: string; cleanup: () => void };
let servers: ServerProcess[] = [];
let prepared: TestServer | undefined;

beforeEach(() => {
  tmp = tempDir('coachdesk-crash-');
  servers = [];
});

afterEach(async () => {
  for (const s of servers) await within('server to exit', 5000, s.kill9());
  killAllChildren();
  await prepared?.close();
  prepared = undefined;
  tmp.cleanup();
});

after(() => killAllChildren());

interface Prepared {
  /** The server's store (a SQLite file, or a PostgreSQL database), served by real processes. */
  store: TestStore;
  setup: Setup;
  benDb: string;
}

/** Sets up Ana and Ben with an in-process server, then leaves its store to real processes. */
async function prepare(): Promise<Prepared> {
  const srv = await startServer(tmp.dir);
  prepared = srv;
  const engines: SyncEngine[] = [];
  const stores: LocalStore[] = [];
  try {
    const setup = await setupWorld(srv, (url, token, name) => {
      const c = openClient(tmp.dir, url, token, name);
      engines.push(c.engine);
      stores.push(c.store);
      return c;
    });
    return { store: srv, setup, benDb: join(tmp.dir, 'ben.db') };
  } finally {
    for (const e of engines) await e.stop();
    for (const s of stores) s.close();
    // The server goes; its store stays (closed after the test).
    await srv.stop();
  }
}

async function serve(store: TestStore, env: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await spawnServeWith(store.cliArgs, env);
  servers.push(s);
  return s;
}

function cli(command: string, url: string, p: Prepared, extra: string[] = [], timeoutS = 20) {
  return runClient([command, '--server', url, `--token=${p.setup.traineeToken}`, '--db', p.benDb, '--timeout', String(timeoutS), ...extra], (timeoutS + 10) * 1000);
}

/** Live set_log rows, of one session or all, as the server holds them. */
async function setLogs(store: TestStore, sessionId?: string) {
  return (await store.rows('set_log')).filter((r) => !r.deleted && (sessionId === undefined || r.fields.sessionId === sessionId));
}

const ledgerCount = (store: TestStore, userId: string) => store.count('ledger', 'user_id = ?', userId);

async function versionsOf(store: TestStore, sessionId: string): Promise<Map<string, number>> {
  return new Map((await setLogs(store, sessionId)).map((r) => [r.id, r.version]));
}

async function assertEachSetOnce(store: TestStore, sessionId: string, count: number) {
  const logs = await setLogs(store, sessionId);
  assert.equal(logs.length, count, `the server holds ${logs.length} set_logs for the session, expected ${count}`);
  assert.deepEqual(
    logs.map((l) => l.fields.setIndex as number).sort((a, b) => a - b),
    Array.from({ length: count }, (_, i) => i),
  );
}

describe('the server is killed between commit and ack', () => {
  for (const { crashAfter, count } of [
    { crashAfter: 1, count: 20 },
    { crashAfter: 2, count: 1000 }, // 1001 ops: pushes of 500, 500 and 1; it dies after the second
  ]) {
    test(`kill -9 after ${crashAfter} committed push(es) of log-sets --count ${count}: restart, sync, nothing lost or doubled`, async () => {
      const p = await prepare();
      const traineeId = p.setup.world.traineeId;
      const exerciseId = p.setup.world.exerciseId;
      const sessionId = id();
      const ops = count + 1; // the session and its sets

      const crashing = await serve(p.store, { COACHDESK_CRASH_AFTER_COMMITS: String(crashAfter) });
      const first = await cli('sync', crashing.url, p);
      assert.equal(first.code, 0, first.stderr);
      const version0 = await p.store.version();
      const ledger0 = await ledgerCount(p.store, traineeId);

      const logged = await cli('log-sets', crashing.url, p, ['--session', sessionId, '--count', String(count), '--exercise', exerciseId], 3);
      assert.equal(logged.code, 3, `not synced in time: ${logged.stderr}`);
      assert.equal(logged.json?.logged, count);
      const exit = await within('the crashing server to die', 5000, crashing.exited);
      assert.equal(exit.signal, 'SIGKILL', 'the server killed itself');

      // What the server committed before dying is stored: at least the pushes it counted
      // (pushes that arrive together are committed together, so the third may be among them).
      const committed = await ledgerCount(p.store, traineeId) - ledger0;
      assert.ok(crashAfter === 1 ? committed === ops : committed === 1000 || committed === ops, `committed before the crash: ${committed}`);
      assert.equal(await p.store.version(), version0 + committed);
      const before = await versionsOf(p.store, sessionId);
      // And the client still holds every edit it has no ack for.
      const pendingAfterCrash = outboxCount(p.benDb);
      assert.equal(logged.json?.pending, pendingAfterCrash);
      // Acks of the pushes before the fatal one may have arrived; none after it did.
      const unacked = crashAfter === 1 ? ops : ops - 500;
      assert.ok(pendingAfterCrash >= unacked && pendingAfterCrash <= ops, `pending after the crash: ${pendingAfterCrash}`);

      // Restart on the same store (a new port) and sync again.
      const restarted = await serve(p.store);
      const again = await cli('sync', restarted.url, p);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(again.json, { pending: 0, acked: pendingAfterCrash, rejected: 0 });

      await assertEachSetOnce(p.store, sessionId, count);
      assert.equal(await p.store.version(), version0 + ops, 'nothing was applied twice');
      assert.equal(await ledgerCount(p.store, traineeId), ledger0 + ops);
      const afterSync = await versionsOf(p.store, sessionId);
      for (const [rowId, version] of before) assert.equal(afterSync.get(rowId), version, `set_log ${rowId} was not written again`);
      assert.equal(outboxCount(p.benDb), 0);

      const status = await runClient(['status', '--db', p.benDb], 15_000);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(status.json?.pending, 0);
      assert.equal(status.json?.failed, 0);
      assert.equal((status.json?.rows as Record<string, number>).set_log, count);
    });
  }
});

describe('the client CLI is killed in the middle of a drain', () => {
  test('kill -9 once some acks arrived, then sync: the server holds each set exactly once (3 rounds)', async () => {
    const p = await prepare();
    const traineeId = p.setup.world.traineeId;
    const exerciseId = p.setup.world.exerciseId;
    const server = await serve(p.store);
    const first = await cli('sync', server.url, p);
    assert.equal(first.code, 0, first.stderr);
    const version0 = await p.store.version();
    const ledger0 = await ledgerCount(p.store, traineeId);

    const COUNT = 1000; // set indexes run 0..999 (the protocol caps setIndex at 1000)
    const OPS = COUNT + 1;
    const ROUNDS = 3;
    const killedMidDrain: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const sessionId = id();
      const child = spawnTs('main/cli/client.ts', [
        'log-sets',
        '--server',
        server.url,
        `--token=${p.setup.traineeToken}`,
        '--db',
        p.benDb,
        '--timeout',
        '20',
        '--session',
        sessionId,
        '--count',
        String(COUNT),
        '--exercise',
        exerciseId,
      ]);
      // Watch the client's outbox; kill the client as soon as some (not all) acks are in.
      const watcher = new Database(p.benDb, { readonly: true, fileMustExist: true });
      let outbox = 0;
      try {
        const countOutbox = watcher.prepare(`SELECT COUNT(*) FROM outbox`).pluck();
        const start = Date.now();
        for (;;) {
          outbox = countOutbox.get() as number;
          if (outbox > 0 && outbox < OPS) break;
          if (child.proc.exitCode !== null) break; // it finished before we caught it
          if (Date.now() - start > 25_000) throw new Error(`round ${round}: the client neither drained nor finished: ${child.stderr()}`);
          await sleep(2);
        }
      } finally {
        watcher.close();
      }
      const exit = await within('the client to die', 5000, child.kill9());
      const left = outboxCount(p.benDb);
      if (exit.signal === 'SIGKILL' && left > 0) killedMidDrain.push(left);

      const resumed = await cli('sync', server.url, p);
      assert.equal(resumed.code, 0, `round ${round}: ${resumed.stderr}`);
      assert.equal(resumed.json?.pending, 0);
      assert.equal(resumed.json?.rejected, 0);
      assert.equal(resumed.json?.acked, left, `round ${round}: the resumed sync acked what was left`);

      await assertEachSetOnce(p.store, sessionId, COUNT);
      assert.equal(await p.store.version(), version0 + OPS * round, `round ${round}: nothing applied twice`);
      assert.equal(await ledgerCount(p.store, traineeId), ledger0 + OPS * round);
      assert.equal((await setLogs(p.store)).length, COUNT * round);
    }
    assert.ok(killedMidDrain.length > 0, 'at least one round killed the client in the middle of its drain');
  });
});

describe('the server is killed from outside under load, in a loop', () => {
  test('kill -9 of the server (and the client with it) mid-drain, restart, sync: each set exactly once (3 rounds or more)', async () => {
    const p = await prepare();
    const traineeId = p.setup.world.traineeId;
    const exerciseId = p.setup.world.exerciseId;
    let server = await serve(p.store);
    const first = await cli('sync', server.url, p);
    assert.equal(first.code, 0, first.stderr);
    const version0 = await p.store.version();
    const ledger0 = await ledgerCount(p.store, traineeId);

    const COUNT = 1000;
    const OPS = COUNT + 1;
    const killedMidDrain: number[] = [];
    // Three rounds, and more (up to eight) until one kill lands mid-drain: a fast server may
    // commit a whole drain between the look at its ledger and the kill.
    for (let round = 1; round <= 3 || (killedMidDrain.length === 0 && round <= 8); round++) {
      const sessionId = id();
      const child = spawnTs('main/cli/client.ts', [
        'log-sets', '--server', server.url, `--token=${p.setup.traineeToken}`, '--db', p.benDb, '--timeout', '20',
        '--session', sessionId, '--count', String(COUNT), '--exercise', exerciseId,
      ]);
      // Watch the server's ledger; kill the server as soon as it has committed some of the round's ops.
      let committed = 0;
      const start = Date.now();
      for (;;) {
        committed = (await ledgerCount(p.store, traineeId)) - ledger0 - OPS * (round - 1);
        if (committed > 0 && committed < OPS) break;
        if (child.proc.exitCode !== null || committed >= OPS) break;
        if (Date.now() - start > 25_000) throw new Error(`round ${round}: nothing committed: ${child.stderr()}`);
        await sleep(1);
      }
      await within('the server to die', 5000, server.kill9());
      await within('the client to die', 5000, child.kill9());
      const committedAtKill = await ledgerCount(p.store, traineeId) - ledger0 - OPS * (round - 1);
      if (committedAtKill > 0 && committedAtKill < OPS) killedMidDrain.push(committedAtKill);

      // Both come back: the server on the same store, the client from its own file.
      server = await serve(p.store);
      const resumed = await cli('sync', server.url, p);
      assert.equal(resumed.code, 0, `round ${round}: ${resumed.stderr}`);
      assert.equal(resumed.json?.pending, 0);
      assert.equal(resumed.json?.rejected, 0);

      await assertEachSetOnce(p.store, sessionId, COUNT);
      assert.equal(await p.store.version(), version0 + OPS * round, `round ${round}: nothing applied twice`);
      assert.equal(await ledgerCount(p.store, traineeId), ledger0 + OPS * round);
      assert.equal(outboxCount(p.benDb), 0);
    }
    assert.ok(killedMidDrain.length > 0, `at least one round killed the server in the middle of a drain (${killedMidDrain})`);
  });
});
