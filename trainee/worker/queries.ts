// What the trainee app shows, read from the worker's replica (with this phone's pending edits on
// top): the programs assigned to the trainee, their workouts by week and day with planned dates,
// prescriptions with targets resolved (%1RM from the trainee's current max), what was logged,
// "last time", history, and e1RM (Epley) per set with the best so far per exercise.
// Pure reads over LocalStore: the same code runs in the worker and under Node in the tests.
import { estimateOneRepMax, percentOfMax, roundE1rm } from '../../domain/strength.ts';
import { convertLoad, DEFAULT_PLATE_INCREMENT, isUnits, roundTo, type Units } from '../../domain/units.ts';
import { currentMaxes } from '../../main/host/maxes.ts';
import { plannedDate } from '../../protocol/calendar.ts';
import type { SchemePart } from '../../protocol/index.ts';
import type { LocalStore, ViewRow } from '../../sync/local-store.ts';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A load as typed in a field: 100, 102.5 (no trailing zeros). */
export const formatNumber = (n: number): string => String(Math.round(n * 1000) / 1000);

export interface SetTarget {
  /** "5", "8-10", "AMRAP", or null when the set has no target. */
  reps: string | null;
  /** The load to lift, resolved (a %1RM taken of the current max), or null. */
  load: number | null;
  unit: Units | null;
  /** When the prescription gives a percentage of the max: that percentage. */
  percent: number | null;
  rpe: number | null;
  /** The scheme part (warmup, top, backoff, …) when the prescription has a scheme. */
  part: string | null;
}

export interface LoggedSet {
  id: string;
  setIndex: number;
  reps: number;
  load: number | null;
  loadUnit: string | null;
  rpe: number | null;
  note: string | null;
  /** Epley's estimate of this set, one decimal, in the set's unit; null for sets that give none. */
  e1rm: number | null;
  /** This set's e1RM beat every earlier set of the exercise when it was logged. */
  newBest: boolean;
  /** Still waiting to sync. */
  pending: boolean;
}

export interface LastTime {
  date: string;
  reps: number;
  load: number | null;
  loadUnit: string | null;
  rpe: number | null;
}

export interface SetRow {
  /** 1-based: "Back squat set 2". */
  n: number;
  target: SetTarget;
  /** What the fields start with: the prescription, and last time's values where it gives none. */
  prefill: { reps: string; load: string; rpe: string };
  last: LastTime | null;
  logged: LoggedSet | null;
}

export interface PrescriptionView {
  id: string;
  exerciseId: string;
  exerciseName: string;
  videoUrl: string | null;
  exerciseNotes: string | null;
  group: string | null;
  position: number;
  sets: number;
  reps: string;
  kind: 'reps' | 'time' | 'distance';
  load: number | null;
  loadUnit: string | null;
  rpe: number | null;
  restSec: number | null;
  tempo: string | null;
  notes: string | null;
  /** "3 × 5 @ 100 kg · RPE 8" as the coach prescribed it. */
  summary: string;
  rows: SetRow[];
  /** The best e1RM of the exercise so far (all sessions), in kg unless the sets were in lb. */
  best: { e1rm: number; unit: Units } | null;
}

export interface WorkoutSummary {
  id: string;
  programId: string;
  programName: string;
  week: number;
  day: number;
  title: string;
  plannedDate: string | null;
  /** A session of this workout holds logged sets, or was completed. */
  done: boolean;
}

export interface WorkoutView extends WorkoutSummary {
  notes: string | null;
  programNotes: string | null;
  /** Today's session of this workout, once a set is logged. */
  sessionId: string | null;
  sessionStatus: string | null;
  prescriptions: PrescriptionView[];
  /** Sets logged today in this session without a prescription. */
  extra: Array<LoggedSet & { exerciseName: string }>;
}

export interface TodayView {
  traineeName: string | null;
  /** `today`: scheduled today; `next`: the next one scheduled; `unscheduled`: no dates, the first not done; `none`: nothing assigned. */
  when: 'today' | 'next' | 'unscheduled' | 'none';
  workout: WorkoutView | null;
  /** Other workouts one tap away: the rest of the program around today. */
  others: WorkoutSummary[];
}

