// /healthz, /readyz and /metrics of the sync server: readiness says why not in one line, and the
// metrics move with real pushes over a real WebSocket.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openServerDb } from '../../server/db.ts';
import { SyncServer } from '../../server/sync-server.ts';
import { sqliteOnly, startServer, tempDir, until, type TestServer } from '../helpers.ts';
import { HandSocket, WsPeer, makeOp, traineeOf, uuid, type Msg } from './support.ts';

const T = { timeout: 30_000 };
let tmp: { dir: string; cleanup: () => void };
let ts: TestServer | undefined;
let peers: WsPeer[] = [];

before(() => (tmp = tempDir('coachdesk-ops-metrics-')));
after(() => tmp.cleanup());
afterEach(async () => {
  for (const p of peers) p.close();
  peers = [];
  await ts?.close();
  ts = undefined;
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** /metrics as a map from `name{labels}` (as written) to its value. */
async function scrape(port: number): Promise<Map<string, number>> {
  const res = await get(port, '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.type, /^text\/plain; version=0\.0\.4/);
  const values = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

async function connect(url: string): Promise<WsPeer> {
  const peer = await WsPeer.connect(url);
  peers.push(peer);
  return peer;
}

/** Sends a push and waits for its last ack (or error); returns what came back. */
async function push(peer: WsPeer, ops: unknown[]): Promise<Msg[]> {
  const from = peer.messages.length;
  peer.send({ type: 'push', ops });
  const last = ops.length - 1;
  const seq = (ops[last] as { seq: number }).seq;
  const at = await peer.waitFor('the push answered', (m) => (m.type === 'ack' && m.seq === seq) || m.type === 'error', from);
  return peer.messages.slice(from, at + 1);
}

describe('health and readiness', () => {
  test('/healthz answers ok; /readyz is ready, then names why not: a schema changed under it, a store that does not answer', { ...T, skip: sqliteOnly("changes the SQLite file's user_version from another connection and closes the server's connection") }, async () => {
    const file = join(tmp.dir, 'ready.db');
    const db = openServerDb(file);
    const server = new SyncServer({ db, port: 0, logger: { level: 'silent' }, revocationCheckMs: 20 });
    const port = Number(new URL(await server.listen()).port);
    try {
      assert.deepEqual(await get(port, '/healthz'), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
      assert.equal((await get(port, '/readyz')).body, 'ready\n');
      assert.equal((await get(port, '/readyz')).status, 200);
      assert.equal((await get(port, '/readyz', 'HEAD')).status, 200);
      assert.equal((await get(port, '/readyz', 'POST')).status, 405);
      assert.equal((await get(port, '/metrics', 'POST')).status, 405);

      // Another process migrated the file to a schema this server does not know.
      const other = new Database(file);
      const schema = other.pragma('user_version', { simple: true }) as number;
      other.pragma(`user_version = ${schema + 1}`);
      const moved = await get(port, '/readyz');
      assert.equal(moved.status, 503);
      assert.equal(moved.body, `the database schema is ${schema + 1}, this server runs schema ${schema}\n`);
      other.pragma(`user_version = ${schema}`);
      other.close();
      assert.equal((await get(port, '/readyz')).status, 200);

      // The store gone: not ready, in one line, while the process is still up (and its timers do not crash it).
      db.close();
      const gone = await get(port, '/readyz');
      assert.equal(gone.status, 503);
      assert.match(gone.body, /^the store does not answer: .*not open\n$/);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal((await get(port, '/healthz')).status, 200);
      const metrics = await scrape(port);
      assert.ok(metrics.get('coachdesk_sync_store_errors_total{operation="revocation_check"}')! >= 1, 'the failing revocation check was counted');
    } finally {
      await server.close();
    }
  });
});

describe('metrics', () => {
  test('pushes over a WebSocket move the counters by status and outcome, the latency histogram and the connections by role', T, async () => {
    ts = await startServer(tmp.dir, { logger: { level: 'silent' } });
    const { port } = ts;
    const before = await scrape(port);
    for (const status of ['applied', 'partial', 'superseded', 'rejected']) assert.equal(before.get(`coachdesk_sync_acked_ops_total{status="${status}"}`), 0);
    assert.equal(before.get('coachdesk_sync_push_ack_seconds_count'), 0);

    const coach = await ts.newCoach();
    const desk = await connect(ts.url);
    await until('the connection counted', () => ts!.server.connectionCount === 1);
    assert.equal((await scrape(port)).get('coachdesk_sync_connections{role="pending"}'), 1);
    await desk.hello(coach.token, 'desk');
    const laptop = await connect(ts.url);
    await laptop.hello(coach.token, 'laptop');

    const traineeId = uuid();
    const exercise = uuid();
    const created = await push(desk, [
      makeOp({ seq: 1, entity: 'trainee', id: traineeId, action: 'put', fields: { coachId: coach.userId, name: 'Ben' } }),
      makeOp({ seq: 2, entity: 'exercise', id: exercise, action: 'put', fields: { coachId: coach.userId, name: 'Squat', notes: 'low bar' } }),
      makeOp({ seq: 3, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: coach.userId, name: 'Bench', sets: 3 } }),
    ]);
    assert.deepEqual(created.filter((m) => m.type === 'ack').map((m) => m.status), ['applied', 'applied', 'rejected']);
    const base = created.find((m) => m.type === 'ack' && m.seq === 2)!.version as number;
    // The laptop renames the exercise; the desk's older edits of the same version lose the name.
    assert.equal((await push(laptop, [makeOp({ seq: 1, entity: 'exercise', id: exercise, action: 'patch', fields: { name: 'Back squat' }, baseVersion: base })]))[1]!.status, 'applied');
    const past = new Date(Date.now() - 60_000).toISOString();
    const lost = await push(desk, [
      makeOp({ seq: 4, entity: 'exercise', id: exercise, action: 'patch', fields: { name: 'Front squat', notes: 'high bar' }, baseVersion: base, at: past }),
      makeOp({ seq: 5, entity: 'exercise', id: exercise, action: 'patch', fields: { name: 'Box squat' }, baseVersion: base, at: past }),
    ]);
    assert.deepEqual(lost.filter((m) => m.type === 'ack').map((m) => m.status), ['partial', 'superseded']);
    const gap = await push(desk, [makeOp({ seq: 9, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: coach.userId, name: 'Row' } })]);
    assert.equal(gap.at(-1)!.code, 'out_of_order');

    const phone = await connect(ts.url);
    await phone.hello((await traineeOf(ts, traineeId)).token, 'phone');

    const m = await scrape(port);
    assert.equal(m.get('coachdesk_sync_acked_ops_total{status="applied"}'), 3);
    assert.equal(m.get('coachdesk_sync_acked_ops_total{status="partial"}'), 1);
    assert.equal(m.get('coachdesk_sync_acked_ops_total{status="superseded"}'), 1);
    assert.equal(m.get('coachdesk_sync_acked_ops_total{status="rejected"}'), 1);
    assert.equal(m.get('coachdesk_sync_pushes_total{outcome="acked"}'), 3);
    assert.equal(m.get('coachdesk_sync_pushes_total{outcome="out_of_order"}'), 1);
    assert.equal(m.get('coachdesk_sync_pushes_total{outcome="unavailable"}'), 0);
    assert.equal(m.get('coachdesk_sync_push_ack_seconds_count'), 4, 'one latency per push frame answered');
    assert.ok(m.get('coachdesk_sync_push_ack_seconds_sum')! > 0);
    assert.equal(m.get('coachdesk_sync_push_ack_seconds_bucket{le="+Inf"}'), 4);
    assert.equal(m.get('coachdesk_sync_connections{role="coach"}'), 2);
    assert.equal(m.get('coachdesk_sync_connections{role="trainee"}'), 1);
    assert.equal(m.get('coachdesk_sync_connections{role="pending"}'), 0);
    assert.equal(m.get('coachdesk_sync_catch_ups_in_flight'), 0);
    assert.equal(m.get('coachdesk_sync_unsent_bytes'), 0);
    assert.equal(m.get('coachdesk_sync_store_errors_total{operation="push"}'), 0);

    laptop.close();
    phone.close();
    await until('two connections gone', () => ts!.server.connectionCount === 1);
    const later = await scrape(port);
    assert.equal(later.get('coachdesk_sync_connections{role="coach"}'), 1);
    assert.equal(later.get('coachdesk_sync_connections{role="trainee"}'), 0);
  });

  test('a catch-up in flight and the unsent bytes are gauged; slow readers dropped are counted by the bound that dropped them', T, async () => {
    // One row a catch-up frame: a catch-up of more than four rows waits for its frames to be written.
    ts = await startServer(tmp.dir, { logger: { level: 'silent' }, catchUpChunk: 1, maxBufferedBytes: 1024 * 1024, maxBufferedTotalBytes: 1536 * 1024 });
    const { port } = ts;
    const coach = await ts.newCoach();
    const desk = await connect(ts.url);
    await desk.hello(coach.token, 'desk');
    let seq = 0;
    const change = () => push(desk, [makeOp({ seq: ++seq, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: coach.userId, name: `E${seq}` } })]);
    for (let i = 0; i < 6; i++) await change();

    // A reader whose catch-up frames are not written out yet.
    const reading = new HandSocket();
    const held: Array<() => void> = [];
    reading.send = (data, _options, done) => {
      reading.frames.push(JSON.parse(data.toString()) as Msg);
      if (done) held.push(done);
    };
    ts.server.acceptConnection(reading);
    reading.emit('message', Buffer.from(JSON.stringify({ type: 'hello', protocol: 1, token: coach.token, clientId: 'reading', lastVersion: 0 })), false);
    // The hello is answered once the store has (PostgreSQL answers later than SQLite): the catch-up is then under way.
    await until('the catch-up to start', () => reading.frames.some((m) => m.type === 'changes'));
    reading.bufferedAmount = 4096;
    const during = await scrape(port);
    assert.equal(during.get('coachdesk_sync_catch_ups_in_flight'), 1);
    assert.equal(during.get('coachdesk_sync_unsent_bytes'), 4096);
    // Written out now, and from here on.
    reading.bufferedAmount = 0;
    delete (reading as Partial<HandSocket>).send;
    for (const done of held.splice(0)) done();
    await until('the catch-up to end', () => reading.frames.some((m) => m.type === 'synced'));
    assert.equal((await scrape(port)).get('coachdesk_sync_catch_ups_in_flight'), 0);

    // Over the bound per connection (1 MiB), under the total: dropped when a change is sent to it.
    const stalled = new HandSocket();
    ts.server.acceptConnection(stalled);
    await stalled.hello(coach.token);
    stalled.bufferedAmount = 1200 * 1024;
    assert.equal((await scrape(port)).get('coachdesk_sync_unsent_bytes'), 1200 * 1024);
    await change();
    assert.equal(stalled.closedWith, 1006);
    // Two under the bound each, over the total (1.5 MiB) together: the bigger is dropped before the next change goes out.
    const [big, small] = [new HandSocket(), new HandSocket()];
    for (const s of [big, small]) {
      ts.server.acceptConnection(s);
      await s.hello(coach.token);
    }
    big.bufferedAmount = 900 * 1024;
    small.bufferedAmount = 800 * 1024;
    await change();
    assert.equal(big.closedWith, 1006);
    assert.equal(small.closedWith, undefined);

    const m = await scrape(port);
    assert.equal(m.get('coachdesk_sync_slow_reader_drops_total{bound="per_connection"}'), 1);
    assert.equal(m.get('coachdesk_sync_slow_reader_drops_total{bound="total"}'), 1);
    assert.equal(m.get('coachdesk_sync_unsent_bytes'), 800 * 1024);
    small.close();
  });

  test('a store that cannot commit is counted as a store error, and the push as unavailable', { ...T, skip: sqliteOnly("another connection holds the SQLite file's write lock past the busy timeout") }, async () => {
    ts = await startServer(tmp.dir, { logger: { level: 'silent' } });
    const coach = await ts.newCoach();
    const desk = await connect(ts.url);
    await desk.hello(coach.token, 'desk');
    // Another process holds the write lock past the server's busy timeout.
    const other = new Database(ts.file);
    other.exec('BEGIN IMMEDIATE');
    let answer: Msg[];
    try {
      answer = await push(desk, [makeOp({ seq: 1, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: coach.userId, name: 'Squat' } })]);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal(answer.at(-1)!.type, 'error');
    assert.equal(answer.at(-1)!.code, 'unavailable');
    const m = await scrape(ts.port);
    assert.equal(m.get('coachdesk_sync_store_errors_total{operation="push"}'), 1);
    assert.equal(m.get('coachdesk_sync_pushes_total{outcome="unavailable"}'), 1);
    assert.equal(m.get('coachdesk_sync_acked_ops_total{status="applied"}'), 0);
  });

  test('each server has its own registry: two in one process count apart', T, async () => {
    ts = await startServer(tmp.dir, { logger: { level: 'silent' } });
    const second = await startServer(tmp.dir, { logger: { level: 'silent' } });
    try {
      const coach = await ts.newCoach();
      const desk = await connect(ts.url);
      await desk.hello(coach.token, 'desk');
      await push(desk, [makeOp({ seq: 1, entity: 'exercise', id: uuid(), action: 'put', fields: { coachId: coach.userId, name: 'Squat' } })]);
      assert.equal((await scrape(ts.port)).get('coachdesk_sync_acked_ops_total{status="applied"}'), 1);
      assert.equal((await scrape(second.port)).get('coachdesk_sync_acked_ops_total{status="applied"}'), 0);
      assert.equal((await scrape(second.port)).get('coachdesk_sync_connections{role="coach"}'), 0);
    } finally {
      await second.close();
    }
  });
});
