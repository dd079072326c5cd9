// Where a keystroke in the builder goes, for the UI bench's keystroke rows (bench/ui.ts): the
// page of `npm run bench -- --only ui`, a 12-week × 4-day × 6-row program, traced in Chromium
// through playwright-core (browser.startTracing, devtools.timeline categories).
//
//   node --import tsx bench/ui-trace.ts [--weeks 12] [--keys 60] [--edits N] [--count] [--out F]
//     N keys typed into "Notes, row 1" of week 1 (as the bench types them), each key's main-thread
//     time split into its input task (keydown, keypress, the editing, input and React), the frame
//     after it (BeginMainFrame: style, layout, pre-paint, paint, layerize, commit, hit test) and
//     the rest until the next key (keyup, autofill's look at the field, timers), self time per
//     phase. --edits N: then N edits (a character and Enter, row by row) with the main thread's
//     busy time per edit. --count: also the React components rendered per key and per edit,
//     counted through React's DevTools hook (it walks the fiber tree per commit, so it costs the
//     page time: leave it off for timings). --out keeps the raw trace.
//   ... --blank: the same keys into the only input of an empty page (the bench's floor).
//   ... --renders N [--count] [--cold]: opening the builder from the program list N times under the
//     trace (click to painted, self time per phase); --cold: the page starts on the program list,
//     so the first open is the page's first (the bench's max), not after the builder was shown.
//   ... --css 'CSS' [--shots DIR]: the same with extra CSS adopted into the page; with --shots,
//     screenshots of some states of the builder (focus, hover, a refused cell, suggestions, %1RM,
//     a superset, a refused unit, scrolled under the week bar) with that CSS on and off, compared
//     pixel by pixel (to check that a change of style draws the same; KEEP_SHOTS=1 keeps them all).
//   ... --cpu-profile F: a V8 CPU profile of the page over the keys instead of the trace (read it
//     with bench/profile-summary.ts); EDIT_CPU_PROFILE=F, RENDER_CPU_PROFILE=F and EDIT_TRACE=F
//     keep those of the edits and renders. --probe marks in the trace where the bench's
//     after-paint probes run (a setTimeout waits behind autofill and keyup; a user-blocking
//     postTask does not). TRACE_CATEGORIES=a,b overrides the categories.
// The renderer must be built (npm run build:renderer).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { findChromium, launchBrowser, newPage, startStack } from '../test/ui/support.ts';
import { fmt, summarize } from './stats.ts';
import { fillWeeks, EXERCISES } from './ui.ts';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { type?: string; message?: string } };
}

/** Counts, per commit, the function components whose render ran (fiber flag PerformedWork). */
const RENDER_COUNTER = `(() => {
  let prev = new Set();
  let lastRoot = null;
  const walk = (root, count) => {
    const next = new Set();
    const stack = [root.current];
    while (stack.length) {
      const f = stack.pop();
      next.add(f);
      if (count && !prev.has(f) && (f.tag === 0 || f.tag === 1 || f.tag === 11 || f.tag === 15) && (f.flags & 1)) {
        R.total++;
        const n = nameOf(f);
        R.byName[n] = (R.byName[n] || 0) + 1;
      }
      if (f.child) stack.push(f.child);
      if (f.sibling) stack.push(f.sibling);
    }
    prev = next;
  };
  const R = (window.__renders = {
    on: false, commits: 0, total: 0, byName: {},
    // Counting walks the whole fiber tree per commit: only while asked to (it costs the page time).
    start() { if (lastRoot) walk(lastRoot, false); R.on = true; },
  });
  const nameOf = (f) => { let t = f.type; if (t && t.type) t = t.type; if (t && t.render) t = t.render; return (t && (t.displayName || t.name)) || 'anonymous'; };
  window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    supportsFiber: true,
    renderers: new Map(),
    inject(r) { this.renderers.set(1, r); return 1; },
    onScheduleFiberRoot() {},
    onCommitFiberRoot(id, root) {
      lastRoot = root;
      if (!R.on) return;
      walk(root, true);
      R.commits++;
    },
    onPostCommitFiberRoot() {},
    onCommitFiberUnmount() {},
    checkDCE() {},
  };
})();`;

