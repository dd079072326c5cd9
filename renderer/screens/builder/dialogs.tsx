import { useState, type FormEvent } from 'react';
import type { ProgramDetail, Workout } from '../../../preload/api.ts';
import { FieldError, Modal, ModalActions } from '../../components/Modal.tsx';
import { DAY_NAMES, formatDate, nextMonday, slotName, workoutName } from '../../lib/format.ts';
import { useActions, useApp } from '../../store/context.tsx';

const weekNumbers = (weeks: number) => Array.from({ length: weeks }, (_, i) => i + 1);

export function CopyDayDialog({ workout, weeks, onClose }: { workout: Workout; weeks: number; onClose: () => void }) {
  const { copyDay, notify } = useActions();
  const [week, setWeek] = useState(Math.min(workout.week + 1, weeks));
  const [day, setDay] = useState(workout.day);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onClose();
    const id = await copyDay(workout.id, week, day);
    if (id) notify(`Copied ${workout.title || 'the workout'} to ${slotName(week, day)}.`);
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
        <ModalActions onClose={onClose} submit="Copy day" />
      </form>
    </Modal>
  );
}

export function CopyWeekDialog({ program, fromWeek, onClose }: { program: ProgramDetail; fromWeek: number; onClose: () => void }) {
  const { copyWeek, notify } = useActions();
  const others = weekNumbers(program.weeks).filter((w) => w !== fromWeek);
  const [chosen, setChosen] = useState<Set<number>>(new Set(others.filter((w) => w > fromWeek)));
  const [error, setError] = useState<string | null>(null);
  const count = program.workouts.filter((w) => w.week === fromWeek).length;

  const toggle = (w: number) =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (next.has(w)) next.delete(w);
      else next.add(w);
      return next;
    });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (chosen.size === 0) return setError('Choose at least one week.');
    const toWeeks = [...chosen].sort((a, b) => a - b);
    onClose();
    if (await copyWeek(program.id, fromWeek, toWeeks)) notify(`Copied week ${fromWeek} to ${toWeeks.length === 1 ? `week ${toWeeks[0]}` : `weeks ${toWeeks.join(', ')}`}.`);
  };

  return (
    <Modal title={`Copy week ${fromWeek}`} onClose={onClose}>
      <form onSubmit={submit} className="form">
        <p className="muted">Copies the {count === 1 ? 'workout' : `${count} workouts`} of week {fromWeek} into each week you choose.</p>
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
        <FieldError error={error} />
        <ModalActions onClose={onClose} submit="Copy week" />
      </form>
    </Modal>
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

  const toggle = (id: string) =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

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
