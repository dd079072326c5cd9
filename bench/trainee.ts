// The trainee app's figures, on a phone viewport in Chromium over loopback (not part of `npm
// run bench`): `node --import tsx bench/trainee.ts [--sets 40]`.
//   - transferred size of the first load (every file the browser fetched), raw and gzip
//   - cold load: the invite link opened in a fresh browser to today's workout on screen
//   - warm load (a new tab, the service worker's cache) and offline reload
//   - from a tap on "Log set" to a connected coach's engine receiving the set: p50 / p95 / max
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Row } from '../protocol/index.ts';
import { killAllChildren } from '../test/e2e/support.ts';
import { startTraineeStack } from '../test/trainee/world.ts';
import { eventually, findChromium, launchBrowser } from '../test/ui/support.ts';

const argv = process.argv.slice(2);
const SETS = argv.includes('--sets') ? Number(argv[argv.indexOf('--sets') + 1]) : 40;
const RUNS = 5;

const ms = (n: number) => `${n.toFixed(0)} ms`;
const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);

const found = findChromium();
if ('skip' in found) throw new Error(found.skip);
const dir = mkdtempSync(join(tmpdir(), 'coachdesk-trainee-bench-'));
const builtAt = Date.now();
const stack = await startTraineeStack(dir, { squatSets: SETS });
const setupMs = Date.now() - builtAt;
const browser = await launchBrowser(found.path);
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
  // When the page saw the tap on "Log set" (its own clock is this machine's).
  await context.addInitScript(`document.addEventListener('click', (e) => { if (e.target.closest && e.target.closest('button.log')) window.__tapAt = Date.now(); }, true);`);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const row = (n: number) => page.getByRole('group', { name: `Back squat set ${n}`, exact: true });

  // First load: every response of the app's origin, as the browser received it.
  const fetched = new Map<string, Promise<Buffer | null>>();
  const times = new Map<string, number>();
  context.on('response', (r) => {
    const url = new URL(r.url());
    if (url.origin !== stack.base || r.request().method() !== 'GET') return;
    times.set(url.pathname, (times.get(url.pathname) ?? 0) + 1);
    if (!fetched.has(url.pathname)) fetched.set(url.pathname, r.body().catch(() => null));
  });
  const invite = await stack.invite();
  let t = performance.now();
  await page.goto(invite);
  await row(1).waitFor();
  const coldMs = performance.now() - t;
  await eventually('synced', () => page.getByTestId('pending').textContent(), (x) => x === 'All synced', 30_000);
  await eventually('the service worker', () => page.evaluate(() => navigator.serviceWorker.controller !== null), (c) => c, 30_000);
  // Responses seen during the first load only (later tabs and reloads are answered by the service worker).
  const firstLoad = new Map(times);
  const files: Array<{ path: string; bytes: number; gzip: number }> = [];
  for (const [path, body] of fetched) {
    // The service worker's own fetches come without a body here: the file on disk is what it got.
    let b = await body;
    if (!b?.length) b = await readFile(join(stack.appDir, path === '/join' ? 'index.html' : path.slice(1))).catch(() => null);
    if (b) files.push({ path, bytes: b.length, gzip: gzipSync(b, { level: 6 }).length });
  }
  files.sort((a, b) => b.bytes - a.bytes);

  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const p = await context.newPage();
    t = performance.now();
    await p.goto(`${stack.base}/`);
    // Another tab owns the database: wait for "Use it here" to land, then close (lock moves back on close).
    await p.getByRole('heading', { name: 'CoachDesk is open in another tab' }).waitFor();
    warm.push(performance.now() - t);
    await p.close();
  }

  const offline: number[] = [];
  await context.setOffline(true);
  for (let i = 0; i < RUNS; i++) {
    t = performance.now();
    await page.reload();
    await row(1).waitFor();
    offline.push(performance.now() - t);
  }
  await context.setOffline(false);
  await eventually('synced again', () => page.getByTestId('pending').textContent(), (x) => x === 'All synced', 30_000);
  await eventually('online', () => page.getByTestId('connection').textContent(), (x) => x === 'Online', 30_000);

  // Tap to coach: the coach's engine emits 'rows' when the server's live changes arrive.
  let waiting: { resolve: (at: number) => void } | undefined;
  const seen = new Set<string>();
  stack.coach.engine.on('rows', (rows: Row[]) => {
    for (const r of rows) {
      if (r.entity === 'set_log' && !seen.has(r.id)) {
        seen.add(r.id);
        waiting?.resolve(Date.now());
      }
    }
  });
  const latencies: number[] = [];
  const fromTap: number[] = [];
  for (let n = 1; n <= SETS; n++) {
    const button = row(n).getByRole('button', { name: 'Log set', exact: true });
    await button.waitFor();
    const arrived = new Promise<number>((resolve) => (waiting = { resolve }));
    t = performance.now();
    await button.click();
    const at = await arrived;
    latencies.push(performance.now() - t);
    fromTap.push(at - (await page.evaluate(() => (window as unknown as { __tapAt: number }).__tapAt)));
    await row(n).locator('.set-done').waitFor();
  }

  const total = files.reduce((s, f) => s + f.bytes, 0);
  const totalGz = files.reduce((s, f) => s + f.gzip, 0);
  console.log(`trainee app bench (Chromium ${browser.version()}, phone 390×844, loopback; setup incl. build ${ms(setupMs)})`);
  console.log(`first load: ${files.length} files, ${kb(total)} (${kb(totalGz)} gzip)`);
  for (const f of files) console.log(`  ${f.path.padEnd(32)} ${kb(f.bytes).padStart(10)} ${kb(f.gzip).padStart(10)} gzip${(firstLoad.get(f.path) ?? 0) > 1 ? `  (${firstLoad.get(f.path)} responses: page and service worker)` : ''}`);
  console.log(`cold load (invite link → today on screen, incl. join, wasm, new database, first sync): ${ms(coldMs)}`);
  console.log(`warm load, new tab from the service worker's cache (to its first screen): median ${ms(median(warm))} of ${RUNS}`);
  console.log(`offline reload (→ today on screen, from the service worker and OPFS): median ${ms(median(offline))}, max ${ms(Math.max(...offline))} of ${RUNS}`);
  console.log(
    `"Log set" click event in the page → coach's engine holds the set, ${SETS} sets: p50 ${ms(median(fromTap))}, p95 ${ms(quantile(fromTap, 0.95))}, max ${ms(Math.max(...fromTap))}`,
  );
  console.log(
    `  the same from Playwright's click() call (adds its actionability checks): p50 ${ms(median(latencies))}, p95 ${ms(quantile(latencies, 0.95))}, max ${ms(Math.max(...latencies))}`,
  );
} finally {
  await browser.close();
  await stack.close();
  killAllChildren();
  rmSync(dir, { recursive: true, force: true });
}
