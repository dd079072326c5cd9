// The trainee app end to end on a phone viewport, in Chromium: join by an invite link from the
// CLI, see today's workout, log a set, lose the network, reload (the service worker serves the
// app, the worker's SQLite keeps the data), log two more with edited values, see them waiting,
// come back online: the server holds exactly the three sets and the coach, connected all along,
// received them live. Also: a used invite says so; the token is never in a URL; no CSP violation.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { killAllChildren, serverSetLogs, within } from '../e2e/support.ts';
import { startTraineeStack, type TraineeStack } from '../trainee/world.ts';
import { scenario } from './scenario.ts';
import { eventually, findChromium, launchBrowser, SCREENSHOTS } from './support.ts';

const browser = findChromium();
const skip = 'skip' in browser ? browser.skip : undefined;
const ACTION_MS = 10_000;

export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 } as const;

describe('trainee app on a phone, in Chromium', () => {
  let dir = '';
  let stack: TraineeStack | undefined;
  let chromium: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let inviteUrl = '';
  let token = '';
  /** Every URL the browser asked for or went to: pages, requests, workers, sockets. */
  const urls: string[] = [];
  /** Console lines and errors that speak of the CSP, from pages and workers. */
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  function watch(ctx: BrowserContext) {
    ctx.on('request', (r) => urls.push(r.url()));
    ctx.on('console', (m) => {
      if (/content security policy|refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    ctx.on('weberror', (e) => pageErrors.push(String(e.error())));
    ctx.on('page', (p) => {
      p.on('framenavigated', (f) => urls.push(f.url()));
      p.on('websocket', (ws) => urls.push(ws.url()));
      p.on('worker', (w) => urls.push(w.url()));
    });
    ctx.on('serviceworker', (w) => urls.push(w.url()));
  }

  async function newPhone(): Promise<BrowserContext> {
    const ctx = await chromium!.newContext({ ...PHONE });
    // tsx's __name helper, for functions passed to page.evaluate.
    await ctx.addInitScript('window.__name = (fn) => fn;');
    // CSP violations are also events: count them from inside the page.
    await ctx.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));`);
    watch(ctx);
    return ctx;
  }

  before(
    async () => {
      if (skip) return;
      mkdirSync(SCREENSHOTS, { recursive: true });
      dir = mkdtempSync(join(tmpdir(), 'coachdesk-trainee-'));
      stack = await within('the stack to start', 90_000, startTraineeStack(dir));
      inviteUrl = await stack.invite();
      chromium = await within('Chromium to start', 30_000, launchBrowser((browser as { path: string }).path));
      context = await newPhone();
      page = await context.newPage();
      page.setDefaultTimeout(ACTION_MS);
      page.on('response', async (r) => {
        if (r.url().endsWith('/api/join') && r.status() === 200) token = String(((await r.json()) as { token: string }).token);
      });
    },
    { timeout: 150_000 },
  );

  after(
    async () => {
      await within('Chromium to close', 10_000, chromium?.close() ?? Promise.resolve()).catch(() => {});
      await within('the stack to close', 15_000, stack?.close() ?? Promise.resolve()).catch(() => {});
      killAllChildren();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    { timeout: 30_000 },
  );

  const step = scenario(skip);
  const setRow = (n: number): Locator => page.getByRole('group', { name: `Back squat set ${n}`, exact: true });
  const pending = () => page.getByTestId('pending');
  const connection = () => page.getByTestId('connection');
  const coachSetLogs = () => stack!.coach.store.list('set_log');

  step('the invite link signs the phone in and shows today with Back squat set 1..3', 60_000, async () => {
    await page.goto(inviteUrl);
    for (const n of [1, 2, 3]) await setRow(n).waitFor({ timeout: 30_000 });
    assert.equal(await setRow(4).count(), 0, 'three sets prescribed, three rows');
    assert.equal(new URL(page.url()).pathname, '/', 'the join page moved to /');
    assert.equal(new URL(page.url()).hash, '', 'the code left the address bar');
    assert.ok(token.length > 20, 'the join answered a token');
    await page.getByRole('heading', { name: 'Heavy lower' }).waitFor();
    await page.getByText('Brace hard, drive up.', { exact: false }).first().waitFor();
    assert.equal(await page.getByRole('link', { name: /Video/ }).getAttribute('href'), 'https://video.example.com/back-squat');
    await eventually('the app to be online and synced', () => connection().textContent(), (t) => t === 'Online', 20_000);
    assert.equal(await pending().textContent(), 'All synced');
  });

  step('set 1: a group with Reps and Load inputs and a Log set button, prefilled from the prescription', 30_000, async () => {
    const row = setRow(1);
    const reps = row.getByRole('textbox', { name: 'Reps', exact: true });
    const load = row.getByRole('textbox', { name: 'Load', exact: true });
    assert.equal(await reps.inputValue(), '5');
    assert.equal(await load.inputValue(), '100');
    assert.equal(await row.getByRole('button', { name: 'Log set', exact: true }).count(), 1);
  });

  step('invalid input is refused at the field and nothing is logged; what was typed stays', 30_000, async () => {
    const row = setRow(1);
    const reps = row.getByRole('textbox', { name: 'Reps', exact: true });
    const load = row.getByRole('textbox', { name: 'Load', exact: true });
    for (const [field, value, message] of [
      [reps, 'abc', 'Reps must be a whole number, 1 or more'],
      [reps, '2.5', 'Reps must be a whole number, 1 or more'],
      [reps, '0', 'Reps must be a whole number, 1 or more'],
    ] as const) {
      await field.fill(value);
      await row.getByRole('button', { name: 'Log set' }).click();
      await row.getByText(message).waitFor();
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.equal(await field.inputValue(), value, 'the typed text is kept as it is');
    }
    await reps.fill('5');
    await load.fill('-20');
    await row.getByRole('button', { name: 'Log set' }).click();
    await row.getByText('Load cannot be negative').waitFor();
    assert.equal(await load.inputValue(), '-20');
    await load.fill('heavy');
    await row.getByRole('button', { name: 'Log set' }).click();
    await row.getByText('Load must be a number, like 102.5').waitFor();
    await page.waitForTimeout(300);
    assert.equal(await pending().textContent(), 'All synced', 'nothing was queued');
    assert.equal(serverSetLogs(stack!.serverDb).length, 0, 'nothing reached the server');
    await load.fill('100');
  });

  step('log set 1: the coach receives it live', 30_000, async () => {
    await setRow(1).getByRole('button', { name: 'Log set', exact: true }).click();
    await setRow(1).getByText('5 × 100 kg').waitFor();
    await page.getByRole('timer', { name: 'Rest timer' }).waitFor();
    await eventually('the coach to receive set 1', () => coachSetLogs().length, (n) => n === 1, 10_000);
    await eventually('all synced', () => pending().textContent(), (t) => t === 'All synced');
  });

  step('offline: the reload comes from the service worker, with the data', 60_000, async () => {
    await eventually(
      'the service worker to control the page',
      () => page.evaluate(() => navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null)),
      (c) => c,
      15_000,
    );
    await context.setOffline(true);
    const response = await page.reload();
    assert.ok(response?.fromServiceWorker(), 'the page came from the service worker');
    await setRow(1).getByText('5 × 100 kg').waitFor({ timeout: 20_000 });
    await setRow(2).getByRole('button', { name: 'Log set' }).waitFor();
    await eventually('the app to say it is offline', () => connection().textContent(), (t) => t === 'Offline' || t === 'Connecting…', 10_000);
  });

  step('offline: log sets 2 and 3 with edited values; 2 sets wait to sync', 30_000, async () => {
    const two = setRow(2);
    await two.getByRole('textbox', { name: 'Reps', exact: true }).fill('4');
    await two.getByRole('textbox', { name: 'Load', exact: true }).fill('102.5');
    await two.getByRole('textbox', { name: 'RPE', exact: true }).fill('8.5');
    await two.getByRole('button', { name: 'Log set', exact: true }).click();
    await two.getByText('4 × 102.5 kg @ RPE 8.5').waitFor();
    const three = setRow(3);
    await three.getByRole('textbox', { name: 'Reps', exact: true }).fill('3');
    await three.getByRole('textbox', { name: 'Load', exact: true }).fill('110');
    await three.getByRole('button', { name: '+ Note' }).click();
    await three.getByRole('textbox', { name: 'Note', exact: true }).fill('Felt fast');
    await page.screenshot({ path: join(SCREENSHOTS, 'trainee-logging.png') });
    await three.getByRole('button', { name: 'Log set', exact: true }).click();
    await three.getByText('3 × 110 kg').waitFor();
    await three.getByText('New best').waitFor();
    assert.equal(await two.getByText('New best').count(), 0, '4 × 102.5 (e1RM 116.2) does not beat 5 × 100 (116.7)');
    assert.equal(await setRow(1).getByText('New best').count(), 0, 'the first set is the first best, not a new one');
    await eventually('the pending count', () => pending().textContent(), (t) => t === '2 sets waiting to sync', 5000);
    assert.notEqual(await connection().textContent(), 'Online');
    assert.equal(serverSetLogs(stack!.serverDb).length, 1, 'the server has only set 1 while the phone is offline');
    await page.screenshot({ path: join(SCREENSHOTS, 'trainee-new-best.png') });
  });

  step('back online: the server holds exactly the three sets, and the coach received them live', 45_000, async () => {
    await context.setOffline(false);
    await eventually('all synced', () => pending().textContent(), (t) => t === 'All synced', 30_000);
    const onServer = serverSetLogs(stack!.serverDb)
      .map((r) => r.fields)
      .sort((a, b) => Number(a.setIndex) - Number(b.setIndex));
    assert.equal(onServer.length, 3);
    const sessionId = onServer[0]!.sessionId;
    const common = { sessionId, exerciseId: stack!.world.squatId, prescriptionId: stack!.world.squatRxId, done: true, loadUnit: 'kg', targetReps: '5', targetLoad: 100 };
    assert.deepEqual(onServer, [
      { ...common, setIndex: 0, reps: 5, load: 100 },
      { ...common, setIndex: 1, reps: 4, load: 102.5, rpe: 8.5 },
      { ...common, setIndex: 2, reps: 3, load: 110, note: 'Felt fast' },
    ]);
    await eventually('the coach to receive sets 2 and 3', () => coachSetLogs().length, (n) => n === 3, 10_000);
    const session = stack!.coach.store.getRow('session', String(sessionId));
    assert.equal(session?.fields.workoutId, stack!.world.todayWorkoutId);
    assert.equal(session?.fields.traineeId, stack!.world.traineeId);
    assert.equal(session?.fields.status, 'in_progress');
  });

  step('history shows what was prescribed next to what was done', 30_000, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'History' }).click();
    const card = page.getByRole('article', { name: /^Session / });
    await card.getByText('3 × 5 @ 100 kg · RPE 8').waitFor();
    await card.getByText('4 × 102.5 kg @ RPE 8.5').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Program' }).click();
    await page.getByRole('region', { name: 'Week 1' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Today' }).click();
    await setRow(3).getByText('3 × 110 kg').waitFor();
  });

  step('a used invite link says it was used, and what to do', 30_000, async () => {
    const other = await newPhone();
    const p = await other.newPage();
    await p.goto(inviteUrl);
    await p.getByRole('heading', { name: 'This invite was already used' }).waitFor();
    await p.getByText('ask your coach for a new one', { exact: false }).first().waitFor();
    assert.equal(new URL(p.url()).hash, '', 'a code that cannot work leaves the address bar');
    await other.close();
  });

  step('one tab owns the database: a second tab says so, and "Use it here" moves it', 45_000, async () => {
    const second = await context.newPage();
    second.setDefaultTimeout(ACTION_MS);
    await second.goto(`${stack!.base}/`);
    await second.getByRole('heading', { name: 'CoachDesk is open in another tab' }).waitFor();
    await second.getByRole('button', { name: 'Use it here' }).click();
    await second.getByRole('group', { name: 'Back squat set 3', exact: true }).getByText('3 × 110 kg').waitFor({ timeout: 20_000 });
    await page.getByRole('heading', { name: 'CoachDesk is open in another tab' }).waitFor();
    await eventually('the new tab to sync', () => second.getByTestId('pending').textContent(), (t) => t === 'All synced', 15_000);
    // And back: the first tab takes it again.
    await page.getByRole('button', { name: 'Use it here' }).click();
    await setRow(3).getByText('3 × 110 kg').waitFor({ timeout: 20_000 });
    await second.getByRole('heading', { name: 'CoachDesk is open in another tab' }).waitFor();
    await second.close();
  });

  step('the token never appears in a URL; no CSP violation; no page error', 10_000, async () => {
    assert.ok(token);
    assert.ok(urls.length > 10, `URLs were recorded (${urls.length})`);
    const leaked = urls.filter((u) => u.includes(token) || u.includes(encodeURIComponent(token)));
    assert.deepEqual(leaked, []);
    assert.ok(urls.some((u) => /^ws:\/\/127\.0\.0\.1:\d+\/sync$/.test(u)), 'the app connected to ws://<host>/sync');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!stored.includes(token), 'the token is not in localStorage');
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(pageErrors, []);
  });
});
