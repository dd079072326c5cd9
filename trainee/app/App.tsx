import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { RpcFailure, type Method, type Params, type Result } from '../rpc.ts';
import type { HistoryEntry, LoggedSet, PrescriptionView, ProgramView, SetRow, TodayView, WorkoutSummary, WorkoutView } from '../worker/queries.ts';
import { localToday, useApp, type Route } from './state.ts';

// ---------------------------------------------------------------------------------------------
// Reading from the worker

/** Calls the worker and calls again whenever the data changed; keeps the last answer meanwhile. */
function useQuery<M extends Method>(method: M, params: Params<M>): { data: Result<M> | undefined; error: string | null } {
  const rpc = useApp((s) => s.rpc);
  const version = useApp((s) => s.version);
  const key = JSON.stringify(params);
  const [state, setState] = useState<{ key: string; data: Result<M> | undefined; error: string | null }>({ key, data: undefined, error: null });
  useEffect(() => {
    if (!rpc) return;
    let live = true;
    rpc.call(method, JSON.parse(key) as Params<M>).then(
      (data) => live && setState({ key, data, error: null }),
      (error: Error) => live && setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: error.message })),
    );
    return () => {
      live = false;
    };
  }, [rpc, method, key, version]);
  return state.key === key ? state : { data: undefined, error: null };
}

const fmt = (n: number) => String(Math.round(n * 1000) / 1000);
const DAY = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function longDate(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(`${iso}T12:00:00`);
  return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
}

function when(iso: string | null, today: string): string {
  if (!iso) return '';
  if (iso === today) return 'Today';
  const tomorrow = new Date(`${today}T12:00:00`);
  tomorrow.setDate(tomorrow.getDate() + 1);
  if (iso === localToday(tomorrow)) return 'Tomorrow';
  return longDate(iso);
}

// ---------------------------------------------------------------------------------------------
// The frame: status, screens, tabs

export function App() {
  const db = useApp((s) => s.db);
  const dbMessage = useApp((s) => s.dbMessage);
  const route = useApp((s) => s.route);
  const signedIn = useApp((s) => s.sync.signedIn);

  if (db === 'locked' || db === 'released' || db === 'waiting') return <OtherTab waiting={db === 'waiting'} />;
  if (db === 'failed') return <Message title="CoachDesk could not start">{dbMessage ?? 'The database on this phone could not be opened.'} Close other CoachDesk tabs and reload.</Message>;
  if (db === 'opening') return <Splash />;
  if (route.name === 'join') return <Join />;
  if (!signedIn) return <Welcome />;
  return (
    <div className="app">
      <StatusBar />
      <main className="screen">
        {route.name === 'today' && <Today />}
        {route.name === 'workout' && <WorkoutScreen id={route.id} />}
        {route.name === 'history' && <History />}
        {route.name === 'program' && <Program />}
      </main>
      <RestTimer />
      <Tabs route={route} />
    </div>
  );
}

function Splash() {
  return (
    <div className="center">
      <img className="brand-mark" src="/icon-192.png" alt="" width={64} height={64} />
      <p className="muted">Opening CoachDesk…</p>
    </div>
  );
}

function Message({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="center">
      <img className="brand-mark" src="/icon-192.png" alt="" width={64} height={64} />
      <h1>{title}</h1>
      <div className="lead">{children}</div>
    </div>
  );
}

function OtherTab({ waiting }: { waiting: boolean }) {
  const rpc = useApp((s) => s.rpc);
  return (
    <Message title="CoachDesk is open in another tab">
      <p>Your sets are kept in one place at a time, so only one tab can use CoachDesk.</p>
      <button className="primary wide" disabled={waiting} onClick={() => void rpc?.call('claim', {})}>
        {waiting ? 'Waiting for the other tab…' : 'Use it here'}
      </button>
    </Message>
  );
}

function Welcome() {
  return (
    <Message title="Welcome to CoachDesk">
      <p>Open the invite link your coach sent you on this phone. It signs this phone in and brings your program.</p>
      <p className="muted">No link? Ask your coach for an invite.</p>
    </Message>
  );
}

const CONNECTION_TEXT = { offline: 'Offline', connecting: 'Connecting…', syncing: 'Syncing…', synced: 'Online' } as const;

