// Loads in the coach's units. Stored values never change when the coach switches kg↔lb: only
// what is shown is converted, rounded to what can be loaded on a bar (0.5 kg, 1 lb).

export type Units = 'kg' | 'lb';

export const KG_PER_LB = 0.45359237;

/** The smallest step a converted load is shown in. */
export const DISPLAY_STEP: Record<Units, number> = { kg: 0.5, lb: 1 };

/** The plate increment loads are rounded to when computed (a %1RM, a progression in %). */
export const DEFAULT_PLATE_INCREMENT: Record<Units, number> = { kg: 2.5, lb: 5 };

export function isUnits(value: unknown): value is Units {
  return value === 'kg' || value === 'lb';
}

export function convertLoad(value: number, from: Units, to: Units): number {
  if (from === to) return value;
  return from === 'kg' ? value / KG_PER_LB : value * KG_PER_LB;
}

/** Rounds to the nearest multiple of `step`, without binary noise (102.49999 → 102.5). */
export function roundTo(value: number, step: number): number {
  if (!(step > 0)) return value;
  return Math.round(Math.round(value / step) * step * 1000) / 1000;
}

/**
 * A stored load as the coach sees it in `units`: converted and rounded when its unit differs,
 * as stored otherwise.
 */
export function displayLoad(value: number, unit: Units, units: Units): { value: number; unit: Units; converted: boolean } {
  if (unit === units) return { value, unit, converted: false };
  return { value: roundTo(convertLoad(value, unit, units), DISPLAY_STEP[units]), unit: units, converted: true };
}
