import type { Locator, Page } from 'playwright-core';
import type { CoachDeskHost } from '../main/host/coachdesk-host.ts';
import { findChromium, launchBrowser, newPage, startStack, type Stack } from '../test/ui/support.ts';
import { fmt, summarize } from './stats.ts';

/**
 * The builder in real Chromium through the web shell:
 * - first render of a 12-week, 4-day, 6-exercise program (click on the program to the first
 *   painted frame with the week on screen);
 * - keystroke-to-paint in a cell (keydown's timestamp to the frame after it), split into the
 *   handling, the wait for the frame and the frame's own work;
 * - copying a full week (4 workouts, 24 rows) to the 7 other weeks of a program, from the click
 *   on "Copy week" to the frame where every week's tab shows its 4 workouts;
 * - reconnecting after the sync server restarts: from the server listening again to the page
 *   showing "Synced".
 */
export type UiResult = Awaited<ReturnType<typeof benchUi>>;

const EXERCISES = ['Back squat', 'Bench press', 'Deadlift', 'Overhead press', 'Barbell row', 'Pull-up'];

async function fillWeeks(host: CoachDeskHost, programId: string, weeks: number, exerciseIds: string[]): Promise<void> {
  for (let week = 1; week <= weeks; week++) {
    for (const day of [1, 2, 4, 5]) {
      const w = await host.addWorkout(programId, week, day, `Day ${day}`);
      for (const [i, id] of exerciseIds.entries()) await host.addPrescription(w, { exerciseId: id, sets: 3 + (i % 3), reps: '5', load: 60 + i * 10, loadUnit: 'kg', rpe: 7, restSec: 120 });
    }
  }
}

export async function benchUi(dir: string, { quick }: { quick: boolean }) {
  const opts = quick ? { renders: 3, keystrokes: 30, copies: 3, restarts: [3000] } : { renders: 15, keystrokes: 200, copies: 10, restarts: [2000, 5000, 15000, 5000, 2000] };
  const chromium = findChromium();
  if ('skip' in chromium) return { skipped: chromium.skip };
  const stack = await startStack(dir);
  const browser = await launchBrowser(chromium.path, (process.env.BENCH_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean));
  try {
    const signIn = await stack.host.signIn(stack.serverUrl, stack.coach.token);
    if (!signIn.ok) throw new Error(signIn.message);
    const host = stack.host;
    const exerciseIds: string[] = [];
    for (const name of EXERCISES) exerciseIds.push((await host.createExercise({ name })).id);
    const programId = await host.createProgram({ name: 'Big block', weeks: 12, traineeId: null });
    await fillWeeks(host, programId, 12, exerciseIds);
    const page = await newPage(browser);
    await page.goto(stack.url);
    const renders: number[] = [];
    for (let i = 0; i < opts.renders; i++) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Programs' }).click();
      await page.getByRole('button', { name: 'Big block', exact: true }).waitFor();
      renders.push(await clickToPaint(page, 'Big block', 'section[aria-label^="Week 1 · Fri"] table'));
    }
    const keystrokes = await typeInCell(page, page.getByRole('region', { name: /^Week 1 · Mon/ }).getByLabel('Notes, row 1', { exact: true }), opts.keystrokes);
    // The floor: the same keys into the only input of an empty page, in the same browser.
    const blank = await newPage(browser);
    await blank.setContent('<!doctype html><input aria-label="Only input">');
    const floor = await typeInCell(blank, blank.getByLabel('Only input'), opts.keystrokes);
    await blank.close();
    const copies = await copyWeeks(page, stack, exerciseIds, opts.copies);
    const reconnects = await restarts(page, stack, opts.restarts);
    return {
      firstRenderMs: summarize(renders),
      keystrokeToPaintMs: summarize(keystrokes.paints),
      keystrokeHandledMs: summarize(keystrokes.handled),
      keystrokeFrameWorkMs: summarize(keystrokes.frameWork),
      blankPageKeystrokeToPaintMs: summarize(floor.paints),
      blankPageFrameWorkMs: summarize(floor.frameWork),
      copyWeekMs: summarize(copies),
      reconnectMs: summarize(reconnects.map((r) => r.ms)),
      reconnects,
    };
  } finally {
    await browser.close();
    await stack.close();
  }
}

/** Types into a cell; per key: handled, painted, and the frame's own work. */
async function typeInCell(page: Page, cell: Locator, count: number) {
  await cell.click();
  await page.evaluate(() => {
    const w = window as unknown as { __paints: number[]; __handled: number[]; __frame: number[]; __t0: number };
    w.__paints = [];
    w.__handled = [];
    w.__frame = [];
    // React handles the input at its root; a document listener runs after it, DOM updated.
    document.addEventListener('input', () => w.__handled.push(performance.now() - w.__t0));
    document.addEventListener(
      'keydown',
      (e) => {
        const t0 = e.timeStamp;
        w.__t0 = t0;
        // The frame after the input: its rAF runs before paint, the task queued there runs after it.
        requestAnimationFrame(() => {
          const raf = performance.now();
          setTimeout(() => {
            const end = performance.now();
            w.__paints.push(end - t0);
            w.__frame.push(end - raf);
          });
        });
      },
      true,
    );
  });
  for (let i = 0; i < count; i++) {
    await page.keyboard.press(i % 10 === 9 ? 'Backspace' : 'a');
    await page.waitForTimeout(20);
  }
  return page.evaluate(() => {
    const w = window as unknown as { __paints: number[]; __handled: number[]; __frame: number[] };
    return { paints: w.__paints, handled: w.__handled, frameWork: w.__frame };
  });
}

