import { useState, type FormEvent } from 'react';
import { progress } from '../../../domain/progression.ts';
import { progression as progressionSchema, problemWith } from '../../../preload/api-params.ts';
import type { CopyMode, Prescription, ProgramDetail, Progression, Units, Workout } from '../../../preload/api.ts';
import { FieldError, Modal, ModalActions } from '../../components/Modal.tsx';
import { parseReps } from '../../lib/cells.ts';
import { toggled } from '../../lib/sets.ts';
import { DAY_NAMES, formatDate, formatPrescription, listWeeks, nextMonday, plural, slotName, workoutName } from '../../lib/format.ts';
import { useActions, useApp } from '../../store/context.tsx';

const weekNumbers = (weeks: number) => Array.from({ length: weeks }, (_, i) => i + 1);

/** Replace or add, when the copy lands where workouts already are. */
function ModeChoice({ mode, onMode, what, existing }: { mode: CopyMode; onMode: (m: CopyMode) => void; what: string; existing: string }) {
  return (
    <fieldset className="radio-group" aria-label="Existing workouts">
      <legend>{existing}</legend>
      <label className="check">
        <input type="radio" name="copy-mode" checked={mode === 'replace'} onChange={() => onMode('replace')} />
        Replace them: they are deleted and {what} copied in (one step: Ctrl+Z undoes it)
      </label>
      <label className="check">
        <input type="radio" name="copy-mode" checked={mode === 'add'} onChange={() => onMode('add')} />
        Add {what} beside them
      </label>
    </fieldset>
  );
}

export function CopyDayDialog({ workout, weeks, onClose }: { workout: Workout; weeks: number; onClose: () => void }) {
  const { copyDay, notify } = useActions();
  const program = useApp((s) => s.program.detail);
  const [week, setWeek] = useState(Math.min(workout.week + 1, weeks));
  const [day, setDay] = useState(workout.day);
  const [mode, setMode] = useState<CopyMode>('replace');
  const there = (program?.workouts ?? []).filter((w) => w.week === week && w.day === day && w.id !== workout.id);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onClose();
    const id = await copyDay(workout.id, week, day, there.length ? mode : 'add');
    if (id) notify(`Copied ${workout.title || 'the workout'} to ${slotName(week, day)}${there.length && mode === 'replace' ? `, replacing ${plural(there.length, 'workout')}` : ''}.`, 'info', { undo: true });
  };

  return (
    <Modal title={`Copy ${workoutName(workout.week, workout.day, workout.title)}`} onClose={onClose}>
      <form onSubmit={submit} className="form">
        <p className="muted">The copy gets every exercise of this workout, with its sets, reps, loads and notes.</p>
        <div className="field-row">
          <label className="field grow">
            <span>To week</span>
            <select value={week} onChange={(e) => setWeek(Number(e.target.value))}>
              {weekNumbers(weeks).map((w) => (
                <option key={w} value={w}>
                  Week {w}
                </option>
              ))}
            </select>
          </label>
          <label className="field grow">
            <span>To day</span>
            <select value={day} onChange={(e) => setDay(Number(e.target.value))}>
              {DAY_NAMES.map((d, i) => (
                <option key={d} value={i + 1}>
                  {d}
                </option>
              ))}
            </select>
          </label>
        </div>
        {there.length > 0 && (
          <ModeChoice
            mode={mode}
            onMode={setMode}
            what="this workout"
            existing={`${slotName(week, day)} already has ${there.map((w) => `${w.title || 'a workout'} (${plural(w.prescriptions.length, 'exercise')})`).join(', ')}.`}
          />
        )}
        <ModalActions onClose={onClose} submit={there.length && mode === 'replace' ? 'Replace and copy' : 'Copy day'} />
      </form>
    </Modal>
  );
}

type StepKind = 'none' | 'step' | 'wave';

/** Reps or RPE: unchanged, changed by a step per week, or a wave of values week by week. */
function StepOrWave(props: { label: string; kind: StepKind; onKind: (k: StepKind) => void; value: string; onValue: (v: string) => void; wave: string; step: string }) {
  return (
    <div className="field-row">
      <label className="field">
        <span>{props.label}</span>
        <select value={props.kind} onChange={(e) => props.onKind(e.target.value as StepKind)}>
          <option value="none">No change</option>
          <option value="step">Change by … per week</option>
          <option value="wave">Wave</option>
        </select>
      </label>
      {props.kind !== 'none' && (
        <label className="field grow">
          <span>{props.kind === 'wave' ? props.wave : props.step}</span>
          <input value={props.value} onChange={(e) => props.onValue(e.target.value)} inputMode={props.kind === 'step' ? 'decimal' : undefined} />
        </label>
      )}
    </div>
  );
}

