import { useState, type FormEvent } from 'react';
import type { ProgramSummary } from '../../preload/api.ts';
import { ProgramForField } from '../components/ClientSelect.tsx';
import { FieldError, Modal, ModalActions } from '../components/Modal.tsx';
import { AssignDialog } from './builder/dialogs.tsx';
import { ImportProgramDialog } from './ImportProgram.tsx';
import { formatDate, nextMonday, plural } from '../lib/format.ts';
import { useActions, useApp } from '../store/context.tsx';

export function Programs() {
  const programs = useApp((s) => s.programs);
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const assigned = programs.items.filter((p) => !p.isTemplate);
  const templates = programs.items.filter((p) => p.isTemplate);

  return (
    <main className="screen" aria-labelledby="programs-title">
      <header className="screen-header">
        <div>
          <h1 id="programs-title">Programs</h1>
          <p className="muted">{programs.loaded ? `${assigned.length} assigned, ${plural(templates.length, 'template')}` : '\u00a0'}</p>
        </div>
        <div className="toolbar">
          <button type="button" onClick={() => setImporting(true)}>
            Import CSV…
          </button>
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New program
          </button>
        </div>
      </header>
      <ProgramTable title="Assigned" items={assigned} empty="No program is assigned yet. Create one, or assign a template." />
      <ProgramTable title="Templates" items={templates} empty="No templates yet. Save a program as a template to reuse it." />
      {creating && <NewProgramDialog onClose={() => setCreating(false)} />}
      {importing && <ImportProgramDialog onClose={() => setImporting(false)} />}
    </main>
  );
}

function ProgramTable({ title, items, empty }: { title: string; items: ProgramSummary[]; empty: string }) {
  const { navigate } = useActions();
  const [assigning, setAssigning] = useState<ProgramSummary | null>(null);
  return (
    <section className="section" aria-label={title}>
      <h2 className="section-title">{title}</h2>
      {items.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              {title !== 'Templates' && <th scope="col">Client</th>}
              <th scope="col">Starts</th>
              <th scope="col" className="num">
                Weeks
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <button type="button" className="link strong" onClick={() => navigate({ name: 'program', id: p.id })}>
                    {p.name}
                  </button>
                </th>
                {!p.isTemplate && <td>{p.traineeName ?? '—'}</td>}
                <td>{formatDate(p.startDate)}</td>
                <td className="num">{p.weeks}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => setAssigning(p)} aria-label={`Assign ${p.name}`}>
                    Assign…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {assigning && <AssignDialog program={assigning} onClose={() => setAssigning(null)} />}
    </section>
  );
}

export function NewProgramDialog({ onClose, traineeId: initialTrainee = null }: { onClose: () => void; traineeId?: string | null }) {
  const roster = useApp((s) => s.roster.items);
  const { createProgram } = useActions();
  const [name, setName] = useState('');
  const [weeks, setWeeks] = useState('4');
  const [traineeId, setTraineeId] = useState<string>(initialTrainee ?? '');
  const [startDate, setStartDate] = useState(nextMonday());
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const w = Number(weeks);
    if (!name.trim()) return setError('A program needs a name.');
    if (!Number.isInteger(w) || w < 1 || w > 104) return setError('Weeks must be a whole number from 1 to 104.');
    if (traineeId && !startDate) return setError('Pick a start date for the client.');
    onClose();
    await createProgram({ name: name.trim(), weeks: w, traineeId: traineeId || null, startDate: traineeId ? startDate : null });
  };

  return (
    <Modal title="New program" onClose={onClose}>
      <form onSubmit={submit} className="form" noValidate>
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Strength block 2" />
        </label>
        <div className="field-row">
          <label className="field">
            <span>Weeks</span>
            <input type="number" min={1} max={104} value={weeks} onChange={(e) => setWeeks(e.target.value)} />
          </label>
          <ProgramForField roster={roster} value={traineeId} onChange={setTraineeId} />
        </div>
        {traineeId && (
          <label className="field">
            <span>Start date</span>
            <input type="date" value={startDate} onChange={(e) => setStartDate(e.target.value)} />
          </label>
        )}
        <FieldError error={error} />
        <ModalActions onClose={onClose} submit="Create program" />
      </form>
    </Modal>
  );
}
