// Reconnecting after the server went away: a real sync server on 127.0.0.1 closed and started
// again on the same port, and a plain TCP listener that counts connection attempts.
//
// The one timing bound here is the feature itself: with the default backoff, a server that comes
// back within the quick window (5 min) is found again within the quick ceiling (2 s), plus a
// generous margin. The other checks are lower bounds on delays (timers never fire early) or
// states reached within bounded waits.
import assert from 'node:assert/strict';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import { openLocalStore } from '../sync-db.ts';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalStore } from '../../sync/local-store.ts';
import { SyncEngine, type Connection } from '../../sync/sync-engine.ts';
import { serverRow } from '../e2e/support.ts';
import { id, startServer, tempDir, until } from '../helpers.ts';

let tmp: ReturnType<typeof tempDir>;
const cleanups: Array<() => Promise<void> | void> = [];

before(() => {
  tmp = tempDir('coachdesk-reconnect-');
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  tmp.cleanup();
});

/** The engine's defaults, as documented in sync-engine.ts. */
const QUICK_MS = 2000;
const MARGIN_MS = 1500;

/** A sync server on a fixed port that can be closed and started again on it, with a coach. */
async function restartableServer() {
  const srv = await startServer(tmp.dir);
  cleanups.push(() => srv.close());
  return Object.assign(srv, { coach: srv.addCoach('Ana') });
}

/** An engine on its own database; counts the connection attempts it makes (each one passes through `connecting`). */
function engineFor(url: string, token: string, options: Partial<ConstructorParameters<typeof SyncEngine>[0]> = {}) {
  const store = openLocalStore(join(tmp.dir, `client-${id().slice(0, 8)}.db`));
  const engine = new SyncEngine({ connect: openWebSocket,  store, url, token, ...options });
  const seen = { attempts: 0, states: [] as Connection[] };
  let last: Connection = 'offline';
  engine.on('state', (s: { connection: Connection }) => {
    if (s.connection === last) return;
    last = s.connection;
    seen.states.push(s.connection);
    if (s.connection === 'connecting') seen.attempts++;
  });
  cleanups.push(async () => {
    await engine.stop();
    store.close();
  });
  return { store, engine, seen };
}

/** A loopback TCP listener that accepts and drops every connection, noting when each arrived. */
async function droppingListener() {
  const arrivals: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    arrivals.push(performance.now());
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { url: `ws://127.0.0.1:${port}/sync`, arrivals };
}

