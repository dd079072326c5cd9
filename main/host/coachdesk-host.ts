import { openWebSocket } from '../sync/node-socket.ts';
import { openLocalStore } from '../sync/node-sqlite.ts';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Progression } from '../../domain/progression.ts';
import { newId, type Entity, type Fields } from '../../protocol/index.ts';
import type {
  AccessRevoked,
  ChangeEvent,
  CoachDeskApi,
  CopyMode,
  Exercise,
  LibraryExercise,
  MaxInput,
  PrescriptionInput,
  PrescriptionPatch,
  ProgressOptions,
  SessionInfo,
  Settings,
  SignInResult,
  SyncStatus,
  TraineeAccessEntry,
  TraineeInvite,
  TraineeMaxes,
  TraineeProgress,
  UndoState,
  UpdateState,
} from '../../preload/api.ts';
import { LocalStore, LocalStoreError, NewerDatabaseError, UnusableDatabaseError, type Edit } from '../../sync/local-store.ts';
import { probeServer } from '../sync/probe.ts';
import { SyncEngine } from '../../sync/sync-engine.ts';
import { describeJournal, describeOp, describeRow, LABELS, plural, slotName } from './describe.ts';
import { maxesOf } from './maxes.ts';
import {
  copyDayEdits,
  copyProgramEdits,
  copyWeekEdits,
  deleteWorkoutEdits,
  EditRefused,
  positionAfter,
  type Plates,
  prescriptionFields,
  progressRowsEdits,
  workoutsOn,
} from './program-edits.ts';
import { ProgressService } from './progress.ts';
import { CoachQueries, toExercise } from './queries.ts';
import { AccessRefused, inviteTrainee, revokeTraineeAccess, traineeAccess, type AccessContext } from './trainee-access.ts';
import { UndoHistory } from './undo-history.ts';
import { SessionFileStore, type SavedSession, type TokenVault } from './saved-session.ts';
import { UpdateRefused, updatesOff, type UpdateService } from './updates.ts';
import { chromiumPrinter, PdfUnavailable, type PdfPrinter } from '../desktop/pdf-chromium.ts';
import { fileNameOf, importEdits, loggedSetsCsv, parseProgramCsv, programCsv } from './program-csv.ts';
import { programPrintHtml } from './program-print.ts';
import type { ExportFile, ProgramDetail, ProgramImportPreview, ProgramImportTarget } from '../../preload/api.ts';

/** An error whose message is for the coach; it crosses IPC and the web bridge as is. */
export class HostError extends Error {}

interface Active {
  session: SavedSession;
  store: LocalStore;
  engine: SyncEngine;
  queries: CoachQueries;
  progress: ProgressService;
}

/**
 * The host services behind the UI: sign-in, the local store and sync engine of the signed-in
 * coach, the queries the screens need and the edits they make. Plain Node: the Electron IPC
 * adapter and the web shell both serve this one object.
 */
export class CoachDeskHost implements Omit<CoachDeskApi, 'onChange'> {
  private readonly events = new EventEmitter();
  private readonly sessions: SessionFileStore;
  private active: Active | undefined;
  private dataTimer: NodeJS.Timeout | undefined;
  private changedEntities = new Set<string>();
  private readonly history = new UndoHistory(() => this.need().store);

  constructor(
    readonly dataDir: string,
    vault: TokenVault,
    private readonly updates: UpdateService = updatesOff('this copy of CoachDesk runs from source'),
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.sessions = new SessionFileStore(dataDir, vault);
    updates.onChange((state) => this.emit({ kind: 'update', state }));
  }

  /** Resumes the saved session, offline or not: the local database is enough to work. */
  start(): void {
    const saved = this.sessions.load();
    if (!saved) return;
    try {
      this.activate(saved);
    } catch (error) {
      // A damaged (or newer) local database is refused, not replaced: the coach sees why at sign-in.
      if (!(error instanceof UnusableDatabaseError)) throw error;
      this.damaged = error;
      console.error(error.message);
    }
  }

