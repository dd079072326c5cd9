// The renderer's state: one zustand store, made per API (the app passes the real one, tests a
// fake). Reads come from the host's local replica, so they are fast; commands resolve after a
// durable local write and the host applies them optimistically, so every command refetches what
// is on screen right after it resolves. Nothing here waits on the network.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  ChangeEvent,
  CoachDeskApi,
  Exercise,
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
} from '../../preload/api.ts';

export type View =
  | { name: 'clients' }
  | { name: 'programs' }
  | { name: 'program'; id: string }
  | { name: 'activity'; traineeId: string | null }
  | { name: 'settings' };

export type SignInErrorCode = Extract<SignInResult, { ok: false }>['error'] | 'error';

export interface Notice {
  id: number;
  tone: 'info' | 'error';
  text: string;
}

/** A cell of the program builder that should take focus once it is on screen. */
export interface FocusRequest {
  rxId: string;
  field: string;
}

export interface AppState {
  /** False until the first getSession() answered. */
  booted: boolean;
  session: SessionInfo | null;
  signInForm: { busy: boolean; error: { code: SignInErrorCode; message: string } | null };
  sync: SyncStatus;
  view: View;
  roster: { items: RosterEntry[]; includeArchived: boolean; loaded: boolean };
  programs: { items: ProgramSummary[]; loaded: boolean };
  /** The program open in the builder; `detail` null once loaded means it no longer exists. */
  program: { id: string | null; detail: ProgramDetail | null; loaded: boolean };
  activity: { traineeId: string | null; data: TraineeActivity | null; loaded: boolean };
  exercises: { items: Exercise[]; loaded: boolean };
  settings: Settings | null;
  panel: 'outbox' | 'journal' | null;
  helpOpen: boolean;
  notice: Notice | null;
  focusRequest: FocusRequest | null;

  init(): Promise<void>;
  dispose(): void;
  signIn(serverUrl: string, token: string): Promise<boolean>;
  signOut(): Promise<void>;
  navigate(view: View): void;
  /** Refetches what is on screen that depends on these entities ('*' = everything). */
  refresh(entities: Iterable<string>): Promise<void>;

  togglePanel(panel: 'outbox' | 'journal'): void;
  closePanel(): void;
  setHelpOpen(open: boolean): void;
  notify(text: string, tone?: Notice['tone']): void;
  dismissNotice(): void;
  requestFocus(request: FocusRequest | null): void;

  retryEdit(key: string): Promise<void>;
  discardEdit(key: string): Promise<void>;

  setIncludeArchived(includeArchived: boolean): void;
  saveTrainee(input: { id?: string; name: string; email?: string | null; notes?: string | null }): Promise<string | null>;
  setTraineeArchived(id: string, archived: boolean): Promise<void>;

  loadExercises(): Promise<void>;
  createExercise(name: string): Promise<Exercise | null>;

  createProgram(input: { name: string; weeks: number; traineeId: string | null; startDate?: string | null }): Promise<string | null>;
  updateProgram(id: string, patch: { name?: string; weeks?: number; notes?: string | null; startDate?: string | null }): Promise<void>;
  deleteProgram(id: string): Promise<void>;
  /** Assigns a copy; `open` (the default) opens the copy in the builder. */
  assignProgram(programId: string, traineeId: string, startDate: string, open?: boolean): Promise<string | null>;
  saveAsTemplate(programId: string, name: string): Promise<string | null>;

  addWorkout(programId: string, week: number, day: number, title: string): Promise<string | null>;
  updateWorkout(id: string, patch: { title?: string; notes?: string | null }): Promise<void>;
  deleteWorkout(id: string): Promise<void>;
  copyDay(workoutId: string, toWeek: number, toDay: number): Promise<string | null>;
  copyWeek(programId: string, fromWeek: number, toWeeks: number[]): Promise<boolean>;

  addPrescription(workoutId: string, input: PrescriptionInput, afterId?: string | null): Promise<string | null>;
  updatePrescription(id: string, patch: PrescriptionPatch): Promise<boolean>;
  deletePrescription(id: string): Promise<void>;
  movePrescription(id: string, direction: -1 | 1): Promise<void>;

  selectTrainee(traineeId: string | null): void;
  updateSettings(patch: Partial<Settings>): Promise<void>;
}

export interface StoreOptions {
  /** Runs a coalesced refetch; defaults to the next animation frame. */
  schedule?: (run: () => void) => void;
}

export type AppStore = StoreApi<AppState>;

export const EMPTY_SYNC: SyncStatus = {
  connection: 'offline',
  pendingCount: 0,
  pending: [],
  failed: [],
  journal: [],
  lastSyncAt: null,
  error: null,
};

