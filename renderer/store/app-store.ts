// The renderer's state: one zustand store, made per API (the app passes the real one, tests a
// fake). Reads come from the host's local replica, so they are fast; commands resolve after a
// durable local write and the host applies them optimistically, so every command refetches what
// is on screen right after it resolves. Nothing here waits on the network.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  AccessRevoked,
  ChangeEvent,
  Connection,
  CoachDeskApi,
  CopyMode,
  Exercise,
  LibraryExercise,
  MaxInput,
  PrescriptionInput,
  PrescriptionPatch,
  ProgramDetail,
  ProgramSummary,
  Progression,
  RosterEntry,
  SessionInfo,
  Settings,
  SignInResult,
  SyncStatus,
  TraineeAccessEntry,
  TraineeActivity,
  TraineeInvite,
  TraineeMaxes,
  TraineeProgress,
  UndoState,
  UpdateState,
} from '../../preload/api.ts';
import { hashToView, viewToHash, type View } from '../lib/routes.ts';
import { shareExercises, shareProgram } from './share.ts';

export type { View };

export type SignInErrorCode = Extract<SignInResult, { ok: false }>['error'] | 'error';

export interface Notice {
  id: number;
  tone: 'info' | 'error';
  text: string;
  /** Offer "Undo" for what just happened (a destructive edit). */
  undo?: boolean;
  /** Raised by a failed command: the next command that succeeds clears it. */
  fromCommand?: boolean;
}

/** A cell of the program builder that should take focus once it is on screen. */
export interface FocusRequest {
  rxId: string;
  field: string;
}

/**
 * The trainees' app access as the sync server says it (the Clients screen shows it). `unknown`:
 * not read yet; `offline`: it cannot be asked now, so nothing is shown rather than stale data;
 * `error`: the host's message in `message`.
 */
export interface AccessState {
  status: 'unknown' | 'loaded' | 'offline' | 'error';
  entries: Record<string, TraineeAccessEntry>;
  message: string | null;
}

const NO_ACCESS: AccessState = { status: 'unknown', entries: {}, message: null };

/** Whether the host's engine is connected to the sync server (and so may ask it things). */
export function isConnected(connection: Connection): boolean {
  return connection === 'synced' || connection === 'syncing';
}

