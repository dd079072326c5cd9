import { newId, type Fields } from '../../protocol/index.ts';
import type { PrescriptionInput } from '../../preload/api.ts';
import type { Edit, LocalStore, ViewRow } from '../sync/local-store.ts';

/** Fields of a prescription input, as the protocol stores them (absent options left out). */
export function prescriptionFields(workoutId: string, position: number, input: PrescriptionInput): Fields {
  const fields: Fields = { workoutId, exerciseId: input.exerciseId, position, sets: input.sets, reps: input.reps };
  for (const key of ['load', 'loadUnit', 'rpe', 'restSec', 'tempo', 'notes', 'group'] as const) {
    const value = input[key];
    if (value !== undefined && value !== null && value !== '') fields[key] = value;
  }
  return fields;
}

/** Puts that copy a workout and its prescriptions under another program, week and day. */
export function copyWorkoutEdits(store: LocalStore, workout: ViewRow, target: { programId: string; week: number; day: number; workoutId?: string; startPosition?: number }): Edit[] {
  const edits: Edit[] = [];
  const workoutId = target.workoutId ?? newId();
  if (!target.workoutId) {
    edits.push({ entity: 'workout', id: workoutId, action: 'put', fields: { ...workout.fields, programId: target.programId, week: target.week, day: target.day } });
  }
  const rx = store.children('prescription', workout.id).sort((a, b) => Number(a.fields.position) - Number(b.fields.position));
  rx.forEach((p, i) => {
    edits.push({ entity: 'prescription', id: newId(), action: 'put', fields: { ...p.fields, workoutId, position: (target.startPosition ?? 0) + i + 1 } });
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
