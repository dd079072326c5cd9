// The coach workstation's second pass, in Chromium against the real `npm start` launcher (web
// shell, embedded sync server, demo data): one regression per defect a coach hit in a first
// real session, and the features that came with it. Each step says which defect it guards.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { killAllChildren, spawnTs, within, type Child } from '../e2e/support.ts';
import { scenario } from './scenario.ts';
import { eventually, findChromium, launchBrowser, SCREENSHOTS } from './support.ts';

const browser = findChromium();
const skip = 'skip' in browser ? browser.skip : undefined;
const ACTION_MS = 10_000;
const FIVE_MB = 5 * 1024 * 1024;

/** A port free right now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on this port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** `npm start --web` as a coach runs it: its own process, its own data folder. */
async function launch(dataDir: string, serverPort: number): Promise<{ child: Child; url: string }> {
  const child = spawnTs('main/launch/start.ts', ['--web', '--data', dataDir, '--server-port', String(serverPort)]);
  const url = await eventually(
    'the launcher to print its address',
    () => {
      if (child.proc.exitCode !== null) throw new Error(`the launcher exited ${child.proc.exitCode}: ${child.stderr()}`);
      return /CoachDesk is running: open (\S+)/.exec(child.stdout())?.[1];
    },
    (u) => !!u,
    90_000,
  );
  return { child, url: url! };
}

