import { progress, isProgression, type Progression, type ProgressedFields } from '../../domain/progression.ts';
import type { Units } from '../../domain/units.ts';
import { newId, type Fields } from '../../protocol/index.ts';
import type { PrescriptionInput } from '../../preload/api.ts';
import type { Edit, LocalStore, ViewRow } from '../../sync/local-store.ts';

/** An edit the coach asked for that the rules refuse; the message is for the coach. */
export class EditRefused extends Error {}

/** Fields of a prescription input, as the protocol stores them (absent options left out). */
export function prescriptionFields(workoutId: string, position: number, input: PrescriptionInput): Fields {
  const fields: Fields = { workoutId, exerciseId: input.exerciseId, position, sets: input.sets, reps: input.reps };
  for (const key of ['kind', 'load', 'loadUnit', 'rpe', 'restSec', 'tempo', 'notes', 'group', 'scheme'] as const) {
    const value = input[key];
    if (value !== undefined && value !== null && value !== '') fields[key] = value;
  }
  if (fields.kind === 'reps') delete fields.kind;
  return fields;
}

const byPosition = (a: ViewRow, b: ViewRow) => Number(a.fields.position) - Number(b.fields.position) || a.id.localeCompare(b.id);

/** A prescription's fields a progression changes, from its stored fields. */
function progressable(f: Fields): ProgressedFields {
  return {
    reps: String(f.reps),
    load: typeof f.load === 'number' ? f.load : null,
    loadUnit: typeof f.loadUnit === 'string' ? f.loadUnit : null,
    rpe: typeof f.rpe === 'number' ? f.rpe : null,
  };
}

/** The coach's plate increment, for loads a progression in % computes. */
export type Plates = Partial<Record<Units, number>>;

/** Applies a progression to a prescription's fields, or refuses with the week and exercise named. */
function progressed(store: LocalStore, fields: Fields, offset: number, week: number, p: Progression | null | undefined, plates?: Plates): Fields {
  if (!isProgression(p)) return fields;
  const result = progress(progressable(fields), offset, p, plates);
  if (!result.ok) {
    const exercise = store.getRow('exercise', String(fields.exerciseId))?.fields.name ?? 'an exercise';
    throw new EditRefused(`Week ${week}, ${String(exercise)}: ${result.message}`);
  }
  const out: Fields = { ...fields, reps: result.fields.reps };
  for (const key of ['load', 'rpe'] as const) {
    if (result.fields[key] === null) delete out[key];
    else out[key] = result.fields[key];
  }
  return out;
}

export interface CopyTarget {
  programId: string;
  week: number;
  day: number;
  /** Copy into this workout instead of making a new one. */
  workoutId?: string;
  startPosition?: number;
  /** Weeks after the source, for a progression. */
  offset?: number;
  progression?: Progression | null;
  plates?: Plates;
}

/** Puts that copy a workout and its prescriptions under another program, week and day. */
export function copyWorkoutEdits(store: LocalStore, workout: ViewRow, target: CopyTarget): Edit[] {
  const edits: Edit[] = [];
  const workoutId = target.workoutId ?? newId();
  if (!target.workoutId) {
    edits.push({ entity: 'workout', id: workoutId, action: 'put', fields: { ...workout.fields, programId: target.programId, week: target.week, day: target.day } });
  }
  store
    .children('prescription', workout.id)
    .sort(byPosition)
    .forEach((p, i) => {
      const fields = progressed(store, { ...p.fields, workoutId, position: (target.startPosition ?? 0) + i + 1 }, target.offset ?? 0, target.week, target.progression, target.plates);
      edits.push({ entity: 'prescription', id: newId(), action: 'put', fields });
    });
  return edits;
}

/** Puts that copy a whole program (workouts and prescriptions) with new ids. */
export function copyProgramEdits(store: LocalStore, program: ViewRow, changes: { traineeId: string | null; startDate: string | null; name: string }): { programId: string; edits: Edit[] } {
  const programId = newId();
  const fields: Fields = { ...program.fields, traineeId: changes.traineeId, name: changes.name };
  if (changes.startDate) fields.startDate = changes.startDate;
  else delete fields.startDate;
  const edits: Edit[] = [{ entity: 'program', id: programId, action: 'put', fields }];
  for (const w of store.children('workout', program.id)) {
    edits.push(...copyWorkoutEdits(store, w, { programId, week: Number(w.fields.week), day: Number(w.fields.day) }));
  }
  return { programId, edits };
}

/** Deletes of a workout and its prescriptions (the server never cascades). */
export function deleteWorkoutEdits(store: LocalStore, workoutId: string): Edit[] {
  return [
    ...store.children('prescription', workoutId).map((p): Edit => ({ entity: 'prescription', id: p.id, action: 'delete' })),
    { entity: 'workout', id: workoutId, action: 'delete' },
  ];
}

/** A program's workouts on one day of one week, in their order. */
export function workoutsOn(store: LocalStore, programId: string, week: number, day?: number): ViewRow[] {
  return store
    .children('workout', programId)
    .filter((w) => w.fields.week === week && (day === undefined || w.fields.day === day))
    .sort((a, b) => Number(a.fields.day) - Number(b.fields.day) || Number(a.fields.position ?? 0) - Number(b.fields.position ?? 0) || a.id.localeCompare(b.id));
}

