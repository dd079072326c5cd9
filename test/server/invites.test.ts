// Coach requests over /sync: invite.create, access.list, access.revoke; invites in the store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join as joinPath } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { INVITE_TTL_MS, accessListSchema, inviteCreatedSchema, responseSchema, type Row } from '../../protocol/index.ts';
import { authenticate } from '../../server/auth.ts';
import { hashInviteCode } from '../../server/access.ts';
import { CanonicalStore } from '../../server/canonical-store.ts';
import { openServerDb, SCHEMA_VERSION } from '../../server/db.ts';
import { joinWithCode, sqliteOnly, startServer, tempDir, type TestServer } from '../helpers.ts';
import { WsPeer, coachWorld, makeOp, seedCoach, traineeOf, uuid, type Msg } from './support.ts';

const T = { timeout: 20_000 };
let tmp: { dir: string; cleanup: () => void };
let ts: TestServer | undefined;
let peers: WsPeer[] = [];
/** The servers' clock (ms), moved by tests. */
let clock = Date.parse('2026-03-01T10:00:00.000Z');

async function connect(url: string): Promise<WsPeer> {
  const peer = await WsPeer.connect(url);
  peers.push(peer);
  return peer;
}

async function start(options: Parameters<typeof startServer>[1] = {}): Promise<TestServer> {
  ts = await startServer(tmp.dir, { now: () => clock, revocationCheckMs: 60_000, ...options });
  return ts;
}

let nextRequest = 0;
/** Sends a request and waits for its response. */
async function ask(peer: WsPeer, method: string, params?: unknown): Promise<Msg> {
  const requestId = `req-${++nextRequest}`;
  const from = peer.messages.length;
  peer.send({ type: 'request', requestId, method, ...(params === undefined ? {} : { params }) });
  const at = await peer.waitFor(`response to ${method}`, (m) => m.type === 'response' && m.requestId === requestId, from);
  const response = peer.messages[at]!;
  assert.ok(responseSchema.safeParse(response).success, `response fits the schema: ${JSON.stringify(response)}`);
  return response;
}

const join = (port: number, code: string) => joinWithCode(`http://127.0.0.1:${port}`, code);

beforeEach(() => {
  tmp = tempDir('coachdesk-invites-');
  peers = [];
  clock = Date.parse('2026-03-01T10:00:00.000Z');
});

afterEach(async () => {
  for (const p of peers) p.close();
  await ts?.close();
  ts = undefined;
  tmp.cleanup();
});

