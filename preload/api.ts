// The one API between the coach's UI and the host services. The Electron preload exposes it as
// `window.coachdesk` over IPC; the web shell bridges the same methods over a local WebSocket.
// Types, and the list of methods: every side imports this file (the parameters' schemas are in
// api-params.ts) and nothing else of the others.
import type { ComplianceFigures, ComplianceWindow } from '../domain/analytics.ts';
import type { Progression } from '../domain/progression.ts';
import type { SchemePart } from '../protocol/entities.ts';

export type { ComplianceFigures, Progression, SchemePart };
export type Units = 'kg' | 'lb';
export type LoadUnit = 'kg' | 'lb' | '%1rm';
export type PrescriptionKind = 'reps' | 'time' | 'distance';
export type SessionStatus = 'planned' | 'in_progress' | 'completed' | 'skipped';
export type Connection = 'offline' | 'connecting' | 'syncing' | 'synced';

export interface SessionInfo {
  signedIn: boolean;
  serverUrl: string | null;
  userId: string | null;
  role: 'coach' | 'trainee' | null;
}

export type SignInResult =
  | { ok: true; session: SessionInfo }
  | { ok: false; error: 'unauthorized' | 'unreachable' | 'invalid' | 'not_a_coach' | 'damaged_database' | 'newer_database'; message: string };

export interface PendingEdit {
  key: string;
  seq: number;
  entity: string;
  rowId: string;
  action: 'put' | 'patch' | 'delete';
  at: string;
  /** What the edit is, in words (e.g. "Change Back squat in Week 1 · Mon"). */
  summary: string;
}

export interface FailedEdit extends PendingEdit {
  reason: string;
  message: string;
  failedAt: string;
}

export interface JournalItem {
  id: number;
  at: string;
  status: 'partial' | 'superseded';
  reason: string;
  /** What the server decided, in plain words. */
  text: string;
}

export interface SyncStatus {
  connection: Connection;
  pendingCount: number;
  pending: PendingEdit[];
  failed: FailedEdit[];
  journal: JournalItem[];
  lastSyncAt: string | null;
  error: { code: string; message: string } | null;
}

export interface Trainee {
  id: string;
  name: string;
  email: string | null;
  notes: string | null;
  archived: boolean;
}

export interface RosterEntry extends Trainee {
  lastSessionDate: string | null;
  /** Completed sessions / planned workouts over the last 7 and 30 days (0..1), null when none were planned. */
  compliance7: number | null;
  compliance30: number | null;
  /** The first of the 7- and 30-day windows whose sessions done / planned fell 20 points or more against the period before it. */
  complianceDrop: { days: number; from: number; to: number } | null;
  activeProgram: { id: string; name: string } | null;
  pending: boolean;
}

export interface Exercise {
  id: string;
  name: string;
  category: string | null;
  videoUrl: string | null;
}

/** An exercise as the library lists it. */
export interface LibraryExercise extends Exercise {
  notes: string | null;
  /** Prescriptions (in every program and template) that use it. */
  uses: number;
  pending: boolean;
}

export type MaxKind = '1rm' | 'tm';

export interface TrainingMax {
  id: string;
  traineeId: string;
  exerciseId: string;
  exerciseName: string;
  kind: MaxKind;
  value: number;
  unit: Units;
  date: string;
  source: 'entered' | 'estimated';
  notes: string | null;
  pending: boolean;
}

/** The best set a trainee logged of an exercise, as an estimated 1RM (Epley). */
export interface MaxEstimate {
  exerciseId: string;
  exerciseName: string;
  e1rm: number;
  unit: Units;
  date: string;
  reps: number;
  load: number;
}

export interface TraineeMaxes {
  traineeId: string;
  /** Newest first. The first of an exercise is its current max. */
  maxes: TrainingMax[];
  estimates: MaxEstimate[];
}

export interface MaxInput {
  id?: string;
  traineeId: string;
  exerciseId: string;
  kind: MaxKind;
  value: number;
  unit: Units;
  date: string;
  source?: 'entered' | 'estimated';
  notes?: string | null;
}

