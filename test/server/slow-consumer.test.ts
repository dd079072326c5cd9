// A reader that stops reading is dropped once its unsent frames pass a bound, instead of being
// buffered without end; the others keep getting everything, and the dropped one loses nothing.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { SyncServerOptions } from '../../server/sync-server.ts';
import { startServer, tempDir, until, type TestServer } from '../helpers.ts';
import { WsPeer, makeOp, seedCoach, uuid, type CoachWorld } from './support.ts';

let tmp: { dir: string; cleanup: () => void };
let ts: TestServer | undefined;
let peers: WsPeer[] = [];
const logged: string[] = [];

beforeEach(() => {
  tmp = tempDir('coachdesk-slow-');
  peers = [];
  logged.length = 0;
});

afterEach(async () => {
  for (const p of peers) p.close();
  await ts?.close();
  ts = undefined;
  tmp.cleanup();
});

async function start(options: Partial<SyncServerOptions>): Promise<TestServer> {
  ts = await startServer(tmp.dir, { ...options, log: (line) => logged.push(line) });
  return ts;
}

async function connect(): Promise<WsPeer> {
  const peer = await WsPeer.connect(ts!.url);
  peers.push(peer);
  return peer;
}

/** A connection of the coach that says hello, then stops reading: frames pile up on the server's side. */
async function stalled(world: CoachWorld, clientId: string): Promise<{ peer: WsPeer; synced: number }> {
  const peer = await connect();
  await peer.hello(world.coachToken, clientId);
  const synced = peer.messages.filter((m) => m.type === 'synced').at(-1)!.version as number;
  (peer.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  return { peer, synced };
}

function holdsAll(peer: WsPeer, ids: string[]): boolean {
  const seen = new Set(peer.messages.filter((m) => m.type === 'changes').flatMap((m) => (m.rows as Array<{ id: string }>).map((r) => r.id)));
  return ids.every((id) => seen.has(id));
}

/**
 * The coach's desk writes about 12 MB of exercises, more than loopback's socket buffers hold,
 * one acked push at a time; `afterEach` runs after each ack. Returns the ids written.
 */
async function flood(world: CoachWorld, afterEach: () => void = () => {}): Promise<string[]> {
  const desk = await connect();
  await desk.hello(world.coachToken, 'desk-2');
  const ids: string[] = [];
  for (let push = 0; push < 60; push++) {
    const ops = Array.from({ length: 200 }, (_, i) => {
      const id = uuid();
      ids.push(id);
      return makeOp({ seq: push * 200 + i + 1, entity: 'exercise', id, action: 'put', fields: { coachId: world.coach.id, name: `E${push}.${i}`, notes: 'n'.repeat(1000) } });
    });
    const from = desk.messages.length;
    desk.send({ type: 'push', ops });
    await desk.waitFor('the push acked', (m) => m.type === 'ack' && m.seq === push * 200 + 200, from, 10_000);
    afterEach();
  }
  return ids;
}

describe('a slow consumer', () => {
  test('is dropped past the bound while the others get every change; on reconnect it catches up all of it', async () => {
    await start({ maxBufferedBytes: 256 * 1024 });
    const a = seedCoach(ts!.db, ts!.server.store, 'Ana');
    const tablet = await stalled(a, 'stalled-tablet');
    const watcher = await connect();
    await watcher.hello(a.coachToken, 'watching-laptop');

    const ids = await flood(a);
    await until('the stalled tablet to be dropped', () => logged.some((l) => /dropping a slow connection.*per connection/.test(l)), 10_000);
    await until('the watcher to hold every row', () => holdsAll(watcher, ids), 10_000);

    // The tablet, reading again, finds itself disconnected, and catches up from its cursor.
    (tablet.peer.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await tablet.peer.waitClose(5000);
    const back = await connect();
    await back.hello(a.coachToken, 'stalled-tablet', tablet.synced);
    assert.ok(holdsAll(back, ids), 'nothing lost: the catch-up holds every row');
  });

  test('many slow readers under the bound each, over it together: the server drops the biggest until it holds no more than the total bound', async () => {
    const total = 1024 * 1024;
    await start({ maxBufferedBytes: 1024 * 1024 * 1024, maxBufferedTotalBytes: total });
    const a = seedCoach(ts!.db, ts!.server.store, 'Ana');
    const tablets = await Promise.all([1, 2, 3, 4].map((n) => stalled(a, `stalled-tablet-${n}`)));
    const watcher = await connect();
    await watcher.hello(a.coachToken, 'watching-laptop');

    // After each push is answered, what the server holds unsent is within the bound plus that
    // one push's frames (about 250 KB a connection), never more.
    let most = 0;
    const ids = await flood(a, () => (most = Math.max(most, ts!.server.unsentBytes)));
    assert.ok(most <= total + 6 * 300 * 1024, `the server held ${most} bytes unsent`);
    const drops = logged.filter((l) => /dropping a slow connection.*total unsent over the limit/.test(l));
    assert.equal(drops.length, tablets.length, `every stalled tablet dropped: ${drops.join('\n')}`);
    assert.ok(!logged.some((l) => /per connection/.test(l)), 'no drop came from the bound per connection');

    await until('the watcher to hold every row', () => holdsAll(watcher, ids), 10_000);
    const back = await connect();
    await back.hello(a.coachToken, 'stalled-tablet-1', tablets[0]!.synced);
    assert.ok(holdsAll(back, ids), 'nothing lost: the catch-up holds every row');
  });

  test('a big catch-up to a reader that pauses is paced by bytes: a live change meanwhile does not get it dropped by either bound, and it ends with every row', async () => {
    await start({ maxBufferedBytes: 256 * 1024, maxBufferedTotalBytes: 512 * 1024 });
    const a = seedCoach(ts!.db, ts!.server.store, 'Ana');
    // 2,000 exercises with 9 KB notes: 18 MB of catch-up in frames of about 4.5 MB, each far over the bound.
    const ids: string[] = [];
    for (let batch = 0; batch < 4; batch++) {
      a.desk.pushApplied(
        Array.from({ length: 500 }, (_, i) => {
          const id = uuid();
          ids.push(id);
          return a.desk.op('exercise', id, 'put', { coachId: a.coach.id, name: `E${batch}.${i}`, notes: 'n'.repeat(9000) });
        }),
      );
    }
    const laptop = await connect();
    laptop.send({ type: 'hello', protocol: 1, token: a.coachToken, clientId: 'laptop-on-a-slow-link', lastVersion: 0 });
    laptop.ws.pause();
    await new Promise((r) => setTimeout(r, 300));

    const desk = await connect();
    await desk.hello(a.coachToken, 'desk-live');
    const liveId = uuid();
    desk.send({ type: 'push', ops: [makeOp({ seq: 1, entity: 'exercise', id: liveId, action: 'put', fields: { coachId: a.coach.id, name: 'Pause squat' } })] });
    await desk.waitFor('the live push acked', (m) => m.type === 'ack');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(logged.filter((l) => /dropping/.test(l)), []);

    laptop.ws.resume();
    await laptop.waitFor('the catch-up to end', (m) => m.type === 'synced', 0, 20_000);
    assert.equal(laptop.closed, undefined);
    assert.ok(holdsAll(laptop, [...ids, liveId]), 'every row, the live one too');
  });
});
