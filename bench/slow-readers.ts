// 1,000 connections, some of which stop reading their socket: does the server's memory stay
// bounded, and do the others keep their latency? The same load runs three times, each on a fresh
// server process: every connection reading (the baseline), some stalled under the bounds, and
// the same stalled with no bound (what the bounds save).
import { copyFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { startServerProcess } from '../main/embedded/server-process.ts';
import { newId, type Entity, type Fields } from '../protocol/index.ts';
import { addCoach, addTraineeToken, type User } from '../server/auth.ts';
import { CanonicalStore } from '../server/canonical-store.ts';
import { openServerDb } from '../server/db.ts';
import { procStatusMB } from './catch-up.ts';
import { profileEnv } from './drain.ts';
import { mulberry32 } from './random.ts';
import { closeAll, connectAll, isAck, isChanges, type LoadClient } from './server-throughput.ts';
import { fmt, summarize } from './stats.ts';
import { waitFor as waitUntil } from './wait.ts';

interface Plan {
  /** Each coach has a desk (writing) and a laptop (reading) connected. */
  coaches: number;
  /** Trainees per coach, each with a phone connected that logs sets. */
  phonesPerCoach: number;
  /** Coaches whose desks write long exercise notes all the time; their tablets stop reading. */
  flooding: number;
  tabletsPerFlooder: number;
  seconds: number;
  /** `serve` options of the bounded phase: none means the defaults. */
  boundedArgs: string[];
}

const PLANS: Record<'full' | 'quick', Plan> = {
  // 50 desks + 50 laptops + 850 phones + 50 stalled tablets = 1,000 connections.
  full: { coaches: 50, phonesPerCoach: 17, flooding: 10, tabletsPerFlooder: 5, seconds: 30, boundedArgs: [] },
  // Smaller bounds, so that the short run reaches them.
  quick: { coaches: 10, phonesPerCoach: 9, flooding: 2, tabletsPerFlooder: 5, seconds: 5, boundedArgs: ['--max-buffered-mb', '2', '--max-buffered-total-mb', '8'] },
};
const NO_BOUND = ['--max-buffered-mb', '1000000', '--max-buffered-total-mb', '1000000'];

/** A flooding desk pushes `ops` exercises with `notes` characters of notes every `everyMs`, at most `inFlight` pushes unanswered. */
const FLOOD = { everyMs: 50, ops: 10, notes: 8000, inFlight: 4 };
/** Each phone logs a set this often; each calm desk changes a prescription's load this often. */
const SET_EVERY_MS = 2000;
const EDIT_EVERY_MS = 1000;

interface SeededPhone {
  token: string;
  sessionId: string;
  prescriptionId: string;
  exerciseId: string;
}

interface SeededCoach {
  token: string;
  phones: SeededPhone[];
}

/** Coaches, each with trainees who have a program, a workout with one prescription, and a session started. */
function seed(file: string, plan: Plan): SeededCoach[] {
  const db = openServerDb(file);
  try {
    const store = new CanonicalStore(db);
    const push = (user: User, ops: Array<[Entity, string, Fields]>) => {
      const clientId = `seed-${user.id}`;
      let seq = store.nextSeq(user.id, clientId);
      const at = new Date().toISOString();
      const outcome = store.push(user, clientId, ops.map(([entity, id, fields]) => ({ key: newId(), seq: seq++, at, entity, id, action: 'put', fields, baseVersion: 0 })), Date.now());
      const bad = outcome.acks.find((a) => a.status !== 'applied');
      if (bad) throw new Error(`slow-readers seed: ${bad.status} ${bad.reason}: ${bad.message}`);
    };
    return Array.from({ length: plan.coaches }, (_, c) => {
      const { userId: coachId, token } = addCoach(db, `Coach ${c + 1}`);
      const exerciseId = newId();
      const ops: Array<[Entity, string, Fields]> = [['exercise', exerciseId, { coachId, name: 'Back squat', category: 'squat' }]];
      const trainees = Array.from({ length: plan.phonesPerCoach }, (_, t) => {
        const [traineeId, programId, workoutId, prescriptionId] = [newId(), newId(), newId(), newId()];
        ops.push(
          ['trainee', traineeId, { coachId, name: `Trainee ${c + 1}.${t + 1}` }],
          ['program', programId, { coachId, traineeId, name: 'Strength block', weeks: 4, startDate: '2026-11-02' }],
          ['workout', workoutId, { programId, week: 1, day: 1, title: 'Day 1' }],
          ['prescription', prescriptionId, { workoutId, exerciseId, position: 1, sets: 5, reps: '5', load: 100, loadUnit: 'kg' }],
        );
        return { traineeId, workoutId, prescriptionId };
      });
      push({ id: coachId, role: 'coach', name: `Coach ${c + 1}`, coachId: null }, ops);
      const phones = trainees.map(({ traineeId, workoutId, prescriptionId }) => {
        const sessionId = newId();
        push({ id: traineeId, role: 'trainee', name: null, coachId }, [['session', sessionId, { traineeId, workoutId, date: '2026-11-26', status: 'in_progress' }]]);
        return { token: addTraineeToken(db, traineeId).token, sessionId, prescriptionId, exerciseId };
      });
      return { token, phones };
    });
  } finally {
    db.close();
  }
}

/** Sends pushes on one connection and times each from send to the ack of its last op. */
class Pusher {
  /** Per answered push: when the ack came (performance.now()) and how long it took, ms. */
  readonly acks: Array<[number, number]> = [];
  applied = 0;
  refused = 0;
  /** Pushes not sent because `maxInFlight` were unanswered. */
  skipped = 0;
  private readonly inFlight = new Map<number, number>();

  constructor(
    readonly conn: LoadClient,
    private readonly maxInFlight: number,
  ) {
    conn.ws.on('message', (data) => {
      if (!isAck(data)) return;
      const ack = JSON.parse(data.toString()) as { seq: number; status: string };
      if (ack.status === 'applied') this.applied++;
      else this.refused++;
      const sentAt = this.inFlight.get(ack.seq);
      if (sentAt === undefined) return;
      const now = performance.now();
      this.acks.push([now, now - sentAt]);
      this.inFlight.delete(ack.seq);
    });
  }

  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  /** Returns when it was sent, or undefined when too many pushes are unanswered. */
  push(ops: Array<{ entity: Entity; id: string; action: 'put' | 'patch'; fields: Fields }>): number | undefined {
    if (this.inFlight.size >= this.maxInFlight) {
      this.skipped++;
      return undefined;
    }
    const at = new Date().toISOString();
    const frame = JSON.stringify({ type: 'push', ops: ops.map((o) => ({ key: newId(), seq: this.conn.nextSeq++, at, baseVersion: 0, ...o })) });
    const sentAt = performance.now();
    this.inFlight.set(this.conn.nextSeq - 1, sentAt);
    this.conn.ws.send(frame);
    return sentAt;
  }
}

/** What a coach's laptop still waits for: row ids its desk wrote, with the time of sending for the first row of each push. */
class Watcher {
  readonly deliveredMs: number[] = [];
  private readonly waiting = new Map<string, number | undefined>();

  constructor(conn: LoadClient) {
    conn.ws.on('message', (data) => {
      if (!isChanges(data) || this.waiting.size === 0) return;
      const now = performance.now();
      for (const row of (JSON.parse(data.toString()) as { rows: Array<{ id: string }> }).rows) {
        if (!this.waiting.has(row.id)) continue;
        const sentAt = this.waiting.get(row.id);
        if (sentAt !== undefined) this.deliveredMs.push(now - sentAt);
        this.waiting.delete(row.id);
      }
    });
  }

  expect(ids: string[], sentAt: number): void {
    ids.forEach((id, i) => this.waiting.set(id, i === 0 ? sentAt : undefined));
  }

  get missing(): number {
    return this.waiting.size;
  }
}

const rssMB = (pid: number, field: 'VmRSS' | 'VmHWM') => procStatusMB(pid, field) ?? NaN;

/** Whether `check` came to hold within `timeoutMs`; a miss is printed and shows in the checks. */
const waitFor = (what: string, check: () => boolean, timeoutMs: number): Promise<boolean> =>
  waitUntil(what, check, timeoutMs, 20).then(
    () => true,
    (error: Error) => {
      console.error(`slow-readers: ${error.message}`);
      return false;
    },
  );

/** Connects with `token` from `since` and returns the ids of every row of the catch-up. */
function catchUpIds(url: string, token: string, since: number): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    const ids = new Set<string>();
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, token, clientId: newId(), lastVersion: since })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; rows?: Array<{ id: string }> };
      if (m.type === 'changes') for (const row of m.rows!) ids.add(row.id);
      if (m.type === 'synced') {
        ws.close();
        resolve(ids);
      }
    });
  });
}

