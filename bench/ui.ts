import type { Locator, Page } from 'playwright-core';
import type { CoachDeskHost } from '../main/host/coachdesk-host.ts';
import { findChromium, launchBrowser, newPage, startStack, type Stack } from '../test/ui/support.ts';
import { fmt, summarize } from './stats.ts';

/**
 * The builder in real Chromium through the web shell:
 * - first render of a 12-week, 4-day, 6-exercise program (click on the program to the first
 *   painted frame with the week on screen), and of a 24-week one;
 * - keystroke-to-paint in a cell (keydown's timestamp to the frame after it), split into the
 *   handling, the wait for the frame and the frame's own work; and per key where its paint lands
 *   in its frame (from the frame's begin time, rAF's timestamp) and whether it needed more than
 *   the first frame after it was handled (a dropped frame); the same for the 24-week program
 *   and for the floor, the only input of an empty page;
 * - copying a full week (4 workouts, 24 rows) to the 7 other weeks of a program, from the click
 *   on "Copy week" to the frame where every week's tab shows its 4 workouts;
 * - reconnecting after the sync server restarts: from the server listening again to the page
 *   showing "Synced".
 */
export type UiResult = Awaited<ReturnType<typeof benchUi>>;

export const EXERCISES = ['Back squat', 'Bench press', 'Deadlift', 'Overhead press', 'Barbell row', 'Pull-up'];

export async function fillWeeks(host: CoachDeskHost, programId: string, weeks: number, exerciseIds: string[]): Promise<void> {
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
    const longId = await host.createProgram({ name: 'Long block', weeks: 24, traineeId: null });
    await fillWeeks(host, longId, 24, exerciseIds);
    const page = await newPage(browser);
    await page.goto(stack.url);
    const renders = await firstRenders(page, 'Big block', opts.renders);
    const notesCell = () => page.getByRole('region', { name: /^Week 1 · Mon/ }).getByLabel('Notes, row 1', { exact: true });
    const keystrokes = await typeInCell(page, notesCell(), opts.keystrokes);
    // The 24-week program, the same way (leaving the cell saves what was typed: let that settle).
    const renders24 = await firstRenders(page, 'Long block', opts.renders);
    await page.waitForTimeout(500);
    const keys24 = await typeInCell(page, notesCell(), opts.keystrokes);
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
      /** Where each key's paint lands in its frame, the wait for it, and how many frames it took. */
      keystrokeFrames: keystrokes.frames,
      blankPageKeystrokeToPaintMs: summarize(floor.paints),
      blankPageFrameWorkMs: summarize(floor.frameWork),
      blankPageFrames: floor.frames,
      /** The same measures for a 24-week × 4-day × 6-row program. */
      weeks24: {
        firstRenderMs: summarize(renders24),
        keystrokeToPaintMs: summarize(keys24.paints),
        keystrokeHandledMs: summarize(keys24.handled),
        keystrokeFrameWorkMs: summarize(keys24.frameWork),
        keystrokeFrames: keys24.frames,
      },
      copyWeekMs: summarize(copies),
      reconnectMs: summarize(reconnects.map((r) => r.ms)),
      reconnects,
    };
  } finally {
    await browser.close();
    await stack.close();
  }
}

/**
 * Opens the program named `name` from the program list `runs` times: ms from the click to the
 * frame after its week 1 is on screen. The first run reads the program from the host; later ones
 * show the program the store still holds (and read it again behind it).
 */
async function firstRenders(page: Page, name: string, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Programs' }).click();
    await page.getByRole('button', { name, exact: true }).waitFor();
    out.push(await clickToPaint(page, name, 'section[aria-label^="Week 1 · Fri"] table'));
  }
  return out;
}

/** One key as the page saw it; times are performance.now() (ms). */
interface KeySample {
  /** keydown's timeStamp. */
  down: number;
  /** After the input event's listeners (React's included): the DOM holds the new text. */
  handled: number;
  /** The timestamp rAF gets in the frame after `handled`: that frame's begin (its vsync) time. */
  frameStart: number;
  /** When that rAF callback ran (the frame's main-thread part had begun). */
  rafAt: number;
  /**
   * A user-blocking task (scheduler.postTask) queued from that rAF: it runs once the frame's
   * rendering work (paint and the commit to the compositor included) is done.
   */
  painted: number;
}