const CATEGORIES = process.env.TRACE_CATEGORIES ? process.env.TRACE_CATEGORIES.split(',') : ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'blink.user_timing', 'toplevel', 'v8.execute'];

/** Self time (ms) per event name of the X events on one thread between t0 and t1 (µs). */
function selfTimes(events: TraceEvent[], t0: number, t1: number): Map<string, number> {
  const out = new Map<string, number>();
  const stack: Array<{ e: TraceEvent; end: number; child: number }> = [];
  const pop = () => {
    const top = stack.pop()!;
    out.set(top.e.name, (out.get(top.e.name) ?? 0) + (top.e.dur! - top.child) / 1000);
    if (stack.length) stack[stack.length - 1]!.child += top.e.dur!;
  };
  for (const e of events) {
    if (e.ts < t0 || e.ts >= t1) continue;
    while (stack.length && stack[stack.length - 1]!.end <= e.ts) pop();
    stack.push({ e, end: e.ts + e.dur!, child: 0 });
  }
  while (stack.length) pop();
  return out;
}

function nameOfPhase(name: string): string {
  const map: Record<string, string> = {
    EventDispatch: 'event dispatch, default actions (editing)',
    FunctionCall: 'JS (function calls)',
    v8_execute: 'JS (V8)',
    'V8.Execute': 'JS (V8)',
    RunMicrotasks: 'JS (microtasks)',
    UpdateLayoutTree: 'style (UpdateLayoutTree)',
    Layout: 'layout',
    PrePaint: 'pre-paint',
    Paint: 'paint',
    Layerize: 'layerize',
    HitTest: 'hit test',
    Commit: 'commit to compositor',
    FireAnimationFrame: 'rAF callbacks',
    TimerFire: 'timers',
    RunTask: 'task overhead',
    'ThreadControllerImpl::RunTask': 'task (not broken down)',
  };
  return map[name] ?? name;
}

/** Pixels that differ between two PNG screenshots (decoded in a blank page). */
async function pixelDiff(browser: Browser, a: Buffer, b: Buffer): Promise<number> {
  if (a.equals(b)) return 0;
  const page = await newPage(browser);
  page.on('console', (m) => console.log(`  ${m.text()}`));
  try {
    await page.goto('about:blank');
    return await page.evaluate(
      async ({ a, b }) => {
        const load = (src: string) =>
          new Promise<HTMLImageElement>((resolve, reject) => {
            const img = new Image();
            img.onload = () => resolve(img);
            img.onerror = reject;
            img.src = src;
          });
        const [ia, ib] = await Promise.all([load(a), load(b)]);
        if (ia.width !== ib.width || ia.height !== ib.height) return -1;
        const data = (img: HTMLImageElement) => {
          const c = document.createElement('canvas');
          c.width = img.width;
          c.height = img.height;
          const ctx = c.getContext('2d')!;
          ctx.drawImage(img, 0, 0);
          return ctx.getImageData(0, 0, c.width, c.height).data;
        };
        const da = data(ia);
        const db = data(ib);
        let n = 0;
        const box = { x0: Infinity, y0: Infinity, x1: -1, y1: -1 };
        for (let i = 0; i < da.length; i += 4) {
          if (da[i] !== db[i] || da[i + 1] !== db[i + 1] || da[i + 2] !== db[i + 2] || da[i + 3] !== db[i + 3]) {
            n++;
            const x = (i / 4) % ia.width;
            const y = Math.floor(i / 4 / ia.width);
            box.x0 = Math.min(box.x0, x);
            box.y0 = Math.min(box.y0, y);
            box.x1 = Math.max(box.x1, x);
            box.y1 = Math.max(box.y1, y);
          }
        }
        if (n) console.log(`differing pixels within x ${box.x0}-${box.x1}, y ${box.y0}-${box.y1}`);
        (window as unknown as { __box: unknown }).__box = box;
        return n;
      },
      { a: `data:image/png;base64,${a.toString('base64')}`, b: `data:image/png;base64,${b.toString('base64')}` },
    );
  } finally {
    await page.close();
  }
}

