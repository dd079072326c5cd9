// Parsing what the coach types into a cell. Each parser turns text into the value the API
// takes, or into a message shown next to the cell. The limits are the API's own schemas
// (preload/api-params.ts), so what a cell lets through the host takes.
import { exerciseName, prescriptionFields, problemWith } from '../../preload/api-params.ts';
import type { LoadUnit, PrescriptionKind, Units } from '../../preload/api.ts';
import { formatNumber } from './format.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** A value checked against a schema: ok, or the schema's message under the cell's label. */
function checked<T>(label: string, schema: Parameters<typeof problemWith>[1], value: T): Parsed<T> {
  const problem = problemWith(label, schema, value);
  return problem ? bad(problem) : ok(value);
}

/** A decimal as typed ("102.5", "102,5"), or null when it is not one. */
export function decimal(text: string): number | null {
  const t = text.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

export function parseSets(text: string): Parsed<number> {
  const t = text.trim();
  if (!/^[-+]?\d+$/.test(t)) return bad('Sets must be a whole number, e.g. 3');
  return checked('Sets', prescriptionFields.sets, Number(t));
}

/** "5", "8-10" or "AMRAP" (any case); ranges go from low to high. */
export function parseReps(text: string): Parsed<string> {
  const t = text.trim().replace(/\s*[-–]\s*/, '-');
  if (/^amrap$/i.test(t)) return ok('AMRAP');
  const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(t);
  if (!m) return bad('Reps must be a number like 5, a range like 8-10, or AMRAP');
  const reps = m[2] !== undefined ? `${Number(m[1])}-${Number(m[2])}` : String(Number(m[1]));
  const problem = problemWith('Reps', prescriptionFields.reps, reps);
  if (problem?.includes('low to high')) return bad('A rep range goes from low to high, e.g. 8-10');
  return problem ? bad(problem) : ok(reps);
}

const KIND_SUFFIX: Record<PrescriptionKind, string> = { reps: '', time: 's', distance: 'm' };

/** Reps with their kind as the Reps cell shows them: "5", "30s" (seconds), "40m" (metres). */
export function amountText(reps: string, kind: PrescriptionKind): string {
  return `${reps}${KIND_SUFFIX[kind]}`;
}

/** The Reps cell: reps ("5", "8-10", "AMRAP"), seconds ("30s", "30-45 sec") or metres ("40m"). */
export function parseAmount(text: string): Parsed<{ reps: string; kind: PrescriptionKind }> {
  const m = /^(.*?\d)\s*(s|sec|secs|seconds|m|metres|meters)$/i.exec(text.trim());
  if (!m || /amrap/i.test(m[1]!)) {
    const reps = parseReps(text);
    return reps.ok ? ok({ reps: reps.value, kind: 'reps' }) : reps;
  }
  const kind: PrescriptionKind = m[2]!.toLowerCase().startsWith('s') ? 'time' : 'distance';
  const amount = parseReps(m[1]!);
  if (!amount.ok) return bad(`${kind === 'time' ? 'Seconds' : 'Metres'} must be a number like 30 or a range like 30-45`);
  return ok({ reps: amount.value, kind });
}

/** A load and the unit typed with it ("100", "100kg", "225 lb", "75%"); empty clears it. */
export function parseLoadWithUnit(text: string): Parsed<{ load: number | null; unit: LoadUnit | null }> {
  const t = text.trim();
  if (!t) return ok({ load: null, unit: null });
  const m = /^([-+]?\d+(?:[.,]\d+)?)\s*(kgs?|lbs?|%\s*(?:1rm)?)?$/i.exec(t);
  const n = m ? decimal(m[1]!.replace(/^\+/, '')) : null;
  if (!m || n === null) return bad(m?.[1]?.startsWith('-') ? 'Load must be at least 0' : 'Load must be a number, e.g. 102.5 (or 100kg, 225lb, 75%)');
  const word = (m[2] ?? '').toLowerCase();
  const unit: LoadUnit | null = word.startsWith('%') ? '%1rm' : word.startsWith('lb') ? 'lb' : word.startsWith('kg') ? 'kg' : null;
  const load = checked('Load', prescriptionFields.load, n);
  return load.ok ? ok({ load: n, unit }) : load;
}

export function parseRpe(text: string): Parsed<number | null> {
  const t = text.trim().replace(/^@\s*/, '').replace(/^rpe\s*/i, '');
  if (!t) return ok(null);
  const n = decimal(t);
  if (n === null) return bad('RPE must be a number between 1 and 10, e.g. 8 or 7.5');
  return checked('RPE', prescriptionFields.rpe, n);
}

/** Rest in seconds: "90", "90s", "2m", "2:30"; empty clears it. */
export function parseRest(text: string): Parsed<number | null> {
  const t = text.trim().toLowerCase();
  if (!t) return ok(null);
  let sec: number | null = null;
  let m: RegExpExecArray | null;
  if ((m = /^(\d+)\s*s?$/.exec(t))) sec = Number(m[1]);
  else if ((m = /^(\d+):([0-5]\d)$/.exec(t))) sec = Number(m[1]) * 60 + Number(m[2]);
  else if ((m = /^(\d+(?:\.\d+)?)\s*m(in)?$/.exec(t))) sec = Math.round(Number(m[1]) * 60);
  if (sec === null) return bad('Rest is in seconds, e.g. 90 (or 2:30)');
  if (sec > 3600) return bad('Rest must be at most 3600 seconds');
  return ok(sec);
}

/** Free text up to `max` characters; empty clears it. */
export function parseText(max: number, label: string) {
  return (text: string): Parsed<string | null> => {
    const t = text.trim();
    if (!t) return ok(null);
    if (t.length > max) return bad(`${label} must be at most ${max.toLocaleString('en')} characters (this is ${t.length.toLocaleString('en')})`);
    return ok(t);
  };
}

/** An exercise's name: required, at most 200 characters. */
export function parseExerciseName(text: string): Parsed<string> {
  const t = text.trim();
  if (!t) return bad('An exercise needs a name');
  if (t.length > 200) return bad(`An exercise name is at most 200 characters; this is ${t.length.toLocaleString('en')}`);
  return checked('Exercise name', exerciseName, t);
}

export const formatOptionalNumber = (n: number | null): string => (n === null ? '' : formatNumber(n));
export const formatOptionalText = (s: string | null): string => s ?? '';

/** The Unit column's choices: none (only without a load), the coach's units, or %1RM. */
export function unitChoices(units: Units): Array<{ value: LoadUnit | ''; label: string }> {
  return [
    { value: '', label: '—' },
    { value: units, label: units },
    { value: '%1rm', label: '%1RM' },
  ];
}