const KNOWN_ENTITIES = new Set(['trainee', 'exercise', 'program', 'workout', 'prescription', 'session', 'set_log', 'settings']);

/** Which entities each resource is read from. */
const DEPENDS_ON = {
  roster: ['trainee', 'program', 'workout', 'session', 'set_log'],
  programs: ['program', 'trainee'],
  program: ['program', 'workout', 'prescription', 'exercise', 'trainee'],
  activity: ['trainee', 'program', 'workout', 'prescription', 'exercise', 'session', 'set_log'],
  exercises: ['exercise'],
  settings: ['settings'],
} as const;

type Resource = keyof typeof DEPENDS_ON;

function defaultSchedule(run: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => run());
  else setTimeout(run, 16);
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

export function createAppStore(api: CoachDeskApi, options: StoreOptions = {}): AppStore {
  const schedule = options.schedule ?? defaultSchedule;
  // Latest request per resource: an older answer never overwrites a newer one.
  const latest: Record<Resource | 'sync' | 'session', number> = { roster: 0, programs: 0, program: 0, activity: 0, exercises: 0, settings: 0, sync: 0, session: 0 };
  const inflight: Partial<Record<Resource | 'sync' | 'session', Promise<void>>> = {};
  let syncEvents = 0;
  let noticeId = 0;
  let queued: Set<string> | null = null;
  let unsubscribe: (() => void) | null = null;
  let noticeTimer: ReturnType<typeof setTimeout> | null = null;

  return createStore<AppState>()((set, get) => {
    const fail = (error: unknown) => get().notify(messageOf(error), 'error');

    /** Runs a command, then refetches what it touched; reports a failure as a notice. */
    async function command<T>(run: () => Promise<T>, touches: string[]): Promise<{ ok: true; value: T } | { ok: false }> {
      try {
        const value = await run();
        await get().refresh(touches);
        return { ok: true, value };
      } catch (error) {
        fail(error);
        void get().refresh(touches);
        return { ok: false };
      }
    }

    /**
     * Reads a resource and applies the answer unless a newer read started meanwhile. Either way
     * the promise settles only once the store holds an answer at least as new as this read, so a
     * caller that awaits a refresh after a command sees the command's result.
     */
    function load<T>(resource: Resource | 'sync' | 'session', read: () => Promise<T>, apply: (value: T) => void): Promise<void> {
      const run = loadOnce(resource, read, apply);
      inflight[resource] = run;
      return run;
    }

    async function loadOnce<T>(resource: Resource | 'sync' | 'session', read: () => Promise<T>, apply: (value: T) => void): Promise<void> {
      const ticket = ++latest[resource];
      const eventsBefore = syncEvents;
      try {
        const value = await read();
        if (ticket !== latest[resource]) return await inflight[resource];
        // A sync event that arrived while we read is newer than what we read.
        if (resource === 'sync' && syncEvents !== eventsBefore) return;
        apply(value);
      } catch (error) {
        if (ticket === latest[resource]) fail(error);
      }
    }

    const loaders: Record<Resource, () => Promise<void>> = {
      roster: () => load('roster', () => api.getRoster(get().roster.includeArchived), (items) => set((s) => ({ roster: { ...s.roster, items, loaded: true } }))),
      programs: () => load('programs', () => api.getPrograms(), (items) => set({ programs: { items, loaded: true } })),
      program: async () => {
        const id = get().program.id;
        if (!id) return;
        await load('program', () => api.getProgram(id), (detail) => {
          if (get().program.id === id) set({ program: { id, detail, loaded: true } });
        });
      },
      activity: async () => {
        const traineeId = get().activity.traineeId;
        if (!traineeId) return;
        await load('activity', () => api.getTraineeActivity(traineeId), (data) => {
          if (get().activity.traineeId === traineeId) set({ activity: { traineeId, data, loaded: true } });
        });
      },
      exercises: () => load('exercises', () => api.getExercises(), (items) => set({ exercises: { items, loaded: true } })),
      settings: () => load('settings', () => api.getSettings(), (settings) => set({ settings })),
    };

    const loadSync = () => load('sync', () => api.getSyncStatus(), (sync) => set({ sync }));

    /** The resources the current screen shows. */
    function onScreen(): Resource[] {
      const view = get().view;
      const shown: Resource[] = ['settings'];
      if (view.name === 'clients') shown.push('roster');
      if (view.name === 'programs') shown.push('programs', 'roster');
      if (view.name === 'program') shown.push('program', 'exercises', 'roster');
      if (view.name === 'activity') shown.push('roster', 'activity');
      return shown;
    }

    function onChange(event: ChangeEvent): void {
      if (event.kind === 'sync') {
        syncEvents++;
        set({ sync: event.status });
        return;
      }
      if (!get().session?.signedIn) return;
      // Coalesce: one refetch per animation frame, whatever the number of events.
      if (queued) {
        for (const e of event.entities) queued.add(e);
        return;
      }
      queued = new Set(event.entities);
      schedule(() => {
        const entities = queued ?? new Set<string>();
        queued = null;
        void get().refresh(entities);
      });
    }

    /** Everything on screen, and the sync state ('*' re-reads it). */
    async function afterSignIn(): Promise<void> {
      await get().refresh(['*']);
    }

    function clearData(): Partial<AppState> {
      return {
        roster: { items: [], includeArchived: false, loaded: false },
        programs: { items: [], loaded: false },
        program: { id: null, detail: null, loaded: false },
        activity: { traineeId: null, data: null, loaded: false },
        exercises: { items: [], loaded: false },
        settings: null,
        view: { name: 'clients' },
        panel: null,
        focusRequest: null,
      };
    }

    return {
      booted: false,
      session: null,
      signInForm: { busy: false, error: null },
      sync: EMPTY_SYNC,
      view: { name: 'clients' },
      roster: { items: [], includeArchived: false, loaded: false },
      programs: { items: [], loaded: false },
      program: { id: null, detail: null, loaded: false },
      activity: { traineeId: null, data: null, loaded: false },
      exercises: { items: [], loaded: false },
      settings: null,
      panel: null,
      helpOpen: false,
      notice: null,
      focusRequest: null,

      async init() {
        unsubscribe ??= api.onChange(onChange);
        let session: SessionInfo;
        try {
          session = await api.getSession();
        } catch (error) {
          set({ booted: true, session: { signedIn: false, serverUrl: null, userId: null, role: null }, signInForm: { busy: false, error: { code: 'error', message: messageOf(error) } } });
          return;
        }
        set({ booted: true, session });
        if (session.signedIn) await afterSignIn();
        else await loadSync();
      },

      dispose() {
        unsubscribe?.();
        unsubscribe = null;
        if (noticeTimer) clearTimeout(noticeTimer);
      },

      async signIn(serverUrl, token) {
        set({ signInForm: { busy: true, error: null } });
        let result: SignInResult;
        try {
          result = await api.signIn(serverUrl.trim(), token.trim());
        } catch (error) {
          set({ signInForm: { busy: false, error: { code: 'error', message: messageOf(error) } } });
          return false;
        }
        if (!result.ok) {
          set({ signInForm: { busy: false, error: { code: result.error, message: result.message } } });
          return false;
        }
        set({ session: result.session, signInForm: { busy: false, error: null }, ...clearData() });
        await afterSignIn();
        return true;
      },

      async signOut() {
        try {
          await api.signOut();
        } catch (error) {
          fail(error);
          return;
        }
        const previous = get().session;
        let session: SessionInfo = { signedIn: false, serverUrl: previous?.serverUrl ?? null, userId: null, role: null };
        try {
          session = await api.getSession();
        } catch {
          // keep the local guess
        }
        set({ session, signInForm: { busy: false, error: null }, ...clearData() });
        await loadSync();
      },

      navigate(view) {
        const s = get();
        const patch: Partial<AppState> = { view, focusRequest: null };
        if (view.name === 'program' && s.program.id !== view.id) patch.program = { id: view.id, detail: null, loaded: false };
        if (view.name === 'activity' && view.traineeId !== s.activity.traineeId) patch.activity = { traineeId: view.traineeId, data: null, loaded: false };
        set(patch);
        void get().refresh(['*']);
      },

      async refresh(entities) {
        const list = [...entities];
        const all = list.includes('*') || list.some((e) => !KNOWN_ENTITIES.has(e));
        const wanted = onScreen().filter((r) => all || DEPENDS_ON[r].some((e) => list.includes(e)));
        const jobs = wanted.map((r) => loaders[r]());
        // The bridge re-announces everything after a reconnect: re-read the sync state too.
        if (list.includes('*')) jobs.push(loadSync());
        await Promise.all(jobs);
      },

      togglePanel(panel) {
        set((s) => ({ panel: s.panel === panel ? null : panel }));
      },
      closePanel() {
        set({ panel: null });
      },
      setHelpOpen(helpOpen) {
        set({ helpOpen });
      },
      notify(text, tone = 'info') {
        const id = ++noticeId;
        set({ notice: { id, tone, text } });
        if (noticeTimer) clearTimeout(noticeTimer);
        noticeTimer = null;
        if (tone === 'info') {
          noticeTimer = setTimeout(() => {
            if (get().notice?.id === id) set({ notice: null });
          }, 5000);
          // Under Node (tests) a pending notice must not keep the process alive.
          (noticeTimer as { unref?: () => void }).unref?.();
        }
      },
      dismissNotice() {
        set({ notice: null });
      },
      requestFocus(focusRequest) {
        set({ focusRequest });
      },

      async retryEdit(key) {
        try {
          await api.retryEdit(key);
        } catch (error) {
          fail(error);
        }
        await loadSync();
      },
      async discardEdit(key) {
        try {
          await api.discardEdit(key);
        } catch (error) {
          fail(error);
        }
        // A discarded edit's optimistic effect goes away: re-read the screen (and the sync state).
        await get().refresh(['*']);
      },

      setIncludeArchived(includeArchived) {
        set((s) => ({ roster: { ...s.roster, includeArchived } }));
        void loaders.roster();
      },
      async saveTrainee(input) {
        const r = await command(() => api.saveTrainee(input), ['trainee']);
        return r.ok ? r.value : null;
      },
      async setTraineeArchived(id, archived) {
        await command(() => api.setTraineeArchived(id, archived), ['trainee']);
      },

      loadExercises: () => loaders.exercises(),
      async createExercise(name) {
        const r = await command(() => api.createExercise({ name: name.trim() }), ['exercise']);
        if (!r.ok) return null;
        // Show it at once even if this screen does not list exercises.
        set((s) => (s.exercises.items.some((e) => e.id === r.value.id) ? s : { exercises: { items: [...s.exercises.items, r.value], loaded: s.exercises.loaded } }));
        return r.value;
      },

      async createProgram(input) {
        const r = await command(() => api.createProgram(input), ['program']);
        if (!r.ok) return null;
        get().navigate({ name: 'program', id: r.value });
        return r.value;
      },
      async updateProgram(id, patch) {
        await command(() => api.updateProgram(id, patch), ['program']);
      },
      async deleteProgram(id) {
        const r = await command(() => api.deleteProgram(id), ['program']);
        if (r.ok) {
          if (get().program.id === id) set({ program: { id: null, detail: null, loaded: false } });
          get().navigate({ name: 'programs' });
        }
      },
      async assignProgram(programId, traineeId, startDate, open = true) {
        const r = await command(() => api.assignProgram(programId, traineeId, startDate), ['program']);
        if (!r.ok) return null;
        if (open) get().navigate({ name: 'program', id: r.value });
        return r.value;
      },
      async saveAsTemplate(programId, name) {
        const r = await command(() => api.saveAsTemplate(programId, name), ['program']);
        if (!r.ok) return null;
        get().navigate({ name: 'program', id: r.value });
        return r.value;
      },

      async addWorkout(programId, week, day, title) {
        const r = await command(() => api.addWorkout(programId, week, day, title), ['workout']);
        return r.ok ? r.value : null;
      },
      async updateWorkout(id, patch) {
        await command(() => api.updateWorkout(id, patch), ['workout']);
      },
      async deleteWorkout(id) {
        await command(() => api.deleteWorkout(id), ['workout', 'prescription']);
      },
      async copyDay(workoutId, toWeek, toDay) {
        const r = await command(() => api.copyDay(workoutId, toWeek, toDay), ['workout', 'prescription']);
        return r.ok ? r.value : null;
      },
      async copyWeek(programId, fromWeek, toWeeks) {
        const r = await command(() => api.copyWeek(programId, fromWeek, toWeeks), ['workout', 'prescription']);
        return r.ok;
      },

      async addPrescription(workoutId, input, afterId) {
        const r = await command(() => api.addPrescription(workoutId, input, afterId ?? null), ['prescription']);
        return r.ok ? r.value : null;
      },
      async updatePrescription(id, patch) {
        const r = await command(() => api.updatePrescription(id, patch), ['prescription']);
        return r.ok;
      },
      async deletePrescription(id) {
        await command(() => api.deletePrescription(id), ['prescription']);
      },
      async movePrescription(id, direction) {
        await command(() => api.movePrescription(id, direction), ['prescription']);
      },

      selectTrainee(traineeId) {
        get().navigate({ name: 'activity', traineeId });
      },
      async updateSettings(patch) {
        // Paint the choice at once; the refetch confirms it.
        set((s) => ({ settings: s.settings ? { ...s.settings, ...patch } : s.settings }));
        await command(() => api.updateSettings(patch), ['settings']);
      },
    };
  });
}
