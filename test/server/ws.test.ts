// The WebSocket layer over a real server on 127.0.0.1 (port 0), spoken to with the `ws` package.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { sqliteOnly, startServer, tempDir, type TestServer } from '../helpers.ts';
import { ServedClient, WsPeer, coachWorld, makeOp, traineeOf, uuid, type Msg, type ServedWorld } from './support.ts';

let dir: string;
let cleanup: () => void;
let ts: TestServer;
let peers: WsPeer[];

async function connect(): Promise<WsPeer> {
  const peer = await WsPeer.connect(ts.url);
  peers.push(peer);
  return peer;
}

/** The coach's desk and the phones of their two trainees, each past its hello. */
async function deskAndPhones(a: ServedWorld) {
  const t1 = await traineeOf(ts, a.trainee1);
  const t2 = await traineeOf(ts, a.trainee2);
  const [desk, phone1, phone2] = [await connect(), await connect(), await connect()];
  await desk.hello(a.coachToken, 'desk');
  await phone1.hello(t1.token, 'phone1');
  await phone2.hello(t2.token, 'phone2');
  return { t1, t2, desk, phone1, phone2 };
}


beforeEach(async () => {
  ({ dir, cleanup } = tempDir('coachdesk-ws-'));
  peers = [];
  ts = await startServer(dir, { helloTimeoutMs: 200, catchUpChunk: 3 });
  assert.match(ts.url, /^ws:\/\/127\.0\.0\.1:\d+\/sync$/);
});

afterEach(async () => {
  for (const p of peers) p.close();
  await ts.close();
  cleanup();
});

const hello = (token: string, clientId = `c-${uuid().slice(0, 8)}`, lastVersion = 0, protocol = 1) => ({
  type: 'hello',
  protocol,
  token,
  clientId,
  lastVersion,
});

describe('session', () => {
  test('hello -> welcome -> catch-up changes (chunked) -> synced, in that order', async () => {
    const a = await coachWorld(ts);
    const serverVersion = await ts.version();
    const peer = await connect();
    peer.send(hello(a.coachToken, 'desk-1'));
    await peer.waitFor('synced', (m) => m.type === 'synced');
    const types = peer.messages.map((m) => m.type);
    assert.equal(types[0], 'welcome');
    assert.equal(types.at(-1), 'synced');
    assert.ok(types.slice(1, -1).every((t) => t === 'changes'), `only changes between welcome and synced: ${types}`);
    assert.equal(types.length, 2 + Math.ceil(8 / 3), 'eight rows in chunks of three');
    const welcome = peer.messages[0]!;
    assert.deepEqual(welcome, { type: 'welcome', userId: a.coach.id, role: 'coach', nextSeq: 1, serverVersion });
    const rows = peer.messages.filter((m) => m.type === 'changes').flatMap((m) => m.rows as Msg[]);
    assert.deepEqual(
      rows.map((r) => r.id).sort(),
      [a.trainee1, a.trainee2, a.exercise, a.unusedExercise, a.program, a.workout, a.prescription, a.template].sort(),
    );
    for (const m of peer.messages.filter((x) => x.type === 'changes')) assert.equal(m.to, serverVersion);
    assert.deepEqual(peer.messages.at(-1), { type: 'synced', version: serverVersion });

    // nextSeq is per clientId; a reconnect from the current version gets no rows
    const again = await connect();
    again.send(hello(a.coachToken, a.desk.clientId, serverVersion));
    await again.waitFor('synced', (m) => m.type === 'synced');
    assert.deepEqual(
      again.messages.map((m) => m.type),
      ['welcome', 'synced'],
    );
    assert.equal(again.messages[0]!.nextSeq, a.desk.seq, "nextSeq continues the install's seqs");
  });

  test('a trainee is welcomed as trainee and catches up only their scope', async () => {
    const a = await coachWorld(ts);
    const b = await coachWorld(ts, 'Ben');
    const t1 = await traineeOf(ts, a.trainee1);
    const peer = await connect();
    const welcome = await peer.hello(t1.token, 'phone');
    assert.equal(welcome.role, 'trainee');
    assert.equal(welcome.userId, a.trainee1);
    const got = peer.messages.filter((m) => m.type === 'changes').flatMap((m) => (m.rows as Msg[]).map((r) => r.id));
    assert.deepEqual(got.sort(), [a.trainee1, a.program, a.workout, a.prescription, a.exercise].sort());
    assert.ok(!got.includes(b.program), "no other coach's rows");
  });

  test('pull repeats the catch-up from any version', async () => {
    const a = await coachWorld(ts);
    const peer = await connect();
    await peer.hello(a.coachToken);
    const from = peer.messages.length;
    peer.send({ type: 'pull', since: 6 });
    await peer.waitFor('synced after pull', (m) => m.type === 'synced', from);
    const rows = peer.since(from).filter((m) => m.type === 'changes').flatMap((m) => m.rows as Msg[]);
    assert.deepEqual(rows.map((r) => r.version).sort(), [7, 8]);
  });
});

