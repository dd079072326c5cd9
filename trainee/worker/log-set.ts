// Logging a set from the phone: the same rows the reference trainee client writes
// (main/cli/set-log-plan.ts): a session per workout performed (in progress, dated today, with
// its workoutId), then one set_log per set with the next set index of the session, done, the
// prescription and its targets as the trainee saw them (a %1RM load resolved from their max).
import { estimateOneRepMax, roundE1rm } from '../../domain/strength.ts';
import type { Fields } from '../../protocol/index.ts';
import type { Edit, LocalStore } from '../../sync/local-store.ts';
import type { LogSetInput, LogSetResult, TraineeQueries } from './queries.ts';

/** set_log.setIndex's upper bound in the protocol's schema. */
const MAX_SET_INDEX = 1000;

export class LogSetError extends Error {
  constructor(
    message: string,
    readonly field?: 'reps' | 'load' | 'rpe' | 'note',
    readonly code: 'invalid' | 'not_found' = 'invalid',
  ) {
    super(message);
  }
}

/** The same checks as the page's, so nothing invalid is queued whoever asks. */
export function checkSetValues(input: Pick<LogSetInput, 'reps' | 'load' | 'rpe' | 'note'>): void {
  if (!Number.isInteger(input.reps) || input.reps < 1 || input.reps > 1000) throw new LogSetError('Reps must be a whole number from 1 to 1000', 'reps');
  if (input.load !== null && (!Number.isFinite(input.load) || input.load < 0 || input.load > 10_000)) throw new LogSetError('Load must be a number from 0 to 10000', 'load');
  if (input.rpe !== null && (!Number.isFinite(input.rpe) || input.rpe < 1 || input.rpe > 10)) throw new LogSetError('RPE must be a number from 1 to 10', 'rpe');
  if (input.note !== null && input.note.length > 10_000) throw new LogSetError('The note may have at most 10000 characters', 'note');
}

export function planLogSet(store: LocalStore, queries: TraineeQueries, input: LogSetInput, newId: () => string): { edits: Edit[]; result: LogSetResult } {
  checkSetValues(input);
  const prescription = store.getRow('prescription', input.prescriptionId);
  if (!prescription || prescription.fields.workoutId !== input.workoutId) throw new LogSetError('this exercise is no longer in the workout', undefined, 'not_found');
  const workout = queries.workout(input.workoutId, input.today);
  if (!workout) throw new LogSetError('this workout is no longer in your program', undefined, 'not_found');

  const edits: Edit[] = [];
  const session = queries.sessionFor(input.workoutId, input.today);
  const sessionId = session?.id ?? newId();
  if (!session) {
    edits.push({ entity: 'session', id: sessionId, action: 'put', fields: { traineeId: queries.userId, workoutId: input.workoutId, date: input.today, status: 'in_progress' } });
  }
  const existing = session ? store.children('set_log', sessionId) : [];
  const setIndex = 1 + Math.max(-1, ...existing.map((r) => Number(r.fields.setIndex)));
  if (setIndex > MAX_SET_INDEX) throw new LogSetError(`a session holds at most ${MAX_SET_INDEX + 1} sets`);

  const targets = queries.targets(prescription);
  const target = targets[input.n - 1] ?? targets.at(-1)!;
  const fields: Fields = {
    sessionId,
    exerciseId: prescription.fields.exerciseId,
    setIndex,
    reps: input.reps,
    done: true,
    prescriptionId: prescription.id,
  };
  if (target.reps) fields.targetReps = target.reps;
  // As the reference client: the resolved load, or the prescription's number when there is no max to take a % of.
  const targetLoad = target.load ?? target.percent;
  if (targetLoad !== null) fields.targetLoad = targetLoad;
  const unit = target.unit ?? (input.load !== null ? 'kg' : null);
  if (unit) fields.loadUnit = unit;
  if (input.load !== null) fields.load = input.load;
  if (input.rpe !== null) fields.rpe = input.rpe;
  const note = input.note?.trim();
  if (note) fields.note = note;
  const setLogId = newId();
  edits.push({ entity: 'set_log', id: setLogId, action: 'put', fields });

  const e = estimateOneRepMax(input.load, input.reps);
  const newBest = queries.wouldBeNewBest(String(prescription.fields.exerciseId), input.load, input.reps, unit === 'lb' ? 'lb' : 'kg');
  return {
    edits,
    result: { setLogId, sessionId, e1rm: e === null ? null : roundE1rm(e), newBest, restSec: typeof prescription.fields.restSec === 'number' ? prescription.fields.restSec : null },
  };
}

/** Today's session of the workout marked completed (made if no set was logged). */
export function planFinish(queries: TraineeQueries, workoutId: string, today: string, newId: () => string): { edits: Edit[]; sessionId: string } {
  const session = queries.sessionFor(workoutId, today);
  if (session) return { edits: [{ entity: 'session', id: session.id, action: 'patch', fields: { status: 'completed' } }], sessionId: session.id };
  const id = newId();
  return { edits: [{ entity: 'session', id, action: 'put', fields: { traineeId: queries.userId, workoutId, date: today, status: 'completed' } }], sessionId: id };
}