/**
 * Per key, from the samples:
 * - how far into its frame the paint lands (painted − frameStart);
 * - the wait for that frame after the key was handled (frameStart − handled, 0 when the frame
 *   had begun already: Chromium starts a frame at once for input that comes before the current
 *   frame's deadline, with that frame's begin time);
 * - handled → painted with that wait taken out (painted − max(handled, frameStart));
 * - whether the key was painted within the first frame after it was handled. Frames begin on a
 *   grid of `intervalMs` through frameStart; the first frame after the key is the one beginning at
 *   the first grid time at or after `handled` (V1), and its main-thread work has until V1 +
 *   interval. A key painted later needed more than one frame: a dropped frame. That is either a
 *   vsync going by before its frame began (frameStart > V1) or its frame's work running past
 *   the end of the frame.
 */
export function framePhases(samples: KeySample[], intervalMs: number) {
  const slack = 1; // ms: rAF timestamps and performance.now() are coarsened and jittered
  const into = samples.map((s) => s.painted - s.frameStart);
  const wait = samples.map((s) => Math.max(0, s.frameStart - s.handled));
  const work = samples.map((s) => s.painted - Math.max(s.handled, s.frameStart));
  // The paint's place in its frame in two parts: the frame's main-thread work starting after the
  // frame's begin time (the input came in mid-frame and was handled first, or the main thread
  // was busy or descheduled), and that work itself (rAF to after paint).
  const rafLate = samples.map((s) => s.rafAt - s.frameStart);
  const rafToPaint = samples.map((s) => s.painted - s.rafAt);
  const firstAfter = (s: KeySample) => s.frameStart + Math.ceil((s.handled - s.frameStart - slack) / intervalMs) * intervalMs;
  const waitedPastVsync = samples.filter((s) => s.frameStart > firstAfter(s) + slack).length;
  const dropped = samples.filter((s) => s.painted > firstAfter(s) + intervalMs + slack).length;
  const withinOwnFrame = samples.filter((s) => s.painted <= s.frameStart + intervalMs + slack).length;
  return {
    keys: samples.length,
    frameIntervalMs: intervalMs,
    paintIntoFrameMs: summarize(into),
    frameWaitMs: summarize(wait),
    handledToPaintedMs: summarize(work),
    rafAfterFrameStartMs: summarize(rafLate),
    rafToPaintedMs: summarize(rafToPaint),
    /** Painted before its own frame's interval ended. */
    withinOwnFrame,
    /** Painted by the end of the first frame after the key was handled. */
    firstFrame: samples.length - dropped,
    /** Needed more than one frame after being handled. */
    dropped,
    /** Of those, how many waited for a later vsync before their frame began. */
    waitedPastVsync,
  };
}

/**
 * Types into a cell; per key: handled, painted, and the frame's own work (as before: from a rAF
 * asked for at keydown), and the frame phases of framePhases (from a rAF asked for once the key is
 * handled, so its frame is the one that paints the new text).
 */
