import { DEFAULT_PLATE_INCREMENT } from '../../domain/units.ts';
import type { Fields, SchemePart } from '../../protocol/index.ts';
import type {
  Exercise,
  LibraryExercise,
  LoggedSession,
  Prescription,
  ProgramDetail,
  ProgramSummary,
  RosterEntry,
  SetLog,
  Settings,
  Trainee,
  TraineeActivity,
  TrainingMax,
  Workout,
} from '../../preload/api.ts';
import { complianceWindow } from '../../domain/analytics.ts';
import { currentMaxes } from './maxes.ts';
import { plannedWorkouts } from './progress.ts';
import { DAY_NAMES, plannedDate } from '../../protocol/calendar.ts';
import type { LocalStore, ViewRow } from '../../sync/local-store.ts';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export { DAY_NAMES };

export function toTrainee(r: ViewRow): Trainee {
  const f = r.fields;
  return { id: r.id, name: String(f.name), email: str(f.email), notes: str(f.notes), archived: f.archived === true };
}

export function toExercise(r: ViewRow): Exercise {
  return { id: r.id, name: String(r.fields.name), category: str(r.fields.category), videoUrl: str(r.fields.videoUrl) };
}

/** Read-side of the coach's workstation: the views the UI shows, from the local replica + outbox. */
export class CoachQueries {
  constructor(private readonly store: LocalStore) {}

  exerciseNames(): Map<string, string> {
    return new Map(this.store.list('exercise').map((r) => [r.id, String(r.fields.name)]));
  }

