// The sync server's log: JSON lines, each connection's under its own short id, and never a token
// (nor its hash, nor an invite code), whatever the session did.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../server/auth.ts';
import { joinWithCode, startServer, tempDir } from '../helpers.ts';
import { WsPeer, makeOp, uuid, type Msg } from './support.ts';

const T = { timeout: 30_000 };
let tmp: { dir: string; cleanup: () => void };
before(() => (tmp = tempDir('coachdesk-ops-logs-')));
after(() => tmp.cleanup());

interface Line {
  level: number;
  msg: string;
  conn?: string;
  userId?: string;
  role?: string;
  code?: number;
  [field: string]: unknown;
}

async function ask(peer: WsPeer, method: string, params: unknown): Promise<Msg> {
  const requestId = uuid();
  const from = peer.messages.length;
  peer.send({ type: 'request', requestId, method, params });
  const at = await peer.waitFor(`response to ${method}`, (m) => m.type === 'response' && m.requestId === requestId, from);
  return peer.messages[at]!;
}

describe('the log', () => {
  test('a session with tokens (signing in, pushing, a join, a wrong token, a revocation) logs no token, hash or code; each connection has its id', T, async () => {
    const raw: string[] = [];
    const ts = await startServer(tmp.dir, { logger: { level: 'trace', destination: { write: (line: string) => void raw.push(line) } } });
    const peers: WsPeer[] = [];
    const connect = async () => {
      const peer = await WsPeer.connect(ts.url);
      peers.push(peer);
      return peer;
    };
    const coach = await ts.newCoach('Ana');
    const wrongToken = randomBytes(32).toString('base64url');
    let traineeToken = '';
    let code = '';
    const traineeId = uuid();
    try {
      const desk = await connect();
      await desk.hello(coach.token, 'desk');
      desk.send({ type: 'push', ops: [makeOp({ seq: 1, entity: 'trainee', id: traineeId, action: 'put', fields: { coachId: coach.userId, name: 'Ben' } })] });
      await desk.waitFor('the ack', (m) => m.type === 'ack');

      const invite = await ask(desk, 'invite.create', { traineeId });
      code = invite.value.code as string;
      const joined = await joinWithCode(`http://127.0.0.1:${ts.port}`, code);
      assert.equal(joined.status, 200);
      traineeToken = joined.body.token!;
      const phone = await connect();
      await phone.hello(traineeToken, 'phone');

      const stranger = await connect();
      stranger.send({ type: 'hello', protocol: 1, token: wrongToken, clientId: 'stranger', lastVersion: 0 });
      assert.equal((await stranger.waitClose()).code, 4401);

      assert.equal((await ask(desk, 'access.revoke', { traineeId })).ok, true);
      assert.equal((await phone.waitClose()).code, 4401);
    } finally {
      for (const p of peers) p.close();
      await ts.close();
    }

    const text = raw.join('');
    for (const [what, secret] of [
      ["the coach's token", coach.token],
      ["the trainee's token", traineeToken],
      ['the wrong token', wrongToken],
      ["the coach's token hash", hashToken(coach.token)],
      ["the trainee's token hash", hashToken(traineeToken)],
      ["the wrong token's hash", hashToken(wrongToken)],
      ['the invite code', code],
    ] as const) {
      assert.ok(secret.length >= 20, `${what} is known to the test`);
      assert.equal(text.includes(secret), false, `${what} is in the log`);
    }

    const lines = raw.map((l) => JSON.parse(l) as Line);
    const byConn = new Map<string, Line[]>();
    for (const line of lines) if (line.conn) byConn.set(line.conn, [...(byConn.get(line.conn) ?? []), line]);
    assert.equal(byConn.size, 3, 'three connections, three ids');
    for (const [id, own] of byConn) {
      assert.match(id, /^[0-9a-f]{8}$/);
      assert.equal(own[0]!.msg, 'connected');
      assert.equal(own.at(-1)!.msg, 'closed');
      assert.equal(typeof own.at(-1)!.code, 'number');
    }
    const conns = [...byConn.values()];
    const hello = (role: string) => conns.find((own) => own.some((l) => l.msg === 'hello accepted' && l.role === role));
    const desk = hello('coach')!;
    const phone = hello('trainee')!;
    assert.ok(desk.find((l) => l.msg === 'hello accepted')!.userId === coach.userId);
    assert.ok(phone.find((l) => l.msg === 'hello accepted')!.userId === traineeId);
    assert.ok(phone.some((l) => l.msg === 'token revoked: closing' && l.userId === traineeId));
    assert.equal(phone.at(-1)!.code, 4401);
    const stranger = conns.find((own) => own !== desk && own !== phone)!;
    assert.ok(stranger.some((l) => l.msg === 'hello refused: unknown or revoked token'));
    assert.equal(stranger.at(-1)!.code, 4401);
  });

  test('silent logs nothing; the older log option still gets each line', T, async () => {
    const lines: string[] = [];
    const quiet = await startServer(tmp.dir, { logger: { level: 'silent' }, log: (line) => lines.push(`quiet ${line}`) });
    const loud = await startServer(tmp.dir, { log: (line) => lines.push(line) });
    const peers = [await WsPeer.connect(quiet.url), await WsPeer.connect(loud.url)];
    for (const p of peers) p.close();
    await quiet.close();
    await loud.close();
    assert.deepEqual(lines.filter((l) => l.startsWith('quiet')), []);
    assert.ok(lines.some((l) => (JSON.parse(l) as Line).msg === 'connected'));
  });
});
