import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startServerProcess, type ServerProcess } from '../main/embedded/server-process.ts';
import { CoachDeskHost } from '../main/host/coachdesk-host.ts';
import { fileModeVault } from '../main/host/saved-session.ts';
import { WebShell } from '../main/web-shell/web-shell.ts';
import { addDays } from '../protocol/calendar.ts';
import { newId, type Entity, type Fields } from '../protocol/index.ts';
import { addCoach, type User } from '../server/auth.ts';
import { CanonicalStore } from '../server/canonical-store.ts';
import { openServerDb } from '../server/db.ts';
import { findChromium, launchBrowser, RENDERER_DIR } from '../test/ui/support.ts';
import { fmt, ms, summarize } from './stats.ts';

/**
 * The Progress view on 3 years of daily logs of one client (1,095 sessions × 92 sets = 100,740
 * set_logs, 6 exercises), in Chromium through the web shell. The logs are pushed through the
 * server's store as the client's phone would, and reach the coach's desk by a catch-up (not
 * timed). Measured:
 * - first render: the click on "Progress" in the client list to the frame with the e1RM chart
 *   drawn (the host reads the replica and computes; the first one is cold);
 * - switching exercise: the select's change to the frame with the other exercise's chart;
 * - the same e1RM data as a plain HTML table (1,095 rows, "Show as table") and, once, the
 *   Activity screen that lists the sets themselves.
 */
export type ProgressBenchResult = Awaited<ReturnType<typeof benchProgress>>;

const EXERCISES: Array<[string, string]> = [
  ['Back squat', 'Squat'],
  ['Bench press', 'Push'],
  ['Deadlift', 'Hinge'],
  ['Overhead press', 'Push'],
  ['Barbell row', 'Pull'],
  ['Pull-up', 'Pull'],
];
const DAYS = 1095;
const SETS_A_DAY = 92;

function seed(file: string): { token: string; traineeId: string; sets: number } {
  const db = openServerDb(file);
  db.pragma('synchronous = OFF');
  try {
    const coach = addCoach(db, 'Ana');
    const store = new CanonicalStore(db);
    const push = (user: User, ops: Array<{ entity: Entity; id: string; fields: Fields }>) => {
      const clientId = `seed-${user.id}`;
      let seq = store.nextSeq(user.id, clientId);
      const at = new Date().toISOString();
      for (let i = 0; i < ops.length; i += 5000) {
        const batch = ops.slice(i, i + 5000).map((o) => ({ key: newId(), seq: seq++, at, entity: o.entity, id: o.id, action: 'put', fields: o.fields, baseVersion: 0 }));
        const outcome = store.push(user, clientId, batch, Date.now());
        const bad = outcome.acks.find((a) => a.status !== 'applied');
        if (bad) throw new Error(`progress seed: ${bad.status} ${bad.reason}: ${bad.message}`);
      }
    };
    const traineeId = newId();
    const exercises = EXERCISES.map(([name, category]) => ({ entity: 'exercise' as const, id: newId(), fields: { coachId: coach.userId, name, category } }));
    push({ id: coach.userId, role: 'coach', name: 'Ana', coachId: null }, [{ entity: 'trainee', id: traineeId, fields: { coachId: coach.userId, name: 'Years Client' } }, ...exercises]);
    const logs: Array<{ entity: Entity; id: string; fields: Fields }> = [];
    for (let day = 0; day < DAYS; day++) {
      const sessionId = newId();
      logs.push({ entity: 'session', id: sessionId, fields: { traineeId, date: addDays('2024-01-01', day), status: 'completed' } });
      for (let i = 0; i < SETS_A_DAY; i++) {
        const trend = Math.round(day / 20) * 2.5;
        logs.push({ entity: 'set_log', id: newId(), fields: { sessionId, exerciseId: exercises[i % exercises.length]!.id, setIndex: i, reps: 1 + (i % 12), load: 60 + trend + ((i * 7) % 15), loadUnit: 'kg', rpe: 6 + (i % 4), done: true } });
      }
    }
    push({ id: traineeId, role: 'trainee', name: null, coachId: coach.userId }, logs);
    return { token: coach.token, traineeId, sets: DAYS * SETS_A_DAY };
  } finally {
    db.close();
  }
}

/** Runs `start` in the page and resolves with ms from it to the frame after `done()` holds. */
function toPaint(page: Page, script: { start: string; done: string }): Promise<number> {
  return page.evaluate(
    ({ start, done }) =>
      new Promise<number>((resolve, reject) => {
        const isDone = new Function(`return (${done})`) as () => boolean;
        const t0 = performance.now();
        new Function(start)();
        const deadline = t0 + 120_000;
        const check = () => {
          if (isDone()) requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0)));
          else if (performance.now() > deadline) reject(new Error(`not done: ${done}`));
          else requestAnimationFrame(check);
        };
        check();
      }),
    script,
  );
}

