import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Exercise } from '../../../preload/api.ts';
import { parseExerciseName } from '../../lib/cells.ts';
import { parseFastEntry, type FastRx } from '../../lib/fast-entry.ts';
import { useFocusRequest } from './Cell.tsx';

export type Option = { kind: 'exercise'; exercise: Exercise } | { kind: 'create'; name: string };

const MAX_SUGGESTIONS = 8;

/**
 * Suggestions for what was typed, in the order Enter should prefer them: the exact name, then
 * names that start with it, then "Create 'X'" for a name not in the library, then names that
 * merely contain it. "Squat" never silently becomes "Back squat".
 */
export function suggest(exercises: Exercise[], query: string): Option[] {
  const typed = query.trim();
  const q = typed.toLowerCase();
  if (!q) return [];
  const hits = exercises.filter((e) => e.name.toLowerCase().includes(q));
  const rank = (e: Exercise) => (e.name.toLowerCase() === q ? 0 : e.name.toLowerCase().startsWith(q) ? 1 : 2);
  hits.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const options: Option[] = hits.slice(0, MAX_SUGGESTIONS).map((exercise) => ({ kind: 'exercise', exercise }));
  if (!hits.some((e) => rank(e) === 0)) {
    const at = options.findIndex((o) => o.kind === 'exercise' && rank(o.exercise) === 2);
    options.splice(at < 0 ? options.length : at, 0, { kind: 'create', name: typed });
  }
  return options;
}

/** What "Add exercise" does with an entry: add this exercise, or create the named one first. */
export type QuickChoice = { exercise: Exercise } | { create: string };

/**
 * The exercise cell: type to filter the library; a name that is not there offers
 * "Create 'X'". ArrowUp/Down choose, Enter or Tab take the highlighted suggestion.
 * In `quick` mode (the "Add exercise" row) the text may carry a scheme ("5x5 @ 100kg @RPE8"):
 * what cannot be read, or what the host refuses, is said at the field and the text stays.
 */