function StatusBar() {
  const sync = useApp((s) => s.sync);
  const pendingText =
    sync.pending === 0
      ? 'All synced'
      : sync.pendingSets === sync.pending
        ? `${sync.pending} ${sync.pending === 1 ? 'set' : 'sets'} waiting to sync`
        : `${sync.pending} ${sync.pending === 1 ? 'change' : 'changes'} waiting to sync`;
  return (
    <header className="status" role="status" aria-label="Sync status">
      <span className={`dot ${sync.connection}`} aria-hidden="true" />
      <span data-testid="connection" className="connection">
        {CONNECTION_TEXT[sync.connection]}
      </span>
      <span data-testid="pending" className={`pending ${sync.pending ? 'has-pending' : ''}`}>
        {pendingText}
      </span>
      {sync.error && (
        <span className="status-error" role="alert">
          {sync.error.code === 'unauthorized' ? 'This phone was signed out by your coach: open a new invite link.' : sync.error.message}
        </span>
      )}
      {sync.failed > 0 && <span className="status-error">{sync.failed} not accepted by the server</span>}
    </header>
  );
}

function Tabs({ route }: { route: Route }) {
  const navigate = useApp((s) => s.navigate);
  const tab = (name: 'today' | 'history' | 'program', label: string, icon: string) => {
    const current = route.name === name || (name === 'today' && route.name === 'workout');
    return (
      <button className={`tab ${current ? 'current' : ''}`} aria-current={current ? 'page' : undefined} onClick={() => navigate({ name })}>
        <span className="tab-icon" aria-hidden="true">
          {icon}
        </span>
        {label}
      </button>
    );
  };
  return (
    <nav className="tabs" aria-label="Main">
      {tab('today', 'Today', '●')}
      {tab('history', 'History', '◷')}
      {tab('program', 'Program', '▦')}
    </nav>
  );
}

// ---------------------------------------------------------------------------------------------
// Join

function Join() {
  const rpc = useApp((s) => s.rpc);
  const navigate = useApp((s) => s.navigate);
  const code = useMemo(() => decodeURIComponent(location.hash.replace(/^#/, '')).trim(), []);
  const [problem, setProblem] = useState<{ title: string; text: string; retry: boolean } | null>(code ? null : { title: 'This link has no invite code', text: 'Open the whole link your coach sent you, or ask them for a new one.', retry: false });
  const started = useRef(false);

  const join = useCallback(async () => {
    setProblem(null);
    let response: Response;
    try {
      response = await fetch('/api/join', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }), cache: 'no-store' });
    } catch {
      setProblem({ title: 'No connection', text: 'Joining needs the network once. Connect and try again.', retry: true });
      return;
    }
    let body: { userId?: string; token?: string; error?: string; message?: string } = {};
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // not JSON: the status says enough
    }
    if (response.ok && body.userId && body.token) {
      try {
        await rpc!.call('signIn', { userId: body.userId, token: body.token });
      } catch (error) {
        setProblem({ title: 'Could not sign in', text: (error as Error).message, retry: false });
        return;
      }
      // The code leaves the address bar (and the history entry).
      navigate({ name: 'today' }, true);
      return;
    }
    const titles: Record<string, string> = {
      used: 'This invite was already used',
      expired: 'This invite has expired',
      cancelled: 'This invite was cancelled',
      unknown: 'This invite is not known',
      rate_limited: 'Too many attempts',
      unavailable: 'The server is busy',
    };
    const retry = response.status === 429 || response.status === 503 || response.status >= 500;
    setProblem({ title: titles[body.error ?? ''] ?? 'Could not join', text: body.message ?? `The server answered ${response.status}.`, retry });
    // A code that can never work is not kept in the address bar.
    if (!retry) history.replaceState(null, '', '/join');
  }, [code, rpc, navigate]);

  useEffect(() => {
    if (code && !started.current) {
      started.current = true;
      void join();
    }
  }, [code, join]);

  if (!problem) return <Message title="Joining…">Signing this phone in with your coach's invite.</Message>;
  return (
    <Message title={problem.title}>
      <p role="alert">{problem.text.charAt(0).toUpperCase() + problem.text.slice(1)}</p>
      {problem.retry ? (
        <button className="primary wide" onClick={() => void join()}>
          Try again
        </button>
      ) : (
        <p className="muted">Ask your coach to send you a new invite link, then open it on this phone.</p>
      )}
    </Message>
  );
}

// ---------------------------------------------------------------------------------------------
// Today and a workout

