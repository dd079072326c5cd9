import { memo, useRef, useState, type KeyboardEvent } from 'react';
import { displayLoad, isUnits } from '../../../domain/units.ts';
import type { Exercise, LoadUnit, Prescription, PrescriptionPatch, Units } from '../../../preload/api.ts';
import { amountText, formatOptionalNumber, formatOptionalText, parseAmount, parseLoadWithUnit, parseRest, parseRpe, parseSets, parseText, unitChoices } from '../../lib/cells.ts';
import { formatNumber, formatScheme, resolvedPercent } from '../../lib/format.ts';
import { useActions, useApp, useAppStore } from '../../store/context.tsx';
import { Cell, useFocusRequest } from './Cell.tsx';
import { ExerciseCombo } from './ExerciseCombo.tsx';
import { SchemeDialog } from './SchemeDialog.tsx';

export const COLUMNS = ['Exercise', 'Sets', 'Reps', 'Load', 'Unit', 'RPE', 'Rest (sec)', 'Tempo', 'Notes', 'Superset group'] as const;

const sameText = (n: number) => String(n);
const parseTempo = parseText(20, 'Tempo');
const parseNotes = parseText(10_000, 'Notes');
const parseGroup = parseText(20, 'Superset group');
const parseAmountText = (text: string) => {
  const r = parseAmount(text);
  return r.ok ? ({ ok: true, value: amountText(r.value.reps, r.value.kind) } as const) : r;
};

/** The field a key was pressed in (to keep focus on it when its row moves). */
function fieldOf(target: EventTarget | null): string {
  return (target as HTMLElement | null)?.dataset?.field ?? 'exercise';
}

/** A load as the coach sees it: in their units (converted from the stored unit), or a %1RM as is. */
function shownLoad(rx: Prescription, units: Units): { value: number | null; converted: boolean } {
  if (rx.load === null || !isUnits(rx.loadUnit)) return { value: rx.load, converted: false };
  const shown = displayLoad(rx.load, rx.loadUnit, units);
  return { value: shown.value, converted: shown.converted };
}

/**
 * One row of a workout's table. Memoised on its props (all plain values or objects the store
 * keeps while unchanged): typing in one row, or an edit saved in another, leaves it as it is.
 */
