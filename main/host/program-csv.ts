// A program's prescriptions and a client's logged sets as CSV, and a program read back from CSV
// (the program export's columns) into the edits that create it. Pure, apart from reading the
// local store for the logged sets: the host turns the edits into one undoable step.
import { z } from 'zod';
import { DAY_NAMES } from '../../protocol/calendar.ts';
import { FIELD_SCHEMAS, newId, REPS_RE, schemePart, type Fields } from '../../protocol/index.ts';
import type { Exercise, ProgramDetail, ProgramImportPreview } from '../../preload/api.ts';
import type { Edit, LocalStore } from '../../sync/local-store.ts';
import { CsvSyntaxError, parseCsv, toCsv, unguardCell, type CsvValue } from './csv.ts';

/** The program export's columns, and the import's (in any order; names are matched without case). */
export const PROGRAM_COLUMNS = ['week', 'day', 'workout', 'exercise', 'order', 'sets', 'reps', 'kind', 'load', 'unit', 'RPE', 'rest s', 'tempo', 'group', 'notes', 'workout notes', 'scheme'] as const;
type ProgramColumn = (typeof PROGRAM_COLUMNS)[number];

export const SET_COLUMNS = ['date', 'exercise', 'set', 'reps', 'load', 'unit', 'RPE', 'note', 'prescribed reps', 'prescribed load'] as const;

/**
 * The largest CSV file the importer takes. The page sends the file's text to the host in one
 * request, and requests are limited to 1 MB (MAX_REQUEST_BYTES); JSON can double a CSV's quotes
 * and line ends, so 400 KB (some 5,000 rows) is what always fits.
 */
export const MAX_IMPORT_BYTES = 400 * 1024;

/** A file name from a title: no path or control characters, at most 120 characters. */
export function fileNameOf(title: string, extension: string): string {
  const base =
    title
      .normalize('NFC')
      .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/^\.+/, '')
      .slice(0, 120)
      .trim() || 'program';
  return `${base}.${extension}`;
}

/** Every prescription of a program, one row each; a workout with none is one row without an exercise. */
export function programCsv(program: ProgramDetail): string {
  const rows: CsvValue[][] = [];
  for (const w of program.workouts) {
    const workoutCells = { week: w.week, day: w.day, workout: w.title, notes: w.notes };
    if (w.prescriptions.length === 0) {
      rows.push([w.week, w.day, w.title, '', null, null, '', '', null, '', null, null, '', '', '', w.notes, '']);
      continue;
    }
    w.prescriptions.forEach((rx, i) =>
      rows.push([
        workoutCells.week,
        workoutCells.day,
        workoutCells.workout,
        rx.exerciseName,
        i + 1,
        rx.sets,
        rx.reps,
        rx.kind === 'reps' ? '' : rx.kind,
        rx.load,
        rx.load === null ? '' : (rx.loadUnit ?? ''),
        rx.rpe,
        rx.restSec,
        rx.tempo ?? '',
        rx.group ?? '',
        rx.notes ?? '',
        i === 0 ? workoutCells.notes : '',
        rx.scheme?.length ? JSON.stringify(rx.scheme) : '',
      ]),
    );
  }
  return toCsv(PROGRAM_COLUMNS, rows);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Every set a client logged (done), oldest session first: the set's number is its place among the
 * session's sets of that exercise. Loads are as logged, in the unit they were logged in.
 */
export function loggedSetsCsv(store: LocalStore, traineeId: string): string {
  const names = new Map(store.list('exercise').map((r) => [r.id, String(r.fields.name)]));
  const sessions = store.children('session', traineeId).sort((a, b) => String(a.fields.date).localeCompare(String(b.fields.date)) || a.id.localeCompare(b.id));
  const rows: CsvValue[][] = [];
  for (const s of sessions) {
    const sets = store
      .children('set_log', s.id)
      .filter((r) => r.fields.done === true)
      .sort((a, b) => Number(a.fields.setIndex) - Number(b.fields.setIndex) || a.id.localeCompare(b.id));
    const ordinal = new Map<string, number>();
    for (const set of sets) {
      const f = set.fields;
      const exerciseId = String(f.exerciseId);
      const n = (ordinal.get(exerciseId) ?? 0) + 1;
      ordinal.set(exerciseId, n);
      const load = num(f.load);
      rows.push([String(s.fields.date), names.get(exerciseId) ?? 'Unknown exercise', n, Number(f.reps), load, load === null ? '' : (str(f.loadUnit) ?? ''), num(f.rpe), str(f.note) ?? '', str(f.targetReps) ?? '', num(f.targetLoad)]);
    }
  }
  return toCsv(SET_COLUMNS, rows);
}

// Import

export interface ImportRowError {
  row: number;
  column: string | null;
  message: string;
}

interface ParsedRx {
  exerciseName: string;
  order: number | null;
  line: number;
  fields: Omit<Fields, 'workoutId' | 'exerciseId' | 'position'>;
}

interface ParsedWorkout {
  week: number;
  day: number;
  title: string;
  notes: string | null;
  prescriptions: ParsedRx[];
}

export interface ParsedProgram {
  preview: ProgramImportPreview;
  workouts: ParsedWorkout[];
}

const MAX_ERRORS = 50;

/** A value of a cell, or the words of why not. */
type Cell<T> = { ok: true; value: T } | { ok: false; message: string };

const quote = (raw: string) => `'${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}'`;

function wholeIn(raw: string, min: number, max: number): Cell<number> {
  if (!/^[+-]?\d+$/.test(raw)) return { ok: false, message: `${quote(raw)} is not a whole number` };
  const n = Number(raw);
  if (n < min) return { ok: false, message: `${quote(raw)} must be at least ${min}` };
  if (n > max) return { ok: false, message: `${quote(raw)} must be at most ${max}` };
  return { ok: true, value: n };
}

function numberIn(raw: string, min: number, max: number): Cell<number> {
  const normal = raw.replace(/^(\d+),(\d+)$/, '$1.$2'); // a decimal comma, as some spreadsheets write it
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(normal)) return { ok: false, message: `${quote(raw)} is not a number` };
  const n = Number(normal);
  if (n < min) return { ok: false, message: `${quote(raw)} must be at least ${min}` };
  if (n > max) return { ok: false, message: `${quote(raw)} must be at most ${max}` };
  return { ok: true, value: n };
}