describe('bad frames', () => {
  test('non-JSON, non-object, unknown type, missing fields and push-before-hello get bad_message; the connection stays open', async () => {
    const a = await coachWorld(ts);
    const peer = await connect();
    const frames = [
      'this is not json',
      '[1,2,3]',
      JSON.stringify({ type: 'gossip' }),
      JSON.stringify({ notype: true }),
      JSON.stringify({ type: 'push' }),
      JSON.stringify({ type: 'hello', protocol: 1, clientId: 'x', lastVersion: 0 }),
      JSON.stringify({ type: 'push', ops: [{ key: 'k', seq: 1 }] }),
    ];
    for (const [i, frame] of frames.entries()) {
      const from = peer.messages.length;
      peer.send(frame);
      const at = await peer.waitFor(`error for frame ${i}`, (m) => m.type === 'error', from);
      const error = peer.messages[at]!;
      assert.equal(error.code, 'bad_message', `frame ${i}: ${JSON.stringify(error)}`);
      assert.equal(typeof error.message, 'string');
      assert.ok(error.message.length > 0, `frame ${i} error says what is wrong`);
    }
    const messages = peer.messages.map((m) => String(m.message));
    assert.match(messages[0]!, /JSON/);
    assert.match(messages[2]!, /gossip/);
    assert.match(messages[4]!, /ops/);
    assert.match(messages[5]!, /token/);
    assert.match(messages[6]!, /hello/);
    assert.ok(peer.isOpen, 'still open after bad frames');
    const welcome = await peer.hello(a.coachToken);
    assert.equal(welcome.type, 'welcome', 'and a hello still works');
    const mark = peer.messages.length;
    peer.send('{"type":"push","ops":[]}');
    const at = await peer.waitFor('bad_message for an empty push', (m) => m.type === 'error', mark);
    assert.equal(peer.messages[at]!.code, 'bad_message');
    assert.ok(peer.isOpen, 'still open after a bad push');
    const mark2 = peer.messages.length;
    peer.send(hello(a.coachToken));
    const at2 = await peer.waitFor('bad_message for a second hello', (m) => m.type === 'error' || m.type === 'welcome', mark2);
    assert.equal(peer.messages[at2]!.code, 'bad_message', 'a second hello on one connection is a bad frame');
    assert.ok(peer.isOpen, 'still open after a second hello');
  });

  test('exactly 20 bad frames in a minute are tolerated; the 21st closes with 1008', async () => {
    const a = await coachWorld(ts);
    const peer = await connect();
    for (let i = 0; i < 20; i++) peer.send(`bad ${i}`);
    await peer.waitFor('20 errors', () => peer.messages.filter((m) => m.type === 'error').length === 20);
    assert.ok(peer.isOpen, 'open after 20 bad frames');
    await peer.hello(a.coachToken);
    assert.equal(peer.closed, undefined);
    peer.send('bad 21');
    const closed = await peer.waitClose();
    assert.equal(closed.code, 1008);
    assert.equal(peer.messages.filter((m) => m.type === 'error' && m.code === 'bad_message').length, 21);
  });

  test('a frame over 1 MiB closes the connection with 1009', async () => {
    const a = await coachWorld(ts);
    const peer = await connect();
    await peer.hello(a.coachToken);
    const big = JSON.stringify({ type: 'pull', since: 0, pad: 'x'.repeat(1024 * 1024) });
    peer.send(big);
    const closed = await peer.waitClose();
    assert.equal(closed.code, 1009);
  });

  test('a frame just under 1 MiB is not closed for size', async () => {
    const a = await coachWorld(ts);
    const peer = await connect();
    await peer.hello(a.coachToken);
    const frame = JSON.stringify({ type: 'pull', since: 1_000_000, pad: '' });
    const padded = frame.replace('"pad":""', `"pad":"${'x'.repeat(1024 * 1024 - frame.length)}"`);
    assert.equal(Buffer.byteLength(padded), 1024 * 1024);
    const from = peer.messages.length;
    peer.send(padded);
    await peer.waitFor('synced after a 1 MiB pull', (m) => m.type === 'synced', from);
    assert.ok(peer.isOpen, 'a 1 MiB frame is allowed');
  });
});