export interface Prescription {
  id: string;
  workoutId: string;
  exerciseId: string;
  exerciseName: string;
  position: number;
  group: string | null;
  sets: number;
  reps: string;
  kind: PrescriptionKind;
  load: number | null;
  loadUnit: LoadUnit | null;
  rpe: number | null;
  restSec: number | null;
  tempo: string | null;
  notes: string | null;
  scheme: SchemePart[] | null;
  /** For a %1RM load: the client's current max of this exercise it is taken of. */
  percentOf: { kind: MaxKind; value: number; unit: Units; date: string } | null;
  pending: boolean;
}

export interface Workout {
  id: string;
  week: number;
  day: number;
  title: string;
  notes: string | null;
  prescriptions: Prescription[];
  pending: boolean;
}

export interface ProgramSummary {
  id: string;
  name: string;
  traineeId: string | null;
  traineeName: string | null;
  startDate: string | null;
  weeks: number;
  isTemplate: boolean;
}

export interface ProgramDetail extends ProgramSummary {
  notes: string | null;
  /** Ordered by week, then day. */
  workouts: Workout[];
}

export interface SetLog {
  id: string;
  prescriptionId: string | null;
  exerciseId: string;
  exerciseName: string;
  setIndex: number;
  reps: number;
  load: number | null;
  loadUnit: string | null;
  rpe: number | null;
  done: boolean;
  targetReps: string | null;
  targetLoad: number | null;
}

export interface LoggedSession {
  id: string;
  date: string;
  status: SessionStatus;
  rpe: number | null;
  notes: string | null;
  sets: SetLog[];
}

export interface WorkoutActivity {
  workout: Workout;
  /** The date this workout falls on from the program's start date, if it has one. */
  plannedDate: string | null;
  sessions: LoggedSession[];
}

export interface TraineeActivity {
  trainee: Trainee;
  program: ProgramSummary | null;
  workouts: WorkoutActivity[];
  /** Sessions not tied to a workout of the program (free sessions, other programs). */
  otherSessions: LoggedSession[];
}

export interface Settings {
  units: Units;
  /** 0 = Sunday … 6 = Saturday. */
  weekStartsOn: number;
  displayName: string | null;
  /** What computed loads are rounded to, in `units`. */
  plateIncrement: number;
  /** How an estimated 1RM is computed from a set: Epley (the default) or Brzycki. */
  e1rmFormula: E1rmFormula;
}

export type E1rmFormula = 'epley' | 'brzycki';

/** Options of getProgress: `today` (YYYY-MM-DD) is the day the windows end on; the host's date by default. */
export interface ProgressOptions {
  today?: string;
}

/**
 * One exercise's estimated 1RM per session (its best set of 1–12 reps), columnar: index i of
 * every array is the same session. Loads and e1RMs are in `TraineeProgress.units`, one decimal.
 */
export interface E1rmSeries {
  exerciseId: string;
  exerciseName: string;
  category: string | null;
  dates: string[];
  e1rm: number[];
  /** The best so far, this session included. */
  best: number[];
  reps: number[];
  load: number[];
  /** Indexes of the sessions that set a new best (the first session is the baseline, not a PR). */
  prs: number[];
}

/** An exercise's best e1RM, when it was set and the set it came from. */
export interface ProgressBest {
  exerciseId: string;
  exerciseName: string;
  e1rm: number;
  date: string;
  reps: number;
  load: number;
}

/** Volume (Σ reps × load, in `units`) and hard sets, per week of `WeeklyProgress.weeks`. */
export interface ProgressSeries {
  key: string;
  name: string;
  volume: number[];
  hardSets: number[];
}

export interface WeeklyProgress {
  /** The first day of each week, oldest first, no gaps. */
  weeks: string[];
  total: ProgressSeries;
  exercises: ProgressSeries[];
  categories: ProgressSeries[];
}

export interface BlockProgress {
  /** Weeks per block; `program`: the active program's length from its start, else 4-week blocks ending this week. */
  weeks: number;
  basis: 'program' | 'four-weeks';
  programName: string | null;
  /** Oldest first; the last one holds today when `current`. */
  blocks: Array<{ start: string; end: string; current: boolean }>;
  /** Per block, parallel to `blocks`, with the change against the block before in % (null: nothing to compare). */
  rows: Array<{ kind: 'total' | 'category' | 'exercise'; key: string; name: string; volume: number[]; volumeChange: Array<number | null>; hardSets: number[]; hardSetsChange: Array<number | null> }>;
}