describe('invite.create', () => {
  test('gives a code of at least 128 random bits, a link to /join#code on the address the coach connected to, and a 7-day expiry', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken);
    const r = await ask(desk, 'invite.create', { traineeId: a.trainee1 });
    assert.equal(r.ok, true, JSON.stringify(r));
    const value = inviteCreatedSchema.parse(r.value);
    assert.deepEqual(Object.keys(r.value as object).sort(), ['code', 'expiresAt', 'url']);
    assert.match(value.code, /^[A-Za-z0-9_-]+$/);
    assert.ok(Buffer.from(value.code, 'base64url').length >= 16, `${value.code} carries at least 16 random bytes`);
    assert.equal(value.url, `http://127.0.0.1:${s.port}/join#${value.code}`);
    assert.equal(value.expiresAt, new Date(clock + INVITE_TTL_MS).toISOString());
    assert.equal(INVITE_TTL_MS, 7 * 24 * 3600 * 1000);
    // Two invites never share a code.
    const again = await ask(desk, 'invite.create', { traineeId: a.trainee1 });
    assert.notEqual((again.value as { code: string }).code, value.code);
  });

  test('with a public URL, links start with it', T, async () => {
    const s = await start({ publicUrl: 'https://coach.example.com/' });
    const a = await coachWorld(s);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken);
    const r = await ask(desk, 'invite.create', { traineeId: a.trainee2 });
    const { code, url } = r.value as { code: string; url: string };
    assert.equal(url, `https://coach.example.com/join#${code}`);
  });

  test('the store keeps only the sha-256 of a code: neither its text nor its bytes are anywhere in the database files', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken);
    const { code } = (await ask(desk, 'invite.create', { traineeId: a.trainee1 })).value as { code: string };
    const bytes = await s.storedBytes();
    const raw = Buffer.from(code, 'base64url');
    const hash = createHash('sha256').update(code).digest('hex');
    assert.equal(hashInviteCode(code), hash);
    assert.equal(bytes.indexOf(Buffer.from(code)), -1, 'the code as text');
    assert.equal(bytes.indexOf(raw), -1, 'the code as bytes');
    assert.equal(bytes.indexOf(Buffer.from(code.toLowerCase())), -1);
    assert.equal(bytes.indexOf(Buffer.from(raw.toString('hex'))), -1, 'the code as hex');
    assert.equal(bytes.indexOf(Buffer.from(raw.toString('base64'))), -1, 'the code as base64');
    assert.notEqual(bytes.indexOf(Buffer.from(hash)), -1, 'its sha-256 is there');
    const stored = await s.query(`SELECT * FROM invites`);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.code_hash, hash);
    assert.equal(stored[0]!.coach_id, a.coach.id);
    assert.equal(stored[0]!.trainee_id, a.trainee1);
    assert.equal(stored[0]!.used_at, null);
  });

  test("a coach cannot invite another coach's trainee, nor an unknown id: the same not_found for both", T, async () => {
    const s = await start();
    const a = await coachWorld(s, 'Ana');
    const b = await coachWorld(s, 'Bo');
    const bo = await connect(s.url);
    await bo.hello(b.coachToken);
    const theirs = await ask(bo, 'invite.create', { traineeId: a.trainee1 });
    const unknown = await ask(bo, 'invite.create', { traineeId: uuid() });
    assert.equal(theirs.ok, false);
    assert.equal(theirs.error.code, 'not_found');
    assert.deepEqual(unknown.error, theirs.error, 'nothing tells the two apart');
    assert.equal(await s.count('invites'), 0);
    // A deleted trainee of one's own cannot be invited either.
    await b.desk.pushApplied([b.desk.op('trainee', b.trainee2, 'delete', {}, 0)]);
    const deleted = await ask(bo, 'invite.create', { traineeId: b.trainee2 });
    assert.equal(deleted.error.code, 'not_found');
    // ... but their devices can still be revoked.
    const revoked = await ask(bo, 'access.revoke', { traineeId: b.trainee2 });
    assert.deepEqual(revoked.value, { revokedTokens: 0, cancelledInvites: 0 });
  });

  test("a trainee's requests are forbidden, whatever they ask", T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const phone = await connect(s.url);
    await phone.hello((await traineeOf(s, a.trainee1)).token);
    for (const [method, params] of [
      ['invite.create', { traineeId: a.trainee1 }],
      ['access.list', {}],
      ['access.revoke', { traineeId: a.trainee1 }],
    ] as const) {
      const r = await ask(phone, method, params);
      assert.equal(r.ok, false);
      assert.equal(r.error.code, 'forbidden', method);
    }
    assert.equal(await s.count('invites'), 0);
    assert.ok(phone.isOpen);
  });

  test('bad params are invalid, naming the field; an unknown method is invalid; the connection stays open', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken);
    const cases: Array<[string, unknown, RegExp]> = [
      ['invite.create', {}, /params\.traineeId is required/],
      ['invite.create', { traineeId: 7 }, /params\.traineeId/],
      ['invite.create', { traineeId: 'not-a-uuid' }, /params\.traineeId must be a UUID/],
      ['access.revoke', { traineeId: null }, /params\.traineeId/],
      ['invite.create', 'x', /params must be an object/],
      ['invite.create', [a.trainee1], /params must be an object/],
      ['invite.delete', { traineeId: a.trainee1 }, /unknown method "invite\.delete"/],
    ];
    for (const [method, params, message] of cases) {
      const r = await ask(desk, method, params);
      assert.equal(r.ok, false, `${method} ${JSON.stringify(params)}`);
      assert.equal(r.error.code, 'invalid', `${method} ${JSON.stringify(params)}`);
      assert.match(r.error.message, message);
    }
    // access.list takes no params: none at all is fine.
    assert.equal((await ask(desk, 'access.list')).ok, true);
    assert.ok(desk.isOpen);
  });

  test('a request frame without a requestId, or before hello, is a bad message', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const early = await connect(s.url);
    early.send({ type: 'request', requestId: 'r', method: 'access.list', params: {} });
    const e = await early.waitFor('error', (m) => m.type === 'error');
    assert.equal(early.messages[e]!.code, 'bad_message');
    assert.match(early.messages[e]!.message, /first frame must be hello/);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken);
    const from = desk.messages.length;
    desk.send({ type: 'request', method: 'access.list', params: {} });
    const i = await desk.waitFor('error', (m) => m.type === 'error', from);
    assert.equal(desk.messages[i]!.code, 'bad_message');
    assert.match(desk.messages[i]!.message, /requestId/);
  });
});

