// A client's progress from what they logged: estimated 1RMs over time with PRs, weekly and
// block volume, hard sets, compliance and RPE drift. Pure functions over plain arrays (no I/O):
// the host feeds them from the local replica, tests from literals.
import { addDays, weekStartOf } from '../protocol/calendar.ts';
import { estimateOneRepMax, roundE1rm, type E1rmFormula } from './strength.ts';
import { convertLoad, isUnits, type Units } from './units.ts';

/** One logged set, with its session's date and what it was prescribed against. */
export interface AnalyticsSet {
  /** The session's date, YYYY-MM-DD. */
  date: string;
  sessionId: string;
  exerciseId: string;
  reps: number;
  load: number | null;
  /** The load's unit as logged: kg or lb; anything else (none, %1RM) counts as no load. */
  unit: string | null;
  rpe: number | null;
  done: boolean;
  /** Reps the set was logged against ("5", "8-10", "AMRAP"), if it was prescribed. */
  targetReps: string | null;
  /** The prescription's RPE, if it has one. */
  targetRpe: number | null;
  /** Whether the set was logged against a prescription. */
  prescribed: boolean;
  /**
   * How many such sets this stands for (1 when absent): a group of one session's sets that
   * differ only in load, `load` being the heaviest and `loadSum` their Σ load.
   */
  count?: number;
  loadSum?: number | null;
}