/** Width of the windows of the time series, ms. */
const WINDOW_MS = 5000;

export interface PhaseResult {
  name: string;
  connections: number;
  stalled: number;
  /** Stalled connections the server dropped, by the bound that dropped them, and the second each went. */
  dropped: { perConnection: number; total: number; atSeconds: number[] };
  serverMB: { start: number; peak: number; end: number };
  /** Per WINDOW_MS of load: the server's largest RSS (MB), and the p99 of the phones' and calm desks' push → ack (ms). */
  series: { rssMB: number[]; othersAckP99Ms: number[] };
  setAckMs: ReturnType<typeof summarize>;
  editAckMs: ReturnType<typeof summarize>;
  editToLaptopMs: ReturnType<typeof summarize>;
  floodAckMs: ReturnType<typeof summarize>;
  floodToLaptopMs: ReturnType<typeof summarize>;
  opsAcked: number;
  opsRefused: number;
  floodPushesSkipped: number;
  /** Every row a desk wrote reached its laptop; the database holds every acked op once; a dropped tablet's catch-up held every row. */
  checks: { delivered: boolean; stored: boolean; caughtUp: boolean | null };
}

/**
 * One run of the load on a fresh copy of the seeded database. The flooding coaches' tablets read
 * what they get (`stalled` false) or stop reading once connected.
 */
