// A client's app access on the Clients screen: the status line, the invite dialog (link, QR code,
// expiry, what the client does) and the revoke confirmation. All of it asks the sync server
// through the host, so each says plainly when there is no connection.
import { useEffect, useRef, useState } from 'react';
import type { TraineeInvite } from '../../preload/api.ts';
import { Modal } from '../components/Modal.tsx';
import { formatDateTime, formatLocalDate, formatSeen, plural } from '../lib/format.ts';
import { qrSvgDataUrl } from '../lib/qr.ts';
import type { AccessState } from '../store/app-store.ts';
import { useActions } from '../store/context.tsx';

export const QR_NAME = 'QR code for the invite link';

/** A client's app access in words, as the roster shows it. */
export function accessText(access: AccessState, traineeId: string, now: number): { text: string; tone: 'muted' | 'ok' | 'invited' | 'warn' } {
  if (access.status === 'unknown') return { text: 'Checking…', tone: 'muted' };
  if (access.status === 'offline') return { text: 'Access status needs a connection', tone: 'muted' };
  if (access.status === 'error') return { text: 'Access status unavailable', tone: 'warn' };
  const entry = access.entries[traineeId];
  if (!entry || (entry.devices === 0 && !entry.invited)) return { text: 'Not invited', tone: 'muted' };
  if (entry.devices === 0) return { text: `Invited, not joined (expires ${formatLocalDate(entry.invited!.expiresAt, new Date(now))})`, tone: 'invited' };
  const seen = entry.lastSeenAt ? `last seen ${formatSeen(entry.lastSeenAt, now)}` : 'not seen yet';
  return { text: `Joined on ${plural(entry.devices, 'device')}, ${seen}${entry.invited ? '; a new invite is pending' : ''}`, tone: 'ok' };
}

/** Whether there is anything to revoke: a device or a pending invite. */
export function hasAccess(access: AccessState, traineeId: string): boolean {
  const entry = access.status === 'loaded' ? access.entries[traineeId] : undefined;
  return !!entry && (entry.devices > 0 || !!entry.invited);
}

function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] ?? name;
}

type InvitePhase = { phase: 'creating' } | { phase: 'ready'; invite: TraineeInvite } | { phase: 'failed'; message: string };

/** Creates an invite as it opens and shows its link, QR code and expiry. */
export function InviteDialog({ trainee, onClose }: { trainee: { id: string; name: string }; onClose: () => void }) {
  const { inviteTrainee } = useActions();
  const [state, setState] = useState<InvitePhase>({ phase: 'creating' });
  const [copied, setCopied] = useState<'copied' | 'failed' | null>(null);
  const attempt = useRef(0);
  const linkRef = useRef<HTMLElement>(null);
  const copyRef = useRef<HTMLButtonElement>(null);
  const retryRef = useRef<HTMLButtonElement>(null);
  const first = firstName(trainee.name);

  const create = async () => {
    const n = ++attempt.current;
    setState({ phase: 'creating' });
    setCopied(null);
    const r = await inviteTrainee(trainee.id);
    if (n !== attempt.current) return;
    setState(r.ok ? { phase: 'ready', invite: r.value } : { phase: 'failed', message: r.message });
  };

  useEffect(() => {
    void create();
    return () => void attempt.current++;
  }, []);

  // Focus follows the dialog's state: Copy link once there is a link, Try again after a failure.
  useEffect(() => {
    if (state.phase === 'ready') copyRef.current?.focus();
    if (state.phase === 'failed') retryRef.current?.focus();
  }, [state.phase]);

  const selectLink = () => {
    const link = linkRef.current;
    const selection = window.getSelection();
    if (!link || !selection) return;
    selection.selectAllChildren(link);
  };

  const copy = async (url: string) => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
      await navigator.clipboard.writeText(url);
      setCopied('copied');
    } catch {
      selectLink();
      setCopied('failed');
    }
  };

  return (
    <Modal title={`Invite ${trainee.name}`} onClose={onClose} className="invite-dialog">
      {state.phase === 'creating' && (
        <p className="muted" role="status">
          Creating an invite link…
        </p>
      )}
      {state.phase === 'failed' && (
        <p className="field-error invite-error" role="alert">
          Could not create an invite: {state.message}
        </p>
      )}
      {state.phase === 'ready' && (
        <div className="invite">
          <p className="invite-intro">Send {first} this link, or let them scan the code with their phone’s camera.</p>
          <img className="invite-qr" src={qrSvgDataUrl(state.invite.url)} alt={QR_NAME} width={168} height={168} />
          <div className="invite-steps">
            <h3>What {first} does</h3>
            <ol>
              <li>Opens the link on their phone (or scans the code).</li>
              <li>The CoachDesk app opens in the phone’s browser and signs that phone in: no account, no password.</li>
              <li>Their program is there; they log workouts in it, even offline, and you see them here.</li>
            </ol>
            <p className="hint">One link, one phone: for another device, or once it has expired, invite again. Revoke access signs their devices out.</p>
          </div>
          <div className="invite-copy">
            <code className="invite-link" ref={linkRef} data-testid="invite-link">
              {state.invite.url}
            </code>
            <button type="button" ref={copyRef} onClick={() => void copy(state.invite.url)}>
              Copy link
            </button>
          </div>
          <p className="invite-expiry">
            <span>Valid until {formatDateTime(state.invite.expiresAt)}; works once.</span>
            <span role="status" className={copied === 'failed' ? 'warn-text' : 'ok-text'}>
              {copied === 'copied' ? 'Link copied.' : copied === 'failed' ? 'Could not copy here: the link is selected, press Ctrl+C to copy it.' : ''}
            </span>
          </p>
        </div>
      )}
      <div className="modal-actions">
        {state.phase === 'failed' && (
          <button type="button" ref={retryRef} onClick={() => void create()}>
            Try again
          </button>
        )}
        <button type="button" className={state.phase === 'ready' ? 'primary' : undefined} onClick={onClose}>
          {state.phase === 'ready' ? 'Done' : state.phase === 'creating' ? 'Cancel' : 'Close'}
        </button>
      </div>
    </Modal>
  );
}

/** "Revoke access for Ben?", naming what happens; errors stay in the dialog. */
export function RevokeDialog({ trainee, onClose }: { trainee: { id: string; name: string }; onClose: () => void }) {
  const { revokeTraineeAccess, notify } = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const revoke = async () => {
    setBusy(true);
    setError(null);
    const r = await revokeTraineeAccess(trainee.id);
    setBusy(false);
    if (!r.ok) return setError(r.message);
    const { revokedTokens, cancelledInvites } = r.value;
    const what = [revokedTokens ? `${plural(revokedTokens, 'device')} signed out` : '', cancelledInvites ? `${plural(cancelledInvites, 'invite')} cancelled` : ''].filter(Boolean).join(', ');
    notify(`Revoked ${trainee.name}’s access${what ? `: ${what}` : ''}.`);
    onClose();
  };

  return (
    <Modal title={`Revoke access for ${trainee.name}?`} onClose={onClose} role="alertdialog" initialFocus="[data-cancel]">
      <div className="modal-body">
        <p>
          {trainee.name}’s devices are signed out at once, and an invite link not yet used stops working.
        </p>
        <p className="muted">Nothing is deleted: their programs and logs stay, and you can invite them again.</p>
      </div>
      {error && (
        <p className="field-error invite-error" role="alert">
          Could not revoke access: {error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" data-cancel onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void revoke()}>
          Revoke access
        </button>
      </div>
    </Modal>
  );
}
