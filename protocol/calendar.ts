// Program calendar arithmetic shared by the host and the UI. Day 1..7 is Monday..Sunday; week 1
// is the week that holds the program's start date. Pure, no dependencies (the renderer bundles
// this file alone).

export const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The Monday of the week that holds this date. */
export function mondayOf(isoDate: string): string {
  const weekday = (new Date(`${isoDate}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(isoDate, -weekday);
}

/**
 * The date a workout falls on: day `day` (1 = Monday) of week `week`, counting the week of the
 * start date as week 1. A program starting on a Wednesday has its week-1 Monday before the start.
 */
export function plannedDate(startDate: string | null, week: number, day: number): string | null {
  return startDate ? addDays(mondayOf(startDate), (week - 1) * 7 + (day - 1)) : null;
}