/** Compliance over one window of days, and the window just before it: as domain/analytics.ts computes it. */
export type ProgressCompliance = ComplianceWindow;

export interface ProgressDrift {
  exerciseId: string;
  exerciseName: string;
  /** Mean logged RPE − prescribed RPE over the recent sessions (one decimal; above 0: harder than planned). */
  meanDiff: number;
  sets: number;
  sessions: number;
  from: string;
  to: string;
}

/** A client's progress, computed on the host from the local replica. */
export interface TraineeProgress {
  traineeId: string;
  traineeName: string;
  units: Units;
  formula: E1rmFormula;
  today: string;
  /** Logged sets read. */
  setCount: number;
  /** One per exercise with an e1RM, most sessions first. */
  series: E1rmSeries[];
  best: ProgressBest[];
  weekly: WeeklyProgress;
  blocks: BlockProgress;
  compliance: ProgressCompliance[];
  drift: ProgressDrift[];
}

export interface PrescriptionInput {
  exerciseId: string;
  sets: number;
  reps: string;
  kind?: PrescriptionKind | null;
  scheme?: SchemePart[] | null;
  load?: number | null;
  loadUnit?: LoadUnit | null;
  rpe?: number | null;
  restSec?: number | null;
  tempo?: string | null;
  notes?: string | null;
  group?: string | null;
}

export type PrescriptionPatch = Partial<PrescriptionInput>;

/** A one-time invite for a trainee's phone: `url` is `<server>/join#<code>`, valid until `expiresAt`. */
export interface TraineeInvite {
  code: string;
  url: string;
  expiresAt: string;
}

/** What the sync server says about a trainee's app access. */
export interface TraineeAccessEntry {
  traineeId: string;
  /** The newest pending invite (not used, cancelled or expired), if any. */
  invited: { createdAt: string; expiresAt: string } | null;
  /** Devices signed in (tokens not revoked). */
  devices: number;
  /** When one of their devices was last connected, or null if never. */
  lastSeenAt: string | null;
}

export interface AccessRevoked {
  revokedTokens: number;
  cancelledInvites: number;
}

/** What Ctrl+Z and Ctrl+Shift+Z would do now, in words (null: nothing). */
export interface UndoState {
  undo: string | null;
  redo: string | null;
}

/** What copying onto days that already have workouts does to them. */
export type CopyMode = 'replace' | 'add';

/** A file the host made for the coach to save (a program's PDF, a CSV), its bytes in base64. */
export interface ExportFile {
  fileName: string;
  mimeType: string;
  base64: string;
}

/** What importing a program's CSV would create, or why it cannot (nothing is written unless `ok`). */
export interface ProgramImportPreview {
  ok: boolean;
  /** Rows read (blank lines and the header row not counted). */
  rows: number;
  weeks: number;
  /** Days with at least one workout, and workouts. */
  days: number;
  workouts: number;
  prescriptions: number;
  /** Every exercise the file names, as the library spells it. */
  exercises: string[];
  /** Exercises not in the library: the import creates them. */
  newExercises: string[];
  /** "row 7, column reps: 'five' is not reps: …"; `row` as a spreadsheet numbers it (the header is row 1). */
  errors: Array<{ row: number; column: string | null; message: string }>;
  /** Errors past the first 50, not listed. */
  moreErrors: number;
  outline: Array<{ week: number; workouts: Array<{ day: number; title: string; exercises: string[] }> }>;
}

/** Who an imported program is for, and what it is called. */
export interface ProgramImportTarget {
  traineeId: string | null;
  name: string;
  startDate?: string | null;
}

/**
 * What changed, so a UI refreshes only what it shows. `host` is the bridge's own: false when
 * the page lost its host (the web shell stopped), true when it is back.
 */
export type ChangeEvent =
  | { kind: 'sync'; status: SyncStatus }
  | { kind: 'data'; entities: string[] }
  | { kind: 'undo'; state: UndoState }
  | { kind: 'host'; connected: boolean; message?: string }
  | { kind: 'update'; state: UpdateState };

/**
 * The desktop app's own updates. `off` in the web shell and when running from source; otherwise
 * checked on start and every few hours, downloaded in the background, installed on "Restart to
 * update" or when the app quits.
 */
