// The seed's story as a table: the 14:00/14:01 coach-vs-trainee scenario (test/e2e/story.test.ts)
// run many times, each run randomised from a seeded PRNG and played identically through
// V1 (last-write-wins, bench/v1-lww/) and V3 (CoachDesk's real engines and server), counting
// the sets the trainee logged that each design loses.
//
// One run: at 13:50 Ben (online) logs 2–5 sets and the coach's desk receives them. At 14:00 the
// coach goes offline and edits the run's prescription. At 14:01 Ben logs 0–3 more sets, corrects
// some earlier ones and may lower the prescribed load (online, or offline when the coach
// reconnects first). Still offline, the coach "fixes" 0–all of the sets he saw, from his stale
// copy, with a device clock 2 h behind … 2 h ahead. Then both come back online and go quiet.
import { openWebSocket } from '../main/sync/node-socket.ts';
import { openLocalStore } from '../main/sync/node-sqlite.ts';
import { join } from 'node:path';
import type { SyncStatement } from '../sync/db.ts';
import { LocalStore, type Edit } from '../sync/local-store.ts';
import { SyncEngine } from '../sync/sync-engine.ts';
import { newId, type Fields } from '../protocol/index.ts';
import { addCoach, addTraineeToken } from '../server/auth.ts';
import { openServerDb, type Db } from '../server/db.ts';
import { SyncServer } from '../server/sync-server.ts';
import { fmt, summarize } from './stats.ts';
import { V1ClientStore, type V1Row } from './v1-lww/client-store.ts';
import { V1Server } from './v1-lww/server.ts';
import { V1SyncClient } from './v1-lww/sync-client.ts';
import { mulberry32 } from './random.ts';
import { waitFor as waitUntil } from './wait.ts';

export const DEFAULT_STORY_SEED = 0x14001401;
const DAY = 86_400_000;
const MIN = 60_000;
/** V1's device clocks run on story time: a day per run from 2026-01-01, so runs never share a minute. */
const storyTime = (run: number, h: number, m: number, s = 0) => Date.UTC(2026, 0, 1) + run * DAY + h * 3600_000 + m * MIN + s * 1000;

// ---------------------------------------------------------------------------------------------
// The scenario, drawn once per run and played identically by both designs
// ---------------------------------------------------------------------------------------------

type Change = 'reps' | 'load' | 'both';

export interface Scenario {
  run: number;
  /** 13:50: the sets Ben logs (2–5), Ben and the coach online. */
  before: Array<{ reps: number; load: number }>;
  /** 14:01: sets Ben adds (0–3). */
  after: Array<{ reps: number; load: number }>;
  /** 14:01: earlier sets Ben corrects, with their new values (rpe: a field he adds). */
  corrections: Array<{ index: number; reps: number; load: number; rpe?: number }>;
  /** 14:01: Ben lowers the prescribed load on his phone (null: he does not). */
  benPrescriptionLoad: number | null;
  /** 14:00: the coach's offline program edit of the run's prescription. */
  program: { sets: number; reps: string; load: number };
  /** After 14:01, still offline: sets the coach "fixes" from his 13:50 copy. */
  coachFixes: Array<{ index: number; reps: number; load: number; note?: string; as: 'put' | 'patch' }>;
  /** Minutes after 14:00 (device time, before the offset) of the coach's fixes. */
  coachFixAtMin: number;
  /** The coach laptop's clock error, −2 h … +2 h. */
  coachClockOffsetMs: number;
  /** Who pushes first once both are back: Ben at 14:01 while the coach is offline, or the coach with Ben offline. */
  order: 'trainee-first' | 'coach-first';
}