export interface ProgramView {
  id: string;
  name: string;
  startDate: string | null;
  weeks: number;
  notes: string | null;
  weekList: Array<{ week: number; workouts: WorkoutSummary[] }>;
}

export interface HistoryExercise {
  exerciseId: string;
  exerciseName: string;
  /** What was prescribed ("3 × 5 @ 100 kg"), or null for sets logged without a prescription. */
  prescribed: string | null;
  sets: LoggedSet[];
}

export interface HistoryEntry {
  sessionId: string;
  date: string;
  status: string;
  workoutId: string | null;
  workoutTitle: string | null;
  programName: string | null;
  rpe: number | null;
  notes: string | null;
  exercises: HistoryExercise[];
}

export interface LogSetInput {
  workoutId: string;
  prescriptionId: string;
  /** The row's number (1-based), for its target. */
  n: number;
  reps: number;
  load: number | null;
  rpe: number | null;
  note: string | null;
  today: string;
}

export interface LogSetResult {
  setLogId: string;
  sessionId: string;
  e1rm: number | null;
  newBest: boolean;
  restSec: number | null;
}

function unitOf(v: unknown): Units | null {
  return isUnits(v) ? v : null;
}

function loadText(load: number | null, unit: string | null, percent: number | null): string {
  if (percent !== null && load === null) return `${formatNumber(percent)}% 1RM`;
  if (load === null) return '';
  return `${formatNumber(load)}${unit ? ` ${unit}` : ''}${percent !== null ? ` (${formatNumber(percent)}%)` : ''}`;
}

/** "3 × 5 @ 100 kg · RPE 8". */
export function describePrescription(sets: number, reps: string, load: number | null, unit: string | null, percent: number | null, rpe: number | null): string {
  const l = loadText(load, unit, percent);
  return `${sets} × ${reps}${l ? ` @ ${l}` : ''}${rpe !== null ? ` · RPE ${formatNumber(rpe)}` : ''}`;
}

/** The trainee's view of the replica. `userId` is the trainee's id (their trainee row's). */
export class TraineeQueries {
  constructor(
    private readonly store: LocalStore,
    readonly userId: string,
  ) {}

  traineeName(): string | null {
    return str(this.store.getRow('trainee', this.userId)?.fields.name);
  }

  private exerciseRows(): Map<string, ViewRow> {
    return new Map(this.store.list('exercise').map((r) => [r.id, r]));
  }

  /** Programs assigned to this trainee, latest start first. */
  programRows(): ViewRow[] {
    return this.store
      .children('program', this.userId)
      .sort((a, b) => String(b.fields.startDate ?? '').localeCompare(String(a.fields.startDate ?? '')) || b.id.localeCompare(a.id));
  }

  private sessions(): ViewRow[] {
    return this.store
      .children('session', this.userId)
      .sort((a, b) => String(a.fields.date).localeCompare(String(b.fields.date)) || a.id.localeCompare(b.id));
  }

  private setsOf(sessionId: string): ViewRow[] {
    return this.store.children('set_log', sessionId).sort((a, b) => Number(a.fields.setIndex) - Number(b.fields.setIndex) || a.id.localeCompare(b.id));
  }

  /**
   * Epley's e1RM of every done set with a load, in the order they were logged (session date, then
   * set index), with whether each beat the best before it; and the best per exercise.
   */
  private estimates(sessions = this.sessions()): { bySet: Map<string, { e1rm: number | null; newBest: boolean }>; best: Map<string, { kg: number; e1rm: number; unit: Units }> } {
    const bySet = new Map<string, { e1rm: number | null; newBest: boolean }>();
    const best = new Map<string, { kg: number; e1rm: number; unit: Units }>();
    for (const s of sessions) {
      for (const set of this.setsOf(s.id)) {
        const f = set.fields;
        const unit = unitOf(f.loadUnit) ?? 'kg';
        const load = num(f.load);
        const e1rm = f.done === false ? null : estimateOneRepMax(load, Number(f.reps));
        if (e1rm === null) {
          bySet.set(set.id, { e1rm: null, newBest: false });
          continue;
        }
        const kg = convertLoad(e1rm, unit, 'kg');
        const exerciseId = String(f.exerciseId);
        const before = best.get(exerciseId);
        // A best to beat: the first set of an exercise sets it, later ones must beat it.
        const newBest = before !== undefined && kg > before.kg + 1e-9;
        if (!before || kg > before.kg) best.set(exerciseId, { kg, e1rm: roundE1rm(e1rm), unit });
        bySet.set(set.id, { e1rm: roundE1rm(e1rm), newBest });
      }
    }
    return { bySet, best };
  }

