// The coach's formulas: estimated one-rep maxes and loads taken as a percentage of a max.
import { DEFAULT_PLATE_INCREMENT, roundTo, type Units } from './units.ts';

export type E1rmFormula = 'epley' | 'brzycki';

/** Sets of more reps than this say little about a one-rep max. */
export const MAX_REPS_FOR_E1RM = 12;

/** Epley: w × (1 + r/30). One rep is the load itself. */
export function epley(load: number, reps: number): number {
  return reps === 1 ? load : load * (1 + reps / 30);
}

/** Brzycki: w × 36 / (37 − r). */
export function brzycki(load: number, reps: number): number {
  return (load * 36) / (37 - reps);
}

/** The estimated 1RM of a set, or null for sets that cannot give one (no load, 0 or > 12 reps). */
export function estimateOneRepMax(load: number | null, reps: number, formula: E1rmFormula = 'epley'): number | null {
  if (load === null || !(load > 0) || !Number.isInteger(reps) || reps < 1 || reps > MAX_REPS_FOR_E1RM) return null;
  return formula === 'epley' ? epley(load, reps) : brzycki(load, reps);
}

/** e1RM as shown: one decimal (100 kg × 5 → 116.7). */
export function roundE1rm(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A percentage of a max as a load in the max's unit, rounded to the plate increment. */
export function percentOfMax(percent: number, max: { value: number; unit: Units }, plateIncrement?: number): number {
  return roundTo((max.value * percent) / 100, plateIncrement ?? DEFAULT_PLATE_INCREMENT[max.unit]);
}
