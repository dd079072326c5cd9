// Parsing what the coach types into a prescription cell. Each parser turns text into the value
// the API takes, or into a message shown next to the cell.
import type { LoadUnit, PrescriptionInput } from '../../preload/api.ts';
import { formatNumber } from './format.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(error: string): Parsed<T> => ({ ok: false, error });

function decimal(text: string): number | null {
  const t = text.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

export function parseSets(text: string): Parsed<number> {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return bad('Sets must be a whole number, e.g. 3');
  const n = Number(t);
  if (n < 1 || n > 100) return bad('Sets must be between 1 and 100');
  return ok(n);
}

/** "5", "8-10" or "AMRAP" (any case); ranges go from low to high. */
export function parseReps(text: string): Parsed<string> {
  const t = text.trim().replace(/\s*[-–]\s*/, '-');
  if (/^amrap$/i.test(t)) return ok('AMRAP');
  const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(t);
  if (!m) return bad('Reps must be a number like 5, a range like 8-10, or AMRAP');
  if (m[2] !== undefined && Number(m[1]) > Number(m[2])) return bad('A rep range goes from low to high, e.g. 8-10');
  return ok(m[2] !== undefined ? `${Number(m[1])}-${Number(m[2])}` : String(Number(m[1])));
}

/** A load in the row's unit; empty clears it. */
export function parseLoad(text: string): Parsed<number | null> {
  if (!text.trim()) return ok(null);
  const n = decimal(text);
  if (n === null) return bad('Load must be a number, e.g. 102.5');
  if (n > 10_000) return bad('Load must be at most 10000');
  return ok(n);
}

export function parseRpe(text: string): Parsed<number | null> {
  const t = text.trim().replace(/^@/, '');
  if (!t) return ok(null);
  const n = decimal(t);
  if (n === null || n < 1 || n > 10) return bad('RPE must be between 1 and 10, e.g. 8 or 7.5');
  return ok(n);
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
    if (t.length > max) return bad(`${label} must be at most ${max} characters`);
    return ok(t);
  };
}

export const formatOptionalNumber = (n: number | null): string => (n === null ? '' : formatNumber(n));
export const formatOptionalText = (s: string | null): string => s ?? '';

export interface QuickEntry {
  name: string;
  rx: Partial<Pick<PrescriptionInput, 'sets' | 'reps' | 'load' | 'loadUnit'>>;
}

/**
 * What a coach types into "Add exercise": a name, optionally followed by a set scheme,
 * e.g. "Back squat 5x5 @ 100kg", "Bench press 3×8-10 @ 75%", "Pull-up 3xAMRAP".
 */
export function parseQuickEntry(text: string): QuickEntry {
  const m = /^(.*?)\s+(\d{1,3})\s*[x×*]\s*(\d{1,3}(?:-\d{1,3})?|amrap)(?:\s*@\s*(\d+(?:[.,]\d+)?)\s*(kg|lbs?|%(?:\s*1rm)?)?)?\s*$/i.exec(text);
  if (!m || !m[1]!.trim()) return { name: text.trim(), rx: {} };
  const rx: QuickEntry['rx'] = {};
  const sets = parseSets(m[2]!);
  const reps = parseReps(m[3]!);
  if (sets.ok) rx.sets = sets.value;
  if (reps.ok) rx.reps = reps.value;
  if (m[4] !== undefined) {
    rx.load = Number(m[4].replace(',', '.'));
    const unit = (m[5] ?? '').toLowerCase();
    rx.loadUnit = unit.startsWith('%') ? '%1rm' : unit.startsWith('lb') ? 'lb' : unit === 'kg' ? 'kg' : null;
  }
  return { name: m[1]!.trim(), rx };
}

export const LOAD_UNITS: Array<{ value: LoadUnit | ''; label: string }> = [
  { value: '', label: '—' },
  { value: 'kg', label: 'kg' },
  { value: 'lb', label: 'lb' },
  { value: '%1rm', label: '%1RM' },
];