function Today() {
  const today = localToday();
  const { data, error } = useQuery('today', { today });
  const navigate = useApp((s) => s.navigate);
  if (error) return <p className="error-text">{error}</p>;
  if (!data) return <p className="muted pad">Loading…</p>;
  if (!data.workout) {
    return (
      <section className="pad">
        <h1>Nothing planned</h1>
        <p className="muted">Your coach has not assigned a workout yet. It shows here as soon as they do.</p>
      </section>
    );
  }
  return (
    <>
      <WorkoutView view={data.workout} lead={leadOf(data, today)} />
      {data.others.length > 0 && (
        <section className="others" aria-label="Other workouts">
          <h2>Other workouts</h2>
          <div className="chips">
            {data.others.map((w) => (
              <WorkoutChip key={w.id} w={w} today={today} onOpen={() => navigate({ name: 'workout', id: w.id })} />
            ))}
          </div>
        </section>
      )}
    </>
  );
}

function leadOf(t: TodayView, today: string): string {
  const w = t.workout!;
  if (t.when === 'today') return 'Today';
  if (t.when === 'next') return `Next · ${when(w.plannedDate, today)}`;
  return 'Up next';
}

function WorkoutChip({ w, today, onOpen }: { w: WorkoutSummary; today: string; onOpen: () => void }) {
  return (
    <button className={`chip ${w.done ? 'done' : ''}`} onClick={onOpen}>
      <span className="chip-when">{w.plannedDate ? when(w.plannedDate, today) : `Week ${w.week} · ${DAY[w.day - 1]}`}</span>
      <span className="chip-title">{w.title || `Day ${w.day}`}</span>
      {w.done && <span className="chip-done">✓ done</span>}
    </button>
  );
}

function WorkoutScreen({ id }: { id: string }) {
  const today = localToday();
  const { data, error } = useQuery('workout', { workoutId: id, today });
  if (error) return <p className="error-text pad">{error}</p>;
  if (data === undefined) return <p className="muted pad">Loading…</p>;
  if (data === null) return <p className="pad">This workout is no longer in your program.</p>;
  return <WorkoutView view={data} lead={data.plannedDate ? when(data.plannedDate, today) : `Week ${data.week} · ${DAY[data.day - 1]}`} />;
}

function WorkoutView({ view, lead }: { view: WorkoutView; lead: string }) {
  const rpc = useApp((s) => s.rpc);
  const today = localToday();
  const total = view.prescriptions.reduce((n, p) => n + p.rows.length, 0);
  const logged = view.prescriptions.reduce((n, p) => n + p.rows.filter((r) => r.logged).length, 0);
  return (
    <article className="workout" aria-label={`Workout ${view.title}`}>
      <header className="workout-head">
        <p className="eyebrow">
          {lead} · Week {view.week}
        </p>
        <h1>{view.title || `Day ${view.day}`}</h1>
        <p className="muted small">
          {view.programName}
          {view.plannedDate ? ` · ${longDate(view.plannedDate)}` : ''}
        </p>
        {total > 0 && (
          <div className="progress" aria-label={`${logged} of ${total} sets logged`}>
            <div className="progress-bar" style={{ width: `${Math.round((logged / total) * 100)}%` }} />
          </div>
        )}
        {view.notes && <p className="coach-note">{view.notes}</p>}
      </header>
      {view.prescriptions.map((p) => (
        <Exercise key={p.id} p={p} workoutId={view.id} />
      ))}
      {view.extra.length > 0 && (
        <section className="card">
          <h2>Other sets today</h2>
          {view.extra.map((s) => (
            <p key={s.id} className="small">
              {s.exerciseName}: {setText(s)}
            </p>
          ))}
        </section>
      )}
      {view.prescriptions.length === 0 && <p className="muted pad">No exercises in this workout yet.</p>}
      {logged > 0 && view.sessionStatus !== 'completed' && (
        <button className="secondary wide finish" onClick={() => void rpc?.call('finishWorkout', { workoutId: view.id, today })}>
          Finish workout
        </button>
      )}
      {view.sessionStatus === 'completed' && <p className="done-banner">Workout finished. Well done.</p>}
    </article>
  );
}

function setText(s: Pick<LoggedSet, 'reps' | 'load' | 'loadUnit' | 'rpe'>): string {
  return `${s.reps}${s.load !== null ? ` × ${fmt(s.load)}${s.loadUnit && s.loadUnit !== '%1rm' ? ` ${s.loadUnit}` : ''}` : ' reps'}${s.rpe !== null ? ` @ RPE ${fmt(s.rpe)}` : ''}`;
}