/** What a command that can fail at a field returns: the host's message when it did. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; message: string };

export interface AppState {
  /** False until the first getSession() answered. */
  booted: boolean;
  session: SessionInfo | null;
  /** False while the page has lost its host (the web shell stopped): nothing it shows is current. */
  host: { connected: boolean; message: string | null };
  signInForm: { busy: boolean; error: { code: SignInErrorCode; message: string } | null };
  sync: SyncStatus;
  undoState: UndoState;
  update: UpdateState;
  view: View;
  roster: { items: RosterEntry[]; includeArchived: boolean; loaded: boolean };
  access: AccessState;
  programs: { items: ProgramSummary[]; loaded: boolean };
  /** The program open in the builder; `detail` null once loaded means it no longer exists. */
  program: { id: string | null; detail: ProgramDetail | null; loaded: boolean };
  activity: { traineeId: string | null; data: TraineeActivity | null; loaded: boolean };
  maxes: { traineeId: string | null; data: TraineeMaxes | null; loaded: boolean };
  /** The client's Progress view, computed by the host; `data` null once loaded: the client is gone. */
  progress: { traineeId: string | null; data: TraineeProgress | null; loaded: boolean };
  exercises: { items: Exercise[]; loaded: boolean };
  library: { items: LibraryExercise[]; loaded: boolean };
  settings: Settings | null;
  panel: 'outbox' | 'journal' | null;
  helpOpen: boolean;
  notice: Notice | null;
  focusRequest: FocusRequest | null;
  /** The API itself, for calls whose answer is not state: exports, print, the import's preview. */
  api: CoachDeskApi;

  init(): Promise<void>;
  dispose(): void;
  signIn(serverUrl: string, token: string): Promise<boolean>;
  signOut(): Promise<void>;
  /** Shows a screen; `history` says the URL already names it (Back, Forward, a reload). */
  navigate(view: View, how?: { history?: boolean; replace?: boolean }): void;
  /** Refetches what is on screen that depends on these entities ('*' = everything). */
  refresh(entities: Iterable<string>): Promise<void>;

  togglePanel(panel: 'outbox' | 'journal'): void;
  closePanel(): void;
  setHelpOpen(open: boolean): void;
  notify(text: string, tone?: Notice['tone'], extra?: Pick<Notice, 'undo' | 'fromCommand'>): void;
  dismissNotice(): void;
  requestFocus(request: FocusRequest | null): void;

  syncNow(): Promise<void>;
  restartToUpdate(): Promise<void>;
  retryEdit(key: string): Promise<void>;
  discardEdit(key: string): Promise<void>;
  undo(): Promise<void>;
  redo(): Promise<void>;

  setIncludeArchived(includeArchived: boolean): void;
  saveTrainee(input: { id?: string; name: string; email?: string | null; notes?: string | null }): Promise<Outcome<string>>;
  setTraineeArchived(id: string, archived: boolean): Promise<void>;
  /** Re-reads the trainees' app access from the server (through the host). */
  loadAccess(): Promise<void>;
  inviteTrainee(traineeId: string): Promise<Outcome<TraineeInvite>>;
  revokeTraineeAccess(traineeId: string): Promise<Outcome<AccessRevoked>>;

  loadExercises(): Promise<void>;
  createExercise(name: string, opts?: { inline?: boolean }): Promise<Outcome<Exercise>>;
  updateExercise(id: string, patch: { name?: string; category?: string | null; videoUrl?: string | null; notes?: string | null }): Promise<Outcome<void>>;
  mergeExercises(keepId: string, mergeIds: string[]): Promise<boolean>;

  createProgram(input: { name: string; weeks: number; traineeId: string | null; startDate?: string | null }): Promise<string | null>;
  updateProgram(id: string, patch: { name?: string; weeks?: number; notes?: string | null; startDate?: string | null }, options?: { removeLaterWeeks?: boolean }): Promise<boolean>;
  deleteProgram(id: string): Promise<void>;
  /** Assigns a copy; `open` (the default) opens the copy in the builder. */
  assignProgram(programId: string, traineeId: string, startDate: string, open?: boolean): Promise<string | null>;
  saveAsTemplate(programId: string, name: string): Promise<string | null>;

  addWorkout(programId: string, week: number, day: number, title: string): Promise<string | null>;
  updateWorkout(id: string, patch: { title?: string; notes?: string | null }): Promise<void>;
  deleteWorkout(id: string, label?: string): Promise<void>;
  copyDay(workoutId: string, toWeek: number, toDay: number, mode: CopyMode): Promise<string | null>;
  copyWeek(programId: string, fromWeek: number, toWeeks: number[], options: { mode: CopyMode; progression?: Progression | null }): Promise<boolean>;
  progressRows(workoutId: string, rxIds: string[], toWeeks: number[], progression: Progression): Promise<{ changed: number; missing: string[] } | null>;

  addPrescription(workoutId: string, input: PrescriptionInput, afterId?: string | null, opts?: { inline?: boolean }): Promise<Outcome<string>>;
  updatePrescription(id: string, patch: PrescriptionPatch): Promise<boolean>;
  deletePrescription(id: string, label?: string): Promise<void>;
  movePrescription(id: string, direction: -1 | 1): Promise<void>;

  selectTrainee(traineeId: string | null): void;
  saveMax(input: MaxInput): Promise<Outcome<string>>;
  deleteMax(id: string, label?: string): Promise<void>;
  updateSettings(patch: Partial<Settings>): Promise<void>;
}

