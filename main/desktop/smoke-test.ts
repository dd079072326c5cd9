import { openLocalStore } from '../sync/node-sqlite.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { newId } from '../../protocol/index.ts';
import { LocalStore } from '../../sync/local-store.ts';

/** The page under test, however it was opened (Electron's webContents, or Chromium in tests). */
export interface SmokePage {
  url(): string;
  /** Evaluates an expression in the page (awaiting a promise it returns). */
  evaluate(expression: string): Promise<unknown>;
}

export interface SmokeStep {
  name: string;
  ok: boolean;
  ms: number;
  detail: unknown;
}

export interface SmokeReport {
  ok: boolean;
  /** The first step that failed, and why. */
  failure: string | null;
  startedAt: string;
  durationMs: number;
  versions: Record<string, string | undefined>;
  steps: SmokeStep[];
}

export interface SmokeOptions {
  userDataDir: string;
  reportFile: string;
  openPage(): Promise<SmokePage>;
  versions?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export const SMOKE_TIMEOUT_MS = 60_000;

class StepFailed extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

/**
 * What `--smoke-test` proves of a packaged app: its SQLite database opens, migrates and keeps an
 * edit across a reopen (so better-sqlite3 loaded under the runtime's ABI); the renderer loads
 * with the preload's API; one call makes the round trip to the host and back. Writes the report
 * whatever happens; the caller exits 0 only when `ok`.
 */
export async function runSmokeTest(options: SmokeOptions): Promise<SmokeReport> {
  const started = Date.now();
  const report: SmokeReport = { ok: false, failure: null, startedAt: new Date(started).toISOString(), durationMs: 0, versions: options.versions ?? {}, steps: [] };
  let current = 'start';
  const timeoutMs = options.timeoutMs ?? SMOKE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepFailed(`timed out after ${timeoutMs / 1000} s during "${current}"`)), timeoutMs);
  });

  const step = async (name: string, run: () => Promise<unknown> | unknown) => {
    current = name;
    const t0 = Date.now();
    try {
      const detail = await Promise.race([Promise.resolve().then(run), timeout]);
      report.steps.push({ name, ok: true, ms: Date.now() - t0, detail });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report.steps.push({ name, ok: false, ms: Date.now() - t0, detail: message });
      throw new StepFailed(`${name}: ${message}`);
    }
  };

  try {
    await step('database', () => checkDatabase(join(options.userDataDir, 'smoke-test.db')));
    let page: SmokePage | undefined;
    await step('renderer', async () => {
      page = await options.openPage();
      const shown = (await page.evaluate(
        `({ readyState: document.readyState, title: document.title, api: typeof window.coachdesk, rendered: (document.getElementById('root')?.childElementCount ?? 0) > 0 })`,
      )) as { readyState: string; title: string; api: string; rendered: boolean };
      check(shown.api === 'object', `the preload's API (window.coachdesk) is missing from ${page.url()}`);
      check(shown.rendered, `the renderer drew nothing into #root at ${page.url()}`);
      return { url: page.url(), ...shown };
    });
    await step('ipc', async () => {
      const session = (await page!.evaluate(`window.coachdesk.getSession()`)) as { signedIn?: unknown };
      check(session && typeof session.signedIn === 'boolean', `getSession answered ${JSON.stringify(session)}`);
      const update = (await page!.evaluate(`window.coachdesk.getUpdateState()`)) as { status?: unknown };
      check(typeof update?.status === 'string', `getUpdateState answered ${JSON.stringify(update)}`);
      return { getSession: session, getUpdateState: update };
    });
    report.ok = true;
  } catch (error) {
    report.failure = error instanceof StepFailed ? error.message : `${current}: ${(error as Error).stack ?? String(error)}`;
  } finally {
    clearTimeout(timer);
    report.durationMs = Date.now() - started;
    mkdirSync(dirname(options.reportFile), { recursive: true });
    writeFileSync(options.reportFile, `${JSON.stringify(report, null, 2)}\n`);
  }
  return report;
}

/** Opens (creating and migrating) a database, queues one edit, and finds it again after a reopen. */
function checkDatabase(file: string) {
  mkdirSync(dirname(file), { recursive: true });
  const first = openLocalStore(file);
  const before = first.pendingCount;
  const op = first.enqueue({ entity: 'settings', id: newId(), action: 'put', fields: { displayName: `smoke ${new Date().toISOString()}` } });
  first.close();
  const again = openLocalStore(file);
  try {
    check(again.pendingCount === before + 1, `the queued edit did not survive a reopen (${again.pendingCount} pending, expected ${before + 1})`);
    check(again.pendingOps(op.seq, 1)[0]?.key === op.key, `the queued edit ${op.key} is not in the outbox after a reopen`);
    return {
      file,
      schemaVersion: (again.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version,
      sqlite: (again.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
      pending: again.pendingCount,
    };
  } finally {
    again.close();
  }
}