describe('hello refusals', () => {
  test('an unknown token gets error unauthorized, then close 4401', async () => {
    await coachWorld(ts);
    const peer = await connect();
    peer.send(hello('not-a-real-token'));
    const closed = await peer.waitClose();
    assert.equal(closed.code, 4401);
    assert.equal(peer.messages.length, 1, JSON.stringify(peer.messages));
    assert.equal(peer.messages[0]!.type, 'error');
    assert.equal(peer.messages[0]!.code, 'unauthorized');
  });

  test('protocol 2 is closed with 4400 (no welcome)', async () => {
    const a = await coachWorld(ts);
    const peer = await connect();
    peer.send(hello(a.coachToken, 'x', 0, 2));
    const closed = await peer.waitClose();
    assert.equal(closed.code, 4400);
    assert.ok(!peer.messages.some((m) => m.type === 'welcome'), 'no welcome for a wrong protocol');
  });

  test('no hello within helloTimeoutMs closes with 4408', async () => {
    const peer = await connect();
    const started = Date.now();
    const closed = await peer.waitClose(2000);
    assert.equal(closed.code, 4408);
    assert.ok(Date.now() - started >= 150, 'not before the timeout');
  });

  test('a hello in time is not closed by the hello timer', async () => {
    const a = await coachWorld(ts);
    const peer = await connect();
    await peer.hello(a.coachToken);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(peer.closed, undefined);
    assert.ok(peer.isOpen, 'still open after the hello timeout passed');
  });
});

