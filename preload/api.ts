// The one API between the coach's UI and the host services. The Electron preload exposes it as
// `window.coachdesk` over IPC; the web shell bridges the same methods over a local WebSocket.
// Types only: every side imports this file and nothing else of the others.

export type Units = 'kg' | 'lb';
export type LoadUnit = 'kg' | 'lb' | '%1rm';
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
  | { ok: false; error: 'unauthorized' | 'unreachable' | 'invalid' | 'not_a_coach' | 'damaged_database'; message: string };

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
  activeProgram: { id: string; name: string } | null;
  pending: boolean;
}

export interface Exercise {
  id: string;
  name: string;
  category: string | null;
  videoUrl: string | null;
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
  load: number | null;
  loadUnit: LoadUnit | null;
  rpe: number | null;
  restSec: number | null;
  tempo: string | null;
  notes: string | null;
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
  weekStartsOn: number;
  displayName: string | null;
}

export interface PrescriptionInput {
  exerciseId: string;
  sets: number;
  reps: string;
  load?: number | null;
  loadUnit?: LoadUnit | null;
  rpe?: number | null;
  restSec?: number | null;
  tempo?: string | null;
  notes?: string | null;
  group?: string | null;
}

export type PrescriptionPatch = Partial<PrescriptionInput>;

/** What changed, so a UI refreshes only what it shows. */
export type ChangeEvent = { kind: 'sync'; status: SyncStatus } | { kind: 'data'; entities: string[] };

/** Every operation the UI can ask for. Commands return once the edit is durably queued. */
export interface CoachDeskApi {
  getSession(): Promise<SessionInfo>;
  signIn(serverUrl: string, token: string): Promise<SignInResult>;
  signOut(): Promise<void>;

  getSyncStatus(): Promise<SyncStatus>;
  retryEdit(key: string): Promise<void>;
  discardEdit(key: string): Promise<void>;

  getRoster(includeArchived: boolean): Promise<RosterEntry[]>;
  saveTrainee(input: { id?: string; name: string; email?: string | null; notes?: string | null }): Promise<string>;
  setTraineeArchived(id: string, archived: boolean): Promise<void>;

  getExercises(): Promise<Exercise[]>;
  createExercise(input: { name: string; category?: string | null; videoUrl?: string | null }): Promise<Exercise>;

  getPrograms(): Promise<ProgramSummary[]>;
  getProgram(id: string): Promise<ProgramDetail | null>;
  createProgram(input: { name: string; weeks: number; traineeId: string | null; startDate?: string | null }): Promise<string>;
  updateProgram(id: string, patch: { name?: string; weeks?: number; notes?: string | null; startDate?: string | null }): Promise<void>;
  deleteProgram(id: string): Promise<void>;
  /** Copies a program (a template, usually) to a trainee with a start date; returns the new program's id. */
  assignProgram(programId: string, traineeId: string, startDate: string): Promise<string>;
  saveAsTemplate(programId: string, name: string): Promise<string>;

  addWorkout(programId: string, week: number, day: number, title: string): Promise<string>;
  updateWorkout(id: string, patch: { title?: string; notes?: string | null }): Promise<void>;
  deleteWorkout(id: string): Promise<void>;
  copyDay(workoutId: string, toWeek: number, toDay: number): Promise<string>;
  copyWeek(programId: string, fromWeek: number, toWeeks: number[]): Promise<void>;

  addPrescription(workoutId: string, input: PrescriptionInput, afterId?: string | null): Promise<string>;
  updatePrescription(id: string, patch: PrescriptionPatch): Promise<void>;
  deletePrescription(id: string): Promise<void>;
  movePrescription(id: string, direction: -1 | 1): Promise<void>;

  getTraineeActivity(traineeId: string): Promise<TraineeActivity | null>;

  getSettings(): Promise<Settings>;
  updateSettings(patch: Partial<Settings>): Promise<void>;

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
  'retryEdit',
  'discardEdit',
  'getRoster',
  'saveTrainee',
  'setTraineeArchived',
  'getExercises',
  'createExercise',
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
  'addPrescription',
  'updatePrescription',
  'deletePrescription',
  'movePrescription',
  'getTraineeActivity',
  'getSettings',
  'updateSettings',
];

/** Errors cross the bridge as this shape; the message is meant for the coach. */
export interface ApiError {
  message: string;
}