/** The progression form: load, reps and RPE, each unchanged, stepped per week, or (reps, RPE) a wave. */
function useProgressionForm(units: Units) {
  const [loadUnit, setLoadUnit] = useState<'none' | Units | '%'>('none');
  const [loadStep, setLoadStep] = useState(units === 'kg' ? '2.5' : '5');
  const [repsKind, setRepsKind] = useState<StepKind>('none');
  const [repsValue, setRepsValue] = useState('');
  const [rpeKind, setRpeKind] = useState<StepKind>('none');
  const [rpeValue, setRpeValue] = useState('');

  const read = (): { ok: true; progression: Progression | null } | { ok: false; error: string } => {
    const p: Progression = {};
    if (loadUnit !== 'none') {
      const step = Number(loadStep.replace(',', '.'));
      if (!loadStep.trim() || !Number.isFinite(step)) return { ok: false, error: 'Load step must be a number, e.g. 2.5' };
      p.load = { step, unit: loadUnit };
    }
    if (repsKind === 'step') p.reps = { step: Number(repsValue) };
    if (repsKind === 'wave') {
      const wave: string[] = [];
      for (const part of repsValue.split(/[,\s]+/).filter(Boolean)) {
        const r = parseReps(part);
        if (!r.ok) return { ok: false, error: `Rep wave: ${r.error}` };
        wave.push(r.value);
      }
      p.reps = { wave };
    }
    if (rpeKind === 'step') p.rpe = { step: Number(rpeValue.replace(',', '.')) };
    if (rpeKind === 'wave') p.rpe = { wave: rpeValue.split(/[,\s]+/).filter(Boolean).map((v) => Number(v.replace(',', '.'))) };
    if (!p.load && !p.reps && !p.rpe) return { ok: true, progression: null };
    const problem = problemWith('Progression', progressionSchema, p);
    return problem ? { ok: false, error: problem.replace('Progression load.step', 'Load step').replace('Progression reps', 'Reps').replace('Progression rpe', 'RPE') } : { ok: true, progression: p };
  };

  const fields = (
    <fieldset className="progression">
      <legend>Progression per week</legend>
      <div className="field-row">
        <label className="field">
          <span>Load</span>
          <select value={loadUnit} onChange={(e) => setLoadUnit(e.target.value as typeof loadUnit)}>
            <option value="none">No change</option>
            <option value={units}>+ {units} per week</option>
            <option value="%">+ % per week</option>
          </select>
        </label>
        {loadUnit !== 'none' && (
          <label className="field">
            <span>{loadUnit === '%' ? 'Percent' : `Step (${units})`}</span>
            <input value={loadStep} onChange={(e) => setLoadStep(e.target.value)} inputMode="decimal" />
          </label>
        )}
      </div>
      <StepOrWave label="Reps" kind={repsKind} onKind={setRepsKind} value={repsValue} onValue={setRepsValue} wave="Reps, week by week (e.g. 10, 8, 6)" step="Reps per week (e.g. -1)" />
      <StepOrWave label="RPE" kind={rpeKind} onKind={setRpeKind} value={rpeValue} onValue={setRpeValue} wave="RPE, week by week (e.g. 7, 8, 9)" step="RPE per week (e.g. 0.5)" />
      <p className="hint">A % per week grows kg and lb loads by that percentage and adds that many points to %1RM loads.</p>
    </fieldset>
  );
  return { fields, read };
}

