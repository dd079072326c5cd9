import { useState, type FormEvent } from 'react';
import { displayLoad } from '../../domain/units.ts';
import { FIELD_SCHEMAS } from '../../protocol/entities.ts';
import { problemWith } from '../../preload/api-params.ts';
import type { MaxKind, Trainee, TrainingMax, Units } from '../../preload/api.ts';
import { ConfirmDialog, FieldError } from '../components/Modal.tsx';
import { decimal } from '../lib/cells.ts';
import { formatDate, formatNumber, todayIso } from '../lib/format.ts';
import { useActions, useApp } from '../store/context.tsx';

const KIND_LABEL: Record<MaxKind, string> = { '1rm': '1RM', tm: 'Training max' };

const shown = (value: number, unit: Units, units: Units) => {
  const d = displayLoad(value, unit, units);
  return `${formatNumber(d.value)} ${d.unit}`;
};

/**
 * A client's training maxes per exercise (what %1RM loads are taken of), and the best e1RM
 * their logged sets give (Epley), which can be taken as the 1RM.
 */
export function Maxes({ trainee }: { trainee: Trainee }) {
  const maxes = useApp((s) => s.maxes);
  const units = useApp((s) => s.settings?.units ?? 'kg');
  const exercises = useApp((s) => s.exercises.items);
  const { saveMax, deleteMax } = useActions();
  const [deleting, setDeleting] = useState<TrainingMax | null>(null);
  const data = maxes.traineeId === trainee.id ? maxes.data : null;
  const current = new Map<string, TrainingMax>();
  for (const m of data?.maxes ?? []) if (!current.has(m.exerciseId)) current.set(m.exerciseId, m);

  return (
    <section className="section card maxes" aria-labelledby="maxes-title">
      <h2 id="maxes-title" className="section-title">
        Training maxes
      </h2>
      {data && current.size === 0 && <p className="empty">No maxes for {trainee.name} yet. %1RM loads show their kg or lb once there is one.</p>}
      {current.size > 0 && (
        <table className="table" aria-label="Current maxes">
          <thead>
            <tr>
              <th scope="col">Exercise</th>
              <th scope="col">Max</th>
              <th scope="col">Date</th>
              <th scope="col">Source</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...current.values()].map((m) => (
              <tr key={m.id} aria-label={m.exerciseName}>
                <th scope="row">{m.exerciseName}</th>
                <td>
                  {KIND_LABEL[m.kind]} {shown(m.value, m.unit, units)}
                </td>
                <td>{formatDate(m.date)}</td>
                <td className="muted">{m.source === 'estimated' ? 'estimated from logs' : 'entered'}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => setDeleting(m)} aria-label={`Delete the max of ${m.exerciseName}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.estimates.length > 0 && (
        <table className="table" aria-label="Estimated from logged sets">
          <caption className="muted small">Best estimated 1RM from logged sets (Epley, 1–12 reps)</caption>
          <tbody>
            {data.estimates.map((e) => (
              <tr key={e.exerciseId} aria-label={`e1RM of ${e.exerciseName}`}>
                <th scope="row">{e.exerciseName}</th>
                <td>
                  e1RM {shown(e.e1rm, e.unit, units)}{' '}
                  <span className="muted small">
                    from {e.reps} × {shown(e.load, e.unit, units)} on {formatDate(e.date)}
                  </span>
                </td>
                <td className="row-actions">
                  <button
                    type="button"
                    onClick={() => void saveMax({ traineeId: trainee.id, exerciseId: e.exerciseId, kind: '1rm', value: e.e1rm, unit: e.unit, date: e.date, source: 'estimated' })}
                    aria-label={`Use ${shown(e.e1rm, e.unit, units)} as the 1RM of ${e.exerciseName}`}
                  >
                    Use as 1RM
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AddMax traineeId={trainee.id} exercises={exercises} units={units} />
      {deleting && (
        <ConfirmDialog
          title="Delete this max?"
          message={<p>{`${KIND_LABEL[deleting.kind]} ${shown(deleting.value, deleting.unit, units)} of ${deleting.exerciseName}, ${formatDate(deleting.date)}. You can undo it (Ctrl+Z).`}</p>}
          confirmLabel="Delete max"
          danger
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            const m = deleting;
            setDeleting(null);
            void deleteMax(m.id, `the max of ${m.exerciseName}`);
          }}
        />
      )}
    </section>
  );
}

function AddMax({ traineeId, exercises, units }: { traineeId: string; exercises: Array<{ id: string; name: string }>; units: Units }) {
  const { saveMax } = useActions();
  const [exerciseId, setExerciseId] = useState('');
  const [kind, setKind] = useState<MaxKind>('1rm');
  const [value, setValue] = useState('');
  const [date, setDate] = useState(todayIso());
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!exerciseId) return setError('Choose an exercise');
    const n = decimal(value);
    if (n === null) return setError(`Max must be a number of ${units}, e.g. 120`);
    const problem = problemWith('Max', FIELD_SCHEMAS.max.shape.value, n) ?? problemWith('Date', FIELD_SCHEMAS.max.shape.date, date);
    if (problem) return setError(problem);
    const r = await saveMax({ traineeId, exerciseId, kind, value: n, unit: units, date });
    if (!r.ok) return setError(r.message);
    setValue('');
    setError(null);
  };

  return (
    <form className="add-max" onSubmit={submit} noValidate aria-label="Add a max">
      <select aria-label="Exercise of the max" value={exerciseId} onChange={(e) => setExerciseId(e.target.value)}>
        <option value="">Exercise…</option>
        {exercises.map((e) => (
          <option key={e.id} value={e.id}>
            {e.name}
          </option>
        ))}
      </select>
      <select aria-label="Kind of max" value={kind} onChange={(e) => setKind(e.target.value as MaxKind)}>
        <option value="1rm">1RM</option>
        <option value="tm">Training max</option>
      </select>
      <input aria-label={`Max (${units})`} placeholder={units} inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />
      <input aria-label="Date of the max" type="date" value={date} onChange={(e) => setDate(e.target.value)} />
      <button type="submit" className="primary small">
        Add max
      </button>
      <FieldError error={error} />
    </form>
  );
}