  private logged(r: ViewRow, est: Map<string, { e1rm: number | null; newBest: boolean }>): LoggedSet {
    const f = r.fields;
    const e = est.get(r.id);
    return {
      id: r.id,
      setIndex: Number(f.setIndex),
      reps: Number(f.reps),
      load: num(f.load),
      loadUnit: str(f.loadUnit),
      rpe: num(f.rpe),
      note: str(f.note),
      e1rm: e?.e1rm ?? null,
      newBest: e?.newBest ?? false,
      pending: r.pending,
    };
  }

  /** Every workout of the assigned programs, in program order, with its planned date. */
  workouts(): WorkoutSummary[] {
    const doneWorkouts = new Set<string>();
    for (const s of this.sessions()) {
      const w = str(s.fields.workoutId);
      if (w && (s.fields.status === 'completed' || this.store.children('set_log', s.id).length > 0)) doneWorkouts.add(w);
    }
    const out: WorkoutSummary[] = [];
    for (const p of this.programRows()) {
      const start = str(p.fields.startDate);
      const ws = this.store
        .children('workout', p.id)
        .sort((a, b) => Number(a.fields.week) - Number(b.fields.week) || Number(a.fields.day) - Number(b.fields.day) || (num(a.fields.position) ?? 0) - (num(b.fields.position) ?? 0) || a.id.localeCompare(b.id));
      for (const w of ws) {
        const week = Number(w.fields.week);
        const day = Number(w.fields.day);
        out.push({
          id: w.id,
          programId: p.id,
          programName: String(p.fields.name),
          week,
          day,
          title: String(w.fields.title ?? ''),
          plannedDate: plannedDate(start, week, day),
          done: doneWorkouts.has(w.id),
        });
      }
    }
    return out;
  }

  /**
   * The workout for today: the one planned today (the first not done, if several), else the next
   * one planned; in a program without a start date, the first not done.
   */
  today(today: string): TodayView {
    const all = this.workouts();
    const traineeName = this.traineeName();
    if (all.length === 0) return { traineeName, when: 'none', workout: null, others: [] };
    const dated = all.filter((w) => w.plannedDate !== null).sort((a, b) => a.plannedDate!.localeCompare(b.plannedDate!));
    const todays = dated.filter((w) => w.plannedDate === today);
    let pick: WorkoutSummary | undefined = todays.find((w) => !w.done) ?? todays[0];
    let when: TodayView['when'] = 'today';
    if (!pick) {
      pick = dated.find((w) => w.plannedDate! > today);
      when = 'next';
    }
    if (!pick) {
      pick = all.filter((w) => w.plannedDate === null).find((w) => !w.done);
      when = 'unscheduled';
    }
    if (!pick) return { traineeName, when: 'none', workout: null, others: all.slice(-6) };
    const i = all.findIndex((w) => w.id === pick!.id);
    const others = all.slice(Math.max(0, i - 2), i + 5).filter((w) => w.id !== pick!.id);
    return { traineeName, when, workout: this.workout(pick.id, today), others };
  }

  /** Today's session of a workout: the one dated today (the first made, if several). */
  sessionFor(workoutId: string, today: string): ViewRow | undefined {
    return this.sessions().find((s) => s.fields.workoutId === workoutId && s.fields.date === today);
  }

