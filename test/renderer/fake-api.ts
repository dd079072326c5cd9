// An in-memory CoachDeskApi for renderer tests: it records every call, applies edits at once
// (as the host does, optimistically) and announces them with a data event. Tests only.
import type {
  ChangeEvent,
  CoachDeskApi,
  CopyMode,
  Exercise,
  LibraryExercise,
  MaxInput,
  Progression,
  TraineeMaxes,
  UndoState,
  UpdateState,
  LoggedSession,
  PrescriptionInput,
  PrescriptionPatch,
  ProgramDetail,
  ProgramSummary,
  RosterEntry,
  SessionInfo,
  Settings,
  SignInResult,
  SyncStatus,
  TraineeActivity,
  TraineeProgress,
  ProgressOptions,
  TraineeAccessEntry,
  TraineeInvite,
  AccessRevoked,
  Workout,
  Prescription,
  ExportFile,
  ProgramImportPreview,
  ProgramImportTarget,
} from '../../preload/api.ts';

export interface Call {
  method: string;
  args: unknown[];
}

const clone = <T>(value: T): T => structuredClone(value);

export const COACH_SESSION: SessionInfo = { signedIn: true, serverUrl: 'ws://127.0.0.1:8787/sync', userId: 'coach-1', role: 'coach' };

export class FakeApi implements CoachDeskApi {
  calls: Call[] = [];
  session: SessionInfo = { signedIn: false, serverUrl: null, userId: null, role: null };
  /** Tokens the fake server knows; any other is refused. */
  tokens = new Set(['good-token']);
  sync: SyncStatus = { connection: 'synced', pendingCount: 0, pending: [], failed: [], journal: [], lastSyncAt: null, error: null };
  roster: RosterEntry[] = [];
  exercises: Exercise[] = [];
  programs: ProgramDetail[] = [];
  sessions = new Map<string, { workoutId: string | null; session: LoggedSession }[]>();
  settings: Settings = { units: 'kg', weekStartsOn: 1, displayName: 'Ana', plateIncrement: 2.5, e1rmFormula: 'epley' };
  /** What getProgress answers per trainee (absent: null, as for a client gone). */
  progress = new Map<string, TraineeProgress>();
  maxes: TraineeMaxes['maxes'] = [];
  update: UpdateState = { status: 'off', reason: 'renderer tests' };
  /** What the fake sync server knows of each trainee's app access (absent: never invited). */
  access = new Map<string, TraineeAccessEntry>();
  /** When set, the three access calls fail with this message, as the host's refusals do. */
  accessFailure: string | null = null;
  /** When the fake's invites expire. */
  inviteExpiresAt = '2025-12-01T14:02:00.000Z';
  /** Snapshots before each edit, for undo (the host computes inverse edits; the fake restores). */
  private history: Array<{ label: string; state: string }> = [];
  private redone: Array<{ label: string; state: string }> = [];
  /** Announce a data event after every edit, as the host does. */
  announce = true;
  /** Answer reads after this many ms (0: on the next microtask). */
  delayMs = 0;
  private listeners = new Set<(event: ChangeEvent) => void>();
  private nextId = 1;

  id(prefix: string): string {
    return `${prefix}-${this.nextId++}`;
  }

