// The parameters of every API method, as zod schemas. The host checks each call against them at
// its boundary (IPC and the web shell's socket alike), and the UI checks what the coach types
// with the same schemas, so a value the UI lets through is one the host takes.
import { z } from 'zod';
import { boundedNumber, email, FIELD_SCHEMAS, isoDate, PRESCRIPTION_KINDS, reps, schemePart, uuid, wholeNumber, type Fields } from '../protocol/entities.ts';
import { MAX_REQUEST_BYTES, type ApiMethod } from './api.ts';

const rx = FIELD_SCHEMAS.prescription.shape;
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const week = wholeNumber(1, 104);
export const day = wholeNumber(1, 7);
export const name = FIELD_SCHEMAS.trainee.shape.name;
export const notes = FIELD_SCHEMAS.trainee.shape.notes;
export const units = z.enum(['kg', 'lb'], 'must be kg or lb');
export const title = FIELD_SCHEMAS.workout.shape.title;

/** The fields of a prescription the UI edits (cells and fast entry). */
export const prescriptionFields = {
  exerciseId: uuid,
  sets: rx.sets,
  reps,
  kind: nullable(z.enum(PRESCRIPTION_KINDS, 'must be reps, time or distance')),
  load: rx.load,
  loadUnit: rx.loadUnit,
  rpe: rx.rpe,
  restSec: rx.restSec,
  tempo: rx.tempo,
  notes: rx.notes,
  group: rx.group,
  scheme: rx.scheme,
};

export const prescriptionInput = z.strictObject(prescriptionFields).refine((p) => p.load === undefined || p.load === null || !!p.loadUnit, {
  message: 'a load needs its unit (kg, lb or %1rm)',
  path: ['loadUnit'],
});
export const prescriptionPatch = z
  .strictObject(prescriptionFields)
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'must change at least one field');

export const traineeInput = z.strictObject({
  id: uuid.optional(),
  name,
  email: email.nullable().optional(),
  notes: notes.optional(),
});

export const exerciseName = FIELD_SCHEMAS.exercise.shape.name;
export const exerciseInput = z.strictObject({
  name: exerciseName,
  category: FIELD_SCHEMAS.exercise.shape.category,
  videoUrl: FIELD_SCHEMAS.exercise.shape.videoUrl,
});
export const exercisePatch = z
  .strictObject({ name: exerciseName, category: FIELD_SCHEMAS.exercise.shape.category, videoUrl: FIELD_SCHEMAS.exercise.shape.videoUrl, notes: FIELD_SCHEMAS.exercise.shape.notes })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'must change at least one field');

