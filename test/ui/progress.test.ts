// The Progress view in Chromium against a real sync server: Ben logs six weeks of squats on his
// phone (a trainee engine pushing set_logs through the server), the coach's desk receives them,
// and Clients → Progress shows his e1RM (100 kg × 5 → 116.7 kg) on a uPlot chart with PRs, the
// table beside it, and the same values as a table on request; no CSP violation.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { serverAdmin } from '../../main/embedded/server-process.ts';
import { localToday } from '../../main/host/progress.ts';
import { openWebSocket } from '../../main/sync/node-socket.ts';
import { openLocalStore } from '../../main/sync/node-sqlite.ts';
import { addDays, plannedDate, weekStartOf } from '../../protocol/calendar.ts';
import { newId, type Fields } from '../../protocol/index.ts';
import type { Edit, LocalStore } from '../../sync/local-store.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import { within } from '../e2e/support.ts';
import { scenario } from './scenario.ts';
import { closeDesk, eventually, findChromium, openDesk, SCREENSHOTS, type Desk, type Stack } from './support.ts';

const browser = findChromium();
const skip = 'skip' in browser ? browser.skip : undefined;
const ACTION_MS = 10_000;
const WEEKS = 6;

describe('the Progress view, in Chromium', () => {
  let desk: Desk | undefined;
  let dir = '';
  let stack: Stack | undefined;
  let page: Page;
  let phone: { store: LocalStore; engine: SyncEngine } | undefined;
  let cspViolations: string[] = [];
  let pageErrors: string[] = [];
  let benId = '';
  const today = localToday();
  const start = addDays(weekStartOf(today, 1), -7 * (WEEKS - 1));

  before(
    async () => {
      if (skip) return;
      desk = await openDesk((browser as { path: string }).path, { name: 'progress', actionMs: ACTION_MS, cspEvents: true });
      ({ dir, stack, page, cspViolations, pageErrors } = desk);
    },
    { timeout: 90_000 },
  );

  after(
    async () => {
      await within('the phone to stop', 10_000, phone?.engine.stop() ?? Promise.resolve()).catch(() => {});
      phone?.store.close();
      await closeDesk(desk);
    },
    { timeout: 30_000 },
  );

  const step = scenario(skip);

  step('1. the coach plans six weeks of squats for Ben; Ben logs them on his phone, through the server', 60_000, async () => {
    const host = stack!.host;
    const signed = await host.signIn(stack!.serverUrl, stack!.coach.token);
    assert.ok(signed.ok, JSON.stringify(signed));
    benId = await host.saveTrainee({ name: 'Ben Okafor' });
    const squat = (await host.createExercise({ name: 'Back squat', category: 'Squat' })).id;
    const bench = (await host.createExercise({ name: 'Bench press', category: 'Push' })).id;
    const programId = await host.createProgram({ name: 'Squat block', weeks: WEEKS, traineeId: benId, startDate: start });
    for (let week = 1; week <= WEEKS; week++) {
      const mon = await host.addWorkout(programId, week, 1, 'Heavy');
      await host.addPrescription(mon, { exerciseId: squat, sets: 3, reps: '5', load: 100 + 5 * (week - 1), loadUnit: 'kg', rpe: 8 });
      await host.addPrescription(mon, { exerciseId: bench, sets: 3, reps: '5', load: 80 + 2.5 * (week - 1), loadUnit: 'kg', rpe: 8 });
      const thu = await host.addWorkout(programId, week, 4, 'Volume');
      await host.addPrescription(thu, { exerciseId: squat, sets: 4, reps: '8', load: 85 + 2.5 * (week - 1), loadUnit: 'kg', rpe: 7 });
    }
    await eventually('the coach synced', () => host.getSyncStatus(), (s) => s.connection === 'synced' && s.pendingCount === 0, 15_000);

    const ben = await within('add-trainee-token', 15_000, serverAdmin(['add-trainee-token', '--db', stack!.serverDb, '--trainee', benId]));
    const store = openLocalStore(join(dir, 'ben-phone.db'));
    const engine = new SyncEngine({ connect: openWebSocket, store, url: stack!.serverUrl, token: ben.token });
    phone = { store, engine };
    engine.start();
    assert.ok(await engine.whenIdle(15_000), 'the phone caught up');
    // What the trainee app writes: a session per workout, a set_log per set with its targets.
    const edits: Edit[] = [];
    for (const workout of store.list('workout').sort((a, b) => Number(a.fields.week) - Number(b.fields.week) || Number(a.fields.day) - Number(b.fields.day))) {
      const date = plannedDate(start, Number(workout.fields.week), Number(workout.fields.day))!;
      if (date > today) continue;
      const sessionId = newId();
      edits.push({ entity: 'session', id: sessionId, action: 'put', fields: { traineeId: benId, workoutId: workout.id, date, status: 'completed' } });
      let setIndex = 0;
      for (const rx of store.children('prescription', workout.id).sort((a, b) => Number(a.fields.position) - Number(b.fields.position))) {
        const f = rx.fields;
        for (let i = 0; i < Number(f.sets); i++) {
          const fields: Fields = { sessionId, prescriptionId: rx.id, exerciseId: f.exerciseId, setIndex: setIndex++, reps: Number(f.reps), load: f.load, loadUnit: 'kg', rpe: Number(f.rpe) + (i === Number(f.sets) - 1 ? 1 : 0), done: true, targetReps: f.reps, targetLoad: f.load };
          edits.push({ entity: 'set_log', id: newId(), action: 'put', fields });
        }
      }
    }
    engine.enqueueAll(edits);
    assert.ok(await engine.whenIdle(20_000), 'the phone sent its sets');
    await eventually('the sets on the desk', () => host.getProgress(benId), (p) => (p?.setCount ?? 0) === edits.filter((e) => e.entity === 'set_log').length, 15_000);
  });

  step('2. Clients → Progress: the e1RM chart (uPlot) and the table of bests; 100 kg × 5 → 116.7 kg; screenshot', 40_000, async () => {
    await page.goto(stack!.url);
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Progress of Ben Okafor' }).click();
    await page.getByRole('heading', { name: 'Progress', level: 1 }).waitFor();
    assert.match(page.url(), new RegExp(`#/progress/${benId}$`));
    const best = page.getByRole('table', { name: 'Best e1RM per exercise' });
    const squat = best.getByRole('row', { name: 'Back squat' });
    // The last Monday's 125 kg × 5.
    assert.deepEqual(await squat.getByRole('cell').allInnerTexts().then((c) => [c[0], c[2]]), ['145.8 kg', '5 × 125 kg']);
    // The chart is a canvas drawn by uPlot, with its legend.
    const chart = page.getByTestId('e1rm-chart');
    await chart.locator('canvas').first().waitFor();
    await chart.locator('.u-legend').waitFor();
    // Hovering the first session shows its values in the legend.
    const over = chart.locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + 2, box.y + box.height / 2);
    await eventually('the legend to show the first session', () => chart.locator('.u-legend').innerText(), (t) => t.includes('116.7 kg'));
    await page.mouse.move(box.x + box.width * 0.82, box.y + box.height / 2);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SCREENSHOTS, 'progress.png') });
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(pageErrors, []);
  });

  step('3. "Show as table" lists every session; switching exercise asks the host nothing', 30_000, async () => {
    const chart = page.getByTestId('e1rm-chart');
    await chart.getByRole('button', { name: 'Show as table' }).click();
    const table = page.getByRole('table', { name: 'Estimated 1RM of Back squat per session' });
    const first = table.getByRole('row').nth(1);
    const cells = await first.getByRole('cell').allInnerTexts();
    assert.equal(cells[1], '116.7 kg', cells.join(' | '));
    assert.equal(cells[3], '5 × 100 kg');
    await page.getByLabel('Exercise', { exact: true }).selectOption({ label: 'Bench press' });
    const benchTable = page.getByRole('table', { name: 'Estimated 1RM of Bench press per session' });
    // 80 kg × 5 → 93.3 kg
    assert.equal((await benchTable.getByRole('row').nth(1).getByRole('cell').allInnerTexts())[1], '93.3 kg');
    await page.getByLabel('Exercise', { exact: true }).selectOption({ label: 'Back squat' });
    await chart.getByRole('button', { name: 'Show as chart' }).click();
    await chart.locator('canvas').first().waitFor();
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(pageErrors, []);
  });
});
