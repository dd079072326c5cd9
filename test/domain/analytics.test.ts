// The Progress view's formulas, pure: e1RM per session with running best and PRs, weekly and
// block volume, hard sets, compliance against the previous period, RPE drift.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bestE1rms,
  blockRule,
  blocksOf,
  changes,
  complianceWindow,
  e1rmHistory,
  isHardSet,
  percentChange,
  rpeDrift,
  setE1rm,
  sumByBlock,
  UNCATEGORISED,
  weeklyTotals,
  type AnalyticsSet,
} from '../../domain/analytics.ts';

/** A done, unprescribed set of squats in kg, in the session of its date, unless told otherwise. */
function set(date: string, reps: number, load: number | null, extra: Partial<AnalyticsSet> = {}): AnalyticsSet {
  return { date, sessionId: `s-${date}`, exerciseId: 'squat', reps, load, unit: load === null ? null : 'kg', rpe: null, done: true, targetReps: null, targetRpe: null, prescribed: false, ...extra };
}

const KG = { units: 'kg', formula: 'epley' } as const;

describe('e1RM per session', () => {
  test('Epley: 100 kg × 5 → 116.7 kg; Brzycki: 100 × 36 / 32 = 112.5 kg; 1 rep is the load', () => {
    assert.equal(Math.round(setE1rm(set('2026-01-05', 5, 100), KG)! * 10) / 10, 116.7);
    assert.equal(setE1rm(set('2026-01-05', 5, 100), { units: 'kg', formula: 'brzycki' }), 112.5);
    assert.equal(setE1rm(set('2026-01-05', 1, 140), KG), 140);
    const [point] = e1rmHistory([set('2026-01-05', 5, 100)], KG).get('squat')!;
    assert.equal(point!.e1rm, 116.7);
  });

  test('0 reps, more than 12 reps, no load, a %1RM load and sets not done give none', () => {
    const none = [
      set('2026-01-05', 0, 100),
      set('2026-01-05', 13, 60),
      set('2026-01-05', 8, null),
      set('2026-01-05', 5, 80, { unit: '%1rm' }),
      set('2026-01-05', 5, 200, { done: false }),
    ];
    for (const s of none) assert.equal(setE1rm(s, KG), null, JSON.stringify(s));
    assert.equal(e1rmHistory(none, KG).size, 0);
    assert.equal(setE1rm(set('2026-01-05', 12, 60), KG), 84);
  });

  test('per session the best set; the running best; PRs only when an earlier best is beaten', () => {
    const history = e1rmHistory(
      [
        set('2026-01-05', 5, 100), // 116.7, the baseline
        set('2026-01-05', 3, 105), // 115.5: not the session's best
        set('2026-01-12', 5, 95), // 110.8
        set('2026-01-19', 3, 110), // 121
        set('2026-01-26', 5, 102.5), // 119.6
        set('2026-02-02', 2, 115), // 122.7
      ],
      KG,
    ).get('squat')!;
    assert.deepEqual(
      history.map((p) => [p.date, p.e1rm, p.best, p.pr, `${p.reps}×${p.load}`]),
      [
        ['2026-01-05', 116.7, 116.7, false, '5×100'],
        ['2026-01-12', 110.8, 116.7, false, '5×95'],
        ['2026-01-19', 121, 121, true, '3×110'],
        ['2026-01-26', 119.6, 121, false, '5×102.5'],
        ['2026-02-02', 122.7, 122.7, true, '2×115'],
      ],
    );
    assert.deepEqual(bestE1rms(new Map([['squat', history]])), [{ exerciseId: 'squat', e1rm: 122.7, date: '2026-02-02', reps: 2, load: 115 }]);
  });

  test('sets in lb are converted to the chosen units, and back', () => {
    const mixed = [set('2026-01-05', 5, 100), set('2026-01-12', 5, 225, { unit: 'lb' })];
    const kg = e1rmHistory(mixed, KG).get('squat')!;
    // 225 lb = 102.058 kg → × 7/6 = 119.07 kg
    assert.deepEqual(kg.map((p) => [p.e1rm, p.load, p.pr]), [[116.7, 100, false], [119.1, 102.1, true]]);
    const lb = e1rmHistory(mixed, { units: 'lb', formula: 'epley' }).get('squat')!;
    // 100 kg = 220.46 lb → × 7/6 = 257.2 lb; 225 lb → 262.5 lb
    assert.deepEqual(lb.map((p) => p.e1rm), [257.2, 262.5]);
  });

  test('an empty history has no series and no bests', () => {
    assert.equal(e1rmHistory([], KG).size, 0);
    assert.deepEqual(bestE1rms(new Map()), []);
    assert.deepEqual(weeklyTotals([], { units: 'kg' }).weeks, []);
    assert.deepEqual(rpeDrift([]), []);
  });
});

