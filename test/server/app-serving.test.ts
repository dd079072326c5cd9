// The trainee app's files on the sync server's port: routes, content types, caching, CSP, no
// way out of the folder, 503 before it is built; `serve` building it when missing.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { APP_CSP } from '../../server/http-app.ts';
import { openTestStore, startServer, tempDir, type TestServer, type TestStore } from '../helpers.ts';
import { ROOT, killAllChildren, sleep, spawnTs, type Child } from '../e2e/support.ts';
import { WsPeer, coachWorld } from './support.ts';

const T = { timeout: 30_000 };
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with the path sent exactly as written (no normalisation of "..", "%2e"). */
function get(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const INDEX = '<!doctype html><title>CoachDesk</title><script type="module" src="/app-5XJ2KQ7M.js"></script>';

/** A built app: what scripts/build-trainee.mjs would write, in small. */
function writeApp(dir: string): void {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(dir, 'app-5XJ2KQ7M.js'), 'console.log("app");');
  writeFileSync(join(dir, 'app-5XJ2KQ7M.js.map'), '{"version":3}');
  writeFileSync(join(dir, 'style.css'), 'body{}');
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"CoachDesk"}');
  writeFileSync(join(dir, 'data.json'), '{}');
  writeFileSync(join(dir, 'assets', 'sqlite-A1B2C3D4.wasm'), Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]));
  writeFileSync(join(dir, 'assets', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'assets', 'icon.png'), Buffer.from([137, 80, 78, 71]));
  writeFileSync(join(dir, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
  writeFileSync(join(dir, 'notes.xyz'), 'an extension the server does not serve');
  writeFileSync(join(dir, '.env'), 'SECRET=1');
}

let tmp: { dir: string; cleanup: () => void };
let ts: TestServer | undefined;
let appDir: string;

describe('the trainee app on the sync port', () => {
  before(async () => {
    tmp = tempDir('coachdesk-app-');
    appDir = join(tmp.dir, 'dist', 'trainee');
    writeApp(appDir);
    writeFileSync(join(tmp.dir, 'dist', 'secret.txt'), 'outside the app');
    writeFileSync(join(tmp.dir, 'dist', 'trainee-secret.js'), 'outside the app, same prefix');
    symlinkSync(join(tmp.dir, 'dist', 'secret.txt'), join(appDir, 'link.txt'));
    ts = await startServer(tmp.dir, { appDir });
  });
  after(async () => {
    await ts?.close();
    tmp.cleanup();
  });

  test('the CSP served is exactly the policy asked for', () => {
    assert.equal(APP_CSP, CSP);
  });

  test('/, /join and every route without an extension answer index.html, uncached, with the CSP', T, async () => {
    for (const path of ['/', '/join', '/join?x=1', '/today', '/history', '/program', '/program/3', '/join/']) {
      const r = await get(ts!.port, path);
      assert.equal(r.status, 200, path);
      assert.equal(r.body.toString(), INDEX, path);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', path);
      assert.equal(r.headers['content-security-policy'], CSP, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['cache-control'], 'no-cache', path);
    }
  });

  test('files by extension with their content types; sw.js and index.html no-cache, hashed assets cached for good', T, async () => {
    const cases: Array<[string, string, string]> = [
      ['/index.html', 'text/html; charset=utf-8', 'no-cache'],
      ['/sw.js', 'text/javascript; charset=utf-8', 'no-cache'],
      ['/app-5XJ2KQ7M.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
      ['/app-5XJ2KQ7M.js.map', 'application/json; charset=utf-8', 'no-cache'],
      ['/style.css', 'text/css; charset=utf-8', 'no-cache'],
      ['/manifest.webmanifest', 'application/manifest+json', 'no-cache'],
      ['/data.json', 'application/json; charset=utf-8', 'no-cache'],
      ['/assets/sqlite-A1B2C3D4.wasm', 'application/wasm', 'public, max-age=31536000, immutable'],
      ['/assets/icon.svg', 'image/svg+xml', 'no-cache'],
      ['/assets/icon.png', 'image/png', 'no-cache'],
      ['/favicon.ico', 'image/x-icon', 'no-cache'],
    ];
    for (const [path, type, cache] of cases) {
      const r = await get(ts!.port, path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], type, path);
      assert.equal(r.headers['cache-control'], cache, path);
      assert.equal(r.headers['content-security-policy'], CSP, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    }
    const wasm = await get(ts!.port, '/assets/sqlite-A1B2C3D4.wasm');
    assert.deepEqual([...wasm.body], [0, 97, 115, 109, 1, 0, 0, 0]);
  });

  test('no path leaves the folder, and hidden or unknown files are not served: 404', T, async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%5c..%5csecret.txt',
      '/..%252fsecret.txt',
      '/%00/secret.txt',
      '/.env',
      '/%2eenv',
      '/link.txt',
      '/../trainee-secret.js',
      '/%2e%2e/trainee-secret.js',
      '/notes.xyz',
      '/missing.js',
      '/assets/missing.png',
    ]) {
      const r = await get(ts!.port, path);
      assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
      assert.ok(!r.body.toString().includes('outside the app'), path);
      assert.ok(!r.body.toString().includes('SECRET'), path);
      assert.equal(r.headers['content-security-policy'], CSP, path);
    }
  });

  test('HEAD has the headers without a body; other methods 405; ETag revalidates with 304', T, async () => {
    const head = await get(ts!.port, '/sw.js', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-type'], 'text/javascript; charset=utf-8');
    const post = await get(ts!.port, '/', 'POST');
    assert.equal(post.status, 405);
    const first = await get(ts!.port, '/');
    const again = await get(ts!.port, '/', 'GET', { 'if-none-match': String(first.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });

  test('/sync without an upgrade answers 426 as before; /healthz ok; other /api paths 404 JSON', T, async () => {
    const sync = await get(ts!.port, '/sync');
    assert.equal(sync.status, 426);
    assert.equal(sync.body.toString(), 'CoachDesk sync: connect with a WebSocket to /sync\n');
    const health = await get(ts!.port, '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body.toString().trim(), 'ok');
    const api = await get(ts!.port, '/api/nothing');
    assert.equal(api.status, 404);
    assert.equal(JSON.parse(api.body.toString()).error, 'not_found');
  });

  test('/sync upgrades as before beside the app', T, async () => {
    const a = await coachWorld(ts!);
    const peer = await WsPeer.connect(ts!.url);
    try {
      const welcome = await peer.hello(a.coachToken);
      assert.equal(welcome.role, 'coach');
    } finally {
      peer.close();
    }
  });
});

describe('without a built app', () => {
  test('/ and the routes answer 503 saying to run npm run build:trainee; /sync works', T, async () => {
    const dir = tempDir('coachdesk-noapp-');
    const s = await startServer(dir.dir, { appDir: join(dir.dir, 'nothing-here') });
    try {
      for (const path of ['/', '/join', '/today']) {
        const r = await get(s.port, path);
        assert.equal(r.status, 503, path);
        const text = r.body.toString();
        assert.match(text, /npm run build:trainee/);
        assert.equal(text.trim().split('\n').length, 1, 'one line');
      }
      assert.equal((await get(s.port, '/app.js')).status, 404);
      const a = await coachWorld(s);
      const peer = await WsPeer.connect(s.url);
      await peer.hello(a.coachToken);
      peer.close();
    } finally {
      await s.close();
      dir.cleanup();
    }
  });
});

/** Chromium for the browser check: the system's, or none (the test then says it was skipped). */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

describe('in a real browser', () => {
  test(
    "a page of the app joins with the code in its URL's fragment and opens ws:// to /sync under connect-src 'self'; another origin is blocked",
    { timeout: 60_000, skip: CHROMIUM ? false : 'no Chromium on this machine' },
    async () => {
      const dir = tempDir('coachdesk-browser-');
      const app = join(dir.dir, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'index.html'), '<!doctype html><title>loading</title><script src="/app.js"></script>');
      writeFileSync(
        join(app, 'app.js'),
        `(async () => {
          const blocked = new Promise((ok) => document.addEventListener('securitypolicyviolation', (e) => ok(e.blockedURI), { once: true }));
          try { new WebSocket('ws://localhost:9/elsewhere'); } catch (e) {}
          const res = await fetch('/api/join', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: location.hash.slice(1) }) });
          const { token } = await res.json();
          const ws = new WebSocket('ws://' + location.host + '/sync');
          const welcome = await new Promise((ok, fail) => {
            ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, token, clientId: 'browser', lastVersion: 0 }));
            ws.onmessage = (e) => { const m = JSON.parse(e.data); if (m.type === 'welcome') ok(m); };
            ws.onerror = () => fail(new Error('ws error'));
          });
          window.result = { role: welcome.role, userId: welcome.userId, blocked: await blocked };
        })().catch((e) => { window.result = { error: String(e) }; });`,
      );
      const s = await startServer(dir.dir, { appDir: app });
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'], timeout: 30_000 });
      try {
        const a = await coachWorld(s);
        const code = (await s.createInvite(a.coach.id, a.trainee1, new Date()))!.code;
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${s.port}/join#${code}`);
        await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 15_000 });
        const result = await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
        assert.equal(result.error, undefined, String(result.error));
        assert.equal(result.role, 'trainee');
        assert.equal(result.userId, a.trainee1);
        assert.match(String(result.blocked), /^ws:\/\/localhost:9/, 'a WebSocket to another origin is blocked by the policy');
      } finally {
        await browser.close();
        await s.close();
        dir.cleanup();
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// `serve` builds the app when it is missing. Run on a copy of the server's code, so that its
// <repo> is a temporary folder whose scripts/build-trainee.mjs the test writes.

describe('serve and the app build', () => {
  let repo: { dir: string; cleanup: () => void };
  const children: Child[] = [];
  const stores: TestStore[] = [];

  before(() => {
    repo = tempDir('coachdesk-repo-');
    for (const folder of ['server', 'protocol']) cpSync(join(ROOT, folder), join(repo.dir, folder), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(repo.dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(repo.dir, 'node_modules'));
  });
  afterEach(async () => {
    killAllChildren();
    for (const store of stores.splice(0)) await store.close();
  });
  after(() => {
    killAllChildren();
    repo.cleanup();
  });

  /** Starts `serve` in the copy on a new store; resolves with its port once it listens, and what it said on stderr. */
  async function serve(): Promise<{ port: number; stderr: () => string }> {
    const store = await openTestStore(repo.dir);
    stores.push(store);
    const child = spawnTs(join(repo.dir, 'server', 'cli.ts'), ['serve', ...store.cliArgs, '--port', '0']);
    children.push(child);
    for (let i = 0; i < 600; i++) {
      const m = /listening ws:\/\/127\.0\.0\.1:(\d+)\/sync/.exec(child.stdout());
      if (m) return { port: Number(m[1]), stderr: child.stderr };
      if (child.proc.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`serve did not listen: ${child.stderr()}`);
  }

  const script = (body: string) => {
    mkdirSync(join(repo.dir, 'scripts'), { recursive: true });
    writeFileSync(join(repo.dir, 'scripts', 'build-trainee.mjs'), body);
  };

  test('without the build script: one line, and /sync is served; the app answers 503', T, async () => {
    const s = await serve();
    assert.match(s.stderr(), /scripts\/build-trainee\.mjs is missing/);
    assert.equal(s.stderr().split('\n').filter((l) => /trainee app/.test(l)).length, 1);
    assert.equal((await get(s.port, '/')).status, 503);
    assert.equal((await get(s.port, '/sync')).status, 426);
  });

  test('a build script that fails: one line, and /sync is served', T, async () => {
    script('console.log("building"); process.exit(3);');
    const s = await serve();
    assert.match(s.stderr(), /the trainee app could not be built \(it exited with 3\)/);
    assert.equal((await get(s.port, '/')).status, 503);
    assert.ok(!existsSync(join(repo.dir, 'dist', 'trainee.build-lock')), 'the lock is gone');
  });

  test('a missing app is built before listening; a built one is not built again', T, async () => {
    script(`
      import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
      mkdirSync('dist/trainee', { recursive: true });
      writeFileSync('dist/trainee/index.html', '<!doctype html><title>built</title>');
      appendFileSync('builds.log', 'built\\n');
      console.log('build output goes to stderr');`);
    const s = await serve();
    const r = await get(s.port, '/join');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), '<!doctype html><title>built</title>');
    assert.match(s.stderr(), /build output goes to stderr/);
    await serve();
    assert.equal(readdirSync(repo.dir).includes('builds.log'), true);
    const { readFileSync } = await import('node:fs');
    assert.equal(readFileSync(join(repo.dir, 'builds.log'), 'utf8'), 'built\n', 'built once');
  });
});
