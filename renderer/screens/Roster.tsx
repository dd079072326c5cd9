import { useEffect, useState, type FormEvent } from 'react';
import type { RosterEntry } from '../../preload/api.ts';
import { email as emailSchema } from '../../protocol/entities.ts';
import { problemWith, traineeInput } from '../../preload/api-params.ts';
import { Modal, ModalActions } from '../components/Modal.tsx';
import { formatDate, formatPercent } from '../lib/format.ts';
import { useNow } from '../lib/use-now.ts';
import { useActions, useApp } from '../store/context.tsx';
import { accessText, hasAccess, InviteDialog, RevokeDialog } from './TraineeAccess.tsx';

/** How often app access is re-read while the Clients screen shows (a client may join meanwhile). */
const ACCESS_POLL_MS = 30_000;

/**
 * TrueCoach's rule of thumb: a drop of 20 points or more against the period before is worth a
 * look. The host says which window dropped (7 or 30 days; the Progress view shows 90 too).
 */
function dropIn(entry: RosterEntry, days: number): string | null {
  const drop = entry.complianceDrop;
  if (!drop || drop.days !== days) return null;
  return `Down from ${formatPercent(drop.from)} in the ${days} days before`;
}

export function Roster() {
  const roster = useApp((s) => s.roster);
  const access = useApp((s) => s.access);
  const { setIncludeArchived, setTraineeArchived, navigate, loadAccess } = useActions();
  const [editing, setEditing] = useState<RosterEntry | 'new' | null>(null);
  const [inviting, setInviting] = useState<RosterEntry | null>(null);
  const [revoking, setRevoking] = useState<RosterEntry | null>(null);
  const active = roster.items.filter((t) => !t.archived).length;
  const now = useNow();

  // A client joins on their phone, away from here: re-read when the coach comes back to the
  // window, and now and then while the screen shows.
  useEffect(() => {
    const reread = () => void loadAccess();
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') reread();
    }, ACCESS_POLL_MS);
    window.addEventListener('focus', reread);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', reread);
    };
  }, [loadAccess]);

  return (
    <main className="screen" aria-labelledby="roster-title">
      <header className="screen-header">
        <div>
          <h1 id="roster-title">Clients</h1>
          <p className="muted">{roster.loaded ? `${active} active${roster.includeArchived ? `, ${roster.items.length - active} archived` : ''}` : '\u00a0'}</p>
        </div>
        <div className="toolbar">
          <label className="check">
            <input type="checkbox" checked={roster.includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} />
            Show archived
          </label>
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            Add client
          </button>
        </div>
      </header>

      {roster.loaded && roster.items.length === 0 ? (
        <div className="empty-state">
          <p>No clients yet.</p>
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            Add your first client
          </button>
        </div>
      ) : (
        <table className="table roster" aria-label="Clients">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Last session</th>
              <th scope="col" className="num" title="Completed sessions / planned workouts">
                7 days
              </th>
              <th scope="col" className="num" title="Completed sessions / planned workouts">
                30 days
              </th>
              <th scope="col">Active program</th>
              <th scope="col">App access</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {roster.items.map((t) => (
              <tr key={t.id} className={t.archived ? 'archived' : undefined} aria-label={t.name}>
                <th scope="row">
                  <button type="button" className="link strong" onClick={() => navigate({ name: 'activity', traineeId: t.id })} aria-label={`Activity of ${t.name}`}>
                    {t.name}
                  </button>
                  {t.archived && <span className="chip">archived</span>}
                  {t.pending && <span className="pending-dot" title="Not yet synced" aria-label="not yet synced" />}
                  {t.notes && <div className="row-note">{t.notes}</div>}
                </th>
                <td className="muted">{t.email ?? '—'}</td>
                <td>{formatDate(t.lastSessionDate)}</td>
                {[7, 30].map((days) => {
                  const drop = dropIn(t, days);
                  return (
                    <td key={days} className={`num${drop ? ' warn' : ''}`} data-label={`${days}-day compliance`} title={drop ?? undefined}>
                      {formatPercent(days === 7 ? t.compliance7 : t.compliance30)}
                      {drop && <span aria-label="dropping"> ↓</span>}
                    </td>
                  );
                })}
                <td>
                  {t.activeProgram ? (
                    <button type="button" className="link" onClick={() => navigate({ name: 'program', id: t.activeProgram!.id })}>
                      {t.activeProgram.name}
                    </button>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
                <td data-label="App access">
                  <AccessStatus {...accessText(access, t.id, now)} />
                </td>
                <td className="row-actions">
                  {!t.archived && (
                    <button type="button" onClick={() => setInviting(t)}>
                      Invite…
                    </button>
                  )}
                  {hasAccess(access, t.id) && (
                    <button type="button" className="danger-quiet" onClick={() => setRevoking(t)}>
                      Revoke access
                    </button>
                  )}
                  <button type="button" onClick={() => navigate({ name: 'progress', traineeId: t.id })} aria-label={`Progress of ${t.name}`}>
                    Progress
                  </button>
                  <button type="button" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
                    Edit
                  </button>
                  <button type="button" onClick={() => void setTraineeArchived(t.id, !t.archived)} aria-label={`${t.archived ? 'Unarchive' : 'Archive'} ${t.name}`}>
                    {t.archived ? 'Unarchive' : 'Archive'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {access.status === 'error' && (
        <p className="access-error" role="status">
          App access could not be read: {access.message}
        </p>
      )}
      {editing && <TraineeDialog trainee={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {inviting && (
        <InviteDialog
          trainee={inviting}
          onClose={() => {
            setInviting(null);
            void loadAccess();
          }}
        />
      )}
      {revoking && <RevokeDialog trainee={revoking} onClose={() => setRevoking(null)} />}
    </main>
  );
}

function AccessStatus({ text, tone }: { text: string; tone: 'muted' | 'ok' | 'invited' | 'warn' }) {
  return <span className={`access access-${tone}`}>{text}</span>;
}

function TraineeDialog({ trainee, onClose }: { trainee: RosterEntry | null; onClose: () => void }) {
  const { saveTrainee } = useActions();
  const roster = useApp((s) => s.roster.items);
  const [name, setName] = useState(trainee?.name ?? '');
  const [email, setEmail] = useState(trainee?.email ?? '');
  const [notes, setNotes] = useState(trainee?.notes ?? '');
  const [error, setError] = useState<{ field: 'name' | 'email' | 'form'; text: string } | null>(null);
  /** The name whose duplicate the coach was warned about: a second submit adds it anyway. */
  const [warned, setWarned] = useState<string | null>(null);
  const same = roster.find((t) => t.id !== trainee?.id && t.name.trim().toLowerCase() === name.trim().toLowerCase());

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const nameProblem = name.trim() ? problemWith('Name', traineeInput.shape.name, name) : 'A client needs a name.';
    if (nameProblem) return setError({ field: 'name', text: nameProblem });
    if (email.trim()) {
      const emailProblem = problemWith('E-mail', emailSchema, email.trim());
      if (emailProblem) return setError({ field: 'email', text: emailProblem });
    }
    if (same && warned !== name.trim().toLowerCase()) {
      setWarned(name.trim().toLowerCase());
      return setError({ field: 'name', text: `There is already a client named ${same.name}${same.archived ? ' (archived)' : ''}. Save again to ${trainee ? 'keep this name' : 'add another'} anyway.` });
    }
    const input: { id?: string; name: string; email: string | null; notes: string | null } = { name: name.trim(), email: email.trim() || null, notes: notes.trim() || null };
    if (trainee) input.id = trainee.id;
    const r = await saveTrainee(input);
    if (r.ok) onClose();
    else setError({ field: 'form', text: r.message });
  };

  return (
    <Modal title={trainee ? `Edit ${trainee.name}` : 'Add client'} onClose={onClose}>
      <form onSubmit={submit} className="form" noValidate>
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => (setName(e.target.value), setError(null))} aria-invalid={error?.field === 'name' ? true : undefined} aria-describedby={error?.field === 'name' ? 'trainee-error' : undefined} />
        </label>
        {error?.field === 'name' && (
          <p className={`field-error${warned && same ? ' field-warning' : ''}`} id="trainee-error" role="alert">
            {error.text}
          </p>
        )}
        <label className="field">
          <span>Email</span>
          <input type="email" value={email} onChange={(e) => (setEmail(e.target.value), setError(null))} aria-invalid={error?.field === 'email' ? true : undefined} aria-describedby={error?.field === 'email' ? 'trainee-email-error' : undefined} />
        </label>
        {error?.field === 'email' && (
          <p className="field-error" id="trainee-email-error" role="alert">
            {error.text}
          </p>
        )}
        <label className="field">
          <span>Notes</span>
          <textarea rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} />
        </label>
        {error?.field === 'form' && (
          <p className="field-error" role="alert">
            {error.text}
          </p>
        )}
        <ModalActions onClose={onClose} submit={warned && same ? (trainee ? 'Save anyway' : 'Add anyway') : trainee ? 'Save' : 'Add client'} />
      </form>
    </Modal>
  );
}