/**
 * Copies week 1 (4 workouts × 6 rows) of a fresh 8-week program onto weeks 2–8, each time: ms
 * from the click on the dialog's "Copy week" to the frame where all 8 tabs count 4 workouts.
 */
async function copyWeeks(page: Page, stack: Stack, exerciseIds: string[], runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let run = 0; run < runs; run++) {
    const programId = await stack.host.createProgram({ name: `Copy block ${run + 1}`, weeks: 8, traineeId: null });
    await fillWeeks(stack.host, programId, 1, exerciseIds);
    await page.evaluate((hash) => (location.hash = hash), `#/programs/${programId}`);
    await page.getByRole('tab', { name: /Week 8/ }).waitFor();
    await page.getByRole('button', { name: 'Copy week 1 to…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Copy week 1' });
    await dialog.waitFor();
    out.push(
      await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const button = [...document.querySelectorAll<HTMLButtonElement>('[role=dialog] button[type=submit]')][0]!;
            const counts = () => [...document.querySelectorAll('[role=tab] .tab-count')].map((c) => c.textContent);
            const t0 = performance.now();
            button.click();
            const check = () => {
              const c = counts();
              if (c.length === 8 && c.every((n) => n === '4')) requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0)));
              else requestAnimationFrame(check);
            };
            check();
          }),
      ),
    );
    await page.locator('.notice').getByRole('button', { name: 'Dismiss message' }).click();
  }
  return out;
}

/** Stops the sync server for `downMs`, starts it again: ms from listening to the page's "Synced". */
async function restarts(page: Page, stack: Stack, downtimes: number[]): Promise<Array<{ downMs: number; ms: number }>> {
  const connection = page.getByRole('contentinfo', { name: 'Sync status' }).getByTestId('connection');
  const out: Array<{ downMs: number; ms: number }> = [];
  for (const downMs of downtimes) {
    await page.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent === 'Synced', undefined, { timeout: 60_000 });
    await stack.stopServer();
    await connection.filter({ hasText: /^Offline$/ }).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(downMs);
    await stack.startServer();
    const listening = Date.now();
    await page.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent === 'Synced', undefined, { timeout: 60_000, polling: 10 });
    out.push({ downMs, ms: Date.now() - listening });
  }
  return out;
}

export function printUi(ui: UiResult): string[] {
  const lines = ['Coach UI in Chromium (web shell): 12 weeks × 4 days × 6 prescriptions'];
  if ('skipped' in ui) return [...lines, `  skipped: ${ui.skipped}`];
  return [
    ...lines,
    `  first render of the builder    p50 ${fmt(ui.firstRenderMs.p50, 1)} ms, max of ${ui.firstRenderMs.n}: ${fmt(ui.firstRenderMs.max, 1)} ms (target < 200 ms)`,
    `  keystroke in a cell to paint   p50 ${fmt(ui.keystrokeToPaintMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeToPaintMs.p95, 1)} ms (target < 16 ms; includes the wait for the next frame)`,
    `  keystroke handled, DOM updated p50 ${fmt(ui.keystrokeHandledMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeHandledMs.p95, 1)} ms`,
    `  the frame's own work           p50 ${fmt(ui.keystrokeFrameWorkMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeFrameWorkMs.p95, 1)} ms (rAF to after paint)`,
    `  floor: an empty page's input   p50 ${fmt(ui.blankPageKeystrokeToPaintMs.p50, 1)} ms, p95 ${fmt(ui.blankPageKeystrokeToPaintMs.p95, 1)} ms to paint; its frame p50 ${fmt(ui.blankPageFrameWorkMs.p50, 1)} ms`,
    `  copy a week (24 rows) to 7     p50 ${fmt(ui.copyWeekMs.p50, 1)} ms, max of ${ui.copyWeekMs.n}: ${fmt(ui.copyWeekMs.max, 1)} ms (click to every week painted; target < 150 ms)`,
    `  reconnect after a restart      p50 ${fmt(ui.reconnectMs.p50, 0)} ms, max ${fmt(ui.reconnectMs.max, 0)} ms (server listening to "Synced"; target < 2000 ms)`,
    `    per restart: ${ui.reconnects.map((r) => `down ${r.downMs / 1000} s → ${fmt(r.ms, 0)} ms`).join(', ')}`,
  ];
}

/** Clicks the button named `name` inside the page; ms from the click to the frame after `selector` exists. */
function clickToPaint(page: Page, name: string, selector: string): Promise<number> {
  return page.evaluate(
    ({ name, selector }) =>
      new Promise<number>((resolve) => {
        const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
        if (!button) throw new Error(`no button ${name}`);
        const t0 = performance.now();
        button.click();
        const check = () => {
          if (document.querySelector(selector)) requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0)));
          else requestAnimationFrame(check);
        };
        check();
      }),
    { name, selector },
  );
}
