import { z } from 'zod';

/** Every entity the protocol knows, with the conflict class its rows belong to. */
export const ENTITY_CLASS = {
  trainee: 'program',
  exercise: 'program',
  program: 'program',
  workout: 'program',
  prescription: 'program',
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
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const notes = text(10_000).nullable();
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'must be a real calendar date');
const loadUnit = z.enum(['kg', 'lb', '%1rm']);
const rpe = z.number().min(1).max(10).nullable();
/** "5", "8-10" (a range, low first) or "AMRAP". */
export const REPS_RE = /^(AMRAP|\d{1,3}(-\d{1,3})?)$/;
const reps = z
  .string()
  .regex(REPS_RE, 'must be a number like "5", a range like "8-10", or "AMRAP"')
  .refine((s) => {
    const m = /^(\d+)-(\d+)$/.exec(s);
    return !m || Number(m[1]) <= Number(m[2]);
  }, 'a range must go from low to high');
const httpUrl = z
  .string()
  .max(2000)
  .regex(/^https?:\/\/\S+$/i, 'must be an http(s) link')
  .nullable();

/** Field schemas per entity. Optional fields may be sent as null to clear them. */
export const FIELD_SCHEMAS = {
  trainee: z.strictObject({
    coachId: uuid,
    name,
    email: text(320).nullable().optional(),
    notes: notes.optional(),
    archived: z.boolean().nullable().optional(),
  }),
  exercise: z.strictObject({
    coachId: uuid,
    name,
    category: text(100).nullable().optional(),
    notes: notes.optional(),
    videoUrl: httpUrl.optional(),
  }),
  program: z.strictObject({
    coachId: uuid,
    traineeId: uuid.nullable(),
    name,
    startDate: isoDate.nullable().optional(),
    weeks: z.number().int().min(1).max(104),
    notes: notes.optional(),
  }),
  workout: z.strictObject({
    programId: uuid,
    week: z.number().int().min(1).max(104),
    day: z.number().int().min(1).max(7),
    title: text(200),
    notes: notes.optional(),
    position: z.number().finite().nullable().optional(),
  }),
  prescription: z.strictObject({
    workoutId: uuid,
    exerciseId: uuid,
    position: z.number().finite(),
    group: text(20).nullable().optional(),
    sets: z.number().int().min(1).max(100),
    reps,
    load: z.number().finite().min(0).max(10_000).nullable().optional(),
    loadUnit: loadUnit.nullable().optional(),
    rpe: rpe.optional(),
    restSec: z.number().int().min(0).max(3600).nullable().optional(),
    tempo: text(20).nullable().optional(),
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
    setIndex: z.number().int().min(0).max(1000),
    reps: z.number().int().min(0).max(1000),
    load: z.number().finite().min(0).max(10_000).nullable().optional(),
    loadUnit: loadUnit.nullable().optional(),
    rpe: rpe.optional(),
    done: z.boolean(),
    note: notes.optional(),
    targetReps: reps.nullable().optional(),
    targetLoad: z.number().finite().min(0).max(10_000).nullable().optional(),
  }),
  settings: z.strictObject({
    units: z.enum(['kg', 'lb']).optional(),
    weekStartsOn: z.number().int().min(0).max(6).optional(),
    plateIncrement: z.number().positive().max(100).optional(),
    displayName: text(200).optional(),
  }),
} satisfies Record<Entity, z.ZodObject>;

const PATCH_SCHEMAS = Object.fromEntries(
  Object.entries(FIELD_SCHEMAS).map(([entity, schema]) => [entity, schema.partial()]),
) as unknown as Record<Entity, z.ZodType>;

export type EntityFields = { [E in Entity]: z.infer<(typeof FIELD_SCHEMAS)[E]> };
export type Fields = Record<string, unknown>;

/** Fields that tie a row to its owner or parent: they decide who may see the row. */
export const LINK_FIELDS: Record<Entity, readonly string[]> = {
  trainee: ['coachId'],
  exercise: ['coachId'],
  program: ['coachId', 'traineeId'],
  workout: ['programId'],
  prescription: ['workoutId', 'exerciseId'],
  session: ['traineeId'],
  set_log: ['sessionId'],
  settings: [],
};

export type FieldCheck = { ok: true; fields: Fields } | { ok: false; message: string };

/** One zod issue in words that name the field, e.g. `prescription.sets must be ...`. */
export function describeIssue(owner: string, issue: z.core.$ZodIssue): string {
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => `"${k}"`).join(', ') : '';
  if (keys) return owner ? `${owner} has no field ${keys}` : `unknown field ${keys}`;
  const path = [owner, ...issue.path.map(String)].filter(Boolean).join('.') || '(frame)';
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
  const schema = action === 'put' ? FIELD_SCHEMAS[entity] : PATCH_SCHEMAS[entity];
  if (action === 'patch' && Object.keys(fields).length === 0) return { ok: false, message: 'a patch must change at least one field' };
  const parsed = schema.safeParse(fields);
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
