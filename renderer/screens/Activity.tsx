import type { LoggedSession, Prescription, SessionStatus, SetLog, Units, WorkoutActivity } from '../../preload/api.ts';
import { ClientPicker } from '../components/ClientSelect.tsx';
import { formatDate, formatLoad, formatPrescription, formatSet, plural, resolvedPercent, todayIso, workoutName } from '../lib/format.ts';
import { useActions, useApp } from '../store/context.tsx';
import { Maxes } from './Maxes.tsx';
import { ExportButton, saveFile } from './builder/exports.tsx';

const STATUS_LABEL: Record<SessionStatus, string> = {
  planned: 'planned',
  in_progress: 'in progress',
  completed: 'completed',
  skipped: 'skipped',
};

/** A trainee's program, workout by workout: what was prescribed next to what they logged. */
export function Activity() {
  const roster = useApp((s) => s.roster.items);
  const activity = useApp((s) => s.activity);
  const { selectTrainee, navigate, api } = useActions();
  const data = activity.data;
  const weeks = data ? [...new Set(data.workouts.map((w) => w.workout.week))].sort((a, b) => a - b) : [];
  const logged = data ? data.workouts.reduce((n, w) => n + w.sessions.length, 0) : 0;

  return (
    <main className="screen" aria-labelledby="activity-title">
      <header className="screen-header">
        <div>
          <h1 id="activity-title">Activity</h1>
          <p className="muted">{data?.program ? `${data.program.name} · started ${formatDate(data.program.startDate)} · ${plural(logged, 'session')} logged` : 'Prescribed next to logged, as it comes in.'}</p>
        </div>
        <div className="toolbar">
          <ClientPicker roster={roster} value={activity.traineeId} onChange={selectTrainee} ariaLabel="Trainee" />
          {activity.traineeId && (
            <button type="button" onClick={() => navigate({ name: 'progress', traineeId: activity.traineeId })}>
              Progress
            </button>
          )}
          {data?.program && (
            <button type="button" onClick={() => navigate({ name: 'program', id: data.program!.id })}>
              Open program
            </button>
          )}
          {data && <ExportButton label="Export sets CSV" busyLabel="Exporting…" run={() => api.exportLoggedSetsCsv(data.trainee.id)} done={saveFile} />}
        </div>
      </header>

      {!activity.traineeId && <div className="empty-state">Choose a client to see their workouts and logged sets.</div>}
      {activity.traineeId && activity.loaded && !data && <div className="empty-state">This client no longer exists.</div>}
      {data && <Maxes trainee={data.trainee} />}
      {data && !data.program && <div className="empty-state">{data.trainee.name} has no active program.</div>}

      {data &&
        weeks.map((week) => (
          <section key={week} className="section" aria-label={`Week ${week}`}>
            <h2 className="section-title">Week {week}</h2>
            {data.workouts
              .filter((w) => w.workout.week === week)
              .map((w) => (
                <WorkoutLog key={w.workout.id} item={w} />
              ))}
          </section>
        ))}

      {data && data.otherSessions.length > 0 && (
        <section className="section" aria-label="Other sessions">
          <h2 className="section-title">Other sessions</h2>
          {data.otherSessions.map((s) => (
            <article key={s.id} className="card log-card">
              <SessionHeader session={s} />
              <SetTable rows={groupByExercise(s.sets).map(([name, sets]) => ({ key: name, exercise: name, prescribed: null, sets }))} />
            </article>
          ))}
        </section>
      )}
    </main>
  );
}

function groupByExercise(sets: SetLog[]): Array<[string, SetLog[]]> {
  const groups = new Map<string, SetLog[]>();
  for (const set of sets) groups.set(set.exerciseName, [...(groups.get(set.exerciseName) ?? []), set]);
  return [...groups.entries()].map(([name, list]) => [name, sortSets(list)]);
}

const sortSets = (sets: SetLog[]) => [...sets].sort((a, b) => a.setIndex - b.setIndex);

function WorkoutLog({ item }: { item: WorkoutActivity }) {
  const { workout, plannedDate, sessions } = item;
  const name = workoutName(workout.week, workout.day, workout.title);
  const missed = sessions.length === 0 && plannedDate !== null && plannedDate < todayIso();
  return (
    <article className="card log-card" aria-label={name}>
      <header className="log-header">
        <h3>{name}</h3>
        <span className="muted small">{plannedDate ? `planned ${formatDate(plannedDate)}` : 'no date'}</span>
        <span className="spacer" />
        {sessions.length === 0 && <span className={`chip${missed ? ' chip-warn' : ''}`}>{missed ? 'not logged' : 'upcoming'}</span>}
      </header>
      {sessions.length === 0 ? (
        <SetTable rows={workout.prescriptions.map((rx) => ({ key: rx.id, exercise: rx.exerciseName, prescribed: rx, sets: [] }))} />
      ) : (
        sessions.map((session) => <SessionLog key={session.id} session={session} prescriptions={workout.prescriptions} />)
      )}
    </article>
  );
}