export async function benchProgress(dir: string, { quick }: { quick: boolean }) {
  const runs = quick ? { renders: 3, switches: 6, tables: 3, activity: false } : { renders: 10, switches: 30, tables: 10, activity: true };
  const chromium = findChromium();
  if ('skip' in chromium) return { skipped: chromium.skip };
  const serverDb = join(dir, 'server.db');
  const t = process.hrtime.bigint();
  const seeded = seed(serverDb);
  const seedMs = ms(process.hrtime.bigint() - t);
  let server: ServerProcess | undefined;
  const host = new CoachDeskHost(join(dir, 'desk'), fileModeVault);
  let shell: WebShell | undefined;
  const browser = await launchBrowser(chromium.path);
  try {
    server = await startServerProcess(serverDb);
    host.start();
    const signIn = await host.signIn(server.url, seeded.token);
    if (!signIn.ok) throw new Error(signIn.message);
    const c0 = Date.now();
    for (;;) {
      const s = await host.getSyncStatus();
      if (s.connection === 'synced') break;
      if (Date.now() - c0 > 120_000) throw new Error(`the desk did not catch up: ${JSON.stringify(s.error)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const catchUpMs = Date.now() - c0;
    shell = new WebShell({ host, rendererDir: RENDERER_DIR });
    const url = await shell.listen();
    // The timing scripts are compiled in the page (new Function): its CSP is bypassed for them, the only thing changed here.
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
    await page.addInitScript('window.__name = (fn) => fn;');
    await page.goto(url);
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor({ timeout: 30_000 });

    const chartDrawn = `!!document.querySelector('[data-testid=e1rm-chart] canvas') && !!document.querySelector('[aria-label="Best e1RM per exercise"]')`;
    const renders: number[] = [];
    const tablesShown: number[] = [];
    for (let i = 0; i < runs.renders; i++) {
      for (const [list, done] of [[renders, chartDrawn], [tablesShown, `!!document.querySelector('[aria-label="Best e1RM per exercise"]')`]] as const) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Clients' }).click();
        await page.getByRole('button', { name: 'Progress of Years Client' }).waitFor();
        list.push(await toPaint(page, { start: `document.querySelector('[aria-label="Progress of Years Client"]').click()`, done }));
      }
    }
    const payloadBytes = JSON.stringify(await host.getProgress(seeded.traineeId)).length;

    const switches: number[] = [];
    for (let i = 0; i < runs.switches; i++) {
      const name = EXERCISES[(i + 1) % EXERCISES.length]![0];
      switches.push(
        await toPaint(page, {
          start: `const s = document.querySelector('select[aria-label="Exercise"]'); const o = [...s.options].find((o) => o.text === ${JSON.stringify(name)}); s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true }));`,
          done: `(document.querySelector('.e1rm-chart .chart-caption')?.textContent ?? '').startsWith(${JSON.stringify(`${name}:`)}) && !!document.querySelector('[data-testid=e1rm-chart] canvas')`,
        }),
      );
    }

    const tables: number[] = [];
    for (let i = 0; i < runs.tables; i++) {
      tables.push(
        await toPaint(page, {
          start: `[...document.querySelectorAll('[data-testid=e1rm-chart] button')].find((b) => b.textContent === 'Show as table').click()`,
          done: `(document.querySelector('[data-testid=e1rm-chart] table tbody')?.children.length ?? 0) === ${DAYS}`,
        }),
      );
      await page.getByTestId('e1rm-chart').getByRole('button', { name: 'Show as chart' }).click();
      await page.getByTestId('e1rm-chart').locator('canvas').first().waitFor();
    }

    let activityMs: number | null = null;
    if (runs.activity) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Clients' }).click();
      await page.getByRole('button', { name: 'Activity of Years Client' }).waitFor();
      activityMs = await toPaint(page, {
        start: `document.querySelector('[aria-label="Activity of Years Client"]').click()`,
        done: `document.querySelectorAll('ol.sets > li').length >= ${DAYS * SETS_A_DAY}`,
      });
    }
    return {
      sets: seeded.sets,
      seedMs,
      catchUpMs,
      payloadBytes,
      firstRenderColdMs: renders[0]!,
      firstRenderWarmMs: summarize(renders.slice(1)),
      dataOnScreenMs: summarize(tablesShown),
      switchExerciseMs: summarize(switches),
      e1rmTableMs: summarize(tables),
      activityMs,
    };
  } finally {
    await browser.close();
    await shell?.close();
    await host.close();
    await server?.stop();
  }
}

export function printProgress(r: ProgressBenchResult): string[] {
  const lines = ['Progress view in Chromium (web shell): 3 years of daily logs, one client'];
  if ('skipped' in r) return [...lines, `  skipped: ${r.skipped}`];
  return [
    ...lines,
    `  ${r.sets.toLocaleString('en-GB')} set_logs (seeded through the server in ${fmt(r.seedMs / 1000, 1)} s, caught up by the desk in ${fmt(r.catchUpMs / 1000, 1)} s; not timed)`,
    `  first render, cold (host reads and computes)  ${fmt(r.firstRenderColdMs, 1)} ms (click → chart painted; target < 300 ms)`,
    `  first render, cached                         p50 ${fmt(r.firstRenderWarmMs.p50, 1)} ms, max of ${r.firstRenderWarmMs.n}: ${fmt(r.firstRenderWarmMs.max, 1)} ms`,
    `  of which the data on screen (no chart yet)  p50 ${fmt(r.dataOnScreenMs.p50, 1)} ms (click → the table of bests painted)`,
    `  switch exercise (no call to the host)        p50 ${fmt(r.switchExerciseMs.p50, 1)} ms, max of ${r.switchExerciseMs.n}: ${fmt(r.switchExerciseMs.max, 1)} ms`,
    `  the same e1RM data as a plain table (${DAYS} rows) p50 ${fmt(r.e1rmTableMs.p50, 1)} ms, max ${fmt(r.e1rmTableMs.max, 1)} ms`,
    `  the Activity screen listing the sets         ${r.activityMs === null ? 'not run (--quick)' : `${fmt(r.activityMs, 0)} ms`}`,
    `  getProgress answer                           ${(r.payloadBytes / 1024).toFixed(0)} KiB of JSON (every exercise's series at once)`,
  ];
}
