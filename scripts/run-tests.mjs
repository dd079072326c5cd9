// Runs every test/**/*.test.ts(x) file with Node's own test runner (TypeScript through tsx).
// Node 20's --test does not expand globs itself, so the files are listed here. The sync
// engine's suites then run a second time on the trainee app's SQLite WebAssembly adapter, and
// the sync server's suites a second time with the server serving from PostgreSQL.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return /\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The suites that drive the engine through test/sync-db.ts, and so run on both adapters. */
const ENGINE_SUITES = ['test/client/local-store', 'test/client/requests', 'test/client/engine-faults', 'test/client/reconnect', 'test/client/migrations', 'test/e2e/idempotency', 'test/e2e/story', 'test/trainee/'];
/**
 * The suites that start their sync server through test/helpers.ts (startServer, openTestStore),
 * and so run on both of its stores: SQLite, then PostgreSQL (COACHDESK_SERVER_STORE=postgres,
 * a fresh database per server on the local PostgreSQL). test/server/pg-*.test.ts run on
 * PostgreSQL in the first pass already.
 */
const storeSuite = (f) => /^test\/(server|e2e)\//.test(f) && /\b(startServer|openTestStore)\(/.test(readFileSync(f, 'utf8'));
/**
 * A test that hangs fails after this instead of stalling CI until it is killed. Node applies it
 * to each file as a whole too: test/sim/simulate.test.ts, the longest, took 118 s of tests on a
 * slow 2-core machine beside the other files (its simulations alone 73–87 s), and failed at 120.
 */
const TEST_TIMEOUT_MS = 300_000;

const filter = process.argv.slice(2);
const files = find('test').filter((f) => filter.length === 0 || filter.some((part) => f.includes(part))).sort();
if (files.length === 0) {
  console.error(`no test files match ${filter.join(' ')}`);
  process.exit(1);
}
const run = (list, env = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-timeout=${TEST_TIMEOUT_MS}`, '--test-reporter=spec', ...list], { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

let status = run(files);
const engineFiles = process.env.COACHDESK_SYNC_DB ? [] : files.filter((f) => ENGINE_SUITES.some((s) => f.startsWith(s)));
if (engineFiles.length > 0) {
  console.log(`\nThe engine's suites again, on the SQLite WebAssembly adapter (${engineFiles.length} files):\n`);
  const onWasm = run(engineFiles, { COACHDESK_SYNC_DB: 'wasm' });
  status ||= onWasm;
}
const storeFiles = process.env.COACHDESK_SERVER_STORE ? [] : files.filter(storeSuite);
if (storeFiles.length > 0) {
  console.log(`\nThe sync server's suites again, the server serving from PostgreSQL (${storeFiles.length} files):\n`);
  const onPostgres = run(storeFiles, { COACHDESK_SERVER_STORE: 'postgres' });
  status ||= onPostgres;
}
process.exit(status);