export const PrescriptionRow = memo(function PrescriptionRow(props: {
  rx: Prescription;
  index: number;
  workoutId: string;
  /** The workout's name, for messages ("Week 1 · Mon — Lower"). */
  where: string;
  previousId: string | null;
  nextId: string | null;
  exercises: Exercise[];
  groupStart: boolean;
  units: Units;
  /** Whose program this is (for a %1RM without a max), null for a template. */
  traineeName: string | null;
}) {
  const { rx, index, workoutId, previousId, nextId, exercises, units } = props;
  const actions = useActions();
  const store = useAppStore();
  const plate = useApp((s) => s.settings?.plateIncrement ?? null);
  const [editingScheme, setEditingScheme] = useState(false);
  const n = index + 1;
  const label = (column: string) => `${column}, row ${n}`;
  const saving = useRef<Promise<unknown>>(Promise.resolve());

  const save = (patch: PrescriptionPatch) => {
    const done = actions.updatePrescription(rx.id, patch);
    saving.current = done;
    return done;
  };

  /** Enter: on to the same cell of the next row, or to "Add exercise" after the last. */
  const down = (field: string) => actions.requestFocus(nextId ? { rxId: nextId, field } : { rxId: `add:${workoutId}`, field: 'exercise' });

  const insertBelow = async () => {
    // Wait for the cell just committed, so the new row copies the row as it is now.
    (document.activeElement as HTMLElement | null)?.blur();
    await saving.current;
    const detail = store.getState().program.detail;
    const now = detail?.workouts.find((w) => w.id === workoutId)?.prescriptions.find((p) => p.id === rx.id) ?? rx;
    // The new row starts as this exercise and scheme: type over the exercise to change it.
    const r = await actions.addPrescription(workoutId, { exerciseId: now.exerciseId, sets: now.sets, reps: now.reps, kind: now.kind, loadUnit: now.loadUnit, restSec: now.restSec }, rx.id);
    if (r.ok) actions.requestFocus({ rxId: r.value, field: 'exercise' });
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
    await actions.deletePrescription(rx.id, `${rx.exerciseName} (row ${n}) from ${props.where}`);
    actions.requestFocus(neighbour ? { rxId: neighbour, field } : { rxId: `add:${workoutId}`, field: 'exercise' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableRowElement>) => {
    if (event.altKey && !event.ctrlKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
      event.preventDefault();
      void move(event.key === 'ArrowUp' ? -1 : 1, fieldOf(event.target));
    } else if ((event.ctrlKey || event.metaKey) && (event.key === 'Delete' || event.key === 'Backspace')) {
      event.preventDefault();
      void remove(fieldOf(event.target));
    } else if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
      event.preventDefault();
      void insertBelow();
    }
  };

  const unitRef = useRef<HTMLSelectElement>(null);
  useFocusRequest(unitRef, rx.id, 'loadUnit');
  const [unitError, setUnitError] = useState<string | null>(null);

  const load = shownLoad(rx, units);
  /** A typed load is in the units shown (or the unit typed with it): say so with it. */
  const commitLoad = (text: string) => {
    const parsed = parseLoadWithUnit(text);
    if (!parsed.ok) return;
    const { load: value, unit } = parsed.value;
    const patch: PrescriptionPatch = { load: value };
    if (value !== null && unit) patch.loadUnit = unit;
    else if (value !== null && (rx.loadUnit === null || (isUnits(rx.loadUnit) && rx.loadUnit !== units))) patch.loadUnit = units;
    return save(patch);
  };
  const loadText = load.value === null ? '' : formatNumber(load.value);
  const percent = rx.loadUnit === '%1rm' && rx.load !== null ? resolvedPercent(rx.load, rx.percentOf, units, plate) : null;

  return (
    <>
      <tr className={`rx${rx.group ? ' in-group' : ''}${props.groupStart ? ' group-start' : ''}${rx.pending ? ' pending' : ''}`} onKeyDown={onKeyDown} data-rx-row={rx.id}>
        <td className="rownum">
          {rx.group ? (
            <span className="group-tag" title={`Superset ${rx.group}`}>
              {rx.group}
            </span>
          ) : (
            n
          )}
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
              if (exercise.ok) await save({ exerciseId: exercise.value.id });
            }}
            onEnter={() => down('exercise')}
          />
        </td>
        <td className="col-num">
          <Cell label={label('Sets')} rxId={rx.id} field="sets" value={rx.sets} format={sameText} parse={parseSets} inputMode="numeric" onCommit={(sets) => save({ sets })} onEnter={() => down('sets')} />
        </td>
        <td className="col-reps">
          <Cell
            label={label('Reps')}
            rxId={rx.id}
            field="reps"
            value={amountText(rx.reps, rx.kind)}
            format={(r) => r}
            parse={parseAmountText}
            title={rx.kind === 'time' ? 'Seconds per set' : rx.kind === 'distance' ? 'Metres per set' : 'Reps: 5, 8-10, AMRAP; 30s for seconds, 40m for metres'}
            onCommit={(text) => {
              const r = parseAmount(text);
              if (!r.ok) return;
              // The kind goes with the reps only when it is or was not plain reps.
              return save(r.value.kind === 'reps' && rx.kind === 'reps' ? { reps: r.value.reps } : { reps: r.value.reps, kind: r.value.kind });
            }}
            onEnter={() => down('reps')}
          />
        </td>
        <td className="col-load">
          <Cell
            label={label('Load')}
            rxId={rx.id}
            field="load"
            value={loadText}
            format={(t) => t}
            parse={(text) => {
              const r = parseLoadWithUnit(text);
              return r.ok ? { ok: true, value: r.value.load === null ? '' : `${formatNumber(r.value.load)}${r.value.unit ?? ''}` } : r;
            }}
            inputMode="decimal"
            title={load.converted ? `Stored as ${formatNumber(rx.load!)} ${rx.loadUnit}; shown in ${units}` : undefined}
            onCommit={commitLoad}
            onEnter={() => down('load')}
            after={
              percent ? (
                <span className="resolved" title={percent.title}>
                  = {percent.text}
                </span>
              ) : rx.loadUnit === '%1rm' && rx.load !== null && props.traineeName ? (
                <span className="resolved missing" title={`No max of ${rx.exerciseName} for ${props.traineeName} yet: set one in their Activity`}>
                  no max
                </span>
              ) : null
            }
          />
        </td>
        <td className="col-unit">
          <div className={`cell${unitError ? ' cell-invalid' : ''}`}>
            <select
              ref={unitRef}
              aria-label={label('Unit')}
              data-rx={rx.id}
              data-field="loadUnit"
              aria-invalid={unitError ? true : undefined}
              value={rx.loadUnit === '%1rm' ? '%1rm' : rx.loadUnit ? units : ''}
              onChange={(e) => {
                const next = (e.target.value || null) as LoadUnit | null;
                if (next === null && rx.load !== null) return setUnitError('A load needs its unit: clear the load first');
                setUnitError(null);
                void save({ loadUnit: next });
              }}
              onBlur={() => setUnitError(null)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.altKey && !e.ctrlKey && !e.metaKey) {
                  e.preventDefault();
                  down('loadUnit');
                }
              }}
            >
              {unitChoices(units).map((u) => (
                <option key={u.value} value={u.value}>
                  {u.label}
                </option>
              ))}
            </select>
            {unitError && (
              <div className="cell-error" role="alert">
                {unitError}
              </div>
            )}
          </div>
        </td>
        <td className="col-num">
          <Cell label={label('RPE')} rxId={rx.id} field="rpe" value={rx.rpe} format={formatOptionalNumber} parse={parseRpe} inputMode="decimal" onCommit={(rpe) => save({ rpe })} onEnter={() => down('rpe')} />
        </td>
        <td className="col-rest">
          <Cell label={label('Rest (sec)')} rxId={rx.id} field="restSec" value={rx.restSec} format={formatOptionalNumber} parse={parseRest} inputMode="numeric" onCommit={(restSec) => save({ restSec })} onEnter={() => down('restSec')} />
        </td>
        <td className="col-tempo">
          <Cell label={label('Tempo')} rxId={rx.id} field="tempo" value={rx.tempo} format={formatOptionalText} parse={parseTempo} maxLength={20} onCommit={(tempo) => save({ tempo })} onEnter={() => down('tempo')} />
        </td>
        <td className="col-notes">
          <Cell label={label('Notes')} rxId={rx.id} field="notes" value={rx.notes} format={formatOptionalText} parse={parseNotes} onCommit={(notes) => save({ notes })} onEnter={() => down('notes')} />
        </td>
        <td className="col-group">
          <Cell label={label('Superset group')} rxId={rx.id} field="group" value={rx.group} format={formatOptionalText} parse={parseGroup} maxLength={20} placeholder="" onCommit={(group) => save({ group })} onEnter={() => down('group')} />
        </td>
        <td className="row-tools">
          <button type="button" className="icon" tabIndex={-1} aria-label={`Move row ${n} up`} title="Move up (Alt+↑)" disabled={!previousId} onClick={() => void move(-1, 'exercise')}>
            ↑
          </button>
          <button type="button" className="icon" tabIndex={-1} aria-label={`Move row ${n} down`} title="Move down (Alt+↓)" disabled={!nextId} onClick={() => void move(1, 'exercise')}>
            ↓
          </button>
          <button type="button" className={`icon${rx.scheme?.length ? ' on' : ''}`} tabIndex={-1} aria-label={`Set scheme of row ${n}`} title="Warm-ups, top set, back-offs" onClick={() => setEditingScheme(true)}>
            ≡
          </button>
          <button type="button" className="icon danger-quiet" tabIndex={-1} aria-label={`Delete row ${n}`} title="Delete (Ctrl+Delete)" onClick={() => void remove('exercise')}>
            ×
          </button>
        </td>
      </tr>
      {rx.scheme && rx.scheme.length > 0 && (
        <tr className="scheme-row">
          <td />
          <td colSpan={COLUMNS.length + 1}>
            <span className="muted small">Scheme: </span>
            <span className="small" aria-label={`Scheme of row ${n}`}>
              {formatScheme(rx.scheme, units)}
            </span>
          </td>
        </tr>
      )}
      {editingScheme && <SchemeDialog rx={rx} where={props.where} onClose={() => setEditingScheme(false)} onSave={(scheme) => save({ scheme })} />}
    </>
  );
});