  emit(event: ChangeEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Calls of one method, in order. */
  callsTo(method: keyof CoachDeskApi): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  private snapshot(): string {
    return JSON.stringify({ programs: this.programs, roster: this.roster, exercises: this.exercises, maxes: this.maxes });
  }

  private restore(state: string): void {
    Object.assign(this, JSON.parse(state));
  }

  private async record<T>(method: string, args: unknown[], run: () => T, touches: string[] = []): Promise<T> {
    this.calls.push({ method, args: clone(args) });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    else await Promise.resolve();
    const before = touches.length ? this.snapshot() : undefined;
    const result = run();
    if (before !== undefined) {
      this.history.push({ label: method, state: before });
      this.redone = [];
    }
    if (touches.length && this.announce) queueMicrotask(() => this.emit({ kind: 'data', entities: touches }));
    return clone(result);
  }

  private findWorkout(id: string): { program: ProgramDetail; workout: Workout } {
    for (const program of this.programs) {
      const workout = program.workouts.find((w) => w.id === id);
      if (workout) return { program, workout };
    }
    throw new Error(`no workout ${id}`);
  }

  private findPrescription(id: string): { workout: Workout; rx: Prescription } {
    for (const program of this.programs)
      for (const workout of program.workouts) {
        const rx = workout.prescriptions.find((p) => p.id === id);
        if (rx) return { workout, rx };
      }
    throw new Error(`no prescription ${id}`);
  }

  private program(id: string): ProgramDetail {
    const program = this.programs.find((p) => p.id === id);
    if (!program) throw new Error(`no program ${id}`);
    return program;
  }

  private renumber(workout: Workout): void {
    workout.prescriptions.forEach((p, i) => (p.position = i));
  }

  private sortWorkouts(program: ProgramDetail): void {
    program.workouts.sort((a, b) => a.week - b.week || a.day - b.day);
  }

  // --- session ---
  getSession() {
    return this.record('getSession', [], () => this.session);
  }
  signIn(serverUrl: string, token: string) {
    return this.record('signIn', [serverUrl, token], (): SignInResult => {
      if (serverUrl.includes('nowhere')) return { ok: false, error: 'unreachable', message: `cannot reach ${serverUrl}` };
      if (!this.tokens.has(token)) return { ok: false, error: 'unauthorized', message: 'the server refused this token (unknown or revoked)' };
      this.session = { ...COACH_SESSION, serverUrl };
      return { ok: true, session: this.session };
    });
  }
  signOut() {
    return this.record('signOut', [], () => {
      this.session = { signedIn: false, serverUrl: this.session.serverUrl, userId: null, role: null };
    });
  }

  // --- sync ---
  getSyncStatus() {
    return this.record('getSyncStatus', [], () => this.sync);
  }
  retryEdit(key: string) {
    return this.record('retryEdit', [key], () => {
      const edit = this.sync.failed.find((f) => f.key === key);
      this.sync = { ...this.sync, failed: this.sync.failed.filter((f) => f.key !== key) };
      if (edit) this.sync = { ...this.sync, pending: [...this.sync.pending, edit], pendingCount: this.sync.pendingCount + 1 };
    });
  }
  syncNow() {
    return this.record('syncNow', [], () => undefined);
  }
  private step(from: Array<{ label: string; state: string }>, to: Array<{ label: string; state: string }>): string | null {
    const last = from.pop();
    if (!last) return null;
    to.push({ label: last.label, state: this.snapshot() });
    this.restore(last.state);
    queueMicrotask(() => this.emit({ kind: 'data', entities: ['*'] }));
    return last.label;
  }
  undo() {
    return this.record('undo', [], () => this.step(this.history, this.redone));
  }
  redo() {
    return this.record('redo', [], () => this.step(this.redone, this.history));
  }
  getUpdateState() {
    return this.record('getUpdateState', [], () => this.update);
  }
  restartToUpdate() {
    return this.record('restartToUpdate', [], () => {
      if (this.update.status !== 'ready') throw new Error('there is no downloaded update to install yet');
    });
  }
  getUndoState() {
    return this.record('getUndoState', [], (): UndoState => ({ undo: this.history.at(-1)?.label ?? null, redo: this.redone.at(-1)?.label ?? null }));
  }
  discardEdit(key: string) {
    return this.record('discardEdit', [key], () => {
      this.sync = { ...this.sync, failed: this.sync.failed.filter((f) => f.key !== key) };
    });
  }

  // --- trainees ---
  getRoster(includeArchived: boolean) {
    return this.record('getRoster', [includeArchived], () => this.roster.filter((t) => includeArchived || !t.archived));
  }
  saveTrainee(input: { id?: string; name: string; email?: string | null; notes?: string | null }) {
    return this.record(
      'saveTrainee',
      [input],
      () => {
        const existing = input.id ? this.roster.find((t) => t.id === input.id) : undefined;
        if (existing) {
          Object.assign(existing, { name: input.name, email: input.email ?? null, notes: input.notes ?? null, pending: true });
          return existing.id;
        }
        const id = this.id('trainee');
        this.roster.push({ id, name: input.name, email: input.email ?? null, notes: input.notes ?? null, archived: false, lastSessionDate: null, compliance7: null, compliance30: null, complianceDrop: null, activeProgram: null, pending: true });
        return id;
      },
      ['trainee'],
    );
  }
  setTraineeArchived(id: string, archived: boolean) {
    return this.record(
      'setTraineeArchived',
      [id, archived],
      () => {
        const t = this.roster.find((x) => x.id === id);
        if (t) t.archived = archived;
      },
      ['trainee'],
    );
  }

  // --- exercises ---
  getExercises() {
    return this.record('getExercises', [], () => [...this.exercises].sort((a, b) => a.name.localeCompare(b.name)));
  }
  createExercise(input: { name: string; category?: string | null; videoUrl?: string | null }) {
    return this.record(
      'createExercise',
      [input],
      () => {
        const exercise: Exercise = { id: this.id('exercise'), name: input.name, category: input.category ?? null, videoUrl: input.videoUrl ?? null };
        this.exercises.push(exercise);
        return exercise;
      },
      ['exercise'],
    );
  }

  getExerciseLibrary() {
    return this.record('getExerciseLibrary', [], (): LibraryExercise[] =>
      [...this.exercises]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((e) => ({ ...e, notes: null, pending: false, uses: this.programs.flatMap((p) => p.workouts.flatMap((w) => w.prescriptions)).filter((r) => r.exerciseId === e.id).length })),
    );
  }
  updateExercise(id: string, patch: { name?: string; category?: string | null; videoUrl?: string | null }) {
    return this.record(
      'updateExercise',
      [id, patch],
      () => {
        if (patch.name && this.exercises.some((e) => e.id !== id && e.name.toLowerCase() === patch.name!.toLowerCase())) throw new Error(`there is already an exercise named ${patch.name}: merge the two instead`);
        Object.assign(this.exercises.find((e) => e.id === id)!, patch);
      },
      ['exercise'],
    );
  }
  mergeExercises(keepId: string, mergeIds: string[]) {
    return this.record(
      'mergeExercises',
      [keepId, mergeIds],
      () => {
        const keep = this.exercises.find((e) => e.id === keepId)!;
        for (const rx of this.programs.flatMap((p) => p.workouts.flatMap((w) => w.prescriptions))) if (mergeIds.includes(rx.exerciseId)) Object.assign(rx, { exerciseId: keepId, exerciseName: keep.name });
        this.exercises = this.exercises.filter((e) => !mergeIds.includes(e.id));
      },
      ['exercise', 'prescription'],
    );
  }

  // --- programs ---
  getPrograms() {
    return this.record('getPrograms', [], (): ProgramSummary[] =>
      this.programs.map(({ id, name, traineeId, traineeName, startDate, weeks, isTemplate }) => ({ id, name, traineeId, traineeName, startDate, weeks, isTemplate })),
    );
  }
  getProgram(id: string) {
    return this.record('getProgram', [id], () => this.programs.find((p) => p.id === id) ?? null);
  }
  createProgram(input: { name: string; weeks: number; traineeId: string | null; startDate?: string | null }) {
    return this.record(
      'createProgram',
      [input],
      () => {
        const id = this.id('program');
        const trainee = this.roster.find((t) => t.id === input.traineeId);
        this.programs.push({ id, name: input.name, weeks: input.weeks, traineeId: input.traineeId, traineeName: trainee?.name ?? null, startDate: input.startDate ?? null, isTemplate: input.traineeId === null, notes: null, workouts: [] });
        return id;
      },
      ['program'],
    );
  }
  updateProgram(id: string, patch: { name?: string; weeks?: number; notes?: string | null; startDate?: string | null }) {
    return this.record('updateProgram', [id, patch], () => void Object.assign(this.program(id), patch), ['program']);
  }
  deleteProgram(id: string) {
    return this.record('deleteProgram', [id], () => void (this.programs = this.programs.filter((p) => p.id !== id)), ['program']);
  }
  private copyProgram(source: ProgramDetail, patch: Partial<ProgramDetail>): string {
    const copy = clone(source);
    copy.id = this.id('program');
    Object.assign(copy, patch);
    for (const w of copy.workouts) {
      w.id = this.id('workout');
      for (const p of w.prescriptions) Object.assign(p, { id: this.id('rx'), workoutId: w.id });
    }
    this.programs.push(copy);
    return copy.id;
  }
  assignProgram(programId: string, traineeId: string, startDate: string) {
    return this.record(
      'assignProgram',
      [programId, traineeId, startDate],
      () => this.copyProgram(this.program(programId), { traineeId, traineeName: this.roster.find((t) => t.id === traineeId)?.name ?? null, startDate, isTemplate: false }),
      ['program', 'workout', 'prescription'],
    );
  }
  saveAsTemplate(programId: string, name: string) {
    return this.record('saveAsTemplate', [programId, name], () => this.copyProgram(this.program(programId), { name, traineeId: null, traineeName: null, startDate: null, isTemplate: true }), [
      'program',
      'workout',
      'prescription',
    ]);
  }

  // --- workouts ---
  addWorkout(programId: string, week: number, day: number, title: string) {
    return this.record(
      'addWorkout',
      [programId, week, day, title],
      () => {
        const program = this.program(programId);
        const id = this.id('workout');
        program.workouts.push({ id, week, day, title, notes: null, prescriptions: [], pending: true });
        this.sortWorkouts(program);
        return id;
      },
      ['workout'],
    );
  }
  updateWorkout(id: string, patch: { title?: string; notes?: string | null }) {
    return this.record('updateWorkout', [id, patch], () => void Object.assign(this.findWorkout(id).workout, patch), ['workout']);
  }
  deleteWorkout(id: string) {
    return this.record(
      'deleteWorkout',
      [id],
      () => {
        const { program } = this.findWorkout(id);
        program.workouts = program.workouts.filter((w) => w.id !== id);
      },
      ['workout'],
    );
  }
  copyDay(workoutId: string, toWeek: number, toDay: number, mode: CopyMode) {
    return this.record(
      'copyDay',
      [workoutId, toWeek, toDay, mode],
      () => {
        const { program, workout } = this.findWorkout(workoutId);
        if (mode === 'replace') program.workouts = program.workouts.filter((w) => w.id === workoutId || w.week !== toWeek || w.day !== toDay);
        const copy = clone(workout);
        copy.id = this.id('workout');
        Object.assign(copy, { week: toWeek, day: toDay });
        for (const p of copy.prescriptions) Object.assign(p, { id: this.id('rx'), workoutId: copy.id });
        program.workouts.push(copy);
        this.sortWorkouts(program);
        return copy.id;
      },
      ['workout', 'prescription'],
    );
  }
  copyWeek(programId: string, fromWeek: number, toWeeks: number[], options: { mode: CopyMode; progression?: Progression | null }) {
    return this.record(
      'copyWeek',
      [programId, fromWeek, toWeeks, options],
      () => {
        const program = this.program(programId);
        if (options.mode === 'replace') program.workouts = program.workouts.filter((w) => !toWeeks.includes(w.week) || w.week === fromWeek);
        for (const week of toWeeks)
          for (const w of program.workouts.filter((x) => x.week === fromWeek)) {
            const copy = clone(w);
            copy.id = this.id('workout');
            copy.week = week;
            for (const p of copy.prescriptions) Object.assign(p, { id: this.id('rx'), workoutId: copy.id });
            program.workouts.push(copy);
          }
        this.sortWorkouts(program);
      },
      ['workout', 'prescription'],
    );
  }

  progressRows(workoutId: string, rxIds: string[], toWeeks: number[], progression: Progression) {
    return this.record('progressRows', [workoutId, rxIds, toWeeks, progression], () => ({ changed: 0, missing: [] as string[] }), ['prescription']);
  }

  // --- prescriptions ---
  addPrescription(workoutId: string, input: PrescriptionInput, afterId?: string | null) {
    return this.record(
      'addPrescription',
      [workoutId, input, afterId ?? null],
      () => {
        const { workout } = this.findWorkout(workoutId);
        const exercise = this.exercises.find((e) => e.id === input.exerciseId);
        const rx: Prescription = {
          id: this.id('rx'),
          workoutId,
          exerciseId: input.exerciseId,
          exerciseName: exercise?.name ?? '?',
          position: 0,
          group: input.group ?? null,
          sets: input.sets,
          reps: input.reps,
          kind: input.kind ?? 'reps',
          scheme: input.scheme ?? null,
          percentOf: null,
          load: input.load ?? null,
          loadUnit: input.loadUnit ?? null,
          rpe: input.rpe ?? null,
          restSec: input.restSec ?? null,
          tempo: input.tempo ?? null,
          notes: input.notes ?? null,
          pending: true,
        };
        const at = afterId ? workout.prescriptions.findIndex((p) => p.id === afterId) + 1 : workout.prescriptions.length;
        workout.prescriptions.splice(at > 0 ? at : workout.prescriptions.length, 0, rx);
        this.renumber(workout);
        return rx.id;
      },
      ['prescription'],
    );
  }
  updatePrescription(id: string, patch: PrescriptionPatch) {
    return this.record(
      'updatePrescription',
      [id, patch],
      () => {
        const { rx } = this.findPrescription(id);
        Object.assign(rx, patch, { pending: true, kind: patch.kind ?? rx.kind });
        if (patch.exerciseId) rx.exerciseName = this.exercises.find((e) => e.id === patch.exerciseId)?.name ?? '?';
      },
      ['prescription'],
    );
  }
  deletePrescription(id: string) {
    return this.record(
      'deletePrescription',
      [id],
      () => {
        const { workout } = this.findPrescription(id);
        workout.prescriptions = workout.prescriptions.filter((p) => p.id !== id);
        this.renumber(workout);
      },
      ['prescription'],
    );
  }
  movePrescription(id: string, direction: -1 | 1) {
    return this.record(
      'movePrescription',
      [id, direction],
      () => {
        const { workout } = this.findPrescription(id);
        const i = workout.prescriptions.findIndex((p) => p.id === id);
        const j = i + direction;
        if (j < 0 || j >= workout.prescriptions.length) return;
        const list = workout.prescriptions;
        [list[i], list[j]] = [list[j]!, list[i]!];
        this.renumber(workout);
      },
      ['prescription'],
    );
  }

  // --- activity ---
  getTraineeActivity(traineeId: string) {
    return this.record('getTraineeActivity', [traineeId], (): TraineeActivity | null => {
      const trainee = this.roster.find((t) => t.id === traineeId);
      if (!trainee) return null;
      const program = this.programs.find((p) => p.traineeId === traineeId) ?? null;
      const logged = this.sessions.get(traineeId) ?? [];
      const workouts = (program?.workouts ?? []).map((workout) => ({
        workout,
        plannedDate: program?.startDate ? addDays(program.startDate, (workout.week - 1) * 7 + workout.day - 1) : null,
        sessions: logged.filter((l) => l.workoutId === workout.id).map((l) => l.session),
      }));
      const { id, name, email, notes, archived } = trainee;
      return {
        trainee: { id, name, email, notes, archived },
        program: program && { id: program.id, name: program.name, traineeId: program.traineeId, traineeName: program.traineeName, startDate: program.startDate, weeks: program.weeks, isTemplate: program.isTemplate },
        workouts,
        otherSessions: logged.filter((l) => !program?.workouts.some((w) => w.id === l.workoutId)).map((l) => l.session),
      };
    });
  }

  // --- maxes ---
  getProgress(traineeId: string, options?: ProgressOptions) {
    return this.record('getProgress', options === undefined ? [traineeId] : [traineeId, options], () => this.progress.get(traineeId) ?? null);
  }
  getMaxes(traineeId: string) {
    return this.record('getMaxes', [traineeId], (): TraineeMaxes => ({ traineeId, maxes: this.maxes.filter((m) => m.traineeId === traineeId), estimates: [] }));
  }
  saveMax(input: MaxInput) {
    return this.record(
      'saveMax',
      [input],
      () => {
        const id = input.id ?? this.id('max');
        const exerciseName = this.exercises.find((e) => e.id === input.exerciseId)?.name ?? '?';
        this.maxes = [{ id, exerciseName, source: 'entered', notes: null, pending: true, ...input }, ...this.maxes.filter((m) => m.id !== id)] as TraineeMaxes['maxes'];
        return id;
      },
      ['max'],
    );
  }
  deleteMax(id: string) {
    return this.record('deleteMax', [id], () => void (this.maxes = this.maxes.filter((m) => m.id !== id)), ['max']);
  }

  // --- settings ---
  getSettings() {
    return this.record('getSettings', [], () => this.settings);
  }
  updateSettings(patch: Partial<Settings>) {
    return this.record('updateSettings', [patch], () => void (this.settings = { ...this.settings, ...patch }), ['settings']);
  }

  // --- trainee app access (the host asks the sync server) ---
  private accessRefused(): void {
    if (this.accessFailure) throw Object.assign(new Error(this.accessFailure), { code: 'refused' });
  }
  inviteTrainee(traineeId: string) {
    return this.record('inviteTrainee', [traineeId], (): TraineeInvite => {
      this.accessRefused();
      if (!this.roster.some((t) => t.id === traineeId)) throw Object.assign(new Error('this client no longer exists'), { code: 'refused' });
      const code = `code${this.nextId++}AbC_d-e`;
      const before = this.access.get(traineeId);
      this.access.set(traineeId, { traineeId, devices: before?.devices ?? 0, lastSeenAt: before?.lastSeenAt ?? null, invited: { createdAt: '2025-11-24T14:02:00.000Z', expiresAt: this.inviteExpiresAt } });
      return { code, url: `https://sync.example.com/join#${code}`, expiresAt: this.inviteExpiresAt };
    });
  }
  getTraineeAccess() {
    return this.record('getTraineeAccess', [], (): TraineeAccessEntry[] => {
      this.accessRefused();
      return [...this.access.values()];
    });
  }
  revokeTraineeAccess(traineeId: string) {
    return this.record('revokeTraineeAccess', [traineeId], (): AccessRevoked => {
      this.accessRefused();
      const before = this.access.get(traineeId);
      this.access.delete(traineeId);
      return { revokedTokens: before?.devices ?? 0, cancelledInvites: before?.invited ? 1 : 0 };
    });
  }
  /** What the export calls answer: a tiny file named after the program or client (renderer tests check the download, not the bytes). */
  exportProgramPdf(programId: string) {
    return this.record('exportProgramPdf', [programId], (): ExportFile => ({ fileName: `${this.programs.find((p) => p.id === programId)?.name ?? 'program'}.pdf`, mimeType: 'application/pdf', base64: btoa('%PDF-1.4 fake') }));
  }
  getProgramPrintHtml(programId: string) {
    return this.record('getProgramPrintHtml', [programId], () => `<!doctype html><html><head><style>h1{color:#123}</style></head><body><h1>${this.programs.find((p) => p.id === programId)?.name ?? ''}</h1></body></html>`);
  }
  exportProgramCsv(programId: string) {
    return this.record('exportProgramCsv', [programId], (): ExportFile => ({ fileName: `${this.programs.find((p) => p.id === programId)?.name ?? 'program'}.csv`, mimeType: 'text/csv;charset=utf-8', base64: btoa('week,day\r\n') }));
  }
  exportLoggedSetsCsv(traineeId: string) {
    return this.record('exportLoggedSetsCsv', [traineeId], (): ExportFile => ({ fileName: `${this.roster.find((t) => t.id === traineeId)?.name ?? 'client'} logged sets.csv`, mimeType: 'text/csv;charset=utf-8', base64: btoa('date,exercise\r\n') }));
  }
  /** What previewProgramImport answers (set by a test); absent: an empty file's errors. */
  importPreview: ProgramImportPreview | null = null;
  previewProgramImport(csv: string) {
    return this.record('previewProgramImport', [csv], (): ProgramImportPreview => this.importPreview ?? { ok: false, rows: 0, weeks: 0, days: 0, workouts: 0, prescriptions: 0, exercises: [], newExercises: [], errors: [{ row: 1, column: null, message: 'the file is empty' }], moreErrors: 0, outline: [] });
  }
  importProgram(csv: string, target: ProgramImportTarget) {
    return this.record(
      'importProgram',
      [csv, target],
      () => {
        const id = `program-imported-${this.programs.length + 1}`;
        const trainee = this.roster.find((t) => t.id === target.traineeId);
        this.programs.push({ id, name: target.name, traineeId: target.traineeId, traineeName: trainee?.name ?? null, startDate: target.startDate ?? null, weeks: this.importPreview?.weeks ?? 1, isTemplate: target.traineeId === null, notes: null, workouts: [] });
        return id;
      },
      ['program', 'workout', 'prescription', 'exercise'],
    );
  }

  /** A trainee's phone joins with their invite (as POST /api/join would). */
  joinDevice(traineeId: string, lastSeenAt?: string | null): void {
    const before = this.access.get(traineeId);
    this.access.set(traineeId, { traineeId, invited: null, devices: (before?.devices ?? 0) + 1, lastSeenAt: lastSeenAt === undefined ? (before?.lastSeenAt ?? null) : lastSeenAt });
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A signed-in coach with Ben, Chloe and (archived) Dev, a library, Ben's block and a template. */
export function seededApi(): FakeApi {
  const api = new FakeApi();
  api.session = { ...COACH_SESSION };
  api.sync = { connection: 'synced', pendingCount: 0, pending: [], failed: [], journal: [], lastSyncAt: '2025-11-24T14:02:00.000Z', error: null };
  const ex = (id: string, name: string, category: string): Exercise => ({ id, name, category, videoUrl: null });
  api.exercises = [ex('ex-squat', 'Back squat', 'squat'), ex('ex-bench', 'Bench press', 'push'), ex('ex-rdl', 'Romanian deadlift', 'hinge'), ex('ex-row', 'Barbell row', 'pull'), ex('ex-pullup', 'Pull-up', 'pull')];
  const entry = (id: string, name: string, extra: Partial<RosterEntry> = {}): RosterEntry => ({
    id,
    name,
    email: `${name.split(' ')[0]!.toLowerCase()}@example.com`,
    notes: null,
    archived: false,
    lastSessionDate: null,
    compliance7: null,
    compliance30: null,
    complianceDrop: null,
    activeProgram: null,
    pending: false,
    ...extra,
  });
  api.roster = [
    entry('t-ben', 'Ben Okafor', { lastSessionDate: '2025-11-21', compliance7: 0.67, compliance30: 0.9, complianceDrop: { days: 7, from: 1, to: 0.67 }, activeProgram: { id: 'p-block', name: 'Strength block 1' } }),
    entry('t-chloe', 'Chloe Martin', { compliance7: 1, compliance30: 0.75, lastSessionDate: '2025-11-23' }),
    entry('t-dev', 'Dev Patel', { archived: true }),
  ];
  const rx = (id: string, workoutId: string, position: number, exerciseId: string, sets: number, reps: string, load: number | null, extra: Partial<Prescription> = {}): Prescription => ({
    id,
    workoutId,
    exerciseId,
    exerciseName: api.exercises.find((e) => e.id === exerciseId)!.name,
    position,
    group: null,
    sets,
    reps,
    load,
    loadUnit: load === null ? null : 'kg',
    rpe: null,
    restSec: 120,
    tempo: null,
    notes: null,
    kind: 'reps',
    scheme: null,
    percentOf: null,
    pending: false,
    ...extra,
  });
  api.programs = [
    {
      id: 'p-block',
      name: 'Strength block 1',
      traineeId: 't-ben',
      traineeName: 'Ben Okafor',
      startDate: '2025-11-17',
      weeks: 4,
      isTemplate: false,
      notes: null,
      workouts: [
        { id: 'w-1-1', week: 1, day: 1, title: 'Lower A', notes: null, pending: false, prescriptions: [rx('rx-squat', 'w-1-1', 0, 'ex-squat', 5, '5', 100, { rpe: 7 }), rx('rx-rdl', 'w-1-1', 1, 'ex-rdl', 3, '8-10', 70)] },
        { id: 'w-1-3', week: 1, day: 3, title: 'Upper A', notes: null, pending: false, prescriptions: [rx('rx-bench', 'w-1-3', 0, 'ex-bench', 5, '5', 80), rx('rx-pullup', 'w-1-3', 1, 'ex-pullup', 3, 'AMRAP', null)] },
        { id: 'w-2-1', week: 2, day: 1, title: 'Lower A', notes: null, pending: false, prescriptions: [rx('rx-squat-2', 'w-2-1', 0, 'ex-squat', 5, '5', 102.5)] },
      ],
    },
    { id: 'p-template', name: 'Template: 3-day strength', traineeId: null, traineeName: null, startDate: null, weeks: 4, isTemplate: true, notes: null, workouts: [] },
  ];
  api.sessions.set('t-ben', [
    {
      workoutId: 'w-1-1',
      session: {
        id: 's-1',
        date: '2025-11-17',
        status: 'completed',
        rpe: 8,
        notes: 'Felt strong',
        sets: [
          { id: 'set-1', prescriptionId: 'rx-squat', exerciseId: 'ex-squat', exerciseName: 'Back squat', setIndex: 0, reps: 5, load: 100, loadUnit: 'kg', rpe: null, done: true, targetReps: '5', targetLoad: 100 },
          { id: 'set-2', prescriptionId: 'rx-squat', exerciseId: 'ex-squat', exerciseName: 'Back squat', setIndex: 1, reps: 4, load: 100, loadUnit: 'kg', rpe: 9, done: true, targetReps: '5', targetLoad: 100 },
        ],
      },
    },
  ]);
  return api;
}
