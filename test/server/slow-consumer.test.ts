// A reader that stops reading is dropped once its unsent frames pass a bound, instead of being
// buffered without end; the others keep getting everything, and the dropped one loses nothing.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { startServer, tempDir, until, type TestServer } from '../helpers.ts';
import { StoreClient, WsPeer, makeOp, seedCoach, uuid } from './support.ts';

let tmp: { dir: string; cleanup: () => void };
let ts: TestServer;
let peers: WsPeer[] = [];
const logged: string[] = [];

beforeEach(async () => {
  tmp = tempDir('coachdesk-slow-');
  peers = [];
  logged.length = 0;
  ts = await startServer(tmp.dir, { maxBufferedBytes: 256 * 1024, log: (line) => logged.push(line) });
});

afterEach(async () => {
  for (const p of peers) p.close();
  await ts.close();
  tmp.cleanup();
});

async function connect(): Promise<WsPeer> {
  const peer = await WsPeer.connect(ts.url);
  peers.push(peer);
  return peer;
}

describe('a slow consumer', () => {
  test('is dropped past the bound while the others get every change; on reconnect it catches up all of it', async () => {
    const a = seedCoach(ts.db, ts.server.store, 'Ana');
    const stalled = await connect();
    const welcome = await stalled.hello(a.coachToken, 'stalled-tablet');
    const synced = stalled.messages.filter((m) => m.type === 'synced').at(-1)!.version as number;
    const watcher = await connect();
    await watcher.hello(a.coachToken, 'watching-laptop');
    // The tablet stops reading: its socket is paused, so frames pile up on the server's side.
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    // The coach's desk writes about 12 MB of exercises, more than loopback's socket buffers hold.
    const desk = new StoreClient(ts.server.store, a.coach, 'desk-2');
    const deskPeer = await connect();
    await deskPeer.hello(a.coachToken, desk.clientId);
    const ids: string[] = [];
    for (let push = 0; push < 60; push++) {
      const ops = Array.from({ length: 200 }, (_, i) => {
        const id = uuid();
        ids.push(id);
        return makeOp({ seq: push * 200 + i + 1, entity: 'exercise', id, action: 'put', fields: { coachId: a.coach.id, name: `E${push}.${i}`, notes: 'n'.repeat(1000) } });
      });
      const from = deskPeer.messages.length;
      deskPeer.send({ type: 'push', ops });
      await deskPeer.waitFor('the push acked', (m) => m.type === 'ack' && m.seq === push * 200 + 200, from, 10_000);
    }
    await until('the stalled tablet to be dropped', () => logged.some((l) => /dropping a slow connection/.test(l)), 10_000);

    // The watcher got every row.
    await until('the watcher to hold every row', () => {
      const seen = new Set(watcher.messages.filter((m) => m.type === 'changes').flatMap((m) => (m.rows as Array<{ id: string }>).map((r) => r.id)));
      return ids.every((id) => seen.has(id));
    }, 10_000);

    // The tablet, reading again, finds itself disconnected, and catches up from its cursor.
    (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await stalled.waitClose(5000);
    const back = await connect();
    const rewelcome = await back.hello(a.coachToken, 'stalled-tablet', synced);
    assert.equal(rewelcome.userId, welcome.userId);
    const caught = new Set(back.messages.filter((m) => m.type === 'changes').flatMap((m) => (m.rows as Array<{ id: string }>).map((r) => r.id)));
    assert.ok(ids.every((id) => caught.has(id)), 'nothing lost: the catch-up holds every row');
  });
});