export type UpdateState =
  | { status: 'off'; reason: string }
  | { status: 'idle'; checkedAt: string | null }
  | { status: 'checking' }
  | { status: 'downloading'; version: string; percent: number }
  | { status: 'ready'; version: string }
  | { status: 'error'; message: string; checkedAt: string };

/** Every operation the UI can ask for. Commands return once the edit is durably queued. */
export interface CoachDeskApi {
  getSession(): Promise<SessionInfo>;
  signIn(serverUrl: string, token: string): Promise<SignInResult>;
  signOut(): Promise<void>;

  getSyncStatus(): Promise<SyncStatus>;
  /** Connects now instead of waiting for the next retry. */
  syncNow(): Promise<void>;
  retryEdit(key: string): Promise<void>;
  discardEdit(key: string): Promise<void>;

  /** Undoes the last edit made here (as new edits that sync like any other); null when there is none. */
  undo(): Promise<string | null>;
  redo(): Promise<string | null>;
  getUndoState(): Promise<UndoState>;

  getUpdateState(): Promise<UpdateState>;
  /** Quits and installs the downloaded update; refused when none is ready. Unsent edits stay in the local database. */
  restartToUpdate(): Promise<void>;

  getRoster(includeArchived: boolean): Promise<RosterEntry[]>;
  saveTrainee(input: { id?: string; name: string; email?: string | null; notes?: string | null }): Promise<string>;
  setTraineeArchived(id: string, archived: boolean): Promise<void>;

  /** The library, merged exercises left out. */
  getExercises(): Promise<Exercise[]>;
  getExerciseLibrary(): Promise<LibraryExercise[]>;
  createExercise(input: { name: string; category?: string | null; videoUrl?: string | null }): Promise<Exercise>;
  updateExercise(id: string, patch: { name?: string; category?: string | null; videoUrl?: string | null; notes?: string | null }): Promise<void>;
  /** Re-points every prescription and max of `mergeIds` to `keepId` and retires them, as one undoable step. */
  mergeExercises(keepId: string, mergeIds: string[]): Promise<void>;

  getPrograms(): Promise<ProgramSummary[]>;
  getProgram(id: string): Promise<ProgramDetail | null>;
  createProgram(input: { name: string; weeks: number; traineeId: string | null; startDate?: string | null }): Promise<string>;
  /** Fewer weeks than hold workouts is refused unless `removeLaterWeeks`, which deletes them in the same step. */
  updateProgram(id: string, patch: { name?: string; weeks?: number; notes?: string | null; startDate?: string | null }, options?: { removeLaterWeeks?: boolean }): Promise<void>;
  deleteProgram(id: string): Promise<void>;
  /** Copies a program (a template, usually) to a trainee with a start date; returns the new program's id. */
  assignProgram(programId: string, traineeId: string, startDate: string): Promise<string>;
  saveAsTemplate(programId: string, name: string): Promise<string>;

  addWorkout(programId: string, week: number, day: number, title: string): Promise<string>;
  updateWorkout(id: string, patch: { title?: string; notes?: string | null }): Promise<void>;
  deleteWorkout(id: string): Promise<void>;
  /** Copies a workout to a day: replacing the workouts there, or added beside them. Returns the copy's id. */
  copyDay(workoutId: string, toWeek: number, toDay: number, mode: CopyMode): Promise<string>;
  copyWeek(programId: string, fromWeek: number, toWeeks: number[], options: { mode: CopyMode; progression?: Progression | null }): Promise<void>;
  /**
   * Applies a progression from these rows of a workout to the same exercises on the same day of
   * other weeks. Returns what it changed and what it could not find.
   */
  progressRows(workoutId: string, rxIds: string[], toWeeks: number[], progression: Progression): Promise<{ changed: number; missing: string[] }>;

  addPrescription(workoutId: string, input: PrescriptionInput, afterId?: string | null): Promise<string>;
  updatePrescription(id: string, patch: PrescriptionPatch): Promise<void>;
  deletePrescription(id: string): Promise<void>;
  movePrescription(id: string, direction: -1 | 1): Promise<void>;

  getTraineeActivity(traineeId: string): Promise<TraineeActivity | null>;
  /** The client's progress from their logged sets (e1RM per exercise, volume, hard sets, compliance, RPE drift); null when the client no longer exists. */
  getProgress(traineeId: string, options?: ProgressOptions): Promise<TraineeProgress | null>;

