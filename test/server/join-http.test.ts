// POST /api/join (an invite code for a device token), its rate limit, and the `invite` CLI.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join as joinPath } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { INVITE_TTL_MS, type Row } from '../../protocol/index.ts';
import { RateLimiter, addressKey } from '../../server/rate-limit.ts';
import { openTestStore, startServer, tempDir, type TestServer, type TestStore } from '../helpers.ts';
import { runServerCli, spawnServeWith, killAllChildren } from '../e2e/support.ts';
import { WsPeer, coachWorld, uuid } from './support.ts';

const T = { timeout: 30_000 };
let tmp: { dir: string; cleanup: () => void };
let ts: TestServer | undefined;
/** Stores a test opened for server processes of its own. */
let stores: TestStore[] = [];
let peers: WsPeer[] = [];
let clock = Date.parse('2026-03-01T10:00:00.000Z');

beforeEach(() => {
  tmp = tempDir('coachdesk-join-');
  peers = [];
  clock = Date.parse('2026-03-01T10:00:00.000Z');
});

afterEach(async () => {
  for (const p of peers) p.close();
  await ts?.close();
  ts = undefined;
  killAllChildren();
  for (const store of stores.splice(0)) await store.close();
  tmp.cleanup();
});

async function start(options: Parameters<typeof startServer>[1] = {}): Promise<TestServer> {
  ts = await startServer(tmp.dir, { now: () => clock, ...options });
  return ts;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> | undefined;
}

