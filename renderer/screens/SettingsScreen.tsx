import { useState } from 'react';
import type { E1rmFormula, Units } from '../../preload/api.ts';
import { ConfirmDialog } from '../components/Modal.tsx';
import { plural } from '../lib/format.ts';
import { useActions, useApp } from '../store/context.tsx';
import { FIELD_SCHEMAS } from '../../protocol/entities.ts';
import { problemWith } from '../../preload/api-params.ts';
import { decimal } from '../lib/cells.ts';
import { Cell } from './builder/Cell.tsx';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const UNITS: Array<{ value: Units; label: string }> = [
  { value: 'kg', label: 'Kilograms (kg)' },
  { value: 'lb', label: 'Pounds (lb)' },
];

export function SettingsScreen() {
  const settings = useApp((s) => s.settings);
  const session = useApp((s) => s.session);
  const pending = useApp((s) => s.sync.pendingCount + s.sync.failed.length);
  const { updateSettings, signOut } = useActions();
  const [confirming, setConfirming] = useState(false);

  return (
    <main className="screen narrow" aria-labelledby="settings-title">
      <header className="screen-header">
        <h1 id="settings-title">Settings</h1>
      </header>

      <section className="card settings-card" aria-labelledby="units-title">
        <h2 id="units-title">Units</h2>
        <fieldset className="radio-group" disabled={!settings}>
          <legend className="muted">Loads are shown and entered in (stored loads are never changed; a converted one is rounded to 0.5 kg or 1 lb)</legend>
          {UNITS.map((u) => (
            <label key={u.value} className="check">
              <input type="radio" name="units" value={u.value} checked={settings?.units === u.value} onChange={() => void updateSettings({ units: u.value })} />
              {u.label}
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>Weeks start on</span>
          <select aria-label="Weeks start on" value={settings?.weekStartsOn ?? 1} disabled={!settings} onChange={(e) => void updateSettings({ weekStartsOn: Number(e.target.value) })}>
            {WEEKDAYS.map((d, i) => (
              <option key={d} value={i}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <div className="field">
          <span>Plate increment ({settings?.units ?? 'kg'})</span>
          <Cell
            label="Plate increment"
            value={settings?.plateIncrement ?? null}
            format={(v) => (v === null ? '' : String(v))}
            parse={(t) => {
              const n = decimal(t);
              const problem = n === null ? 'Plate increment must be a number, e.g. 2.5' : problemWith('Plate increment', FIELD_SCHEMAS.settings.shape.plateIncrement.unwrap(), n);
              return problem ? { ok: false, error: problem } : { ok: true, value: n };
            }}
            inputMode="decimal"
            onCommit={(plateIncrement) => (plateIncrement === null ? undefined : updateSettings({ plateIncrement }))}
          />
          <span className="hint">%1RM loads are rounded to it.</span>
        </div>
        <label className="field">
          <span>Estimated 1RM</span>
          <select aria-label="Estimated 1RM formula" value={settings?.e1rmFormula ?? 'epley'} disabled={!settings} onChange={(e) => void updateSettings({ e1rmFormula: e.target.value as E1rmFormula })}>
            <option value="epley">Epley: load × (1 + reps/30)</option>
            <option value="brzycki">Brzycki: load × 36 / (37 − reps)</option>
          </select>
          <span className="hint">What the Progress view estimates a one-rep max with, from sets of 1–12 reps (Brzycki reads high above 10 reps).</span>
        </label>
        <div className="field">
          <span>Display name</span>
          <Cell
            label="Display name"
            value={settings?.displayName ?? null}
            format={(v) => v ?? ''}
            parse={(t) => (t.trim().length > 200 ? { ok: false, error: 'At most 200 characters' } : { ok: true, value: t.trim() || null })}
            onCommit={(displayName) => updateSettings({ displayName })}
          />
        </div>
      </section>

      <section className="card settings-card" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <dl className="facts">
          <dt>Server</dt>
          <dd>
            <code>{session?.serverUrl ?? '—'}</code>
          </dd>
          <dt>User id</dt>
          <dd>
            <code>{session?.userId ?? '—'}</code>
          </dd>
          <dt>Role</dt>
          <dd>{session?.role ?? '—'}</dd>
        </dl>
        <button type="button" onClick={() => (pending > 0 ? setConfirming(true) : void signOut())}>
          Sign out
        </button>
      </section>

      {confirming && (
        <ConfirmDialog
          title="Sign out with edits not synced?"
          message={<p>{plural(pending, 'edit')} on this computer {pending === 1 ? 'has' : 'have'} not reached the server yet. Open the Outbox to see them before you sign out.</p>}
          confirmLabel="Sign out anyway"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void signOut();
          }}
        />
      )}
    </main>
  );
}