export function drawScenario(random: () => number, run: number): Scenario {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const subset = (n: number) => {
    const all = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, int(0, n)).sort((a, b) => a - b);
  };
  const load = () => 40 + 2.5 * int(0, 48);
  const set = () => ({ reps: int(1, 10), load: load() });
  const otherReps = (r: number) => ((r - 1 + int(1, 9)) % 10) + 1;
  const otherLoad = (l: number) => l + 2.5 * (random() < 0.5 ? -int(1, 8) : int(1, 8));
  const change = (v: { reps: number; load: number }, c: Change) => ({
    reps: c === 'load' ? v.reps : otherReps(v.reps),
    load: c === 'reps' ? v.load : otherLoad(v.load),
  });
  const before = Array.from({ length: int(2, 5) }, set);
  const after = Array.from({ length: int(0, 3) }, set);
  const corrections = subset(before.length).map((index) => ({
    index,
    ...change(before[index]!, pick(['reps', 'load', 'both'] as const)),
    ...(random() < 0.3 ? { rpe: int(6, 10) } : {}),
  }));
  const benPrescriptionLoad = random() < 0.5 ? 100 - 2.5 * int(1, 4) : null;
  const program = { sets: int(3, 6), reps: pick(['3', '5', '8-10', 'AMRAP']), load: 100 + 2.5 * int(1, 8) };
  const coachFixes = subset(before.length).map((index) => ({
    index,
    ...change(before[index]!, pick(['reps', 'load', 'both'] as const)),
    ...(random() < 0.5 ? { note: 'count the half rep' } : {}),
    as: random() < 0.5 ? ('put' as const) : ('patch' as const),
  }));
  return {
    run,
    before,
    after,
    corrections,
    benPrescriptionLoad,
    program,
    coachFixes,
    coachFixAtMin: int(2, 10),
    coachClockOffsetMs: Math.round((random() * 2 - 1) * 2 * 3600_000),
    order: random() < 0.5 ? 'trainee-first' : 'coach-first',
  };
}

// ---------------------------------------------------------------------------------------------
// What both designs share: the world, one run's rows, the verdict
// ---------------------------------------------------------------------------------------------

export interface World {
  traineeId: string;
  exerciseId: string;
  programId: string;
  workoutId: string;
  /** One prescription per run, so each run's program edit is checked on its own row. */
  prescriptionIds: string[];
}

function worldRows(coachId: string, w: World): Array<{ entity: Edit['entity']; id: string; fields: Fields }> {
  return [
    { entity: 'trainee', id: w.traineeId, fields: { coachId, name: 'Ben' } },
    { entity: 'exercise', id: w.exerciseId, fields: { coachId, name: 'Back squat', category: 'legs' } },
    { entity: 'program', id: w.programId, fields: { coachId, traineeId: w.traineeId, name: 'Strength block', weeks: 4 } },
    { entity: 'workout', id: w.workoutId, fields: { programId: w.programId, week: 1, day: 1, title: 'Heavy day' } },
    ...w.prescriptionIds.map((id, i) => ({
      entity: 'prescription' as const,
      id,
      fields: { workoutId: w.workoutId, exerciseId: w.exerciseId, position: i + 1, sets: 3, reps: '5', load: 100, loadUnit: 'kg' },
    })),
  ];
}

/** The ids and values one run writes: Ben's rows and what Ben last wrote in each. */
interface RunPlan {
  sc: Scenario;
  prescriptionId: string;
  sessionId: string;
  session: Fields;
  /** Set ids, the 13:50 ones first. */
  setIds: string[];
  /** Ben's 13:50 rows (also the coach's stale copy). */
  logged: Fields[];
  /** Ben's last value of every set he logged, by id. */
  benFinal: Map<string, Fields>;
}

