// A reader that stops reading is dropped once its unsent frames pass a bound, instead of being
// buffered without end; the others keep getting everything, and the dropped one loses nothing.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { openServerDb } from '../../server/db.ts';
import { SyncServer, type SyncServerOptions } from '../../server/sync-server.ts';
import { MemoryNetwork, type MemoryLink } from '../../sim/memory-network.ts';
import { sqliteOnly, startServer, tempDir, until, type TestServer } from '../helpers.ts';
import { WsPeer, coachWorld, makeOp, seedCoach, uuid, type ServedWorld } from './support.ts';

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
async function stalled(world: ServedWorld, clientId: string): Promise<{ peer: WsPeer; synced: number }> {
  const peer = await connect();
  await peer.hello(world.coachToken, clientId);
  const synced = peer.messages.filter((m) => m.type === 'synced').at(-1)!.version as number;
  peer.ws.pause();
  return { peer, synced };
}

function holdsAll(peer: WsPeer, ids: string[]): boolean {
  const seen = new Set(peer.messages.filter((m) => m.type === 'changes').flatMap((m) => (m.rows as Array<{ id: string }>).map((r) => r.id)));
  return ids.every((id) => seen.has(id));
}

/**
 * The coach's desk writes exercises, about 200 KB a push, one acked push at a time, until
 * `done()` (at most 40 MB, far more than loopback's socket buffers hold). `afterEach` runs
 * after each ack. Returns the ids written.
 */
