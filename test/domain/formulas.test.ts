// The coach's arithmetic, pure: units and their display rounding, e1RM formulas, loads taken
// as a percentage of a max, progression across weeks, and the program calendar.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { progress, isProgression, type ProgressedFields, type Progression } from '../../domain/progression.ts';
import { brzycki, epley, estimateOneRepMax, MAX_REPS_FOR_E1RM, percentOfMax, roundE1rm } from '../../domain/strength.ts';
import { convertLoad, DEFAULT_PLATE_INCREMENT, DISPLAY_STEP, displayLoad, KG_PER_LB, roundTo } from '../../domain/units.ts';
import { addDays, daysInWeekOrder, mondayOf, plannedDate, weekStartOf } from '../../protocol/calendar.ts';

describe('units', () => {
  test('kg ↔ lb conversion uses the exact pound', () => {
    assert.equal(KG_PER_LB, 0.45359237);
    assert.ok(Math.abs(convertLoad(100, 'kg', 'lb') - 220.46226) < 1e-4);
    assert.ok(Math.abs(convertLoad(100, 'lb', 'kg') - 45.359237) < 1e-9);
    assert.equal(convertLoad(100, 'kg', 'kg'), 100);
    assert.ok(Math.abs(convertLoad(convertLoad(137.5, 'kg', 'lb'), 'lb', 'kg') - 137.5) < 1e-9, 'a round trip gives the value back');
  });

  test('a converted load is shown rounded to 0.5 kg / 1 lb; a load in the coach units is shown as stored', () => {
    assert.deepEqual(DISPLAY_STEP, { kg: 0.5, lb: 1 });
    assert.deepEqual(displayLoad(100, 'kg', 'lb'), { value: 220, unit: 'lb', converted: true }, '220.46 lb shown as 220');
    assert.deepEqual(displayLoad(100, 'lb', 'kg'), { value: 45.5, unit: 'kg', converted: true }, '45.36 kg shown as 45.5');
    assert.deepEqual(displayLoad(225, 'lb', 'kg'), { value: 102, unit: 'kg', converted: true }, '102.06 kg shown as 102');
    assert.deepEqual(displayLoad(140, 'kg', 'lb'), { value: 309, unit: 'lb', converted: true }, '308.65 lb shown as 309');
    assert.deepEqual(displayLoad(102.3, 'kg', 'kg'), { value: 102.3, unit: 'kg', converted: false }, 'never rounded when not converted');
  });

  test('roundTo rounds to a multiple of the step without binary noise', () => {
    assert.equal(roundTo(102.49999, 2.5), 102.5);
    assert.equal(roundTo(101.2, 2.5), 100);
    assert.equal(roundTo(101.3, 2.5), 102.5);
    assert.equal(roundTo(0.1 + 0.2, 0.1), 0.3);
    assert.equal(roundTo(266, 5), 265);
    assert.equal(roundTo(7.3, 0), 7.3, 'no step: unchanged');
  });
});

describe('strength formulas', () => {
  test('Epley: 100 kg × 5 is an e1RM of 116.7 shown to one decimal; one rep is the load', () => {
    assert.ok(Math.abs(epley(100, 5) - 116.6667) < 1e-3);
    assert.equal(roundE1rm(epley(100, 5)), 116.7);
    assert.equal(estimateOneRepMax(100, 5), epley(100, 5), 'Epley is the default');
    assert.equal(estimateOneRepMax(100, 1), 100);
    assert.equal(estimateOneRepMax(100, 1, 'brzycki'), 100);
    assert.equal(roundE1rm(estimateOneRepMax(140, 3)!), 154);
    assert.equal(estimateOneRepMax(100, 12), 140, '12 reps is the last that counts');
  });

  test('sets that cannot give an e1RM give null: 0 or 13 reps, no load, fractional reps', () => {
    assert.equal(MAX_REPS_FOR_E1RM, 12);
    assert.equal(estimateOneRepMax(100, 0), null);
    assert.equal(estimateOneRepMax(100, 13), null);
    assert.equal(estimateOneRepMax(100, 13, 'brzycki'), null);
    assert.equal(estimateOneRepMax(null, 5), null);
    assert.equal(estimateOneRepMax(0, 5), null);
    assert.equal(estimateOneRepMax(-20, 5), null);
    assert.equal(estimateOneRepMax(100, 2.5), null);
  });

  test('Brzycki: w × 36 / (37 − r)', () => {
    assert.equal(brzycki(100, 5), 112.5);
    assert.equal(estimateOneRepMax(100, 5, 'brzycki'), 112.5);
    assert.equal(roundE1rm(brzycki(100, 10)), 133.3);
    assert.equal(roundE1rm(brzycki(225, 8)), 279.3);
  });

  test('a percentage of a max is rounded to the plate increment: 2.5 kg / 5 lb by default', () => {
    assert.deepEqual(DEFAULT_PLATE_INCREMENT, { kg: 2.5, lb: 5 });
    assert.equal(percentOfMax(75, { value: 120, unit: 'kg' }), 90);
    assert.equal(percentOfMax(77, { value: 120, unit: 'kg' }), 92.5, '92.4 → 92.5');
    assert.equal(percentOfMax(72, { value: 140, unit: 'kg' }), 100, '100.8 → 100');
    assert.equal(percentOfMax(85, { value: 315, unit: 'lb' }), 270, '267.75 → 270');
    assert.equal(percentOfMax(70, { value: 315, unit: 'lb' }), 220, '220.5 → 220');
    assert.equal(percentOfMax(77, { value: 120, unit: 'kg' }, 1), 92, 'the coach’s own increment');
    assert.equal(percentOfMax(77, { value: 120, unit: 'kg' }, 5), 90);
    assert.equal(percentOfMax(100, { value: 137.5, unit: 'kg' }), 137.5);
  });
});

