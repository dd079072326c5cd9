import type { Page } from 'playwright-core';
import { findChromium, launchBrowser, newPage, startStack } from '../test/ui/support.ts';
import { fmt, summarize } from './stats.ts';

/**
 * The builder in real Chromium through the web shell: first render of a 12-week, 4-day,
 * 6-exercise program (time from the click on the program to the first painted frame with the
 * week on screen), and keystroke-to-paint in a cell (keydown's timestamp to the next frame).
 */
export type UiResult = Awaited<ReturnType<typeof benchUi>>;

export async function benchUi(dir: string, { quick }: { quick: boolean }) {
  const opts = quick ? { renders: 3, keystrokes: 30 } : { renders: 15, keystrokes: 200 };
  const chromium = findChromium();
  if ('skip' in chromium) return { skipped: chromium.skip };
  const stack = await startStack(dir);
  const browser = await launchBrowser(chromium.path);
  try {
    const signIn = await stack.host.signIn(stack.serverUrl, stack.coach.token);
    if (!signIn.ok) throw new Error(signIn.message);
    const host = stack.host;
    const exercises = [];
    for (const name of ['Back squat', 'Bench press', 'Deadlift', 'Overhead press', 'Barbell row', 'Pull-up']) exercises.push(await host.createExercise({ name }));
    const programId = await host.createProgram({ name: 'Big block', weeks: 12, traineeId: null });
    for (let week = 1; week <= 12; week++) {
      for (const day of [1, 2, 4, 5]) {
        const w = await host.addWorkout(programId, week, day, `Day ${day}`);
        for (const [i, e] of exercises.entries()) await host.addPrescription(w, { exerciseId: e.id, sets: 3 + (i % 3), reps: '5', load: 60 + i * 10, loadUnit: 'kg', rpe: 7, restSec: 120 });
      }
    }
    const page = await newPage(browser);
    await page.goto(stack.url);
    const renders: number[] = [];
    for (let i = 0; i < opts.renders; i++) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Programs' }).click();
      await page.getByRole('button', { name: 'Big block', exact: true }).waitFor();
      renders.push(await clickToPaint(page, 'Big block', 'section[aria-label^="Week 1 · Fri"] table'));
    }
    const cell = page.getByRole('region', { name: /^Week 1 · Mon/ }).getByLabel('Notes, row 1', { exact: true });
    await cell.click();
    await page.evaluate(() => {
      const w = window as unknown as { __paints: number[]; __handled: number[]; __t0: number };
      w.__paints = [];
      w.__handled = [];
      // React handles the input at its root; a document listener runs after it, DOM updated.
      document.addEventListener('input', () => w.__handled.push(performance.now() - w.__t0));
      document.addEventListener(
        'keydown',
        (e) => {
          const t0 = e.timeStamp;
          w.__t0 = t0;
          // The frame after the input: its rAF runs before paint, the task queued there runs after it.
          requestAnimationFrame(() => setTimeout(() => w.__paints.push(performance.now() - t0)));
        },
        true,
      );
    });
    for (let i = 0; i < opts.keystrokes; i++) {
      await page.keyboard.press(i % 10 === 9 ? 'Backspace' : 'a');
      await page.waitForTimeout(20);
    }
    const { paints, handled } = await page.evaluate(() => {
      const w = window as unknown as { __paints: number[]; __handled: number[] };
      return { paints: w.__paints, handled: w.__handled };
    });
    return {
      firstRenderMs: summarize(renders),
      keystrokeToPaintMs: summarize(paints),
      keystrokeHandledMs: summarize(handled),
    };
  } finally {
    await browser.close();
    await stack.close();
  }
}

export function printUi(ui: UiResult): string[] {
  const lines = ['Coach UI in Chromium (web shell): 12 weeks × 4 days × 6 prescriptions'];
  if ('skipped' in ui) return [...lines, `  skipped: ${ui.skipped}`];
  return [
    ...lines,
    `  first render of the builder    p50 ${fmt(ui.firstRenderMs.p50, 1)} ms, max of ${ui.firstRenderMs.n}: ${fmt(ui.firstRenderMs.max, 1)} ms (target < 200 ms)`,
    `  keystroke in a cell to paint   p50 ${fmt(ui.keystrokeToPaintMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeToPaintMs.p95, 1)} ms (target < 16 ms; includes the wait for the next frame)`,
    `  keystroke handled, DOM updated p50 ${fmt(ui.keystrokeHandledMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeHandledMs.p95, 1)} ms`,
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