export function planRun(sc: Scenario, w: World): RunPlan {
  const sessionId = newId();
  const prescriptionId = w.prescriptionIds[sc.run]!;
  const setIds = [...sc.before, ...sc.after].map(() => newId());
  const row = (setIndex: number, v: { reps: number; load: number }): Fields => ({
    sessionId,
    prescriptionId,
    exerciseId: w.exerciseId,
    setIndex,
    reps: v.reps,
    load: v.load,
    loadUnit: 'kg',
    done: true,
    targetReps: '5',
    targetLoad: 100,
  });
  const logged = sc.before.map((v, i) => row(i, v));
  const benFinal = new Map<string, Fields>();
  sc.before.forEach((_, i) => benFinal.set(setIds[i]!, logged[i]!));
  sc.after.forEach((v, j) => benFinal.set(setIds[sc.before.length + j]!, row(sc.before.length + j, v)));
  for (const c of sc.corrections) {
    const { index, ...values } = c;
    benFinal.set(setIds[index]!, { ...logged[index]!, ...values });
  }
  return {
    sc,
    prescriptionId,
    sessionId,
    session: { traineeId: w.traineeId, workoutId: w.workoutId, date: '2026-11-24', status: 'in_progress' },
    setIds,
    logged,
    benFinal,
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The fields Ben wrote that a row does not hold with Ben's last value ([] = intact; missing/deleted: ['(row)']). */
function wrongFields(row: { deleted: boolean; fields: Fields } | undefined, ben: Fields): string[] {
  if (!row || row.deleted) return ['(row)'];
  return Object.keys(ben).filter((k) => !sameValue(row.fields[k], ben[k]));
}

export interface LostSet {
  run: number;
  order: Scenario['order'];
  coachClockOffsetMin: number;
  setId: string;
  fields: string[];
  ben: Fields;
  server: Fields | null;
}

interface RunOutcome {
  lost: LostSet[];
  phoneWrong: number;
  programKept: boolean;
  ms: number;
  /** V3 only: the coach's set fixes by ack (superseded/partial are journaled), his program edit journaled, Ben's journal entries. */
  coachFixes?: { superseded: number; partial: number; applied: number };
  programEditJournaled?: boolean;
  benJournal?: number;
}

function verdict(plan: RunPlan, serverSet: (id: string) => { deleted: boolean; fields: Fields } | undefined, phoneSet: (id: string) => { deleted: boolean; fields: Fields } | undefined) {
  const lost: LostSet[] = [];
  let phoneWrong = 0;
  for (const [id, ben] of plan.benFinal) {
    const row = serverSet(id);
    const fields = wrongFields(row, ben);
    if (fields.length) {
      lost.push({
        run: plan.sc.run,
        order: plan.sc.order,
        coachClockOffsetMin: Math.round(plan.sc.coachClockOffsetMs / MIN),
        setId: id,
        fields,
        ben,
        server: row && !row.deleted ? row.fields : null,
      });
    }
    if (wrongFields(phoneSet(id), ben).length) phoneWrong++;
  }
  return { lost, phoneWrong };
}

function programKept(plan: RunPlan, row: { deleted: boolean; fields: Fields } | undefined): boolean {
  const p = plan.sc.program;
  return !!row && !row.deleted && row.fields.sets === p.sets && row.fields.reps === p.reps && row.fields.load === p.load;
}

/** Polls every millisecond: the story's steps are timed. */
const waitFor = (what: string, check: () => boolean, timeoutMs = 10_000) =>
  waitUntil(what, check, timeoutMs, 1).catch((error: Error) => {
    throw new Error(`story: ${error.message}`);
  });

// ---------------------------------------------------------------------------------------------
// V1: last-write-wins on whole rows, device clocks
// ---------------------------------------------------------------------------------------------

interface V1Side {
  server: V1Server;
  coach: { store: V1ClientStore; sync: V1SyncClient };
  ben: { store: V1ClientStore; sync: V1SyncClient };
  clock: { now: number; coachOffset: number };
  close(): Promise<void>;
}

export async function openV1(dir: string, world: World): Promise<V1Side> {
  const server = new V1Server(join(dir, 'v1-server.db'));
  const url = await server.listen();
  const clock = { now: storyTime(0, 8, 0), coachOffset: 0 };
  const coachStore = new V1ClientStore(join(dir, 'v1-coach.db'), () => clock.now + clock.coachOffset);
  const benStore = new V1ClientStore(join(dir, 'v1-ben.db'), () => clock.now);
  const coach = { store: coachStore, sync: new V1SyncClient(coachStore, url) };
  const ben = { store: benStore, sync: new V1SyncClient(benStore, url) };
  await coach.sync.connect();
  coachStore.writeRows(worldRows(newId(), world));
  await coach.sync.push();
  await ben.sync.connect();
  return {
    server,
    coach,
    ben,
    clock,
    async close() {
      await coach.sync.disconnect();
      await ben.sync.disconnect();
      coachStore.close();
      benStore.close();
      await server.close();
    },
  };
}

export async function runV1(v1: V1Side, plan: RunPlan): Promise<RunOutcome> {
  const { sc } = plan;
  const { coach, ben, server, clock } = v1;
  const t0 = performance.now();
  const at = (h: number, m: number, s = 0) => (clock.now = storyTime(sc.run, h, m, s));
  clock.coachOffset = sc.coachClockOffsetMs;
  const n = sc.before.length;

  // 13:50: Ben logs; the coach's desk receives the sets live.
  at(13, 50);
  ben.store.writeRow('session', plan.sessionId, plan.session);
  plan.logged.forEach((fields, i) => {
    at(13, 50 + i);
    ben.store.writeRow('set_log', plan.setIds[i]!, fields);
  });
  await ben.sync.push();
  await coach.sync.whenSeen(server.seq);

  // 14:00: the coach goes offline and edits the prescription (the whole row, his clock).
  await coach.sync.disconnect();
  at(14, 0);
  coach.store.writeRow('prescription', plan.prescriptionId, { ...coach.store.getRow('prescription', plan.prescriptionId)!.fields, ...sc.program });

  // 14:01: Ben adds, corrects, lowers the load; pushed at once when he is online.
  if (sc.order === 'coach-first') await ben.sync.disconnect();
  sc.after.forEach((_, j) => {
    at(14, 1, j);
    const id = plan.setIds[n + j]!;
    ben.store.writeRow('set_log', id, plan.benFinal.get(id)!);
  });
  sc.corrections.forEach((c, j) => {
    at(14, 1, 10 + j);
    const id = plan.setIds[c.index]!;
    ben.store.writeRow('set_log', id, plan.benFinal.get(id)!);
  });
  if (sc.benPrescriptionLoad !== null) {
    at(14, 1, 30);
    ben.store.writeRow('prescription', plan.prescriptionId, { ...ben.store.getRow('prescription', plan.prescriptionId)!.fields, load: sc.benPrescriptionLoad });
  }
  await ben.sync.push();

  // Still offline, the coach "fixes" the sets from his 13:50 copy: whole rows, his new values.
  sc.coachFixes.forEach((f, j) => {
    at(14, sc.coachFixAtMin, j);
    const id = plan.setIds[f.index]!;
    const stale = coach.store.getRow('set_log', id)!.fields;
    coach.store.writeRow('set_log', id, { ...stale, reps: f.reps, load: f.load, ...(f.note ? { note: f.note } : {}) });
  });

  // Both back online, in the run's order, then quiet.
  await coach.sync.connect();
  if (sc.order === 'coach-first') await ben.sync.connect();
  await Promise.all([coach.sync.whenSeen(server.seq), ben.sync.whenSeen(server.seq)]);
  const ms = performance.now() - t0;

  const { lost, phoneWrong } = verdict(
    plan,
    (id) => server.getRow('set_log', id),
    (id) => ben.store.getRow('set_log', id),
  );
  return { lost, phoneWrong, programKept: programKept(plan, server.getRow('prescription', plan.prescriptionId)), ms };
}

// ---------------------------------------------------------------------------------------------
// V3: CoachDesk's own server and engines
// ---------------------------------------------------------------------------------------------

interface V3Client {
  store: LocalStore;
  engine: SyncEngine;
}

interface V3Side {
  server: SyncServer;
  db: Db;
  coach: V3Client;
  ben: V3Client;
  close(): Promise<void>;
  serverRow(entity: string, id: string): { version: number; deleted: boolean; fields: Fields } | undefined;
}

async function idle(engine: SyncEngine, what: string): Promise<void> {
  if (!(await engine.whenIdle(10_000))) {
    const s = engine.getState();
    throw new Error(`story V3: ${what} not idle within 10 s (connection ${s.connection}, pending ${s.pending}, error ${JSON.stringify(s.error)})`);
  }
}

export async function openV3(dir: string, world: World): Promise<V3Side> {
  const db = openServerDb(join(dir, 'v3-server.db'));
  const server = new SyncServer({ db, port: 0, log: () => {} });
  const url = await server.listen();
  const client = (name: string, token: string): V3Client => {
    const store = openLocalStore(join(dir, `v3-${name}.db`));
    return { store, engine: new SyncEngine({ connect: openWebSocket,  store, url, token, backoff: { baseMs: 20, maxMs: 200 } }) };
  };
  const issued = addCoach(db, 'Ana');
  const coach = client('coach', issued.token);
  coach.engine.start();
  coach.engine.enqueueAll(worldRows(issued.userId, world).map((r) => ({ ...r, action: 'put' as const })));
  await idle(coach.engine, 'the coach creating the world');
  const ben = client('ben', addTraineeToken(db, world.traineeId).token);
  ben.engine.start();
  await idle(ben.engine, 'Ben catching up');
  const getRow = db.prepare(`SELECT version, deleted, fields FROM canonical_rows WHERE entity = ? AND id = ?`);
  return {
    server,
    db,
    coach,
    ben,
    serverRow(entity, id) {
      const r = getRow.get(entity, id) as { version: number; deleted: number; fields: string } | undefined;
      return r && { version: r.version, deleted: r.deleted === 1, fields: JSON.parse(r.fields) as Fields };
    },
    async close() {
      for (const c of [coach, ben]) {
        await c.engine.stop();
        c.store.close();
      }
      await server.close();
      db.close();
    },
  };
}

const replicaVersionStmts = new WeakMap<LocalStore, SyncStatement>();
function replicaVersion(store: LocalStore, entity: string, id: string): number | undefined {
  let stmt = replicaVersionStmts.get(store);
  if (!stmt) replicaVersionStmts.set(store, (stmt = store.db.prepare(`SELECT version FROM replica WHERE entity = ? AND id = ?`)));
  return (stmt.get(entity, id) as { version: number } | undefined)?.version;
}

export async function runV3(v3: V3Side, plan: RunPlan): Promise<RunOutcome> {
  const { sc } = plan;
  const { coach, ben } = v3;
  const t0 = performance.now();
  const n = sc.before.length;

  // 13:50: Ben logs; the coach's desk receives the sets live.
  ben.engine.enqueueAll([
    { entity: 'session', id: plan.sessionId, action: 'put', fields: plan.session },
    ...plan.logged.map((fields, i) => ({ entity: 'set_log' as const, id: plan.setIds[i]!, action: 'put' as const, fields })),
  ]);
  await idle(ben.engine, 'Ben logging at 13:50');
  await waitFor('the coach to see the 13:50 sets', () => plan.setIds.slice(0, n).every((id) => coach.store.getRow('set_log', id) !== undefined));

  // 14:00: the coach goes offline and edits the prescription.
  await coach.engine.stop();
  const programKey = coach.engine.enqueue({ entity: 'prescription', id: plan.prescriptionId, action: 'patch', fields: sc.program }).key;
  const fixKeys: string[] = [];

  // 14:01: Ben adds, corrects, lowers the load; sent at once when he is online.
  if (sc.order === 'coach-first') await ben.engine.stop();
  const benEdits: Edit[] = [
    ...sc.after.map((_, j) => ({ entity: 'set_log' as const, id: plan.setIds[n + j]!, action: 'put' as const, fields: plan.benFinal.get(plan.setIds[n + j]!)! })),
    ...sc.corrections.map(({ index, ...values }) => ({ entity: 'set_log' as const, id: plan.setIds[index]!, action: 'patch' as const, fields: values })),
    ...(sc.benPrescriptionLoad !== null ? [{ entity: 'prescription' as const, id: plan.prescriptionId, action: 'patch' as const, fields: { load: sc.benPrescriptionLoad } }] : []),
  ];
  const benKeys = benEdits.length ? ben.engine.enqueueAll(benEdits).map((o) => o.key) : [];
  if (sc.order === 'trainee-first') await idle(ben.engine, 'Ben logging at 14:01');

  // Still offline, the coach "fixes" the sets from his 13:50 copy: the whole stale row (put) or
  // only what he changed (patch).
  for (const f of sc.coachFixes) {
    const id = plan.setIds[f.index]!;
    const changed = { reps: f.reps, load: f.load, ...(f.note ? { note: f.note } : {}) };
    const fields = f.as === 'put' ? { ...coach.store.getRow('set_log', id)!.fields, ...changed } : changed;
    fixKeys.push(coach.engine.enqueue({ entity: 'set_log', id, action: f.as, fields }).key);
  }
  // The laptop's clock error: the outbox holds the device time of each edit, as the device said it.
  const setAt = coach.store.db.prepare(`UPDATE outbox SET at = ? WHERE key = ?`);
  const getAt = coach.store.db.prepare(`SELECT at FROM outbox WHERE key = ?`);
  coach.store.db.transaction(() => {
    for (const key of [programKey, ...fixKeys]) setAt.run(new Date(Date.parse((getAt.get(key) as { at: string }).at) + sc.coachClockOffsetMs).toISOString(), key);
  });

  // Both back online, in the run's order, then quiet: both replicas hold the server's rows.
  coach.engine.start();
  await idle(coach.engine, 'the coach reconnecting');
  if (sc.order === 'coach-first') {
    ben.engine.start();
    await idle(ben.engine, 'Ben reconnecting');
  }
  const runRows: Array<[string, string]> = [['prescription', plan.prescriptionId], ['session', plan.sessionId], ...plan.setIds.map((id) => ['set_log', id] as [string, string])];
  await waitFor('both replicas to catch up', () =>
    runRows.every(([entity, id]) => {
      const v = v3.serverRow(entity, id)?.version;
      return v !== undefined && replicaVersion(coach.store, entity, id) === v && replicaVersion(ben.store, entity, id) === v;
    }),
  );
  const ms = performance.now() - t0;

  const { lost, phoneWrong } = verdict(
    plan,
    (id) => v3.serverRow('set_log', id),
    (id) => {
      const row = ben.store.getRow('set_log', id);
      return row && { deleted: false, fields: row.fields };
    },
  );
  // At most 5 entries per run: the latest 20 hold this run's.
  const journal = coach.store.journal(20);
  const fixes = new Set(fixKeys);
  const fixEntries = journal.filter((j) => fixes.has(j.key));
  const superseded = fixEntries.filter((j) => j.status === 'superseded').length;
  const partial = fixEntries.filter((j) => j.status === 'partial').length;
  const mine = new Set(benKeys);
  return {
    lost,
    phoneWrong,
    programKept: programKept(plan, v3.serverRow('prescription', plan.prescriptionId)),
    ms,
    coachFixes: { superseded, partial, applied: fixKeys.length - superseded - partial },
    programEditJournaled: journal.some((j) => j.key === programKey),
    benJournal: ben.store.journal(20).filter((j) => mine.has(j.key)).length,
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

export interface DesignTotals {
  runs: number;
  setsLogged: number;
  setsLost: number;
  lostPct: number;
  runsWithLoss: number;
  /** Sets Ben's own phone shows with other values than he last wrote, once quiet. */
  phoneWrong: number;
  /** Runs whose server prescription holds the coach's 14:00 edit. */
  programEditKept: number;
  /** Sets lost by who pushed first, and by the coach clock's sign. */
  lostBy: { traineeFirst: number; coachFirst: number; coachClockAhead: number; coachClockBehind: number };
  /** Wall time of one run, both clients back and quiet (ms). */
  runMs: { n: number; p50: number; p99: number; mean: number };
  /** All runs, and the setup before them (the world with one prescription per run, both clients signed in). */
  seconds: number;
  setupSeconds: number;
  /** The first few lost sets, with what Ben wrote and what the server kept. */
  examples: LostSet[];
}

export interface StoryResult {
  seed: number;
  runs: number;
  scenario: { setsBefore: number; setsAfter: number; corrections: number; coachFixes: number; benPrescriptionEdits: number; coachFirst: number; coachClockAhead: number };
  v1: DesignTotals;
  v3: DesignTotals & {
    /**
     * The coach's stale set fixes by ack: superseded/partial = the server kept Ben's values and
     * journaled it on the coach's desk; applied = the coach's values equalled what the server held.
     */
    coachFixes: { superseded: number; partial: number; applied: number };
    /** Runs whose coach program edit was journaled as overruled (should be 0). */
    programEditJournaled: number;
    /** Ben's edits journaled on his phone (his prescription load, when the coach's edit wins). */
    benJournaled: number;
    /** Edits the server refused (should be 0). */
    rejected: { coach: number; ben: number };
    /** Scenarios of V3 runs that lost a set: a product bug to reproduce with the seed. */
    lossScenarios: Scenario[];
  };
}

function totals(outcomes: RunOutcome[], plans: RunPlan[], seconds: number, setupSeconds: number): DesignTotals {
  const setsLogged = plans.reduce((a, p) => a + p.benFinal.size, 0);
  const lost = outcomes.flatMap((o) => o.lost);
  const lostIn = (f: (sc: Scenario) => boolean) => lost.filter((l) => f(plans[l.run]!.sc)).length;
  const runMs = summarize(outcomes.map((o) => o.ms));
  return {
    runs: outcomes.length,
    setsLogged,
    setsLost: lost.length,
    lostPct: setsLogged ? (100 * lost.length) / setsLogged : 0,
    runsWithLoss: outcomes.filter((o) => o.lost.length > 0).length,
    phoneWrong: outcomes.reduce((a, o) => a + o.phoneWrong, 0),
    programEditKept: outcomes.filter((o) => o.programKept).length,
    lostBy: {
      traineeFirst: lostIn((sc) => sc.order === 'trainee-first'),
      coachFirst: lostIn((sc) => sc.order === 'coach-first'),
      coachClockAhead: lostIn((sc) => sc.coachClockOffsetMs > 0),
      coachClockBehind: lostIn((sc) => sc.coachClockOffsetMs <= 0),
    },
    runMs: { n: runMs.n, p50: runMs.p50, p99: runMs.p99, mean: runMs.mean },
    seconds,
    setupSeconds,
    examples: lost.slice(0, 3),
  };
}

export async function benchStory(dir: string, opts: { quick: boolean; seed?: number; runs?: number }): Promise<StoryResult> {
  const seed = opts.seed ?? DEFAULT_STORY_SEED;
  const runs = opts.runs ?? (opts.quick ? 50 : 1000);
  const random = mulberry32(seed);
  const scenarios = Array.from({ length: runs }, (_, run) => drawScenario(random, run));
  const world: World = { traineeId: newId(), exerciseId: newId(), programId: newId(), workoutId: newId(), prescriptionIds: scenarios.map(() => newId()) };
  // The same ids and values for both designs (they run on separate servers and files).
  const plans = scenarios.map((sc) => planRun(sc, world));

  let t = performance.now();
  const v1 = await openV1(dir, world);
  const v1Setup = (performance.now() - t) / 1000;
  t = performance.now();
  const v3 = await openV3(dir, world);
  const v3Setup = (performance.now() - t) / 1000;
  const v1Out: RunOutcome[] = [];
  const v3Out: RunOutcome[] = [];
  let v1Seconds = 0;
  let v3Seconds = 0;
  let rejected = { coach: 0, ben: 0 };
  try {
    // Interleaved run by run, so both designs see the same machine load.
    for (const plan of plans) {
      t = performance.now();
      v1Out.push(await runV1(v1, plan));
      v1Seconds += (performance.now() - t) / 1000;
      t = performance.now();
      v3Out.push(await runV3(v3, plan));
      v3Seconds += (performance.now() - t) / 1000;
    }
    rejected = { coach: v3.coach.store.failedOps().length, ben: v3.ben.store.failedOps().length };
  } finally {
    await v1.close();
    await v3.close();
  }

  const v3Totals = totals(v3Out, plans, v3Seconds, v3Setup);
  return {
    seed,
    runs,
    scenario: {
      setsBefore: scenarios.reduce((a, s) => a + s.before.length, 0),
      setsAfter: scenarios.reduce((a, s) => a + s.after.length, 0),
      corrections: scenarios.reduce((a, s) => a + s.corrections.length, 0),
      coachFixes: scenarios.reduce((a, s) => a + s.coachFixes.length, 0),
      benPrescriptionEdits: scenarios.filter((s) => s.benPrescriptionLoad !== null).length,
      coachFirst: scenarios.filter((s) => s.order === 'coach-first').length,
      coachClockAhead: scenarios.filter((s) => s.coachClockOffsetMs > 0).length,
    },
    v1: totals(v1Out, plans, v1Seconds, v1Setup),
    v3: {
      ...v3Totals,
      coachFixes: {
        superseded: v3Out.reduce((a, o) => a + (o.coachFixes?.superseded ?? 0), 0),
        partial: v3Out.reduce((a, o) => a + (o.coachFixes?.partial ?? 0), 0),
        applied: v3Out.reduce((a, o) => a + (o.coachFixes?.applied ?? 0), 0),
      },
      programEditJournaled: v3Out.filter((o) => o.programEditJournaled).length,
      benJournaled: v3Out.reduce((a, o) => a + (o.benJournal ?? 0), 0),
      rejected,
      lossScenarios: v3Out.filter((o) => o.lost.length).map((o) => scenarios[o.lost[0]!.run]!),
    },
  };
}

export function printStory(r: StoryResult): string[] {
  const s = r.scenario;
  const pct = (n: number, of: number) => `${fmt(of ? (100 * n) / of : 0, 1)} %`;
  const row = (label: string, d: DesignTotals) =>
    `  ${label.padEnd(28)}${String(d.setsLogged).padStart(7)}${`${d.setsLost} (${fmt(d.lostPct, 1)} %)`.padStart(16)}${String(d.runsWithLoss).padStart(12)}` +
    `${String(d.phoneWrong).padStart(12)}${`${d.programEditKept}/${d.runs}`.padStart(13)}${fmt(d.runMs.p50, 1).padStart(10)}${fmt(d.runMs.p99, 1).padStart(8)}`;
  const lines = [
    `Story: coach offline at 14:00 vs trainee logging at 14:01, ${r.runs} randomised runs (seed ${r.seed}), each played identically by both designs`,
    `  per run: 2–5 sets at 13:50, 0–3 at 14:01 (${s.setsBefore} + ${s.setsAfter}), ${s.corrections} corrections, ${s.coachFixes} stale coach "fixes", ` +
      `Ben edits the load in ${s.benPrescriptionEdits} runs; coach pushes first in ${s.coachFirst}, coach clock ahead in ${s.coachClockAhead} (−2 h … +2 h)`,
    `  ${'design'.padEnd(28)}${'sets'.padStart(7)}${'sets lost'.padStart(16)}${'runs w/loss'.padStart(12)}${'phone wrong'.padStart(12)}${'program edit'.padStart(13)}${'run p50'.padStart(10)}${'p99 ms'.padStart(8)}`,
    row('V1 last-write-wins', r.v1),
    row('V3 CoachDesk', r.v3),
    `  V1 losses: ${r.v1.lostBy.traineeFirst} when Ben pushed first, ${r.v1.lostBy.coachFirst} when the coach did; ` +
      `${r.v1.lostBy.coachClockAhead} with the coach's clock ahead, ${r.v1.lostBy.coachClockBehind} behind`,
    `  V3: of ${s.coachFixes} stale coach fixes, ${r.v3.coachFixes.superseded} superseded + ${r.v3.coachFixes.partial} partial (note kept) = ` +
      `${pct(r.v3.coachFixes.superseded + r.v3.coachFixes.partial, s.coachFixes)} resolved for Ben and journaled on the coach's desk, ` +
      `${r.v3.coachFixes.applied} applied (his values equalled the server's)`,
    `      program edit journaled as overruled in ${r.v3.programEditJournaled} runs; ${r.v3.benJournaled} of Ben's load edits journaled (coach-edit-wins); ` +
      `refused: coach ${r.v3.rejected.coach}, Ben ${r.v3.rejected.ben}`,
  ];
  const e = r.v1.examples[0];
  if (e) {
    const diff = e.fields.map((f) => `${f} ${JSON.stringify(e.ben[f])} → ${e.server ? JSON.stringify(e.server[f] ?? null) : 'gone'}`).join(', ');
    lines.push(
      `  e.g. V1 run ${e.run}: Ben's set ${Number(e.ben.setIndex) + 1} on the server: ${diff} (the coach's stale "fix", his clock ${e.coachClockOffsetMin >= 0 ? '+' : ''}${e.coachClockOffsetMin} min, ${e.order === 'coach-first' ? 'coach' : 'Ben'} pushed first)`,
    );
  }
  if (r.v3.setsLost > 0) {
    lines.push(`  !! V3 LOST ${r.v3.setsLost} SETS: a product bug. Seed ${r.seed}, runs ${r.v3.lossScenarios.map((x) => x.run).join(', ')}; first: ${JSON.stringify(r.v3.examples[0])}`);
  }
  return lines;
}