/**
 * Whether the extra CSS (--css, already adopted) changes a pixel of the builder: screenshots of
 * some states with the sheet on and off, compared pixel by pixel; saved to `dir` when they differ.
 */
async function compareShots(browser: Browser, page: Page, dir: string): Promise<void> {
  const toggle = (on: boolean) =>
    page.evaluate((on) => {
      const sheet = document.adoptedStyleSheets.at(-1);
      if (sheet) sheet.disabled = !on;
    }, on);
  const week = page.getByRole('region', { name: /^Week 1 · Mon/ });
  const shoot = async (name: string) => {
    await page.waitForTimeout(300);
    const shots: Buffer[] = [];
    for (const on of [false, true]) {
      await toggle(on);
      await page.waitForTimeout(150);
      shots.push(await page.screenshot({ animations: 'disabled', caret: 'hide' }));
    }
    const diff = await pixelDiff(browser, shots[0]!, shots[1]!);
    console.log(`${name.padEnd(40)} ${diff === 0 ? 'identical' : `${diff} pixels differ`}`);
    if (diff !== 0 || process.env.KEEP_SHOTS) {
      writeFileSync(join(dir, `${name}-off.png`), shots[0]!);
      writeFileSync(join(dir, `${name}-on.png`), shots[1]!);
    }
  };
  await page.mouse.move(5, 890);
  await shoot('builder');
  await week.getByLabel('Notes, row 1', { exact: true }).click();
  await page.mouse.move(5, 890);
  await shoot('focused-notes-row-1');
  await page.mouse.move(700, 330);
  await shoot('hover');
  await page.mouse.move(5, 890);
  await week.getByLabel('Reps, row 5', { exact: true }).fill('x');
  await page.keyboard.press('Tab');
  await shoot('reps-error-row-5');
  await week.getByLabel('Reps, row 5', { exact: true }).click();
  await page.keyboard.press('Escape');
  await week.getByLabel('Exercise, row 6', { exact: true }).fill('B');
  await shoot('exercise-suggestions-row-6');
  await page.keyboard.press('Escape');
  // A %1RM load (its resolved line under the input), a superset group, a unit refused.
  await week.getByLabel('Load, row 2', { exact: true }).fill('75%');
  await page.keyboard.press('Enter');
  await week.getByLabel('Superset group, row 3', { exact: true }).fill('A');
  await page.keyboard.press('Enter');
  await week.getByLabel('Superset group, row 4', { exact: true }).fill('A');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  await week.getByLabel('Unit, row 5', { exact: true }).selectOption('');
  await shoot('percent-group-unit-error');
  await page.mouse.move(5, 890);
  await week.getByLabel('Notes, row 6', { exact: true }).click();
  await shoot('after-edits');
  await page.locator('.content').evaluate((el) => el.scrollBy(0, 180));
  await week.getByLabel('Exercise, row 3', { exact: true }).fill('Pu');
  await shoot('scrolled-suggestions-under-week-bar');
  await page.keyboard.press('Escape');
}

/**
 * Opens the builder from the program list `runs` times under the trace: per run, click → the
 * frame after week 1 is on screen, the main thread's self time per phase in it, and the
 * components React rendered.
 */