  /** Why the saved session could not be resumed, if its database is damaged or from a newer CoachDesk. */
  damaged: UnusableDatabaseError | undefined;

  async close(): Promise<void> {
    await this.deactivate();
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  private emit(event: ChangeEvent): void {
    this.events.emit('change', event);
  }

  /** Data events are coalesced: one per turn of the event loop, naming every entity touched. */
  private dataChanged(entities: Iterable<string>): void {
    for (const e of entities) this.changedEntities.add(e);
    if (this.dataTimer) return;
    this.dataTimer = setTimeout(() => {
      this.dataTimer = undefined;
      const list = [...this.changedEntities];
      this.changedEntities.clear();
      this.emit({ kind: 'data', entities: list });
    }, 0);
  }

  private activate(session: SavedSession): void {
    const store = openLocalStore(join(this.dataDir, `coach-${session.userId}.db`));
    const engine = new SyncEngine({ connect: openWebSocket,  store, url: session.serverUrl, token: session.token });
    engine.on('state', () => {
      // A failing local read (a disk error) must not take the app down: the engine reports it.
      try {
        this.emit({ kind: 'sync', status: this.syncStatusOf(store, engine) });
      } catch (error) {
        console.error(`could not read the sync state: ${(error as Error).message}`);
      }
    });
    const progress = new ProgressService(store);
    engine.on('rows', (rows: Array<{ entity: string }>) => {
      progress.invalidate();
      // Regroups the sessions whose sets arrived, so that opening Progress reads groups only.
      if (rows.some((r) => r.entity === 'set_log')) {
        try {
          progress.refresh();
        } catch (error) {
          console.error(`could not index the arrived sets for Progress: ${(error as Error).message}`);
        }
      }
      this.dataChanged(rows.map((r) => r.entity));
    });
    this.active = { session, store, engine, queries: new CoachQueries(store), progress };
    engine.start();
  }

  private async deactivate(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    if (!active) return;
    this.history.clear();
    this.undoChanged();
    await active.engine.stop();
    active.store.close();
  }

  private need(): Active {
    if (!this.active) throw new HostError('sign in first');
    return this.active;
  }

  /**
   * Queues edits durably (all or none), records them as one undoable step named `label`, and
   * tells the UI; the engine sends them when it can.
   */
  private edit(edits: Edit[], label: string): void {
    const { engine } = this.need();
    if (edits.length === 0) return;
    const rows = this.history.snapshot(edits);
    this.enqueue(engine, edits);
    this.history.record(label, rows);
    this.undoChanged();
  }

  private enqueue(engine: SyncEngine, edits: Edit[]): void {
    try {
      engine.enqueueAll(edits);
    } catch (error) {
      if (error instanceof LocalStoreError) throw new HostError(error.message);
      throw error;
    }
    this.active?.progress.invalidate();
    this.dataChanged(edits.map((e) => e.entity));
  }

  /** Runs a plan of edits, turning a refusal of the rules into an error for the coach. */
  private planned<T>(plan: () => T): T {
    try {
      return plan();
    } catch (error) {
      if (error instanceof EditRefused) throw new HostError(error.message);
      throw error;
    }
  }

  private undoChanged(): void {
    this.emit({ kind: 'undo', state: this.history.state() });
  }

  private row(entity: Entity, id: string) {
    const row = this.need().store.getRow(entity, id);
    if (!row) throw new HostError(`this ${LABELS[entity]} no longer exists`);
    return row;
  }

  private describe(entity: Entity, id: string, fields?: Fields): string {
    return describeRow(this.need().store, entity, id, fields);
  }

  // Undo

  /** Writes the edits that undo (or redo) the last step, as new edits through the outbox. */
  private replay(which: 'undo' | 'redo'): string | null {
    const plan = this.active ? this.history.plan(which) : null;
    if (!plan) return null;
    this.enqueue(this.need().engine, plan.edits);
    plan.commit();
    this.undoChanged();
    return plan.label;
  }

  async undo(): Promise<string | null> {
    return this.replay('undo');
  }

  async redo(): Promise<string | null> {
    return this.replay('redo');
  }

  async getUndoState(): Promise<UndoState> {
    return this.history.state();
  }

  async getUpdateState(): Promise<UpdateState> {
    return this.updates.state();
  }

  async restartToUpdate(): Promise<void> {
    try {
      this.updates.restartToUpdate();
    } catch (error) {
      if (error instanceof UpdateRefused) throw new HostError(error.message);
      throw error;
    }
  }

  // Session

  async getSession(): Promise<SessionInfo> {
    const s = this.active?.session;
    return { signedIn: !!s, serverUrl: s?.serverUrl ?? null, userId: s?.userId ?? null, role: s?.role ?? null };
  }

  async signIn(serverUrl: string, token: string): Promise<SignInResult> {
    const url = serverUrl.trim();
    const probe = await probeServer(url, token);
    if (!probe.ok) return probe;
    if (probe.role !== 'coach') return { ok: false, error: 'not_a_coach', message: 'this token belongs to a trainee: CoachDesk is for coaches' };
    await this.deactivate();
    const session: SavedSession = { serverUrl: url, userId: probe.userId, role: probe.role, token: token.trim() };
    try {
      this.activate(session);
    } catch (error) {
      if (error instanceof UnusableDatabaseError) return { ok: false, error: error instanceof NewerDatabaseError ? 'newer_database' : 'damaged_database', message: error.message };
      throw error;
    }
    this.sessions.save(session);
    this.dataChanged(['*']);
    return { ok: true, session: await this.getSession() };
  }

  async signOut(): Promise<void> {
    // The local database stays: edits not yet sent go out when this coach signs in again.
    await this.deactivate();
    this.sessions.clear();
    this.dataChanged(['*']);
  }

  // Sync

  private syncStatusOf(store: LocalStore, engine: SyncEngine): SyncStatus {
    const state = engine.getState();
    return {
      connection: state.connection,
      pendingCount: state.pending,
      pending: store.pendingOps(0, 200).map((op) => ({ key: op.key, seq: op.seq, entity: op.entity, rowId: op.id, action: op.action, at: op.at, summary: describeOp(store, op) })),
      failed: state.failed.map((f) => ({
        key: f.op.key,
        seq: f.op.seq,
        entity: f.op.entity,
        rowId: f.op.id,
        action: f.op.action,
        at: f.op.at,
        summary: describeOp(store, f.op),
        reason: String(f.reason),
        message: f.message,
        failedAt: f.failedAt,
      })),
      journal: state.journal.slice(0, 50).map((j) => ({ id: j.id, at: j.at, status: j.status, reason: j.reason, text: describeJournal(store, j) })),
      lastSyncAt: state.lastSyncAt,
      // Being offline is normal here: the connection state says it; an error is for what needs the coach.
      error: state.error?.code === 'unreachable' ? null : state.error,
    };
  }

  async getSyncStatus(): Promise<SyncStatus> {
    const a = this.active;
    if (!a) return { connection: 'offline', pendingCount: 0, pending: [], failed: [], journal: [], lastSyncAt: null, error: null };
    return this.syncStatusOf(a.store, a.engine);
  }

  async syncNow(): Promise<void> {
    this.need().engine.syncNow();
  }

  async retryEdit(key: string): Promise<void> {
    try {
      this.need().engine.retry(key);
    } catch (error) {
      throw error instanceof LocalStoreError ? new HostError(error.message) : error;
    }
  }

  async discardEdit(key: string): Promise<void> {
    try {
      this.need().engine.discard(key);
    } catch (error) {
      throw error instanceof LocalStoreError ? new HostError(error.message) : error;
    }
  }

  // Clients

  async getRoster(includeArchived: boolean) {
    const { queries, session } = this.need();
    return queries.roster(includeArchived, queries.settings(session.userId).weekStartsOn);
  }

  async saveTrainee(input: { id?: string; name: string; email?: string | null; notes?: string | null }): Promise<string> {
    const fields: Fields = { name: input.name.trim() };
    if (input.email !== undefined) fields.email = input.email?.trim() || null;
    if (input.notes !== undefined) fields.notes = input.notes?.trim() || null;
    if (input.id) {
      this.row('trainee', input.id);
      this.edit([{ entity: 'trainee', id: input.id, action: 'patch', fields }], `Edit client ${fields.name}`);
      return input.id;
    }
    const id = newId();
    this.edit([{ entity: 'trainee', id, action: 'put', fields: { coachId: this.need().session.userId, ...fields } }], `Add client ${fields.name}`);
    return id;
  }

  async setTraineeArchived(id: string, archived: boolean): Promise<void> {
    const row = this.row('trainee', id);
    this.edit([{ entity: 'trainee', id, action: 'patch', fields: { archived } }], `${archived ? 'Archive' : 'Unarchive'} ${String(row.fields.name)}`);
  }

  // Exercises

  async getExercises(): Promise<Exercise[]> {
    return this.need().queries.exercises();
  }

  async getExerciseLibrary(): Promise<LibraryExercise[]> {
    return this.need().queries.library();
  }

  private sameName(name: string, except?: string): Exercise | undefined {
    const key = name.trim().toLowerCase();
    return this.need().queries.exercises().find((e) => e.id !== except && e.name.toLowerCase() === key);
  }

  async createExercise(input: { name: string; category?: string | null; videoUrl?: string | null }): Promise<Exercise> {
    const name = input.name.trim();
    const existing = this.sameName(name);
    if (existing) return existing;
    const id = newId();
    const fields: Fields = { coachId: this.need().session.userId, name };
    if (input.category) fields.category = input.category.trim();
    if (input.videoUrl) fields.videoUrl = input.videoUrl.trim();
    this.edit([{ entity: 'exercise', id, action: 'put', fields }], `Add exercise ${name}`);
    return toExercise(this.row('exercise', id));
  }

  async updateExercise(id: string, patch: { name?: string; category?: string | null; videoUrl?: string | null; notes?: string | null }): Promise<void> {
    const row = this.row('exercise', id);
    const fields: Fields = {};
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) fields[key] = typeof value === 'string' ? value.trim() || null : value;
    if (typeof fields.name === 'string') {
      const clash = this.sameName(fields.name, id);
      if (clash) throw new HostError(`there is already an exercise named ${clash.name}: merge the two instead`);
    } else if ('name' in fields) throw new HostError('an exercise needs a name');
    this.edit([{ entity: 'exercise', id, action: 'patch', fields }], `Edit exercise ${String(row.fields.name)}`);
  }

