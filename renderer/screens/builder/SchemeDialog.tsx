import { useState, type FormEvent } from 'react';
import type { Prescription, SchemePart } from '../../../preload/api.ts';
import { FieldError, Modal, ModalActions } from '../../components/Modal.tsx';
import { parseSchemeLine, schemeText } from '../../lib/fast-entry.ts';

const MAX_PARTS = 12;

/**
 * The sets of a row spelled out: warm-ups, a top set, back-offs. The trainee sees them with the
 * prescription. One part per line; an empty text removes the scheme.
 */
export function SchemeDialog({ rx, where, onClose, onSave }: { rx: Prescription; where: string; onClose: () => void; onSave: (scheme: SchemePart[] | null) => Promise<unknown> }) {
  const [text, setText] = useState(schemeText(rx.scheme));
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length > MAX_PARTS) return setError(`At most ${MAX_PARTS} lines`);
    const parts: SchemePart[] = [];
    for (const [i, line] of lines.entries()) {
      const parsed = parseSchemeLine(line);
      if (!parsed.ok) return setError(`Line ${i + 1}: ${parsed.error}`);
      parts.push(parsed.part);
    }
    onClose();
    await onSave(parts.length ? parts : null);
  };

  return (
    <Modal title={`Scheme of ${rx.exerciseName}`} onClose={onClose}>
      <form onSubmit={submit} className="form" noValidate>
        <p className="muted">
          {where}. One part per line, e.g. <kbd>Warm-up 2x5 @ 50%</kbd>, <kbd>Top set 1x3 @RPE8</kbd>, <kbd>Back-off 3x5 @ 90% top</kbd>.
        </p>
        <label className="field">
          <span>Parts</span>
          <textarea rows={6} value={text} onChange={(e) => setText(e.target.value)} aria-invalid={error ? true : undefined} spellCheck={false} />
        </label>
        <FieldError error={error} />
        <ModalActions onClose={onClose} submit="Save scheme" />
      </form>
    </Modal>
  );
}
