// Structural sharing for what the host sends again after every edit. A re-read program is a new
// object tree even where nothing changed; keeping the previous objects for equal parts lets the
// builder's memoised workouts and rows skip rendering: an edit re-renders its own row, not the
// whole week. Values are plain data (what came through JSON or a structured clone).
import type { Exercise, Prescription, ProgramDetail, Workout } from '../../preload/api.ts';

/** Deep equality of plain data: primitives, arrays and plain objects. */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** `next`, with every element equal to the previous list's element of the same id taken from it. */
function shareById<T extends { id: string }>(prev: readonly T[], next: T[], share: (p: T, n: T) => T): T[] {
  if (prev.length === 0) return next;
  const byId = new Map(prev.map((p) => [p.id, p]));
  let same = prev.length === next.length;
  const out = next.map((n, i) => {
    const p = byId.get(n.id);
    const kept = p ? share(p, n) : n;
    if (kept !== prev[i]) same = false;
    return kept;
  });
  return same ? (prev as T[]) : out;
}

const shareRx = (p: Prescription, n: Prescription): Prescription => (sameData(p, n) ? p : n);

function shareWorkout(p: Workout, n: Workout): Workout {
  const prescriptions = shareById(p.prescriptions, n.prescriptions, shareRx);
  if (prescriptions === p.prescriptions && sameData({ ...p, prescriptions: null }, { ...n, prescriptions: null })) return p;
  return prescriptions === n.prescriptions ? n : { ...n, prescriptions };
}

/**
 * The program as read now, sharing every workout and row that did not change with `prev` (the
 * same program as shown): `prev` itself when nothing changed.
 */
export function shareProgram(prev: ProgramDetail | null, next: ProgramDetail | null): ProgramDetail | null {
  if (!prev || !next || prev.id !== next.id) return next;
  const workouts = shareById(prev.workouts, next.workouts, shareWorkout);
  if (workouts === prev.workouts && sameData({ ...prev, workouts: null }, { ...next, workouts: null })) return prev;
  return workouts === next.workouts ? next : { ...next, workouts };
}

/** The exercise list as read now, or the previous one when it is the same. */
export function shareExercises(prev: Exercise[], next: Exercise[]): Exercise[] {
  return sameData(prev, next) ? prev : next;
}