describe('volume and hard sets', () => {
  test('hard sets: RPE 7 or more when logged, else the prescription’s reps reached', () => {
    assert.equal(isHardSet({ done: true, rpe: 7, reps: 5, targetReps: null }), true);
    assert.equal(isHardSet({ done: true, rpe: 6.5, reps: 5, targetReps: '5' }), false, 'a logged RPE decides');
    assert.equal(isHardSet({ done: true, rpe: null, reps: 5, targetReps: '5' }), true);
    assert.equal(isHardSet({ done: true, rpe: null, reps: 4, targetReps: '5' }), false);
    assert.equal(isHardSet({ done: true, rpe: null, reps: 8, targetReps: '8-10' }), true);
    assert.equal(isHardSet({ done: true, rpe: null, reps: 7, targetReps: '8-10' }), false);
    assert.equal(isHardSet({ done: true, rpe: null, reps: 12, targetReps: 'AMRAP' }), true);
    assert.equal(isHardSet({ done: true, rpe: null, reps: 5, targetReps: null }), false, 'neither RPE nor prescription');
    assert.equal(isHardSet({ done: false, rpe: 9, reps: 5, targetReps: '5' }), false);
    assert.equal(isHardSet({ done: true, rpe: 9, reps: 0, targetReps: '5' }), false);
  });

  test('Σ reps × load per week, per exercise and per category; bodyweight sets add no volume but count as hard; lb converted', () => {
    const sets = [
      set('2026-01-05', 5, 100, { rpe: 8 }), // Mon, week of 5 Jan: 500
      set('2026-01-07', 5, 100, { rpe: 6 }), // 500, not hard
      set('2026-01-08', 10, null, { exerciseId: 'pullup', rpe: 8 }), // bodyweight: 0, hard
      set('2026-01-20', 3, 220.462262, { exerciseId: 'bench', unit: 'lb', targetReps: '3' }), // 3 × 100 kg, hard
      set('2026-01-20', 3, 100, { exerciseId: 'bench', done: false }),
    ];
    const categories: Record<string, string | null> = { squat: 'legs', bench: 'push', pullup: null };
    const weekly = weeklyTotals(sets, { units: 'kg', categoryOf: (id) => categories[id] ?? null, through: '2026-01-28' });
    assert.deepEqual(weekly.weeks, ['2026-01-05', '2026-01-12', '2026-01-19', '2026-01-26']);
    assert.deepEqual(weekly.total, { volume: [1000, 0, 300, 0], hardSets: [2, 0, 1, 0] });
    assert.deepEqual(weekly.byExercise.get('squat'), { volume: [1000, 0, 0, 0], hardSets: [1, 0, 0, 0] });
    assert.deepEqual(weekly.byExercise.get('pullup'), { volume: [0, 0, 0, 0], hardSets: [1, 0, 0, 0] });
    assert.deepEqual(weekly.byCategory.get('push'), { volume: [0, 0, 300, 0], hardSets: [0, 0, 1, 0] });
    assert.deepEqual(weekly.byCategory.get(UNCATEGORISED)!.hardSets, [1, 0, 0, 0]);
    // Weeks starting on Sunday move the 5 Jan Monday into the week of 4 Jan.
    assert.equal(weeklyTotals(sets, { units: 'kg', weekStartsOn: 0 }).weeks[0], '2026-01-04');
  });

  test('blocks: the program’s weeks from its start, or 4-week blocks ending this week; change in %', () => {
    const weeks = ['2026-01-05', '2026-01-12', '2026-01-19', '2026-01-26', '2026-02-02', '2026-02-09'];
    const program = blockRule({ weeks: 3, startDate: '2026-01-07' }, '2026-02-10');
    assert.deepEqual(program, { weeks: 3, anchor: '2026-01-05', basis: 'program' });
    const blocks = blocksOf(weeks, program);
    assert.deepEqual(blocks.map((b) => [b.start, b.end, b.from, b.to]), [
      ['2026-01-05', '2026-01-25', 0, 2],
      ['2026-01-26', '2026-02-15', 3, 5],
    ]);
    const volume = sumByBlock([1000, 1000, 1000, 1200, 1200, 1200], blocks);
    assert.deepEqual(volume, [3000, 3600]);
    assert.deepEqual(changes(volume), [null, 20]);
    assert.equal(percentChange(0, 100), null);
    assert.equal(percentChange(300, 200), -33.3);

    const none = blockRule(null, '2026-02-10');
    assert.deepEqual(none, { weeks: 4, anchor: '2026-01-19', basis: 'four-weeks' });
    assert.deepEqual(blocksOf(weeks, none).map((b) => [b.start, b.from, b.to]), [
      ['2025-12-22', 0, 1],
      ['2026-01-19', 2, 5],
    ]);
  });
});