export async function typeInCell(page: Page, cell: Locator, count: number) {
  await cell.click();
  // tsx's __name helper (see newPage), also in a page given by setContent, where no init script ran.
  await page.evaluate('window.__name ??= (fn) => fn');
  const intervalMs = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const stamps: number[] = [];
        const step = (t: number) => {
          stamps.push(t);
          if (stamps.length < 40) requestAnimationFrame(step);
          else {
            const d = stamps.slice(1).map((t, i) => t - stamps[i]!).sort((a, b) => a - b);
            resolve(d[Math.floor(d.length / 2)]!);
          }
        };
        requestAnimationFrame(step);
      }),
  );
  await page.evaluate(() => {
    const w = window as unknown as {
      __paints: number[];
      __handled: number[];
      __frame: number[];
      __samples: unknown[];
      __t0: number;
      __listening?: boolean;
      __postTask?: (run: () => void, options: { priority: string }) => unknown;
    };
    const scheduler = (window as unknown as { scheduler?: { postTask: (run: () => void, options: { priority: string }) => Promise<void> } }).scheduler;
    if (scheduler) w.__postTask = (run, options) => scheduler.postTask(run, options);
    w.__paints = [];
    w.__handled = [];
    w.__frame = [];
    w.__samples = [];
    // Once per page: a second call (another program in the same page) only resets the samples.
    if (w.__listening) return;
    w.__listening = true;
    // React handles the input at its root; a document listener runs after it, DOM updated.
    document.addEventListener('input', () => {
      const handled = performance.now();
      const down = w.__t0;
      w.__handled.push(handled - down);
      requestAnimationFrame((frameStart) => {
        // After the frame: a user-blocking task runs before timers and the browser's own
        // follow-up tasks (autofill's look at the changed field, selectionchange), which a
        // setTimeout waits behind; only input already queued (the key's keyup) goes first.
        const after = (run: () => void) => (w.__postTask ? w.__postTask(run, { priority: 'user-blocking' }) : setTimeout(run));
        const rafAt = performance.now();
        after(() => w.__samples.push({ down, handled, frameStart, rafAt, painted: performance.now() }));
      });
    });
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
  await page.waitForTimeout(100);
  const r = await page.evaluate(() => {
    const w = window as unknown as { __paints: number[]; __handled: number[]; __frame: number[]; __samples: KeySample[] };
    return { paints: w.__paints, handled: w.__handled, frameWork: w.__frame, samples: w.__samples };
  });
  return { paints: r.paints, handled: r.handled, frameWork: r.frameWork, frames: framePhases(r.samples, intervalMs) };
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

type Frames = ReturnType<typeof framePhases>;

/** Where a key's paint lands in its frame, the builder's share with the wait taken out, and the keys that needed more than one frame. */
function frameLines(f: Frames, indent: string): string[] {
  const ms = (s: { p50: number; p95: number }) => `p50 ${fmt(s.p50, 1)} ms, p95 ${fmt(s.p95, 1)} ms`;
  return [
    `${indent}paint lands in its frame     ${ms(f.paintIntoFrameMs)} after the frame's begin (frames every ${fmt(f.frameIntervalMs, 1)} ms)`,
    `${indent}  of which: rAF after begin  ${ms(f.rafAfterFrameStartMs)}; rAF → painted ${ms(f.rafToPaintedMs)}`,
    `${indent}handled → painted, no wait   ${ms(f.handledToPaintedMs)} (the wait for the frame: ${ms(f.frameWaitMs)})`,
    `${indent}in the first frame after being handled: ${f.firstFrame} of ${f.keys} keys (${f.withinOwnFrame} within the frame they began in); dropped frames: ${f.dropped} (${f.waitedPastVsync} waited for a later vsync)`,
  ];
}

export function printUi(ui: UiResult): string[] {
  const lines = ['Coach UI in Chromium (web shell): 12 weeks × 4 days × 6 prescriptions (and 24 weeks)'];
  if ('skipped' in ui) return [...lines, `  skipped: ${ui.skipped}`];
  const w24 = ui.weeks24;
  return [
    ...lines,
    `  first render of the builder    p50 ${fmt(ui.firstRenderMs.p50, 1)} ms, max of ${ui.firstRenderMs.n}: ${fmt(ui.firstRenderMs.max, 1)} ms (target < 200 ms)`,
    `  keystroke in a cell to paint   p50 ${fmt(ui.keystrokeToPaintMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeToPaintMs.p95, 1)} ms (target ≤ 16.7 ms; includes the wait for the next frame)`,
    `  keystroke handled, DOM updated p50 ${fmt(ui.keystrokeHandledMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeHandledMs.p95, 1)} ms`,
    `  the frame's own work           p50 ${fmt(ui.keystrokeFrameWorkMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeFrameWorkMs.p95, 1)} ms (rAF to after paint)`,
    ...frameLines(ui.keystrokeFrames, '    '),
    `  24 weeks: first render         p50 ${fmt(w24.firstRenderMs.p50, 1)} ms, max of ${w24.firstRenderMs.n}: ${fmt(w24.firstRenderMs.max, 1)} ms`,
    `  24 weeks: keystroke to paint   p50 ${fmt(w24.keystrokeToPaintMs.p50, 1)} ms, p95 ${fmt(w24.keystrokeToPaintMs.p95, 1)} ms; handled p50 ${fmt(w24.keystrokeHandledMs.p50, 1)} ms, p95 ${fmt(w24.keystrokeHandledMs.p95, 1)} ms; frame's work p50 ${fmt(w24.keystrokeFrameWorkMs.p50, 1)} ms, p95 ${fmt(w24.keystrokeFrameWorkMs.p95, 1)} ms`,
    ...frameLines(w24.keystrokeFrames, '    '),
    `  floor: an empty page's input   p50 ${fmt(ui.blankPageKeystrokeToPaintMs.p50, 1)} ms, p95 ${fmt(ui.blankPageKeystrokeToPaintMs.p95, 1)} ms to paint; its frame p50 ${fmt(ui.blankPageFrameWorkMs.p50, 1)} ms`,
    ...frameLines(ui.blankPageFrames, '    '),
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
