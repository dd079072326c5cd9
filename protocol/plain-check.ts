// A plain function for the simple zod schemas of entity fields (numbers with bounds, short
// strings, enums, patterns, booleans, optional and nullable), so the outbox's write and the
// server's push check a field without zod's generic machinery. It answers true only for a
// value the schema accepts; false means "ask the schema", which then decides and names the
// problem. Schemas it cannot read (custom refinements, arrays, transforms) get no function,
// unless one is declared beside the schema (withPlainCheck).
import type { z } from 'zod';

type Check = (value: unknown) => boolean;

interface Def {
  type: string;
  checks?: Array<{ _zod: { def: Record<string, unknown> } }>;
  innerType?: { _zod: { def: Def } };
  entries?: Record<string, unknown>;
}

function numberCheck(checks: Array<Record<string, unknown>>): Check | undefined {
  let integer = false;
  let min = Number.NEGATIVE_INFINITY;
  let minInclusive = true;
  let max = Number.POSITIVE_INFINITY;
  let maxInclusive = true;
  for (const c of checks) {
    if (c.check === 'number_format' && c.format === 'safeint') integer = true;
    else if (c.check === 'greater_than' && typeof c.value === 'number') [min, minInclusive] = [c.value, c.inclusive === true];
    else if (c.check === 'less_than' && typeof c.value === 'number') [max, maxInclusive] = [c.value, c.inclusive === true];
    else return undefined;
  }
  return (v) =>
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!integer || Number.isSafeInteger(v)) &&
    (minInclusive ? v >= min : v > min) &&
    (maxInclusive ? v <= max : v < max);
}

function stringCheck(checks: Array<Record<string, unknown>>): Check | undefined {
  let maxUnits = Number.POSITIVE_INFINITY;
  // A code point is one or two units: twice the minimum in units always has enough code points.
  let minUnits = 0;
  const patterns: RegExp[] = [];
  for (const c of checks) {
    if (c.check === 'max_length' && typeof c.maximum === 'number') maxUnits = Math.min(maxUnits, c.maximum);
    else if (c.check === 'min_length' && typeof c.minimum === 'number') minUnits = Math.max(minUnits, c.minimum * 2);
    else if (c.check === 'string_format' && c.format === 'regex' && c.pattern instanceof RegExp && !c.pattern.global && !c.pattern.sticky) patterns.push(c.pattern);
    else return undefined;
  }
  return (v) => typeof v === 'string' && v.length <= maxUnits && v.length >= minUnits && matchesAll(patterns, v);
}

/** Every pattern matches (a loop: this runs per string field of every op, and a callback per call is a closure each time). */
function matchesAll(patterns: readonly RegExp[], v: string): boolean {
  for (const p of patterns) if (!p.test(v)) return false;
  return true;
}

/** The keys a definition may have, per type, for its meaning to be only what is read here. */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  optional: ['type', 'innerType'],
  nullable: ['type', 'innerType'],
  number: ['type', 'checks'],
  string: ['type', 'checks'],
  boolean: ['type', 'checks'],
  enum: ['type', 'entries', 'error'],
};

/** Plain checks declared beside schemas this file cannot read (refinements, transforms). */
const declared = new WeakMap<object, Check>();

/**
 * Declares the plain check of a schema that has a refinement or a transform: it must answer
 * true only for values the schema accepts (false asks the schema, as for any other). Returns
 * the schema, so a declaration reads `const reps = withPlainCheck(z.string()…, isReps)`.
 */
export function withPlainCheck<T extends z.ZodType>(schema: T, check: Check): T {
  declared.set(schema, check);
  return schema;
}

function checkOf(def: Def): Check | undefined {
  // A string schema that is itself a format (z.email()) carries it in its own definition.
  const known = KNOWN_KEYS[def.type];
  if (!known || !Object.keys(def).every((key) => known.includes(key))) return undefined;
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'optional':
    case 'nullable': {
      if (checks.length > 0 || !def.innerType) return undefined;
      const inner = declared.get(def.innerType) ?? checkOf(def.innerType._zod.def);
      if (!inner) return undefined;
      const empty = def.type === 'optional' ? undefined : null;
      return (v) => v === empty || inner(v);
    }
    case 'number':
      return numberCheck(checks);
    case 'string':
      return stringCheck(checks);
    case 'boolean':
      return checks.length === 0 ? (v) => typeof v === 'boolean' : undefined;
    case 'enum': {
      if (checks.length > 0 || !def.entries) return undefined;
      const values = new Set(Object.values(def.entries));
      return (v) => (typeof v === 'string' || typeof v === 'number') && values.has(v);
    }
    default:
      return undefined;
  }
}

/** The plain check of a schema, or undefined when it is not simple enough to have one. */
export function plainCheck(schema: z.ZodType): Check | undefined {
  return declared.get(schema) ?? checkOf((schema as unknown as { _zod: { def: Def } })._zod.def);
}
