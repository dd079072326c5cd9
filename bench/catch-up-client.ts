// The fresh install of bench/catch-up.ts, in a process of its own so its peak memory is its own:
//   node --import tsx bench/catch-up-client.ts --url ws://… --token T --db FILE
// Prints one JSON line: time from start() to `synced`, rows in the replica, peak memory.
import { openWebSocket } from '../main/sync/node-socket.ts';
import { openLocalStore } from '../main/sync/node-sqlite.ts';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LocalStore } from '../sync/local-store.ts';
import { SyncEngine } from '../sync/sync-engine.ts';

export interface CatchUpClientResult {
  /** start() to the connection's `synced` state (catch-up applied and the cursor moved). */
  syncedMs: number;
  /** start() to the welcome. */
  welcomeMs: number;
  /** Rows in the replica afterwards (tombstones included) and the cursor. */
  replicaRows: number;
  lastVersion: number;
  /**
   * Peak resident set of this process: VmHWM from /proc/self/status where there is one. Not
   * getrusage's maxRSS: Linux carries the parent's peak over fork and exec into it, so a child
   * of a big bench process would report the parent's size.
   */
  maxRssMB: number;
  /** process.resourceUsage().maxRSS, for reference (see above). */
  ruMaxRssMB: number;
  rssBeforeMB: number;
}

const { values } = parseArgs({ options: { url: { type: 'string' }, token: { type: 'string' }, db: { type: 'string' }, timeout: { type: 'string' } } });
if (!values.url || !values.token || !values.db) {
  console.error('usage: node --import tsx bench/catch-up-client.ts --url URL --token T --db FILE [--timeout MS]');
  process.exit(2);
}

const store = openLocalStore(values.db);
const engine = new SyncEngine({ connect: openWebSocket,  store, url: values.url, token: values.token });
let welcomeAt: bigint | undefined;
engine.on('state', (s: { connection: string }) => {
  if (!welcomeAt && s.connection === 'syncing') welcomeAt = process.hrtime.bigint();
});
const rssBeforeMB = process.memoryUsage().rss / 2 ** 20;
const start = process.hrtime.bigint();
engine.start();
const synced = await engine.whenIdle(Number(values.timeout ?? 120_000));
const end = process.hrtime.bigint();
await engine.stop();
const replicaRows = (store.db.prepare(`SELECT COUNT(*) AS n FROM replica`).get() as { n: number }).n;
const lastVersion = store.lastVersion;
store.close();
if (!synced) {
  console.error(`catch-up client: not synced (${replicaRows} rows in the replica)`);
  process.exit(3);
}
function peakRssMB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: getrusage below
  }
  return process.resourceUsage().maxRSS / 1024;
}

const result: CatchUpClientResult = {
  syncedMs: Number(end - start) / 1e6,
  welcomeMs: welcomeAt ? Number(welcomeAt - start) / 1e6 : NaN,
  replicaRows,
  lastVersion,
  maxRssMB: peakRssMB(),
  // Kilobytes on Linux.
  ruMaxRssMB: process.resourceUsage().maxRSS / 1024,
  rssBeforeMB,
};
console.log(JSON.stringify(result));
