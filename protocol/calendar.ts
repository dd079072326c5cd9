// Program calendar arithmetic shared by the host and the UI: week 1 day 1 is the start date,
// day 1..7 is Monday..Sunday. Pure, no dependencies (the renderer bundles this file alone).

export const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The date a workout falls on: week 1 day 1 is the program's start date. */
export function plannedDate(startDate: string | null, week: number, day: number): string | null {
  return startDate ? addDays(startDate, (week - 1) * 7 + (day - 1)) : null;
}