  workout(workoutId: string, today: string): WorkoutView | null {
    const w = this.store.getRow('workout', workoutId);
    if (!w) return null;
    const program = this.store.getRow('program', String(w.fields.programId));
    if (!program || program.fields.traineeId !== this.userId) return null;
    const summary = this.workouts().find((x) => x.id === workoutId);
    if (!summary) return null;
    const sessions = this.sessions();
    const { bySet, best } = this.estimates(sessions);
    const session = sessions.find((s) => s.fields.workoutId === workoutId && s.fields.date === today);
    const todaysSets = session ? this.setsOf(session.id) : [];
    const exercises = this.exerciseRows();
    const maxes = currentMaxes(this.store, this.userId);
    const prescriptions = this.store
      .children('prescription', workoutId)
      .sort((a, b) => Number(a.fields.position) - Number(b.fields.position) || a.id.localeCompare(b.id));
    const used = new Set<string>();
    const views = prescriptions.map((p) => {
      const f = p.fields;
      const exerciseId = String(f.exerciseId);
      const ex = exercises.get(exerciseId);
      const mine = todaysSets.filter((s) => s.fields.prescriptionId === p.id);
      for (const s of mine) used.add(s.id);
      const targets = this.targets(p, maxes);
      const last = this.lastTime(sessions, session?.id, exerciseId, p.id, today);
      const count = Math.max(targets.length, mine.length);
      const rows: SetRow[] = [];
      for (let i = 0; i < count; i++) {
        const target = targets[i] ?? targets.at(-1) ?? { reps: null, load: null, unit: null, percent: null, rpe: null, part: null };
        // Last time's set of the same number, or its last set when it had fewer.
        const lastSet = last ? (last.sets[i] ?? last.sets.at(-1) ?? null) : null;
        const lastValue: LastTime | null = lastSet && last ? { date: last.date, ...lastSet } : null;
        rows.push({ n: i + 1, target, prefill: prefillOf(target, lastValue), last: lastValue, logged: mine[i] ? this.logged(mine[i]!, bySet) : null });
      }
      const b = best.get(exerciseId);
      const first = targets[0];
      const percent = f.loadUnit === '%1rm' ? num(f.load) : null;
      return {
        id: p.id,
        exerciseId,
        exerciseName: ex ? String(ex.fields.name) : 'Exercise',
        videoUrl: ex ? str(ex.fields.videoUrl) : null,
        exerciseNotes: ex ? str(ex.fields.notes) : null,
        group: str(f.group),
        position: Number(f.position),
        sets: Number(f.sets),
        reps: String(f.reps),
        kind: (str(f.kind) as PrescriptionView['kind']) ?? 'reps',
        load: first?.load ?? null,
        loadUnit: first?.unit ?? (f.loadUnit === '%1rm' ? null : str(f.loadUnit)),
        rpe: num(f.rpe),
        restSec: num(f.restSec),
        tempo: str(f.tempo),
        notes: str(f.notes),
        summary: Array.isArray(f.scheme) && f.scheme.length
          ? targets.map((t) => `${t.reps ?? ''}${t.load !== null ? ` @ ${formatNumber(t.load)}${t.unit ? ` ${t.unit}` : ''}` : ''}`).join(', ')
          : describePrescription(Number(f.sets), String(f.reps), first?.load ?? null, first?.unit ?? null, percent, num(f.rpe)),
        rows,
        best: b ? { e1rm: b.e1rm, unit: b.unit } : null,
      } satisfies PrescriptionView;
    });
    const extra = todaysSets
      .filter((s) => !used.has(s.id))
      .map((s) => ({ ...this.logged(s, bySet), exerciseName: String(exercises.get(String(s.fields.exerciseId))?.fields.name ?? 'Exercise') }));
    return {
      ...summary,
      notes: str(w.fields.notes),
      programNotes: str(program.fields.notes),
      sessionId: session?.id ?? null,
      sessionStatus: session ? String(session.fields.status) : null,
      prescriptions: views,
      extra,
    };
  }

