// Sums self time per function in a V8 .cpuprofile (node --cpu-prof) and prints the top ones.
//   node --import tsx bench/profile-summary.ts FILE.cpuprofile [TOP=25]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** Self time per function (name + file:line), largest first; share of all sampled time. */
export function summarizeProfile(file: string): { totalMs: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|server|main|protocol|bench)\//, '$1/')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  const top = [...self.entries()]
    .map(([name, t]) => ({ name, ms: t, share: total ? t / total : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { totalMs: total, top };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  const { totalMs, top } = summarizeProfile(file);
  console.log(`${file}: ${totalMs.toFixed(0)} ms sampled`);
  for (const t of top.slice(0, Number(n ?? 25))) console.log(`${(t.share * 100).toFixed(1).padStart(6)} %  ${t.ms.toFixed(1).padStart(9)} ms  ${t.name}`);
}