function textUpTo(raw: string, max: number): Cell<string> {
  return raw.length > max ? { ok: false, message: `is ${raw.length} characters long; at most ${max} are allowed` } : { ok: true, value: raw };
}

function dayOf(raw: string): Cell<number> {
  const named = DAY_NAMES.findIndex((d) => d.toLowerCase() === raw.slice(0, 3).toLowerCase() && raw.length >= 3);
  if (named >= 0 && !/^\d/.test(raw)) return { ok: true, value: named + 1 };
  const n = wholeIn(raw, 1, 7);
  return n.ok ? n : { ok: false, message: `${quote(raw)} is not a day (1 to 7, or Mon to Sun)` };
}

function repsOf(raw: string): Cell<string> {
  const value = raw.toUpperCase() === 'AMRAP' ? 'AMRAP' : raw.replace(/\s*[–—]\s*|\s+-\s+/g, '-');
  if (!REPS_RE.test(value)) return { ok: false, message: `${quote(raw)} is not reps: a whole number like 5, a range like 8-10, or AMRAP` };
  const r = FIELD_SCHEMAS.prescription.shape.reps.safeParse(value);
  return r.success ? { ok: true, value } : { ok: false, message: `${quote(raw)}: ${r.error.issues[0]?.message ?? 'is not reps'}` };
}

function unitOf(raw: string): Cell<'kg' | 'lb' | '%1rm'> {
  const u = raw.toLowerCase().replace(/\s+/g, '');
  if (u === 'kg' || u === 'kgs') return { ok: true, value: 'kg' };
  if (u === 'lb' || u === 'lbs') return { ok: true, value: 'lb' };
  if (u === '%' || u === '%1rm') return { ok: true, value: '%1rm' };
  return { ok: false, message: `${quote(raw)} is not a unit: kg, lb or %1RM` };
}

function kindOf(raw: string): Cell<'reps' | 'time' | 'distance'> {
  const k = raw.toLowerCase();
  if (k === 'reps' || k === 'time' || k === 'distance') return { ok: true, value: k };
  return { ok: false, message: `${quote(raw)} is not a kind: reps, time or distance` };
}

const schemeList = z.array(schemePart).min(1).max(12);
function schemeOf(raw: string): Cell<z.infer<typeof schemeList>> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, message: `${quote(raw)} is not a scheme as CoachDesk exports it (JSON)` };
  }
  const r = schemeList.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, message: `part ${issue.path.join('.')} ${issue.message}` };
  }
  return { ok: true, value: r.data };
}

const header = (name: string) => name.trim().toLowerCase().replace(/[_\s]+/g, ' ').replace(/^rest( \(s\)| sec| seconds)?$/, 'rest s');

/**
 * Reads a program's CSV (the export's columns; `week`, `day`, `workout`, `exercise`, `sets` and
 * `reps` must be there) against the coach's exercise library. Every row is checked and every
 * problem named by row (as a spreadsheet numbers it: the header is row 1) and column. The preview
 * says what an import would create; `workouts` is only for an import without errors.
 */