/** What rows become in the weeks chosen, for the dialog to show before anything is written. */
function Preview({ rows, fromWeek, toWeeks, progression, units }: { rows: Prescription[]; fromWeek: number; toWeeks: number[]; progression: Progression | null; units: Units }) {
  const plate = useApp((s) => s.settings?.plateIncrement);
  if (!progression || rows.length === 0 || toWeeks.length === 0) return null;
  const shownWeeks = toWeeks.slice(0, 4);
  return (
    <table className="table preview" aria-label="Preview">
      <thead>
        <tr>
          <th scope="col">Exercise</th>
          <th scope="col">Week {fromWeek}</th>
          {shownWeeks.map((w) => (
            <th scope="col" key={w}>
              Week {w}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.slice(0, 6).map((rx) => (
          <tr key={rx.id}>
            <th scope="row">{rx.exerciseName}</th>
            <td>{formatPrescription(rx, units)}</td>
            {shownWeeks.map((w) => {
              const r = progress({ reps: rx.reps, load: rx.load, loadUnit: rx.loadUnit, rpe: rx.rpe }, w - fromWeek, progression, plate ? { [units]: plate } : {});
              return (
                <td key={w} className={r.ok ? undefined : 'warn'}>
                  {r.ok ? `${formatPrescription({ ...rx, ...r.fields, loadUnit: r.fields.loadUnit as Prescription['loadUnit'] }, units)}${r.fields.rpe !== null ? ` · RPE ${r.fields.rpe}` : ''}` : r.message}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CopyWeekDialog({ program, fromWeek, onClose }: { program: ProgramDetail; fromWeek: number; onClose: () => void }) {
  const { copyWeek, notify } = useActions();
  const units = useApp((s) => s.settings?.units ?? 'kg');
  const others = weekNumbers(program.weeks).filter((w) => w !== fromWeek);
  const [chosen, setChosen] = useState<Set<number>>(new Set(others.filter((w) => w > fromWeek)));
  const [mode, setMode] = useState<CopyMode>('replace');
  const [error, setError] = useState<string | null>(null);
  const form = useProgressionForm(units);
  const source = program.workouts.filter((w) => w.week === fromWeek);
  const toWeeks = [...chosen].sort((a, b) => a - b);
  const occupied = toWeeks.filter((w) => program.workouts.some((x) => x.week === w));
  const occupiedCount = program.workouts.filter((w) => occupied.includes(w.week)).length;
  const progression = form.read();

  const toggle = (w: number) => setChosen((prev) => toggled(prev, w));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (toWeeks.length === 0) return setError('Choose at least one week.');
    if (!progression.ok) return setError(progression.error);
    onClose();
    const replaced = occupied.length && mode === 'replace';
    if (await copyWeek(program.id, fromWeek, toWeeks, { mode: occupied.length ? mode : 'add', progression: progression.progression })) {
      notify(`Copied week ${fromWeek} to ${listWeeks(toWeeks)}${replaced ? `, replacing ${plural(occupiedCount, 'workout')}` : ''}.`, 'info', { undo: true });
    }
  };

  return (
    <Modal title={`Copy week ${fromWeek}`} onClose={onClose} wide>
      <form onSubmit={submit} className="form">
        <p className="muted">Copies the {source.length === 1 ? 'workout' : `${source.length} workouts`} of week {fromWeek} into each week you choose.</p>
        {others.length === 0 ? (
          <p>This program has one week. Add weeks first.</p>
        ) : (
          <fieldset className="week-picks">
            <legend>To weeks</legend>
            {others.map((w) => (
              <label key={w} className="check">
                <input type="checkbox" checked={chosen.has(w)} onChange={() => toggle(w)} />
                Week {w}
              </label>
            ))}
            <div className="pick-all">
              <button type="button" className="link" onClick={() => setChosen(new Set(others))}>
                All
              </button>
              <button type="button" className="link" onClick={() => setChosen(new Set())}>
                None
              </button>
            </div>
          </fieldset>
        )}
        {occupied.length > 0 && (
          <ModeChoice
            mode={mode}
            onMode={setMode}
            what={`week ${fromWeek}’s workouts`}
            existing={`${sentenceCase(listWeeks(occupied))} already ${occupied.length === 1 ? 'has' : 'have'} ${plural(occupiedCount, 'workout')}.`}
          />
        )}
        {form.fields}
        <Preview rows={source.flatMap((w) => w.prescriptions)} fromWeek={fromWeek} toWeeks={toWeeks} progression={progression.ok ? progression.progression : null} units={units} />
        <FieldError error={error} />
        <ModalActions onClose={onClose} submit={occupied.length && mode === 'replace' ? 'Replace and copy' : 'Copy week'} />
      </form>
    </Modal>
  );
}

/** A progression from some rows of a workout to the same exercises on the same day of other weeks. */
export function ProgressRowsDialog({ workout, weeks, units, onClose }: { workout: Workout; weeks: number; units: Units; onClose: () => void }) {
  const { progressRows, notify } = useActions();
  const rows = workout.prescriptions;
  const [from, setFrom] = useState(1);
  const [to, setTo] = useState(rows.length);
  const later = weekNumbers(weeks).filter((w) => w > workout.week);
  const [chosen, setChosen] = useState<Set<number>>(new Set(later));
  const [error, setError] = useState<string | null>(null);
  const form = useProgressionForm(units);
  const progression = form.read();
  const picked = rows.slice(Math.min(from, to) - 1, Math.max(from, to));
  const toWeeks = [...chosen].sort((a, b) => a - b);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (toWeeks.length === 0) return setError('Choose at least one week.');
    if (!progression.ok) return setError(progression.error);
    if (!progression.progression) return setError('Choose what changes: load, reps or RPE.');
    onClose();
    const result = await progressRows(workout.id, picked.map((r) => r.id), toWeeks, progression.progression);
    if (result) notify(`Progressed ${plural(result.changed, 'row')} in ${listWeeks(toWeeks)}.${result.missing.length ? ` Not found: ${result.missing.join('; ')}.` : ''}`, 'info', { undo: true });
  };

  return (
    <Modal title={`Progress ${workoutName(workout.week, workout.day, workout.title)}`} onClose={onClose} wide>
      <form onSubmit={submit} className="form">
        <p className="muted">Sets these rows’ exercises on {DAY_NAMES[workout.day - 1]} of the weeks you choose from this week’s values, progressed week by week.</p>
        <div className="field-row">
          <RowSelect label="From row" rows={rows} value={from} onChange={setFrom} />
          <RowSelect label="To row" rows={rows} value={to} onChange={setTo} />
        </div>
        <fieldset className="week-picks">
          <legend>In weeks</legend>
          {later.length === 0 && <p className="empty">This is the last week.</p>}
          {later.map((w) => (
            <label key={w} className="check">
              <input type="checkbox" checked={chosen.has(w)} onChange={() => setChosen((prev) => toggled(prev, w))} />
              Week {w}
            </label>
          ))}
        </fieldset>
        {form.fields}
        <Preview rows={picked} fromWeek={workout.week} toWeeks={toWeeks} progression={progression.ok ? progression.progression : null} units={units} />
        <FieldError error={error} />
        <ModalActions onClose={onClose} submit="Progress rows" />
      </form>
    </Modal>
  );
}

const sentenceCase = (t: string) => t[0]!.toUpperCase() + t.slice(1);

function RowSelect({ label, rows, value, onChange }: { label: string; rows: Prescription[]; value: number; onChange: (n: number) => void }) {
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {rows.map((r, i) => (
          <option key={r.id} value={i + 1}>
            {i + 1}. {r.exerciseName}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Assigns a copy of a program (a template, usually) to one client or several at once, from a
 * start date. One client: the builder opens their copy. Several: a notice says how it went.
 */
export function AssignDialog({ program, onClose }: { program: Pick<ProgramDetail, 'id' | 'name' | 'isTemplate'>; onClose: () => void }) {
  const roster = useApp((s) => s.roster.items);
  const { assignProgram, notify } = useActions();
  const trainees = roster.filter((t) => !t.archived);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [startDate, setStartDate] = useState(nextMonday());
  const [error, setError] = useState<string | null>(null);

  const toggle = (id: string) => setChosen((prev) => toggled(prev, id));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (chosen.size === 0) return setError('Choose at least one client.');
    if (!startDate) return setError('Choose a start date.');
    onClose();
    const ids = trainees.filter((t) => chosen.has(t.id)).map((t) => t.id);
    const names = (list: string[]) => list.map((id) => trainees.find((t) => t.id === id)?.name ?? 'a client').join(', ');
    if (ids.length === 1) {
      if (await assignProgram(program.id, ids[0]!, startDate, true)) notify(`Assigned ${program.name} to ${names(ids)}, starting ${formatDate(startDate)}. You are now editing their copy.`);
      return;
    }
    const done: string[] = [];
    for (const id of ids) if (await assignProgram(program.id, id, startDate, false)) done.push(id);
    if (done.length) notify(`Assigned ${program.name} to ${names(done)}, starting ${formatDate(startDate)}.`, done.length === ids.length ? 'info' : 'error');
  };

  return (
    <Modal title={`Assign ${program.name}`} onClose={onClose}>
      <form onSubmit={submit} className="form">
        <p className="muted">Each client gets their own copy; later edits to this {program.isTemplate ? 'template' : 'program'} do not change it.</p>
        <fieldset className="client-picks">
          <legend>Clients</legend>
          {trainees.length === 0 && <p className="empty">No clients yet.</p>}
          {trainees.map((t) => (
            <label key={t.id} className="check">
              <input type="checkbox" checked={chosen.has(t.id)} onChange={() => toggle(t.id)} />
              {t.name}
              {t.activeProgram && <span className="muted small">now on {t.activeProgram.name}</span>}
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>Start date</span>
          <input type="date" value={startDate} onChange={(e) => setStartDate(e.target.value)} />
        </label>
        <FieldError error={error} />
        <ModalActions onClose={onClose} submit={chosen.size > 1 ? `Assign to ${chosen.size} clients` : 'Assign'} />
      </form>
    </Modal>
  );
}

export function SaveTemplateDialog({ program, onClose }: { program: ProgramDetail; onClose: () => void }) {
  const { saveAsTemplate, notify } = useActions();
  const [name, setName] = useState(program.isTemplate ? `${program.name} (copy)` : `${program.name} template`);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return setError('A template needs a name.');
    onClose();
    if (await saveAsTemplate(program.id, name.trim())) notify(`Saved as template “${name.trim()}”. You are now editing the template.`);
  };

  return (
    <Modal title="Save as template" onClose={onClose}>
      <form onSubmit={submit} className="form">
        <label className="field">
          <span>Template name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <FieldError error={error} />
        <ModalActions onClose={onClose} submit="Save template" />
      </form>
    </Modal>
  );
}