async function phase(dir: string, seedFile: string, coaches: SeededCoach[], plan: Plan, name: string, stalled: boolean, args: string[]): Promise<PhaseResult> {
  const slug = name.replace(/\W+/g, '-');
  const file = join(dir, `${slug}.db`);
  copyFileSync(seedFile, file);
  const ledgerBefore = countRows(file, 'SELECT COUNT(*) FROM ledger');
  const drops: Array<{ at: number; total: boolean }> = [];
  let t0 = 0;
  const server = await startServerProcess(file, {
    args,
    env: profileEnv(`slow-readers-${slug}`),
    onLog: (line) => {
      if (/dropping a slow connection/.test(line)) drops.push({ at: performance.now() - t0, total: /total unsent/.test(line) });
    },
  });
  const pid = server.child.pid!;
  const rng = mulberry32(7);
  const timers: NodeJS.Timeout[] = [];
  try {
    const desks = await connectAll(server.url, coaches.map((c) => c.token), false);
    const laptops = await connectAll(server.url, coaches.map((c) => c.token), false);
    const phoneSeeds = coaches.flatMap((c) => c.phones);
    const phones = await connectAll(server.url, phoneSeeds.map((p) => p.token), false);
    const flooders = coaches.slice(0, plan.flooding);
    const tablets = await connectAll(server.url, flooders.flatMap((c) => Array<string>(plan.tabletsPerFlooder).fill(c.token)), false);
    // Stalled, they never read again: what the server sends them piles up in socket buffers.
    if (stalled) for (const t of tablets) t.ws.pause();

    const deskPushers = desks.map((d, i) => new Pusher(d, i < plan.flooding ? FLOOD.inFlight : 8));
    const watchers = laptops.map((l) => new Watcher(l));
    const phonePushers = phones.map((p) => new Pusher(p, 8));
    const startMB = rssMB(pid, 'VmRSS');
    let peakMB = startMB;
    const rssSeries: number[] = [];
    const floodIds: string[][] = flooders.map(() => []);
    t0 = performance.now();

    // Every sender starts at a random point of its period, so the load is spread out.
    const every = (ms: number, fn: () => void) => {
      timers.push(setTimeout(() => timers.push(setInterval(fn, ms)), rng() * ms));
    };
    timers.push(
      setInterval(() => {
        const mb = rssMB(pid, 'VmRSS');
        const w = Math.floor((performance.now() - t0) / WINDOW_MS);
        rssSeries[w] = Math.max(rssSeries[w] ?? 0, mb);
        peakMB = Math.max(peakMB, mb);
      }, 200),
    );
    deskPushers.forEach((pusher, c) => {
      if (c < plan.flooding) {
        every(FLOOD.everyMs, () => {
          const ids = Array.from({ length: FLOOD.ops }, () => newId());
          const coachId = pusher.conn.userId;
          const sentAt = pusher.push(ids.map((id, i) => ({ entity: 'exercise', id, action: 'put', fields: { coachId, name: `Variation ${i}`, notes: 'n'.repeat(FLOOD.notes) } })));
          if (sentAt === undefined) return;
          watchers[c]!.expect(ids, sentAt);
          floodIds[c]!.push(...ids);
        });
      } else {
        let load = 100;
        let turn = 0;
        // Each of the coach's prescriptions in turn: a row changes again only long after its last change arrived.
        every(EDIT_EVERY_MS, () => {
          const phone = coaches[c]!.phones[turn++ % plan.phonesPerCoach]!;
          const sentAt = pusher.push([{ entity: 'prescription', id: phone.prescriptionId, action: 'patch', fields: { load: (load += 2.5) } }]);
          if (sentAt !== undefined) watchers[c]!.expect([phone.prescriptionId], sentAt);
        });
      }
    });
    phonePushers.forEach((pusher, p) => {
      const { sessionId, prescriptionId, exerciseId } = phoneSeeds[p]!;
      let setIndex = 0;
      every(SET_EVERY_MS, () => {
        pusher.push([{ entity: 'set_log', id: newId(), action: 'put', fields: { sessionId, prescriptionId, exerciseId, setIndex: setIndex++, reps: 5, load: 100, loadUnit: 'kg', done: true } }]);
      });
    });

    await new Promise((r) => setTimeout(r, plan.seconds * 1000));
    for (const t of timers) clearInterval(t);
    const pushers = [...deskPushers, ...phonePushers];
    const answered = await waitFor('every push to be answered', () => pushers.every((p) => p.idle), 60_000);
    const delivered = answered && (await waitFor('every laptop to get its desk’s rows', () => watchers.every((w) => w.missing === 0), 60_000));
    const endMB = rssMB(pid, 'VmRSS');
    peakMB = Math.max(peakMB, rssMB(pid, 'VmHWM'));

    // The dropped tablets, reading again, find their connections closed; the first comes back
    // from its cursor and must get every row its coach wrote since.
    let caughtUp: boolean | null = null;
    if (stalled && drops.length > 0) {
      const closed: number[] = [];
      tablets.forEach((t, i) => {
        t.ws.once('close', () => closed.push(i));
        t.ws.resume();
      });
      await waitFor('the dropped tablets to see their connections closed', () => closed.length >= drops.length, 30_000);
      const first = closed[0];
      if (first === undefined) caughtUp = false;
      else {
        const coach = Math.floor(first / plan.tabletsPerFlooder);
        const ids = await catchUpIds(server.url, flooders[coach]!.token, tablets[first]!.synced);
        caughtUp = floodIds[coach]!.length > 0 && floodIds[coach]!.every((id) => ids.has(id));
      }
    }
    for (const t of tablets) t.ws.terminate();
    await closeAll([...desks, ...laptops, ...phones]);
    await server.stop();

    const acked = pushers.reduce((n, p) => n + p.applied + p.refused, 0);
    const phoneApplied = phonePushers.reduce((n, p) => n + p.applied, 0);
    const floodApplied = deskPushers.slice(0, plan.flooding).reduce((n, p) => n + p.applied, 0);
    const stored =
      countRows(file, 'SELECT COUNT(*) FROM ledger') - ledgerBefore === acked &&
      countRows(file, "SELECT COUNT(*) FROM canonical_rows WHERE entity = 'set_log'") === phoneApplied &&
      countRows(file, "SELECT COUNT(*) FROM canonical_rows WHERE entity = 'exercise'") === coaches.length + floodApplied;
    const samples = (list: Pusher[]) => summarize(list.flatMap((p) => p.acks.map(([, took]) => took)));
    const others = [...phonePushers, ...deskPushers.slice(plan.flooding)].flatMap((p) => p.acks);
    const othersAckP99Ms = Array.from({ length: Math.ceil((plan.seconds * 1000) / WINDOW_MS) }, (_, w) =>
      summarize(others.filter(([at]) => at - t0 >= w * WINDOW_MS && at - t0 < (w + 1) * WINDOW_MS).map(([, took]) => took)).p99,
    );
    return {
      name,
      connections: desks.length + laptops.length + phones.length + tablets.length,
      stalled: stalled ? tablets.length : 0,
      dropped: { perConnection: drops.filter((d) => !d.total).length, total: drops.filter((d) => d.total).length, atSeconds: drops.map((d) => d.at / 1000) },
      serverMB: { start: startMB, peak: peakMB, end: endMB },
      series: { rssMB: rssSeries.slice(0, othersAckP99Ms.length), othersAckP99Ms },
      setAckMs: samples(phonePushers),
      editAckMs: samples(deskPushers.slice(plan.flooding)),
      editToLaptopMs: summarize(watchers.slice(plan.flooding).flatMap((w) => w.deliveredMs)),
      floodAckMs: samples(deskPushers.slice(0, plan.flooding)),
      floodToLaptopMs: summarize(watchers.slice(0, plan.flooding).flatMap((w) => w.deliveredMs)),
      opsAcked: acked,
      opsRefused: pushers.reduce((n, p) => n + p.refused, 0),
      floodPushesSkipped: deskPushers.reduce((n, p) => n + p.skipped, 0),
      checks: { delivered, stored, caughtUp },
    };
  } finally {
    for (const t of timers) clearInterval(t);
    await server.stop();
  }
}

