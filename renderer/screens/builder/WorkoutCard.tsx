import { memo, useState } from 'react';
import type { Exercise, PrescriptionInput, Units, Workout } from '../../../preload/api.ts';
import { ConfirmDialog } from '../../components/Modal.tsx';
import { parseText } from '../../lib/cells.ts';
import type { FastRx } from '../../lib/fast-entry.ts';
import { plural, workoutName } from '../../lib/format.ts';
import { useActions } from '../../store/context.tsx';
import { Cell } from './Cell.tsx';
import { CopyDayDialog, ProgressRowsDialog } from './dialogs.tsx';
import { ExerciseCombo, type QuickChoice } from './ExerciseCombo.tsx';
import { COLUMNS, PrescriptionRow } from './PrescriptionRow.tsx';

const parseTitle = (text: string) => {
  const t = text.trim();
  return t.length > 200 ? ({ ok: false, error: 'A title must be at most 200 characters' } as const) : ({ ok: true, value: t } as const);
};
const parseNotes = parseText(10_000, 'Notes');

/** A new row from the "Add exercise" line: exactly what was typed, 3×5 where nothing was. */
export function newPrescription(exerciseId: string, quick: FastRx): PrescriptionInput {
  const input: PrescriptionInput = { exerciseId, sets: quick.sets ?? 3, reps: quick.reps ?? '5' };
  for (const key of ['kind', 'load', 'loadUnit', 'rpe'] as const) if (quick[key] !== undefined) Object.assign(input, { [key]: quick[key] });
  return input;
}

/**
 * One workout: its title, its actions, and the table of prescriptions. Memoised: the store keeps
 * an unchanged workout's object across reads, so an edit elsewhere does not render it again.
 */
export const WorkoutCard = memo(function WorkoutCard(props: { workout: Workout; programId: string; weeks: number; exercises: Exercise[]; units: Units; traineeName: string | null }) {
  const { workout, weeks, exercises, units } = props;
  const actions = useActions();
  const [dialog, setDialog] = useState<'copy' | 'delete' | 'progress' | null>(null);
  const name = workoutName(workout.week, workout.day, workout.title);
  const rows = workout.prescriptions;
  const lastId = rows.length ? rows[rows.length - 1]!.id : null;

  /** Fast entry: create the exercise if it is new, then the row; a refusal is said at the field. */
  const quickAdd = async (choice: QuickChoice, rx: FastRx): Promise<{ ok: true } | { ok: false; message: string }> => {
    let exerciseId: string;
    if ('exercise' in choice) exerciseId = choice.exercise.id;
    else {
      const created = await actions.createExercise(choice.create, { inline: true });
      if (!created.ok) return created;
      exerciseId = created.value.id;
    }
    const added = await actions.addPrescription(workout.id, newPrescription(exerciseId, rx), lastId, { inline: true });
    return added.ok ? { ok: true } : added;
  };

  return (
    <section className={`workout${workout.pending ? ' pending' : ''}`} aria-label={name}>
      <header className="workout-header">
        <Cell
          label="Workout title"
          className="workout-title"
          value={workout.title}
          format={(t) => t}
          parse={parseTitle}
          placeholder="Untitled workout"
          onCommit={(title) => actions.updateWorkout(workout.id, { title })}
        />
        {workout.pending && <span className="pending-dot" title="Not yet synced" aria-label="not yet synced" />}
        <span className="muted small">{plural(rows.length, 'exercise')}</span>
        <span className="spacer" />
        <button type="button" className="quiet" onClick={() => setDialog('progress')} disabled={rows.length === 0 || weeks < 2} aria-label={`Progress rows of ${name}`}>
          Progress…
        </button>
        <button type="button" className="quiet" onClick={() => setDialog('copy')} aria-label={`Copy day ${name}`}>
          Copy day…
        </button>
        <button type="button" className="quiet danger-quiet" onClick={() => (rows.length ? setDialog('delete') : void actions.deleteWorkout(workout.id, name))} aria-label={`Delete workout ${name}`}>
          Delete
        </button>
      </header>
      <div className="table-scroll">
        <table className="grid" aria-label={`Prescriptions, ${name}`}>
          <colgroup>
            <col className="c-num" />
            <col className="c-exercise" />
            <col className="c-sets" />
            <col className="c-reps" />
            <col className="c-load" />
            <col className="c-unit" />
            <col className="c-rpe" />
            <col className="c-rest" />
            <col className="c-tempo" />
            <col className="c-notes" />
            <col className="c-group" />
            <col className="c-tools" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col" aria-label="Row">
                #
              </th>
              {COLUMNS.map((c) => (
                <th scope="col" key={c}>
                  {c === 'Superset group' ? <abbr title="Superset group">SS</abbr> : c === 'Rest (sec)' ? 'Rest s' : c}
                </th>
              ))}
              <th scope="col">
                <span className="visually-hidden">Row tools</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((rx, i) => (
              <PrescriptionRow
                key={rx.id}
                rx={rx}
                index={i}
                workoutId={workout.id}
                where={name}
                units={units}
                traineeName={props.traineeName}
                previousId={rows[i - 1]?.id ?? null}
                nextId={rows[i + 1]?.id ?? null}
                exercises={exercises}
                groupStart={!!rx.group && rows[i - 1]?.group !== rx.group}
              />
            ))}
          </tbody>
          <tfoot>
            <tr className="add-row">
              <td className="rownum">+</td>
              <td colSpan={COLUMNS.length + 1}>
                <ExerciseCombo
                  label="Add exercise"
                  value=""
                  placeholder="Add exercise — e.g. Back squat 5x5 @ 100kg @RPE8"
                  exercises={exercises}
                  rxId={`add:${workout.id}`}
                  field="exercise"
                  onQuick={quickAdd}
                />
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      <div className="workout-notes">
        <Cell label="Workout notes" value={workout.notes} format={(v) => v ?? ''} parse={parseNotes} placeholder="Notes for this workout" onCommit={(notes) => actions.updateWorkout(workout.id, { notes })} />
      </div>
      {dialog === 'copy' && <CopyDayDialog workout={workout} weeks={weeks} onClose={() => setDialog(null)} />}
      {dialog === 'progress' && <ProgressRowsDialog workout={workout} weeks={weeks} units={units} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && (
        <ConfirmDialog
          title="Delete this workout?"
          message={
            <p>
              <strong>{name}</strong> and its {plural(rows.length, 'exercise')} will be deleted from the program. You can undo it (Ctrl+Z).
            </p>
          }
          confirmLabel="Delete workout"
          danger
          onCancel={() => setDialog(null)}
          onConfirm={() => {
            setDialog(null);
            void actions.deleteWorkout(workout.id, name);
          }}
        />
      )}
    </section>
  );
});