/** One HTTP request with a raw body and headers as given (no fetch normalisation). */
function http(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const postJoin = (port: number, body: unknown) =>
  http(port, 'POST', '/api/join', typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' });

async function invite(s: TestStore, traineeId: string, coachId: string): Promise<string> {
  return (await s.createInvite(coachId, traineeId, new Date(clock)))!.code;
}

/** A store of the kind under test for server processes (`serve`, the CLI), closed after the test. */
async function storeForProcesses(): Promise<TestStore> {
  const store = await openTestStore(tmp.dir);
  stores.push(store);
  return store;
}

describe('POST /api/join', () => {
  test('a code gives a new device token for the trainee, once; the token works on /sync as that trainee', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const code = await invite(s, a.trainee1, a.coach.id);
    const first = await postJoin(s.port, { code });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(Object.keys(first.json!).sort(), ['token', 'userId']);
    assert.equal(first.json!.userId, a.trainee1);
    assert.match(String(first.json!.token), /^cdt_[A-Za-z0-9_-]{43}$/);
    assert.equal(first.headers['cache-control'], 'no-store');
    assert.match(String(first.headers['content-type']), /^application\/json/);
    assert.equal(first.headers['x-content-type-options'], 'nosniff');
    const second = await postJoin(s.port, { code });
    assert.equal(second.status, 410);
    assert.equal(second.json!.error, 'used');
    assert.match(String(second.json!.message), /already used/);
    assert.equal(second.headers['cache-control'], 'no-store');
    // The token is a trainee's, on /sync.
    const phone = await WsPeer.connect(s.url);
    peers.push(phone);
    const from = phone.messages.length;
    const welcome = await phone.hello(first.json!.token as string, 'phone');
    assert.equal(welcome.role, 'trainee');
    assert.equal(welcome.userId, a.trainee1);
    const rows = phone.since(from).flatMap((m) => (m.type === 'changes' ? (m.rows as Row[]) : []));
    assert.ok(rows.some((r) => r.entity === 'program' && r.id === a.program), 'sees its program');
    assert.ok(!rows.some((r) => r.id === a.trainee2), "does not see another trainee's row");
    // Each device gets its own token: a second invite, a second token.
    const other = await postJoin(s.port, { code: await invite(s, a.trainee1, a.coach.id) });
    assert.equal(other.status, 200);
    assert.notEqual(other.json!.token, first.json!.token);
    assert.equal(await s.count('tokens', 'user_id = ? AND revoked_at IS NULL', a.trainee1), 2);
  });

  test('an invite expires after 7 days: 410 expired', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const created = clock;
    const early = await invite(s, a.trainee1, a.coach.id);
    const late = await invite(s, a.trainee1, a.coach.id);
    clock = created + INVITE_TTL_MS - 1;
    assert.equal((await postJoin(s.port, { code: early })).status, 200, 'valid until its last millisecond');
    clock = created + INVITE_TTL_MS;
    const expired = await postJoin(s.port, { code: late });
    assert.equal(expired.status, 410);
    assert.equal(expired.json!.error, 'expired');
    assert.match(String(expired.json!.message), /expired/);
    assert.equal(await s.count('tokens', 'user_id = ?', a.trainee1), 1);
  });

  test('an invite of a trainee deleted since: 410 cancelled, no token', T, async () => {
    const s = await start();
    const a = await coachWorld(s);
    const code = await invite(s, a.trainee2, a.coach.id);
    await a.desk.pushApplied([a.desk.op('trainee', a.trainee2, 'delete', {}, 0)]);
    const r = await postJoin(s.port, { code });
    assert.equal(r.status, 410);
    assert.equal(r.json!.error, 'cancelled');
    assert.equal(await s.count('tokens', 'user_id = ?', a.trainee2), 0);
  });

  test('unknown codes 404; bodies that are not a code 400; not JSON 415; over 4 KB 413; GET 405', T, async () => {
    const s = await start({ joinRateLimit: { max: 1000, windowMs: 60_000 } });
    const a = await coachWorld(s);
    const real = await invite(s, a.trainee1, a.coach.id);
    const cases: Array<{ answer: Promise<Answer>; status: number; error: string; message?: RegExp }> = [
      { answer: postJoin(s.port, { code: 'A'.repeat(24) }), status: 404, error: 'unknown' },
      { answer: postJoin(s.port, '{"code": '), status: 400, error: 'bad_request', message: /not valid JSON/ },
      { answer: postJoin(s.port, '[1]'), status: 400, error: 'bad_request', message: /JSON object/ },
      { answer: postJoin(s.port, {}), status: 400, error: 'bad_request', message: /code is required/ },
      { answer: postJoin(s.port, { code: 42 }), status: 400, error: 'bad_request', message: /code must be text/ },
      { answer: postJoin(s.port, { code: 'a b<c>' }), status: 400, error: 'bad_request', message: /code must be an invite code/ },
      { answer: http(s.port, 'POST', '/api/join', `code=${real}`, { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, error: 'unsupported_media_type' },
      { answer: http(s.port, 'POST', '/api/join', JSON.stringify({ code: real })), status: 415, error: 'unsupported_media_type' },
      {
        answer: postJoin(s.port, { code: real, padding: 'x'.repeat(4100) }),
        status: 413,
        error: 'too_large',
      },
      {
        // Chunked, no content-length: cut off while it arrives.
        answer: http(s.port, 'POST', '/api/join', JSON.stringify({ code: real, padding: 'x'.repeat(5000) }), {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        }),
        status: 413,
        error: 'too_large',
      },
      { answer: http(s.port, 'GET', '/api/join'), status: 405, error: 'method_not_allowed' },
    ];
    const answers = await Promise.all(cases.map((c) => c.answer));
    answers.forEach((answer, i) => {
      const c = cases[i]!;
      assert.equal(answer.status, c.status, `case ${i}: ${answer.text}`);
      assert.equal(answer.json?.error, c.error, `case ${i}`);
      assert.equal(typeof answer.json?.message, 'string', `case ${i}`);
      if (c.message) assert.match(String(answer.json!.message), c.message, `case ${i}`);
      assert.equal(answer.headers['cache-control'], 'no-store', `case ${i}`);
    });
    assert.equal(answers.at(-1)!.headers.allow, 'POST');
    // None of them used the real code; a whole pasted link works too.
    const pasted = await postJoin(s.port, { code: ` http://127.0.0.1:${s.port}/join#${real} ` });
    assert.equal(pasted.status, 200, pasted.text);
  });

  test('concurrent joins with one code: exactly one 200, the others 410 used, one token', T, async () => {
    const s = await start({ joinRateLimit: { max: 100, windowMs: 60_000 } });
    const a = await coachWorld(s);
    const code = await invite(s, a.trainee1, a.coach.id);
    const answers = await Promise.all(Array.from({ length: 12 }, () => postJoin(s.port, { code })));
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, ...Array<number>(11).fill(410)]);
    assert.ok(answers.filter((r) => r.status === 410).every((r) => r.json!.error === 'used'));
    assert.equal(await s.count('tokens', 'user_id = ?', a.trainee1), 1);
  });

  test('concurrent joins with one code against two server processes on one database: exactly one wins', T, async () => {
    const store = await storeForProcesses();
    const a = await coachWorld(store);
    const code = (await store.createInvite(a.coach.id, a.trainee1, new Date()))!.code;
    const [one, two] = await Promise.all([spawnServeWith(store.cliArgs), spawnServeWith(store.cliArgs)]);
    const port = (url: string) => Number(new URL(url).port);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => postJoin(port(i % 2 ? one!.url : two!.url), { code })));
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 410, 410, 410, 410, 410, 410, 410]);
  });

  test('rate limited per address: after the limit 429 with Retry-After; successful joins do not count; the window passes', T, async () => {
    const s = await start({ joinRateLimit: { max: 3, windowMs: 600_000 } });
    const a = await coachWorld(s);
    // Successful joins (a gym's trainees on one network) are not counted.
    for (let i = 0; i < 5; i++) assert.equal((await postJoin(s.port, { code: await invite(s, a.trainee1, a.coach.id) })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await postJoin(s.port, { code: `wrong${i}`.padEnd(24, 'x') })).status, 404);
    const valid = await invite(s, a.trainee1, a.coach.id);
    const limited = await postJoin(s.port, { code: valid });
    assert.equal(limited.status, 429);
    assert.equal(limited.json!.error, 'rate_limited');
    assert.equal(limited.headers['retry-after'], '600');
    clock += 300_000;
    assert.equal((await postJoin(s.port, { code: valid })).headers['retry-after'], '300');
    clock += 300_001;
    assert.equal((await postJoin(s.port, { code: valid })).status, 200, 'allowed again once the window passed');
  });
});

