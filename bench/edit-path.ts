import { openLocalStore } from '../main/sync/node-sqlite.ts';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalStore } from '../sync/local-store.ts';
import { newId, type Fields } from '../protocol/index.ts';
import { buildProgram, randomEdits, type BuilderEdit, type ProgramSetup } from './edit-workload.ts';
import { mulberry32 } from './random.ts';
import { fmt, ms, summarize } from './stats.ts';
import { V1ClientStore } from './v1-lww/client-store.ts';
import { ProgramDocStore, type ProgramDoc } from './v2-automerge/program-doc-store.ts';

type Side = 'floor' | 'v1' | 'v2' | 'v3';

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
const SIDES: Side[] = ['floor', 'v1', 'v2', 'v3'];

/** One side of the comparison: set up with the program, then apply one builder edit at a time. */
interface EditSide {
  /** The durable write of one edit. */
  write(edit: BuilderEdit): void;
  /** What the builder then shows: the edited row's day, read back from this side's local state. */
  readDay(workoutId: string): unknown[];
  close(): void;
  compactions?(): number;
}

function floorSide(dir: string): EditSide {
  const db = new Database(join(dir, 'edit-floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE t (id TEXT PRIMARY KEY, payload TEXT NOT NULL)`);
  const insert = db.prepare(`INSERT INTO t (id, payload) VALUES (?, ?)`);
  return {
    write: (edit) => insert.run(newId(), JSON.stringify(edit.fields)),
    readDay: () => [],
    close: () => db.close(),
  };
}

function v1Side(dir: string, setup: ProgramSetup): EditSide {
  const store = new V1ClientStore(join(dir, 'edit-v1.db'));
  store.writeRows([
    ...setup.exercises.map((e) => ({ entity: 'exercise', id: e.id, fields: e.fields })),
    { entity: 'program', id: setup.programId, fields: setup.program },
    ...setup.workouts.map((w) => ({ entity: 'workout', id: w.id, fields: w.fields })),
    ...setup.prescriptions.map((p) => ({ entity: 'prescription', id: p.id, fields: p.fields })),
  ]);
  return {
    write: (edit) => store.writeRow('prescription', edit.id, edit.row),
    readDay: (workoutId) => store.children('prescription', 'workoutId', workoutId),
    close: () => store.close(),
  };
}

function v2Side(dir: string, setup: ProgramSetup): EditSide {
  const initial: ProgramDoc = {
    program: setup.program,
    workouts: Object.fromEntries(setup.workouts.map((w) => [w.id, w.fields])),
    prescriptions: Object.fromEntries(setup.prescriptions.map((p) => [p.id, p.fields])),
  };
  const store = new ProgramDocStore(join(dir, 'edit-v2.db'), setup.programId, initial);
  return {
    write(edit) {
      store.change((doc) => {
        if (edit.kind === 'delete') delete doc.prescriptions[edit.id];
        else if (edit.kind === 'add') doc.prescriptions[edit.id] = { ...edit.fields };
        else {
          const row = doc.prescriptions[edit.id]!;
          for (const [k, v] of Object.entries(edit.fields)) row[k] = v;
        }
      });
    },
    readDay: (workoutId) => Object.values(store.view.prescriptions).filter((p) => p.workoutId === workoutId),
    close: () => store.close(),
    compactions: () => store.compactions,
  };
}

function v3Side(dir: string, setup: ProgramSetup): EditSide {
  const store = openLocalStore(join(dir, 'edit-v3.db'));
  store.enqueueAll([
    ...setup.exercises.map((e) => ({ entity: 'exercise' as const, id: e.id, action: 'put' as const, fields: e.fields })),
    { entity: 'program', id: setup.programId, action: 'put', fields: setup.program },
    ...setup.workouts.map((w) => ({ entity: 'workout' as const, id: w.id, action: 'put' as const, fields: w.fields })),
    ...setup.prescriptions.map((p) => ({ entity: 'prescription' as const, id: p.id, action: 'put' as const, fields: p.fields })),
  ]);
  return {
    write(edit) {
      const action = edit.kind === 'delete' ? 'delete' : edit.kind === 'add' ? 'put' : 'patch';
      store.enqueue({ entity: 'prescription', id: edit.id, action, fields: edit.fields });
    },
    readDay: (workoutId) => store.children('prescription', workoutId),
    close: () => store.close(),
  };
}

export interface EditPathResult {
  edits: number;
  mix: Record<string, number>;
  program: { workouts: number; prescriptions: number };
  /** Per edit, ms: the durable write alone, and the write plus reading the edited day back. */
  write: Record<Side, ReturnType<typeof summarize>>;
  writeAndView: Record<Side, ReturnType<typeof summarize>>;
  ratios: { v3OverV1: number; v2OverV3: number; v3OverV1WriteOnly: number; v3OverV1P99: number; v2OverV3P99: number };
  v2Compactions: number;
}

/**
 * The edit path of the three designs on one workload, interleaved edit by edit (the order of
 * the sides rotates) so that machine noise hits all of them alike.
 */
export async function benchEditPath(dir: string, opts: { quick: boolean }): Promise<EditPathResult> {
  const setup = buildProgram();
  const count = opts.quick ? 400 : 2000;
  const edits = randomEdits(setup, count, 20261125);
  const random = mulberry32(1125);
  const workoutOf = new Map(setup.prescriptions.map((p) => [p.id, p.fields.workoutId as string]));
  const sides: Record<Side, EditSide> = { floor: floorSide(dir), v1: v1Side(dir, setup), v2: v2Side(dir, setup), v3: v3Side(dir, setup) };
  const write: Record<Side, number[]> = { floor: [], v1: [], v2: [], v3: [] };
  const total: Record<Side, number[]> = { floor: [], v1: [], v2: [], v3: [] };
  let v2Compactions = 0;
  try {
    // A warm-up pass on throwaway rows would change the workload; instead the first 5% of edits
    // are applied but not counted (JIT and SQLite page cache warm-up).
    const warm = Math.floor(count / 20);
    for (const [i, edit] of edits.entries()) {
      if (edit.row) workoutOf.set(edit.id, edit.row.workoutId as string);
      const workoutId = workoutOf.get(edit.id)!;
      // A fresh random order per edit: each side follows each other side equally often (a
      // fixed rotation would put V3 right after V2's Automerge work, on cold caches, 3 times in 4).
      for (const side of shuffled(SIDES, random)) {
        const t0 = process.hrtime.bigint();
        sides[side].write(edit);
        const t1 = process.hrtime.bigint();
        sides[side].readDay(workoutId);
        const t2 = process.hrtime.bigint();
        if (i < warm) continue;
        write[side].push(ms(t1 - t0));
        total[side].push(ms(t2 - t0));
      }
    }
    v2Compactions = sides.v2.compactions?.() ?? 0;
    checkSidesAgree(sides, edits, setup);
  } finally {
    for (const side of Object.values(sides)) side.close();
  }
  const w = Object.fromEntries(SIDES.map((s) => [s, summarize(write[s])])) as Record<Side, ReturnType<typeof summarize>>;
  const t = Object.fromEntries(SIDES.map((s) => [s, summarize(total[s])])) as Record<Side, ReturnType<typeof summarize>>;
  const mix: Record<string, number> = {};
  for (const e of edits) mix[e.kind] = (mix[e.kind] ?? 0) + 1;
  return {
    edits: count,
    mix,
    program: { workouts: setup.workouts.length, prescriptions: setup.prescriptions.length },
    write: w,
    writeAndView: t,
    ratios: {
      v3OverV1: t.v3.p50 / t.v1.p50,
      v3OverV1P99: t.v3.p99 / t.v1.p99,
      v2OverV3: t.v2.p50 / t.v3.p50,
      v2OverV3P99: t.v2.p99 / t.v3.p99,
      v3OverV1WriteOnly: w.v3.p50 / w.v1.p50,
    },
    v2Compactions,
  };
}

/** The three designs must end in the same state, or the comparison compares different work. */
function checkSidesAgree(sides: Record<Side, EditSide>, edits: BuilderEdit[], setup: ProgramSetup): void {
  const expected = new Map<string, Fields>(setup.prescriptions.map((p) => [p.id, p.fields]));
  for (const e of edits) {
    if (e.row) expected.set(e.id, e.row);
    else expected.delete(e.id);
  }
  const days = new Set(setup.workouts.map((w) => w.id));
  const key = (rows: unknown[]) =>
    rows
      .map((r) => {
        const f = (r as { fields?: Fields }).fields ?? (r as Fields);
        return `${f.position}|${f.sets}|${f.reps}|${f.load}`;
      })
      .sort()
      .join(',');
  for (const workoutId of days) {
    const want = key([...expected.values()].filter((f) => f.workoutId === workoutId));
    for (const side of ['v1', 'v2', 'v3'] as const) {
      const got = key(sides[side].readDay(workoutId));
      if (got !== want) throw new Error(`edit-path bench: ${side} ended with a different day ${workoutId} than the workload`);
    }
  }
}

export function printEditPath(r: EditPathResult): string[] {
  const row = (label: string, s: Side) =>
    `  ${label.padEnd(46)}${fmt(r.write[s].p50).padStart(8)}${fmt(r.write[s].p99).padStart(8)}${s === 'floor' ? '' : `${fmt(r.writeAndView[s].p50).padStart(10)}${fmt(r.writeAndView[s].p99).padStart(8)}`}`;
  const mix = Object.entries(r.mix)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return [
    `Edit path: ${r.edits} builder edits (${mix}) on a ${r.program.workouts}-workout, ${r.program.prescriptions}-row program, sides interleaved, ms per edit`,
    `  ${''.padEnd(46)}${'write'.padStart(8)}${''.padStart(8)}${'write + read the day'.padStart(18)}`,
    `  ${'side'.padEnd(46)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'p50'.padStart(10)}${'p99'.padStart(8)}`,
    row('floor: one bare durable SQLite insert', 'floor'),
    row('V1 last-write-wins: upsert the row', 'v1'),
    row(`V2 Automerge doc per program: change + save`, 'v2'),
    row('V3 CoachDesk: enqueue to the outbox', 'v3'),
    `  V3/V1 ${fmt(r.ratios.v3OverV1, 2)} at p50, ${fmt(r.ratios.v3OverV1P99, 2)} at p99 (target ≤ 1.10; write alone ${fmt(r.ratios.v3OverV1WriteOnly, 2)});` +
      ` V2/V3 ${fmt(r.ratios.v2OverV3, 2)} at p50, ${fmt(r.ratios.v2OverV3P99, 2)} at p99; V2 compacted ${r.v2Compactions} times`,
  ];
}
