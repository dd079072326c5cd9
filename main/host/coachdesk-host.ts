import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newId, type Entity, type Fields } from '../../protocol/index.ts';
import type {
  ChangeEvent,
  CoachDeskApi,
  Exercise,
  PrescriptionInput,
  PrescriptionPatch,
  SessionInfo,
  Settings,
  SignInResult,
  SyncStatus,
} from '../../preload/api.ts';
import { DamagedDatabaseError, LocalStore, LocalStoreError, type Edit } from '../sync/local-store.ts';
import { probeServer } from '../sync/probe.ts';
import { SyncEngine } from '../sync/sync-engine.ts';
import { describeJournal, describeOp } from './describe.ts';
import { copyProgramEdits, copyWorkoutEdits, deleteWorkoutEdits, positionAfter, prescriptionFields } from './program-edits.ts';
import { CoachQueries, toExercise } from './queries.ts';
import { SessionFileStore, type SavedSession, type TokenVault } from './saved-session.ts';

/** An error whose message is for the coach; it crosses IPC and the web bridge as is. */
export class HostError extends Error {}

interface Active {
  session: SavedSession;
  store: LocalStore;
  engine: SyncEngine;
  queries: CoachQueries;
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

  constructor(
    readonly dataDir: string,
    vault: TokenVault,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.sessions = new SessionFileStore(dataDir, vault);
  }

  /** Resumes the saved session, offline or not: the local database is enough to work. */
  start(): void {
    const saved = this.sessions.load();
    if (!saved) return;
    try {
      this.activate(saved);
    } catch (error) {
      // A damaged local database is refused, not replaced: the coach sees why at sign-in.
      if (!(error instanceof DamagedDatabaseError)) throw error;
      this.damaged = error;
      console.error(error.message);
    }
  }