describe('progression across weeks', () => {
  const row = (over: Partial<ProgressedFields> = {}): ProgressedFields => ({ reps: '5', load: 100, loadUnit: 'kg', rpe: 7, ...over });
  const ok = (r: ReturnType<typeof progress>) => {
    assert.ok(r.ok, r.ok ? '' : r.message);
    return r.fields;
  };
  const weeks = (source: ProgressedFields, p: Progression, n: number) => Array.from({ length: n }, (_, i) => ok(progress(source, i + 1, p)));

  test('isProgression: an empty progression changes nothing', () => {
    assert.equal(isProgression(null), false);
    assert.equal(isProgression(undefined), false);
    assert.equal(isProgression({}), false);
    assert.equal(isProgression({ load: null, reps: null, rpe: null }), false);
    assert.equal(isProgression({ load: { step: 2.5, unit: 'kg' } }), true);
  });

  test('+2.5 kg a week over 3 weeks: 102.5, 105, 107.5; the other fields stay', () => {
    const out = weeks(row(), { load: { step: 2.5, unit: 'kg' } }, 3);
    assert.deepEqual(out.map((f) => f.load), [102.5, 105, 107.5]);
    assert.ok(out.every((f) => f.reps === '5' && f.rpe === 7 && f.loadUnit === 'kg'));
    assert.deepEqual(row(), { reps: '5', load: 100, loadUnit: 'kg', rpe: 7 }, 'the source row is not changed');
  });

  test('a step in the row’s own unit is added exactly (no rounding to a display step)', () => {
    assert.equal(ok(progress(row({ load: 100.25 }), 1, { load: { step: 1.25, unit: 'kg' } })).load, 101.5);
    assert.equal(ok(progress(row({ load: 60 }), 3, { load: { step: 0.1, unit: 'kg' } })).load, 60.3);
  });

  test('+5 % a week: kg loads grow by it, %1RM loads gain 5 points', () => {
    assert.deepEqual(weeks(row(), { load: { step: 5, unit: '%' } }, 2).map((f) => f.load), [105, 110]);
    assert.deepEqual(weeks(row({ load: 200, loadUnit: 'lb' }), { load: { step: 5, unit: '%' } }, 2).map((f) => f.load), [210, 220]);
    const pct = weeks(row({ load: 70, loadUnit: '%1rm' }), { load: { step: 5, unit: '%' } }, 3);
    assert.deepEqual(pct.map((f) => f.load), [75, 80, 85]);
    assert.ok(pct.every((f) => f.loadUnit === '%1rm'));
    assert.equal(ok(progress(row({ load: 72.5, loadUnit: '%1rm' }), 1, { load: { step: 2.5, unit: '%' } })).load, 75);
  });

  test('a % progression of a kg load is rounded to the plate increment, as units.ts documents (2.5 kg)', () => {
    // units.ts: DEFAULT_PLATE_INCREMENT is "the plate increment loads are rounded to when computed (a %1RM, a progression in %)".
    // 100 kg + 3 % = 103 kg: a load of 103 cannot be put on a bar with 1.25 kg plates; 102.5 can.
    assert.equal(ok(progress(row(), 1, { load: { step: 3, unit: '%' } })).load, 102.5);
    assert.equal(ok(progress(row({ load: 200, loadUnit: 'lb' }), 1, { load: { step: 4, unit: '%' } })).load, 210, '208 lb → 210 (5 lb)');
  });

  test('a kg or lb step leaves %1RM rows and rows without a load alone', () => {
    assert.equal(ok(progress(row({ load: 75, loadUnit: '%1rm' }), 2, { load: { step: 2.5, unit: 'kg' } })).load, 75);
    assert.equal(ok(progress(row({ load: null, loadUnit: null }), 2, { load: { step: 2.5, unit: 'kg' } })).load, null);
    assert.equal(ok(progress(row({ load: null, loadUnit: null }), 2, { load: { step: 5, unit: '%' } })).load, null);
  });

  test('a lb step on a kg row is converted and rounded to 0.5 kg (and a kg step on a lb row to 1 lb)', () => {
    // 5 lb = 2.268 kg: 102.27 → 102.5, 104.54 → 104.5, 106.80 → 107.
    assert.deepEqual(weeks(row(), { load: { step: 5, unit: 'lb' } }, 3).map((f) => f.load), [102.5, 104.5, 107]);
    // 2.5 kg = 5.51 lb: 230.51 → 231.
    assert.equal(ok(progress(row({ load: 225, loadUnit: 'lb' }), 1, { load: { step: 2.5, unit: 'kg' } })).load, 231);
  });

  test('reps step shifts a number and both ends of a range; AMRAP is untouched', () => {
    assert.deepEqual(weeks(row({ reps: '8-10' }), { reps: { step: 1 } }, 2).map((f) => f.reps), ['9-11', '10-12']);
    assert.deepEqual(weeks(row({ reps: '5' }), { reps: { step: -1 } }, 3).map((f) => f.reps), ['4', '3', '2']);
    const amrap = ok(progress(row({ reps: 'AMRAP' }), 2, { reps: { step: 1 }, load: { step: 2.5, unit: 'kg' } }));
    assert.equal(amrap.reps, 'AMRAP');
    assert.equal(amrap.load, 105, 'the load still progresses');
  });

  test('a reps wave: the weeks take its values in turn, and it starts over', () => {
    const wave: Progression = { reps: { wave: ['5', '3', '1'] } };
    assert.deepEqual(weeks(row({ reps: '8' }), wave, 5).map((f) => f.reps), ['5', '3', '1', '5', '3']);
    assert.equal(ok(progress(row(), 2, { reps: { wave: ['5', 'AMRAP'] } })).reps, 'AMRAP');
  });

  test('reps out of range are refused with a message, not clipped', () => {
    const r = progress(row({ reps: '2' }), 2, { reps: { step: -1 } });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /reps would be 0, outside 1–999/);
    const high = progress(row({ reps: '990-998' }), 1, { reps: { step: 5 } });
    assert.equal(high.ok, false);
    assert.match(!high.ok ? high.message : '', /reps would be 995-1003/);
  });

  test('RPE step on rows that have one, capped at 10 with an error; a wave applies to every row', () => {
    assert.deepEqual(weeks(row({ rpe: 7 }), { rpe: { step: 0.5 } }, 3).map((f) => f.rpe), [7.5, 8, 8.5]);
    assert.equal(ok(progress(row({ rpe: null }), 2, { rpe: { step: 0.5 } })).rpe, null, 'a row without RPE keeps none');
    assert.equal(ok(progress(row({ rpe: 9 }), 1, { rpe: { step: 1 } })).rpe, 10, '10 is allowed');
    const capped = progress(row({ rpe: 9 }), 2, { rpe: { step: 1 } });
    assert.equal(capped.ok, false);
    assert.equal(!capped.ok && capped.message, 'RPE would be 11, outside 1–10');
    assert.equal(ok(progress(row({ rpe: 2 }), 2, { rpe: { step: -0.5 } })).rpe, 1, '1 is allowed');
    const low = progress(row({ rpe: 2 }), 3, { rpe: { step: -0.5 } });
    assert.equal(!low.ok && low.message, 'RPE would be 0.5, outside 1–10');
    assert.deepEqual(weeks(row({ rpe: null }), { rpe: { wave: [7, 8, 9] } }, 4).map((f) => f.rpe), [7, 8, 9, 7]);
  });

  test('a load over 10,000 or below 0 is refused with a message naming it', () => {
    const over = progress(row({ load: 9990 }), 3, { load: { step: 5, unit: 'kg' } });
    assert.equal(over.ok, false);
    assert.equal(!over.ok && over.message, 'load would be 10005, outside 0–10000');
    assert.ok(progress(row({ load: 9990 }), 2, { load: { step: 5, unit: 'kg' } }).ok, '10,000 itself is allowed');
    const under = progress(row({ load: 20 }), 3, { load: { step: -10, unit: 'kg' } });
    assert.equal(under.ok, false);
    assert.match(!under.ok ? under.message : '', /^load would be -10, outside 0–10000$/);
  });

  test('load, reps and RPE together, week by week', () => {
    const p: Progression = { load: { step: 2.5, unit: 'kg' }, reps: { wave: ['5', '4', '3'] }, rpe: { step: 0.5 } };
    assert.deepEqual(weeks(row(), p, 3), [
      { reps: '5', load: 102.5, loadUnit: 'kg', rpe: 7.5 },
      { reps: '4', load: 105, loadUnit: 'kg', rpe: 8 },
      { reps: '3', load: 107.5, loadUnit: 'kg', rpe: 8.5 },
    ]);
  });
});