export interface AnalyticsOptions {
  units: Units;
  formula: E1rmFormula;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The set's load in `units`, or null when it has none that converts (bodyweight, %1RM). */
export function loadIn(set: Pick<AnalyticsSet, 'load' | 'unit'>, units: Units): number | null {
  if (set.load === null || !Number.isFinite(set.load) || !isUnits(set.unit)) return null;
  return convertLoad(set.load, set.unit, units);
}

/** The set's e1RM in `units` (unrounded), or null: not done, no load, 0 or more than 12 reps. */
export function setE1rm(set: AnalyticsSet, { units, formula }: AnalyticsOptions): number | null {
  if (!set.done) return null;
  const load = loadIn(set, units);
  return load === null ? null : estimateOneRepMax(load, set.reps, formula);
}

/** A session's best set of one exercise, as a point of its e1RM line. */
export interface E1rmPoint {
  date: string;
  sessionId: string;
  /** One decimal, in the chosen units. */
  e1rm: number;
  /** The best e1RM so far, this session included (one decimal). */
  best: number;
  /** This session beat every earlier one (the first session sets the baseline, no PR). */
  pr: boolean;
  reps: number;
  /** The set's load in the chosen units, one decimal. */
  load: number;
  rpe: number | null;
}

/**
 * Per exercise, the e1RM of each session's best set (sets of 1–12 reps with a load), in date
 * order, with the running best and the sessions that set a new one.
 */
export function e1rmHistory(sets: readonly AnalyticsSet[], options: AnalyticsOptions): Map<string, E1rmPoint[]> {
  // The best set per exercise and session.
  const byExercise = new Map<string, Map<string, { set: AnalyticsSet; value: number }>>();
  for (const set of sets) {
    const value = setE1rm(set, options);
    if (value === null) continue;
    let bySession = byExercise.get(set.exerciseId);
    if (!bySession) byExercise.set(set.exerciseId, (bySession = new Map()));
    const current = bySession.get(set.sessionId);
    if (!current) bySession.set(set.sessionId, { set, value });
    else if (value > current.value) {
      current.set = set;
      current.value = value;
    }
  }
  const out = new Map<string, E1rmPoint[]>();
  for (const [exerciseId, bySession] of byExercise) {
    const list = [...bySession.values()];
    list.sort((a, b) => (a.set.date < b.set.date ? -1 : a.set.date > b.set.date ? 1 : a.set.sessionId < b.set.sessionId ? -1 : 1));
    let best = -Infinity;
    out.set(
      exerciseId,
      list.map(({ set, value }, i) => {
        const pr = i > 0 && value > best;
        best = Math.max(best, value);
        return { date: set.date, sessionId: set.sessionId, e1rm: roundE1rm(value), best: roundE1rm(best), pr, reps: set.reps, load: round1(loadIn(set, options.units)!), rpe: set.rpe };
      }),
    );
  }
  return out;
}

/** An exercise's best e1RM ever, the date it was set and the set it came from. */
export interface BestE1rm {
  exerciseId: string;
  e1rm: number;
  date: string;
  reps: number;
  load: number;
}

/** The current best of each exercise: its highest point (the earliest, on a tie). */
export function bestE1rms(history: Map<string, E1rmPoint[]>): BestE1rm[] {
  const out: BestE1rm[] = [];
  for (const [exerciseId, points] of history) {
    let top: E1rmPoint | undefined;
    for (const p of points) if (!top || p.e1rm > top.e1rm) top = p;
    if (top) out.push({ exerciseId, e1rm: top.e1rm, date: top.date, reps: top.reps, load: top.load });
  }
  return out;
}

/**
 * A hard set: a done set logged at RPE 7 or more; without an RPE, one that reached its
 * prescription's reps (the low end of a range; any rep for AMRAP). Unprescribed sets without an
 * RPE are not counted.
 */
export function isHardSet(set: Pick<AnalyticsSet, 'done' | 'rpe' | 'reps' | 'targetReps'>): boolean {
  if (!set.done || set.reps < 1) return false;
  if (set.rpe !== null) return set.rpe >= 7;
  if (!set.targetReps) return false;
  if (set.targetReps === 'AMRAP') return true;
  const low = /^(\d+)/.exec(set.targetReps);
  return !!low && Number(low[1]) >= 1 && set.reps >= Number(low[1]);
}

/** Volume of a set (or group of sets): reps × load in `units`; 0 for a set not done or without a load. */
export function setVolume(set: AnalyticsSet, units: Units): number {
  if (!set.done) return 0;
  const load = loadIn(set.count === undefined ? set : { load: set.loadSum ?? null, unit: set.unit }, units);
  return load === null ? 0 : set.reps * load;
}

const countOf = (set: AnalyticsSet) => set.count ?? 1;

/** Volume and hard sets per week (parallel to `weeks`). */
export interface WeeklySeries {
  volume: number[];
  hardSets: number[];
}

export interface WeeklyTotals {
  /** The first day of each week, oldest first, with no gaps. */
  weeks: string[];
  total: WeeklySeries;
  byExercise: Map<string, WeeklySeries>;
  byCategory: Map<string, WeeklySeries>;
}

export const UNCATEGORISED = 'Uncategorised';

/**
 * Σ reps × load and hard sets per week, per exercise and per category, from the first week with
 * a log to the later of the last one and `through` (today). Empty weeks are zeros.
 */
export function weeklyTotals(
  sets: readonly AnalyticsSet[],
  opts: { units: Units; weekStartsOn?: number; categoryOf?: (exerciseId: string) => string | null; through?: string },
): WeeklyTotals {
  const weekStartsOn = opts.weekStartsOn ?? 1;
  const empty = (): WeeklyTotals => ({ weeks: [], total: { volume: [], hardSets: [] }, byExercise: new Map(), byCategory: new Map() });
  const counted = sets.filter((s) => s.done);
  if (counted.length === 0) return empty();
  let first = counted[0]!.date;
  let last = first;
  for (const s of counted) {
    if (s.date < first) first = s.date;
    if (s.date > last) last = s.date;
  }
  if (opts.through && opts.through > last) last = opts.through;
  const start = weekStartOf(first, weekStartsOn);
  const weeks: string[] = [];
  for (let w = start, end = weekStartOf(last, weekStartsOn); w <= end; w = addDays(w, 7)) weeks.push(w);
  const index = new Map(weeks.map((w, i) => [w, i]));
  // weekStartOf per set is the hot path on years of logs: once per date.
  const weekOfDate = new Map<string, number>();
  const zeros = (): WeeklySeries => ({ volume: new Array<number>(weeks.length).fill(0), hardSets: new Array<number>(weeks.length).fill(0) });
  const out: WeeklyTotals = { weeks, total: zeros(), byExercise: new Map(), byCategory: new Map() };
  const categories = new Map<string, string>();
  for (const set of counted) {
    let i = weekOfDate.get(set.date);
    if (i === undefined) {
      i = index.get(weekStartOf(set.date, weekStartsOn))!;
      weekOfDate.set(set.date, i);
    }
    const volume = setVolume(set, opts.units);
    const hard = isHardSet(set) ? countOf(set) : 0;
    let category = categories.get(set.exerciseId);
    if (category === undefined) {
      category = opts.categoryOf?.(set.exerciseId)?.trim() || UNCATEGORISED;
      categories.set(set.exerciseId, category);
    }
    let ex = out.byExercise.get(set.exerciseId);
    if (!ex) out.byExercise.set(set.exerciseId, (ex = zeros()));
    let cat = out.byCategory.get(category);
    if (!cat) out.byCategory.set(category, (cat = zeros()));
    out.total.volume[i]! += volume;
    out.total.hardSets[i]! += hard;
    ex.volume[i]! += volume;
    ex.hardSets[i]! += hard;
    cat.volume[i]! += volume;
    cat.hardSets[i]! += hard;
  }
  for (const series of [out.total, ...out.byExercise.values(), ...out.byCategory.values()]) series.volume = series.volume.map(round1);
  return out;
}

/** How blocks are cut: `weeks` long, counted from the week of `anchor`. */
export interface BlockRule {
  weeks: number;
  anchor: string;
}

/**
 * The block rule: the program's weeks from its start date; without a program, 4-week blocks
 * ending with the current week.
 */
export function blockRule(program: { weeks: number; startDate: string | null } | null, today: string, weekStartsOn = 1): BlockRule & { basis: 'program' | 'four-weeks' } {
  if (program && program.startDate && program.weeks >= 1) return { weeks: program.weeks, anchor: weekStartOf(program.startDate, weekStartsOn), basis: 'program' };
  return { weeks: 4, anchor: addDays(weekStartOf(today, weekStartsOn), -21), basis: 'four-weeks' };
}

export interface Block {
  start: string;
  /** The block's last day. */
  end: string;
  /** Indexes into the weekly series this block sums. */
  from: number;
  to: number;
}

const DAY_MS = 86_400_000;
const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);