  async mergeExercises(keepId: string, mergeIds: string[]): Promise<void> {
    const { store } = this.need();
    const keep = this.row('exercise', keepId);
    const merged = [...new Set(mergeIds)].filter((id) => id !== keepId).map((id) => this.row('exercise', id));
    if (merged.length === 0) throw new HostError('choose at least one other exercise to merge into this one');
    const ids = new Set(merged.map((r) => r.id));
    const repoint = (entity: 'prescription' | 'max') =>
      store.list(entity, (f) => ids.has(String(f.exerciseId))).map((r): Edit => ({ entity, id: r.id, action: 'patch', fields: { exerciseId: keepId } }));
    const edits: Edit[] = [...repoint('prescription'), ...repoint('max'), ...merged.map((r): Edit => ({ entity: 'exercise', id: r.id, action: 'patch', fields: { mergedInto: keepId } }))];
    this.edit(edits, `Merge ${merged.map((r) => String(r.fields.name)).join(', ')} into ${String(keep.fields.name)}`);
  }

  // Programs

  async getPrograms() {
    return this.need().queries.programs();
  }

  async getProgram(id: string) {
    return this.need().queries.program(id);
  }

  async createProgram(input: { name: string; weeks: number; traineeId: string | null; startDate?: string | null }): Promise<string> {
    if (input.traineeId) this.row('trainee', input.traineeId);
    const id = newId();
    const fields: Fields = { coachId: this.need().session.userId, traineeId: input.traineeId, name: input.name.trim(), weeks: input.weeks };
    if (input.startDate) fields.startDate = input.startDate;
    this.edit([{ entity: 'program', id, action: 'put', fields }], `Create program ${fields.name}`);
    return id;
  }

