import { useMemo, useState, type FormEvent } from 'react';
import { FIELD_SCHEMAS } from '../../protocol/entities.ts';
import { problemWith } from '../../preload/api-params.ts';
import type { LibraryExercise } from '../../preload/api.ts';
import { FieldError, Modal, ModalActions } from '../components/Modal.tsx';
import { parseExerciseName, parseText, type Parsed } from '../lib/cells.ts';
import { plural } from '../lib/format.ts';
import { toggled } from '../lib/sets.ts';
import { useActions, useApp } from '../store/context.tsx';
import { Cell } from './builder/Cell.tsx';

const parseCategory = parseText(100, 'Category');
function parseVideoUrl(text: string): Parsed<string | null> {
  const t = text.trim();
  if (!t) return { ok: true, value: null };
  const problem = problemWith('Video link', FIELD_SCHEMAS.exercise.shape.videoUrl, t);
  return problem ? { ok: false, error: `${problem}, e.g. https://youtu.be/…` } : { ok: true, value: t };
}

/** The coach's exercise library: search, rename, categorise, link a video, merge duplicates. */
export function Library() {
  const library = useApp((s) => s.library);
  const { updateExercise, createExercise } = useActions();
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [merging, setMerging] = useState(false);
  const [newName, setNewName] = useState('');
  const [newError, setNewError] = useState<string | null>(null);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return q ? library.items.filter((e) => e.name.toLowerCase().includes(q) || (e.category ?? '').toLowerCase().includes(q)) : library.items;
  }, [library.items, query]);
  const chosen = library.items.filter((e) => selected.has(e.id));

  const toggle = (id: string) => setSelected((prev) => toggled(prev, id));

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const name = parseExerciseName(newName);
    if (!name.ok) return setNewError(name.error);
    if (library.items.some((e) => e.name.toLowerCase() === name.value.toLowerCase())) return setNewError(`${name.value} is already in the library`);
    const r = await createExercise(name.value, { inline: true });
    if (r.ok) {
      setNewName('');
      setNewError(null);
    } else setNewError(r.message);
  };

  return (
    <main className="screen" aria-labelledby="library-title">
      <header className="screen-header">
        <div>
          <h1 id="library-title">Exercise library</h1>
          <p className="muted">{library.loaded ? plural(library.items.length, 'exercise') : '\u00a0'}</p>
        </div>
        <div className="toolbar">
          <input type="search" aria-label="Search exercises" placeholder="Search" value={query} onChange={(e) => setQuery(e.target.value)} />
          <button type="button" disabled={chosen.length < 2} onClick={() => setMerging(true)}>
            Merge {chosen.length >= 2 ? `${chosen.length} ` : ''}exercises…
          </button>
        </div>
      </header>
      <form className="add-exercise" onSubmit={add} noValidate>
        <input aria-label="New exercise name" placeholder="New exercise, e.g. Safety bar squat" value={newName} onChange={(e) => (setNewName(e.target.value), setNewError(null))} aria-invalid={newError ? true : undefined} />
        <button type="submit" className="primary small">
          Add exercise
        </button>
        <FieldError error={newError} />
      </form>
      {library.loaded && shown.length === 0 ? (
        <p className="empty">{query ? `No exercise matches “${query}”.` : 'No exercises yet.'}</p>
      ) : (
        <table className="table library" aria-label="Exercises">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Select</span>
              </th>
              <th scope="col">Name</th>
              <th scope="col">Category</th>
              <th scope="col">Video link</th>
              <th scope="col" className="num">
                Used in
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.id} aria-label={e.name} className={e.pending ? 'pending' : undefined}>
                <td>
                  <input type="checkbox" aria-label={`Select ${e.name}`} checked={selected.has(e.id)} onChange={() => toggle(e.id)} />
                </td>
                <td>
                  <Cell label={`Name of ${e.name}`} value={e.name} format={(v) => v} parse={parseExerciseName} onCommit={(name) => updateExercise(e.id, { name })} />
                </td>
                <td>
                  <Cell label={`Category of ${e.name}`} value={e.category} format={(v) => v ?? ''} parse={parseCategory} placeholder="e.g. squat" onCommit={(category) => updateExercise(e.id, { category })} />
                </td>
                <td>
                  <Cell label={`Video link of ${e.name}`} value={e.videoUrl} format={(v) => v ?? ''} parse={parseVideoUrl} placeholder="https://…" onCommit={(videoUrl) => updateExercise(e.id, { videoUrl })} />
                </td>
                <td className="num">{plural(e.uses, 'row')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {merging && (
        <MergeDialog
          exercises={chosen}
          onClose={() => setMerging(false)}
          onMerged={() => {
            setMerging(false);
            setSelected(new Set());
          }}
        />
      )}
    </main>
  );
}

function MergeDialog({ exercises, onClose, onMerged }: { exercises: LibraryExercise[]; onClose: () => void; onMerged: () => void }) {
  const { mergeExercises } = useActions();
  const [keep, setKeep] = useState(() => [...exercises].sort((a, b) => b.uses - a.uses)[0]!.id);
  const others = exercises.filter((e) => e.id !== keep);
  const moved = others.reduce((n, e) => n + e.uses, 0);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await mergeExercises(keep, others.map((e) => e.id))) onMerged();
  };

  return (
    <Modal title="Merge exercises" onClose={onClose}>
      <form onSubmit={submit} className="form">
        <fieldset className="radio-group">
          <legend>Keep</legend>
          {exercises.map((e) => (
            <label key={e.id} className="check">
              <input type="radio" name="keep" checked={keep === e.id} onChange={() => setKeep(e.id)} />
              {e.name} <span className="muted small">({plural(e.uses, 'row')})</span>
            </label>
          ))}
        </fieldset>
        <p>
          {plural(moved, 'row')} of {others.map((e) => e.name).join(', ')} will use {exercises.find((e) => e.id === keep)?.name} instead, and so will their clients’ maxes. The others leave
          the library; logged sets keep their names. One step: Ctrl+Z undoes it.
        </p>
        <ModalActions onClose={onClose} submit={`Merge into ${exercises.find((e) => e.id === keep)?.name}`} />
      </form>
    </Modal>
  );
}
