// `npm run bench [-- --quick] [-- --only edit-path,server,…]`: every comparison, a human table
// on stdout and the same figures as JSON in bench/results.json.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { benchCatchUp, printCatchUp } from './catch-up.ts';
import { benchDrain, printDrain } from './drain.ts';
import { benchEditPath, printEditPath } from './edit-path.ts';
import { benchServerScaling, printServerScaling } from './server-throughput.ts';
import { benchSlowReaders, printSlowReaders } from './slow-readers.ts';
import { benchStory, printStory } from './story.ts';
import { benchProgress, printProgress } from './progress.ts';
import { benchUi, printUi } from './ui.ts';

interface Part {
  name: string;
  run(dir: string, opts: { quick: boolean }): Promise<unknown>;
  print(result: never): string[];
}

const PARTS: Part[] = [
  { name: 'edit-path', run: benchEditPath, print: printEditPath },
  { name: 'server', run: benchServerScaling, print: printServerScaling },
  { name: 'slow-readers', run: benchSlowReaders, print: printSlowReaders },
  { name: 'drain', run: benchDrain, print: printDrain },
  { name: 'catch-up', run: benchCatchUp, print: printCatchUp },
  { name: 'story', run: benchStory, print: printStory },
  { name: 'ui', run: benchUi, print: printUi },
  { name: 'progress', run: benchProgress, print: printProgress },
];

function parseArgs(argv: string[]): { quick: boolean; only: Part[] } {
  const quick = argv.includes('--quick');
  const i = argv.indexOf('--only');
  if (i < 0) return { quick, only: PARTS };
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !PARTS.some((p) => p.name === n));
  if (names.length === 0 || unknown.length) {
    console.error(`--only takes a comma-separated list of: ${PARTS.map((p) => p.name).join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
    process.exit(2);
  }
  return { quick, only: PARTS.filter((p) => names.includes(p.name)) };
}

const { quick, only } = parseArgs(process.argv.slice(2));
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), os: `${process.platform} ${release()}`, node: process.version };
console.log(`CoachDesk benchmarks${quick ? ' (quick)' : ''}: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}`);
const started = Date.now();
const results: Record<string, unknown> = {};
for (const part of only) {
  const dir = mkdtempSync(join(tmpdir(), `coachdesk-bench-${part.name}-`));
  const t = Date.now();
  try {
    const result = await part.run(dir, { quick });
    results[part.name] = result;
    console.log(`\n${part.print(result as never).join('\n')}\n  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const seconds = (Date.now() - started) / 1000;
console.log(`\nAll done in ${seconds.toFixed(1)} s; figures in bench/results.json`);
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ machine, quick, at: new Date().toISOString(), seconds, results }, null, 2)}\n`);
