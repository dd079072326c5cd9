// The two ways a screen picks a client from the roster.
import type { RosterEntry } from '../../preload/api.ts';

/** A toolbar's "Client" select over the whole roster (archived clients marked); "" is none. */
export function ClientPicker(props: { roster: RosterEntry[]; value: string | null; onChange: (traineeId: string | null) => void; ariaLabel: string }) {
  return (
    <label className="inline-field">
      <span>Client</span>
      <select aria-label={props.ariaLabel} value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value || null)}>
        <option value="">Choose a client…</option>
        {props.roster.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
            {t.archived ? ' (archived)' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A new program's "For" field: a client (archived ones left out), or "" for a template. */
export function ProgramForField(props: { roster: RosterEntry[]; value: string; onChange: (traineeId: string) => void }) {
  return (
    <label className="field grow">
      <span>For</span>
      <select aria-label="For" value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">Template (no client)</option>
        {props.roster
          .filter((t) => !t.archived)
          .map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
      </select>
    </label>
  );
}
