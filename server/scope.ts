import type { Entity, Fields, Op } from '../protocol/index.ts';
import type { User } from './auth.ts';

/** Where a row sits: the columns that decide who may see and write it. */
export interface Placement {
  coachId: string | null;
  traineeId: string | null;
  ownerId: string | null;
  parentId: string | null;
  refId: string | null;
}

export interface PlacedRow extends Placement {
  entity: Entity;
  id: string;
  deleted: boolean;
  fields: Fields;
}

/** Looks up a row's placement (tombstones included), for parents and references. */
export type LookupPlacement = (entity: Entity, id: string) => PlacedRow | undefined;

export type PlacementResult = { ok: true; placement: Placement } | { ok: false; reason: 'unknown_row' | 'forbidden' | 'invalid'; message: string };

const NONE: Placement = { coachId: null, traineeId: null, ownerId: null, parentId: null, refId: null };

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function parentOf(lookup: LookupPlacement, entity: Entity, id: string | null, field: string): PlacedRow | string {
  const parent = id ? lookup(entity, id) : undefined;
  return parent ?? `${field}: no ${entity} with id ${id}`;
}

/**
 * An exercise merged into another: the target must exist (a tombstone will do) and be the
 * same coach's, and following the merges from it must not lead back to this exercise.
 */
function checkMerge(id: string, fields: Fields, lookup: LookupPlacement): PlacementResult | undefined {
  const into = str(fields.mergedInto);
  if (into === null) return undefined;
  if (into === id) return { ok: false, reason: 'invalid', message: 'exercise.mergedInto: an exercise cannot be merged into itself' };
  const target = parentOf(lookup, 'exercise', into, 'exercise.mergedInto');
  if (typeof target === 'string') return { ok: false, reason: 'unknown_row', message: target };
  if (target.coachId !== str(fields.coachId)) {
    return { ok: false, reason: 'forbidden', message: 'exercise.mergedInto: an exercise can only be merged into another of the same coach' };
  }
  const seen = new Set<string>();
  for (let next: PlacedRow | undefined = target; next && !seen.has(next.id); ) {
    seen.add(next.id);
    const on = str(next.fields.mergedInto);
    if (on === id) return { ok: false, reason: 'invalid', message: `exercise.mergedInto: ${into} is already merged into this exercise` };
    next = on === null ? undefined : lookup('exercise', on);
  }
  return undefined;
}

function unknown(message: string): PlacementResult {
  return { ok: false, reason: 'unknown_row', message };
}

/** Derives a row's placement from its (validated, complete) fields and its parents. */
export function placeRow(entity: Entity, id: string, fields: Fields, lookup: LookupPlacement): PlacementResult {
  switch (entity) {
    case 'trainee':
      return { ok: true, placement: { ...NONE, coachId: str(fields.coachId), traineeId: id } };
    case 'exercise':
      return checkMerge(id, fields, lookup) ?? { ok: true, placement: { ...NONE, coachId: str(fields.coachId) } };
    case 'program': {
      const traineeId = str(fields.traineeId);
      if (traineeId !== null) {
        const trainee = parentOf(lookup, 'trainee', traineeId, 'program.traineeId');
        if (typeof trainee === 'string') return unknown(trainee);
        if (trainee.coachId !== str(fields.coachId)) {
          return { ok: false, reason: 'forbidden', message: "program.traineeId: a program can only be given to the coach's own trainee" };
        }
      }
      return { ok: true, placement: { ...NONE, coachId: str(fields.coachId), traineeId } };
    }
    case 'settings':
      return { ok: true, placement: { ...NONE, ownerId: id } };
    case 'workout': {
      const program = parentOf(lookup, 'program', str(fields.programId), 'workout.programId');
      if (typeof program === 'string') return unknown(program);
      return { ok: true, placement: { ...NONE, coachId: program.coachId, traineeId: program.traineeId, parentId: program.id } };
    }
    case 'prescription': {
      const workout = parentOf(lookup, 'workout', str(fields.workoutId), 'prescription.workoutId');
      if (typeof workout === 'string') return unknown(workout);
      const exercise = parentOf(lookup, 'exercise', str(fields.exerciseId), 'prescription.exerciseId');
      if (typeof exercise === 'string') return unknown(exercise);
      if (exercise.coachId !== workout.coachId) {
        return { ok: false, reason: 'forbidden', message: 'prescription.exerciseId: the exercise belongs to another coach' };
      }
      return {
        ok: true,
        placement: { ...NONE, coachId: workout.coachId, traineeId: workout.traineeId, parentId: workout.id, refId: exercise.id },
      };
    }
    case 'max': {
      const trainee = parentOf(lookup, 'trainee', str(fields.traineeId), 'max.traineeId');
      if (typeof trainee === 'string') return unknown(trainee);
      const exercise = parentOf(lookup, 'exercise', str(fields.exerciseId), 'max.exerciseId');
      if (typeof exercise === 'string') return unknown(exercise);
      if (exercise.coachId !== trainee.coachId) {
        return { ok: false, reason: 'forbidden', message: 'max.exerciseId: the exercise and the trainee belong to different coaches' };
      }
      // Like a prescription's, refId names the exercise: a live max shows it to the trainee.
      return { ok: true, placement: { ...NONE, coachId: trainee.coachId, traineeId: trainee.id, refId: exercise.id } };
    }
    case 'session': {
      const trainee = parentOf(lookup, 'trainee', str(fields.traineeId), 'session.traineeId');
      if (typeof trainee === 'string') return unknown(trainee);
      return { ok: true, placement: { ...NONE, coachId: trainee.coachId, traineeId: trainee.id } };
    }
    case 'set_log': {
      const session = parentOf(lookup, 'session', str(fields.sessionId), 'set_log.sessionId');
      if (typeof session === 'string') return unknown(session);
      return { ok: true, placement: { ...NONE, coachId: session.coachId, traineeId: session.traineeId, parentId: session.id } };
    }
  }
}

/** Whether a row placed so is the user's own: their settings, their coaching, their training. */
function isMine(user: User, entity: Entity, p: Placement): boolean {
  return entity === 'settings' ? p.ownerId === user.id : user.role === 'coach' ? p.coachId === user.id : p.traineeId === user.id;
}

/** Fields a trainee may never change on a prescription of their program. */
const TRAINEE_FIXED_PRESCRIPTION_FIELDS = ['workoutId', 'exerciseId'];

/**
 * May this user write this row, given where it sits now (`before`, absent for a new row) and
 * where the op would put it (`after`)? Returns the reason in words when not.
 */
export function writeForbidden(user: User, op: Op, before: Placement | undefined, after: Placement): string | undefined {
  if (op.entity === 'settings' && op.id !== user.id) return 'settings rows are per user: the id must be your user id';
  if ((before && !isMine(user, op.entity, before)) || !isMine(user, op.entity, after)) return `this ${op.entity.replace('_', ' ')} is not yours to change`;
  if (user.role === 'coach' || op.entity === 'settings') return undefined;
  switch (op.entity) {
    case 'session':
    case 'set_log':
      return undefined;
    case 'prescription':
      if (op.action !== 'patch' || !before) return 'a trainee may only patch prescriptions of their own program';
      for (const field of TRAINEE_FIXED_PRESCRIPTION_FIELDS) {
        if (field in op.fields) return `a trainee may not change prescription.${field}`;
      }
      return undefined;
    case 'max':
      return 'a trainee may read their maxes, not change them: their coach sets them';
    default:
      return `a trainee may not write ${op.entity} rows`;
  }
}
