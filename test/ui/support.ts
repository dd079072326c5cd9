// The stack a UI end-to-end test drives: a real sync server in its own process (so it can be
// stopped and restarted on the same port), the host services and web shell, and Debian's Chromium.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serverAdmin, startServerProcess, type ServerProcess } from '../../main/embedded/server-process.ts';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { WebShell } from '../../main/web-shell/web-shell.ts';
import { killAllChildren, within } from '../e2e/support.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_DIR = join(ROOT, 'dist/renderer');
export const SCREENSHOTS = join(ROOT, 'docs/screenshots');
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];

/**
 * Debian's Chromium, or a reason to skip. In CI a missing browser is a failure, never a skip.
 */
export function findChromium(): { path: string } | { skip: string } {
  const path = CANDIDATES.find((p) => existsSync(p));
  if (path) return { path };
  const message = `no Chromium at ${CANDIDATES.join(' or ')} (apt-get install -y chromium)`;
  if (process.env.CI) throw new Error(`UI end-to-end tests need a browser in CI: ${message}`);
  console.error(`\n*** SKIPPING the UI end-to-end tests: ${message} ***\n`);
  return { skip: message };
}

/** `extraArgs`: more Chromium switches (the UI bench's unthrottled run turns vsync off). */
export async function launchBrowser(path: string, extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: path,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync', ...extraArgs],
  });
}

/**
 * A page of 1400×900. tsx compiles functions with a `__name` helper (esbuild's keepNames), which
 * functions passed to page.evaluate then call inside the browser: define it there.
 */
export async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript('window.__name = (fn) => fn;');
  return page;
}

export interface Stack {
  url: string;
  serverUrl: string;
  serverDb: string;
  coach: { userId: string; token: string };
  host: CoachDeskHost;
  shell: WebShell;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(dir: string): Promise<Stack> {
  if (!existsSync(join(RENDERER_DIR, 'app.js'))) throw new Error('the renderer is not built: npm run build:renderer');
  const serverDb = join(dir, 'server.db');
  const coach = await serverAdmin(['add-coach', '--db', serverDb, '--name', 'Ana Coach']);
  let server: ServerProcess | undefined = await startServerProcess(serverDb);
  const serverUrl = server.url;
  const port = Number(new URL(serverUrl.replace('ws:', 'http:')).port);
  const host = new CoachDeskHost(join(dir, 'desk'), fileModeVault);
  host.start();
  const shell = new WebShell({ host, rendererDir: RENDERER_DIR });
  const url = await shell.listen();
  return {
    url,
    serverUrl,
    serverDb,
    coach,
    host,
    shell,
    async stopServer() {
      await server?.stop();
      server = undefined;
    },
    async startServer() {
      server = await startServerProcess(serverDb, { port });
    },
    async close() {
      await shell.close();
      await host.close();
      await server?.stop();
    },
  };
}

/** A stack (startStack) in a temporary folder and a page on it (newPage) in Chromium, for one scenario. */
export interface Desk {
  dir: string;
  stack: Stack;
  chromium: Browser;
  page: Page;
  /** Console lines from the page that speak of the CSP. */
  cspViolations: string[];
  /** Uncaught errors in the page. */
  pageErrors: string[];
}

export interface DeskOptions {
  /** Folder name: coachdesk-ui-`name`-XXXXXX. */
  name: string;
  /** Default timeout of the page's actions. */
  actionMs: number;
  /**
   * Also have the page log every `securitypolicyviolation` event (with where it came from), and
   * count console lines that say "refused to".
   */
  cspEvents?: boolean;
}

/**
 * Builds the renderer if it is not built, starts a stack in a new temporary folder, and opens a
 * page in Chromium that collects CSP violations and page errors. If a part fails, what was
 * started is closed again before the error is thrown.
 */
export async function openDesk(browserPath: string, options: DeskOptions): Promise<Desk> {
  if (!existsSync(join(RENDERER_DIR, 'app.js'))) {
    const built = spawnSync(process.execPath, ['scripts/build-renderer.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(built.status, 0, `building the renderer failed: ${built.stderr}`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), `coachdesk-ui-${options.name}-`));
  let stack: Stack | undefined;
  let chromium: Browser | undefined;
  try {
    stack = await within('the stack to start', 30_000, startStack(dir));
    chromium = await within('Chromium to start', 30_000, launchBrowser(browserPath));
    const page = await newPage(chromium);
    page.setDefaultTimeout(options.actionMs);
    const cspViolations: string[] = [];
    const pageErrors: string[] = [];
    if (options.cspEvents) {
      await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));`);
    }
    const csp = options.cspEvents ? /Content.Security.Policy|refused to/i : /Content.Security.Policy/i;
    page.on('console', (message) => {
      if (csp.test(message.text())) cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    return { dir, stack, chromium, page, cspViolations, pageErrors };
  } catch (error) {
    await closeDesk({ dir, stack, chromium });
    throw error;
  }
}

/** Closes Chromium and the stack (bounded), kills what the test spawned, and removes the folder. */
export async function closeDesk(desk: Partial<Desk> | undefined): Promise<void> {
  await within('Chromium to close', 10_000, desk?.chromium?.close() ?? Promise.resolve()).catch(() => {});
  await within('the stack to close', 15_000, desk?.stack?.close() ?? Promise.resolve()).catch(() => {});
  killAllChildren();
  if (desk?.dir) rmSync(desk.dir, { recursive: true, force: true });
}

/** Waits for a condition in the page's text, bounded. */
export async function waitForText(page: Page, text: string | RegExp, timeout = 10_000): Promise<void> {
  await page.getByText(text).first().waitFor({ timeout });
}

/** Polls `read` until `ok` holds; fails with the last value seen. */
export async function eventually<T>(what: string, read: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (ok(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${lastError ? String(lastError) : JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