export function parseProgramCsv(text: string, library: Exercise[]): ParsedProgram {
  const errors: ImportRowError[] = [];
  let moreErrors = 0;
  const fail = (row: number, column: string | null, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ row, column, message: column ? `row ${row}, column ${column}: ${message}` : `row ${row}: ${message}` });
    else moreErrors++;
  };
  const empty = (extra: Partial<ProgramImportPreview> = {}): ParsedProgram => ({
    preview: { ok: false, rows: 0, weeks: 0, days: 0, workouts: 0, prescriptions: 0, exercises: [], newExercises: [], errors, moreErrors, outline: [], ...extra },
    workouts: [],
  });

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_IMPORT_BYTES) {
    errors.push({ row: 0, column: null, message: `the file is ${(bytes / 1024).toFixed(0)} KB; CoachDesk imports CSV files of at most ${MAX_IMPORT_BYTES / 1024} KB (split the program, or leave out the notes)` });
    return empty();
  }
  let table: string[][];
  try {
    table = parseCsv(text);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    errors.push({ row: error.row, column: null, message: error.message });
    return empty();
  }
  // Blank lines (a spreadsheet's trailing ones) are not rows of the program.
  const isBlank = (r: string[]) => r.every((f) => f.trim() === '');
  const headerRow = table[0];
  if (!headerRow || isBlank(headerRow)) {
    errors.push({ row: 1, column: null, message: `the file is empty: the first row must name the columns (${PROGRAM_COLUMNS.join(', ')})` });
    return empty();
  }
  const index = new Map<ProgramColumn, number>();
  headerRow.forEach((name, i) => {
    const known = PROGRAM_COLUMNS.find((c) => c.toLowerCase() === header(name));
    if (known && !index.has(known)) index.set(known, i);
  });
  const missing = (['week', 'day', 'workout', 'exercise', 'sets', 'reps'] as const).filter((c) => !index.has(c));
  if (missing.length) {
    errors.push({ row: 1, column: null, message: `row 1: the column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing (the first row must name the columns: ${PROGRAM_COLUMNS.join(', ')})` });
    return empty();
  }

  const byName = new Map(library.map((e) => [e.name.trim().toLowerCase(), e]));
  const newNames = new Map<string, string>();
  const usedNames = new Map<string, string>();
  const workouts = new Map<string, ParsedWorkout>();
  let rowCount = 0;

  for (let r = 1; r < table.length; r++) {
    const cells = table[r]!;
    if (isBlank(cells)) continue;
    rowCount++;
    const line = r + 1;
    const raw = (c: ProgramColumn) => {
      const i = index.get(c);
      return i === undefined ? '' : unguardCell((cells[i] ?? '').trim());
    };
    const before = errors.length + moreErrors;
    const take = <T>(column: ProgramColumn, cell: Cell<T>): T | undefined => {
      if (cell.ok) return cell.value;
      fail(line, column, cell.message);
      return undefined;
    };
    const optional = <T>(column: ProgramColumn, read: (s: string) => Cell<T>): T | null | undefined => (raw(column) === '' ? null : take(column, read(raw(column))));
    const required = <T>(column: ProgramColumn, read: (s: string) => Cell<T>): T | undefined => {
      if (raw(column) === '') {
        fail(line, column, 'is empty');
        return undefined;
      }
      return take(column, read(raw(column)));
    };

    const week = required('week', (s) => wholeIn(s, 1, 104));
    const day = required('day', dayOf);
    const title = take('workout', textUpTo(raw('workout'), 200));
    const workoutNotes = optional('workout notes', (s) => textUpTo(s, 10_000));
    const exerciseName = raw('exercise');
    let rx: ParsedRx | undefined;
    if (exerciseName === '') {
      const stray = (['sets', 'reps', 'load', 'RPE', 'notes', 'scheme'] as const).find((c) => raw(c) !== '');
      if (stray) fail(line, 'exercise', `is empty, but the row has ${stray}: name the exercise`);
    } else {
      const name = take('exercise', textUpTo(exerciseName, 200));
      const order = optional('order', (s) => numberIn(s, -1e6, 1e6));
      const sets = required('sets', (s) => wholeIn(s, 1, 100));
      const reps = required('reps', repsOf);
      const kind = optional('kind', kindOf);
      const load = optional('load', (s) => numberIn(s, 0, 10_000));
      const unit = optional('unit', unitOf);
      if (load !== null && load !== undefined && unit === null) fail(line, 'unit', 'is empty: a load needs its unit (kg, lb or %1RM)');
      const rpe = optional('RPE', (s) => numberIn(s.replace(/^@?rpe\s*/i, ''), 1, 10));
      const restSec = optional('rest s', (s) => wholeIn(s, 0, 3600));
      const tempo = optional('tempo', (s) => textUpTo(s, 20));
      const group = optional('group', (s) => textUpTo(s, 20));
      const notes = optional('notes', (s) => textUpTo(s, 10_000));
      const scheme = optional('scheme', schemeOf);
      if (name !== undefined && sets !== undefined && reps !== undefined) {
        const fields: ParsedRx['fields'] = { sets, reps };
        if (kind && kind !== 'reps') fields.kind = kind;
        if (load !== null && load !== undefined && unit) {
          fields.load = load;
          fields.loadUnit = unit;
        }
        if (rpe) fields.rpe = rpe;
        if (restSec !== null && restSec !== undefined) fields.restSec = restSec;
        if (tempo) fields.tempo = tempo;
        if (group) fields.group = group;
        if (notes) fields.notes = notes;
        if (scheme) fields.scheme = scheme;
        rx = { exerciseName: name, order: order ?? null, line, fields };
      }
    }
    if (errors.length + moreErrors > before || week === undefined || day === undefined || title === undefined) continue;
    const key = `${week}/${day}/${title.toLowerCase()}`;
    let workout = workouts.get(key);
    if (!workout) {
      workout = { week, day, title, notes: null, prescriptions: [] };
      workouts.set(key, workout);
    }
    if (workoutNotes && !workout.notes) workout.notes = workoutNotes;
    if (rx) {
      workout.prescriptions.push(rx);
      const k = rx.exerciseName.toLowerCase();
      const known = byName.get(k);
      usedNames.set(k, known?.name ?? usedNames.get(k) ?? rx.exerciseName);
      if (!known && !newNames.has(k)) newNames.set(k, rx.exerciseName);
    }
  }
  if (rowCount === 0 && errors.length === 0) errors.push({ row: 2, column: null, message: 'the file has a header row but no workouts' });

  const list = [...workouts.values()].sort((a, b) => a.week - b.week || a.day - b.day);
  for (const w of list) w.prescriptions.sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity) || a.line - b.line);
  const ok = errors.length === 0;
  const days = new Set(list.map((w) => `${w.week}/${w.day}`)).size;
  const outline = new Map<number, ProgramImportPreview['outline'][number]>();
  for (const w of list) {
    const week = outline.get(w.week) ?? { week: w.week, workouts: [] };
    week.workouts.push({ day: w.day, title: w.title, exercises: w.prescriptions.map((p) => usedNames.get(p.exerciseName.toLowerCase()) ?? p.exerciseName) });
    outline.set(w.week, week);
  }
  return {
    preview: {
      ok,
      rows: rowCount,
      weeks: list.length ? Math.max(...list.map((w) => w.week)) : 0,
      days,
      workouts: list.length,
      prescriptions: list.reduce((n, w) => n + w.prescriptions.length, 0),
      exercises: [...usedNames.values()].sort((a, b) => a.localeCompare(b)),
      newExercises: [...newNames.values()].sort((a, b) => a.localeCompare(b)),
      errors,
      moreErrors,
      outline: [...outline.values()],
    },
    workouts: ok ? list : [],
  };
}

