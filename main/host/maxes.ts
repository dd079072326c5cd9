import { estimateOneRepMax, roundE1rm } from '../../domain/strength.ts';
import { convertLoad, isUnits } from '../../domain/units.ts';
import type { MaxEstimate, TraineeMaxes, TrainingMax } from '../../preload/api.ts';
import type { LocalStore, ViewRow } from '../../sync/local-store.ts';

function toMax(r: ViewRow, names: Map<string, string>): TrainingMax {
  const f = r.fields;
  return {
    id: r.id,
    traineeId: String(f.traineeId),
    exerciseId: String(f.exerciseId),
    exerciseName: names.get(String(f.exerciseId)) ?? 'Unknown exercise',
    kind: f.kind === 'tm' ? 'tm' : '1rm',
    value: Number(f.value),
    unit: f.unit === 'lb' ? 'lb' : 'kg',
    date: String(f.date),
    source: f.source === 'estimated' ? 'estimated' : 'entered',
    notes: typeof f.notes === 'string' ? f.notes : null,
    pending: r.pending,
  };
}

const names = (store: LocalStore) => new Map(store.list('exercise').map((r) => [r.id, String(r.fields.name)]));

/** A trainee's maxes, newest first: by date, then the latest written (one not yet synced is the latest). */
export function traineeMaxes(store: LocalStore, traineeId: string, exerciseNames = names(store)): TrainingMax[] {
  const written = (r: { version: number; pending: boolean }) => (r.pending ? Number.MAX_SAFE_INTEGER : r.version);
  return store
    .children('max', traineeId)
    .sort((a, b) => String(b.fields.date).localeCompare(String(a.fields.date)) || written(b) - written(a) || b.id.localeCompare(a.id))
    .map((r) => toMax(r, exerciseNames));
}

/** The max each exercise's %1RM loads are taken of: the newest. */
export function currentMaxes(store: LocalStore, traineeId: string): Map<string, TrainingMax> {
  const out = new Map<string, TrainingMax>();
  for (const m of traineeMaxes(store, traineeId)) if (!out.has(m.exerciseId)) out.set(m.exerciseId, m);
  return out;
}

/** The best estimated 1RM per exercise from the sets the trainee logged (Epley, 1–12 reps). */
export function estimatesFromLogs(store: LocalStore, traineeId: string, exerciseNames = names(store)): MaxEstimate[] {
  const best = new Map<string, MaxEstimate & { kg: number }>();
  for (const session of store.children('session', traineeId)) {
    for (const set of store.children('set_log', session.id)) {
      const f = set.fields;
      const unit = f.loadUnit;
      if (f.done === false || !isUnits(unit) || typeof f.load !== 'number') continue;
      const e1rm = estimateOneRepMax(f.load, Number(f.reps));
      if (e1rm === null) continue;
      const kg = convertLoad(e1rm, unit, 'kg');
      const exerciseId = String(f.exerciseId);
      const current = best.get(exerciseId);
      if (current && current.kg >= kg) continue;
      best.set(exerciseId, { exerciseId, exerciseName: exerciseNames.get(exerciseId) ?? 'Unknown exercise', e1rm: roundE1rm(e1rm), unit, date: String(session.fields.date), reps: Number(f.reps), load: f.load, kg });
    }
  }
  return [...best.values()].map(({ kg: _kg, ...e }) => e).sort((a, b) => a.exerciseName.localeCompare(b.exerciseName));
}

export function maxesOf(store: LocalStore, traineeId: string): TraineeMaxes {
  const exerciseNames = names(store);
  return { traineeId, maxes: traineeMaxes(store, traineeId, exerciseNames), estimates: estimatesFromLogs(store, traineeId, exerciseNames) };
}
