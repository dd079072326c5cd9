import { useState, type ChangeEvent, type FormEvent } from 'react';
import type { ProgramImportPreview } from '../../preload/api.ts';
import { ProgramForField } from '../components/ClientSelect.tsx';
import { FieldError, Modal } from '../components/Modal.tsx';
import { dayName, nextMonday, plural } from '../lib/format.ts';
import { messageOf } from '../store/app-store.ts';
import { useActions, useApp } from '../store/context.tsx';

/** As main/host/program-csv.ts's MAX_IMPORT_BYTES: the page checks first so a big file is not sent at all. */
const MAX_IMPORT_BYTES = 400 * 1024;

/**
 * Import a program from CSV (the columns "Export CSV" writes): choose the file, see what it would
 * create (or every row's problem), name it and choose the client, then confirm. Nothing is
 * written before that, and the import is one undoable step.
 */
export function ImportProgramDialog({ onClose }: { onClose: () => void }) {
  const roster = useApp((s) => s.roster.items);
  const { api, navigate, notify } = useActions();
  const [csv, setCsv] = useState<string | null>(null);
  const [fileName, setFileName] = useState('');
  const [preview, setPreview] = useState<ProgramImportPreview | null>(null);
  const [name, setName] = useState('');
  const [traineeId, setTraineeId] = useState('');
  const [startDate, setStartDate] = useState(nextMonday());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    setPreview(null);
    setCsv(null);
    setError(null);
    if (!file) return;
    setFileName(file.name);
    if (!name) setName(file.name.replace(/\.csv$/i, '').trim());
    if (file.size > MAX_IMPORT_BYTES) {
      setError(`${file.name} is ${Math.round(file.size / 1024)} KB; CoachDesk imports CSV files of at most ${MAX_IMPORT_BYTES / 1024} KB.`);
      return;
    }
    setBusy(true);
    try {
      const text = await file.text();
      setCsv(text);
      setPreview(await api.previewProgramImport(text));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!csv || !preview?.ok) return setError('Choose a CSV file without problems first.');
    if (!name.trim()) return setError('The program needs a name.');
    if (traineeId && !startDate) return setError('Pick a start date for the client.');
    setBusy(true);
    try {
      const id = await api.importProgram(csv, { name: name.trim(), traineeId: traineeId || null, startDate: traineeId ? startDate : null });
      onClose();
      notify(`Imported ${name.trim()}: ${plural(preview.prescriptions, 'exercise row')} in ${plural(preview.workouts, 'workout')}`, 'info', { undo: true });
      navigate({ name: 'program', id });
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };

  return (
    <Modal title="Import a program from CSV" onClose={onClose} wide className="import-dialog">
      <form onSubmit={submit} className="form" noValidate>
        <p className="muted">The columns of “Export CSV”: week, day, workout, exercise, order, sets, reps, kind, load, unit, RPE, rest s, tempo, group, notes, workout notes, scheme. At most {MAX_IMPORT_BYTES / 1024} KB.</p>
        <label className="field">
          <span>CSV file</span>
          <input type="file" accept=".csv,text/csv" aria-label="CSV file" onChange={(e) => void choose(e)} />
        </label>
        {busy && !preview && <p className="muted">Reading {fileName}…</p>}
        {preview && !preview.ok && (
          <div className="import-errors" role="alert">
            <p>
              <strong>{fileName} cannot be imported</strong> — nothing was written. {preview.errors.length + preview.moreErrors === 1 ? 'One problem' : `${preview.errors.length + preview.moreErrors} problems`}:
            </p>
            <ul aria-label="Problems">
              {preview.errors.map((e, i) => (
                <li key={i}>{e.message}</li>
              ))}
              {preview.moreErrors > 0 && <li>… and {plural(preview.moreErrors, 'more problem')}</li>}
            </ul>
          </div>
        )}
        {preview?.ok && (
          <div className="import-preview" aria-label="Preview">
            <p>
              {plural(preview.rows, 'row')} read: {plural(preview.weeks, 'week')}, {plural(preview.days, 'training day')}, {plural(preview.workouts, 'workout')}, {plural(preview.prescriptions, 'exercise row')} of {plural(preview.exercises.length, 'exercise')}.
            </p>
            {preview.newExercises.length > 0 && (
              <p>
                Not in your library, so they will be created: <strong>{preview.newExercises.join(', ')}</strong>
              </p>
            )}
            <ul className="import-outline" aria-label="Weeks">
              {preview.outline.map((w) => (
                <li key={w.week}>
                  <strong>Week {w.week}</strong>: {w.workouts.map((wo) => `${dayName(wo.day)} ${wo.title || 'Workout'} (${wo.exercises.length})`).join(' · ')}
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="field-row">
          <label className="field grow">
            <span>Program name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Strength block 2" />
          </label>
          <ProgramForField roster={roster} value={traineeId} onChange={setTraineeId} />
          {traineeId && (
            <label className="field">
              <span>Start date</span>
              <input type="date" value={startDate} onChange={(e) => setStartDate(e.target.value)} />
            </label>
          )}
        </div>
        <FieldError error={error} />
        <div className="modal-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !preview?.ok}>
            Import program
          </button>
        </div>
      </form>
    </Modal>
  );
}
