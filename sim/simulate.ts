// npm run simulate -- --schedules N --seed S [--steps K] [--verbose]
// Deterministic simulation: each schedule's seed decides every edit, fault, delay and id, so a
// failing seed reproduces exactly: `npm run simulate -- --schedules 1 --seed <its seed>`.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runSchedule } from './schedule.ts';
import { installVirtualRuntime } from './virtual-runtime.ts';

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    steps: { type: 'string', default: '60' },
    verbose: { type: 'boolean', default: false },
  },
});
const schedules = Number(values.schedules);
const seed = Number(values.seed);
const steps = Number(values.steps);
for (const [name, v] of [['--schedules', schedules], ['--seed', seed], ['--steps', steps]] as const) {
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} must be a whole number, not ${v}`);
    process.exit(2);
  }
}

const started = performance.now();
// From here on, time, timers and randomness are the simulation's (modules are all loaded).
installVirtualRuntime();
let ops = 0;
const faults: Record<string, number> = {};
// A digest of every schedule's trace: the same seeds must give the same digest, run after run.
const digest = createHash('sha256');
for (let i = 0; i < schedules; i++) {
  const s = seed + i;
  const result = await runSchedule(s, steps);
  ops += result.ops;
  digest.update(result.trace.join('\n'));
  for (const [k, n] of Object.entries(result.faults)) faults[k] = (faults[k] ?? 0) + n;
  if (values.verbose) console.log(`seed ${s}: ${result.ok ? 'ok' : 'FAILED'}, ${result.ops} ops`);
  if (!result.ok) {
    console.error(`\nschedule with seed ${s} FAILED: ${result.failure}`);
    console.error(`trace (last 40 of ${result.trace.length} steps):\n  ${result.trace.slice(-40).join('\n  ')}`);
    console.error(`\nreproduce: npm run simulate -- --schedules 1 --seed ${s} --steps ${steps}`);
    process.exit(1);
  }
}
const faultList = Object.entries(faults).map(([k, n]) => `${n} ${k}`).join(', ');
console.log(`${schedules} schedules (seeds ${seed}..${seed + schedules - 1}, ${steps} steps each): ${ops} ops, 0 lost, 0 applied twice; faults: ${faultList}; ${((performance.now() - started) / 1000).toFixed(1)} s; trace digest ${digest.digest('hex').slice(0, 16)}`);
process.exit(0);