function Exercise({ p, workoutId }: { p: PrescriptionView; workoutId: string }) {
  const [extra, setExtra] = useState(0);
  const rows: SetRow[] = [...p.rows];
  for (let i = 0; i < extra; i++) {
    const last = rows.at(-1)!;
    rows.push({ ...last, n: rows.length + 1, logged: null });
  }
  return (
    <section className="card exercise" aria-label={p.exerciseName}>
      <header className="exercise-head">
        <div>
          <h2>
            {p.group && <span className="group-tag">{p.group}</span>}
            {p.exerciseName}
          </h2>
          <p className="prescribed">{p.summary}</p>
          <p className="muted small">
            {[p.tempo && `Tempo ${p.tempo}`, p.restSec !== null && `Rest ${restText(p.restSec)}`, p.best && `Best e1RM ${fmt(p.best.e1rm)} ${p.best.unit}`]
              .filter(Boolean)
              .join(' · ')}
          </p>
        </div>
        {p.videoUrl && (
          <a className="video" href={p.videoUrl} target="_blank" rel="noopener noreferrer">
            ▶ Video
          </a>
        )}
      </header>
      {(p.notes || p.exerciseNotes) && (
        <p className="coach-note">
          <span className="coach-note-label">Coach:</span> {p.notes ?? p.exerciseNotes}
        </p>
      )}
      <div className="sets">
        {rows.map((row) => (
          <SetRowItem key={row.n} row={row} p={p} workoutId={workoutId} />
        ))}
      </div>
      <button className="link-button" onClick={() => setExtra((n) => n + 1)}>
        + Add a set
      </button>
    </section>
  );
}

function restText(sec: number): string {
  return sec >= 60 ? `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}` : `${sec} s`;
}

type Field = 'reps' | 'load' | 'rpe' | 'note';

/** What a field holds, checked; the text typed is never changed. */
function check(draft: Record<Field, string>): { values?: { reps: number; load: number | null; rpe: number | null; note: string | null }; errors: Partial<Record<Field, string>> } {
  const errors: Partial<Record<Field, string>> = {};
  const reps = draft.reps.trim();
  if (reps === '') errors.reps = 'Enter the reps you did';
  else if (!/^\d+$/.test(reps) || Number(reps) < 1) errors.reps = 'Reps must be a whole number, 1 or more';
  else if (Number(reps) > 1000) errors.reps = 'Reps must be 1000 or less';
  const loadText = draft.load.trim().replace(',', '.');
  let load: number | null = null;
  if (loadText !== '') {
    if (/^-\s*\d/.test(loadText)) errors.load = 'Load cannot be negative';
    else if (!/^\d+(\.\d+)?$|^\.\d+$/.test(loadText)) errors.load = 'Load must be a number, like 102.5';
    else if (Number(loadText) > 10_000) errors.load = 'Load must be 10000 or less';
    else load = Number(loadText);
  }
  const rpeText = draft.rpe.trim().replace(',', '.');
  let rpe: number | null = null;
  if (rpeText !== '') {
    if (!/^\d+(\.\d+)?$/.test(rpeText) || Number(rpeText) < 1 || Number(rpeText) > 10) errors.rpe = 'RPE must be a number from 1 to 10';
    else rpe = Number(rpeText);
  }
  if (draft.note.length > 10_000) errors.note = 'The note is too long';
  if (Object.keys(errors).length) return { errors };
  return { values: { reps: Number(reps), load, rpe, note: draft.note.trim() || null }, errors };
}