export function ExerciseCombo(props: {
  label: string;
  /** The current exercise's name ('' for the add row). */
  value: string;
  exercises: Exercise[];
  onPick?: (exercise: Exercise) => Promise<unknown> | void;
  onCreate?: (name: string) => Promise<unknown> | void;
  /** Quick mode: adds the entry; a message back is shown at the field. */
  onQuick?: (choice: QuickChoice, rx: FastRx) => Promise<{ ok: true } | { ok: false; message: string }>;
  /** Enter with nothing typed (row mode). */
  onEnter?: () => void;
  placeholder?: string;
  rxId?: string;
  field?: string;
}) {
  const { label, value, exercises, onPick, onCreate, onQuick, onEnter, rxId, field } = props;
  const quick = !!onQuick;
  const [draft, setDraft] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [highlight, setHighlight] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const typed = useRef(0);
  /** The name just chosen, until its save settles: leaving the cell then must not choose it again. */
  const settling = useRef<string | null>(null);
  const ref = useRef<HTMLInputElement>(null);
  const listId = useId();
  const errorId = useId();
  useFocusRequest(ref, rxId, field);

  const text = draft ?? value;
  const entry = useMemo(() => (quick ? parseFastEntry(text) : null), [quick, text]);
  const name = entry ? entry.name : text;
  const options = useMemo(() => (open && draft !== null && name.length <= 200 ? suggest(exercises, name) : []), [open, draft, exercises, name]);
  const active = options.length ? Math.min(highlight, options.length - 1) : -1;
  const showList = open && options.length > 0;

  const close = () => {
    setOpen(false);
    setHighlight(0);
  };

  const revert = () => {
    typed.current++;
    setDraft(null);
    setError(null);
    close();
  };

  /** Quick mode: adds what was typed, keeping the text (and saying why) if it does not go through. */
  const submitQuick = async (option: Option | undefined) => {
    if (!entry || !onQuick) return;
    if (!entry.ok) return setError(entry.error);
    const chosen: Option = option ?? suggest(exercises, entry.name)[0] ?? { kind: 'create', name: entry.name };
    const generation = ++typed.current;
    close();
    setBusy(true);
    const result = await onQuick(chosen.kind === 'exercise' ? { exercise: chosen.exercise } : { create: chosen.name }, entry.rx);
    setBusy(false);
    if (typed.current !== generation) return; // the coach typed on meanwhile: keep that
    if (result.ok) {
      setDraft(null);
      setError(null);
    } else setError(result.message);
  };

  const choose = (option: Option) => {
    if (quick) return void submitQuick(option);
    const generation = ++typed.current;
    close();
    if (option.kind === 'exercise' && option.exercise.name === value) {
      setDraft(null);
      return;
    }
    if (option.kind === 'create') {
      const checked = parseExerciseName(option.name);
      if (!checked.ok) return setError(checked.error);
    }
    // Show the choice at once; the saved value takes over when the screen has refetched.
    const chosen = option.kind === 'exercise' ? option.exercise.name : option.name;
    setDraft(chosen);
    setError(null);
    settling.current = chosen.trim().toLowerCase();
    const done = option.kind === 'exercise' ? onPick?.(option.exercise) : onCreate?.(option.name);
    void Promise.resolve(done).finally(() => {
      if (typed.current === generation) {
        settling.current = null;
        setDraft(null);
      }
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return; // row shortcuts
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        if (draft === null) return;
        event.preventDefault();
        if (!open) return setOpen(true);
        const step = event.key === 'ArrowDown' ? 1 : -1;
        setHighlight((h) => (options.length ? (Math.min(h, options.length - 1) + step + options.length) % options.length : 0));
        return;
      }
      case 'Enter': {
        event.preventDefault();
        if (busy) return;
        if (quick) {
          event.stopPropagation();
          if (draft !== null && draft.trim()) void submitQuick(showList && active >= 0 ? options[active] : undefined);
          return;
        }
        if (showList && active >= 0) {
          event.stopPropagation();
          choose(options[active]!);
          return;
        }
        if (draft !== null && draft.trim() !== value.trim()) {
          // Typed, but nothing to choose (an empty name): put the saved name back.
          revert();
          return;
        }
        revert();
        onEnter?.();
        return;
      }
      case 'Escape':
        if (draft !== null || error) {
          event.preventDefault();
          event.stopPropagation();
          revert();
        }
        return;
      case 'Tab': {
        const option = active >= 0 ? options[active] : undefined;
        if (!quick && showList && option?.kind === 'exercise') choose(option);
        return;
      }
    }
  };

  const onBlur = () => {
    if (draft === null) return close();
    if (quick) return close(); // the add row keeps what was typed until Enter
    const q = name.trim().toLowerCase();
    if (q && q === settling.current) return close();
    const exact = exercises.find((e) => e.name.toLowerCase() === q);
    if (exact && exact.name !== value) return choose({ kind: 'exercise', exercise: exact });
    close();
    // A row cell goes back to its exercise.
    revert();
  };

  return (
    <div className={`combo cell${error ? ' cell-invalid' : ''}${showList ? ' open' : ''}`}>
      <input
        ref={ref}
        role="combobox"
        aria-label={label}
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && active >= 0 ? `${listId}-${active}` : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        aria-busy={busy || undefined}
        data-rx={rxId}
        data-field={field}
        data-dirty={draft !== null ? 'true' : undefined}
        className="combo-input"
        value={text}
        placeholder={props.placeholder}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => {
          typed.current++;
          setDraft(e.target.value);
          setError(null);
          setOpen(true);
          setHighlight(0);
        }}
        onBlur={onBlur}
        onKeyDown={onKeyDown}
      />
      {error && (
        <div className="cell-error" id={errorId} role="alert">
          {error}
        </div>
      )}
      <ul id={listId} role="listbox" aria-label={`${label} suggestions`} className="combo-list" hidden={!showList}>
        {showList &&
          options.map((option, i) => (
            <li
              key={option.kind === 'exercise' ? option.exercise.id : 'create'}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={`combo-option${i === active ? ' active' : ''}${option.kind === 'create' ? ' create' : ''}`}
              onMouseDown={(e) => e.preventDefault()}
              onMouseEnter={() => setHighlight(i)}
              onClick={() => choose(option)}
            >
              {option.kind === 'exercise' ? (
                <>
                  <span>{option.exercise.name}</span>
                  {option.exercise.category && <span className="muted small">{option.exercise.category}</span>}
                </>
              ) : (
                <span>{`Create '${option.name}'`}</span>
              )}
            </li>
          ))}
      </ul>
    </div>
  );
}