function countRows(file: string, sql: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

export interface SlowReadersResult {
  quick: boolean;
  plan: Plan;
  phases: PhaseResult[];
  loadAverage: { before: number; after: number };
}

export async function benchSlowReaders(dir: string, opts: { quick: boolean }): Promise<SlowReadersResult> {
  const plan = opts.quick ? PLANS.quick : PLANS.full;
  const loadBefore = loadavg()[0]!;
  const seedFile = join(dir, 'seed.db');
  const coaches = seed(seedFile, plan);
  const phases = [
    await phase(dir, seedFile, coaches, plan, 'all reading', false, plan.boundedArgs),
    await phase(dir, seedFile, coaches, plan, 'stalled, bounded', true, plan.boundedArgs),
    await phase(dir, seedFile, coaches, plan, 'stalled, no bound', true, NO_BOUND),
  ];
  const result = { quick: opts.quick, plan, phases, loadAverage: { before: loadBefore, after: loadavg()[0]! } };
  // A slow reader must never cost anyone an edit: a failed check fails the run, figures or not.
  const failed = phases.filter(({ checks }) => !checks.delivered || !checks.stored || checks.caughtUp === false);
  if (failed.length) throw new Error(`slow-readers: something was lost in ${failed.map((p) => p.name).join(', ')}\n${printSlowReaders(result).join('\n')}`);
  return result;
}

export function printSlowReaders(r: SlowReadersResult): string[] {
  const { plan } = r;
  const pair = (s: ReturnType<typeof summarize>) => `${fmt(s.p50, 1)} / ${fmt(s.p99, 1)}`;
  const row = (label: string, cell: (p: PhaseResult) => string) => `  ${label.padEnd(34)}${r.phases.map((p) => cell(p).padStart(24)).join('')}`;
  const yes = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'NO');
  const lines = [
    `Slow readers: ${plan.coaches} coaches (a desk and a laptop each), ${plan.coaches * plan.phonesPerCoach} trainees' phones logging a set every ${SET_EVERY_MS / 1000} s,`,
    `${plan.flooding} coaches' desks writing ${FLOOD.ops} exercises with ${FLOOD.notes / 1000} KB notes every ${FLOOD.everyMs} ms, ${plan.coaches - plan.flooding} changing a load every ${EDIT_EVERY_MS / 1000} s;`,
    `${plan.tabletsPerFlooder} tablets of each writing coach read, or stop reading. ${plan.seconds} s of load a phase, each on a fresh server process; ms p50 / p99.`,
    `Bounded: ${plan.boundedArgs.length ? plan.boundedArgs.join(' ') : 'the defaults (16 MiB a connection, 256 MiB in all)'}; no bound: ${NO_BOUND.join(' ')}`,
    row('', (p) => p.name),
    row('connections (stalled)', (p) => `${p.connections} (${p.stalled})`),
    row('dropped: per conn. / total bound', (p) => `${p.dropped.perConnection} / ${p.dropped.total}`),
    row('  between second … and …', (p) => (p.dropped.atSeconds.length ? `${fmt(Math.min(...p.dropped.atSeconds), 1)} … ${fmt(Math.max(...p.dropped.atSeconds), 1)}` : '-')),
    row('server RSS MB: start / peak / end', (p) => `${fmt(p.serverMB.start, 0)} / ${fmt(p.serverMB.peak, 0)} / ${fmt(p.serverMB.end, 0)}`),
    row('set logged → ack', (p) => pair(p.setAckMs)),
    row('load change → ack', (p) => pair(p.editAckMs)),
    row('load change → coach’s laptop', (p) => pair(p.editToLaptopMs)),
    row('exercise push → ack', (p) => pair(p.floodAckMs)),
    row('exercise push → coach’s laptop', (p) => pair(p.floodToLaptopMs)),
    row('ops acked (refused)', (p) => `${p.opsAcked.toLocaleString('en-US')} (${p.opsRefused})`),
    row('exercise pushes skipped (4 open)', (p) => String(p.floodPushesSkipped)),
    row('laptops got every row', (p) => yes(p.checks.delivered)),
    row('database = acks, each op once', (p) => yes(p.checks.stored)),
    row('a dropped tablet caught up all', (p) => yes(p.checks.caughtUp)),
    `  per ${WINDOW_MS / 1000} s of load: the server's RSS peak (MB), and the p99 of push → ack of the phones and the desks changing loads (ms)`,
    ...r.phases.flatMap((p) => [
      `  ${p.name.padEnd(20)} RSS  ${p.series.rssMB.map((x) => fmt(x, 0).padStart(6)).join('')}`,
      `  ${''.padEnd(20)} p99  ${p.series.othersAckP99Ms.map((x) => fmt(x, 0).padStart(6)).join('')}`,
    ]),
    `  machine load average (1 min) ${fmt(r.loadAverage.before, 2)} before, ${fmt(r.loadAverage.after, 2)} after`,
  ];
  return lines;
}
