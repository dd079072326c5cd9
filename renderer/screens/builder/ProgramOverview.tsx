import { daysInWeekOrder } from '../../../protocol/calendar.ts';
import { convertLoad, isUnits } from '../../../domain/units.ts';
import type { Prescription, ProgramDetail, Units } from '../../../preload/api.ts';
import { DAY_NAMES, plural, resolvedPercent } from '../../lib/format.ts';
import { useActions, useApp } from '../../store/context.tsx';

/** Reps as a number for volume: a range counts its middle, AMRAP and timed or distance sets none. */
function repsForVolume(rx: Prescription): number | null {
  if (rx.kind !== 'reps') return null;
  const m = /^(\d+)(?:-(\d+))?$/.exec(rx.reps);
  if (!m) return null;
  return m[2] === undefined ? Number(m[1]) : (Number(m[1]) + Number(m[2])) / 2;
}

/** A prescription's load in `units`: kg/lb converted, %1RM through the client's max, else null. */
function loadIn(rx: Prescription, units: Units, plate: number | null): number | null {
  if (rx.load === null) return null;
  if (isUnits(rx.loadUnit)) return convertLoad(rx.load, rx.loadUnit, units);
  if (rx.loadUnit === '%1rm') return resolvedPercent(rx.load, rx.percentOf, units, plate)?.value ?? null;
  return null;
}

export interface DayVolume {
  sets: number;
  /** Σ sets × reps × load, of the rows that have all three. */
  volume: number;
  /** Rows whose load could not count (no load, AMRAP, a %1RM without a max). */
  uncounted: number;
}

export function dayVolume(prescriptions: Prescription[], units: Units, plate: number | null): DayVolume {
  const out: DayVolume = { sets: 0, volume: 0, uncounted: 0 };
  for (const rx of prescriptions) {
    out.sets += rx.sets;
    const reps = repsForVolume(rx);
    const load = loadIn(rx, units, plate);
    if (reps === null || load === null) out.uncounted++;
    else out.volume += rx.sets * reps * load;
  }
  return out;
}

const formatVolume = (v: number, units: Units) => `${Math.round(v).toLocaleString('en')} ${units}`;

/** Every week of a program at once: weeks down, days across, each day's workouts with their sets and volume. */
export function ProgramOverview({ detail, units, weekStartsOn }: { detail: ProgramDetail; units: Units; weekStartsOn: number }) {
  const { navigate } = useActions();
  const plate = useApp((s) => s.settings?.plateIncrement ?? null);
  const days = daysInWeekOrder(weekStartsOn);
  const weeks = Array.from({ length: detail.weeks }, (_, i) => i + 1);
  return (
    <div className="overview-scroll">
      <table className="table overview" aria-label={`Overview of ${detail.name}`}>
        <caption className="visually-hidden">Weeks by days: workouts, sets and volume ({units})</caption>
        <thead>
          <tr>
            <th scope="col">Week</th>
            {days.map((d) => (
              <th scope="col" key={d}>
                {DAY_NAMES[d - 1]}
              </th>
            ))}
            <th scope="col" className="num">
              Week volume
            </th>
          </tr>
        </thead>
        <tbody>
          {weeks.map((week) => {
            const ofWeek = detail.workouts.filter((w) => w.week === week);
            const total = dayVolume(ofWeek.flatMap((w) => w.prescriptions), units, plate);
            return (
              <tr key={week}>
                <th scope="row">
                  <button type="button" className="link strong" onClick={() => navigate({ name: 'program', id: detail.id, week })} aria-label={`Open week ${week}`}>
                    Week {week}
                  </button>
                </th>
                {days.map((day) => {
                  const workouts = ofWeek.filter((w) => w.day === day);
                  if (workouts.length === 0) return <td key={day} className="rest muted" aria-label={`Week ${week} · ${DAY_NAMES[day - 1]}: rest`} />;
                  const v = dayVolume(workouts.flatMap((w) => w.prescriptions), units, plate);
                  return (
                    <td key={day} aria-label={`Week ${week} · ${DAY_NAMES[day - 1]}`}>
                      {workouts.map((w) => (
                        <div key={w.id} className="overview-workout">
                          {w.title || 'Workout'}
                        </div>
                      ))}
                      <div className="muted small">
                        {plural(v.sets, 'set')} · {formatVolume(v.volume, units)}
                        {v.uncounted > 0 && <span title={`${plural(v.uncounted, 'row')} without a load that counts (bodyweight, AMRAP, timed, or a %1RM without a max)`}>*</span>}
                      </div>
                    </td>
                  );
                })}
                <td className="num">{ofWeek.length ? formatVolume(total.volume, units) : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="hint">Volume is sets × reps × load, in {units}; a rep range counts its middle. * Some rows do not count: bodyweight, AMRAP, timed or distance sets, %1RM loads without a max.</p>
    </div>
  );
}
