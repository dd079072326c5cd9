import { useRef, type KeyboardEvent } from 'react';
import type { Exercise, LoadUnit, Prescription, PrescriptionPatch } from '../../../preload/api.ts';
import { formatOptionalNumber, formatOptionalText, LOAD_UNITS, parseLoad, parseReps, parseRest, parseRpe, parseSets, parseText } from '../../lib/cells.ts';
import { useActions, useAppStore } from '../../store/context.tsx';
import { Cell, useFocusRequest } from './Cell.tsx';
import { ExerciseCombo } from './ExerciseCombo.tsx';

export const COLUMNS = ['Exercise', 'Sets', 'Reps', 'Load', 'Unit', 'RPE', 'Rest (sec)', 'Tempo', 'Notes', 'Superset group'] as const;

const sameText = (n: number) => String(n);
const parseTempo = parseText(20, 'Tempo');
const parseNotes = parseText(10_000, 'Notes');
const parseGroup = parseText(20, 'Superset group');

/** The field a key was pressed in (to keep focus on it when its row moves). */
function fieldOf(target: EventTarget | null): string {
  return (target as HTMLElement | null)?.dataset?.field ?? 'exercise';
}

export function PrescriptionRow(props: {
  rx: Prescription;
  index: number;
  workoutId: string;
  previousId: string | null;
  nextId: string | null;
  exercises: Exercise[];
  groupStart: boolean;
}) {
  const { rx, index, workoutId, previousId, nextId, exercises } = props;
  const actions = useActions();
  const store = useAppStore();
  const n = index + 1;
  const label = (column: string) => `${column}, row ${n}`;
  const saving = useRef<Promise<unknown>>(Promise.resolve());

  const save = (patch: PrescriptionPatch) => {
    const done = actions.updatePrescription(rx.id, patch);
    saving.current = done;
    return done;
  };

  const addBelow = async () => {
    // Wait for the cell just committed, so the new row copies the row as it is now.
    await saving.current;
    const detail = store.getState().program.detail;
    const now = detail?.workouts.find((w) => w.id === workoutId)?.prescriptions.find((p) => p.id === rx.id) ?? rx;
    // The new row starts as this exercise and scheme: type over the exercise to change it.
    const id = await actions.addPrescription(workoutId, { exerciseId: now.exerciseId, sets: now.sets, reps: now.reps, loadUnit: now.loadUnit, restSec: now.restSec }, rx.id);
    if (id) actions.requestFocus({ rxId: id, field: 'exercise' });
  };

  const move = async (direction: -1 | 1, field: string) => {
    if ((direction === -1 && !previousId) || (direction === 1 && !nextId)) return;
    // Blurring commits what is being typed before the row moves.
    (document.activeElement as HTMLElement | null)?.blur();
    await actions.movePrescription(rx.id, direction);
    actions.requestFocus({ rxId: rx.id, field });
  };

  const remove = async (field: string) => {
    const neighbour = nextId ?? previousId;
    await actions.deletePrescription(rx.id);
    actions.requestFocus(neighbour ? { rxId: neighbour, field } : { rxId: `add:${workoutId}`, field: 'exercise' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableRowElement>) => {
    if (event.altKey && !event.ctrlKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
      event.preventDefault();
      void move(event.key === 'ArrowUp' ? -1 : 1, fieldOf(event.target));
    } else if ((event.ctrlKey || event.metaKey) && (event.key === 'Delete' || event.key === 'Backspace')) {
      event.preventDefault();
      void remove(fieldOf(event.target));
    }
  };

  const unitRef = useRef<HTMLSelectElement>(null);
  useFocusRequest(unitRef, rx.id, 'loadUnit');

  return (
    <tr className={`rx${rx.group ? ' in-group' : ''}${props.groupStart ? ' group-start' : ''}${rx.pending ? ' pending' : ''}`} onKeyDown={onKeyDown} data-rx-row={rx.id}>
      <td className="rownum">
        {rx.group ? <span className="group-tag">{rx.group}</span> : n}
        {rx.pending && <span className="pending-dot" title="Not yet synced" aria-label="not yet synced" />}
      </td>
      <td className="col-exercise">
        <ExerciseCombo
          label={label('Exercise')}
          value={rx.exerciseName}
          exercises={exercises}
          rxId={rx.id}
          field="exercise"
          onPick={(exercise) => save({ exerciseId: exercise.id })}
          onCreate={async (name) => {
            const exercise = await actions.createExercise(name);
            if (exercise) await save({ exerciseId: exercise.id });
          }}
          onEnter={() => void addBelow()}
        />
      </td>
      <td className="col-num">
        <Cell label={label('Sets')} rxId={rx.id} field="sets" value={rx.sets} format={sameText} parse={parseSets} inputMode="numeric" onCommit={(sets) => save({ sets })} onEnter={() => void addBelow()} />
      </td>
      <td className="col-reps">
        <Cell label={label('Reps')} rxId={rx.id} field="reps" value={rx.reps} format={(r) => r} parse={parseReps} onCommit={(reps) => save({ reps })} onEnter={() => void addBelow()} />
      </td>
      <td className="col-load">
        <Cell label={label('Load')} rxId={rx.id} field="load" value={rx.load} format={formatOptionalNumber} parse={parseLoad} inputMode="decimal" onCommit={(load) => save({ load })} onEnter={() => void addBelow()} />
      </td>
      <td className="col-unit">
        <div className="cell">
          <select
            ref={unitRef}
            aria-label={label('Unit')}
            data-rx={rx.id}
            data-field="loadUnit"
            value={rx.loadUnit ?? ''}
            onChange={(e) => void save({ loadUnit: (e.target.value || null) as LoadUnit | null })}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.altKey && !e.ctrlKey) {
                e.preventDefault();
                void addBelow();
              }
            }}
          >
            {LOAD_UNITS.map((u) => (
              <option key={u.value} value={u.value}>
                {u.label}
              </option>
            ))}
          </select>
        </div>
      </td>
      <td className="col-num">
        <Cell label={label('RPE')} rxId={rx.id} field="rpe" value={rx.rpe} format={formatOptionalNumber} parse={parseRpe} inputMode="decimal" onCommit={(rpe) => save({ rpe })} onEnter={() => void addBelow()} />
      </td>
      <td className="col-rest">
        <Cell label={label('Rest (sec)')} rxId={rx.id} field="restSec" value={rx.restSec} format={formatOptionalNumber} parse={parseRest} inputMode="numeric" onCommit={(restSec) => save({ restSec })} onEnter={() => void addBelow()} />
      </td>
      <td className="col-tempo">
        <Cell label={label('Tempo')} rxId={rx.id} field="tempo" value={rx.tempo} format={formatOptionalText} parse={parseTempo} maxLength={20} onCommit={(tempo) => save({ tempo })} onEnter={() => void addBelow()} />
      </td>
      <td className="col-notes">
        <Cell label={label('Notes')} rxId={rx.id} field="notes" value={rx.notes} format={formatOptionalText} parse={parseNotes} onCommit={(notes) => save({ notes })} onEnter={() => void addBelow()} />
      </td>
      <td className="col-group">
        <Cell label={label('Superset group')} rxId={rx.id} field="group" value={rx.group} format={formatOptionalText} parse={parseGroup} maxLength={20} placeholder="" onCommit={(group) => save({ group })} onEnter={() => void addBelow()} />
      </td>
      <td className="row-tools">
        <button type="button" className="icon" tabIndex={-1} aria-label={`Move row ${n} up`} title="Move up (Alt+↑)" disabled={!previousId} onClick={() => void move(-1, 'exercise')}>
          ↑
        </button>
        <button type="button" className="icon" tabIndex={-1} aria-label={`Move row ${n} down`} title="Move down (Alt+↓)" disabled={!nextId} onClick={() => void move(1, 'exercise')}>
          ↓
        </button>
        <button type="button" className="icon danger-quiet" tabIndex={-1} aria-label={`Delete row ${n}`} title="Delete (Ctrl+Delete)" onClick={() => void remove('exercise')}>
          ×
        </button>
      </td>
    </tr>
  );
}
