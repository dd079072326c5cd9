import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnqueue } from './enqueue.ts';
import { benchServer } from './server-throughput.ts';
import { fmt } from './stats.ts';
import { benchUi } from './ui.ts';

const quick = process.argv.includes('--quick');
const dir = mkdtempSync(join(tmpdir(), 'coachdesk-bench-'));
try {
  const iterations = quick ? 300 : 3000;
  const e = benchEnqueue(dir, iterations);
  console.log(`\nEnqueue (${iterations} edits, WAL + synchronous=FULL, interleaved with the floor), ms`);
  console.log('  what                          p50      p99');
  console.log(`  bare durable SQLite insert  ${fmt(e.floor.p50).padStart(7)}  ${fmt(e.floor.p99).padStart(7)}`);
  console.log(`  enqueue                     ${fmt(e.enqueue.p50).padStart(7)}  ${fmt(e.enqueue.p99).padStart(7)}`);
  console.log(`  enqueue + read view         ${fmt(e.enqueueAndRead.p50).padStart(7)}  ${fmt(e.enqueueAndRead.p99).padStart(7)}`);
  console.log(`  enqueue p99 above the floor: ${fmt(e.enqueue.p99 - e.floor.p99)} ms (target < 1 ms)`);

  const server = [];
  for (const clients of quick ? [1, 10] : [1, 10]) {
    const batches = quick ? 4 : clients === 1 ? 60 : 8;
    server.push(await benchServer(dir, clients, batches));
  }
  console.log('\nServer: acked ops/s (batches of 500 new rows, 2 batches in flight per client, server in its own process)');
  console.log('  clients      ops   seconds    ops/s   push-to-ack p50 / p99 ms');
  for (const s of server) {
    console.log(
      `  ${String(s.clients).padStart(7)}  ${String(s.ops).padStart(7)}  ${fmt(s.seconds, 2).padStart(8)}  ${fmt(s.opsPerSec, 0).padStart(7)}   ${fmt(s.pushToAckMs.p50, 1)} / ${fmt(s.pushToAckMs.p99, 1)}`,
    );
  }
  console.log('  target: 20,000 acked ops/s or more');
  const ui = await benchUi(dir, quick ? { renders: 3, keystrokes: 30 } : { renders: 15, keystrokes: 200 });
  console.log('\nCoach UI in Chromium (web shell): 12 weeks × 4 days × 6 prescriptions');
  if ('skipped' in ui) console.log(`  skipped: ${ui.skipped}`);
  else {
    console.log(`  first render of the builder   p50 ${fmt(ui.firstRenderMs.p50, 1)} ms, max of ${ui.firstRenderMs.n}: ${fmt(ui.firstRenderMs.p99, 1)} ms (target < 200 ms)`);
    console.log(`  keystroke in a cell to paint  p50 ${fmt(ui.keystrokeToPaintMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeToPaintMs.p95, 1)} ms (target < 16 ms; includes the wait for the next frame)`);
    console.log(`  keystroke handled, DOM updated p50 ${fmt(ui.keystrokeHandledMs.p50, 1)} ms, p95 ${fmt(ui.keystrokeHandledMs.p95, 1)} ms`);
  }
  const results = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, quick, enqueue: e, server, ui };
  writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(results, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
