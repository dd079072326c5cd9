import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Exercise } from '../../../preload/api.ts';
import { parseQuickEntry, type QuickEntry } from '../../lib/cells.ts';
import { useFocusRequest } from './Cell.tsx';

type Option = { kind: 'exercise'; exercise: Exercise } | { kind: 'create'; name: string };

const MAX_SUGGESTIONS = 8;

export function suggest(exercises: Exercise[], query: string): Option[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hits = exercises
    .filter((e) => e.name.toLowerCase().includes(q))
    .sort((a, b) => {
      const rank = (e: Exercise) => (e.name.toLowerCase() === q ? 0 : e.name.toLowerCase().startsWith(q) ? 1 : 2);
      return rank(a) - rank(b) || a.name.localeCompare(b.name);
    })
    .slice(0, MAX_SUGGESTIONS)
    .map((exercise): Option => ({ kind: 'exercise', exercise }));
  const exact = exercises.some((e) => e.name.toLowerCase() === q);
  if (!exact) hits.push({ kind: 'create', name: query.trim() });
  return hits;
}

/**
 * The exercise cell: type to filter the library; a name that is not there offers
 * "Create 'X'". ArrowUp/Down choose, Enter or Tab take the highlighted suggestion.
 * In `quick` mode (the "Add exercise" row) the text may carry a set scheme ("5x5 @ 100kg").
 */
export function ExerciseCombo(props: {
  label: string;
  /** The current exercise's name ('' for the add row). */
  value: string;
  exercises: Exercise[];
  onPick: (exercise: Exercise, quick: QuickEntry['rx']) => Promise<unknown> | void;
  onCreate: (name: string, quick: QuickEntry['rx']) => Promise<unknown> | void;
  /** Enter with no suggestion open. */
  onEnter?: () => void;
  quick?: boolean;
  placeholder?: string;
  rxId?: string;
  field?: string;
}) {
  const { label, value, exercises, onPick, onCreate, onEnter, quick, rxId, field } = props;
  const [draft, setDraft] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [highlight, setHighlight] = useState(0);
  const typed = useRef(0);
  /** The name just chosen, until its save settles: leaving the cell then must not choose it again. */
  const settling = useRef<string | null>(null);
  const ref = useRef<HTMLInputElement>(null);
  const listId = useId();
  useFocusRequest(ref, rxId, field);

  const text = draft ?? value;
  const entry = useMemo(() => (quick ? parseQuickEntry(text) : { name: text, rx: {} }), [quick, text]);
  const options = useMemo(() => (open && draft !== null ? suggest(exercises, entry.name) : []), [open, draft, exercises, entry.name]);
  const active = options.length ? Math.min(highlight, options.length - 1) : -1;
  const showList = open && options.length > 0;

  const close = () => {
    setOpen(false);
    setHighlight(0);
  };

  const revert = () => {
    typed.current++;
    setDraft(null);
    close();
  };

  const choose = (option: Option) => {
    const generation = ++typed.current;
    close();
    if (option.kind === 'exercise' && option.exercise.name === value && !quick) {
      setDraft(null);
      return;
    }
    // Show the choice at once; the saved value takes over when the screen has refetched.
    const chosen = option.kind === 'exercise' ? option.exercise.name : option.name;
    setDraft(quick ? '' : chosen);
    settling.current = chosen.trim().toLowerCase();
    const done = option.kind === 'exercise' ? onPick(option.exercise, entry.rx) : onCreate(option.name, entry.rx);
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
        if (draft !== null) {
          event.preventDefault();
          event.stopPropagation();
          revert();
        }
        return;
      case 'Tab': {
        const option = active >= 0 ? options[active] : undefined;
        if (showList && option?.kind === 'exercise') choose(option);
        return;
      }
    }
  };

  const onBlur = () => {
    if (draft === null) return close();
    const q = entry.name.trim().toLowerCase();
    if (q && q === settling.current) return close();
    const exact = exercises.find((e) => e.name.toLowerCase() === q);
    if (exact && (quick || exact.name !== value)) return choose({ kind: 'exercise', exercise: exact });
    close();
    // The add row keeps what was typed; a row cell goes back to its exercise.
    if (!quick) revert();
  };

  return (
    <div className="combo cell">
      <input
        ref={ref}
        role="combobox"
        aria-label={label}
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && active >= 0 ? `${listId}-${active}` : undefined}
        data-rx={rxId}
        data-field={field}
        className="combo-input"
        value={text}
        placeholder={props.placeholder}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => {
          typed.current++;
          setDraft(e.target.value);
          setOpen(true);
          setHighlight(0);
        }}
        onBlur={onBlur}
        onKeyDown={onKeyDown}
      />
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