describe('requests and the push stream', () => {
  test('requests are answered in order, and after the pushes sent before them (an invite for a trainee just created finds it)', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken, 'desk');
    const fresh = uuid();
    const from = desk.messages.length;
    // One write to the socket: the push and the requests arrive in the same turn.
    desk.send({ type: 'push', ops: [makeOp({ seq: 1, entity: 'trainee', id: fresh, action: 'put', fields: { coachId: a.coach.id, name: 'New' } })] });
    desk.send({ type: 'request', requestId: 'one', method: 'invite.create', params: { traineeId: fresh } });
    desk.send({ type: 'request', requestId: 'two', method: 'access.list', params: {} });
    desk.send({ type: 'request', requestId: 'three', method: 'nope', params: {} });
    await desk.waitFor('the third response', (m) => m.type === 'response' && m.requestId === 'three', from);
    const seen = desk.since(from);
    const kinds = seen.map((m) => (m.type === 'response' ? `response:${m.requestId}` : m.type));
    // The push's own stream is whole and in its order: changes, ack, synced.
    const pushStream = kinds.filter((k) => !k.startsWith('response'));
    assert.deepEqual(pushStream, ['changes', 'ack', 'synced']);
    assert.deepEqual(
      kinds.filter((k) => k.startsWith('response')),
      ['response:one', 'response:two', 'response:three'],
    );
    assert.ok(kinds.indexOf('ack') < kinds.indexOf('response:one'), 'the invite came after the push it depends on');
    const one = seen.find((m) => m.requestId === 'one')!;
    assert.equal(one.ok, true, JSON.stringify(one));
    const list = accessListSchema.parse(seen.find((m) => m.requestId === 'two')!.value);
    assert.ok(list.trainees.some((t) => t.traineeId === fresh && t.invite !== null));
    // And the stream goes on as before.
    const next = desk.messages.length;
    desk.send({ type: 'push', ops: [makeOp({ seq: 2, entity: 'trainee', id: fresh, action: 'patch', fields: { notes: 'hi' }, baseVersion: 0 })] });
    await desk.waitFor('ack', (m) => m.type === 'ack' && m.seq === 2, next);
  });

  test('answers to requests go to the asker only', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken, 'desk');
    const laptop = await connect(s.url);
    await laptop.hello(a.coachToken, 'laptop');
    await ask(desk, 'invite.create', { traineeId: a.trainee1 });
    await laptop.barrier(0);
    assert.ok(!laptop.messages.some((m) => m.type === 'response'));
  });
});

