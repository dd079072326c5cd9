// Program calendar arithmetic shared by the host and the UI. Day 1..7 is Monday..Sunday; week 1
// is the week that holds the program's start date, and a week starts on the coach's
// `weekStartsOn` (0 = Sunday … 6 = Saturday; Monday by default). Pure, no dependencies (the
// renderer bundles this file alone).

export const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** JavaScript's weekday (0 = Sunday) of program day 1..7 (1 = Monday). */
const weekdayOf = (day: number) => day % 7;

/** The first day of the week that holds this date, for weeks starting on `weekStartsOn`. */
export function weekStartOf(isoDate: string, weekStartsOn = 1): string {
  const weekday = new Date(`${isoDate}T00:00:00Z`).getUTCDay();
  return addDays(isoDate, -((weekday - weekStartsOn + 7) % 7));
}

/** The Monday of the week that holds this date. */
export function mondayOf(isoDate: string): string {
  return weekStartOf(isoDate, 1);
}

/** Program days 1..7 in the order a week shows them, e.g. Sunday first: [7, 1, 2, 3, 4, 5, 6]. */
export function daysInWeekOrder(weekStartsOn = 1): number[] {
  return Array.from({ length: 7 }, (_, i) => ((weekStartsOn + i + 6) % 7) + 1);
}

/**
 * The date a workout falls on: program day `day` (1 = Monday) of week `week`, counting the week
 * of the start date as week 1. A program starting on a Wednesday has its week-1 days before
 * Wednesday before the start.
 */
export function plannedDate(startDate: string | null, week: number, day: number, weekStartsOn = 1): string | null {
  if (!startDate) return null;
  const offset = (weekdayOf(day) - weekStartsOn + 7) % 7;
  return addDays(weekStartOf(startDate, weekStartsOn), (week - 1) * 7 + offset);
}
