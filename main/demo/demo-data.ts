import { addDays, mondayOf } from '../../protocol/calendar.ts';
import { newId, type Fields } from '../../protocol/index.ts';
import type { Edit } from '../../sync/local-store.ts';

export interface DemoPlan {
  coachEdits: Edit[];
  /** Per trainee id: the sessions and sets that trainee logs from their phone. */
  traineeEdits: Map<string, Edit[]>;
  trainees: Array<{ id: string; name: string }>;
  programId: string;
}

const EXERCISES: Array<[string, string]> = [
  ['Back squat', 'squat'],
  ['Bench press', 'push'],
  ['Deadlift', 'hinge'],
  ['Overhead press', 'push'],
  ['Romanian deadlift', 'hinge'],
  ['Pull-up', 'pull'],
  ['Barbell row', 'pull'],
  ['Split squat', 'squat'],
];

/** Day plans of the demo block: exercise index, sets, reps, load (kg), RPE. */
const DAYS: Array<{ title: string; rx: Array<[number, number, string, number | null, number | null]> }> = [
  { title: 'Lower A', rx: [[0, 5, '5', 100, 7], [4, 3, '8-10', 70, 7], [7, 3, '10', 20, null]] },
  { title: 'Upper A', rx: [[1, 5, '5', 80, 7], [6, 4, '8', 60, null], [5, 3, 'AMRAP', null, null]] },
  { title: 'Full body', rx: [[2, 3, '3', 140, 8], [3, 4, '6', 50, 7], [5, 3, '6-8', null, 8]] },
];

/**
 * The demo a newcomer opens: a coach with three trainees, an exercise library, a 4-week block
 * (3 days a week) assigned to Ben from last week's Monday, a template, and the sessions Ben
 * logged in the first week.
 */
export function planDemo(coachId: string, today = new Date()): DemoPlan {
  const coachEdits: Edit[] = [];
  const put = (entity: Edit['entity'], fields: Fields, id = newId()) => {
    coachEdits.push({ entity, id, action: 'put', fields });
    return id;
  };
  const trainees = ['Ben Okafor', 'Chloe Martin', 'Dev Patel'].map((name) => ({ name, id: put('trainee', { coachId, name, email: `${name.split(' ')[0]!.toLowerCase()}@example.com` }) }));
  const exercises = EXERCISES.map(([name, category]) => put('exercise', { coachId, name, category }));
  const start = addDays(mondayOf(today.toISOString().slice(0, 10)), -7);
  const ben = trainees[0]!;

  const buildProgram = (traineeId: string | null, name: string, startDate: string | null) => {
    const programId = put('program', { coachId, traineeId, name, startDate, weeks: 4, notes: 'Linear progression: add 2.5 kg a week when all sets are done.' });
    const workouts: Array<{ id: string; week: number; day: number; rx: Array<{ id: string; exerciseId: string; reps: string; load: number | null }> }> = [];
    for (let week = 1; week <= 4; week++) {
      DAYS.forEach((plan, i) => {
        const day = [1, 3, 5][i]!;
        const workoutId = put('workout', { programId, week, day, title: plan.title, position: i });
        const rx = plan.rx.map(([ex, sets, reps, load, rpe], position) => {
          const weekLoad = load === null ? null : load + (week - 1) * 2.5;
          const fields: Fields = { workoutId, exerciseId: exercises[ex]!, position, sets, reps, restSec: 120 };
          if (weekLoad !== null) Object.assign(fields, { load: weekLoad, loadUnit: 'kg' });
          if (rpe !== null) fields.rpe = rpe;
          return { id: put('prescription', fields), exerciseId: exercises[ex]!, reps, load: weekLoad };
        });
        workouts.push({ id: workoutId, week, day, rx });
      });
    }
    return { programId, workouts };
  };
  const block = buildProgram(ben.id, 'Strength block 1', start);
  buildProgram(null, 'Template: 3-day strength', null);

  // Ben logged week 1 (three sessions) from his phone.
  const benEdits: Edit[] = [];
  for (const w of block.workouts.filter((w) => w.week === 1)) {
    const sessionId = newId();
    benEdits.push({ entity: 'session', id: sessionId, action: 'put', fields: { traineeId: ben.id, workoutId: w.id, date: addDays(start, w.day - 1), status: 'completed', rpe: 7 } });
    let setIndex = 0;
    for (const rx of w.rx) {
      for (let s = 0; s < 3; s++) {
        const reps = Number.parseInt(rx.reps, 10) || 8;
        const fields: Fields = { sessionId, prescriptionId: rx.id, exerciseId: rx.exerciseId, setIndex: setIndex++, reps, done: true, targetReps: rx.reps };
        if (rx.load !== null) Object.assign(fields, { load: rx.load, loadUnit: 'kg', targetLoad: rx.load });
        benEdits.push({ entity: 'set_log', id: newId(), action: 'put', fields });
      }
    }
  }
  return { coachEdits, traineeEdits: new Map([[ben.id, benEdits]]), trainees, programId: block.programId };
}
