// What `--smoke-test` runs inside the packaged app, run here with Debian's Chromium in place of
// Electron's window: the built renderer served by the app:// handler (with its CSP), a preload
// stand-in that calls the real host through the same boundary as IPC, a real SQLite file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import Database from 'better-sqlite3';
import { API_METHODS } from '../../preload/api.ts';
import { APP_ORIGIN, serveAppRequest } from '../../main/desktop/app-protocol.ts';
import { runSmokeTest, type SmokePage, type SmokeReport } from '../../main/desktop/smoke-test.ts';
import { callHost } from '../../main/host/api-boundary.ts';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { tempDir } from '../helpers.ts';
import { findChromium, launchBrowser, RENDERER_DIR } from '../ui/support.ts';

const chromium = findChromium();
const tmp = tempDir('coachdesk-smoke-');
let browser: Browser | undefined;
const hosts: CoachDeskHost[] = [];
/** What the pages said about blocked content (a CSP that blocks the renderer's own files fails here). */
const violations: string[] = [];

// Chromium cannot be given the app:// scheme, so an http origin stands for it, answered by the same handler.
const STAND_IN_ORIGIN = 'http://coachdesk.invalid';

/** The preload's shape: one function per method, each a call across the bridge that rejects with the host's message. */
const PRELOAD_STAND_IN = `
  const api = { onChange: () => () => {} };
  for (const method of ${JSON.stringify(API_METHODS)}) {
    api[method] = async (...params) => {
      const reply = await window.__invokeHost(method, params);
      if (reply.ok) return reply.value;
      throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    };
  }
  window.coachdesk = api;
`;

async function openPage(userDataDir: string, withPreload = true): Promise<SmokePage & { page: Page }> {
  const host = new CoachDeskHost(userDataDir, fileModeVault);
  hosts.push(host);
  host.start();
  const page = await browser!.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  await page.route(`${STAND_IN_ORIGIN}/**`, async (route) => {
    const url = route.request().url().replace(STAND_IN_ORIGIN, APP_ORIGIN);
    const res = await serveAppRequest(new Request(url), RENDERER_DIR);
    await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) });
  });
  if (withPreload) {
    await page.exposeFunction('__invokeHost', (method: string, params: unknown[]) => callHost(host, method, params, () => {}));
    await page.addInitScript(PRELOAD_STAND_IN);
  }
  await page.goto(`${STAND_IN_ORIGIN}/index.html`);
  await page.waitForFunction(() => (document.getElementById('root')?.childElementCount ?? 0) > 0, undefined, { timeout: 10_000 }).catch(() => {});
  return { page, url: () => page.url(), evaluate: (expression) => page.evaluate(expression) };
}

describe('the smoke test', { skip: 'skip' in chromium ? chromium.skip : false }, () => {
  before(async () => {
    if ('path' in chromium) browser = await launchBrowser(chromium.path);
  });
  after(async () => {
    for (const host of hosts) await host.close();
    await browser?.close();
    tmp.cleanup();
  });

  test('passes on a working app and writes what it proved', async () => {
    const userDataDir = join(tmp.dir, 'ok');
    const reportFile = join(tmp.dir, 'reports', 'ok.json');
    const report = await runSmokeTest({ userDataDir, reportFile, openPage: () => openPage(userDataDir), versions: { node: process.versions.node } });
    assert.equal(report.failure, null);
    assert.equal(report.ok, true);
    const written = JSON.parse(readFileSync(reportFile, 'utf8')) as SmokeReport;
    assert.deepEqual(
      written.steps.map((s) => [s.name, s.ok]),
      [
        ['database', true],
        ['renderer', true],
        ['ipc', true],
      ],
    );
    const db = written.steps[0]!.detail as { schemaVersion: number; pending: number; sqlite: string };
    assert.ok(db.schemaVersion >= 3, `schema version ${db.schemaVersion}`);
    assert.equal(db.pending, 1);
    const renderer = written.steps[1]!.detail as { title: string; rendered: boolean; api: string };
    assert.equal(renderer.title, 'CoachDesk');
    assert.equal(renderer.api, 'object');
    const ipc = written.steps[2]!.detail as { getSession: { signedIn: boolean }; getUpdateState: { status: string } };
    assert.equal(ipc.getSession.signedIn, false);
    assert.equal(ipc.getUpdateState.status, 'off');
    assert.equal(written.versions.node, process.versions.node);
    assert.deepEqual(violations, []);

    // A second run on the same folder reopens the database it left.
    const again = await runSmokeTest({ userDataDir, reportFile, openPage: () => openPage(userDataDir) });
    assert.equal(again.ok, true, again.failure ?? '');
    assert.equal((again.steps[0]!.detail as { pending: number }).pending, 2);
  });

  test('fails, naming the step, when the page has no preload API', async () => {
    const userDataDir = join(tmp.dir, 'no-preload');
    const reportFile = join(tmp.dir, 'reports', 'no-preload.json');
    const report = await runSmokeTest({ userDataDir, reportFile, openPage: () => openPage(userDataDir, false) });
    assert.equal(report.ok, false);
    assert.match(report.failure ?? '', /^renderer: the preload's API \(window\.coachdesk\) is missing/);
    assert.equal((JSON.parse(readFileSync(reportFile, 'utf8')) as SmokeReport).ok, false);
  });

  test('fails when the database cannot be opened, before touching the page', async () => {
    const userDataDir = join(tmp.dir, 'bad-db');
    const reportFile = join(tmp.dir, 'reports', 'bad-db.json');
    const report = await runSmokeTest({ userDataDir: join(userDataDir, 'missing', '\0bad'), reportFile, openPage: () => openPage(userDataDir) });
    assert.equal(report.ok, false);
    assert.match(report.failure ?? '', /^database: /);
    assert.deepEqual(report.steps.map((s) => s.name), ['database']);
  });

  test('fails after its time limit when a step hangs', async () => {
    const reportFile = join(tmp.dir, 'reports', 'hang.json');
    const report = await runSmokeTest({ userDataDir: join(tmp.dir, 'hang'), reportFile, timeoutMs: 300, openPage: () => new Promise<never>(() => {}) });
    assert.equal(report.ok, false);
    assert.match(report.failure ?? '', /timed out after 0\.3 s during "renderer"/);
  });

  test('a database written by a newer CoachDesk fails the database step', async () => {
    const userDataDir = join(tmp.dir, 'newer');
    const reportFile = join(tmp.dir, 'reports', 'newer.json');
    const first = await runSmokeTest({ userDataDir, reportFile, openPage: () => openPage(userDataDir) });
    assert.equal(first.ok, true, first.failure ?? '');
    const file = join(userDataDir, 'smoke-test.db');
    const db = new Database(file);
    db.pragma('user_version = 999');
    db.close();
    writeFileSync(join(userDataDir, 'marker'), '');
    const report = await runSmokeTest({ userDataDir, reportFile, openPage: () => openPage(userDataDir) });
    assert.equal(report.ok, false);
    assert.match(report.failure ?? '', /^database: .*newer/i);
  });
});