  async updateProgram(id: string, patch: { name?: string; weeks?: number; notes?: string | null; startDate?: string | null }, options: { removeLaterWeeks?: boolean } = {}): Promise<void> {
    const { store } = this.need();
    const program = this.row('program', id);
    const edits: Edit[] = [];
    if (patch.weeks !== undefined) {
      const later = store.children('workout', id).filter((w) => Number(w.fields.week) > patch.weeks!);
      if (later.length && !options.removeLaterWeeks) {
        const weeks = [...new Set(later.map((w) => Number(w.fields.week)))].sort((a, b) => a - b);
        throw new HostError(`week${weeks.length === 1 ? '' : 's'} ${weeks.join(', ')} still hold${weeks.length === 1 ? 's' : ''} ${later.length} workout${later.length === 1 ? '' : 's'}: confirm to remove them, or keep ${program.fields.weeks} weeks`);
      }
      for (const w of later) edits.push(...deleteWorkoutEdits(store, w.id));
    }
    const fields: Fields = { ...patch };
    if (typeof fields.name === 'string') fields.name = fields.name.trim();
    edits.push({ entity: 'program', id, action: 'patch', fields });
    const what = Object.keys(patch).join(', ');
    this.edit(edits, edits.length > 1 ? `Cut ${String(program.fields.name)} to ${patch.weeks} weeks` : `Change ${what} of ${String(program.fields.name)}`);
  }