/** The blocks the weeks fall in, oldest first (blocks without any week are left out). */
export function blocksOf(weeks: readonly string[], rule: BlockRule, weekStartsOn = 1): Block[] {
  const anchor = weekStartOf(rule.anchor, weekStartsOn);
  const out: Block[] = [];
  weeks.forEach((week, i) => {
    const n = Math.floor(daysBetween(anchor, week) / (7 * rule.weeks));
    const start = addDays(anchor, n * 7 * rule.weeks);
    const lastBlock = out.at(-1);
    if (lastBlock && lastBlock.start === start) lastBlock.to = i;
    else out.push({ start, end: addDays(start, 7 * rule.weeks - 1), from: i, to: i });
  });
  return out;
}

/** Sums a weekly series over each block. */
export function sumByBlock(values: readonly number[], blocks: readonly Block[]): number[] {
  return blocks.map((b) => {
    let sum = 0;
    for (let i = b.from; i <= b.to; i++) sum += values[i] ?? 0;
    return round1(sum);
  });
}

/** Change from `before` to `after` in percent, one decimal; null when there is nothing to compare with. */
export function percentChange(before: number, after: number): number | null {
  if (!(before > 0)) return null;
  return round1(((after - before) / before) * 100);
}

/** Each value's change against the one before it (null for the first). */
export function changes(values: readonly number[]): Array<number | null> {
  return values.map((v, i) => (i === 0 ? null : percentChange(values[i - 1]!, v)));
}

/** A workout the program plans on a date, with the sets it prescribes. */
export interface PlannedWorkout {
  date: string;
  sets: number;
}

export interface SessionInfo {
  date: string;
  status: string;
}

export interface ComplianceFigures {
  sessionsDone: number;
  sessionsPlanned: number;
  /** Sessions done / planned (0..1), null when none were planned. */
  sessions: number | null;
  setsDone: number;
  setsPrescribed: number;
  /** Prescribed sets done / prescribed (0..1), null when none were prescribed. */
  sets: number | null;
}