describe('access.list', () => {
  test('every trainee of the coach with the newest pending invite, active devices and when one was last seen', T, async () => {
    const s = await start();
    const a = await coachWorld(s, 'Ana');
    const b = await coachWorld(s, 'Bo');
    const desk = await connect(s.url);
    await desk.hello(a.coachToken);
    const entry = async (traineeId: string) => {
      const list = accessListSchema.parse((await ask(desk, 'access.list', {})).value);
      assert.deepEqual(list.trainees.map((t) => t.traineeId).sort(), [a.trainee1, a.trainee2].sort(), "only this coach's trainees");
      return list.trainees.find((t) => t.traineeId === traineeId)!;
    };
    assert.deepEqual(await entry(a.trainee1), { traineeId: a.trainee1, invite: null, devices: 0, lastSeenAt: null });
    // Two invites: the newest shows.
    await ask(desk, 'invite.create', { traineeId: a.trainee1 });
    const createdFirst = clock;
    clock += 60_000;
    const newest = (await ask(desk, 'invite.create', { traineeId: a.trainee1 })).value as { code: string; expiresAt: string };
    assert.deepEqual((await entry(a.trainee1)).invite, { createdAt: new Date(clock).toISOString(), expiresAt: newest.expiresAt });
    // Used: the older one is still pending and shows.
    assert.equal((await join(s.port, newest.code)).status, 200);
    assert.deepEqual((await entry(a.trainee1)).invite, {
      createdAt: new Date(createdFirst).toISOString(),
      expiresAt: new Date(createdFirst + INVITE_TTL_MS).toISOString(),
    });
    // Expired: nothing pending.
    clock = createdFirst + INVITE_TTL_MS;
    const e = await entry(a.trainee1);
    assert.equal(e.invite, null);
    assert.equal(e.devices, 1);
    assert.equal(e.lastSeenAt, null, 'the device never connected');
    // A second device, and a token issued by the CLI's add-trainee-token: all count.
    clock += 1000;
    const again = (await ask(desk, 'invite.create', { traineeId: a.trainee1 })).value as { code: string };
    const second = await join(s.port, again.code);
    assert.equal(second.status, 200);
    await traineeOf(s, a.trainee1);
    assert.equal((await entry(a.trainee1)).devices, 3);
    // A device connects: lastSeenAt is when.
    clock += 5000;
    const connectedAt = new Date(clock).toISOString();
    const phone = await connect(s.url);
    await phone.hello(second.body.token as string);
    assert.equal((await entry(a.trainee1)).lastSeenAt, connectedAt);
    // ... and when it went away.
    clock += 5000;
    phone.close();
    await phone.waitClose();
    await waitForValue(async () => (await entry(a.trainee1)).lastSeenAt, new Date(clock).toISOString());
    // Bo's list is Bo's.
    const bo = await connect(s.url);
    await bo.hello(b.coachToken);
    const boList = accessListSchema.parse((await ask(bo, 'access.list', {})).value);
    assert.deepEqual(boList.trainees.map((t) => t.traineeId).sort(), [b.trainee1, b.trainee2].sort());
    assert.ok(boList.trainees.every((t) => t.devices === 0 && t.invite === null));
  });

  test('a connected device is noted as seen again with the pings', T, async () => {
    const s = await start({ pingIntervalMs: 50, lastSeenEveryMs: 1000 });
    const a = await coachWorld(s);
    const { token } = await traineeOf(s, a.trainee1);
    const phone = await connect(s.url);
    await phone.hello(token);
    const seen = () => s.value<string>(`SELECT last_seen_at FROM tokens WHERE user_id = ?`, a.trainee1);
    assert.equal(await seen(), new Date(clock).toISOString());
    clock += 2000;
    await waitForValue(seen, new Date(clock).toISOString());
  });
});

