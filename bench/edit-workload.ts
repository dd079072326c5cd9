import { newId, type Fields } from '../protocol/index.ts';
import { mulberry32 } from './random.ts';

export type EditKind = 'change' | 'add' | 'reorder' | 'delete';

/**
 * One builder edit of a prescription. `fields` is what changed (a patch, or the whole row for
 * an add); `row` is the whole row after the edit (what a last-write-wins client stores), or
 * null after a delete.
 */
export interface BuilderEdit {
  kind: EditKind;
  id: string;
  fields: Fields;
  row: Fields | null;
}

export interface ProgramSetup {
  coachId: string;
  programId: string;
  exerciseIds: string[];
  program: Fields;
  exercises: Array<{ id: string; fields: Fields }>;
  workouts: Array<{ id: string; fields: Fields }>;
  prescriptions: Array<{ id: string; fields: Fields }>;
}

const EXERCISES = ['Back squat', 'Bench press', 'Deadlift', 'Overhead press', 'Barbell row', 'Pull-up', 'Lunge', 'Dip'];
const REPS = ['3', '5', '8', '8-10', '10-12', 'AMRAP'];

/** A 12-week program, 4 training days a week, 6 prescriptions a day: 48 workouts, 288 rows. */
export function buildProgram(weeks = 12, days = [1, 2, 4, 5], perDay = 6): ProgramSetup {
  const coachId = newId();
  const programId = newId();
  const exercises = EXERCISES.map((name) => ({ id: newId(), fields: { coachId, name } as Fields }));
  const workouts: ProgramSetup['workouts'] = [];
  const prescriptions: ProgramSetup['prescriptions'] = [];
  for (let week = 1; week <= weeks; week++) {
    for (const day of days) {
      const workoutId = newId();
      workouts.push({ id: workoutId, fields: { programId, week, day, title: `Day ${day}` } });
      for (let i = 0; i < perDay; i++) {
        prescriptions.push({
          id: newId(),
          fields: {
            workoutId,
            exerciseId: exercises[(week + i) % exercises.length]!.id,
            position: i + 1,
            sets: 3 + (i % 3),
            reps: REPS[i % REPS.length]!,
            load: 60 + i * 10,
            loadUnit: 'kg',
            rpe: 7,
            restSec: 120,
          },
        });
      }
    }
  }
  return {
    coachId,
    programId,
    exerciseIds: exercises.map((e) => e.id),
    program: { coachId, traineeId: null, name: 'Big block', weeks },
    exercises,
    workouts,
    prescriptions,
  };
}

/**
 * `count` random edits as a coach makes them in the builder: 55% change sets/reps/load of a
 * row, 15% add a row to a day, 15% move a row within its day, 15% delete a row.
 */
export function randomEdits(setup: ProgramSetup, count: number, seed: number): BuilderEdit[] {
  const random = mulberry32(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const rows = new Map(setup.prescriptions.map((p) => [p.id, { ...p.fields }]));
  const live = [...rows.keys()];
  const edits: BuilderEdit[] = [];
  const siblings = (workoutId: unknown) => [...rows.values()].filter((r) => r.workoutId === workoutId).map((r) => r.position as number);
  while (edits.length < count) {
    const r = random();
    if (r < 0.55 && live.length) {
      const id = pick(live);
      const which = random();
      const fields: Fields =
        which < 0.34 ? { sets: 1 + Math.floor(random() * 8) } : which < 0.67 ? { reps: pick(REPS) } : { load: Math.round(random() * 400) / 2 };
      const row = { ...rows.get(id)!, ...fields };
      rows.set(id, row);
      edits.push({ kind: 'change', id, fields, row: { ...row } });
    } else if (r < 0.7) {
      const workout = pick(setup.workouts);
      const id = newId();
      const row: Fields = {
        workoutId: workout.id,
        exerciseId: pick(setup.exerciseIds),
        position: Math.max(0, ...siblings(workout.id)) + 1,
        sets: 3,
        reps: '5',
        load: 100,
        loadUnit: 'kg',
      };
      rows.set(id, row);
      live.push(id);
      edits.push({ kind: 'add', id, fields: { ...row }, row: { ...row } });
    } else if (r < 0.85 && live.length) {
      const id = pick(live);
      // Fractional positions: moving a row writes only that row.
      const others = siblings(rows.get(id)!.workoutId).sort((a, b) => a - b);
      const at = Math.floor(random() * (others.length + 1));
      const low = others[at - 1] ?? 0;
      const high = others[at] ?? low + 2;
      const fields: Fields = { position: (low + high) / 2 };
      const row = { ...rows.get(id)!, ...fields };
      rows.set(id, row);
      edits.push({ kind: 'reorder', id, fields, row: { ...row } });
    } else if (live.length > 1) {
      const i = Math.floor(random() * live.length);
      const id = live[i]!;
      live.splice(i, 1);
      rows.delete(id);
      edits.push({ kind: 'delete', id, fields: {}, row: null });
    }
  }
  return edits;
}
