import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Parsed } from '../../lib/cells.ts';
import { useActions, useApp } from '../../store/context.tsx';

/** Takes focus when the builder asks for this cell (a new row, a moved row). */
export function useFocusRequest(ref: React.RefObject<HTMLElement | null>, rxId: string | undefined, field: string | undefined): void {
  const wanted = useApp((s) => rxId !== undefined && s.focusRequest?.rxId === rxId && s.focusRequest.field === field);
  const { requestFocus } = useActions();
  useLayoutEffect(() => {
    if (!wanted || !ref.current) return;
    ref.current.focus();
    const el = ref.current as HTMLInputElement;
    if (typeof el.select === 'function' && el.tagName === 'INPUT') el.select();
    requestFocus(null);
  }, [wanted, ref, requestFocus]);
}

export interface CellProps<T> {
  label: string;
  value: T;
  format: (value: T) => string;
  parse: (text: string) => Parsed<T>;
  /**
   * Saves the value; the cell keeps showing it until this settles (by then the screen has
   * refetched). Resolving to `{ok: false, message}` keeps the text and shows the message.
   */
  onCommit: (value: T) => Promise<unknown> | void;
  /** Enter, after a successful commit (in the builder: on to the next row). */
  onEnter?: () => void;
  /** Shown after the input, inside the cell (a %1RM's load in kg, say). */
  after?: React.ReactNode;
  title?: string;
  rxId?: string;
  field?: string;
  className?: string;
  inputMode?: 'numeric' | 'decimal' | 'text';
  placeholder?: string;
  maxLength?: number;
}

/**
 * An editable cell. Typing stays local (each keystroke paints at once); the value is checked
 * and committed on blur or Enter, only if it changed. Escape puts the saved value back. An
 * invalid value shows its message next to the cell and is not sent.
 */
export function Cell<T>(props: CellProps<T>) {
  const { label, value, format, parse, onCommit, onEnter, rxId, field } = props;
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const typed = useRef(0);
  const inFlight = useRef<string | null>(null);
  const ref = useRef<HTMLInputElement>(null);
  const errorId = useId();
  useFocusRequest(ref, rxId, field);

  const commit = (): boolean => {
    if (draft === null) return true;
    // The text already on its way (Enter, then the blur of moving on): not a second edit.
    if (draft === inFlight.current) return true;
    const parsed = parse(draft);
    if (!parsed.ok) {
      setError(parsed.error);
      return false;
    }
    setError(null);
    if (Object.is(parsed.value, value)) {
      setDraft(null);
      return true;
    }
    const generation = typed.current;
    const text = format(parsed.value);
    setDraft(text);
    inFlight.current = text;
    const settled = Promise.resolve(onCommit(parsed.value));
    void settled.finally(() => {
      if (inFlight.current === text) inFlight.current = null;
    });
    void settled.then(
      (result) => {
        if (typed.current !== generation) return;
        // A refusal the caller wants shown here ({ok: false, message}): keep what was typed.
        const refused = result && typeof result === 'object' && (result as { ok?: unknown }).ok === false;
        if (refused) setError(String((result as { message?: unknown }).message ?? 'Not saved'));
        else setDraft(null);
      },
      () => typed.current === generation && setDraft(null),
    );
    return true;
  };

  const revert = () => {
    typed.current++;
    setDraft(null);
    setError(null);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter' && !event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      if (commit()) onEnter?.();
    } else if (event.key === 'Escape' && (draft !== null || error !== null)) {
      event.preventDefault();
      event.stopPropagation();
      revert();
    }
  };

  return (
    <div className={`cell${error ? ' cell-invalid' : ''}`}>
      <input
        ref={ref}
        className={props.className}
        aria-label={label}
        data-rx={rxId}
        data-field={field}
        value={draft ?? format(value)}
        inputMode={props.inputMode}
        placeholder={props.placeholder}
        maxLength={props.maxLength}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        data-dirty={draft !== null ? 'true' : undefined}
        title={props.title}
        onChange={(e) => {
          typed.current++;
          setDraft(e.target.value);
          if (error) setError(null);
        }}
        onBlur={() => {
          commit();
        }}
        onKeyDown={onKeyDown}
      />
      {props.after}
      {error && (
        <div className="cell-error" id={errorId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