/**
 * Copies week `fromWeek` onto each of `toWeeks`. `replace` deletes what those weeks held first;
 * `add` puts the copies beside it. A progression makes week n+k the source progressed k times.
 */
export function copyWeekEdits(store: LocalStore, programId: string, fromWeek: number, toWeeks: number[], mode: 'replace' | 'add', progression?: Progression | null, plates?: Plates): Edit[] {
  const days = workoutsOn(store, programId, fromWeek);
  if (days.length === 0) throw new EditRefused(`week ${fromWeek} has no workouts to copy`);
  const edits: Edit[] = [];
  for (const week of new Set(toWeeks.filter((w) => w !== fromWeek))) {
    const existing = workoutsOn(store, programId, week);
    if (mode === 'replace') for (const w of existing) edits.push(...deleteWorkoutEdits(store, w.id));
    const taken = new Map<number, number>();
    if (mode === 'add') for (const w of existing) taken.set(Number(w.fields.day), Math.max(taken.get(Number(w.fields.day)) ?? -1, Number(w.fields.position ?? 0)));
    for (const w of days) {
      const day = Number(w.fields.day);
      const copy = copyWorkoutEdits(store, w, { programId, week, day, offset: week - fromWeek, progression, plates });
      const after = taken.get(day);
      if (after !== undefined && copy[0]?.entity === 'workout') {
        copy[0].fields = { ...copy[0].fields, position: after + 1 };
        taken.set(day, after + 1);
      }
      edits.push(...copy);
    }
  }
  return edits;
}

/** Copies one workout to a day: replacing the workouts there, or beside them. */
export function copyDayEdits(store: LocalStore, workout: ViewRow, toWeek: number, toDay: number, mode: 'replace' | 'add'): { workoutId: string; edits: Edit[] } {
  const programId = String(workout.fields.programId);
  const existing = workoutsOn(store, programId, toWeek, toDay).filter((w) => w.id !== workout.id);
  const edits: Edit[] = mode === 'replace' ? existing.flatMap((w) => deleteWorkoutEdits(store, w.id)) : [];
  const copy = copyWorkoutEdits(store, workout, { programId, week: toWeek, day: toDay });
  const position = mode === 'add' && existing.length ? Math.max(...existing.map((w) => Number(w.fields.position ?? 0))) + 1 : 0;
  copy[0]!.fields = { ...copy[0]!.fields, position };
  return { workoutId: copy[0]!.id, edits: [...edits, ...copy] };
}

/**
 * A progression from rows of one workout to the same exercises on the same day of other
 * weeks: the k-th row of an exercise here changes the k-th row of that exercise there.
 */
export function progressRowsEdits(store: LocalStore, workout: ViewRow, rxIds: string[], toWeeks: number[], p: Progression, plates?: Plates): { edits: Edit[]; missing: string[] } {
  const programId = String(workout.fields.programId);
  const fromWeek = Number(workout.fields.week);
  const day = Number(workout.fields.day);
  const rows = store.children('prescription', workout.id).sort(byPosition);
  const chosen = rows.filter((r) => rxIds.includes(r.id));
  if (chosen.length !== rxIds.length) throw new EditRefused('some of these rows are no longer in this workout');
  const occurrence = (list: ViewRow[], row: ViewRow) => list.filter((r) => r.fields.exerciseId === row.fields.exerciseId).indexOf(row);
  const edits: Edit[] = [];
  const missing: string[] = [];
  for (const week of new Set(toWeeks.filter((w) => w !== fromWeek))) {
    const target = workoutsOn(store, programId, week, day).find((w) => w.fields.title === workout.fields.title) ?? workoutsOn(store, programId, week, day)[0];
    const targetRows = target ? store.children('prescription', target.id).sort(byPosition) : [];
    for (const row of chosen) {
      const k = occurrence(rows, row);
      const match = targetRows.filter((r) => r.fields.exerciseId === row.fields.exerciseId)[k];
      const exercise = String(store.getRow('exercise', String(row.fields.exerciseId))?.fields.name ?? 'an exercise');
      if (!match) {
        missing.push(`Week ${week}: no ${exercise}`);
        continue;
      }
      const next = progressed(store, { ...row.fields }, week - fromWeek, week, p, plates);
      const fields: Fields = {};
      // Only what the progression is about: the other values of the row there stay its own. A
      // load goes with the unit it was computed in.
      const keys = (['reps', 'load', 'rpe'] as const).filter((k) => p[k]).flatMap((k) => (k === 'load' ? (['load', 'loadUnit'] as const) : [k]));
      for (const key of keys) {
        const value = next[key] ?? null;
        if (value !== (match.fields[key] ?? null)) fields[key] = value;
      }
      if (Object.keys(fields).length) edits.push({ entity: 'prescription', id: match.id, action: 'patch', fields });
    }
  }
  return { edits, missing };
}

/** A position between the row `afterId` and the next one, or after the last row. */
export function positionAfter(rows: ViewRow[], afterId: string | null | undefined): number {
  const sorted = rows.map((r) => Number(r.fields.position)).sort((a, b) => a - b);
  if (sorted.length === 0) return 1;
  const after = afterId ? rows.find((r) => r.id === afterId) : undefined;
  if (!after) return sorted[sorted.length - 1]! + 1;
  const at = Number(after.fields.position);
  const next = sorted.find((p) => p > at);
  return next === undefined ? at + 1 : (at + next) / 2;
}