  getMaxes(traineeId: string): Promise<TraineeMaxes>;
  saveMax(input: MaxInput): Promise<string>;
  deleteMax(id: string): Promise<void>;

  getSettings(): Promise<Settings>;
  updateSettings(patch: Partial<Settings>): Promise<void>;

  // Trainee app access: these ask the sync server, so they need a connection (offline: refused).
  /** Creates a one-time invite link for a trainee's phone (valid 7 days). */
  inviteTrainee(traineeId: string): Promise<TraineeInvite>;
  /** Every trainee of this coach the server knows, with their pending invite and devices. */
  getTraineeAccess(): Promise<TraineeAccessEntry[]>;
  /** Signs every device of the trainee out at once and cancels their pending invites. */
  revokeTraineeAccess(traineeId: string): Promise<AccessRevoked>;

  // Export and import
  /** The program as a printable A4 PDF (weeks × days, %1RM loads resolved for its client, page numbers). */
  exportProgramPdf(programId: string): Promise<ExportFile>;
  /** The same document as HTML (its print stylesheet inline), for printing from the page. */
  getProgramPrintHtml(programId: string): Promise<string>;
  /** The program's prescriptions as CSV (the columns the import reads). */
  exportProgramCsv(programId: string): Promise<ExportFile>;
  /** Every set the client logged, as CSV. */
  exportLoggedSetsCsv(traineeId: string): Promise<ExportFile>;
  /** Reads a program's CSV and says what importing it would create, or each row's problems. Writes nothing. */
  previewProgramImport(csv: string): Promise<ProgramImportPreview>;
  /** Creates a new program from a CSV the preview accepts, as one undoable step; returns its id. Refused, writing nothing, if any row is invalid. */
  importProgram(csv: string, target: ProgramImportTarget): Promise<string>;

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (event: ChangeEvent) => void): () => void;
}

/** The methods that are plain calls (all but the subscription), as bridged over IPC or WebSocket. */
export type ApiMethod = Exclude<keyof CoachDeskApi, 'onChange'>;

export const API_METHODS: readonly ApiMethod[] = [
  'getSession',
  'signIn',
  'signOut',
  'getSyncStatus',
  'syncNow',
  'retryEdit',
  'discardEdit',
  'undo',
  'redo',
  'getUndoState',
  'getUpdateState',
  'restartToUpdate',
  'getRoster',
  'saveTrainee',
  'setTraineeArchived',
  'getExercises',
  'getExerciseLibrary',
  'createExercise',
  'updateExercise',
  'mergeExercises',
  'getPrograms',
  'getProgram',
  'createProgram',
  'updateProgram',
  'deleteProgram',
  'assignProgram',
  'saveAsTemplate',
  'addWorkout',
  'updateWorkout',
  'deleteWorkout',
  'copyDay',
  'copyWeek',
  'progressRows',
  'addPrescription',
  'updatePrescription',
  'deletePrescription',
  'movePrescription',
  'getTraineeActivity',
  'getProgress',
  'getMaxes',
  'saveMax',
  'deleteMax',
  'getSettings',
  'updateSettings',
  'inviteTrainee',
  'getTraineeAccess',
  'revokeTraineeAccess',
  'exportProgramPdf',
  'getProgramPrintHtml',
  'exportProgramCsv',
  'exportLoggedSetsCsv',
  'previewProgramImport',
  'importProgram',
];

/**
 * Errors cross the bridge as this shape; the message is meant for the coach. `invalid`: a
 * parameter the schemas refuse (`field` names it); `refused`: the host would not do it (a row
 * gone, a rule); `too_large`: a request over the bridge's limit; `host_lost`: the page lost its
 * host; `internal`: a fault of ours, logged on the host side.
 */
export interface ApiError {
  message: string;
  code: 'invalid' | 'refused' | 'too_large' | 'host_lost' | 'internal';
  field?: string;
}

/** How a call's answer crosses IPC and the web shell's socket. */
export type ApiReply = { ok: true; value: unknown } | { ok: false; error: ApiError };

/** The largest request the bridges carry (the biggest legitimate one is a few notes of 10,000 characters). */
export const MAX_REQUEST_BYTES = 1024 * 1024;