function SetRowItem({ row, p, workoutId }: { row: SetRow; p: PrescriptionView; workoutId: string }) {
  const rpc = useApp((s) => s.rpc);
  const [typed, setTyped] = useState<Partial<Record<Field, string>>>({});
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [noteOpen, setNoteOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [justLogged, setJustLogged] = useState<{ e1rm: number | null; newBest: boolean } | null>(null);
  const label = `${p.exerciseName} set ${row.n}`;
  const idBase = `s-${p.id}-${row.n}`;
  const draft: Record<Field, string> = {
    reps: typed.reps ?? row.prefill.reps,
    load: typed.load ?? row.prefill.load,
    rpe: typed.rpe ?? row.prefill.rpe,
    note: typed.note ?? '',
  };
  const unit = row.target.unit ?? (row.last?.loadUnit === 'lb' ? 'lb' : 'kg');

  const edit = (field: Field, value: string) => {
    setTyped((t) => ({ ...t, [field]: value }));
    if (errors[field]) setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const log = async () => {
    const checked = check(draft);
    setErrors(checked.errors);
    if (!checked.values || !rpc) return;
    setBusy(true);
    try {
      const result = await rpc.call('logSet', { workoutId, prescriptionId: p.id, n: row.n, ...checked.values, today: localToday() });
      setJustLogged({ e1rm: result.e1rm, newBest: result.newBest });
      useApp.setState({ rest: { startedAt: Date.now(), seconds: result.restSec, label: `after ${label}` } });
    } catch (error) {
      const e = error instanceof RpcFailure ? error.error : { message: (error as Error).message, field: undefined };
      const field = (e.field as Field | undefined) ?? 'reps';
      setErrors({ [field]: e.message });
    } finally {
      setBusy(false);
    }
  };

  const target = row.target;
  const targetText = [target.part, target.reps && `${target.reps} reps`, target.load !== null ? `${fmt(target.load)} ${target.unit ?? ''}`.trim() : target.percent !== null ? `${fmt(target.percent)}% 1RM` : null, target.rpe !== null && `RPE ${fmt(target.rpe)}`]
    .filter(Boolean)
    .join(' · ');

  if (row.logged) {
    const s = row.logged;
    const best = s.newBest || justLogged?.newBest;
    return (
      <div role="group" aria-label={label} className={`set logged ${best ? 'best' : ''}`}>
        <span className="set-n" aria-hidden="true">
          {row.n}
        </span>
        <div className="set-done">
          <span className="check" aria-hidden="true">
            ✓
          </span>
          <span className="set-values">{setText(s)}</span>
          {s.note && <span className="set-note">“{s.note}”</span>}
          <span className="set-meta">
            {s.e1rm !== null && <span className="e1rm">e1RM {fmt(s.e1rm)}</span>}
            {best && <span className="badge">★ New best</span>}
            {s.pending && (
              <span className="waiting" title="Saved on this phone; it syncs when you are online">
                waiting to sync
              </span>
            )}
          </span>
        </div>
      </div>
    );
  }

  return (
    <div role="group" aria-label={label} className="set">
      <span className="set-n" aria-hidden="true">
        {row.n}
      </span>
      <div className="set-body">
        <div className="set-fields">
          <label className="field">
            <span className="field-label">Reps</span>
            <input
              aria-label="Reps"
              inputMode="numeric"
              autoComplete="off"
              value={draft.reps}
              aria-invalid={errors.reps ? true : undefined}
              aria-describedby={errors.reps ? `${idBase}-reps` : undefined}
              onChange={(e) => edit('reps', e.target.value)}
            />
          </label>
          <label className="field">
            <span className="field-label">{unit}</span>
            <input
              aria-label="Load"
              inputMode="decimal"
              autoComplete="off"
              value={draft.load}
              placeholder="–"
              aria-invalid={errors.load ? true : undefined}
              aria-describedby={errors.load ? `${idBase}-load` : undefined}
              onChange={(e) => edit('load', e.target.value)}
            />
          </label>
          <label className="field narrow">
            <span className="field-label">RPE</span>
            <input
              aria-label="RPE"
              inputMode="decimal"
              autoComplete="off"
              value={draft.rpe}
              placeholder={target.rpe !== null ? fmt(target.rpe) : '–'}
              aria-invalid={errors.rpe ? true : undefined}
              aria-describedby={errors.rpe ? `${idBase}-rpe` : undefined}
              onChange={(e) => edit('rpe', e.target.value)}
            />
          </label>
          <button className="log" disabled={busy} onClick={() => void log()}>
            Log set
          </button>
        </div>
        {errors.reps && <p className="field-error" id={`${idBase}-reps`}>{errors.reps}</p>}
        {errors.load && <p className="field-error" id={`${idBase}-load`}>{errors.load}</p>}
        {errors.rpe && <p className="field-error" id={`${idBase}-rpe`}>{errors.rpe}</p>}
        <div className="set-hints">
          {targetText && <span>Target {targetText}</span>}
          {row.last && (
            <span>
              Last time {setText(row.last)}
            </span>
          )}
          {!noteOpen && (
            <button className="link-button small" onClick={() => setNoteOpen(true)}>
              + Note
            </button>
          )}
        </div>
        {noteOpen && (
          <label className="field note">
            <span className="field-label">Note</span>
            <input
              aria-label="Note"
              value={draft.note}
              placeholder="How did it feel?"
              aria-invalid={errors.note ? true : undefined}
              onChange={(e) => edit('note', e.target.value)}
            />
          </label>
        )}
        {errors.note && <p className="field-error">{errors.note}</p>}
      </div>
    </div>
  );
}

function RestTimer() {
  const rest = useApp((s) => s.rest);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!rest) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [rest]);
  if (!rest) return null;
  const elapsed = Math.max(0, Math.floor((now - rest.startedAt) / 1000));
  const left = rest.seconds !== null ? rest.seconds - elapsed : null;
  const show = (s: number) => `${Math.floor(Math.abs(s) / 60)}:${String(Math.abs(s) % 60).padStart(2, '0')}`;
  return (
    <div className={`rest ${left !== null && left <= 0 ? 'over' : ''}`} role="timer" aria-label="Rest timer">
      <span className="rest-label">{left === null ? 'Resting' : left > 0 ? 'Rest' : 'Rest over'}</span>
      <span className="rest-time">{left === null ? show(elapsed) : left > 0 ? show(left) : `+${show(-left)}`}</span>
      <button className="rest-close" onClick={() => useApp.setState({ rest: null })} aria-label="Stop the rest timer">
        ✕
      </button>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// History and program

function History() {
  const today = localToday();
  const { data, error } = useQuery('history', { today });
  if (error) return <p className="error-text pad">{error}</p>;
  if (!data) return <p className="muted pad">Loading…</p>;
  return (
    <section className="pad-top">
      <h1 className="page-title">History</h1>
      {data.length === 0 && <p className="muted pad">Sessions you log show here, with what your coach prescribed next to what you did.</p>}
      {data.map((h) => (
        <HistoryCard key={h.sessionId} h={h} />
      ))}
    </section>
  );
}

function HistoryCard({ h }: { h: HistoryEntry }) {
  return (
    <article className="card history" aria-label={`Session ${h.date}`}>
      <header>
        <p className="eyebrow">{longDate(h.date)}</p>
        <h2>{h.workoutTitle ?? 'Session'}</h2>
        {h.programName && <p className="muted small">{h.programName}{h.status === 'completed' ? ' · finished' : ''}</p>}
      </header>
      <table className="compare">
        <thead>
          <tr>
            <th scope="col">Exercise</th>
            <th scope="col">Prescribed</th>
            <th scope="col">Done</th>
          </tr>
        </thead>
        <tbody>
          {h.exercises.map((e, i) => (
            <tr key={`${e.exerciseId}-${i}`}>
              <th scope="row">{e.exerciseName}</th>
              <td>{e.prescribed ?? '—'}</td>
              <td>
                {e.sets.length === 0 ? (
                  <span className="muted">not logged</span>
                ) : (
                  e.sets.map((s) => (
                    <span key={s.id} className="done-set">
                      {setText(s)}
                      {s.newBest && <span className="badge small">★</span>}
                    </span>
                  ))
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}

function Program() {
  const today = localToday();
  const { data, error } = useQuery('program', { today });
  const navigate = useApp((s) => s.navigate);
  if (error) return <p className="error-text pad">{error}</p>;
  if (!data) return <p className="muted pad">Loading…</p>;
  if (data.length === 0) return <p className="muted pad">No program assigned yet.</p>;
  return (
    <section className="pad-top">
      {data.map((p: ProgramView) => (
        <div key={p.id}>
          <h1 className="page-title">{p.name}</h1>
          <p className="muted small pad-x">
            {p.weeks} weeks{p.startDate ? ` · from ${longDate(p.startDate)}` : ''}
          </p>
          {p.notes && <p className="coach-note pad-x">{p.notes}</p>}
          {p.weekList.map((w) => (
            <section key={w.week} className="card week" aria-label={`Week ${w.week}`}>
              <h2>Week {w.week}</h2>
              <ul className="week-list">
                {w.workouts.map((x) => (
                  <li key={x.id}>
                    <button className={`week-item ${x.plannedDate === today ? 'today' : ''}`} onClick={() => navigate({ name: 'workout', id: x.id })}>
                      <span className="week-day">{x.plannedDate ? longDate(x.plannedDate) : DAY[x.day - 1]}</span>
                      <span className="week-title">{x.title || `Day ${x.day}`}</span>
                      <span className="week-state">{x.done ? '✓' : x.plannedDate === today ? 'Today' : ''}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      ))}
    </section>
  );
}