  async deleteProgram(id: string): Promise<void> {
    const { store } = this.need();
    const program = this.row('program', id);
    this.edit([...store.children('workout', id).flatMap((w) => deleteWorkoutEdits(store, w.id)), { entity: 'program', id, action: 'delete' }], `Delete program ${String(program.fields.name)}`);
  }

  async assignProgram(programId: string, traineeId: string, startDate: string): Promise<string> {
    const program = this.row('program', programId);
    const trainee = this.row('trainee', traineeId);
    const copy = copyProgramEdits(this.need().store, program, { traineeId, startDate, name: `${String(program.fields.name).replace(/^Template: /, '')} · ${String(trainee.fields.name).split(' ')[0]}` });
    this.edit(copy.edits, `Assign ${String(program.fields.name)} to ${String(trainee.fields.name)}`);
    return copy.programId;
  }

  async saveAsTemplate(programId: string, name: string): Promise<string> {
    const copy = copyProgramEdits(this.need().store, this.row('program', programId), { traineeId: null, startDate: null, name: name.trim() });
    this.edit(copy.edits, `Save template ${name.trim()}`);
    return copy.programId;
  }

  /** The coach's plate increment, in their units (what % progressions round to). */
  private plates(): Plates {
    const { units, plateIncrement } = this.need().queries.settings(this.need().session.userId);
    return { [units]: plateIncrement };
  }

  // Workouts

  private weekInProgram(programId: string, week: number): void {
    const weeks = Number(this.row('program', programId).fields.weeks);
    if (week > weeks) throw new HostError(`week ${week} is past the end of this ${weeks}-week program`);
  }

  async addWorkout(programId: string, week: number, day: number, title: string): Promise<string> {
    this.weekInProgram(programId, week);
    const id = newId();
    const siblings = workoutsOn(this.need().store, programId, week, day);
    const position = siblings.length ? Math.max(...siblings.map((w) => Number(w.fields.position ?? 0))) + 1 : 0;
    this.edit([{ entity: 'workout', id, action: 'put', fields: { programId, week, day, title: title.trim(), position } }], `Add workout ${slotName(week, day)}`);
    return id;
  }

