import { useEffect } from 'react';
import { isTypingTarget } from '../lib/keys.ts';
import { useActions, useApp } from '../store/context.tsx';
import { Modal } from './Modal.tsx';

export const SHORTCUTS: Array<{ keys: string[]; what: string }> = [
  { keys: ['Tab', 'Shift+Tab'], what: 'Next / previous cell' },
  { keys: ['Enter'], what: 'Save the cell and go to the same cell of the next row (after the last row: Add exercise)' },
  { keys: ['Ctrl+Enter'], what: 'Insert a row below, with this row’s exercise and scheme' },
  { keys: ['Escape'], what: 'Undo your typing in the cell; close a dialog or panel' },
  { keys: ['Ctrl+Z'], what: 'Undo the last edit (copy week, delete and merge included)' },
  { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], what: 'Redo' },
  { keys: ['Alt+↑', 'Alt+↓'], what: 'Move the row up / down' },
  { keys: ['Ctrl+Delete', 'Ctrl+Backspace'], what: 'Delete the row (Undo is offered)' },
  { keys: ['↑', '↓'], what: 'In an exercise cell: choose a suggestion (Enter or Tab takes it)' },
  { keys: ['?', 'F1'], what: 'Show this help' },
];

/** Listens for '?' (when not typing) and F1 anywhere, and shows the shortcuts. */
export function HelpOverlay() {
  const open = useApp((s) => s.helpOpen);
  const { setHelpOpen } = useActions();

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const isHelpKey = event.key === 'F1' || (event.key === '?' && !event.ctrlKey && !event.altKey && !event.metaKey && !isTypingTarget(event.target));
      if (!isHelpKey) return;
      event.preventDefault();
      setHelpOpen(true);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [setHelpOpen]);

  if (!open) return null;
  return (
    <Modal title="Keyboard shortcuts" onClose={() => setHelpOpen(false)} wide>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.what}>
              <td>
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 && <span className="muted"> or </span>}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </td>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        Fast entry: in <strong>Add exercise</strong>, type a name and a scheme, e.g. <kbd>Back squat 5x5 @ 100kg @RPE8</kbd>, <kbd>Bench press 3x8-10 @ 75%</kbd>,{' '}
        <kbd>Pull-up 3xAMRAP</kbd>, <kbd>Plank 3x30s</kbd> or <kbd>Farmer carry 4x40m</kbd>, then Enter. <kbd>@8</kbd> is an RPE; a load needs its unit. An exact name wins;
        a name that is not in the library is created. What cannot be read is said at the field, and your text stays.
      </p>
      <div className="modal-actions">
        <button type="button" className="primary" onClick={() => setHelpOpen(false)}>
          Close
        </button>
      </div>
    </Modal>
  );
}