describe('compliance', () => {
  // Three workouts a week of 4 sets each, Mon/Wed/Fri from 1 Dec to 28 Dec 2025.
  const planned = ['2025-12-01', '2025-12-03', '2025-12-05', '2025-12-08', '2025-12-10', '2025-12-12', '2025-12-15', '2025-12-17', '2025-12-19', '2025-12-22', '2025-12-24', '2025-12-26'].map((date) => ({ date, sets: 4 }));
  const sessions = (dates: string[]) => dates.map((date) => ({ date, status: 'completed' }));

  test('sets done / prescribed and sessions done / planned over the window, next to the period before', () => {
    const done = sessions(['2025-12-15', '2025-12-17', '2025-12-19', '2025-12-22', '2025-12-24']);
    const sets = [set('2025-12-22', 5, 100, { prescribed: true }), set('2025-12-22', 5, 100, { prescribed: true }), set('2025-12-24', 5, 100, { prescribed: true }), set('2025-12-24', 5, 100)];
    const week = complianceWindow({ planned, sessions: [...done, { date: '2025-12-26', status: 'skipped' }], sets }, '2025-12-28', 7);
    assert.equal(week.sessionsPlanned, 3);
    assert.equal(week.sessionsDone, 2);
    assert.equal(Math.round(week.sessions! * 100), 67);
    assert.deepEqual([week.setsDone, week.setsPrescribed], [3, 12], 'unprescribed sets do not count');
    assert.equal(week.previous.sessions, 1);
    assert.equal(week.dropped, true, '100% → 67% is a drop of 33 points');
  });

  test('a drop under 20 points is not flagged; nothing planned is null, not 0%', () => {
    const done = sessions(['2025-12-01', '2025-12-03', '2025-12-05', '2025-12-08', '2025-12-10', '2025-12-15', '2025-12-17', '2025-12-22', '2025-12-24', '2025-12-26']);
    const month = complianceWindow({ planned, sessions: done }, '2025-12-28', 14);
    // 15–28 Dec: 5 of 6; 1–14 Dec: 5 of 6.
    assert.equal(month.dropped, false);
    const none = complianceWindow({ planned: [], sessions: done }, '2025-12-28', 7);
    assert.equal(none.sessions, null);
    assert.equal(none.dropped, false);
  });
});

describe('RPE drift', () => {
  test('mean of logged − prescribed RPE per exercise over its last sessions', () => {
    const sets = [
      set('2026-01-05', 5, 100, { rpe: 7, targetRpe: 8 }), // -1, oldest: left out with sessions = 2
      set('2026-01-12', 5, 100, { rpe: 8.5, targetRpe: 8 }), // +0.5
      set('2026-01-12', 5, 100, { rpe: 9, targetRpe: 8 }), // +1
      set('2026-01-19', 5, 100, { rpe: 9, targetRpe: 8 }), // +1
      set('2026-01-19', 5, 100, { rpe: null, targetRpe: 8 }), // no RPE logged: left out
      set('2026-01-19', 8, 60, { exerciseId: 'row', rpe: 7, targetRpe: 8 }),
    ];
    const drift = rpeDrift(sets, 2);
    assert.deepEqual(drift.find((d) => d.exerciseId === 'squat'), { exerciseId: 'squat', meanDiff: 0.8, sets: 3, sessions: 2, from: '2026-01-12', to: '2026-01-19' });
    assert.deepEqual(drift.find((d) => d.exerciseId === 'row'), { exerciseId: 'row', meanDiff: -1, sets: 1, sessions: 1, from: '2026-01-19', to: '2026-01-19' });
    assert.equal(rpeDrift(sets, 6).find((d) => d.exerciseId === 'squat')!.meanDiff, 0.4);
  });
});