  async updateWorkout(id: string, patch: { title?: string; notes?: string | null }): Promise<void> {
    this.row('workout', id);
    const fields: Fields = { ...patch };
    if (typeof fields.title === 'string') fields.title = fields.title.trim();
    this.edit([{ entity: 'workout', id, action: 'patch', fields }], `Change ${Object.keys(patch).join(', ')} of ${this.describe('workout', id)}`);
  }

  async deleteWorkout(id: string): Promise<void> {
    const label = `Delete workout ${this.describe('workout', this.row('workout', id).id)}`;
    this.edit(deleteWorkoutEdits(this.need().store, id), label);
  }

  /** Copies a day's workout to another week and day, replacing the workouts there or beside them. */
  async copyDay(workoutId: string, toWeek: number, toDay: number, mode: CopyMode): Promise<string> {
    const workout = this.row('workout', workoutId);
    this.weekInProgram(String(workout.fields.programId), toWeek);
    const copy = copyDayEdits(this.need().store, workout, toWeek, toDay, mode);
    this.edit(copy.edits, `Copy ${this.describe('workout', workoutId)} to ${slotName(toWeek, toDay)}`);
    return copy.workoutId;
  }

  async copyWeek(programId: string, fromWeek: number, toWeeks: number[], options: { mode: CopyMode; progression?: Progression | null }): Promise<void> {
    for (const w of toWeeks) this.weekInProgram(programId, w);
    const edits = this.planned(() => copyWeekEdits(this.need().store, programId, fromWeek, toWeeks, options.mode, options.progression, this.plates()));
    const targets = [...new Set(toWeeks.filter((w) => w !== fromWeek))];
    this.edit(edits, `Copy week ${fromWeek} to week${targets.length === 1 ? '' : 's'} ${targets.join(', ')}`);
  }

  async progressRows(workoutId: string, rxIds: string[], toWeeks: number[], progression: Progression): Promise<{ changed: number; missing: string[] }> {
    const workout = this.row('workout', workoutId);
    for (const w of toWeeks) this.weekInProgram(String(workout.fields.programId), w);
    const plan = this.planned(() => progressRowsEdits(this.need().store, workout, rxIds, toWeeks, progression, this.plates()));
    this.edit(plan.edits, `Progress ${plural(rxIds.length, 'row')} of ${this.describe('workout', workoutId)}`);
    return { changed: plan.edits.length, missing: plan.missing };
  }

  // Prescriptions

  /** A load is never stored without its unit: it would mean something else to every reader. */
  private checkLoadUnit(fields: Fields): void {
    if (typeof fields.load === 'number' && !fields.loadUnit) throw new HostError('a load needs its unit (kg, lb or %1RM)');
  }

  async addPrescription(workoutId: string, input: PrescriptionInput, afterId?: string | null): Promise<string> {
    const { store } = this.need();
    this.row('workout', workoutId);
    this.row('exercise', input.exerciseId);
    const id = newId();
    const position = positionAfter(store.children('prescription', workoutId), afterId);
    const fields = prescriptionFields(workoutId, position, input);
    this.checkLoadUnit(fields);
    this.edit([{ entity: 'prescription', id, action: 'put', fields }], `Add ${this.describe('prescription', id, fields)}`);
    return id;
  }