export const programInput = z.strictObject({
  name: FIELD_SCHEMAS.program.shape.name,
  weeks: FIELD_SCHEMAS.program.shape.weeks,
  traineeId: uuid.nullable(),
  startDate: isoDate.nullable().optional(),
});
export const programPatch = z
  .strictObject({
    name: FIELD_SCHEMAS.program.shape.name,
    weeks: FIELD_SCHEMAS.program.shape.weeks,
    notes: FIELD_SCHEMAS.program.shape.notes,
    startDate: isoDate.nullable(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'must change at least one field');

const step = (max: number) => boundedNumber(-max, max).refine((n) => n !== 0, 'must not be 0');
export const progression = z.strictObject({
  load: z.strictObject({ step: step(1000), unit: z.enum(['kg', 'lb', '%'], 'must be kg, lb or %') }).nullable().optional(),
  reps: z
    .union([z.strictObject({ step: wholeNumber(-100, 100).refine((n) => n !== 0, 'must not be 0') }), z.strictObject({ wave: z.array(reps).min(1, 'needs at least one value').max(12, 'must have at most 12 values') })])
    .nullable()
    .optional(),
  rpe: z
    .union([z.strictObject({ step: step(9) }), z.strictObject({ wave: z.array(boundedNumber(1, 10)).min(1, 'needs at least one value').max(12, 'must have at most 12 values') })])
    .nullable()
    .optional(),
});

export const maxInput = z.strictObject({
  id: uuid.optional(),
  traineeId: uuid,
  exerciseId: uuid,
  kind: FIELD_SCHEMAS.max.shape.kind,
  value: FIELD_SCHEMAS.max.shape.value,
  unit: units,
  date: isoDate,
  source: FIELD_SCHEMAS.max.shape.source.optional(),
  notes: notes.optional(),
});

export const settingsPatch = z
  .strictObject({
    units,
    weekStartsOn: wholeNumber(0, 6),
    displayName: FIELD_SCHEMAS.settings.shape.displayName.unwrap().nullable(),
    plateIncrement: FIELD_SCHEMAS.settings.shape.plateIncrement.unwrap(),
    e1rmFormula: FIELD_SCHEMAS.settings.shape.e1rmFormula.unwrap(),
  })
  .partial();

const weeks = z.array(week).min(1, 'needs at least one week').max(104, 'must have at most 104 weeks');
const serverUrl = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(2000, 'must be at most 2000 characters')
  .regex(/^wss?:\/\/\S+$/i, 'must be a ws:// or wss:// address, e.g. ws://127.0.0.1:8787/sync');
const token = z.string().trim().min(1, 'must not be empty').max(512, 'must be at most 512 characters');
const copyMode = z.enum(['replace', 'add'], 'must be replace or add');
/** A CSV file's text; its size is checked by the importer, which says so in words (the bridge refuses past 1 MB). */
const csvText = z.string().max(MAX_REQUEST_BYTES, 'is too large to import');
export const importTarget = z.strictObject({
  traineeId: uuid.nullable(),
  name: FIELD_SCHEMAS.program.shape.name,
  startDate: isoDate.nullable().optional(),
});

/** One named parameter; `optional` ones may be left off the end of the call. */
type Param = readonly [name: string, schema: z.ZodType, optional?: 'optional'];

/** Every method's parameters, in order. */
export const API_PARAMS = {
  getSession: [],
  signIn: [['serverUrl', serverUrl], ['token', token]],
  signOut: [],
  getSyncStatus: [],
  syncNow: [],
  retryEdit: [['key', uuid]],
  discardEdit: [['key', uuid]],
  undo: [],
  redo: [],
  getUndoState: [],
  getUpdateState: [],
  restartToUpdate: [],
  getRoster: [['includeArchived', z.boolean()]],
  saveTrainee: [['input', traineeInput]],
  setTraineeArchived: [['id', uuid], ['archived', z.boolean()]],
  getExercises: [],
  getExerciseLibrary: [],
  createExercise: [['input', exerciseInput.partial({ category: true, videoUrl: true })]],
  updateExercise: [['id', uuid], ['patch', exercisePatch]],
  mergeExercises: [['keepId', uuid], ['mergeIds', z.array(uuid).min(1, 'needs at least one exercise').max(100, 'must have at most 100 exercises')]],
  getPrograms: [],
  getProgram: [['id', uuid]],
  createProgram: [['input', programInput]],
  updateProgram: [['id', uuid], ['patch', programPatch], ['options', z.strictObject({ removeLaterWeeks: z.boolean().optional() }), 'optional']],
  deleteProgram: [['id', uuid]],
  assignProgram: [['programId', uuid], ['traineeId', uuid], ['startDate', isoDate]],
  saveAsTemplate: [['programId', uuid], ['name', FIELD_SCHEMAS.program.shape.name]],
  addWorkout: [['programId', uuid], ['week', week], ['day', day], ['title', title]],
  updateWorkout: [['id', uuid], ['patch', z.strictObject({ title, notes: FIELD_SCHEMAS.workout.shape.notes }).partial().refine((p) => Object.keys(p).length > 0, 'must change at least one field')]],
  deleteWorkout: [['id', uuid]],
  copyDay: [['workoutId', uuid], ['toWeek', week], ['toDay', day], ['mode', copyMode]],
  copyWeek: [['programId', uuid], ['fromWeek', week], ['toWeeks', weeks], ['options', z.strictObject({ mode: copyMode, progression: progression.nullable().optional() })]],
  progressRows: [['workoutId', uuid], ['rxIds', z.array(uuid).min(1, 'needs at least one row').max(500, 'must have at most 500 rows')], ['toWeeks', weeks], ['progression', progression]],
  addPrescription: [['workoutId', uuid], ['input', prescriptionInput], ['afterId', uuid.nullable(), 'optional']],
  updatePrescription: [['id', uuid], ['patch', prescriptionPatch]],
  deletePrescription: [['id', uuid]],
  movePrescription: [['id', uuid], ['direction', z.union([z.literal(-1), z.literal(1)], 'must be -1 or 1')]],
  getTraineeActivity: [['traineeId', uuid]],
  getProgress: [['traineeId', uuid], ['options', z.strictObject({ today: isoDate.optional() }), 'optional']],
  getMaxes: [['traineeId', uuid]],
  saveMax: [['input', maxInput]],
  deleteMax: [['id', uuid]],
  getSettings: [],
  updateSettings: [['patch', settingsPatch]],
  inviteTrainee: [['traineeId', uuid]],
  getTraineeAccess: [],
  revokeTraineeAccess: [['traineeId', uuid]],
  exportProgramPdf: [['programId', uuid]],
  getProgramPrintHtml: [['programId', uuid]],
  exportProgramCsv: [['programId', uuid]],
  exportLoggedSetsCsv: [['traineeId', uuid]],
  previewProgramImport: [['csv', csvText]],
  importProgram: [['csv', csvText], ['target', importTarget]],
} as const satisfies Record<ApiMethod, readonly Param[]>;

export type ParamsCheck = { ok: true; params: unknown[] } | { ok: false; message: string; field: string };

/** "input.name must not be empty": a zod issue in words, under the parameter's name. */
function issueText(param: string, issue: z.core.$ZodIssue): { field: string; message: string } {
  const field = [param, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))].join('').replace(/\.\[/g, '[');
  if (issue.code === 'unrecognized_keys') return { field, message: `${field} has no field ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
  if (issue.code === 'invalid_type' && issue.input === undefined) return { field, message: `${field} is required` };
  // A union without its own message: say what its first alternative wanted.
  if (issue.code === 'invalid_union' && issue.message.startsWith('Invalid input')) {
    const inner = issue.errors.flat()[0];
    if (inner) return issueText(param, { ...inner, path: [...issue.path, ...inner.path] });
  }
  return { field, message: `${field} ${issue.message}` };
}

/** Checks a call's parameters against its method's schemas; the values come back as parsed. */
export function checkParams(method: ApiMethod, params: unknown): ParamsCheck {
  const spec: readonly Param[] = API_PARAMS[method];
  if (!Array.isArray(params)) return { ok: false, message: `${method} takes a list of parameters`, field: '' };
  const required = spec.filter((p) => p[2] !== 'optional').length;
  if (params.length < required || params.length > spec.length) {
    const names = spec.map(([n, , o]) => (o ? `${n}?` : n)).join(', ');
    return { ok: false, message: `${method} takes ${spec.length === 0 ? 'no parameters' : `(${names})`}, not ${params.length}`, field: '' };
  }
  const parsed: unknown[] = [];
  for (let i = 0; i < params.length; i++) {
    const [param, schema, optional] = spec[i]!;
    if (optional && params[i] === undefined) {
      parsed.push(undefined);
      continue;
    }
    const result = schema.safeParse(params[i], { reportInput: true });
    if (!result.success) return { ok: false, ...issueText(param, result.error.issues[0]!) };
    parsed.push(result.data);
  }
  return { ok: true, params: parsed };
}

/** Checks one value the coach typed against a schema: the message to show, or null when it is fine. */
export function problemWith(label: string, schema: z.ZodType, value: unknown): string | null {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  const sub = issue.path.length ? ` ${issue.path.join('.')}` : '';
  return `${label}${sub} ${issue.message}`;
}

export type { Fields };