const gapsOf = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('reconnect backoff', () => {
  test('default backoff: a server back within the quick window is found again within quickMs, in a few attempts, after many failed ones', async (t) => {
    const srv = await restartableServer();
    const { engine, store, seen } = engineFor(srv.url, srv.coach.token); // no backoff options: the defaults
    engine.start();
    await until('the first sync', () => engine.getState().connection === 'synced');
    assert.equal(seen.attempts, 1);

    await srv.stop();
    await until('the engine to see the server gone', () => engine.getState().connection !== 'synced');
    // An edit made while the server is away.
    const exerciseId = id();
    engine.enqueue({ entity: 'exercise', id: exerciseId, action: 'put', fields: { coachId: srv.coach.userId, name: 'Made offline' } });

    // Six failed attempts: the doubling from 250 ms has reached its ceiling by now (without the
    // quick ceiling the next delay would be 8–16 s).
    await until('six failed attempts', () => seen.attempts >= 7, 20_000);
    assert.notEqual(engine.getState().connection, 'synced');
    assert.equal(engine.getState().error?.code, 'unreachable');

    await srv.restart();
    const back = performance.now();
    const attemptsBefore = seen.attempts;
    await until('the engine to sync again', () => engine.getState().connection === 'synced' && store.pendingCount === 0, 20_000);
    const took = performance.now() - back;
    const attemptsAfter = seen.attempts - attemptsBefore;
    t.diagnostic(`synced ${Math.round(took)} ms after the server came back, ${attemptsAfter} attempt(s)`);
    assert.ok(took <= QUICK_MS + MARGIN_MS, `synced ${Math.round(took)} ms after the server came back (quick ceiling ${QUICK_MS} ms + ${MARGIN_MS} ms margin)`);
    assert.ok(attemptsAfter >= 1 && attemptsAfter <= 2, `${attemptsAfter} attempts after the server came back`);
    assert.equal(serverRow(srv.file, 'exercise', exerciseId)?.fields.name, 'Made offline', 'the offline edit reached the server');
    assert.equal(engine.getState().error, null);
  });

  test('quickWindowMs 0: the delays grow past quickMs toward maxMs (seen as gaps between connection attempts)', async (t) => {
    const listener = await droppingListener();
    const backoff = { baseMs: 100, maxMs: 10_000, quickMs: 200 };
    const slow = engineFor(listener.url, 'cdt_whatever', { backoff: { ...backoff, quickWindowMs: 0 } });
    slow.engine.start();
    await until('six connection attempts', () => listener.arrivals.length >= 6, 20_000);
    await slow.engine.stop();
    const gaps = gapsOf(listener.arrivals.slice(0, 6));
    // Equal jitter: attempt n waits at least half of min(maxMs, baseMs·2ⁿ): 50, 100, 200, 400, 800 ms.
    t.diagnostic(`gaps: ${gaps.map(Math.round).join(', ')} ms`);
    const floors = [50, 100, 200, 400, 800];
    gaps.forEach((gap, i) => assert.ok(gap >= floors[i]! - 15, `gap ${i + 1} is ${Math.round(gap)} ms, at least ${floors[i]} ms expected (${gaps.map(Math.round).join(', ')})`));
    assert.ok(gaps[4]! > 3 * backoff.quickMs, `the fifth delay (${Math.round(gaps[4]!)} ms) is well past quickMs (${backoff.quickMs} ms)`);
    assert.equal(slow.seen.attempts, 6, 'the engine counted the same attempts the listener saw');
  });

  test('within the quick window the same backoff stays at quickMs (the control for the test above)', async (t) => {
    const listener = await droppingListener();
    const quick = engineFor(listener.url, 'cdt_whatever', { backoff: { baseMs: 100, maxMs: 10_000, quickMs: 200 } });
    quick.engine.start();
    await until('eight connection attempts', () => listener.arrivals.length >= 8, 20_000);
    await quick.engine.stop();
    const gaps = gapsOf(listener.arrivals.slice(0, 8));
    t.diagnostic(`gaps: ${gaps.map(Math.round).join(', ')} ms`);
    // Past the third attempt the ceiling would be 800, 1600, 3200, 6400 ms without the quick window.
    assert.ok(
      gaps.every((gap) => gap <= 200 + MARGIN_MS),
      `every delay at most quickMs (200 ms) + ${MARGIN_MS} ms margin: ${gaps.map(Math.round).join(', ')}`,
    );
    assert.ok(gaps.slice(2).every((gap) => gap >= 100 - 15), `from the third on, at least half the ceiling: ${gaps.map(Math.round).join(', ')}`);
  });

  test('syncNow() connects at once while a retry is scheduled far off', async () => {
    const srv = await restartableServer();
    await srv.stop();
    // Every retry would wait 30–60 s.
    const { engine, store, seen } = engineFor(srv.url, srv.coach.token, { backoff: { baseMs: 60_000, maxMs: 60_000, quickMs: 60_000 } });
    const exerciseId = id();
    engine.enqueue({ entity: 'exercise', id: exerciseId, action: 'put', fields: { coachId: srv.coach.userId, name: 'Queued before the first sync' } });
    engine.start();
    await until('the first attempt to fail', () => seen.attempts === 1 && engine.getState().connection === 'offline' && engine.getState().error?.code === 'unreachable');

    await srv.restart();
    engine.syncNow();
    await until('the engine to sync', () => engine.getState().connection === 'synced' && store.pendingCount === 0, 10_000);
    assert.equal(seen.attempts, 2, 'one attempt: the one syncNow made');
    assert.equal(serverRow(srv.file, 'exercise', exerciseId)?.fields.name, 'Queued before the first sync');

    // On a live connection syncNow sends what is queued, without a new connection.
    const second = id();
    store.enqueue({ entity: 'exercise', id: second, action: 'put', fields: { coachId: srv.coach.userId, name: 'Sent by syncNow' } });
    engine.syncNow();
    await until('the second edit to be acked', () => store.pendingCount === 0, 10_000);
    assert.equal(seen.attempts, 2, 'no new connection');
    assert.equal(serverRow(srv.file, 'exercise', second)?.fields.name, 'Sent by syncNow');
  });

  test('syncNow() after the server dropped the connection reconnects at once, and resets the backoff', async () => {
    const srv = await restartableServer();
    const { engine, seen } = engineFor(srv.url, srv.coach.token, { backoff: { baseMs: 60_000, maxMs: 60_000, quickMs: 60_000 } });
    engine.start();
    await until('the first sync', () => engine.getState().connection === 'synced');
    await srv.stop();
    await until('the engine to see the server gone', () => engine.getState().connection === 'offline');
    await srv.restart();
    engine.syncNow();
    await until('the engine to sync again', () => engine.getState().connection === 'synced', 10_000);
    assert.equal(seen.attempts, 2);
  });
});

describe('a quiet connection', () => {
  test('is probed halfway through the idle timeout, and stays up while the server answers', async () => {
    const dir = tempDir('coachdesk-idle-');
    // No pings within the test: only the engine's own probes keep the connection known alive.
    const srv = await startServer(dir.dir, { pingIntervalMs: 60_000 });
    try {
      const coach = srv.addCoach('Quiet');
      const store = openLocalStore(join(dir.dir, 'quiet.db'));
      const sent: string[] = [];
      let opened = 0;
      const engine = new SyncEngine({
        store,
        url: srv.url,
        token: coach.token,
        idleTimeoutMs: 400,
        connect: (url) => {
          opened++;
          const ws = openWebSocket(url);
          const send = ws.send.bind(ws);
          ws.send = (data: string) => {
            sent.push(JSON.parse(data).type);
            send(data);
          };
          return ws;
        },
      });
      engine.start();
      await until('synced', () => engine.getState().connection === 'synced');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(opened, 1, 'never reconnected: the probes were answered');
      assert.ok(sent.filter((t) => t === 'pull').length >= 3, `probes sent: ${sent.join(', ')}`);
      assert.equal(engine.getState().connection, 'synced');
      await engine.stop();
      store.close();
    } finally {
      await srv.close();
      dir.cleanup();
    }
  });
});