  /** Why the saved session could not be resumed, if its database is damaged. */
  damaged: DamagedDatabaseError | undefined;

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
    const store = new LocalStore(join(this.dataDir, `coach-${session.userId}.db`));
    const engine = new SyncEngine({ store, url: session.serverUrl, token: session.token });
    engine.on('state', () => this.emit({ kind: 'sync', status: this.syncStatusOf(store, engine) }));
    engine.on('rows', (rows: Array<{ entity: string }>) => this.dataChanged(rows.map((r) => r.entity)));
    this.active = { session, store, engine, queries: new CoachQueries(store) };
    engine.start();
  }

  private async deactivate(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    if (!active) return;
    await active.engine.stop();
    active.store.close();
  }

  private need(): Active {
    if (!this.active) throw new HostError('sign in first');
    return this.active;
  }

  /** Queues edits durably (all or none) and tells the UI; the engine sends them when it can. */
  private edit(edits: Edit[]): void {
    const { engine } = this.need();
    try {
      engine.enqueueAll(edits);
    } catch (error) {
      if (error instanceof LocalStoreError) throw new HostError(error.message);
      throw error;
    }
    this.dataChanged(edits.map((e) => e.entity));
  }

  private row(entity: Entity, id: string) {
    const row = this.need().store.getRow(entity, id);
    if (!row) throw new HostError(`this ${entity.replace('_', ' ')} no longer exists`);
    return row;
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
      if (error instanceof DamagedDatabaseError) return { ok: false, error: 'damaged_database', message: error.message };
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
    return this.need().queries.roster(includeArchived);
  }

  async saveTrainee(input: { id?: string; name: string; email?: string | null; notes?: string | null }): Promise<string> {
    const fields: Fields = { name: input.name.trim() };
    if (input.email !== undefined) fields.email = input.email?.trim() || null;
    if (input.notes !== undefined) fields.notes = input.notes || null;
    if (input.id) {
      this.row('trainee', input.id);
      this.edit([{ entity: 'trainee', id: input.id, action: 'patch', fields }]);
      return input.id;
    }
    const id = newId();
    this.edit([{ entity: 'trainee', id, action: 'put', fields: { coachId: this.need().session.userId, ...fields } }]);
    return id;
  }

  async setTraineeArchived(id: string, archived: boolean): Promise<void> {
    this.row('trainee', id);
    this.edit([{ entity: 'trainee', id, action: 'patch', fields: { archived } }]);
  }

  // Exercises

  async getExercises(): Promise<Exercise[]> {
    return this.need().queries.exercises();
  }

  async createExercise(input: { name: string; category?: string | null; videoUrl?: string | null }): Promise<Exercise> {
    const name = input.name.trim();
    const existing = this.need().queries.exercises().find((e) => e.name.toLowerCase() === name.toLowerCase());
    if (existing) return existing;
    const id = newId();
    const fields: Fields = { coachId: this.need().session.userId, name };
    if (input.category) fields.category = input.category;
    if (input.videoUrl) fields.videoUrl = input.videoUrl;
    this.edit([{ entity: 'exercise', id, action: 'put', fields }]);
    return toExercise(this.row('exercise', id));
  }

  // Programs

  async getPrograms() {
    return this.need().queries.programs();
  }

  async getProgram(id: string) {
    return this.need().queries.program(id);
  }

  async createProgram(input: { name: string; weeks: number; traineeId: string | null; startDate?: string | null }): Promise<string> {
    const id = newId();
    const fields: Fields = { coachId: this.need().session.userId, traineeId: input.traineeId, name: input.name.trim(), weeks: input.weeks };
    if (input.startDate) fields.startDate = input.startDate;
    this.edit([{ entity: 'program', id, action: 'put', fields }]);
    return id;
  }

  async updateProgram(id: string, patch: { name?: string; weeks?: number; notes?: string | null; startDate?: string | null }): Promise<void> {
    this.row('program', id);
    this.edit([{ entity: 'program', id, action: 'patch', fields: { ...patch } }]);
  }

  async deleteProgram(id: string): Promise<void> {
    const { store } = this.need();
    this.row('program', id);
    this.edit([...store.children('workout', id).flatMap((w) => deleteWorkoutEdits(store, w.id)), { entity: 'program', id, action: 'delete' }]);
  }

  async assignProgram(programId: string, traineeId: string, startDate: string): Promise<string> {
    const program = this.row('program', programId);
    const trainee = this.row('trainee', traineeId);
    const copy = copyProgramEdits(this.need().store, program, { traineeId, startDate, name: `${String(program.fields.name).replace(/^Template: /, '')} · ${String(trainee.fields.name).split(' ')[0]}` });
    this.edit(copy.edits);
    return copy.programId;
  }

  async saveAsTemplate(programId: string, name: string): Promise<string> {
    const copy = copyProgramEdits(this.need().store, this.row('program', programId), { traineeId: null, startDate: null, name: name.trim() });
    this.edit(copy.edits);
    return copy.programId;
  }

  // Workouts

  async addWorkout(programId: string, week: number, day: number, title: string): Promise<string> {
    this.row('program', programId);
    const id = newId();
    const siblings = this.need().store.children('workout', programId).filter((w) => w.fields.week === week && w.fields.day === day);
    this.edit([{ entity: 'workout', id, action: 'put', fields: { programId, week, day, title: title.trim(), position: siblings.length } }]);
    return id;
  }

  async updateWorkout(id: string, patch: { title?: string; notes?: string | null }): Promise<void> {
    this.row('workout', id);
    this.edit([{ entity: 'workout', id, action: 'patch', fields: { ...patch } }]);
  }

  async deleteWorkout(id: string): Promise<void> {
    this.row('workout', id);
    this.edit(deleteWorkoutEdits(this.need().store, id));
  }

  /** Copies a day's workout to another week and day: into the workout already there, or a new one. */
  async copyDay(workoutId: string, toWeek: number, toDay: number): Promise<string> {
    const { store } = this.need();
    const workout = this.row('workout', workoutId);
    const programId = String(workout.fields.programId);
    const target = store.children('workout', programId).find((w) => w.fields.week === toWeek && w.fields.day === toDay && w.id !== workoutId);
    const start = target ? Math.max(0, ...store.children('prescription', target.id).map((p) => Number(p.fields.position))) : 0;
    const edits = copyWorkoutEdits(store, workout, { programId, week: toWeek, day: toDay, workoutId: target?.id, startPosition: start });
    this.edit(edits);
    return target?.id ?? edits[0]!.id;
  }

  async copyWeek(programId: string, fromWeek: number, toWeeks: number[]): Promise<void> {
    const { store } = this.need();
    this.row('program', programId);
    const days = store.children('workout', programId).filter((w) => w.fields.week === fromWeek);
    if (days.length === 0) throw new HostError(`week ${fromWeek} has no workouts to copy`);
    const edits: Edit[] = [];
    for (const week of toWeeks.filter((w) => w !== fromWeek)) {
      for (const w of days) edits.push(...copyWorkoutEdits(store, w, { programId, week, day: Number(w.fields.day) }));
    }
    this.edit(edits);
  }

  // Prescriptions

  async addPrescription(workoutId: string, input: PrescriptionInput, afterId?: string | null): Promise<string> {
    const { store } = this.need();
    this.row('workout', workoutId);
    const id = newId();
    const position = positionAfter(store.children('prescription', workoutId), afterId);
    this.edit([{ entity: 'prescription', id, action: 'put', fields: prescriptionFields(workoutId, position, input) }]);
    return id;
  }

  async updatePrescription(id: string, patch: PrescriptionPatch): Promise<void> {
    this.row('prescription', id);
    const fields: Fields = {};
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) fields[k] = v === '' ? null : v;
    if (Object.keys(fields).length === 0) return;
    this.edit([{ entity: 'prescription', id, action: 'patch', fields }]);
  }

  async deletePrescription(id: string): Promise<void> {
    this.row('prescription', id);
    this.edit([{ entity: 'prescription', id, action: 'delete' }]);
  }

  async movePrescription(id: string, direction: -1 | 1): Promise<void> {
    const { store } = this.need();
    const row = this.row('prescription', id);
    const siblings = store.children('prescription', String(row.fields.workoutId)).sort((a, b) => Number(a.fields.position) - Number(b.fields.position));
    const i = siblings.findIndex((r) => r.id === id);
    const other = siblings[i + direction];
    if (!other) return;
    this.edit([
      { entity: 'prescription', id, action: 'patch', fields: { position: other.fields.position } },
      { entity: 'prescription', id: other.id, action: 'patch', fields: { position: row.fields.position } },
    ]);
  }

  // Activity and settings

  async getTraineeActivity(traineeId: string) {
    return this.need().queries.activity(traineeId);
  }

  async getSettings(): Promise<Settings> {
    return this.need().queries.settings(this.need().session.userId);
  }

  async updateSettings(patch: Partial<Settings>): Promise<void> {
    const { store, session } = this.need();
    const fields: Fields = {};
    if (patch.units) fields.units = patch.units;
    if (patch.weekStartsOn !== undefined) fields.weekStartsOn = patch.weekStartsOn;
    if (patch.displayName !== undefined && patch.displayName !== null) fields.displayName = patch.displayName;
    const exists = !!store.getRow('settings', session.userId);
    this.edit([{ entity: 'settings', id: session.userId, action: exists ? 'patch' : 'put', fields }]);
  }
}
