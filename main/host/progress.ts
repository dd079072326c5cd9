// A client's Progress view, computed here from the local replica (works offline): the sets are
// read from the desk's index of set groups (set-groups.ts, kept as rows arrive) and the
// formulas of domain/analytics.ts run over them. Reads are cached until rows arrive or the coach
// edits (the host calls invalidate()), so switching screens back and forth costs nothing.
import {
  blockRule,
  blocksOf,
  bestE1rms,
  changes,
  complianceWindow,
  e1rmHistory,
  rpeDrift,
  sumByBlock,
  weeklyTotals,
  type AnalyticsSet,
  type PlannedWorkout,
  type WeeklySeries,
} from '../../domain/analytics.ts';
import { plannedDate } from '../../protocol/calendar.ts';
import type { BlockProgress, E1rmSeries, ProgressOptions, ProgressSeries, Settings, TraineeProgress } from '../../preload/api.ts';
import type { LocalStore, ViewRow } from '../../sync/local-store.ts';
import { SetGroups } from './set-groups.ts';

/** Today in the computer's time zone, YYYY-MM-DD. */
export function localToday(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The trainee's programs with a start date, oldest first. */
function datedPrograms(store: LocalStore, traineeId: string): ViewRow[] {
  return store
    .children('program', traineeId)
    .filter((p) => typeof p.fields.startDate === 'string')
    .sort((a, b) => String(a.fields.startDate).localeCompare(String(b.fields.startDate)) || a.id.localeCompare(b.id));
}

/**
 * The workouts the trainee's programs plan, on their dates. A program's plan ends where the next
 * program starts. `sets` (the prescriptions' sets) is read only when asked: the roster needs
 * only the count of workouts.
 */
export function plannedWorkouts(store: LocalStore, traineeId: string, weekStartsOn = 1, opts: { sets?: boolean; prescriptions?: Map<string, ViewRow> } = {}): PlannedWorkout[] {
  const programs = datedPrograms(store, traineeId);
  const out: PlannedWorkout[] = [];
  programs.forEach((program, i) => {
    const start = String(program.fields.startDate);
    const until = programs[i + 1] ? String(programs[i + 1]!.fields.startDate) : null;
    for (const w of store.children('workout', program.id)) {
      const date = plannedDate(start, Number(w.fields.week), Number(w.fields.day), weekStartsOn);
      let sets = 0;
      if (opts.sets || opts.prescriptions) {
        for (const rx of store.children('prescription', w.id)) {
          sets += Number(rx.fields.sets) || 0;
          opts.prescriptions?.set(rx.id, rx);
        }
      }
      if (!date || (until !== null && date >= until)) continue;
      out.push({ date, sets });
    }
  });
  return out;
}

/** A set_log's fields as stored. */
interface SetFields {
  exerciseId?: unknown;
  reps?: unknown;
  load?: unknown;
  loadUnit?: unknown;
  rpe?: unknown;
  done?: unknown;
  targetReps?: unknown;
  prescriptionId?: unknown;
}

const PENDING_LOGS_SQL = `SELECT 1 AS yes FROM outbox WHERE entity IN ('session', 'set_log') LIMIT 1`;

interface TraineeLogs {
  sessions: Array<{ id: string; date: string; status: string }>;
  sets: AnalyticsSet[];
  planned: PlannedWorkout[];
}

export class ProgressService {
  private generation = 0;
  private logs = new Map<string, { stamp: string; logs: TraineeLogs }>();
  private results = new Map<string, { stamp: string; key: string; value: TraineeProgress }>();

  private readonly groups: SetGroups;

  constructor(private readonly store: LocalStore) {
    this.groups = new SetGroups(store.db);
  }

  /** Rows arrived or the coach edited: the next read goes to the database again. */
  invalidate(): void {
    this.generation++;
  }

  /** Brings the index of set groups up to date with the replica (after rows arrived). */
  refresh(): void {
    this.groups.refresh();
  }

  private stamp(): string {
    return `${this.generation}:${this.store.lastVersion}:${this.store.pendingCount}`;
  }

  /**
   * The trainee's sessions, sets (with their prescriptions' targets, merged exercises counted as
   * the one kept) and planned workouts. The sets come in one SQL pass, unless edits of sessions
   * or sets wait in the outbox: then through the store's view, which lays them over the replica.
   */
  private readLogs(traineeId: string, weekStartsOn: number, canonical: (exerciseId: string) => string): TraineeLogs {
    const stamp = `${this.stamp()}|${weekStartsOn}`;
    const cached = this.logs.get(traineeId);
    if (cached?.stamp === stamp) return cached.logs;
    const store = this.store;
    const prescriptions = new Map<string, ViewRow>();
    const planned = plannedWorkouts(store, traineeId, weekStartsOn, { prescriptions });
    const canonicalIds = new Map<string, string>();
    const canonicalOf = (id: string) => {
      let exerciseId = canonicalIds.get(id);
      if (exerciseId === undefined) canonicalIds.set(id, (exerciseId = canonical(id)));
      return exerciseId;
    };
    const sessionOf = (s: { id: string; fields: Record<string, unknown> }) => ({ id: s.id, date: String(s.fields.date), status: String(s.fields.status) });
    const sets: AnalyticsSet[] = [];
    let sessions: TraineeLogs['sessions'];
    if (store.db.prepare(PENDING_LOGS_SQL).get()) {
      // Edits of sessions or sets wait in the outbox: one pass over the store's view of every
      // set_log (children() per session is planned as a scan of the entity here).
      sessions = store.children('session', traineeId).map(sessionOf);
      const dateOf = new Map(sessions.map((s) => [s.id, s.date]));
      for (const row of store.list('set_log', (f) => typeof f.sessionId === 'string' && dateOf.has(f.sessionId))) {
        const f = row.fields as SetFields;
        const sessionId = String(row.fields.sessionId);
        if (typeof f.exerciseId !== 'string') continue;
        const prescriptionId = str(f.prescriptionId);
        const rx = prescriptionId ? prescriptions.get(prescriptionId) : undefined;
        sets.push({
          date: dateOf.get(sessionId)!,
          sessionId,
          exerciseId: canonicalOf(f.exerciseId),
          reps: num(f.reps) ?? 0,
          load: num(f.load),
          unit: str(f.loadUnit),
          rpe: num(f.rpe),
          done: f.done === true,
          targetReps: str(f.targetReps) ?? (rx ? str(rx.fields.reps) : null),
          targetRpe: rx ? num(rx.fields.rpe) : null,
          prescribed: prescriptionId !== null,
        });
      }
    } else {
      const read = this.groups.of(traineeId);
      sessions = read.map(sessionOf);
      for (let i = 0; i < read.length; i++) {
        const { id: sessionId, groups } = read[i]!;
        const date = sessions[i]!.date;
        for (let j = 0; j < groups.length; j++) {
          // Indexes, not destructuring: this runs cold (interpreted) on the first open.
          const g = groups[j]!;
          const exercise = g[0];
          const prescription = g[6];
          if (exercise === null) continue;
          const rx = prescription !== null ? prescriptions.get(prescription) : undefined;
          sets.push({
            date,
            sessionId,
            exerciseId: canonicalOf(exercise),
            reps: g[1] ?? 0,
            load: g[8],
            unit: g[2],
            rpe: g[3],
            done: g[4] === 1,
            targetReps: g[5] ?? (rx ? str(rx.fields.reps) : null),
            targetRpe: rx ? num(rx.fields.rpe) : null,
            prescribed: prescription !== null,
            count: g[7],
            loadSum: g[9],
          });
        }
      }
    }
    const logs = { sessions, sets, planned };
    this.logs.set(traineeId, { stamp, logs });
    return logs;
  }

  progress(traineeId: string, settings: Settings, options: ProgressOptions = {}): TraineeProgress | null {
    const store = this.store;
    const trainee = store.getRow('trainee', traineeId);
    if (!trainee) return null;
    const today = options.today ?? localToday();
    const stamp = this.stamp();
    const key = `${settings.units}|${settings.e1rmFormula}|${settings.weekStartsOn}|${today}`;
    const cached = this.results.get(traineeId);
    if (cached && cached.stamp === stamp && cached.key === key) return cached.value;
    const value = this.compute(trainee, settings, today);
    this.results.set(traineeId, { stamp, key, value });
    return value;
  }

  private compute(trainee: ViewRow, settings: Settings, today: string): TraineeProgress {
    const store = this.store;
    const traineeId = trainee.id;
    const { units, e1rmFormula: formula, weekStartsOn } = settings;

    // Exercises: names, categories, and merged ones counted as the one they were merged into.
    const exercises = new Map(store.list('exercise').map((r) => [r.id, r.fields]));
    const canonical = (id: string): string => {
      let at = id;
      for (let hops = 0; hops < 10; hops++) {
        const next = str(exercises.get(at)?.mergedInto);
        if (!next || !exercises.has(next)) break;
        at = next;
      }
      return at;
    };
    const nameOf = (id: string) => str(exercises.get(id)?.name) ?? 'Unknown exercise';
    const categoryOf = (id: string) => str(exercises.get(id)?.category);

    const { sessions, sets, planned } = this.readLogs(traineeId, weekStartsOn, canonical);

    const history = e1rmHistory(sets, { units, formula });
    const series: E1rmSeries[] = [...history.entries()]
      .map(([exerciseId, points]) => ({
        exerciseId,
        exerciseName: nameOf(exerciseId),
        category: categoryOf(exerciseId),
        dates: points.map((p) => p.date),
        e1rm: points.map((p) => p.e1rm),
        best: points.map((p) => p.best),
        reps: points.map((p) => p.reps),
        load: points.map((p) => p.load),
        prs: points.flatMap((p, i) => (p.pr ? [i] : [])),
      }))
      .sort((a, b) => b.dates.length - a.dates.length || a.exerciseName.localeCompare(b.exerciseName));

    const weekly = weeklyTotals(sets, { units, weekStartsOn, categoryOf, through: today });
    const named = (entries: Map<string, WeeklySeries>, name: (key: string) => string): ProgressSeries[] =>
      [...entries.entries()]
        .map(([key, s]) => ({ key, name: name(key), volume: s.volume, hardSets: s.hardSets, sum: s.volume.reduce((a, b) => a + b, 0) }))
        .sort((a, b) => b.sum - a.sum || a.name.localeCompare(b.name))
        .map(({ sum: _sum, ...s }) => s);

    const active = [...datedPrograms(store, traineeId)].reverse().find((p) => String(p.fields.startDate) <= today) ?? null;
    const rule = blockRule(active ? { weeks: Number(active.fields.weeks), startDate: str(active.fields.startDate) } : null, today, weekStartsOn);
    const blocks = blocksOf(weekly.weeks, rule, weekStartsOn);
    const blockRow = (kind: 'total' | 'category' | 'exercise', s: ProgressSeries): BlockProgress['rows'][number] => {
      const volume = sumByBlock(s.volume, blocks);
      const hardSets = sumByBlock(s.hardSets, blocks);
      return { kind, key: s.key, name: s.name, volume, volumeChange: changes(volume), hardSets, hardSetsChange: changes(hardSets) };
    };
    const total: ProgressSeries = { key: 'total', name: 'All exercises', volume: weekly.total.volume, hardSets: weekly.total.hardSets };
    const exerciseSeries = named(weekly.byExercise, nameOf);
    const categorySeries = named(weekly.byCategory, (c) => c);

    // Compliance counts done prescribed sets only: filtered once for its six periods.
    const plan = { planned, sessions, sets: sets.filter((s) => s.prescribed && s.done) };
    return {
      traineeId,
      traineeName: String(trainee.fields.name),
      units,
      formula,
      today,
      setCount: sets.reduce((n, s) => n + (s.count ?? 1), 0),
      series,
      best: bestE1rms(history)
        .map((b) => ({ ...b, exerciseName: nameOf(b.exerciseId) }))
        .sort((a, b) => a.exerciseName.localeCompare(b.exerciseName)),
      weekly: { weeks: weekly.weeks, total, exercises: exerciseSeries, categories: categorySeries },
      blocks: {
        weeks: rule.weeks,
        basis: rule.basis,
        programName: rule.basis === 'program' && active ? String(active.fields.name) : null,
        blocks: blocks.map((b) => ({ start: b.start, end: b.end, current: b.start <= today && today <= b.end })),
        rows: [blockRow('total', total), ...categorySeries.map((s) => blockRow('category', s)), ...exerciseSeries.map((s) => blockRow('exercise', s))],
      },
      compliance: [7, 30, 90].map((days) => complianceWindow(plan, today, days)),
      drift: rpeDrift(sets)
        .map((d) => ({ ...d, exerciseName: nameOf(d.exerciseId) }))
        .sort((a, b) => a.exerciseName.localeCompare(b.exerciseName)),
    };
  }
}