  /**
   * Each set's target: the prescription's sets × reps at its load (a %1RM taken of the current
   * max, as the reference client does), or the scheme's parts set by set.
   */
  targets(p: ViewRow, maxes = currentMaxes(this.store, this.userId)): SetTarget[] {
    const f = p.fields;
    const max = maxes.get(String(f.exerciseId));
    const resolve = (load: number | null, unit: string | null, top: number | null): { load: number | null; unit: Units | null; percent: number | null } => {
      if (load === null) return { load: null, unit: unitOf(unit) ?? unitOf(f.loadUnit), percent: null };
      if (unit === '%1rm') return max ? { load: percentOfMax(load, max), unit: max.unit, percent: load } : { load: null, unit: null, percent: load };
      if (unit === '%top') {
        if (top === null) return { load: null, unit: null, percent: load };
        const u = unitOf(f.loadUnit) ?? max?.unit ?? 'kg';
        return { load: roundTo((top * load) / 100, DEFAULT_PLATE_INCREMENT[u]), unit: u, percent: load };
      }
      return { load, unit: unitOf(unit), percent: null };
    };
    const base = resolve(num(f.load), str(f.loadUnit), null);
    const scheme = Array.isArray(f.scheme) ? (f.scheme as SchemePart[]) : [];
    if (scheme.length === 0) {
      return Array.from({ length: Math.max(1, Number(f.sets)) }, () => ({ reps: String(f.reps), ...base, rpe: num(f.rpe), part: null }));
    }
    const topPart = scheme.find((s) => s.part === 'top');
    const top = topPart ? (resolve(topPart.load ?? num(f.load), topPart.loadUnit ?? str(f.loadUnit), null).load ?? null) : null;
    const out: SetTarget[] = [];
    for (const part of scheme) {
      const r = part.load === undefined || part.load === null ? base : resolve(part.load, part.loadUnit ?? str(f.loadUnit), top);
      for (let i = 0; i < part.sets; i++) out.push({ reps: part.reps, ...r, rpe: part.rpe ?? num(f.rpe), part: part.part });
    }
    return out;
  }

  /**
   * Last time this exercise was done: the latest other session (up to today) with sets of it;
   * the sets logged against the same prescription when there are, else all of the exercise's.
   */
  private lastTime(sessions: ViewRow[], currentSessionId: string | undefined, exerciseId: string, prescriptionId: string, today: string) {
    for (let i = sessions.length - 1; i >= 0; i--) {
      const s = sessions[i]!;
      if (s.id === currentSessionId || String(s.fields.date) > today) continue;
      const sets = this.setsOf(s.id).filter((x) => x.fields.exerciseId === exerciseId && x.fields.done !== false);
      if (sets.length === 0) continue;
      const same = sets.filter((x) => x.fields.prescriptionId === prescriptionId);
      const chosen = same.length ? same : sets;
      return {
        date: String(s.fields.date),
        sets: chosen.map((x) => ({ reps: Number(x.fields.reps), load: num(x.fields.load), loadUnit: str(x.fields.loadUnit), rpe: num(x.fields.rpe) })),
      };
    }
    return null;
  }

  /** Programs with their weeks. */
  programs(): ProgramView[] {
    const all = this.workouts();
    return this.programRows().map((p) => {
      const weeks = new Map<number, WorkoutSummary[]>();
      for (const w of all.filter((x) => x.programId === p.id)) weeks.set(w.week, [...(weeks.get(w.week) ?? []), w]);
      return {
        id: p.id,
        name: String(p.fields.name),
        startDate: str(p.fields.startDate),
        weeks: Number(p.fields.weeks),
        notes: str(p.fields.notes),
        weekList: [...weeks.entries()].sort((a, b) => a[0] - b[0]).map(([week, workouts]) => ({ week, workouts })),
      };
    });
  }

