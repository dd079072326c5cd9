// Progression across weeks: what a prescription becomes `offset` weeks after the one it is
// copied from. Pure, so the dialog's preview and the host's edit compute the same numbers.
import { convertLoad, roundTo, DEFAULT_PLATE_INCREMENT, DISPLAY_STEP, isUnits, type Units } from './units.ts';

export interface Progression {
  /** Added per week: kg or lb to kg/lb loads, or a percentage (kg/lb loads grow by it, %1RM loads gain that many points). */
  load?: { step: number; unit: Units | '%' } | null;
  /** Reps: added per week (ranges shift), or a wave of values the weeks take in turn. */
  reps?: { step: number } | { wave: string[] } | null;
  /** RPE: added per week (rows that have one), or a wave every row takes in turn. */
  rpe?: { step: number } | { wave: number[] } | null;
}

export interface ProgressedFields {
  reps: string;
  load: number | null;
  loadUnit: string | null;
  rpe: number | null;
}

const MAX_LOAD = 10_000;
const REPS_NUMBER = /^(\d{1,3})(?:-(\d{1,3}))?$/;

export type Progressed = { ok: true; fields: ProgressedFields } | { ok: false; message: string };

/** Whether a progression changes anything at all. */
export function isProgression(p: Progression | null | undefined): p is Progression {
  return !!p && !!(p.load || p.reps || p.rpe);
}

function shiftReps(reps: string, step: number): string {
  const m = REPS_NUMBER.exec(reps);
  if (!m) return reps; // AMRAP stays
  const low = Number(m[1]) + step;
  const high = m[2] === undefined ? undefined : Number(m[2]) + step;
  return high === undefined ? String(low) : `${low}-${high}`;
}

/**
 * The row `offset` weeks on (offset ≥ 1). A value the limits refuse (a load over 10,000, reps
 * under 1, RPE outside 1–10) is an error that names it, never clipped silently. A load grown by
 * a percentage is rounded to the plate increment of its unit (the coach's, else 2.5 kg / 5 lb);
 * a step in kg or lb is added as is (converted and rounded to 0.5 kg / 1 lb across units).
 */
export function progress(row: ProgressedFields, offset: number, p: Progression, plates: Partial<Record<Units, number>> = {}): Progressed {
  const out: ProgressedFields = { ...row };
  if (p.load && row.load !== null) {
    const { step, unit } = p.load;
    if (unit === '%') {
      if (row.loadUnit === '%1rm') out.load = roundTo(row.load + offset * step, 0.1);
      else if (isUnits(row.loadUnit)) out.load = roundTo(row.load * (1 + (offset * step) / 100), plates[row.loadUnit] ?? DEFAULT_PLATE_INCREMENT[row.loadUnit]);
    } else if (isUnits(row.loadUnit)) {
      const added = convertLoad(offset * step, unit, row.loadUnit);
      out.load = unit === row.loadUnit ? roundTo(row.load + added, 0.001) : roundTo(row.load + added, DISPLAY_STEP[row.loadUnit]);
    }
    if (out.load !== null && (out.load < 0 || out.load > MAX_LOAD)) return { ok: false, message: `load would be ${out.load}, outside 0–${MAX_LOAD}` };
  }
  if (p.reps) {
    if ('wave' in p.reps) out.reps = p.reps.wave[(offset - 1) % p.reps.wave.length]!;
    else out.reps = shiftReps(row.reps, offset * p.reps.step);
    const m = REPS_NUMBER.exec(out.reps);
    if (out.reps !== 'AMRAP' && (!m || Number(m[1]) < 1 || Number(m[2] ?? m[1]) > 999)) return { ok: false, message: `reps would be ${out.reps}, outside 1–999` };
  }
  if (p.rpe) {
    if ('wave' in p.rpe) out.rpe = p.rpe.wave[(offset - 1) % p.rpe.wave.length]!;
    else if (row.rpe !== null) out.rpe = roundTo(row.rpe + offset * p.rpe.step, 0.5);
    if (out.rpe !== null && (out.rpe < 1 || out.rpe > 10)) return { ok: false, message: `RPE would be ${out.rpe}, outside 1–10` };
  }
  return { ok: true, fields: out };
}