describe('coach workstation, second pass, in Chromium through the real launcher', () => {
  let dir = '';
  let app: { child: Child; url: string };
  let serverPort = 0;
  let chromium: Browser | undefined;
  let page: Page;

  before(
    async () => {
      if (skip) return;
      mkdirSync(SCREENSHOTS, { recursive: true });
      dir = mkdtempSync(join(tmpdir(), 'coachdesk-second-'));
      serverPort = await freePort();
      app = await launch(join(dir, 'data'), serverPort);
      chromium = await within('Chromium to start', 30_000, launchBrowser((browser as { path: string }).path));
      page = await chromium.newPage({ viewport: { width: 1280, height: 860 } });
      await page.addInitScript('window.__name = (fn) => fn;');
      page.setDefaultTimeout(ACTION_MS);
    },
    { timeout: 150_000 },
  );

  after(
    async () => {
      await within('Chromium to close', 10_000, chromium?.close() ?? Promise.resolve()).catch(() => {});
      killAllChildren();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    { timeout: 30_000 },
  );

  /** The scenario's steps run in order on one page; after a failed step the rest are skipped. */
  const step = scenario(skip);

  const statusBar = () => page.getByRole('contentinfo', { name: 'Sync status' });
  const connection = () => statusBar().getByTestId('connection');
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true });
  const lowerA = (week = 1) => page.getByRole('region', { name: `Week ${week} · Mon — Lower A` });
  const addExercise = () => lowerA().getByRole('combobox', { name: 'Add exercise' });
  const rows = (region: Locator) => region.locator('tr[data-rx-row]');
  const value = (region: Locator, label: string) => region.getByLabel(label, { exact: true }).inputValue();
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName ?? null);
  const assertFocus = (label: string) => eventually(`focus on "${label}"`, focused, (f) => f === label, 5000);
  const toast = () => page.locator('.notice');
  /** A screenshot for the README, without a toast left from an earlier step. */
  async function shot(name: string, keepToast = false) {
    if (!keepToast && (await toast().count())) await toast().getByRole('button', { name: 'Dismiss message' }).click();
    await page.screenshot({ path: join(SCREENSHOTS, name) });
  }

  async function fastEntry(text: string) {
    await addExercise().fill(text);
    await addExercise().press('Enter');
  }

  /** Blurs whatever has focus, so the next key is the page's (Ctrl+Z, ?), not a field's. */
  const leaveFields = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

  async function openBlock() {
    await nav('Programs').click();
    await page.getByRole('button', { name: 'Strength block 1', exact: true }).click();
    await lowerA().waitFor();
  }

  step('1. localhost is the same address as 127.0.0.1: signed in and Synced (defect 7)', 60_000, async () => {
    await page.goto(app.url.replace('127.0.0.1', 'localhost'));
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    await eventually('Synced', () => connection().textContent(), (t) => t === 'Synced', 20_000);
    await page.getByRole('row', { name: 'Ben Okafor' }).waitFor();
  });

  step('2. hash routes: the URL names the screen; Back, Forward and a reload keep it (defect 9); "1 template"', 30_000, async () => {
    await nav('Programs').click();
    await page.getByText('1 assigned, 1 template').waitFor();
    await page.getByRole('button', { name: 'Strength block 1', exact: true }).click();
    await lowerA().waitFor();
    assert.match(page.url(), /#\/programs\/[0-9a-f-]{36}$/);
    await page.getByRole('tab', { name: /Week 2/ }).click();
    await lowerA(2).waitFor();
    assert.match(page.url(), /#\/programs\/[0-9a-f-]{36}\/week\/2$/);
    await page.reload();
    await lowerA(2).waitFor();
    assert.equal(await page.getByRole('tab', { name: /Week 2/ }).getAttribute('aria-selected'), 'true');
    await page.goBack();
    await page.getByRole('heading', { name: 'Programs', level: 1 }).waitFor();
    await page.goForward();
    await lowerA(2).waitFor();
    await page.getByRole('tab', { name: /Week 1/ }).click();
    await lowerA().waitFor();
  });

  step('3. at 1280 px the table fits and the row tools are on screen (defect 9)', 20_000, async () => {
    const widths = await page.evaluate(() => [...document.querySelectorAll('.table-scroll')].map((t) => t.scrollWidth - t.clientWidth));
    assert.ok(widths.length > 0);
    assert.deepEqual(widths.filter((w) => w > 0), [], 'no table scrolls sideways');
    await rows(lowerA()).first().hover();
    const tools = await lowerA().getByRole('button', { name: 'Delete row 1' }).boundingBox();
    assert.ok(tools && tools.x + tools.width <= 1280, `the row tools end at ${tools && tools.x + tools.width}px`);
  });

  step('4. fast entry reads exactly what was typed or says why at the field, keeping the text (defect 3)', 40_000, async () => {
    const before = await rows(lowerA()).count();
    const fieldError = () => lowerA().locator('tfoot').getByRole('alert');
    for (const [typed, message] of [
      ['Deadlift 0x5', 'Sets must be at least 1'],
      ['Deadlift -3x5', 'Sets must be at least 1'],
      ['200x5', "Type the exercise's name first, e.g. Back squat 5x5 @ 100kg @RPE8"],
      ['Deadlift 3x10-8', 'A rep range goes from low to high, e.g. 8-10'],
      ['Curl 3x10 @ 99999kg', 'Load must be at most 10000'],
    ] as const) {
      await fastEntry(typed);
      await eventually(`the message for "${typed}"`, () => fieldError().textContent(), (t) => t === message);
      assert.equal(await addExercise().inputValue(), typed, 'the typed text stays');
      assert.equal(await addExercise().getAttribute('aria-invalid'), 'true');
    }
    assert.equal(await rows(lowerA()).count(), before, 'nothing was added');
    assert.equal(await page.locator('.notice-error').count(), 0, 'no banner: the message is at the field');

    // An exact name beats a partial one; a new name is created as typed, not "Back squat".
    await fastEntry('Squat 3x5 @RPE8');
    await eventually('the Squat row', () => rows(lowerA()).count(), (n) => n === before + 1);
    assert.equal(await value(lowerA(), `Exercise, row ${before + 1}`), 'Squat');
    assert.equal(await value(lowerA(), `RPE, row ${before + 1}`), '8');
    assert.equal(await fieldError().count(), 0, 'the error cleared when the entry succeeded');
    assert.equal(await addExercise().inputValue(), '');
    await fastEntry('Barbell row 3x8 @ 60kg @8');
    await eventually('the Barbell row row', () => rows(lowerA()).count(), (n) => n === before + 2);
    assert.deepEqual(
      [await value(lowerA(), `Exercise, row ${before + 2}`), await value(lowerA(), `Sets, row ${before + 2}`), await value(lowerA(), `Load, row ${before + 2}`), await value(lowerA(), `RPE, row ${before + 2}`)],
      ['Barbell row', '3', '60', '8'],
      'the existing Barbell row, not a new one; RPE from @8',
    );
  });

  step('5. a 5 MB paste into "Add exercise" is refused at the field; the launcher serves on (defect 1)', 40_000, async () => {
    // Pasted text lands in the field as a whole, the way a paste does.
    await addExercise().evaluate((input, n) => {
      const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      set.call(input, 'x'.repeat(n as number));
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, FIVE_MB);
    await addExercise().press('Enter');
    await eventually('the message', () => lowerA().locator('tfoot').getByRole('alert').textContent(), (t) => /^That is 5,242,880 characters: an exercise name is at most 200/.test(t ?? ''));
    assert.equal(app.child.proc.exitCode, null, 'the launcher is running');
    await addExercise().press('Escape');
    assert.equal(await addExercise().inputValue(), '');
    assert.equal((await fetch(app.url)).status, 200);
  });

  step('6. oversized and malformed messages on the web shell socket get answers; the process serves on (defect 1)', 60_000, async () => {
    const answers = await page.evaluate(async (fiveMb) => {
      const secret = new URLSearchParams(location.search).get('s');
      const ws = new WebSocket(`ws://${location.host}/api?s=${secret}`);
      await new Promise((r) => (ws.onopen = r));
      const next = () => new Promise<string>((r) => (ws.onmessage = (m) => r(String(m.data))));
      const out: string[] = [];
      let reply = next();
      ws.send(JSON.stringify({ id: 1, method: 'createExercise', params: [{ name: 'y'.repeat(fiveMb) }] }));
      out.push(await reply);
      reply = next();
      ws.send('not json');
      out.push(await reply);
      const closed = new Promise<number>((r) => (ws.onclose = (e) => r(e.code)));
      ws.send('z'.repeat(70 * 1024 * 1024));
      out.push(String(await closed));
      return out;
    }, FIVE_MB);
    const tooLarge = JSON.parse(answers[0]!);
    assert.equal(tooLarge.id, 1);
    assert.equal(tooLarge.error.code, 'too_large');
    assert.match(tooLarge.error.message, /^this request is 5\.0 MB; CoachDesk takes at most 1\.0 MB per request/);
    assert.equal(JSON.parse(answers[1]!).error.code, 'invalid');
    assert.equal(answers[2], '1009');
    assert.equal(app.child.proc.exitCode, null, 'the launcher is running');
    // The page's own connection was not touched, and the UI still saves.
    await lowerA().getByLabel('Notes, row 1', { exact: true }).fill('Brace hard');
    await lowerA().getByLabel('Notes, row 1', { exact: true }).press('Tab');
    await eventually('Synced', () => connection().textContent(), (t) => t === 'Synced');
  });

  step('7. Enter saves the cell and moves down; it never inserts a row (defect 6)', 20_000, async () => {
    const count = await rows(lowerA()).count();
    const sets = lowerA().getByLabel('Sets, row 1', { exact: true });
    await sets.fill('4');
    await sets.press('Enter');
    await assertFocus('Sets, row 2');
    await eventually('sets saved', () => value(lowerA(), 'Sets, row 1'), (v) => v === '4');
    assert.equal(await rows(lowerA()).count(), count);
  });

  step('8. a deleted row can be undone from the toast, which covers no heading (defects 6, 9)', 30_000, async () => {
    const count = await rows(lowerA()).count();
    await lowerA().getByLabel('Sets, row 2', { exact: true }).focus();
    await page.keyboard.press('Control+Delete');
    await eventually('the row gone', () => rows(lowerA()).count(), (n) => n === count - 1);
    await toast().getByText('Deleted Romanian deadlift (row 2) from Week 1 · Mon — Lower A.').waitFor();
    const [notice, crumbs, title] = await Promise.all([toast().boundingBox(), page.getByRole('navigation', { name: 'Breadcrumb' }).boundingBox(), page.getByLabel('Program name').boundingBox()]);
    const overlaps = (a: typeof notice, b: typeof notice) => !!a && !!b && a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    assert.ok(!overlaps(notice, crumbs) && !overlaps(notice, title), 'the toast covers neither the breadcrumb nor the title');
    await shot('undo-toast.png', true);
    await toast().getByRole('button', { name: 'Undo' }).click();
    await eventually('the row back', () => rows(lowerA()).count(), (n) => n === count);
    assert.equal(await value(lowerA(), 'Exercise, row 2'), 'Romanian deadlift');
  });

  step('9. copy week onto a week with workouts asks replace or add; replace is one undoable step (defect 4)', 40_000, async () => {
    await page.getByRole('button', { name: 'Copy week 1 to…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Copy week 1' });
    await dialog.getByRole('button', { name: 'None' }).click();
    await dialog.getByLabel('Week 2', { exact: true }).check();
    await dialog.getByText('Week 2 already has 3 workouts.').waitFor();
    assert.equal(await dialog.getByRole('radio', { name: /^Replace them/ }).isChecked(), true);
    await dialog.getByRole('button', { name: 'Replace and copy' }).click();
    const week2 = page.getByRole('tab', { name: /Week 2/ });
    await eventually('week 2 to hold 3 workouts, not 6', () => week2.getByLabel(/workout/).getAttribute('aria-label'), (t) => t === '3 workouts');
    await week2.click();
    await lowerA(2).waitFor();
    assert.equal(await page.getByRole('region', { name: /^Week 2 · Mon/ }).count(), 1, 'one workout on Monday');
    assert.equal(await value(lowerA(2), 'Sets, row 1'), '4', "week 1's rows");
    await leaveFields();
    await page.keyboard.press('Control+z');
    await eventually("week 2's own rows back", () => value(lowerA(2), 'Load, row 1'), (v) => v === '102.5');
    assert.equal(await value(lowerA(2), 'Sets, row 1'), '5');
    assert.equal(await page.getByRole('region', { name: /^Week 2 · Mon/ }).count(), 1);
    await page.getByRole('tab', { name: /Week 1/ }).click();
    await lowerA().waitFor();
  });

  step('10. lowering Weeks says how many workouts go, and can be undone (defect 5)', 30_000, async () => {
    const weeks = page.getByRole('textbox', { name: 'Weeks', exact: true });
    await weeks.fill('2');
    await weeks.press('Enter');
    let confirm = page.getByRole('alertdialog', { name: 'Cut the program to 2 weeks?' });
    await confirm.getByText('Weeks 3–4 hold 6 workouts (18 exercises).', { exact: false }).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await eventually('4 weeks kept', () => page.getByRole('tab').count(), (n) => n === 4);
    await weeks.fill('2');
    await weeks.press('Enter');
    confirm = page.getByRole('alertdialog', { name: 'Cut the program to 2 weeks?' });
    await confirm.getByRole('button', { name: 'Delete 6 workouts' }).click();
    await eventually('2 weeks', () => page.getByRole('tab').count(), (n) => n === 2);
    await leaveFields();
    await page.keyboard.press('Control+z');
    await eventually('4 weeks back', () => page.getByRole('tab').count(), (n) => n === 4);
    assert.equal(await page.getByRole('tab', { name: /Week 4/ }).getByLabel(/workout/).getAttribute('aria-label'), '3 workouts');
  });

  step('11. a load without a unit and reps of 0 are refused at the cell (defect 9)', 20_000, async () => {
    await lowerA().getByLabel('Unit, row 1', { exact: true }).selectOption('');
    await lowerA().getByText('A load needs its unit: clear the load first').waitFor();
    assert.equal(await lowerA().getByLabel('Unit, row 1', { exact: true }).inputValue(), 'kg', 'the stored unit stays');
    const reps = lowerA().getByLabel('Reps, row 1', { exact: true });
    await reps.fill('0');
    await reps.press('Enter');
    await lowerA().getByText('Reps must be at least 1').waitFor();
    await reps.press('Escape');
    assert.equal(await reps.inputValue(), '5');
  });

  step('12. a long superset name does not wrap the # column (defect 9)', 20_000, async () => {
    const group = lowerA().getByLabel('Superset group, row 1', { exact: true });
    await group.fill('Heavy pair A1');
    await group.press('Tab');
    await lowerA().locator('.group-tag').first().waitFor();
    const [one, two] = await Promise.all([rows(lowerA()).nth(0).boundingBox(), rows(lowerA()).nth(1).boundingBox()]);
    assert.equal(one!.height, two!.height, 'the row with the tag is as tall as the others');
    await group.fill('');
    await group.press('Tab');
  });

  step('13. kg↔lb shows every load in the chosen unit; stored values stay (units)', 30_000, async () => {
    await nav('Settings').click();
    await page.getByRole('radio', { name: 'Pounds (lb)' }).check();
    await page.getByLabel('Weeks start on').selectOption({ label: 'Sunday' });
    await openBlock();
    await eventually('100 kg shown as 220 lb', () => value(lowerA(), 'Load, row 1'), (v) => v === '220');
    assert.equal(await lowerA().getByLabel('Unit, row 1', { exact: true }).inputValue(), 'lb');
    assert.equal(await lowerA().getByLabel('Load, row 1', { exact: true }).getAttribute('title'), 'Stored as 100 kg; shown in lb');
    const days = await page.locator('.week-panel .day-name').allTextContents();
    assert.deepEqual(days.slice(0, 2), ['Sun', 'Mon'], 'weeks start on Sunday');
    await nav('Settings').click();
    await page.getByRole('radio', { name: 'Kilograms (kg)' }).check();
    await page.getByLabel('Weeks start on').selectOption({ label: 'Monday' });
  });

  step('14. a training max resolves %1RM loads to kilograms in the builder (maxes)', 40_000, async () => {
    await nav('Clients').click();
    await page.getByRole('button', { name: 'Activity of Ben Okafor' }).click();
    const form = page.getByRole('form', { name: 'Add a max' });
    await form.getByLabel('Exercise of the max').selectOption({ label: 'Back squat' });
    await form.getByLabel('Max (kg)').fill('120');
    await form.getByRole('button', { name: 'Add max' }).click();
    await page.getByRole('table', { name: 'Current maxes' }).getByRole('row', { name: 'Back squat' }).waitFor();
    await page.getByRole('row', { name: 'e1RM of Back squat' }).waitFor();
    await openBlock();
    await lowerA().getByLabel('Unit, row 1', { exact: true }).selectOption('%1rm');
    const load = lowerA().getByLabel('Load, row 1', { exact: true });
    await load.fill('75');
    await load.press('Tab');
    await lowerA().getByText('= 90 kg').waitFor();
    await leaveFields();
    await shot('builder.png');
    await page.getByRole('button', { name: 'Overview' }).click();
    await page.getByRole('table', { name: 'Overview of Strength block 1' }).waitFor();
    await shot('overview.png');
    await page.getByRole('button', { name: 'Weeks' }).click();
  });

  step('15. the library renames, and merges duplicates in one undoable step (library)', 40_000, async () => {
    await nav('Library').click();
    await page.getByRole('heading', { name: 'Exercise library' }).waitFor();
    await page.getByLabel('New exercise name').fill('Back Squat (high bar)');
    await page.getByRole('button', { name: 'Add exercise' }).click();
    await page.getByRole('row', { name: 'Back Squat (high bar)' }).waitFor();
    await page.getByRole('checkbox', { name: 'Select Squat', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Select Back Squat (high bar)' }).check();
    await shot('library.png');
    await page.getByRole('button', { name: 'Merge 2 exercises…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Merge exercises' });
    await dialog.getByRole('radio', { name: /^Squat/ }).check();
    await dialog.getByRole('button', { name: 'Merge into Squat' }).click();
    await eventually('the merged one gone', () => page.getByRole('row', { name: 'Back Squat (high bar)' }).count(), (n) => n === 0);
    await leaveFields();
    await page.keyboard.press('Control+z');
    await page.getByRole('row', { name: 'Back Squat (high bar)' }).waitFor();
  });

  step('16. a duplicate client name is a warning, an invalid e-mail an error (defect 9)', 30_000, async () => {
    await nav('Clients').click();
    await page.getByRole('button', { name: 'Add client', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add client' });
    await dialog.getByLabel('Name').fill('Ben Okafor');
    await dialog.getByLabel('Email').fill('ben@');
    await dialog.getByRole('button', { name: 'Add client' }).click();
    await dialog.getByText('E-mail must be an e-mail address like ben@example.com').waitFor();
    await dialog.getByLabel('Email').fill('ben2@example.com');
    await dialog.getByRole('button', { name: 'Add client' }).click();
    await dialog.getByText('There is already a client named Ben Okafor. Save again to add another anyway.').waitFor();
    await dialog.getByRole('button', { name: 'Add anyway' }).click();
    await eventually('two Bens', () => page.getByRole('row', { name: 'Ben Okafor' }).count(), (n) => n === 2);
  });

  step('17. after "Create program" focus is on the first step, not the page (defect 9)', 30_000, async () => {
    await nav('Programs').click();
    await page.getByRole('button', { name: 'New program' }).click();
    const dialog = page.getByRole('dialog', { name: 'New program' });
    await dialog.getByLabel('Name').fill('Block B');
    await dialog.getByRole('button', { name: 'Create program' }).click();
    await page.getByRole('main', { name: 'Program Block B' }).waitFor();
    await assertFocus('Add workout to Week 1 · Mon');
  });

  step('18. the launcher killed: the page says so instead of "Synced", and the embedded server goes too (defect 1)', 40_000, async () => {
    assert.ok(await listening(serverPort), 'the embedded sync server is up');
    await app.child.kill9();
    await eventually('the page to say it lost its host', () => connection().textContent(), (t) => t === 'Not connected to CoachDesk', 15_000);
    await statusBar().getByText(/CoachDesk’s host is not answering/).waitFor();
    await eventually('the embedded sync server to stop with its launcher', () => listening(serverPort), (up) => !up, 15_000);
  });

  step('19. a busy port is one clear line, not a stack (defect 1)', 90_000, async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(serverPort, '127.0.0.1', resolve));
    try {
      const child = spawnTs('main/launch/start.ts', ['--web', '--data', join(dir, 'data-2'), '--server-port', String(serverPort)]);
      const exit = await within('the launcher to give up', 80_000, child.exited);
      assert.equal(exit.code, 1);
      const lines = child.stderr().trim().split('\n');
      assert.deepEqual(lines, [`error: the embedded sync server could not start: 127.0.0.1:${serverPort} is already in use (another CoachDesk or sync server?): stop it, or choose another port (or run with --server-port N)`]);
    } finally {
      holder.close();
    }
  });
});