export interface StoreOptions {
  /** Runs a coalesced refetch; defaults to the next animation frame. */
  schedule?: (run: () => void) => void;
  /** Keeps the URL's hash and the screen in step (the app's; tests leave it off). */
  routing?: boolean;
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

const KNOWN_ENTITIES = new Set(['trainee', 'exercise', 'program', 'workout', 'prescription', 'max', 'session', 'set_log', 'settings']);

/** Which entities each resource is read from. */
const DEPENDS_ON = {
  roster: ['trainee', 'program', 'workout', 'session', 'set_log', 'settings'],
  programs: ['program', 'trainee'],
  program: ['program', 'workout', 'prescription', 'exercise', 'trainee', 'max'],
  activity: ['trainee', 'program', 'workout', 'prescription', 'exercise', 'session', 'set_log', 'max', 'settings'],
  maxes: ['max', 'exercise', 'trainee', 'session', 'set_log'],
  progress: ['trainee', 'exercise', 'program', 'workout', 'prescription', 'session', 'set_log', 'settings'],
  exercises: ['exercise'],
  library: ['exercise', 'prescription'],
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
  const routing = options.routing === true && typeof window !== 'undefined';
  // Latest request per resource: an older answer never overwrites a newer one.
  const latest: Record<Resource | 'sync' | 'session' | 'undo', number> = { roster: 0, programs: 0, program: 0, activity: 0, maxes: 0, progress: 0, exercises: 0, library: 0, settings: 0, sync: 0, session: 0, undo: 0 };
  const inflight: Partial<Record<Resource | 'sync' | 'session' | 'undo', Promise<void>>> = {};
  let syncEvents = 0;
  let noticeId = 0;
  let queued: Set<string> | null = null;
  let unsubscribe: (() => void) | null = null;
  let noticeTimer: ReturnType<typeof setTimeout> | null = null;
  let onPopState: (() => void) | null = null;

  return createStore<AppState>()((set, get) => {
    const fail = (error: unknown) => get().notify(messageOf(error), 'error', { fromCommand: true });

    /**
     * Runs a command, then refetches what it touched. A failure is a notice, unless the caller
     * shows it at the field (`inline`). A success clears a notice an earlier failure left.
     */
    async function command<T>(run: () => Promise<T>, touches: string[], opts: { inline?: boolean } = {}): Promise<Outcome<T>> {
      try {
        const value = await run();
        if (get().notice?.fromCommand) set({ notice: null });
        await get().refresh(touches);
        return { ok: true, value };
      } catch (error) {
        if (!opts.inline) fail(error);
        void get().refresh(touches);
        return { ok: false, message: messageOf(error) };
      }
    }

    /** A destructive edit went through: say what, with Undo at hand. */
    const undoable = (text: string | undefined, ok: boolean) => {
      if (ok && text) get().notify(text, 'info', { undo: true });
    };

    /**
     * Reads a resource and applies the answer unless a newer read started meanwhile. Either way
     * the promise settles only once the store holds an answer at least as new as this read, so a
     * caller that awaits a refresh after a command sees the command's result.
     */
    function load<T>(resource: Resource | 'sync' | 'session' | 'undo', read: () => Promise<T>, apply: (value: T) => void): Promise<void> {
      const run = loadOnce(resource, read, apply);
      inflight[resource] = run;
      return run;
    }

    async function loadOnce<T>(resource: Resource | 'sync' | 'session' | 'undo', read: () => Promise<T>, apply: (value: T) => void): Promise<void> {
      const ticket = ++latest[resource];
      const eventsBefore = syncEvents;
      try {
        const value = await read();
        if (ticket !== latest[resource]) return await inflight[resource];
        // A sync event that arrived while we read is newer than what we read.
        if (resource === 'sync' && syncEvents !== eventsBefore) return;
        apply(value);
      } catch (error) {
        if (ticket === latest[resource] && get().host.connected) fail(error);
      }
    }

    const loaders: Record<Resource, () => Promise<void>> = {
      roster: () => load('roster', () => api.getRoster(get().roster.includeArchived), (items) => set((s) => ({ roster: { ...s.roster, items, loaded: true } }))),
      programs: () => load('programs', () => api.getPrograms(), (items) => set({ programs: { items, loaded: true } })),
      program: async () => {
        const id = get().program.id;
        if (!id) return;
        await load('program', () => api.getProgram(id), (read) => {
          const shown = get().program;
          if (shown.id !== id) return;
          // Unchanged workouts and rows keep their objects, so only what changed renders again.
          const detail = shareProgram(shown.detail, read);
          if (shown.loaded && detail === shown.detail) return;
          set({ program: { id, detail, loaded: true } });
        });
      },
      activity: async () => {
        const traineeId = get().activity.traineeId;
        if (!traineeId) return;
        await load('activity', () => api.getTraineeActivity(traineeId), (data) => {
          if (get().activity.traineeId === traineeId) set({ activity: { traineeId, data, loaded: true } });
        });
      },
      maxes: async () => {
        const traineeId = get().maxes.traineeId;
        if (!traineeId) return;
        await load('maxes', () => api.getMaxes(traineeId), (data) => {
          if (get().maxes.traineeId === traineeId) set({ maxes: { traineeId, data, loaded: true } });
        });
      },
      progress: async () => {
        const traineeId = get().progress.traineeId;
        if (!traineeId) return;
        await load('progress', () => api.getProgress(traineeId), (data) => {
          if (get().progress.traineeId === traineeId) set({ progress: { traineeId, data, loaded: true } });
        });
      },
      exercises: () =>
        load('exercises', () => api.getExercises(), (read) => {
          const shown = get().exercises;
          const items = shareExercises(shown.items, read);
          if (shown.loaded && items === shown.items) return;
          set({ exercises: { items, loaded: true } });
        }),
      library: () => load('library', () => api.getExerciseLibrary(), (items) => set({ library: { items, loaded: true } })),
      settings: () => load('settings', () => api.getSettings(), (settings) => set({ settings })),
    };

    let accessTicket = 0;
    /** Reads the access list; an older answer never overwrites a newer one. */
    async function loadAccess(): Promise<void> {
      if (!get().session?.signedIn) return;
      const ticket = ++accessTicket;
      try {
        const list = await api.getTraineeAccess();
        if (ticket !== accessTicket) return;
        set({ access: { status: 'loaded', entries: Object.fromEntries(list.map((e) => [e.traineeId, e])), message: null } });
      } catch (error) {
        if (ticket !== accessTicket) return;
        const offline = !isConnected(get().sync.connection);
        set({ access: { status: offline ? 'offline' : 'error', entries: {}, message: messageOf(error) } });
      }
    }

    /**
     * A new sync state. App access is the server's to say: offline, none is shown rather than
     * what may be stale; back online, it is read again.
     */
    function setSync(sync: SyncStatus): void {
      const was = get().sync.connection;
      set({ sync });
      const now = sync.connection;
      if (!isConnected(now) && get().access.status !== 'offline') {
        accessTicket++;
        set({ access: { status: 'offline', entries: {}, message: null } });
      } else if (isConnected(now) && (!isConnected(was) || get().access.status === 'offline') && get().view.name === 'clients') void loadAccess();
    }

    const loadSync = () => load('sync', () => api.getSyncStatus(), setSync);
    const loadUndo = () => load('undo', () => api.getUndoState(), (undoState) => set({ undoState }));

    /** The resources the current screen shows. */
    function onScreen(): Resource[] {
      const view = get().view;
      const shown: Resource[] = ['settings'];
      if (view.name === 'clients') shown.push('roster');
      if (view.name === 'programs') shown.push('programs', 'roster');
      if (view.name === 'program') shown.push('program', 'exercises', 'roster');
      if (view.name === 'activity') shown.push('roster', 'activity', 'maxes', 'exercises');
      if (view.name === 'progress') shown.push('roster', 'progress');
      if (view.name === 'library') shown.push('library');
      return shown;
    }

    function onChange(event: ChangeEvent): void {
      switch (event.kind) {
        case 'sync':
          syncEvents++;
          setSync(event.status);
          return;
        case 'undo':
          set({ undoState: event.state });
          return;
        case 'update':
          set({ update: event.state });
          return;
        case 'host':
          set({ host: { connected: event.connected, message: event.connected ? null : (event.message ?? 'CoachDesk’s host is not answering') } });
          if (event.connected) void loadSync();
          return;
        case 'data':
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
    }

    /** Everything on screen, the sync state ('*' re-reads it) and what Undo would do. */
    async function afterSignIn(): Promise<void> {
      await Promise.all([get().refresh(['*']), loadUndo()]);
    }

    function clearData(): Partial<AppState> {
      return {
        roster: { items: [], includeArchived: false, loaded: false },
        access: NO_ACCESS,
        programs: { items: [], loaded: false },
        program: { id: null, detail: null, loaded: false },
        activity: { traineeId: null, data: null, loaded: false },
        maxes: { traineeId: null, data: null, loaded: false },
        progress: { traineeId: null, data: null, loaded: false },
        exercises: { items: [], loaded: false },
        library: { items: [], loaded: false },
        settings: null,
        view: { name: 'clients' },
        panel: null,
        focusRequest: null,
        undoState: { undo: null, redo: null },
      };
    }

    /**
     * Puts the view in the URL, so Back, Forward and a reload find it. After the screen is
     * drawn: a history entry costs the browser a few milliseconds the click should not wait for.
     */
    function writeUrl(view: View, replace: boolean): void {
      if (!routing) return;
      const hash = viewToHash(view);
      setTimeout(() => {
        if (window.location.hash === hash) return;
        if (replace) window.history.replaceState(null, '', hash);
        else window.history.pushState(null, '', hash);
      }, 0);
    }

    return {
      booted: false,
      session: null,
      host: { connected: true, message: null },
      signInForm: { busy: false, error: null },
      sync: EMPTY_SYNC,
      undoState: { undo: null, redo: null },
      update: { status: 'off', reason: 'not known yet' },
      view: { name: 'clients' },
      roster: { items: [], includeArchived: false, loaded: false },
      access: NO_ACCESS,
      programs: { items: [], loaded: false },
      program: { id: null, detail: null, loaded: false },
      activity: { traineeId: null, data: null, loaded: false },
      maxes: { traineeId: null, data: null, loaded: false },
      progress: { traineeId: null, data: null, loaded: false },
      exercises: { items: [], loaded: false },
      library: { items: [], loaded: false },
      settings: null,
      panel: null,
      helpOpen: false,
      notice: null,
      focusRequest: null,
      api,

      async init() {
        unsubscribe ??= api.onChange(onChange);
        if (routing && !onPopState) {
          onPopState = () => get().navigate(hashToView(window.location.hash), { history: true });
          window.addEventListener('popstate', onPopState);
        }
        let session: SessionInfo;
        try {
          session = await api.getSession();
        } catch (error) {
          set({ booted: true, session: { signedIn: false, serverUrl: null, userId: null, role: null }, signInForm: { busy: false, error: { code: 'error', message: messageOf(error) } } });
          return;
        }
        set({ booted: true, session });
        void api.getUpdateState().then(
          (update) => set({ update }),
          () => {},
        );
        if (session.signedIn) {
          if (routing && window.location.hash) get().navigate(hashToView(window.location.hash), { history: true });
          await afterSignIn();
        } else await loadSync();
      },

      dispose() {
        unsubscribe?.();
        unsubscribe = null;
        if (onPopState) window.removeEventListener('popstate', onPopState);
        onPopState = null;
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
        writeUrl({ name: 'clients' }, true);
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
        writeUrl({ name: 'clients' }, true);
        await loadSync();
      },

      navigate(view, how = {}) {
        const s = get();
        const patch: Partial<AppState> = { view, focusRequest: null };
        if (view.name === 'program' && s.program.id !== view.id) patch.program = { id: view.id, detail: null, loaded: false };
        if (view.name === 'activity' && view.traineeId !== s.activity.traineeId) {
          patch.activity = { traineeId: view.traineeId, data: null, loaded: false };
          patch.maxes = { traineeId: view.traineeId, data: null, loaded: false };
        }
        if (view.name === 'progress' && view.traineeId !== s.progress.traineeId) patch.progress = { traineeId: view.traineeId, data: null, loaded: false };
        // Another week of the same program is the same screen: the URL follows without a new entry.
        const sameScreen = s.view.name === 'program' && view.name === 'program' && s.view.id === view.id;
        if (!how.history) writeUrl(view, how.replace ?? sameScreen);
        set(patch);
        if (!sameScreen) void get().refresh(['*']);
      },

      async refresh(entities) {
        const list = [...entities];
        const all = list.includes('*') || list.some((e) => !KNOWN_ENTITIES.has(e));
        const wanted = onScreen().filter((r) => all || DEPENDS_ON[r].some((e) => list.includes(e)));
        const jobs = wanted.map((r) => loaders[r]());
        // Access asks the server: not awaited, so a command never waits on the network.
        if (get().view.name === 'clients' && (all || list.includes('trainee'))) void loadAccess();
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
      notify(text, tone = 'info', extra = {}) {
        const id = ++noticeId;
        set({ notice: { id, tone, text, ...extra } });
        if (noticeTimer) clearTimeout(noticeTimer);
        noticeTimer = null;
        if (tone === 'info') {
          noticeTimer = setTimeout(
            () => {
              if (get().notice?.id === id) set({ notice: null });
            },
            extra.undo ? 10_000 : 5000,
          );
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

      async restartToUpdate() {
        try {
          await api.restartToUpdate();
        } catch (error) {
          fail(error);
        }
      },

      async syncNow() {
        try {
          await api.syncNow();
        } catch (error) {
          fail(error);
        }
        await loadSync();
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
      async undo() {
        const r = await command(() => api.undo(), ['*']);
        if (r.ok) get().notify(r.value ? `Undone: ${r.value}` : 'Nothing to undo.');
      },
      async redo() {
        const r = await command(() => api.redo(), ['*']);
        if (r.ok) get().notify(r.value ? `Redone: ${r.value}` : 'Nothing to redo.');
      },

      setIncludeArchived(includeArchived) {
        set((s) => ({ roster: { ...s.roster, includeArchived } }));
        void loaders.roster();
      },
      saveTrainee(input) {
        return command(() => api.saveTrainee(input), ['trainee'], { inline: true });
      },
      async setTraineeArchived(id, archived) {
        await command(() => api.setTraineeArchived(id, archived), ['trainee']);
      },

      loadAccess,
      async inviteTrainee(traineeId) {
        try {
          const invite = await api.inviteTrainee(traineeId);
          void loadAccess();
          return { ok: true, value: invite };
        } catch (error) {
          return { ok: false, message: messageOf(error) };
        }
      },
      async revokeTraineeAccess(traineeId) {
        try {
          const revoked = await api.revokeTraineeAccess(traineeId);
          await loadAccess();
          return { ok: true, value: revoked };
        } catch (error) {
          return { ok: false, message: messageOf(error) };
        }
      },

      loadExercises: () => loaders.exercises(),
      async createExercise(name, opts = {}) {
        const r = await command(() => api.createExercise({ name: name.trim() }), ['exercise'], opts);
        if (!r.ok) return r;
        // Show it at once even if this screen does not list exercises.
        set((s) => (s.exercises.items.some((e) => e.id === r.value.id) ? s : { exercises: { items: [...s.exercises.items, r.value], loaded: s.exercises.loaded } }));
        return r;
      },
      updateExercise(id, patch) {
        return command(() => api.updateExercise(id, patch), ['exercise'], { inline: true });
      },
      async mergeExercises(keepId, mergeIds) {
        const keep = get().library.items.find((e) => e.id === keepId)?.name ?? 'the exercise kept';
        const r = await command(() => api.mergeExercises(keepId, mergeIds), ['exercise', 'prescription', 'max']);
        undoable(`Merged ${mergeIds.length === 1 ? 'one exercise' : `${mergeIds.length} exercises`} into ${keep}.`, r.ok);
        return r.ok;
      },

      async createProgram(input) {
        const r = await command(() => api.createProgram(input), ['program']);
        if (!r.ok) return null;
        get().navigate({ name: 'program', id: r.value });
        // The next step is a workout: focus goes there, not to the page.
        get().requestFocus({ rxId: `program:${r.value}`, field: 'add-workout' });
        return r.value;
      },
      async updateProgram(id, patch, opts) {
        const r = await command(() => api.updateProgram(id, patch, opts), ['program', 'workout', 'prescription']);
        if (opts?.removeLaterWeeks) undoable(`The program now has ${patch.weeks} weeks; the workouts after week ${patch.weeks} were deleted.`, r.ok);
        return r.ok;
      },
      async deleteProgram(id) {
        const name = get().program.detail?.id === id ? get().program.detail?.name : undefined;
        const r = await command(() => api.deleteProgram(id), ['program']);
        if (r.ok) {
          if (get().program.id === id) set({ program: { id: null, detail: null, loaded: false } });
          get().navigate({ name: 'programs' });
          undoable(`Deleted ${name ?? 'the program'}.`, true);
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
      async deleteWorkout(id, label) {
        const r = await command(() => api.deleteWorkout(id), ['workout', 'prescription']);
        undoable(label && `Deleted ${label}.`, r.ok);
      },
      async copyDay(workoutId, toWeek, toDay, mode) {
        const r = await command(() => api.copyDay(workoutId, toWeek, toDay, mode), ['workout', 'prescription']);
        return r.ok ? r.value : null;
      },
      async copyWeek(programId, fromWeek, toWeeks, opts) {
        const r = await command(() => api.copyWeek(programId, fromWeek, toWeeks, opts), ['workout', 'prescription']);
        return r.ok;
      },
      async progressRows(workoutId, rxIds, toWeeks, progression) {
        const r = await command(() => api.progressRows(workoutId, rxIds, toWeeks, progression), ['prescription']);
        return r.ok ? r.value : null;
      },

      addPrescription(workoutId, input, afterId, opts = {}) {
        return command(() => api.addPrescription(workoutId, input, afterId ?? null), ['prescription'], opts);
      },
      async updatePrescription(id, patch) {
        const r = await command(() => api.updatePrescription(id, patch), ['prescription']);
        return r.ok;
      },
      async deletePrescription(id, label) {
        const r = await command(() => api.deletePrescription(id), ['prescription']);
        undoable(label && `Deleted ${label}.`, r.ok);
      },
      async movePrescription(id, direction) {
        await command(() => api.movePrescription(id, direction), ['prescription']);
      },

      selectTrainee(traineeId) {
        get().navigate({ name: 'activity', traineeId });
      },
      saveMax(input) {
        return command(() => api.saveMax(input), ['max'], { inline: true });
      },
      async deleteMax(id, label) {
        const r = await command(() => api.deleteMax(id), ['max']);
        undoable(label && `Deleted ${label}.`, r.ok);
      },
      async updateSettings(patch) {
        // Paint the choice at once; the refetch confirms it.
        set((s) => ({ settings: s.settings ? { ...s.settings, ...patch } : s.settings }));
        await command(() => api.updateSettings(patch), ['settings']);
      },
    };
  });
}
