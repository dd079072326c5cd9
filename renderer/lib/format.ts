// Formatting for what the coach reads: dates, times, ages, percentages, prescriptions and sets.
import { convertLoad, displayLoad, isUnits, roundTo, DEFAULT_PLATE_INCREMENT, type Units } from '../../domain/units.ts';
import type { LoadUnit, Prescription, PrescriptionKind, SchemePart, SetLog } from '../../preload/api.ts';

/** Day 1..7 of a program week, as the host names them (day 1 is the program's start day). */
export { DAY_NAMES } from '../../protocol/calendar.ts';
import { DAY_NAMES } from '../../protocol/calendar.ts';

export function dayName(day: number): string {
  return DAY_NAMES[day - 1] ?? `Day ${day}`;
}

/** "Week 1 · Mon", the name of a slot in a program. */
export function slotName(week: number, day: number): string {
  return `Week ${week} · ${dayName(day)}`;
}

/** "Week 1 · Mon — Lower A", the name of a workout region. */
export function workoutName(week: number, day: number, title: string): string {
  return `${slotName(week, day)} — ${title.trim() || 'Untitled workout'}`;
}

export { addDays, plannedDate } from '../../protocol/calendar.ts';
import { addDays } from '../../protocol/calendar.ts';

/** Today as YYYY-MM-DD in local time. */
export function todayIso(now = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, '0');
  const d = String(now.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/** The next Monday on or after today: the natural start of a block. */
export function nextMonday(now = new Date()): string {
  const today = todayIso(now);
  const weekday = new Date(`${today}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(today, (8 - weekday) % 7);
}

// One formatter each: toLocaleDateString with options builds a new Intl.DateTimeFormat per call
// (~0.1 ms), which long lists and the status bar pay on every render.
const DATE_UTC = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
const DATE_UTC_YEAR = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const DAY_MONTH_UTC = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const CLOCK = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const DATE_LOCAL = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short' });
const DATE_LOCAL_YEAR = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });

/** "Mon 17 Nov" (or "Mon 17 Nov 2024" outside the current year). */
export function formatDate(isoDate: string | null, now = new Date()): string {
  if (!isoDate) return '—';
  const d = new Date(`${isoDate.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return isoDate;
  const sameYear = d.getUTCFullYear() === now.getFullYear();
  return (sameYear ? DATE_UTC : DATE_UTC_YEAR).format(d).replace(',', '');
}

/** "17 Nov", for a date whose weekday is already said. */
export function formatDayMonth(isoDate: string): string {
  const d = new Date(`${isoDate.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return isoDate;
  return DAY_MONTH_UTC.format(d);
}

/** "14:02", local time of an ISO timestamp. */
export function formatClock(isoTime: string): string {
  const d = new Date(isoTime);
  if (Number.isNaN(d.getTime())) return isoTime;
  return CLOCK.format(d);
}

/** "just now", "4 min ago", "2 h ago", "3 d ago". */
export function formatAge(isoTime: string, now: number): string {
  const t = Date.parse(isoTime);
  if (Number.isNaN(t)) return '';
  const sec = Math.max(0, Math.round((now - t) / 1000));
  if (sec < 45) return 'just now';
  const min = Math.round(sec / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

/** 0.8 → "80%", null → "—". */
export function formatPercent(ratio: number | null): string {
  return ratio === null ? '—' : `${Math.round(ratio * 100)}%`;
}

/** 102.5 → "102.5", 100 → "100". */
export function formatNumber(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** "100 kg", "75% 1RM"; with `units`, a kg or lb load is shown converted into them. */
export function formatLoad(load: number | null, unit: LoadUnit | string | null, units?: Units): string {
  if (load === null) return '';
  if (unit === '%1rm') return `${formatNumber(load)}% 1RM`;
  if (units && isUnits(unit)) {
    const shown = displayLoad(load, unit, units);
    return `${formatNumber(shown.value)} ${shown.unit}`;
  }
  return unit ? `${formatNumber(load)} ${unit}` : formatNumber(load);
}

/** "5", "30 s", "40 m": what a prescription's reps count. */
export function formatAmount(reps: string, kind: PrescriptionKind = 'reps'): string {
  return kind === 'time' ? `${reps} s` : kind === 'distance' ? `${reps} m` : reps;
}

/** "5×5 @ 100 kg", "3×8-10", "3×AMRAP", "3×30 s". */
export function formatPrescription(rx: Pick<Prescription, 'sets' | 'reps' | 'load' | 'loadUnit'> & { kind?: PrescriptionKind }, units?: Units): string {
  const load = formatLoad(rx.load, rx.loadUnit, units);
  return `${rx.sets}×${formatAmount(rx.reps, rx.kind)}${load ? ` @ ${load}` : ''}`;
}

/**
 * A %1RM load as kg or lb: the percentage of the client's max, in `units`, rounded to the
 * plate increment.
 */
export function resolvedPercent(percent: number, max: Prescription['percentOf'], units: Units, plateIncrement: number | null): { text: string; value: number; title: string } | null {
  if (!max) return null;
  const value = roundTo((convertLoad(max.value, max.unit, units) * percent) / 100, plateIncrement ?? DEFAULT_PLATE_INCREMENT[units]);
  const of = `${max.kind === 'tm' ? 'training max' : '1RM'} ${formatNumber(max.value)} ${max.unit} (${max.date})`;
  return { value, text: `${formatNumber(value)} ${units}`, title: `${formatNumber(percent)}% of the ${of}` };
}

const PART_NAMES: Record<SchemePart['part'], string> = { warmup: 'Warm-up', top: 'Top set', backoff: 'Back-off', drop: 'Drop set', work: 'Work' };

/** "Warm-up 2×5 @ 50% 1RM · Top set 1×3 @ RPE 8 · Back-off 3×5 @ 90% of top". */
export function formatScheme(scheme: SchemePart[], units?: Units): string {
  return scheme
    .map((p) => {
      const load = p.load === null || p.load === undefined ? '' : p.loadUnit === '%top' ? `${formatNumber(p.load)}% of top` : formatLoad(p.load, p.loadUnit ?? null, units);
      const at = [load, p.rpe ? `RPE ${formatNumber(p.rpe)}` : ''].filter(Boolean).join(' ');
      return `${PART_NAMES[p.part]} ${p.sets}×${p.reps}${at ? ` @ ${at}` : ''}`;
    })
    .join(' · ');
}

/** "set 1: 5 @ 100 kg". */
export function formatSet(set: SetLog, ordinal: number, units?: Units): string {
  const load = formatLoad(set.load, set.loadUnit, units);
  const rpe = set.rpe !== null ? ` · RPE ${formatNumber(set.rpe)}` : '';
  return `set ${ordinal}: ${set.reps}${load ? ` @ ${load}` : ''}${rpe}`;
}

/** "1 edit" / "3 edits". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "weeks 2, 3 and 5", "week 4". */
export function listWeeks(weeks: number[]): string {
  if (weeks.length === 1) return `week ${weeks[0]}`;
  return `weeks ${weeks.slice(0, -1).join(', ')} and ${weeks.at(-1)}`;
}

/** "Mon 1 Dec" (or "Mon 1 Dec 2026" outside the current year) of an ISO time, in local time. */
export function formatLocalDate(isoTime: string, now = new Date()): string {
  const d = new Date(isoTime);
  if (Number.isNaN(d.getTime())) return isoTime;
  const sameYear = d.getFullYear() === now.getFullYear();
  return (sameYear ? DATE_LOCAL : DATE_LOCAL_YEAR).format(d).replace(',', '');
}

/** "Mon 1 Dec at 14:02", local time of an ISO time. */
export function formatDateTime(isoTime: string, now = new Date()): string {
  return `${formatLocalDate(isoTime, now)} at ${formatClock(isoTime)}`;
}

/** "4 min ago" within a week, else the date ("Mon 17 Nov"). */
export function formatSeen(isoTime: string, now: number): string {
  const t = Date.parse(isoTime);
  if (Number.isNaN(t)) return isoTime;
  return now - t < 7 * 24 * 3600_000 ? formatAge(isoTime, now) : formatLocalDate(isoTime, new Date(now));
}
