// TLS: the sync server on wss:// and the trainee app on https://, with a certificate made for the
// test; `serve --tls-cert --tls-key` takes both or neither and names what is wrong.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { openTestStore, sqliteOnly, startServer, tempDir } from '../helpers.ts';
import { killAllChildren, runServerCli, sleep, spawnTs, within } from '../e2e/support.ts';
import { makeOp, uuid, type Msg } from './support.ts';

const T = { timeout: 30_000 };
let tmp: { dir: string; cleanup: () => void };
let certFile: string;
let keyFile: string;
let cert: Buffer;
let key: Buffer;
let appDir: string;

before(() => {
  tmp = tempDir('coachdesk-ops-tls-');
  certFile = join(tmp.dir, 'cert.pem');
  keyFile = join(tmp.dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore', timeout: 20_000 },
  );
  cert = readFileSync(certFile);
  key = readFileSync(keyFile);
  appDir = join(tmp.dir, 'app');
  mkdirSync(appDir);
  writeFileSync(join(appDir, 'index.html'), '<!doctype html><title>CoachDesk</title>');
});
after(() => {
  killAllChildren();
  tmp.cleanup();
});

/** A GET over https that trusts only the test's certificate. */
function fetchTls(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca: cert, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Opens wss:// trusting the test's certificate, says hello, and resolves with the frames up to the catch-up's `synced`. */
async function helloOverTls(url: string, token: string): Promise<{ ws: WebSocket; frames: Msg[] }> {
  const ws = new WebSocket(url, { ca: cert, handshakeTimeout: 5000 });
  const frames: Msg[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Msg));
  await within('the wss connection to open', 5000, new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)));
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, token, clientId: `tls-${uuid().slice(0, 8)}`, lastVersion: 0 }));
  for (let i = 0; i < 500 && !frames.some((m) => m.type === 'synced' || m.type === 'error'); i++) await sleep(10);
  return { ws, frames };
}

describe('TLS', () => {
  test('the server takes a certificate: hello over wss://, pushes acked, /healthz and the app over https://, invite links in https://', T, async () => {
    const ts = await startServer(tmp.dir, { tls: { cert, key }, appDir, logger: { level: 'silent' } });
    try {
      assert.match(ts.url, /^wss:\/\/127\.0\.0\.1:\d+\/sync$/);
      const coach = await ts.newCoach();
      const { ws, frames } = await helloOverTls(ts.url, coach.token);
      try {
        assert.equal(frames[0]!.type, 'welcome', JSON.stringify(frames[0]));
        assert.equal(frames[0]!.userId, coach.userId);
        const traineeId = uuid();
        ws.send(JSON.stringify({ type: 'push', ops: [makeOp({ seq: 1, entity: 'trainee', id: traineeId, action: 'put', fields: { coachId: coach.userId, name: 'Ben' } })] }));
        ws.send(JSON.stringify({ type: 'request', requestId: 'r1', method: 'invite.create', params: { traineeId } }));
        for (let i = 0; i < 500 && !frames.some((m) => m.type === 'response'); i++) await sleep(10);
        assert.equal(frames.find((m) => m.type === 'ack')?.status, 'applied');
        assert.match(frames.find((m) => m.type === 'response')?.value?.url as string, new RegExp(`^https://127\\.0\\.0\\.1:${ts.port}/join#`));
      } finally {
        ws.terminate();
      }
      assert.deepEqual(await fetchTls(`https://127.0.0.1:${ts.port}/healthz`), { status: 200, body: 'ok\n' });
      assert.deepEqual(await fetchTls(`https://127.0.0.1:${ts.port}/readyz`), { status: 200, body: 'ready\n' });
      const page = await fetchTls(`https://127.0.0.1:${ts.port}/today`);
      assert.equal(page.status, 200);
      assert.match(page.body, /<title>CoachDesk<\/title>/);
      // Not a certificate the client trusts: refused.
      await assert.rejects(
        new Promise((resolve, reject) => httpsGet(`https://127.0.0.1:${ts.port}/healthz`, { timeout: 5000 }, resolve).on('error', reject)),
        /self-signed certificate/,
      );
    } finally {
      await ts.close();
    }
  });

  test('serve --tls-cert --tls-key: both or neither, each file readable, a certificate and its key; each mistake named, exit 2, no database', { timeout: 120_000, skip: sqliteOnly('usage errors of serve, checked before any store is opened: asserts that no SQLite file appears') }, async () => {
    const db = join(tmp.dir, 'refused.db');
    const garbage = join(tmp.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate');
    const missing = join(tmp.dir, 'nowhere.pem');
    const cases: Array<{ args: string[]; message: RegExp }> = [
      { args: ['--tls-cert', certFile], message: /error: --tls-key FILE is required with --tls-cert/ },
      { args: ['--tls-key', keyFile], message: /error: --tls-cert FILE is required with --tls-key/ },
      { args: ['--tls-cert', missing, '--tls-key', keyFile], message: new RegExp(`error: cannot read --tls-cert ${missing}: ENOENT`) },
      { args: ['--tls-cert', certFile, '--tls-key', missing], message: new RegExp(`error: cannot read --tls-key ${missing}: ENOENT`) },
      { args: ['--tls-cert', garbage, '--tls-key', keyFile], message: /error: --tls-cert .*garbage\.pem and --tls-key .*key\.pem are not a PEM certificate and its private key/ },
      { args: ['--tls-cert', certFile, '--tls-key', certFile], message: /are not a PEM certificate and its private key/ },
    ];
    // One at a time: a loaded machine starts six TypeScript processes at once slowly.
    for (const c of cases) {
      const r = await runServerCli(['serve', '--db', db, '--port', '0', '--app-dir', appDir, ...c.args], 30_000);
      assert.equal(r.code, 2, `${c.args.join(' ')} exited ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, c.message);
      assert.match(r.stderr, /--tls-cert cert\.pem --tls-key key\.pem/, 'the usage names the flags');
    }
    assert.equal(existsSync(db), false);
  });

  test('serve with a certificate prints its wss:// URL and answers over https://', T, async () => {
    const store = await openTestStore(tmp.dir);
    const child = spawnTs('server/cli.ts', ['serve', ...store.cliArgs, '--port', '0', '--app-dir', appDir, '--tls-cert', certFile, '--tls-key', keyFile]);
    try {
      let url: string | undefined;
      for (let i = 0; i < 300 && !url; i++) {
        url = /listening (wss:\/\/127\.0\.0\.1:\d+\/sync)/.exec(child.stdout())?.[1];
        if (!url) await sleep(50);
      }
      assert.ok(url, `serve printed no wss:// URL: ${child.stderr()}`);
      const port = new URL(url).port;
      assert.deepEqual(await fetchTls(`https://127.0.0.1:${port}/healthz`), { status: 200, body: 'ok\n' });
      child.proc.kill('SIGTERM');
      assert.equal((await within('serve to exit after SIGTERM', 10_000, child.exited)).code, 0);
    } finally {
      await child.kill9();
      await store.close();
    }
  });
});