  /** The library as the builder offers it: exercises merged into others are left out. */
  exercises(): Exercise[] {
    return this.store
      .list('exercise', (f) => !f.mergedInto)
      .map(toExercise)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  library(): LibraryExercise[] {
    const uses = new Map<string, number>();
    for (const p of this.store.list('prescription')) uses.set(String(p.fields.exerciseId), (uses.get(String(p.fields.exerciseId)) ?? 0) + 1);
    return this.store
      .list('exercise', (f) => !f.mergedInto)
      .map((r) => ({ ...toExercise(r), notes: str(r.fields.notes), uses: uses.get(r.id) ?? 0, pending: r.pending }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  trainees(): Trainee[] {
    return this.store
      .list('trainee')
      .map(toTrainee)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  programSummary(r: ViewRow, traineeNames?: Map<string, string>): ProgramSummary {
    const traineeId = str(r.fields.traineeId);
    const names = traineeNames ?? new Map(this.trainees().map((t) => [t.id, t.name]));
    return {
      id: r.id,
      name: String(r.fields.name),
      traineeId,
      traineeName: traineeId ? (names.get(traineeId) ?? null) : null,
      startDate: str(r.fields.startDate),
      weeks: Number(r.fields.weeks),
      isTemplate: traineeId === null,
    };
  }

  programs(): ProgramSummary[] {
    const names = new Map(this.trainees().map((t) => [t.id, t.name]));
    return this.store
      .list('program')
      .map((r) => this.programSummary(r, names))
      .sort((a, b) => Number(a.isTemplate) - Number(b.isTemplate) || a.name.localeCompare(b.name));
  }

  private prescriptions(workoutId: string, names: Map<string, string>, maxes: Map<string, TrainingMax>): Prescription[] {
    return this.store
      .children('prescription', workoutId)
      .map((r) => {
        const f = r.fields;
        const max = f.loadUnit === '%1rm' ? maxes.get(String(f.exerciseId)) : undefined;
        return {
          id: r.id,
          workoutId,
          exerciseId: String(f.exerciseId),
          exerciseName: names.get(String(f.exerciseId)) ?? 'Unknown exercise',
          position: Number(f.position),
          group: str(f.group),
          sets: Number(f.sets),
          reps: String(f.reps),
          kind: (str(f.kind) as Prescription['kind']) ?? 'reps',
          load: num(f.load),
          loadUnit: (str(f.loadUnit) as Prescription['loadUnit']) ?? null,
          rpe: num(f.rpe),
          restSec: num(f.restSec),
          tempo: str(f.tempo),
          notes: str(f.notes),
          scheme: Array.isArray(f.scheme) ? (f.scheme as SchemePart[]) : null,
          percentOf: max ? { kind: max.kind, value: max.value, unit: max.unit, date: max.date } : null,
          pending: r.pending,
        };
      })
      .sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
  }

  workouts(programId: string, names = this.exerciseNames(), maxes = this.maxesFor(programId)): Workout[] {
    return this.store
      .children('workout', programId)
      .map((r) => ({
        id: r.id,
        week: Number(r.fields.week),
        day: Number(r.fields.day),
        title: String(r.fields.title ?? ''),
        notes: str(r.fields.notes),
        prescriptions: this.prescriptions(r.id, names, maxes),
        pending: r.pending,
        position: num(r.fields.position) ?? 0,
      }))
      .sort((a, b) => a.week - b.week || a.day - b.day || a.position - b.position)
      .map(({ position: _p, ...w }) => w);
  }

  /** The current max per exercise of the program's client (none for a template). */
  private maxesFor(programId: string): Map<string, TrainingMax> {
    const traineeId = str(this.store.getRow('program', programId)?.fields.traineeId);
    return traineeId ? currentMaxes(this.store, traineeId) : new Map();
  }

  program(id: string): ProgramDetail | null {
    const row = this.store.getRow('program', id);
    if (!row) return null;
    return { ...this.programSummary(row), notes: str(row.fields.notes), workouts: this.workouts(id) };
  }

  /** The trainee's current program: the latest-starting one assigned to them. */
  activeProgram(traineeId: string): ViewRow | undefined {
    return this.store
      .children('program', traineeId)
      .sort((a, b) => String(b.fields.startDate ?? '').localeCompare(String(a.fields.startDate ?? '')) || b.id.localeCompare(a.id))[0];
  }

  roster(includeArchived: boolean, weekStartsOn = 1, today = new Date().toISOString().slice(0, 10)): RosterEntry[] {
    return this.trainees()
      .filter((t) => includeArchived || !t.archived)
      .map((t) => {
        const sessions = this.store.children('session', t.id);
        const done = sessions.filter((s) => s.fields.status === 'completed' || s.fields.status === 'in_progress');
        const lastSessionDate = done.map((s) => String(s.fields.date)).sort().at(-1) ?? null;
        const program = this.activeProgram(t.id);
        const row = this.store.getRow('trainee', t.id);
        const plan = { planned: plannedWorkouts(this.store, t.id, weekStartsOn), sessions: sessions.map((s) => ({ date: String(s.fields.date), status: String(s.fields.status) })) };
        const windows = [7, 30].map((days) => complianceWindow(plan, today, days));
        const dropped = windows.find((w) => w.dropped);
        return {
          ...t,
          lastSessionDate,
          compliance7: windows[0]!.sessions,
          compliance30: windows[1]!.sessions,
          complianceDrop: dropped ? { days: dropped.days, from: dropped.previous.sessions!, to: dropped.sessions! } : null,
          activeProgram: program ? { id: program.id, name: String(program.fields.name) } : null,
          pending: row?.pending ?? false,
        };
      });
  }

  private loggedSession(r: ViewRow, names: Map<string, string>): LoggedSession {
    const sets: SetLog[] = this.store
      .children('set_log', r.id)
      .map((s) => {
        const f = s.fields;
        return {
          id: s.id,
          prescriptionId: str(f.prescriptionId),
          exerciseId: String(f.exerciseId),
          exerciseName: names.get(String(f.exerciseId)) ?? 'Unknown exercise',
          setIndex: Number(f.setIndex),
          reps: Number(f.reps),
          load: num(f.load),
          loadUnit: str(f.loadUnit),
          rpe: num(f.rpe),
          done: f.done === true,
          targetReps: str(f.targetReps),
          targetLoad: num(f.targetLoad),
        };
      })
      .sort((a, b) => a.setIndex - b.setIndex);
    return { id: r.id, date: String(r.fields.date), status: r.fields.status as LoggedSession['status'], rpe: num(r.fields.rpe), notes: str(r.fields.notes), sets };
  }

  activity(traineeId: string, weekStartsOn = 1): TraineeActivity | null {
    const traineeRow = this.store.getRow('trainee', traineeId);
    if (!traineeRow) return null;
    const names = this.exerciseNames();
    const program = this.activeProgram(traineeId);
    const sessions = this.store.children('session', traineeId).sort((a, b) => String(a.fields.date).localeCompare(String(b.fields.date)));
    const byWorkout = new Map<string, LoggedSession[]>();
    const otherSessions: LoggedSession[] = [];
    const workouts = program ? this.workouts(program.id, names) : [];
    const workoutIds = new Set(workouts.map((w) => w.id));
    for (const s of sessions) {
      const logged = this.loggedSession(s, names);
      const workoutId = str(s.fields.workoutId);
      if (workoutId && workoutIds.has(workoutId)) byWorkout.set(workoutId, [...(byWorkout.get(workoutId) ?? []), logged]);
      else otherSessions.push(logged);
    }
    const start = program ? str(program.fields.startDate) : null;
    return {
      trainee: toTrainee(traineeRow),
      program: program ? this.programSummary(program) : null,
      workouts: workouts.map((w) => ({ workout: w, plannedDate: plannedDate(start, w.week, w.day, weekStartsOn), sessions: byWorkout.get(w.id) ?? [] })),
      otherSessions,
    };
  }

  settings(userId: string | null): Settings {
    const f: Fields = (userId && this.store.getRow('settings', userId)?.fields) || {};
    const units = f.units === 'lb' ? 'lb' : 'kg';
    return {
      units,
      weekStartsOn: num(f.weekStartsOn) ?? 1,
      displayName: str(f.displayName),
      plateIncrement: num(f.plateIncrement) ?? DEFAULT_PLATE_INCREMENT[units],
      e1rmFormula: f.e1rmFormula === 'brzycki' ? 'brzycki' : 'epley',
    };
  }
}