  async updatePrescription(id: string, patch: PrescriptionPatch): Promise<void> {
    const row = this.row('prescription', id);
    const fields: Fields = {};
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) fields[k] = v === '' ? null : v;
    if (Object.keys(fields).length === 0) return;
    if (typeof fields.exerciseId === 'string') this.row('exercise', fields.exerciseId);
    this.checkLoadUnit({ ...row.fields, ...fields });
    const label = `Change ${Object.keys(fields).join(', ')} of ${this.describe('prescription', id)}`;
    this.edit([{ entity: 'prescription', id, action: 'patch', fields }], label);
  }

  async deletePrescription(id: string): Promise<void> {
    this.row('prescription', id);
    this.edit([{ entity: 'prescription', id, action: 'delete' }], `Delete ${this.describe('prescription', id)}`);
  }

  async movePrescription(id: string, direction: -1 | 1): Promise<void> {
    const { store } = this.need();
    const row = this.row('prescription', id);
    const siblings = store.children('prescription', String(row.fields.workoutId)).sort((a, b) => Number(a.fields.position) - Number(b.fields.position));
    const i = siblings.findIndex((r) => r.id === id);
    const other = siblings[i + direction];
    if (!other) return;
    this.edit(
      [
        { entity: 'prescription', id, action: 'patch', fields: { position: other.fields.position } },
        { entity: 'prescription', id: other.id, action: 'patch', fields: { position: row.fields.position } },
      ],
      `Move ${this.describe('prescription', id)} ${direction < 0 ? 'up' : 'down'}`,
    );
  }

  // Activity, maxes and settings

  async getTraineeActivity(traineeId: string) {
    const { queries, session } = this.need();
    return queries.activity(traineeId, queries.settings(session.userId).weekStartsOn);
  }

  async getProgress(traineeId: string, options: ProgressOptions = {}): Promise<TraineeProgress | null> {
    const { queries, session, progress } = this.need();
    return progress.progress(traineeId, queries.settings(session.userId), options);
  }

  async getMaxes(traineeId: string): Promise<TraineeMaxes> {
    this.row('trainee', traineeId);
    return maxesOf(this.need().store, traineeId);
  }

  async saveMax(input: MaxInput): Promise<string> {
    const trainee = this.row('trainee', input.traineeId);
    const exercise = this.row('exercise', input.exerciseId);
    const fields: Fields = { traineeId: input.traineeId, exerciseId: input.exerciseId, kind: input.kind, value: input.value, unit: input.unit, date: input.date, source: input.source ?? 'entered' };
    if (input.notes) fields.notes = input.notes.trim();
    const what = `${input.kind === 'tm' ? 'training max' : '1RM'} of ${String(exercise.fields.name)} for ${String(trainee.fields.name)}`;
    if (input.id) {
      this.row('max', input.id);
      this.edit([{ entity: 'max', id: input.id, action: 'put', fields }], `Change ${what}`);
      return input.id;
    }
    const id = newId();
    this.edit([{ entity: 'max', id, action: 'put', fields }], `Set ${what}`);
    return id;
  }

  async deleteMax(id: string): Promise<void> {
    const row = this.row('max', id);
    const exercise = this.need().store.getRow('exercise', String(row.fields.exerciseId))?.fields.name ?? 'an exercise';
    this.edit([{ entity: 'max', id, action: 'delete' }], `Delete the max of ${String(exercise)}`);
  }

  async getSettings(): Promise<Settings> {
    return this.need().queries.settings(this.need().session.userId);
  }

  async updateSettings(patch: Partial<Settings>): Promise<void> {
    const { store, session } = this.need();
    const fields: Fields = {};
    if (patch.units) fields.units = patch.units;
    if (patch.weekStartsOn !== undefined) fields.weekStartsOn = patch.weekStartsOn;
    if (patch.plateIncrement !== undefined) fields.plateIncrement = patch.plateIncrement;
    if (patch.e1rmFormula) fields.e1rmFormula = patch.e1rmFormula;
    // The protocol's displayName is text: clearing it stores the empty text.
    if (patch.displayName !== undefined) fields.displayName = patch.displayName?.trim() ?? '';
    if (Object.keys(fields).length === 0) return;
    const exists = !!store.getRow('settings', session.userId);
    this.edit([{ entity: 'settings', id: session.userId, action: exists ? 'patch' : 'put', fields }], `Change ${Object.keys(fields).join(', ')} in Settings`);
  }

  // Trainee app access (asks the sync server: needs a connection)

  private async access<T>(run: (ctx: AccessContext) => Promise<T>): Promise<T> {
    const { engine, store, session } = this.need();
    try {
      return await run({ engine, store, role: session.role });
    } catch (error) {
      if (error instanceof AccessRefused) throw new HostError(error.message);
      throw error;
    }
  }

  async inviteTrainee(traineeId: string): Promise<TraineeInvite> {
    return this.access((ctx) => inviteTrainee(ctx, traineeId));
  }

  async getTraineeAccess(): Promise<TraineeAccessEntry[]> {
    return this.access((ctx) => traineeAccess(ctx));
  }

  async revokeTraineeAccess(traineeId: string): Promise<AccessRevoked> {
    return this.access((ctx) => revokeTraineeAccess(ctx, traineeId));
  }

  // Export and import (main/host/program-print.ts and program-csv.ts)

  /** Makes PDFs: the machine's headless Chromium by default; the desktop app sets Electron's printToPDF. */
  pdfPrinter: PdfPrinter = chromiumPrinter();

  private exportedProgram(programId: string): ProgramDetail {
    const program = this.need().queries.program(programId);
    if (!program) throw new HostError('this program no longer exists');
    return program;
  }

  async getProgramPrintHtml(programId: string): Promise<string> {
    const { queries, session } = this.need();
    const program = this.exportedProgram(programId);
    const settings = queries.settings(session.userId);
    const now = new Date();
    const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    return programPrintHtml(program, { coachName: settings.displayName?.trim() || null, clientName: program.traineeName, settings, today });
  }

  async exportProgramPdf(programId: string): Promise<ExportFile> {
    const html = await this.getProgramPrintHtml(programId);
    try {
      const pdf = await this.pdfPrinter(html);
      return { fileName: fileNameOf(this.exportedProgram(programId).name, 'pdf'), mimeType: 'application/pdf', base64: Buffer.from(pdf).toString('base64') };
    } catch (error) {
      if (error instanceof PdfUnavailable) throw new HostError(error.message);
      throw error;
    }
  }

  async exportProgramCsv(programId: string): Promise<ExportFile> {
    const program = this.exportedProgram(programId);
    return { fileName: fileNameOf(program.name, 'csv'), mimeType: 'text/csv;charset=utf-8', base64: Buffer.from(programCsv(program), 'utf8').toString('base64') };
  }

  async exportLoggedSetsCsv(traineeId: string): Promise<ExportFile> {
    const trainee = this.row('trainee', traineeId);
    const csv = loggedSetsCsv(this.need().store, traineeId);
    return { fileName: fileNameOf(`${String(trainee.fields.name)} logged sets`, 'csv'), mimeType: 'text/csv;charset=utf-8', base64: Buffer.from(csv, 'utf8').toString('base64') };
  }

  async previewProgramImport(csv: string): Promise<ProgramImportPreview> {
    return parseProgramCsv(csv, this.need().queries.exercises()).preview;
  }

  async importProgram(csv: string, target: ProgramImportTarget): Promise<string> {
    const { queries, session } = this.need();
    if (target.traineeId) this.row('trainee', target.traineeId);
    const library = queries.exercises();
    const parsed = parseProgramCsv(csv, library);
    if (!parsed.preview.ok) {
      const first = parsed.preview.errors[0]?.message ?? 'the file is not a program';
      const more = parsed.preview.errors.length + parsed.preview.moreErrors - 1;
      throw new HostError(`nothing was imported: ${first}${more > 0 ? ` (and ${plural(more, 'more problem')})` : ''}`);
    }
    const name = target.name.trim();
    const plan = importEdits(parsed, library, { coachId: session.userId, traineeId: target.traineeId, name, startDate: target.startDate ?? null });
    this.edit(plan.edits, `Import program ${name}`);
    return plan.programId;
  }
}