describe('program calendar', () => {
  // 2026-12-02 is a Wednesday.
  const start = '2026-12-02';

  test('weekStartOf / mondayOf', () => {
    assert.equal(new Date(`${start}T00:00:00Z`).getUTCDay(), 3);
    assert.equal(mondayOf(start), '2026-11-30');
    assert.equal(weekStartOf(start, 1), '2026-11-30');
    assert.equal(weekStartOf(start, 0), '2026-11-29');
    assert.equal(weekStartOf(start, 6), '2026-11-28');
    assert.equal(weekStartOf(start, 3), start, 'a week starting on the start date’s own weekday starts that day');
    assert.equal(weekStartOf('2026-11-29', 1), '2026-11-23', 'a Sunday belongs to the week of the Monday before');
    assert.equal(addDays('2026-12-31', 1), '2027-01-01');
  });

  test('weeks starting Monday (the default): program days 1..7 are Mon..Sun of the week holding the start date', () => {
    assert.equal(plannedDate(start, 1, 1), '2026-11-30', 'week 1 Monday is before the start');
    assert.equal(plannedDate(start, 1, 1, 1), '2026-11-30');
    assert.equal(plannedDate(start, 1, 3, 1), start);
    assert.equal(plannedDate(start, 1, 7, 1), '2026-12-06');
    assert.equal(plannedDate(start, 2, 1, 1), '2026-12-07');
    assert.equal(plannedDate(start, 4, 5, 1), '2026-12-25');
  });

  test('weeks starting Sunday: Sunday opens the week, so Sunday 6 December is week 2', () => {
    assert.equal(plannedDate(start, 1, 7, 0), '2026-11-29', 'week 1 Sunday');
    assert.equal(plannedDate(start, 1, 1, 0), '2026-11-30');
    assert.equal(plannedDate(start, 1, 3, 0), start);
    assert.equal(plannedDate(start, 1, 6, 0), '2026-12-05', 'week 1 ends on Saturday');
    assert.equal(plannedDate(start, 2, 7, 0), '2026-12-06');
    assert.equal(plannedDate(start, 2, 6, 0), '2026-12-12');
  });

  test('no start date, no planned date', () => {
    assert.equal(plannedDate(null, 1, 1, 0), null);
    assert.equal(plannedDate(null, 3, 7), null);
  });

  test('daysInWeekOrder', () => {
    assert.deepEqual(daysInWeekOrder(), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(daysInWeekOrder(1), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(daysInWeekOrder(0), [7, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(daysInWeekOrder(6), [6, 7, 1, 2, 3, 4, 5]);
  });

  test('for every week start, a week’s days in display order fall on 7 consecutive dates from its first day', () => {
    for (const startDate of ['2026-12-02', '2026-11-29', '2027-02-27', '2028-02-29']) {
      for (let weekStartsOn = 0; weekStartsOn <= 6; weekStartsOn++) {
        for (const week of [1, 2, 10]) {
          const first = addDays(weekStartOf(startDate, weekStartsOn), (week - 1) * 7);
          const dates = daysInWeekOrder(weekStartsOn).map((day) => plannedDate(startDate, week, day, weekStartsOn));
          assert.deepEqual(dates, Array.from({ length: 7 }, (_, i) => addDays(first, i)), `${startDate} weekStartsOn ${weekStartsOn} week ${week}`);
          // The program day matches the weekday of its date (day 1 = Monday … 7 = Sunday).
          daysInWeekOrder(weekStartsOn).forEach((day, i) => assert.equal(new Date(`${dates[i]}T00:00:00Z`).getUTCDay(), day % 7));
        }
        // The start date itself is in week 1.
        const weekday = new Date(`${startDate}T00:00:00Z`).getUTCDay();
        assert.equal(plannedDate(startDate, 1, weekday === 0 ? 7 : weekday, weekStartsOn), startDate);
      }
    }
  });
});