describe('push', () => {
  let a: ServedWorld;
  beforeEach(async () => {
    a = await coachWorld(ts);
  });

  test('push -> changes first, then one ack per op in seq order, then synced', async () => {
    const peer = await connect();
    await peer.hello(a.coachToken, 'desk-ws');
    const from = peer.messages.length;
    const t = uuid();
    const ops = [
      makeOp({ seq: 1, entity: 'trainee', id: t, action: 'put', fields: { coachId: a.coach.id, name: 'New' } }),
      makeOp({ seq: 2, entity: 'prescription', id: a.prescription, action: 'patch', fields: { sets: 0 }, baseVersion: 7 }),
      makeOp({ seq: 3, entity: 'trainee', id: t, action: 'patch', fields: { notes: 'hi' }, baseVersion: 9 }),
    ];
    peer.send({ type: 'push', ops });
    await peer.waitFor('synced after push', (m) => m.type === 'synced', from);
    const got = peer.since(from);
    assert.deepEqual(
      got.map((m) => m.type),
      ['changes', 'ack', 'ack', 'ack', 'synced'],
    );
    assert.deepEqual(
      got.slice(1, 4).map((m) => [m.seq, m.key, m.status, m.reason]),
      [
        [1, ops[0]!.key, 'applied', undefined],
        [2, ops[1]!.key, 'rejected', 'invalid'],
        [3, ops[2]!.key, 'applied', undefined],
      ],
    );
    const changes = got[0]!;
    const row = (changes.rows as Msg[]).find((r) => r.id === t);
    assert.ok(row, 'the changes carry the row');
    assert.deepEqual(row.fields, { coachId: a.coach.id, name: 'New', notes: 'hi' });
    assert.equal(row.version, got[3]!.version, 'the row is at the version of the last ack');
    assert.equal(changes.to, got[3]!.version);
    assert.equal(got[4]!.version, got[3]!.version);

    // Resending the same push replays every ack with replay:true
    const again = peer.messages.length;
    peer.send({ type: 'push', ops });
    await peer.waitFor('synced after replay', (m) => m.type === 'synced', again);
    const replay = peer.since(again).filter((m) => m.type === 'ack');
    assert.deepEqual(
      replay.map((m) => [m.seq, m.status, m.replay]),
      [
        [1, 'applied', true],
        [2, 'rejected', true],
        [3, 'applied', true],
      ],
    );
    assert.ok(!peer.since(again).some((m) => m.type === 'changes'), 'a pure replay carries no changes');
  });

  test('out_of_order: the error names expectedSeq and nothing of the push is applied', async () => {
    const peer = await connect();
    await peer.hello(a.coachToken, 'fresh-install');
    const before = await ts.version();
    const from = peer.messages.length;
    const t = uuid();
    peer.send({
      type: 'push',
      ops: [
        makeOp({ seq: 2, entity: 'trainee', id: t, action: 'put', fields: { coachId: a.coach.id, name: 'Early' } }),
        makeOp({ seq: 3, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Earlier' } }),
      ],
    });
    const at = await peer.waitFor('out_of_order', (m) => m.type === 'error', from);
    assert.deepEqual(
      { type: peer.messages[at]!.type, code: peer.messages[at]!.code, expectedSeq: peer.messages[at]!.expectedSeq },
      { type: 'error', code: 'out_of_order', expectedSeq: 1 },
    );
    await peer.barrier(before);
    assert.ok(!peer.since(from).some((m) => m.type === 'ack' || m.type === 'changes'), 'no ack and no changes');
    assert.equal(await ts.version(), before);
    assert.ok(peer.isOpen, 'the connection stays open');

    // ops before the gap are applied and acked; then the error
    const mid = peer.messages.length;
    peer.send({
      type: 'push',
      ops: [
        makeOp({ seq: 1, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'First' } }),
        makeOp({ seq: 5, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Fifth' } }),
      ],
    });
    await peer.waitFor('out_of_order 2', (m) => m.type === 'error', mid);
    const types = peer.since(mid).map((m) => (m.type === 'error' ? `error:${m.code}:${m.expectedSeq}` : m.type));
    assert.deepEqual(types.slice(0, 3), ['changes', 'ack', 'error:out_of_order:2']);
    assert.equal(await ts.version(), before + 1);
  });

  test('changes are broadcast to the same coach elsewhere and the trainee in scope, never to another coach', async () => {
    const b = await coachWorld(ts, 'Ben');
    const t1 = await traineeOf(ts, a.trainee1);
    const t2 = await traineeOf(ts, a.trainee2);
    const bT1 = await traineeOf(ts, b.trainee1);
    const desk = await connect();
    const laptop = await connect();
    const phone1 = await connect();
    const phone2 = await connect();
    const ben = await connect();
    const benTrainee = await connect();
    await desk.hello(a.coachToken, 'desk');
    await laptop.hello(a.coachToken, 'laptop');
    await phone1.hello(t1.token, 'phone1');
    await phone2.hello(t2.token, 'phone2');
    await ben.hello(b.coachToken, 'ben');
    await benTrainee.hello(bT1.token, 'ben-trainee');
    const marks = new Map(peers.map((p) => [p, p.messages.length]));

    desk.send({
      type: 'push',
      ops: [makeOp({ seq: 1, entity: 'prescription', id: a.prescription, action: 'patch', fields: { sets: 4, notes: 'deload' }, baseVersion: 7 })],
    });
    const ackAt = await desk.waitFor('ack', (m) => m.type === 'ack', marks.get(desk));
    assert.equal(desk.messages[ackAt]!.status, 'applied');
    const version = desk.messages[ackAt]!.version as number;

    for (const [name, peer] of [
      ['laptop (same coach)', laptop],
      ['phone1 (trainee in scope)', phone1],
    ] as const) {
      const c = await peer.waitFor(`changes at ${name}`, (m) => m.type === 'changes', marks.get(peer));
      const frame = peer.messages[c]!;
      assert.equal(frame.to, version);
      const row = (frame.rows as Msg[]).find((r) => r.id === a.prescription);
      assert.ok(row, `${name} receives the prescription`);
      assert.equal(row.fields.sets, 4);
      assert.equal(row.fields.notes, 'deload');
      assert.equal(row.deleted, false);
      const s = await peer.waitFor(`synced at ${name}`, (m) => m.type === 'synced', c);
      assert.equal(peer.messages[s]!.version, version);
    }

    for (const [name, peer] of [
      ['ben (another coach)', ben],
      ['ben trainee', benTrainee],
      ['phone2 (trainee out of scope)', phone2],
    ] as const) {
      await peer.barrier(version);
      const got = peer.since(marks.get(peer)!);
      assert.deepEqual(
        got.map((m) => m.type),
        ['synced'],
        `${name} got nothing but its own pull's synced: ${JSON.stringify(got)}`,
      );
    }
    await desk.waitFor('synced at the pusher', (m) => m.type === 'synced', ackAt);
    assert.deepEqual(
      desk.since(marks.get(desk)!).map((m) => m.type),
      ['changes', 'ack', 'synced'],
      'the pusher gets its changes once, before its ack',
    );
  });

  test('a trainee push reaches the coach live, not other trainees', async () => {
    const { t1, t2, desk, phone1, phone2 } = await deskAndPhones(a);
    const d0 = desk.messages.length;
    const p0 = phone2.messages.length;
    const s = uuid();
    phone1.send({
      type: 'push',
      ops: [makeOp({ seq: 1, entity: 'session', id: s, action: 'put', fields: { traineeId: a.trainee1, date: '2026-11-24', status: 'completed' } })],
    });
    const c = await desk.waitFor('session at the coach', (m) => m.type === 'changes' && (m.rows as Msg[]).some((r) => r.id === s), d0);
    assert.equal((desk.messages[c]!.rows as Msg[]).find((r) => r.id === s)!.fields.status, 'completed');
    await phone2.barrier(await ts.version());
    assert.deepEqual(
      phone2.since(p0).map((m) => m.type),
      ['synced'],
    );
  });

  test('reassigning a program sends tombstones live to the old trainee and rows to the new one', async () => {
    const { t1, t2, desk, phone1, phone2 } = await deskAndPhones(a);
    const m1 = phone1.messages.length;
    const m2 = phone2.messages.length;
    desk.send({
      type: 'push',
      ops: [makeOp({ seq: 1, entity: 'program', id: a.program, action: 'patch', fields: { traineeId: a.trainee2 }, baseVersion: 5 })],
    });
    const c1 = await phone1.waitFor('tombstones at the old trainee', (m) => m.type === 'changes', m1);
    const old = phone1.messages[c1]!.rows as Msg[];
    for (const id of [a.program, a.workout, a.prescription]) {
      const r = old.find((x) => x.id === id);
      assert.ok(r, `tombstone for ${id}`);
      assert.equal(r.deleted, true);
      assert.deepEqual(r.fields, {});
    }
    const c2 = await phone2.waitFor('rows at the new trainee', (m) => m.type === 'changes', m2);
    const fresh = phone2.messages[c2]!.rows as Msg[];
    for (const id of [a.program, a.workout, a.prescription]) {
      const r = fresh.find((x) => x.id === id);
      assert.ok(r && !r.deleted, `live row ${id} for the new trainee`);
    }
  });

  test('a busy database gets error unavailable with nothing applied; the same push later applies', { skip: sqliteOnly("another connection holds the SQLite file's write lock past the busy timeout") }, async () => {
    const peer = await connect();
    await peer.hello(a.coachToken, 'busy-desk');
    ts.db.pragma('busy_timeout = 0'); // fail fast instead of waiting 2 s for the lock
    const blocker = new Database(ts.file);
    const t = uuid();
    const ops = [makeOp({ seq: 1, entity: 'trainee', id: t, action: 'put', fields: { coachId: a.coach.id, name: 'Busy' } })];
    const before = await ts.version();
    try {
      blocker.exec('BEGIN IMMEDIATE'); // another writer holds the write lock
      const from = peer.messages.length;
      peer.send({ type: 'push', ops });
      const at = await peer.waitFor('unavailable', (m) => m.type === 'error' || m.type === 'ack', from);
      assert.equal(peer.messages[at]!.type, 'error', JSON.stringify(peer.messages[at]));
      assert.equal(peer.messages[at]!.code, 'unavailable');
      assert.ok(!peer.since(from).some((m) => m.type === 'ack' || m.type === 'changes'), 'no ack, no changes');
      blocker.exec('ROLLBACK');
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
    }
    assert.equal(await ts.version(), before);
    assert.equal(await ts.nextSeq(a.coach.id, 'busy-desk'), 1, 'nothing applied, the seq is not used up');
    const from = peer.messages.length;
    peer.send({ type: 'push', ops });
    const at = await peer.waitFor('ack after retry', (m) => m.type === 'ack', from);
    assert.deepEqual([peer.messages[at]!.status, peer.messages[at]!.replay, peer.messages[at]!.version], ['applied', false, before + 1]);
    assert.ok(peer.isOpen, 'the connection survives a passing fault');
  });

  test('store pushes made outside the ws layer are served in catch-up to a reconnecting client', async () => {
    const t1 = await traineeOf(ts, a.trainee1);
    const phone = await connect();
    const welcome = await phone.hello(t1.token, 'phone');
    const coach = (await ts.authenticate(a.coachToken))!;
    const tablet = new ServedClient(ts, coach, 'tablet');
    await tablet.pushApplied([tablet.op('prescription', a.prescription, 'patch', { rpe: 8 }, 7)]);
    phone.close();
    const again = await connect();
    await again.hello(t1.token, 'phone', welcome.serverVersion as number);
    const rows = again.messages.filter((m) => m.type === 'changes').flatMap((m) => m.rows as Msg[]);
    assert.deepEqual(
      rows.map((r) => [r.id, r.fields.rpe]),
      [[a.prescription, 8]],
    );
  });
});

describe('maxes over the wire', () => {
  test("a trainee gets their max and its exercise live and in catch-up, and tombstones when it goes; another trainee gets nothing", async () => {
    const a = await coachWorld(ts);
    const { t1, t2, desk, phone1, phone2 } = await deskAndPhones(a);
    const rowsSince = (peer: WsPeer, from: number) => peer.since(from).filter((m) => m.type === 'changes').flatMap((m) => m.rows as Msg[]);
    const max = uuid();
    const fields = { traineeId: a.trainee1, exerciseId: a.unusedExercise, kind: 'tm', value: 180, unit: 'kg', date: '2026-11-20', source: 'entered' };
    let m1 = phone1.messages.length;
    let m2 = phone2.messages.length;
    desk.send({ type: 'push', ops: [makeOp({ seq: 1, entity: 'max', id: max, action: 'put', fields })] });
    await phone1.waitFor('the max at the trainee', (m) => m.type === 'changes', m1);
    await phone1.barrier(await ts.version());
    const live = rowsSince(phone1, m1);
    assert.deepEqual(live.find((r) => r.id === max)?.fields, fields);
    assert.equal(live.find((r) => r.id === a.unusedExercise)?.deleted, false, 'the exercise the max uses, live');
    await phone2.barrier(await ts.version());
    assert.deepEqual(phone2.since(m2).map((m) => m.type), ['synced'], 'nothing reaches the other trainee: ' + JSON.stringify(phone2.since(m2)));

    for (const [name, token, sees] of [['trainee1', t1.token, true], ['trainee2', t2.token, false]] as const) {
      const again = await connect();
      await again.hello(token);
      const ids = rowsSince(again, 0).map((r) => r.id);
      assert.equal(ids.includes(max), sees, `${name}'s catch-up ${sees ? 'holds' : 'lacks'} the max`);
      assert.equal(ids.includes(a.unusedExercise), sees, `and ${sees ? 'holds' : 'lacks'} its exercise`);
    }

    const version = (await ts.row('max', max))!.version;
    m1 = phone1.messages.length;
    m2 = phone2.messages.length;
    desk.send({ type: 'push', ops: [makeOp({ seq: 2, entity: 'max', id: max, action: 'delete', baseVersion: version })] });
    await phone1.waitFor('tombstones at the trainee', (m) => m.type === 'changes', m1);
    await phone1.barrier(await ts.version());
    const gone = rowsSince(phone1, m1);
    for (const id of [max, a.unusedExercise]) assert.deepEqual(gone.filter((r) => r.id === id).map((r) => [r.deleted, r.fields]), [[true, {}]], `a tombstone for ${id}`);
    await phone2.barrier(await ts.version());
    assert.deepEqual(phone2.since(m2).map((m) => m.type), ['synced']);
  });

  test("a trainee's push of a max is acked rejected forbidden", async () => {
    const a = await coachWorld(ts);
    const phone = await connect();
    await phone.hello((await traineeOf(ts, a.trainee1)).token, 'phone');
    const from = phone.messages.length;
    const fields = { traineeId: a.trainee1, exerciseId: a.exercise, kind: '1rm', value: 300, unit: 'kg', date: '2026-11-20', source: 'entered' };
    phone.send({ type: 'push', ops: [makeOp({ seq: 1, entity: 'max', id: uuid(), action: 'put', fields })] });
    const at = await phone.waitFor('ack', (m) => m.type === 'ack', from);
    assert.deepEqual([phone.messages[at]!.status, phone.messages[at]!.reason], ['rejected', 'forbidden']);
    assert.ok(!phone.since(from).some((m) => m.type === 'changes'));
  });
});
