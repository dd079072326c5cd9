// A client's Progress view, computed here from the local replica (works offline): the sets are
// read in one SQL pass over the replica (json_extract, through the parent index) and the
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

/**
 * Every live set_log of the trainee's sessions from the replica alone, as one JSON array and
 * their session ids: one row crosses into JavaScript and one JSON.parse reads it (100k rows one
 * by one cost about 4× as much, most of it in making the row objects).
 */
const SETS_SQL = `
  SELECT '[' || group_concat(l.fields, ',') || ']' AS fields, group_concat(l.parent, ',') AS sessions
  FROM replica l
  WHERE l.entity = 'set_log' AND l.deleted = 0
    AND l.parent IN (SELECT s.id FROM replica s WHERE s.entity = 'session' AND s.parent = ? AND s.deleted = 0)`;

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

  constructor(private readonly store: LocalStore) {}

  /** Rows arrived or the coach edited: the next read goes to the database again. */
  invalidate(): void {
    this.generation++;
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
    const sessions = store.children('session', traineeId).map((s) => ({ id: s.id, date: String(s.fields.date), status: String(s.fields.status) }));
    const dateOf = new Map(sessions.map((s) => [s.id, s.date]));
    let fields: SetFields[];
    let sessionIds: string[];
    if (store.db.prepare(PENDING_LOGS_SQL).get()) {
      // One pass over every set_log: children() per session is planned as a scan of the entity here.
      const rows = store.list('set_log', (f) => typeof f.sessionId === 'string' && dateOf.has(f.sessionId));
      fields = rows.map((r) => r.fields);
      sessionIds = rows.map((r) => String(r.fields.sessionId));
    } else {
      const row = store.db.prepare(SETS_SQL).get(traineeId) as { fields: string | null; sessions: string | null } | undefined;
      fields = row?.fields ? (JSON.parse(row.fields) as SetFields[]) : [];
      sessionIds = row?.sessions ? row.sessions.split(',') : [];
    }
    const canonicalIds = new Map<string, string>();
    const sets: AnalyticsSet[] = [];
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const sessionId = sessionIds[i]!;
      const date = dateOf.get(sessionId);
      if (date === undefined || typeof f.exerciseId !== 'string') continue;
      let exerciseId = canonicalIds.get(f.exerciseId);
      if (exerciseId === undefined) canonicalIds.set(f.exerciseId, (exerciseId = canonical(f.exerciseId)));
      const prescriptionId = str(f.prescriptionId);
      const rx = prescriptionId ? prescriptions.get(prescriptionId) : undefined;
      sets.push({
        date,
        sessionId,
        exerciseId,
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

    const plan = { planned, sessions, sets };
    return {
      traineeId,
      traineeName: String(trainee.fields.name),
      units,
      formula,
      today,
      setCount: sets.length,
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
