import { z } from 'zod';
import { plainCheck, withPlainCheck } from './plain-check.ts';

/** Every entity the protocol knows, with the conflict class its rows belong to. */
export const ENTITY_CLASS = {
  trainee: 'program',
  exercise: 'program',
  program: 'program',
  workout: 'program',
  prescription: 'program',
  max: 'program',
  session: 'session',
  set_log: 'session',
  settings: 'settings',
} as const;

export type Entity = keyof typeof ENTITY_CLASS;
export type ConflictClass = (typeof ENTITY_CLASS)[Entity];
export const ENTITIES = Object.keys(ENTITY_CLASS) as Entity[];

export function isEntity(value: unknown): value is Entity {
  return typeof value === 'string' && Object.hasOwn(ENTITY_CLASS, value);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const uuid = z.string().regex(UUID_RE, 'must be a UUID');
/** UUID_RE's test, without the regex engine (on the outbox's write path, where it ran cold). */
export function isUuid(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

const TYPE_WORDS: Record<string, string> = { string: 'text', number: 'a number', boolean: 'true or false', array: 'a list', object: 'an object', int: 'a whole number' };

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return TYPE_WORDS[typeof value] ?? typeof value;
}

// Messages a person can read, for every schema here: "must be text, not a number".
z.config({
  customError: (issue) => {
    if (issue.code !== 'invalid_type' || issue.input === undefined) return undefined;
    return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}, not ${typeOf(issue.input)}`;
  },
});

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
// Plain checks below (withPlainCheck) count UTF-16 units where zod counts code points: a
// string of 2n units has at least n code points, and n units at most n, so each answers true
// only where zod does; the rest goes to zod.
const name = withPlainCheck(
  z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  (v) => {
    if (typeof v !== 'string') return false;
    const units = v.trim().length;
    return units >= 2 && units <= 200;
  },
);
const notes = text(10_000).nullable();
/** A whole number from `min` to `max`, with messages that say so. */
export const wholeNumber = (min: number, max: number) => z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
/** A finite number from `min` to `max`. */
export const boundedNumber = (min: number, max: number) => z.number().finite('must be a finite number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** A YYYY-MM-DD that names a real day: no 30 February rolled into March. */
function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
export const isoDate = withPlainCheck(
  z.string().regex(ISO_DATE_RE, 'must be a date YYYY-MM-DD').refine(isCalendarDate, 'must be a real calendar date'),
  (v) => typeof v === 'string' && ISO_DATE_RE.test(v) && isCalendarDate(v),
);
export const LOAD_UNITS = ['kg', 'lb', '%1rm'] as const;
const loadUnit = z.enum(LOAD_UNITS, 'must be kg, lb or %1rm');
export const MAX_LOAD = 10_000;
const load = boundedNumber(0, MAX_LOAD);
const rpe = boundedNumber(1, 10).nullable();
/** "5", "8-10" (a range, low first) or "AMRAP". */
export const REPS_RE = /^(AMRAP|\d{1,3}(-\d{1,3})?)$/;
const repsText = z.string().regex(REPS_RE, 'must be a number like "5", a range like "8-10", or "AMRAP"');
const REPS_COUNT_RE = /^(\d+)(?:-(\d+))?$/;
/** Reps as logged against (a set's target): any count, 0 included. */
const targetReps = withPlainCheck(
  repsText.refine((s) => repsInOrder(s, 0), 'a range must go from low to high'),
  (v) => typeof v === 'string' && REPS_RE.test(v) && repsInOrder(v, 0),
);
/** Reps of a prescription: at least 1, a range low to high. */
export const reps = withPlainCheck(
  repsText.superRefine((s, ctx) => {
    const m = REPS_COUNT_RE.exec(s);
    if (!m) return;
    if (Number(m[1]) < 1) ctx.addIssue({ code: 'custom', message: 'must be at least 1' });
    else if (m[2] !== undefined && Number(m[1]) > Number(m[2])) ctx.addIssue({ code: 'custom', message: 'a range must go from low to high' });
  }),
  (v) => typeof v === 'string' && REPS_RE.test(v) && repsInOrder(v, 1),
);

/** Whether reps text that REPS_RE accepts counts at least `least`, and a range goes low to high. */
function repsInOrder(s: string, least: number): boolean {
  const m = REPS_COUNT_RE.exec(s);
  return !m || (Number(m[1]) >= least && (m[2] === undefined || Number(m[1]) <= Number(m[2])));
}
const httpUrl = z
  .string()
  .max(2000, 'must be at most 2000 characters')
  .regex(/^https?:\/\/\S+$/i, 'must be an http(s) link')
  .nullable();
export const email = z.email('must be an e-mail address like ben@example.com').max(320, 'must be at most 320 characters');

/** What a prescription's reps count: repetitions (the default), seconds, or metres. */
export const PRESCRIPTION_KINDS = ['reps', 'time', 'distance'] as const;
/** The parts of a per-set scheme: warm-up sets, a top set, back-off sets, drop sets, work sets. */
export const SCHEME_PARTS = ['warmup', 'top', 'backoff', 'drop', 'work'] as const;
/** A scheme line's load unit: a prescription's, or a percentage of the top set ("%top"). */
export const SCHEME_LOAD_UNITS = ['kg', 'lb', '%1rm', '%top'] as const;
export const MAX_SCHEME_PARTS = 12;

export const schemePart = z.strictObject({
  part: z.enum(SCHEME_PARTS, 'must be warmup, top, backoff, drop or work'),
  sets: wholeNumber(1, 20),
  reps,
  load: load.nullable().optional(),
  loadUnit: z.enum(SCHEME_LOAD_UNITS, 'must be kg, lb, %1rm or %top').nullable().optional(),
  rpe: rpe.optional(),
});
export type SchemePart = z.infer<typeof schemePart>;

/** Field schemas per entity. Optional fields may be sent as null to clear them. */
export const FIELD_SCHEMAS = {
  trainee: z.strictObject({
    coachId: uuid,
    name,
    email: email.nullable().optional(),
    notes: notes.optional(),
    archived: z.boolean().nullable().optional(),
  }),
  exercise: z.strictObject({
    coachId: uuid,
    name,
    category: text(100).nullable().optional(),
    notes: notes.optional(),
    videoUrl: httpUrl.optional(),
    /** Set when this exercise was merged into another of the coach's: it is kept for history. */
    mergedInto: uuid.nullable().optional(),
  }),
  program: z.strictObject({
    coachId: uuid,
    traineeId: uuid.nullable(),
    name,
    startDate: isoDate.nullable().optional(),
    weeks: wholeNumber(1, 104),
    notes: notes.optional(),
  }),
  workout: z.strictObject({
    programId: uuid,
    week: wholeNumber(1, 104),
    day: wholeNumber(1, 7),
    title: text(200),
    notes: notes.optional(),
    position: z.number().finite().nullable().optional(),
  }),
  prescription: z.strictObject({
    workoutId: uuid,
    exerciseId: uuid,
    position: z.number().finite(),
    group: text(20).nullable().optional(),
    sets: wholeNumber(1, 100),
    reps,
    kind: z.enum(PRESCRIPTION_KINDS, 'must be reps, time or distance').nullable().optional(),
    load: load.nullable().optional(),
    loadUnit: loadUnit.nullable().optional(),
    rpe: rpe.optional(),
    restSec: wholeNumber(0, 3600).nullable().optional(),
    tempo: text(20).nullable().optional(),
    notes: notes.optional(),
    // No plain check of its own (a scheme is asked of zod), so that null and undefined pass plainly.
    scheme: withPlainCheck(z.array(schemePart).max(MAX_SCHEME_PARTS, `must have at most ${MAX_SCHEME_PARTS} parts`), () => false).nullable().optional(),
  }),
  max: z.strictObject({
    traineeId: uuid,
    exerciseId: uuid,
    /** A tested or estimated one-rep max, or a training max (what %1RM loads are taken of). */
    kind: z.enum(['1rm', 'tm'], 'must be 1rm or tm'),
    value: withPlainCheck(
      boundedNumber(0, MAX_LOAD).refine((v) => v > 0, 'must be more than 0'),
      (v) => typeof v === 'number' && v > 0 && v <= MAX_LOAD,
    ),
    unit: z.enum(['kg', 'lb'], 'must be kg or lb'),
    date: isoDate,
    source: z.enum(['entered', 'estimated'], 'must be entered or estimated'),
    notes: notes.optional(),
  }),
  session: z.strictObject({
    traineeId: uuid,
    workoutId: uuid.nullable().optional(),
    date: isoDate,
    status: z.enum(['planned', 'in_progress', 'completed', 'skipped']),
    notes: notes.optional(),
    rpe: rpe.optional(),
  }),
  set_log: z.strictObject({
    sessionId: uuid,
    prescriptionId: uuid.nullable().optional(),
    exerciseId: uuid,
    setIndex: wholeNumber(0, 1000),
    reps: wholeNumber(0, 1000),
    load: load.nullable().optional(),
    loadUnit: loadUnit.nullable().optional(),
    rpe: rpe.optional(),
    done: z.boolean(),
    note: notes.optional(),
    targetReps: targetReps.nullable().optional(),
    targetLoad: load.nullable().optional(),
  }),
  settings: z.strictObject({
    units: z.enum(['kg', 'lb'], 'must be kg or lb').optional(),
    weekStartsOn: wholeNumber(0, 6).optional(),
    plateIncrement: z.number().positive('must be more than 0').max(100, 'must be at most 100').optional(),
    displayName: text(200).optional(),
    /** How an estimated 1RM is computed from a set (Epley when absent). */
    e1rmFormula: z.enum(['epley', 'brzycki'], 'must be epley or brzycki').optional(),
  }),
} satisfies Record<Entity, z.ZodObject>;

const PATCH_SCHEMAS = Object.fromEntries(
  Object.entries(FIELD_SCHEMAS).map(([entity, schema]) => [entity, schema.partial()]),
) as unknown as Record<Entity, z.ZodType>;

/** Per entity: each field's own schema, and the fields a put must carry. */
interface FieldChecks {
  shape: Record<string, z.ZodType>;
  /** plainCheck of each field's schema, where it has one. */
  plain: Record<string, ((value: unknown) => boolean) | undefined>;
  required: string[];
}

const FIELD_CHECKS = Object.fromEntries(
  Object.entries(FIELD_SCHEMAS).map(([entity, schema]) => {
    const shape = schema.shape as Record<string, z.ZodType>;
    const plain = Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, plainCheck(field)]));
    return [entity, { shape, plain, required: Object.keys(shape).filter((key) => !shape[key]!.safeParse(undefined).success) }];
  }),
) as Record<Entity, FieldChecks>;

/**
 * True when every field passes its own schema, no field is unknown and (for a put) every
 * required field is there: the objects have no checks across fields, so this is the whole
 * check, at a tenth of the cost of parsing the object. False sends the caller to the object
 * parse, whose issue names what is wrong.
 */
function fieldsPass(checks: FieldChecks, action: 'put' | 'patch', keys: string[], fields: Record<string, unknown>): boolean {
  for (const key of keys) {
    if (!Object.hasOwn(checks.shape, key)) return false;
    const value = fields[key];
    if (!checks.plain[key]?.(value) && !checks.shape[key]!.safeParse(value).success) return false;
  }
  if (action === 'put') for (const key of checks.required) if (fields[key] === undefined) return false;
  return true;
}

export type EntityFields = { [E in Entity]: z.infer<(typeof FIELD_SCHEMAS)[E]> };
export type Fields = Record<string, unknown>;

/** Fields that tie a row to its owner or parent: they decide who may see the row. */
export const LINK_FIELDS: Record<Entity, readonly string[]> = {
  trainee: ['coachId'],
  exercise: ['coachId'],
  program: ['coachId', 'traineeId'],
  workout: ['programId'],
  prescription: ['workoutId', 'exerciseId'],
  max: ['traineeId', 'exerciseId'],
  session: ['traineeId'],
  set_log: ['sessionId'],
  settings: [],
};

export type FieldCheck = { ok: true; fields: Fields } | { ok: false; message: string };

/** One zod issue in words that name the field, e.g. `prescription.sets must be ...`. */
export function describeIssue(owner: string, issue: z.core.$ZodIssue): string {
  const at = [owner, ...issue.path.map(String)].filter(Boolean).join('.');
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => `"${k}"`).join(', ') : '';
  if (keys) return at ? `${at} has no field ${keys}` : `unknown field ${keys}`;
  const path = at || '(frame)';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${path} is required`;
  return `${path} ${issue.message}`;
}

/**
 * Checks an op's fields against its entity: a put carries every required field, a patch
 * only known fields, a delete none. The message names the offending field.
 */
export function checkFields(entity: Entity, action: 'put' | 'patch' | 'delete', fields: unknown): FieldCheck {
  if (action === 'delete') {
    if (fields === undefined || (isPlainObject(fields) && Object.keys(fields).length === 0)) return { ok: true, fields: {} };
    return { ok: false, message: 'a delete carries no fields' };
  }
  if (!isPlainObject(fields)) return { ok: false, message: 'fields must be an object' };
  const keys = Object.keys(fields);
  if (action === 'patch' && keys.length === 0) return { ok: false, message: 'a patch must change at least one field' };
  if (fieldsPass(FIELD_CHECKS[entity], action, keys, fields)) return { ok: true, fields: fields as Fields };
  const schema = action === 'put' ? FIELD_SCHEMAS[entity] : PATCH_SCHEMAS[entity];
  // reportInput keeps the value in the issue, so a wrong value is not taken for a missing one.
  const parsed = schema.safeParse(fields, { reportInput: true });
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, message: first ? describeIssue(entity, first) : `${entity} fields are invalid` };
  }
  // Keep the sender's fields as sent (zod may trim); validation is all we needed.
  return { ok: true, fields: fields as Fields };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