  /** Sessions up to today with sets, newest first: what was prescribed next to what was done. */
  history(today: string): HistoryEntry[] {
    const sessions = this.sessions();
    const { bySet } = this.estimates(sessions);
    const exercises = this.exerciseRows();
    const maxes = currentMaxes(this.store, this.userId);
    const out: HistoryEntry[] = [];
    for (const s of [...sessions].reverse()) {
      if (String(s.fields.date) > today) continue;
      const sets = this.setsOf(s.id);
      if (sets.length === 0 && s.fields.status !== 'completed') continue;
      const workoutId = str(s.fields.workoutId);
      const workout = workoutId ? this.store.getRow('workout', workoutId) : undefined;
      const program = workout ? this.store.getRow('program', String(workout.fields.programId)) : undefined;
      const groups = new Map<string, HistoryExercise>();
      // Prescribed exercises first, in the workout's order, even when nothing was logged for them.
      const prescriptions = workoutId
        ? this.store.children('prescription', workoutId).sort((a, b) => Number(a.fields.position) - Number(b.fields.position) || a.id.localeCompare(b.id))
        : [];
      for (const p of prescriptions) {
        const t = this.targets(p, maxes);
        const first = t[0];
        const percent = p.fields.loadUnit === '%1rm' ? num(p.fields.load) : null;
        // What the trainee saw when logging, when a set kept it; else the prescription as it is now.
        const kept = sets.find((x) => x.fields.prescriptionId === p.id);
        const targetLoad = kept ? num(kept.fields.targetLoad) : null;
        const targetReps = kept ? str(kept.fields.targetReps) : null;
        const prescribed = describePrescription(
          Number(p.fields.sets),
          targetReps ?? String(p.fields.reps),
          targetLoad ?? first?.load ?? null,
          (kept ? str(kept.fields.loadUnit) : null) ?? first?.unit ?? null,
          targetLoad !== null ? null : percent,
          num(p.fields.rpe),
        );
        groups.set(`p:${p.id}`, { exerciseId: String(p.fields.exerciseId), exerciseName: String(exercises.get(String(p.fields.exerciseId))?.fields.name ?? 'Exercise'), prescribed, sets: [] });
      }
      for (const set of sets) {
        const pid = str(set.fields.prescriptionId);
        const exerciseId = String(set.fields.exerciseId);
        const key = pid && groups.has(`p:${pid}`) ? `p:${pid}` : `e:${exerciseId}`;
        let g = groups.get(key);
        if (!g) {
          const tr = str(set.fields.targetReps);
          const tl = num(set.fields.targetLoad);
          g = {
            exerciseId,
            exerciseName: String(exercises.get(exerciseId)?.fields.name ?? 'Exercise'),
            prescribed: tr ? `${tr}${tl !== null ? ` @ ${formatNumber(tl)}${str(set.fields.loadUnit) ? ` ${str(set.fields.loadUnit)}` : ''}` : ''}` : null,
            sets: [],
          };
          groups.set(key, g);
        }
        g.sets.push(this.logged(set, bySet));
      }
      out.push({
        sessionId: s.id,
        date: String(s.fields.date),
        status: String(s.fields.status),
        workoutId,
        workoutTitle: workout ? String(workout.fields.title ?? '') : null,
        programName: program ? String(program.fields.name) : null,
        rpe: num(s.fields.rpe),
        notes: str(s.fields.notes),
        exercises: [...groups.values()],
      });
    }
    return out;
  }

  /** The best e1RM so far per exercise id. */
  bests(): Map<string, { e1rm: number; unit: Units }> {
    return new Map([...this.estimates().best].map(([k, v]) => [k, { e1rm: v.e1rm, unit: v.unit }]));
  }

  /** Whether a set of `load` × `reps` of the exercise would beat the best so far. */
  wouldBeNewBest(exerciseId: string, load: number | null, reps: number, unit: Units): boolean {
    const e = estimateOneRepMax(load, reps);
    if (e === null) return false;
    const best = this.estimates().best.get(exerciseId);
    return best !== undefined && convertLoad(e, unit, 'kg') > best.kg + 1e-9;
  }
}

function prefillOf(target: SetTarget, last: LastTime | null): SetRow['prefill'] {
  let reps = '';
  const m = target.reps ? /^(\d+)/.exec(target.reps) : null;
  if (m && target.reps === m[1]) reps = m[1]!;
  else if (last) reps = String(last.reps);
  else if (m) reps = m[1]!; // a range: its low end
  let load = '';
  if (target.load !== null) load = formatNumber(target.load);
  else if (last?.load !== null && last?.load !== undefined) load = formatNumber(last.load);
  return { reps, load, rpe: '' };
}
