// The desktop renderer's app:// scheme: its own built files with a strict CSP, nothing else.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { APP_ENTRY, APP_ORIGIN, appFileFor, DESKTOP_CSP, isAppUrl, serveAppRequest } from '../../main/desktop/app-protocol.ts';
import { tempDir } from '../helpers.ts';

const tmp = tempDir('coachdesk-app-protocol-');
after(() => tmp.cleanup());
const root = join(tmp.dir, 'renderer');
mkdirSync(join(root, 'sub'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html><title>CoachDesk</title>');
writeFileSync(join(root, 'app.js'), 'console.log(1)');
writeFileSync(join(root, 'sub', 'a.css'), 'body{}');
writeFileSync(join(tmp.dir, 'secret.txt'), 'not for the page');
writeFileSync(join(root, 'notes.txt'), 'an unknown type');

const get = (url: string, method = 'GET') => serveAppRequest(new Request(url, { method }), root);

describe('app:// requests', () => {
  test('serve the renderer’s files with their type and the CSP', async () => {
    const page = await get(APP_ENTRY);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('content-security-policy'), DESKTOP_CSP);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await page.text(), /<title>CoachDesk<\/title>/);
    assert.equal((await get(`${APP_ORIGIN}/`)).status, 200, 'the root is index.html');
    assert.equal((await get(`${APP_ORIGIN}/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await (await get(`${APP_ORIGIN}/sub/a.css`)).text(), 'body{}');
    const head = await get(APP_ENTRY, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  test('the CSP lets the page run only its own code and connect nowhere', () => {
    assert.match(DESKTOP_CSP, /default-src 'none'/);
    assert.match(DESKTOP_CSP, /script-src 'self'(;|$)/);
    assert.match(DESKTOP_CSP, /connect-src 'none'/);
    assert.doesNotMatch(DESKTOP_CSP, /unsafe-(inline|eval)/);
  });

  test('nothing outside the renderer folder, no other origin, no unknown type, no writes', async () => {
    for (const url of [
      `${APP_ORIGIN}/../secret.txt`,
      `${APP_ORIGIN}/%2e%2e/secret.txt`,
      `${APP_ORIGIN}/%2e%2e%2fsecret.txt`,
      `${APP_ORIGIN}/sub/..%2f..%2fsecret.txt`,
      `${APP_ORIGIN}/%00index.html`,
      `${APP_ORIGIN}/%E0%A4%A`,
      `${APP_ORIGIN}/notes.txt`,
      `${APP_ORIGIN}/missing.js`,
      `${APP_ORIGIN}/sub`,
      'app://other/index.html',
      'file:///etc/passwd',
    ]) {
      const res = await get(url);
      assert.equal(res.status, 404, url);
      assert.doesNotMatch(await res.text(), /not for the page/);
    }
    assert.equal((await get(APP_ENTRY, 'POST')).status, 405);
    assert.equal(appFileFor('not a url', root), undefined);
  });

  test('isAppUrl tells our page from any other', () => {
    assert.equal(isAppUrl(APP_ENTRY), true);
    assert.equal(isAppUrl(`${APP_ORIGIN}/index.html#/programs`), true);
    for (const url of ['app://coachdesk.evil/index.html', 'app://coachdeskx/', 'file:///index.html', 'http://127.0.0.1/', '']) assert.equal(isAppUrl(url), false, url);
  });
});
