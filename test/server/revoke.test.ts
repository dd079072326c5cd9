// revoke-token takes effect at once: on connections already open, not only at the next hello.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Row } from '../../protocol/index.ts';
import { openTestStore, startServer, tempDir, type TestServer, type TestStore } from '../helpers.ts';
import { runServerCli, spawnServeWith, killAllChildren } from '../e2e/support.ts';
import { WsPeer, coachWorld, makeOp, uuid } from './support.ts';

let tmp: { dir: string; cleanup: () => void };
let ts: TestServer | undefined;
let store: TestStore | undefined;
let peers: WsPeer[] = [];

async function connect(url: string): Promise<WsPeer> {
  const peer = await WsPeer.connect(url);
  peers.push(peer);
  return peer;
}

beforeEach(() => {
  tmp = tempDir('coachdesk-revoke-');
  peers = [];
});

afterEach(async () => {
  for (const p of peers) p.close();
  await ts?.close();
  ts = undefined;
  killAllChildren();
  await store?.close();
  store = undefined;
  tmp.cleanup();
});

describe('a revoked token', () => {
  test('closes its open connections with 4401 by itself; the same user’s other token and other users stay connected', async () => {
    ts = await startServer(tmp.dir, { revocationCheckMs: 50 });
    const a = await coachWorld(ts, 'Ana');
    const b = await coachWorld(ts, 'Bo');
    const laptop = await connect(ts.url);
    await laptop.hello(a.coachToken, 'laptop');
    const other = await connect(ts.url);
    await other.hello(b.coachToken, 'bo-laptop');
    const from = laptop.messages.length;
    assert.equal(await ts.revokeElsewhere({ token: a.coachToken }), 1);
    const closed = await laptop.waitClose(2000);
    assert.equal(closed.code, 4401);
    const error = laptop.since(from).find((m) => m.type === 'error');
    assert.equal(error?.code, 'unauthorized');
    assert.match(String(error?.message), /revoked/);
    assert.ok(other.isOpen, "another user's connection stays open");
    // And the token cannot sign in again.
    const again = await connect(ts.url);
    again.send({ type: 'hello', protocol: 1, token: a.coachToken, clientId: 'laptop', lastVersion: 0 });
    assert.equal((await again.waitClose(2000)).code, 4401);
  });

  test('its next push is refused at once, before any periodic check, and nothing of it is applied', async () => {
    ts = await startServer(tmp.dir, { revocationCheckMs: 60_000 });
    const a = await coachWorld(ts, 'Ana');
    const laptop = await connect(ts.url);
    await laptop.hello(a.coachToken, 'laptop');
    const before = await ts.version();
    await ts.revokeElsewhere({ userId: a.coach.id });
    const from = laptop.messages.length;
    laptop.send({ type: 'push', ops: [makeOp({ seq: 1, entity: 'trainee', id: uuid(), action: 'put', fields: { coachId: a.coach.id, name: 'Late' } })] });
    assert.equal((await laptop.waitClose(2000)).code, 4401);
    assert.ok(!laptop.since(from).some((m) => m.type === 'ack' || m.type === 'changes'), 'no ack, no changes');
    assert.equal(await ts.version(), before, 'nothing applied');
    assert.equal(await ts.nextSeq(a.coach.id, 'laptop'), 1);
  });

  test('a revoked phone is closed before the next change is sent, and never gets it', async () => {
    ts = await startServer(tmp.dir, { revocationCheckMs: 60_000 });
    const a = await coachWorld(ts, 'Ana');
    const phoneToken = (await ts.newTraineeToken(a.trainee1)).token;
    const phone = await connect(ts.url);
    await phone.hello(phoneToken, 'phone');
    const desk = await connect(ts.url);
    await desk.hello(a.coachToken, 'desk');
    await ts.revokeElsewhere({ token: phoneToken });
    // The coach's next push is the first frame after the revocation: the phone is closed before it is answered.
    const from = desk.messages.length;
    desk.send({ type: 'push', ops: [makeOp({ seq: 1, entity: 'prescription', id: a.prescription, action: 'patch', fields: { sets: 6 }, baseVersion: 7 })] });
    await desk.waitFor('ack', (m) => m.type === 'ack', from);
    assert.equal((await phone.waitClose(2000)).code, 4401);
    const got = phone.messages.some((m) => m.type === 'changes' && (m.rows as Row[]).some((r) => r.id === a.prescription && r.fields.sets === 6));
    assert.ok(!got, 'the revoked phone never got the change');
  });

  test('revoke-token in the CLI, another process, closes a connection to the running server process', async () => {
    store = await openTestStore(tmp.dir);
    const coach = await store.newCoach('Ana');
    const server = await spawnServeWith(store.cliArgs);
    const laptop = await connect(server.url);
    await laptop.hello(coach.token, 'laptop');
    const out = await runServerCli(['revoke-token', ...store.cliArgs, `--token=${coach.token}`]);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.json, { revoked: 1 });
    assert.equal((await laptop.waitClose(3000)).code, 4401);
  });
});