async function traceRenders(browser: Browser, page: Page, runs: number, count: boolean): Promise<void> {
  const perRun = new Map<string, number[]>();
  const totals: number[] = [];
  const rendered: number[] = [];
  for (let i = 0; i < runs; i++) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Programs' }).click();
    await page.getByRole('button', { name: 'Big block', exact: true }).waitFor();
    await page.waitForTimeout(300);
    const before = await page.evaluate(() => (window as unknown as { __renders: { on: boolean; total: number } }).__renders.total);
    if (count) await page.evaluate(() => (window as unknown as { __renders: { start(): void } }).__renders.start());
    const cdp = process.env.RENDER_CPU_PROFILE ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      await cdp.send('Profiler.start');
    }
    await browser.startTracing(page, { categories: CATEGORIES });
    const ms = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Big block')!;
          console.timeStamp('render:start');
          const t0 = performance.now();
          button.click();
          const check = () => {
            if (document.querySelector('section[aria-label^="Week 1 · Fri"] table'))
              requestAnimationFrame(() =>
                setTimeout(() => {
                  console.timeStamp('render:end');
                  resolve(performance.now() - t0);
                }),
              );
            else requestAnimationFrame(check);
          };
          check();
        }),
    );
    const events = (JSON.parse((await browser.stopTracing()).toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
    if (cdp) writeFileSync(`${process.env.RENDER_CPU_PROFILE}.${i}`, JSON.stringify((await cdp.send('Profiler.stop')).profile));
    const after = await page.evaluate(() => (window as unknown as { __renders: { total: number } }).__renders.total);
    rendered.push(after - before);
    const stamps = events.filter((e) => e.name === 'TimeStamp');
    const start = stamps.find((e) => (e.args?.data as { message?: string } | undefined)?.message === 'render:start')!;
    const end = stamps.find((e) => (e.args?.data as { message?: string } | undefined)?.message === 'render:end')!;
    const thread = events.filter((e) => e.pid === start.pid && e.tid === start.tid && e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const self = selfTimes(thread, start.ts - 1, end.ts);
    for (const [name, t] of self) {
      const phase = nameOfPhase(name);
      if (!perRun.has(phase)) perRun.set(phase, new Array(runs).fill(0));
      perRun.get(phase)![i]! += t;
    }
    totals.push(ms);
  }
  const t = summarize(totals);
  console.log(`first render, ${runs} runs under the trace: click → painted p50 ${fmt(t.p50, 1)} ms (max ${fmt(t.max, 1)}); components rendered p50 ${fmt(summarize(rendered).p50, 0)}`);
  for (const [phase, samples] of [...perRun.entries()].sort((a, b) => summarize(b[1]).mean - summarize(a[1]).mean)) {
    const s = summarize(samples);
    if (s.mean >= 0.2) console.log(`  ${phase.padEnd(44)} mean ${fmt(s.mean, 2).padStart(7)} ms  p50 ${fmt(s.p50, 2).padStart(7)}`);
  }
}

export async function traceKeystrokes(opts: { weeks: number; keys: number; out?: string; probe?: boolean; css?: string; cpuProfile?: string; edits?: number; renders?: number; count?: boolean; shots?: string; blank?: boolean; cold?: boolean }) {
  const chromium = findChromium();
  if ('skip' in chromium) throw new Error(chromium.skip);
  const dir = mkdtempSync(join(tmpdir(), 'coachdesk-ui-trace-'));
  const stack = await startStack(dir);
  const browser = await launchBrowser(chromium.path);
  try {
    const signIn = await stack.host.signIn(stack.serverUrl, stack.coach.token);
    if (!signIn.ok) throw new Error(signIn.message);
    const exerciseIds: string[] = [];
    for (const name of EXERCISES) exerciseIds.push((await stack.host.createExercise({ name })).id);
    const programId = await stack.host.createProgram({ name: 'Big block', weeks: opts.weeks, traineeId: null });
    await fillWeeks(stack.host, programId, opts.weeks, exerciseIds);
    const page = await newPage(browser);
    await page.addInitScript(RENDER_COUNTER);
    await page.goto(opts.cold ? stack.url : `${stack.url}#/programs/${programId}`);
    // Extra CSS to try (a constructed sheet: the page's CSP refuses inline styles).
    if (opts.css) {
      await page.evaluate((css) => {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      }, opts.css);
    }
    if (opts.shots) {
      await compareShots(browser, page, opts.shots);
      return process.exit(0);
    }
    if (opts.renders) {
      await traceRenders(browser, page, opts.renders, !!opts.count);
      return process.exit(0);
    }
    if (opts.blank) await page.setContent('<!doctype html><input aria-label="Only input">');
    const cell = opts.blank ? page.getByLabel('Only input') : page.getByRole('region', { name: /^Week 1 · Mon/ }).getByLabel('Notes, row 1', { exact: true });
    await cell.click();
    await page.waitForTimeout(500);
    const domSize = await page.evaluate(() => ({ elements: document.querySelectorAll('*').length, inputs: document.querySelectorAll('input,select,button').length }));
    if (opts.count) await page.evaluate(() => (window as unknown as { __renders: { start(): void } }).__renders.start());
    if (opts.probe) {
      // Marks in the trace where the bench's probes run: the rAF after the input, a setTimeout and
      // a user-blocking postTask queued from it.
      await page.evaluate(() => {
        document.addEventListener('input', () => {
          requestAnimationFrame(() => {
            console.timeStamp('probe:raf');
            setTimeout(() => console.timeStamp('probe:timeout'));
            (globalThis as unknown as { scheduler: { postTask(cb: () => void, o: { priority: string }): Promise<void> } }).scheduler.postTask(() => console.timeStamp('probe:postTask'), { priority: 'user-blocking' });
          });
        });
      });
    }
    const cdp = opts.cpuProfile ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
      await cdp.send('Profiler.start');
    } else await browser.startTracing(page, { categories: CATEGORIES });
    for (let i = 0; i < opts.keys; i++) {
      await page.keyboard.press(i % 10 === 9 ? 'Backspace' : 'a');
      await page.waitForTimeout(20);
    }
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(opts.cpuProfile!, JSON.stringify(profile));
      console.log(`CPU profile of the page in ${opts.cpuProfile}: node --import tsx bench/profile-summary.ts ${opts.cpuProfile} 30`);
      process.exit(0);
    }
    const buffer = await browser.stopTracing();
    const renders = await page.evaluate(() => (window as unknown as { __renders: { commits: number; total: number; byName: Record<string, number> } }).__renders);
    if (opts.out) writeFileSync(opts.out, buffer);
    const events = (JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
    // The page's renderer main thread: the CrRendererMain with the most keydowns.
    const mains = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    const keydowns = (pid: number, tid: number) => events.filter((e) => e.pid === pid && e.tid === tid && e.name === 'EventDispatch' && e.args?.data?.type === 'keydown');
    const main = mains.map((m) => ({ pid: m.pid, tid: m.tid, n: keydowns(m.pid, m.tid).length })).sort((a, b) => b.n - a.n)[0];
    if (!main || main.n === 0) throw new Error('no keydown in the trace');
    const thread = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const starts = keydowns(main.pid, main.tid).map((e) => e.ts).sort((a, b) => a - b);
    const tasks = thread.filter((e) => e.name === 'ThreadControllerImpl::RunTask');
    // Per key: the task that dispatched its keydown (and keypress, textInput, input), the first
    // BeginMainFrame after it (the frame that paints it), and everything else until the next key.
    const buckets = { input: new Map<string, number[]>(), frame: new Map<string, number[]>(), other: new Map<string, number[]>() };
    const totals = { input: [] as number[], frame: [] as number[], other: [] as number[] };
    const add = (bucket: keyof typeof buckets, i: number, self: Map<string, number>) => {
      let sum = 0;
      for (const [name, ms] of self) {
        const phase = nameOfPhase(name);
        if (!buckets[bucket].has(phase)) buckets[bucket].set(phase, new Array(starts.length).fill(0));
        buckets[bucket].get(phase)![i]! += ms;
        sum += ms;
      }
      totals[bucket][i] = (totals[bucket][i] ?? 0) + sum;
    };
    for (let i = 0; i < starts.length; i++) {
      const t0 = starts[i]!;
      const t1 = starts[i + 1] ?? t0 + 40_000;
      for (const b of Object.keys(totals) as Array<keyof typeof totals>) totals[b][i] = 0;
      const taskAt = (ts: number) => tasks.find((t) => t.ts <= ts && t.ts + t.dur! >= ts)?.ts ?? ts;
      const from = taskAt(t0);
      const to = starts[i + 1] !== undefined ? taskAt(t1) : t1;
      const window = tasks.filter((t) => t.ts >= from && t.ts < to);
      const typing = new Set(['keydown', 'keypress', 'textInput', 'input']);
      const inputs = window.filter((t) => thread.some((e) => e.ts >= t.ts && e.ts < t.ts + t.dur! && e.name === 'EventDispatch' && typing.has(e.args?.data?.type ?? '')));
      const lastInput = inputs.at(-1);
      const frame = window.find((t) => t.ts >= (lastInput ? lastInput.ts + lastInput.dur! : t0) && (t.args as { src_func?: string } | undefined)?.src_func === 'ScheduledActionSendBeginMainFrame');
      for (const task of window) {
        const self = selfTimes(thread, task.ts, task.ts + task.dur! + 1);
        add(inputs.includes(task) ? 'input' : task === frame ? 'frame' : 'other', i, self);
      }
    }
    // Edits: type a character and Enter (the cell commits, the program is read again, focus goes
    // down a row), N times; per edit, the components rendered and the main thread's busy time
    // until the next edit.
    const edits = { renders: [] as number[], busyMs: [] as number[], byName: {} as Record<string, number> };
    if (opts.edits) {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(300);
      const editCdp = process.env.EDIT_CPU_PROFILE ? await page.context().newCDPSession(page) : null;
      if (editCdp) {
        await editCdp.send('Profiler.enable');
        await editCdp.send('Profiler.setSamplingInterval', { interval: 100 });
        await editCdp.send('Profiler.start');
      }
      await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline'] });
      const marks: number[] = [];
      for (let i = 0; i < opts.edits; i++) {
        const before = await page.evaluate(() => (window as unknown as { __renders: { total: number } }).__renders.total);
        // Rows 1-5 of the Notes column, then back to row 1 (Enter on row 6 would go to "Add exercise").
        if (i % 5 === 0) {
          await page.getByRole('region', { name: /^Week 1 · Mon/ }).getByLabel('Notes, row 1', { exact: true }).click();
          await page.waitForTimeout(200);
        }
        await page.evaluate(() => console.timeStamp('edit'));
        await page.keyboard.press(String(i % 10));
        await page.keyboard.press('Enter');
        await page.waitForTimeout(400);
        const after = await page.evaluate(() => (window as unknown as { __renders: { total: number; byName: Record<string, number> } }).__renders);
        if (opts.count) edits.renders.push(after.total - before);
        edits.byName = after.byName;
        marks.push(i);
      }
      const editBuffer = await browser.stopTracing();
      if (editCdp) writeFileSync(process.env.EDIT_CPU_PROFILE!, JSON.stringify((await editCdp.send('Profiler.stop')).profile));
      if (process.env.EDIT_TRACE) writeFileSync(process.env.EDIT_TRACE, editBuffer);
      const editEvents = (JSON.parse(editBuffer.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
      const stamps = editEvents.filter((e) => e.name === 'TimeStamp').sort((a, b) => a.ts - b.ts);
      const mainTasks = editEvents.filter((e) => e.pid === main.pid && e.tid === main.tid && e.name === 'ThreadControllerImpl::RunTask' && typeof e.dur === 'number');
      for (let i = 0; i < stamps.length; i++) {
        const t0 = stamps[i]!.ts;
        const t1 = stamps[i + 1]?.ts ?? t0 + 500_000;
        edits.busyMs.push(mainTasks.filter((t) => t.ts >= t0 && t.ts < t1).reduce((a, t) => a + t.dur! / 1000, 0));
      }
    }
    const table = (m: Map<string, number[]>) => [...m.entries()].map(([phase, samples]) => ({ phase, ...summarize(samples) })).sort((a, b) => b.mean - a.mean);
    return {
      weeks: opts.weeks,
      keys: starts.length,
      domSize,
      renders: { perKey: renders.total / starts.length, commitsPerKey: renders.commits / starts.length, byName: renders.byName },
      inputMs: summarize(totals.input),
      frameMs: summarize(totals.frame),
      otherMs: summarize(totals.other),
      input: table(buckets.input),
      frame: table(buckets.frame),
      other: table(buckets.other),
      counted: !!opts.count,
      edits: { rendersPerEdit: summarize(edits.renders), perEdit: edits.renders, busyMs: summarize(edits.busyMs), byName: edits.byName },
    };
  } finally {
    await browser.close();
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? fallback : process.argv[i + 1]!;
  };
  const r = await traceKeystrokes({ weeks: Number(arg('--weeks', '12')), keys: Number(arg('--keys', '60')), out: process.argv.includes('--out') ? arg('--out', '/tmp/ui-trace.json') : undefined, probe: process.argv.includes('--probe'), css: process.argv.includes('--css') ? arg('--css', '') : undefined, cpuProfile: process.argv.includes('--cpu-profile') ? arg('--cpu-profile', '/tmp/ui-keys.cpuprofile') : undefined, edits: Number(arg('--edits', '0')), renders: Number(arg('--renders', '0')), count: process.argv.includes('--count'), shots: process.argv.includes('--shots') ? arg('--shots', '/tmp/shots') : undefined, blank: process.argv.includes('--blank'), cold: process.argv.includes('--cold') });
  console.log(`${r.weeks} weeks; ${r.keys} keys traced; page: ${r.domSize.elements} elements, ${r.domSize.inputs} inputs/selects/buttons`);
  if (r.counted) console.log(`React: ${fmt(r.renders.perKey, 1)} components rendered per key in ${fmt(r.renders.commitsPerKey, 1)} commits; by component: ${JSON.stringify(r.renders.byName)}`);
  if (r.edits.busyMs.n) {
    const renders = r.counted ? `${fmt(r.edits.rendersPerEdit.p50, 0)} components rendered per edit (p50; max ${fmt(r.edits.rendersPerEdit.max, 0)}); ` : '';
    console.log(`edits (a character, then Enter): ${renders}main thread busy per edit p50 ${fmt(r.edits.busyMs.p50, 1)} ms, max ${fmt(r.edits.busyMs.max, 1)} ms`);
    if (r.counted) console.log(`  per edit: ${r.edits.perEdit.join(', ')}; renders by component, keys and edits together: ${JSON.stringify(r.edits.byName)}`);
  }
  for (const bucket of ['input', 'frame', 'other'] as const) {
    const total = r[`${bucket}Ms`];
    const title = { input: 'the key\'s input task (keydown, keypress, input)', frame: 'the frame after it (BeginMainFrame)', other: 'other tasks until the next key (keyup, autofill, timers)' }[bucket];
    console.log(`${title}: mean ${fmt(total.mean, 2)} ms, p50 ${fmt(total.p50, 2)}, p95 ${fmt(total.p95, 2)}`);
    for (const p of r[bucket].filter((p) => p.mean >= 0.05)) console.log(`  ${p.phase.padEnd(44)} mean ${fmt(p.mean, 2).padStart(6)} ms  p50 ${fmt(p.p50, 2).padStart(6)}  p95 ${fmt(p.p95, 2).padStart(6)}`);
  }
}