describe('access.revoke', () => {
  test("revokes every token of the trainee, closes their open connections at once, cancels pending invites; others stay", T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken, 'desk');
    const invite = (await ask(desk, 'invite.create', { traineeId: a.trainee1 })).value as { code: string };
    const joined = await join(s.port, invite.code);
    const phoneToken = joined.body.token as string;
    const tablet = (await traineeOf(s, a.trainee1)).token;
    const pending = (await ask(desk, 'invite.create', { traineeId: a.trainee1 })).value as { code: string };
    const otherTrainee = (await traineeOf(s, a.trainee2)).token;
    const phone = await connect(s.url);
    await phone.hello(phoneToken, 'phone');
    const tab = await connect(s.url);
    await tab.hello(tablet, 'tablet');
    const other = await connect(s.url);
    await other.hello(otherTrainee, 'other');

    const r = await ask(desk, 'access.revoke', { traineeId: a.trainee1 });
    assert.deepEqual(r.value, { revokedTokens: 2, cancelledInvites: 1 });
    // At once: the close was on its way before the answer was sent.
    assert.equal((await phone.waitClose(1000)).code, 4401);
    assert.equal((await tab.waitClose(1000)).code, 4401);
    assert.equal(phone.messages.find((m) => m.type === 'error')?.code, 'unauthorized');
    assert.ok(other.isOpen && desk.isOpen);
    // The tokens no longer authenticate; the pending invite no longer joins.
    assert.equal(await s.authenticate(phoneToken), undefined);
    const retry = await connect(s.url);
    retry.send({ type: 'hello', protocol: 1, token: phoneToken, clientId: 'phone', lastVersion: 0 });
    assert.equal((await retry.waitClose(2000)).code, 4401);
    const late = await join(s.port, pending.code);
    assert.equal(late.status, 410);
    assert.equal(late.body.error, 'cancelled');
    const list = accessListSchema.parse((await ask(desk, 'access.list', {})).value);
    const entry = list.trainees.find((t) => t.traineeId === a.trainee1)!;
    assert.equal(entry.invite, null);
    assert.equal(entry.devices, 0);
    assert.equal(entry.lastSeenAt, new Date(clock).toISOString(), 'seen until they were closed');
    // Revoking again finds nothing more to do; a new invite works again.
    assert.deepEqual((await ask(desk, 'access.revoke', { traineeId: a.trainee1 })).value, { revokedTokens: 0, cancelledInvites: 0 });
    const fresh = (await ask(desk, 'invite.create', { traineeId: a.trainee1 })).value as { code: string };
    assert.equal((await join(s.port, fresh.code)).status, 200);
  });

  test("another coach's trainee or an unknown id: not_found, nothing revoked", T, async () => {
    const s = await start();
    const a = await coachWorld(s, 'Ana');
    const b = await coachWorld(s, 'Bo');
    const phone = await connect(s.url);
    await phone.hello((await traineeOf(s, a.trainee1)).token);
    const bo = await connect(s.url);
    await bo.hello(b.coachToken);
    const theirs = await ask(bo, 'access.revoke', { traineeId: a.trainee1 });
    const unknown = await ask(bo, 'access.revoke', { traineeId: uuid() });
    assert.equal(theirs.error.code, 'not_found');
    assert.deepEqual(unknown.error, theirs.error);
    await phone.barrier(0);
    assert.ok(phone.isOpen);
    assert.equal(await s.count('tokens', 'user_id = ? AND revoked_at IS NULL', a.trainee1), 1);
  });

  test('the trainee joined by invite sees their rows, live and in catch-up', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const desk = await connect(s.url);
    await desk.hello(a.coachToken, 'desk');
    const { code } = (await ask(desk, 'invite.create', { traineeId: a.trainee1 })).value as { code: string };
    const joined = await join(s.port, code);
    assert.equal(joined.status, 200);
    assert.equal(joined.body.userId, a.trainee1);
    const phone = await connect(s.url);
    const from = phone.messages.length;
    const welcome = await phone.hello(joined.body.token as string, 'phone');
    assert.equal(welcome.userId, a.trainee1);
    assert.equal(welcome.role, 'trainee');
    const rows = phone.since(from).flatMap((m) => (m.type === 'changes' ? (m.rows as Row[]) : []));
    const ids = new Set(rows.map((r) => r.id));
    for (const id of [a.trainee1, a.program, a.workout, a.prescription, a.exercise]) assert.ok(ids.has(id), `sees ${id}`);
    for (const id of [a.trainee2, a.template, a.unusedExercise]) assert.ok(!ids.has(id), `does not see ${id}`);
    const live = phone.messages.length;
    desk.send({ type: 'push', ops: [makeOp({ seq: 1, entity: 'prescription', id: a.prescription, action: 'patch', fields: { sets: 6 }, baseVersion: 7 })] });
    await phone.waitFor('the live change', (m) => m.type === 'changes' && (m.rows as Row[]).some((r) => r.id === a.prescription && r.fields.sets === 6), live);
  });
});

