// Runs the server comparison (bench/server-throughput.ts) with every server process profiled and
// prints, per row, where the server's CPU time went while that row was being measured (only the
// samples inside the measured windows: no start-up, connects or seeding).
//   node --import tsx bench/server-profile.ts [--quick] [--top N] [--keep DIR] [--clients 1000,100]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchServerScaling, printServerScaling, type ProfiledProcess } from './server-throughput.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/(node_modules|server|main|protocol|bench)\//, '$1/');
/** tsx strips whitespace, so line numbers in project files are not the source's: they are left out there. */
const isProject = (url: string) => /^file:.*\/(server|protocol|main)\/[^/]+\.ts$/.test(url) && !url.includes('/node_modules/');

/** Which part of the stack a function belongs to, for the roll-up. */
function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : `native ${name}`;
  const u = shortUrl(url);
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (pkg) return pkg[1]!;
  if (u.startsWith('node:')) return 'node internals';
  return u.replace(/:\d+$/, '');
}

export interface WindowedProfile {
  /** Sampled time inside the windows, and the part of it the thread was not idle. */
  windowMs: number;
  busyMs: number;
  /** Self time per function, per area, and total (inclusive) time per project function; shares of busy time. */
  top: Array<{ name: string; ms: number; share: number }>;
  areas: Array<{ name: string; ms: number; share: number }>;
  inclusive: Array<{ name: string; ms: number; share: number }>;
}

/**
 * Self time per function of the samples that fall inside `windowsUs` (V8 and process.hrtime
 * share a clock). An anonymous function of the project is named after its nearest named project
 * caller ("(anonymous in pushTx)"); native calls (SQLite statements, JSON) count as self time
 * of the JS function that made them.
 */
export function summarizeWindows(p: ProfiledProcess): WindowedProfile {
  const profile = JSON.parse(readFileSync(p.file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = new Map<number, string>();
  const nameOf = (id: number): string => {
    const cached = label.get(id);
    if (cached) return cached;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    let name = functionName;
    if (!name && isProject(url)) {
      for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
        const f = byId.get(up)!.callFrame;
        if (f.functionName && isProject(f.url)) {
          name = `(anonymous in ${f.functionName})`;
          break;
        }
      }
    }
    const where = url ? (isProject(url) ? shortUrl(url) : `${shortUrl(url)}:${lineNumber + 1}`) : '';
    const full = `${name || '(anonymous)'}${where ? ` ${where}` : ''}`;
    label.set(id, full);
    return full;
  };
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let t = profile.startTime;
  let windowMs = 0;
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    t += profile.timeDeltas[i] ?? 0;
    if (!p.windowsUs.some(([a, b]) => t >= a && t <= b)) return;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url } = node.callFrame;
    windowMs += dt;
    if (functionName === '(idle)') return;
    busyMs += dt;
    const name = nameOf(id);
    self.set(name, (self.get(name) ?? 0) + dt);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
      if (!isProject(byId.get(up)!.callFrame.url)) continue;
      const n = nameOf(up);
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + dt);
    }
  });
  const rank = (m: Map<string, number>) =>
    [...m.entries()].map(([name, ms]) => ({ name, ms, share: busyMs ? ms / busyMs : 0 })).sort((a, b) => b.ms - a.ms);
  return { windowMs, busyMs, top: rank(self), areas: rank(areas), inclusive: rank(inclusive) };
}

function printProfile(title: string, w: WindowedProfile, top: number): string[] {
  const lines = [
    `${title}: ${w.busyMs.toFixed(0)} ms busy of ${w.windowMs.toFixed(0)} ms measured (${((100 * w.busyMs) / (w.windowMs || 1)).toFixed(0)} %)`,
    `    by area: ${w.areas
      .slice(0, 8)
      .map((a) => `${a.name} ${(a.share * 100).toFixed(1)} %`)
      .join(', ')}`,
  ];
  lines.push('    self time:');
  for (const f of w.top.slice(0, top)) lines.push(`    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.ms.toFixed(1).padStart(8)} ms  ${f.name}`);
  if (w.inclusive.length) lines.push('    total time (self + callees) of the project\'s functions:');
  for (const f of w.inclusive.slice(0, top)) lines.push(`    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.ms.toFixed(1).padStart(8)} ms  ${f.name}`);
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const topArg = args.indexOf('--top');
  const top = topArg >= 0 ? Number(args[topArg + 1]) : 15;
  const keepArg = args.indexOf('--keep');
  const clientsArg = args.indexOf('--clients');
  const clients = clientsArg >= 0 ? args[clientsArg + 1]!.split(',').map(Number) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'coachdesk-server-profile-'));
  const profileDir = keepArg >= 0 ? args[keepArg + 1]! : join(dir, 'profiles');
  try {
    const result = await benchServerScaling(dir, { quick, profileDir, clients });
    console.log(printServerScaling(result).join('\n'));
    console.log('\nServer CPU profile per row (self time, share of the busy time inside the measured windows)');
    for (const row of result.rows) {
      if (!row.profile) continue;
      console.log(printProfile(`  ${row.clients} clients, batches of ${row.batchSize}: sync server`, summarizeWindows(row.profile.server), top).join('\n'));
      console.log(printProfile(`  ${row.clients} clients, batches of ${row.batchSize}: ws echo floor`, summarizeWindows(row.profile.echo), Math.min(top, 5)).join('\n'));
    }
    const f = result.fanOut?.profile;
    if (f && result.fanOut) {
      console.log(printProfile(`  fan-out to ${result.fanOut.trainees} trainees: sync server`, summarizeWindows(f.server), top).join('\n'));
      console.log(printProfile(`  fan-out to ${result.fanOut.trainees} trainees: ws echo floor`, summarizeWindows(f.echo), Math.min(top, 5)).join('\n'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