function SessionHeader({ session }: { session: LoggedSession }) {
  return (
    <div className="session-header">
      <span className="strong">{formatDate(session.date)}</span>
      <span className={`chip chip-${session.status}`}>{STATUS_LABEL[session.status]}</span>
      {session.rpe !== null && <span className="muted small">session RPE {session.rpe}</span>}
      {session.notes && <span className="session-note">“{session.notes}”</span>}
    </div>
  );
}

function SessionLog({ session, prescriptions }: { session: LoggedSession; prescriptions: Prescription[] }) {
  const ids = new Set(prescriptions.map((p) => p.id));
  const rows = prescriptions.map((rx) => ({ key: rx.id, exercise: rx.exerciseName, prescribed: rx, sets: sortSets(session.sets.filter((s) => s.prescriptionId === rx.id)) }));
  const extra = groupByExercise(session.sets.filter((s) => !s.prescriptionId || !ids.has(s.prescriptionId))).map(([name, sets]) => ({ key: `x-${name}`, exercise: name, prescribed: null, sets }));
  return (
    <div className="session" aria-label={`Session ${formatDate(session.date)}`}>
      <SessionHeader session={session} />
      <SetTable rows={[...rows, ...extra]} />
    </div>
  );
}

/** Fewer reps than the target asked for (the low end of a range); AMRAP has no floor. */
function shortOfTarget(set: SetLog, rx: Prescription | null): boolean {
  const target = set.targetReps ?? rx?.reps ?? null;
  const m = target ? /^(\d+)/.exec(target) : null;
  return !!m && set.done && set.reps < Number(m[1]);
}

/** What the set was logged against, when that differs from the prescription as it is now. */
function loggedAgainst(set: SetLog, rx: Prescription | null, units: Units): string | null {
  if (!rx || (set.targetReps === null && set.targetLoad === null)) return null;
  const repsDiffer = set.targetReps !== null && set.targetReps !== rx.reps;
  const loadDiffer = set.targetLoad !== null && set.targetLoad !== rx.load;
  if (!repsDiffer && !loadDiffer) return null;
  return `${set.targetReps ?? rx.reps}${set.targetLoad !== null ? ` @ ${formatLoad(set.targetLoad, rx.loadUnit, units)}` : ''}`;
}

/** A %1RM prescription as the load it comes to for this client. */
function ResolvedLoad({ rx, units, plate }: { rx: Prescription; units: Units; plate: number | null }) {
  if (rx.loadUnit !== '%1rm' || rx.load === null) return null;
  const r = resolvedPercent(rx.load, rx.percentOf, units, plate);
  return r ? (
    <span className="muted" title={r.title}>
      {' '}
      (= {r.text})
    </span>
  ) : null;
}

function SetTable({ rows }: { rows: Array<{ key: string; exercise: string; prescribed: Prescription | null; sets: SetLog[] }> }) {
  const units = useApp((s) => s.settings?.units ?? 'kg');
  const plate = useApp((s) => s.settings?.plateIncrement ?? null);
  if (rows.length === 0) return <p className="empty">No exercises.</p>;
  return (
    <table className="table compare">
      <thead>
        <tr>
          <th scope="col">Exercise</th>
          <th scope="col">Prescribed</th>
          <th scope="col">Logged</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            <th scope="row">{row.exercise}</th>
            <td className="prescribed">
              {row.prescribed ? (
                <>
                  {formatPrescription(row.prescribed, units)}
                  <ResolvedLoad rx={row.prescribed} units={units} plate={plate} />
                  {row.prescribed.rpe !== null && <span className="muted"> · RPE {row.prescribed.rpe}</span>}
                </>
              ) : (
                <span className="muted">not prescribed</span>
              )}
            </td>
            <td>
              {row.sets.length === 0 ? (
                <span className="muted">—</span>
              ) : (
                <ol className="sets">
                  {row.sets.map((set, i) => {
                    const against = loggedAgainst(set, row.prescribed, units);
                    return (
                      <li key={set.id} className={!set.done ? 'not-done' : shortOfTarget(set, row.prescribed) ? 'short' : 'done'}>
                        {formatSet(set, i + 1, units)}
                        {!set.done && <span className="muted"> (not done)</span>}
                        {against && <span className="muted small" title="The prescription has changed since this set was logged"> · logged against {against}</span>}
                      </li>
                    );
                  })}
                </ol>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