export interface ComplianceWindow extends ComplianceFigures {
  days: number;
  /** The same figures for the period of the same length just before. */
  previous: ComplianceFigures;
  /** Sessions done / planned fell by 20 points or more against the previous period. */
  dropped: boolean;
}

/** The drop, in points of sessions done / planned, that flags a client. */
export const COMPLIANCE_DROP = 0.2;

const ratio = (done: number, planned: number) => (planned > 0 ? Math.min(1, done / planned) : null);

/** Compliance between two dates (inclusive): completed sessions and done prescribed sets against the plan. */
export function complianceBetween(
  input: { planned: readonly PlannedWorkout[]; sessions: readonly SessionInfo[]; sets?: readonly AnalyticsSet[] },
  from: string,
  to: string,
): ComplianceFigures {
  const inside = (d: string) => d >= from && d <= to;
  let sessionsPlanned = 0;
  let setsPrescribed = 0;
  for (const p of input.planned) {
    if (!inside(p.date)) continue;
    sessionsPlanned++;
    setsPrescribed += p.sets;
  }
  const sessionsDone = input.sessions.filter((s) => s.status === 'completed' && inside(s.date)).length;
  let setsDone = 0;
  for (const s of input.sets ?? []) if (s.prescribed && s.done && inside(s.date)) setsDone += countOf(s);
  return { sessionsDone, sessionsPlanned, sessions: ratio(sessionsDone, sessionsPlanned), setsDone, setsPrescribed, sets: ratio(setsDone, setsPrescribed) };
}

/**
 * Compliance over the last `days` days to `today` (TrueCoach's measure: done / assigned), next
 * to the period before it, flagged when sessions done / planned dropped by 20 points or more.
 */
export function complianceWindow(
  input: { planned: readonly PlannedWorkout[]; sessions: readonly SessionInfo[]; sets?: readonly AnalyticsSet[] },
  today: string,
  days: number,
): ComplianceWindow {
  const from = addDays(today, -(days - 1));
  const current = complianceBetween(input, from, today);
  const previous = complianceBetween(input, addDays(from, -days), addDays(from, -1));
  const dropped = current.sessions !== null && previous.sessions !== null && previous.sessions - current.sessions >= COMPLIANCE_DROP - 1e-9;
  return { days, ...current, previous, dropped };
}

export interface RpeDrift {
  exerciseId: string;
  /** Mean of logged RPE − prescribed RPE, one decimal: above 0, the sets felt harder than planned. */
  meanDiff: number;
  sets: number;
  sessions: number;
  from: string;
  to: string;
}

/**
 * Logged RPE against prescribed RPE per exercise, over its last `sessions` sessions with both
 * (done sets only).
 */
export function rpeDrift(sets: readonly AnalyticsSet[], sessions = 6): RpeDrift[] {
  const byExercise = new Map<string, Map<string, { date: string; sum: number; n: number }>>();
  for (const s of sets) {
    if (!s.done || s.rpe === null || s.targetRpe === null) continue;
    let bySession = byExercise.get(s.exerciseId);
    if (!bySession) byExercise.set(s.exerciseId, (bySession = new Map()));
    const n = countOf(s);
    const entry = bySession.get(s.sessionId);
    if (entry) {
      entry.sum += (s.rpe - s.targetRpe) * n;
      entry.n += n;
    } else bySession.set(s.sessionId, { date: s.date, sum: (s.rpe - s.targetRpe) * n, n });
  }
  const out: RpeDrift[] = [];
  for (const [exerciseId, bySession] of byExercise) {
    const recent = [...bySession.entries()].sort((a, b) => (a[1].date < b[1].date ? 1 : a[1].date > b[1].date ? -1 : a[0] < b[0] ? 1 : -1)).slice(0, sessions);
    let sum = 0;
    let n = 0;
    for (const [, e] of recent) {
      sum += e.sum;
      n += e.n;
    }
    out.push({ exerciseId, meanDiff: round1(sum / n) || 0, sets: n, sessions: recent.length, from: recent.at(-1)![1].date, to: recent[0]![1].date });
  }
  return out;
}