/**
 * The edits that create a parsed program: the exercises not in the library, the program, its
 * workouts (in file order within a day) and prescriptions (by the order column, then file order).
 */
export function importEdits(parsed: ParsedProgram, library: Exercise[], target: { coachId: string; traineeId: string | null; name: string; startDate: string | null }): { programId: string; edits: Edit[] } {
  const byName = new Map(library.map((e) => [e.name.trim().toLowerCase(), e.id]));
  const edits: Edit[] = [];
  for (const name of parsed.preview.newExercises) {
    const id = newId();
    byName.set(name.toLowerCase(), id);
    edits.push({ entity: 'exercise', id, action: 'put', fields: { coachId: target.coachId, name } });
  }
  const programId = newId();
  const program: Fields = { coachId: target.coachId, traineeId: target.traineeId, name: target.name, weeks: Math.max(1, parsed.preview.weeks) };
  if (target.startDate) program.startDate = target.startDate;
  edits.push({ entity: 'program', id: programId, action: 'put', fields: program });
  const positions = new Map<string, number>();
  for (const w of parsed.workouts) {
    const slot = `${w.week}/${w.day}`;
    const position = positions.get(slot) ?? 0;
    positions.set(slot, position + 1);
    const workoutId = newId();
    const fields: Fields = { programId, week: w.week, day: w.day, title: w.title, position };
    if (w.notes) fields.notes = w.notes;
    edits.push({ entity: 'workout', id: workoutId, action: 'put', fields });
    w.prescriptions.forEach((p, i) => {
      const exerciseId = byName.get(p.exerciseName.toLowerCase())!;
      edits.push({ entity: 'prescription', id: newId(), action: 'put', fields: { workoutId, exerciseId, position: i + 1, ...p.fields } });
    });
  }
  return { programId, edits };
}
