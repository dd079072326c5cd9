import { percentOfMax } from '../../domain/strength.ts';
import type { Fields } from '../../protocol/index.ts';
import { currentMaxes } from '../host/maxes.ts';
import type { Edit, LocalStore } from '../../sync/local-store.ts';

/** set_log.setIndex's upper bound in the protocol's schema. */
const MAX_SET_INDEX = 1000;

export interface SetLogRequest {
  sessionId: string;
  traineeId: string;
  count: number;
  exerciseId?: string;
  /** For a session not known here: the workout it is for (its prescriptions give the sets). */
  workoutId?: string;
  reps?: number;
  load?: number;
  newId: () => string;
}

/**
 * The edits that log `count` sets in a session, as a trainee's phone would: the next set
 * indexes, cycling through the session's prescriptions with their targets kept on each log.
 * A session not known here is created (in progress, today). Returns a message when it cannot.
 */
export function planSetLogs(store: LocalStore, req: SetLogRequest): Edit[] | string {
  const edits: Edit[] = [];
  const session = store.getRow('session', req.sessionId);
  if (!session) {
    if (!req.exerciseId && !req.workoutId) return `session ${req.sessionId} is not known here: sync first, or pass --workout ID or --exercise ID to start it`;
    if (req.workoutId && !store.getRow('workout', req.workoutId)) return `workout ${req.workoutId} is not known here: sync first`;
    const fields: Fields = { traineeId: req.traineeId, date: new Date().toISOString().slice(0, 10), status: 'in_progress' };
    if (req.workoutId) fields.workoutId = req.workoutId;
    edits.push({ entity: 'session', id: req.sessionId, action: 'put', fields });
  }
  const workoutId = session ? session.fields.workoutId : req.workoutId;
  const prescriptions = typeof workoutId === 'string'
    ? store.list('prescription', (f) => f.workoutId === workoutId).sort((a, b) => Number(a.fields.position) - Number(b.fields.position))
    : [];
  if (!req.exerciseId && prescriptions.length === 0) return `session ${req.sessionId} has no prescriptions here: pass --exercise ID`;
  if (req.load !== undefined && !(req.load >= 0)) return '--load must be a number of 0 or more';

  let setIndex = 1 + Math.max(-1, ...store.list('set_log', (f) => f.sessionId === req.sessionId).map((r) => Number(r.fields.setIndex)));
  if (setIndex + req.count - 1 > MAX_SET_INDEX) {
    return `a session holds at most ${MAX_SET_INDEX + 1} sets and this one has ${setIndex}: log the rest in another session`;
  }
  // A %1RM load is what the trainee sees in kg or lb: a percentage of their current max.
  const maxes = currentMaxes(store, req.traineeId);
  for (let i = 0; i < req.count; i++) {
    const p = req.exerciseId ? undefined : prescriptions[i % prescriptions.length]!.fields;
    const targetReps = typeof p?.reps === 'string' ? p.reps : undefined;
    const max = p?.loadUnit === '%1rm' ? maxes.get(String(p.exerciseId)) : undefined;
    const percent = typeof p?.load === 'number' ? p.load : undefined;
    const targetLoad = max && percent !== undefined ? percentOfMax(percent, max) : percent;
    const fields: Fields = {
      sessionId: req.sessionId,
      exerciseId: req.exerciseId ?? p!.exerciseId,
      setIndex: setIndex++,
      reps: req.reps ?? (Number.parseInt(targetReps ?? '', 10) || 5),
      done: true,
    };
    if (p) {
      fields.prescriptionId = prescriptions[i % prescriptions.length]!.id;
      if (targetReps) fields.targetReps = targetReps;
      if (targetLoad !== undefined) fields.targetLoad = targetLoad;
      if (p.loadUnit === 'kg' || p.loadUnit === 'lb') fields.loadUnit = p.loadUnit;
      else if (max) fields.loadUnit = max.unit;
    }
    const load = req.load ?? (p?.loadUnit === '%1rm' && !max ? undefined : targetLoad);
    if (load !== undefined) fields.load = load;
    edits.push({ entity: 'set_log', id: req.newId(), action: 'put', fields });
  }
  return edits;
}