async function flood(world: ServedWorld, done: () => boolean, afterEach: () => void = () => {}): Promise<string[]> {
  const desk = await connect();
  await desk.hello(world.coachToken, 'desk-2');
  const ids: string[] = [];
  for (let push = 0; push < 200 && !done(); push++) {
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
    const a = await coachWorld(ts!, 'Ana');
    const tablet = await stalled(a, 'stalled-tablet');
    const watcher = await connect();
    await watcher.hello(a.coachToken, 'watching-laptop');

    const dropped = () => logged.some((l) => /dropping a slow connection.*per connection/.test(l));
    const ids = await flood(a, dropped);
    assert.ok(dropped(), 'the stalled tablet was dropped');
    await until('the watcher to hold every row', () => holdsAll(watcher, ids), 10_000);

    // The tablet, reading again, finds itself disconnected, and catches up from its cursor.
    tablet.peer.ws.resume();
    await tablet.peer.waitClose(5000);
    const back = await connect();
    await back.hello(a.coachToken, 'stalled-tablet', tablet.synced);
    assert.ok(holdsAll(back, ids), 'nothing lost: the catch-up holds every row');
  });

  test('many slow readers under the bound each, over it together: the server drops the biggest until it holds no more than the total bound', async () => {
    const total = 1024 * 1024;
    await start({ maxBufferedBytes: 1024 * 1024 * 1024, maxBufferedTotalBytes: total });
    const a = await coachWorld(ts!, 'Ana');
    const tablets = await Promise.all([1, 2, 3, 4].map((n) => stalled(a, `stalled-tablet-${n}`)));
    const watcher = await connect();
    await watcher.hello(a.coachToken, 'watching-laptop');

    // After each push is answered, what the server holds unsent is within the bound plus that
    // one push's frames (about 250 KB a connection), never more.
    let most = 0;
    const totalDrops = () => logged.filter((l) => /dropping a slow connection.*total unsent over the limit/.test(l));
    const ids = await flood(a, () => totalDrops().length >= tablets.length, () => (most = Math.max(most, ts!.server.unsentBytes)));
    assert.ok(most <= total + 6 * 300 * 1024, `the server held ${most} bytes unsent`);
    const drops = totalDrops();
    assert.equal(drops.length, tablets.length, `every stalled tablet dropped: ${drops.join('\n')}`);
    assert.ok(!logged.some((l) => /per connection/.test(l)), 'no drop came from the bound per connection');

    await until('the watcher to hold every row', () => holdsAll(watcher, ids), 10_000);
    const back = await connect();
    await back.hello(a.coachToken, 'stalled-tablet-1', tablets[0]!.synced);
    assert.ok(holdsAll(back, ids), 'nothing lost: the catch-up holds every row');
  });

  test('a big catch-up to a reader that pauses is paced by bytes: a live change meanwhile does not get it dropped by either bound, and it ends with every row', async () => {
    await start({ maxBufferedBytes: 256 * 1024, maxBufferedTotalBytes: 512 * 1024 });
    const a = await coachWorld(ts!, 'Ana');
    // 2,000 exercises with 9 KB notes: 18 MB of catch-up in frames of about 4.5 MB, each far over the bound.
    const ids: string[] = [];
    for (let batch = 0; batch < 4; batch++) {
      await a.desk.pushApplied(
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
    // A frame is more than the socket buffers take, so the first one stays partly unsent.
    await until('a catch-up frame to be stuck', () => ts!.server.unsentBytes > 0, 10_000);
    let most = ts!.server.unsentBytes;

    // Two live changes: the bound per connection is checked before the first one's frames to
    // the laptop, the bound on the total before the second push is answered.
    const desk = await connect();
    await desk.hello(a.coachToken, 'desk-live');
    const liveIds = [uuid(), uuid()];
    for (const [i, id] of liveIds.entries()) {
      const from = desk.messages.length;
      desk.send({ type: 'push', ops: [makeOp({ seq: i + 1, entity: 'exercise', id, action: 'put', fields: { coachId: a.coach.id, name: `Pause squat ${i}` } })] });
      await desk.waitFor('the live push acked', (m) => m.type === 'ack', from);
      most = Math.max(most, ts!.server.unsentBytes);
    }
    assert.deepEqual(logged.filter((l) => /dropping/.test(l)), []);

    laptop.ws.resume();
    await laptop.waitFor('the catch-up to end', (m) => m.type === 'synced', 0, 20_000);
    assert.equal(laptop.closed, undefined);
    assert.ok(holdsAll(laptop, [...ids, ...liveIds]), 'every row, the live ones too');
    // Paced by bytes: while the laptop did not read, the server held at most one catch-up frame
    // (a new one goes only while those in flight hold under a quarter of the bound), not four.
    const frame = Math.max(...laptop.messages.filter((m) => m.type === 'changes').map((m) => Buffer.byteLength(JSON.stringify(m))));
    assert.ok(most <= frame + 64 * 1024 + 16 * 1024, `the server held ${most} bytes unsent; a catch-up frame is ${frame}`);
  });

  test('frames of a catch-up still unsent when it ends are not counted either: live changes then do not get the reader dropped', { skip: sqliteOnly("the server's internals over an in-memory network, on a SQLite store made in the test") }, async () => {
    // In memory, so that the laptop's frames are held exactly while its catch-up completes.
    const db = openServerDb(`${tmp.dir}/memory.db`);
    const server = new SyncServer({ db, log: (line) => logged.push(line), catchUpChunk: 20, maxBufferedBytes: 4 * 1024 * 1024, maxBufferedTotalBytes: 400 * 1024 });
    try {
      const a = seedCoach(db, server.store, 'Ana');
      // 200 exercises with 9 KB notes: 10 catch-up frames of about 180 KB.
      for (let batch = 0; batch < 2; batch++) {
        a.desk.pushApplied(Array.from({ length: 100 }, (_, i) => a.desk.op('exercise', uuid(), 'put', { coachId: a.coach.id, name: `E${batch}.${i}`, notes: 'n'.repeat(9000) })));
      }
      const steps: Array<{ step: () => void; link?: MemoryLink }> = [];
      let held: MemoryLink | undefined;
      const network = new MemoryNetwork(() => server, (step, link) => steps.push({ step, link }));
      /** Runs every step not on the held link, `ticks` times over, letting server callbacks run between them. */
      const run = async (ticks = 50) => {
        for (let n = 0; n < ticks; n++) {
          const i = steps.findIndex((s) => !held || s.link !== held);
          if (i >= 0) steps.splice(i, 1)[0]!.step();
          await new Promise((r) => setImmediate(r));
        }
      };
      const frames = (socket: ReturnType<MemoryNetwork['connect']>) => {
        const got: Array<{ type: string; rows?: Array<{ id: string }> }> = [];
        (socket as unknown as EventEmitter).on('message', (data: Buffer) => got.push(JSON.parse(data.toString())));
        return got;
      };

      const laptop = network.connect('memory');
      const atLaptop = frames(laptop);
      await run();
      laptop.send(JSON.stringify({ type: 'hello', protocol: 1, token: a.coachToken, clientId: 'laptop', lastVersion: 0 }));
      held = network.links[0];
      // The laptop's link carries one step at a time until the server has read the whole catch-up.
      const peer = () => [...(server as unknown as { peers: Set<{ user?: unknown; catchUp?: unknown }> }).peers][0]!;
      for (let n = 0; n < 200 && !(n > 2 && peer().user && !peer().catchUp); n++) {
        const i = steps.findIndex((s) => s.link === held);
        if (i >= 0) steps.splice(i, 1)[0]!.step();
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(peer().catchUp, undefined, 'the catch-up was all handed over');
      assert.ok(server.unsentBytes > 400 * 1024, `its tail is still unsent (${server.unsentBytes} bytes), over the total bound`);
      assert.ok(!atLaptop.some((m) => m.type === 'synced'));

      const desk = network.connect('memory');
      const atDesk = frames(desk);
      await run();
      desk.send(JSON.stringify({ type: 'hello', protocol: 1, token: a.coachToken, clientId: 'desk-live', lastVersion: server.store.currentVersion }));
      await run();
      const liveIds = [uuid(), uuid()];
      for (const [i, id] of liveIds.entries()) {
        desk.send(JSON.stringify({ type: 'push', ops: [makeOp({ seq: i + 1, entity: 'exercise', id, action: 'put', fields: { coachId: a.coach.id, name: `Live ${i}` } })] }));
        await run();
      }
      assert.equal(atDesk.filter((m) => m.type === 'ack').length, 2);
      assert.deepEqual(logged.filter((l) => /dropping/.test(l)), []);

      held = undefined;
      await run(400);
      const ids = new Set(atLaptop.flatMap((m) => (m.type === 'changes' ? m.rows!.map((r) => r.id) : [])));
      assert.ok(atLaptop.some((m) => m.type === 'synced'), 'the laptop got its synced');
      assert.ok(liveIds.every((id) => ids.has(id)), 'and the live changes');
    } finally {
      await server.close();
      db.close();
    }
  });
});