describe('the rate limiter', () => {
  test('counts per key: one address limited, another not; the table of addresses stays bounded', () => {
    let now = 0;
    const limiter = new RateLimiter({ max: 2, windowMs: 1000, maxKeys: 100, now: () => now });
    limiter.hit('1.2.3.4');
    limiter.hit('1.2.3.4');
    assert.deepEqual(limiter.check('1.2.3.4'), { ok: false, retryAfterSec: 1 });
    assert.deepEqual(limiter.check('5.6.7.8'), { ok: true });
    limiter.refund('1.2.3.4');
    assert.deepEqual(limiter.check('1.2.3.4'), { ok: true });
    for (let i = 0; i < 10_000; i++) limiter.hit(`10.0.${i >> 8}.${i & 255}`);
    assert.ok(limiter.size <= 100, `${limiter.size} keys`);
    now = 1001;
    assert.deepEqual(limiter.check('10.0.39.15'), { ok: true });
  });

  test('addresses: IPv4 mapped into IPv6 is IPv4; IPv6 counts by its /64', () => {
    assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(addressKey('10.1.2.3'), '10.1.2.3');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:0db8:0001:0002:bbbb:cccc:dddd:eeee'));
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey(undefined), 'unknown');
  });
});

describe('the invite CLI', () => {
  test('prints one line of JSON: code, url = base + /join# + code, expiresAt; the code joins', T, async () => {
    const store = await storeForProcesses();
    const a = await coachWorld(store);
    const before = Date.now();
    const [plain, based, owned] = await Promise.all([
      runServerCli(['invite', ...store.cliArgs, '--trainee', a.trainee1]),
      runServerCli(['invite', ...store.cliArgs, '--trainee', a.trainee1, '--base-url', 'https://coach.example.com/app/']),
      runServerCli(['invite', ...store.cliArgs, '--trainee', a.trainee2, '--coach', a.coach.id]),
    ]);
    const LINE = /^\{"code":"([A-Za-z0-9_-]{22,})","url":"([^"]+)","expiresAt":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"\}\n$/;
    for (const [result, base] of [
      [plain, 'http://127.0.0.1:8787'],
      [based, 'https://coach.example.com/app'],
      [owned, 'http://127.0.0.1:8787'],
    ] as const) {
      assert.equal(result.code, 0, result.stderr);
      const m = LINE.exec(result.stdout);
      assert.ok(m, `one line of JSON: ${JSON.stringify(result.stdout)}`);
      const [, code, url, expiresAt] = m;
      assert.equal(url, `${base}/join#${code}`);
      assert.ok(Buffer.from(code!, 'base64url').length >= 16);
      const ttl = Date.parse(expiresAt!) - before;
      assert.ok(ttl >= INVITE_TTL_MS && ttl < INVITE_TTL_MS + 60_000, `expires in 7 days (${ttl} ms)`);
    }
    // The printed code joins on a server over the same store.
    const server = await spawnServeWith(store.cliArgs);
    const port = Number(new URL(server.url).port);
    const code = LINE.exec(plain.stdout)![1]!;
    const joined = await postJoin(port, { code });
    assert.equal(joined.status, 200, joined.text);
    assert.equal(joined.json!.userId, a.trainee1);
  });

  test('a bad base URL is a usage error naming it (exit 2); an unknown trainee or another coach is one line (exit 1)', T, async () => {
    const store = await storeForProcesses();
    const a = await coachWorld(store);
    const [ftp, junk, missing, unknown, wrongCoach, noDb] = await Promise.all([
      runServerCli(['invite', ...store.cliArgs, '--trainee', a.trainee1, '--base-url', 'ftp://example.com']),
      runServerCli(['invite', ...store.cliArgs, '--trainee', a.trainee1, '--base-url', 'not a url']),
      runServerCli(['invite', ...store.cliArgs]),
      runServerCli(['invite', ...store.cliArgs, '--trainee', uuid()]),
      runServerCli(['invite', ...store.cliArgs, '--trainee', a.trainee1, '--coach', uuid()]),
      runServerCli(['invite', '--db', joinPath(tmp.dir, 'none.db'), '--trainee', a.trainee1]),
    ]);
    assert.equal(ftp.code, 2);
    assert.match(ftp.stderr, /--base-url must be an http\(s\) URL .*"ftp:\/\/example\.com"/);
    assert.equal(junk.code, 2);
    assert.match(junk.stderr, /--base-url .*"not a url"/);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--trainee <traineeId> is required/);
    for (const [result, message] of [
      [unknown, /^error: no trainee with id [0-9a-f-]+: .*\n$/],
      [wrongCoach, /^error: trainee [0-9a-f-]+ is not a trainee of coach [0-9a-f-]+\n$/],
      [noDb, /^error: no database at .*none\.db\n$/],
    ] as const) {
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
    assert.equal(await store.count('invites'), 0, 'no invite was made');
  });
});