describe('the database', { skip: sqliteOnly('SQLite schema migrations, and two connections to one SQLite file') }, () => {
  test('a schema-1 file opens: tokens gain last_seen_at, invites appear, its tokens still work', T, () => {
    const file = joinPath(tmp.dir, 'old.db');
    const old = new Database(file);
    old.exec(`
      CREATE TABLE users (id TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('coach', 'trainee')), name TEXT, coach_id TEXT, created_at TEXT NOT NULL);
      CREATE TABLE tokens (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), created_at TEXT NOT NULL, revoked_at TEXT);
      INSERT INTO users VALUES ('coach-1', 'coach', 'Ana', NULL, '2026-01-01T00:00:00.000Z');
      INSERT INTO tokens VALUES ('${createHash('sha256').update('old-token').digest('hex')}', 'coach-1', '2026-01-01T00:00:00.000Z', NULL);
      PRAGMA user_version = 1;`);
    old.close();
    const db = openServerDb(file);
    try {
      const columns = (db.prepare(`PRAGMA table_info(tokens)`).all() as Array<{ name: string }>).map((c) => c.name);
      assert.ok(columns.includes('last_seen_at'));
      assert.equal(db.prepare(`SELECT COUNT(*) FROM invites`).pluck().get(), 0);
      assert.equal(authenticate(db, 'old-token')?.id, 'coach-1');
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      db.close();
    }
    // And it opens again (nothing added twice).
    openServerDb(file).close();
  });

  test('store: an invite redeemed through one connection to the file is used for every other; another coach can neither invite nor revoke', T, () => {
    const file = joinPath(tmp.dir, 'race.db');
    const one = openServerDb(file);
    const two = openServerDb(file);
    try {
      const s1 = new CanonicalStore(one);
      const s2 = new CanonicalStore(two);
      const a = seedCoach(one, s1);
      const invite = s1.createInvite(a.coach.id, a.trainee1, new Date(clock))!;
      const results = [s2.redeemInvite(invite.code, new Date(clock)), s1.redeemInvite(invite.code, new Date(clock))];
      assert.deepEqual(
        results.map((r) => (r.ok ? 'ok' : r.reason)),
        ['ok', 'used'],
      );
      assert.equal(one.prepare(`SELECT COUNT(*) FROM tokens WHERE user_id = ?`).pluck().get(a.trainee1), 1);
      // Another coach cannot make an invite for this trainee through the store either.
      const b = seedCoach(one, s1, 'Bo');
      assert.equal(s1.createInvite(b.coach.id, a.trainee1, new Date(clock)), undefined);
      assert.equal(s1.revokeTraineeAccess(b.coach.id, a.trainee1, new Date(clock)), undefined);
    } finally {
      one.close();
      two.close();
    }
  });
});

async function waitForValue<T>(read: () => Promise<T>, want: T, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < timeoutMs) {
    last = await read();
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(last, want);
}
