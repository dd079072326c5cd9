import type { Connection, SyncStatus } from '../../preload/api.ts';
import { formatClock, plural } from '../lib/format.ts';
import { useActions, useApp } from '../store/context.tsx';

export const CONNECTION_LABEL: Record<Connection, string> = {
  offline: 'Offline',
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  synced: 'Synced',
};

/** The words the status bar shows, in order; exported for tests and screen readers alike. */
export function describeSync(sync: SyncStatus): { connection: string; pending: string; lastSync: string | null; failed: string | null } {
  return {
    connection: CONNECTION_LABEL[sync.connection],
    pending: sync.pendingCount === 0 ? 'no pending edits' : `${plural(sync.pendingCount, 'pending edit')}`,
    lastSync: sync.lastSyncAt ? `last synced ${formatClock(sync.lastSyncAt)}` : null,
    failed: sync.failed.length > 0 ? `${sync.failed.length} failed` : null,
  };
}

/** Always at the bottom: the connection, what is waiting, when the last sync was, and the panels. */
export function StatusBar() {
  const sync = useApp((s) => s.sync);
  const panel = useApp((s) => s.panel);
  const host = useApp((s) => s.host);
  const signedIn = useApp((s) => s.session?.signedIn ?? false);
  const update = useApp((s) => s.update);
  const { togglePanel, syncNow, restartToUpdate } = useActions();
  const text = describeSync(sync);
  // Without its host the page knows nothing current: it must not say "Synced".
  const connection = host.connected ? text.connection : 'Not connected to CoachDesk';
  return (
    <footer className="statusbar" aria-label="Sync status">
      <div className="statusbar-state" role="status" aria-live="polite">
        <span className={`conn-dot conn-${host.connected ? sync.connection : 'lost'}`} aria-hidden="true" />
        <span className="conn-label" data-testid="connection">
          {connection}
        </span>
        {!host.connected && <span className="status-error"> — {host.message}</span>}
        {host.connected && sync.connection === 'offline' && <span className="muted"> — edits are kept on this computer</span>}
        <Sep />
        <span data-testid="pending">{text.pending}</span>
        {text.lastSync && (
          <>
            <Sep />
            <span data-testid="last-sync">{text.lastSync}</span>
          </>
        )}
        {sync.error && (
          <>
            <Sep />
            <span className="status-error" title={sync.error.code}>
              {sync.error.message}
            </span>
          </>
        )}
      </div>
      <div className="statusbar-actions">
        {update.status === 'downloading' && (
          <span className="muted" data-testid="update-progress">
            Downloading CoachDesk {update.version}: {update.percent} %
          </span>
        )}
        {update.status === 'ready' && (
          <button type="button" className="statusbar-toggle" onClick={() => void restartToUpdate()} title={`CoachDesk ${update.version} is downloaded. Unsent edits stay on this computer and are sent after the restart.`}>
            Restart to update
          </button>
        )}
        {signedIn && host.connected && sync.connection !== 'synced' && (
          <button type="button" className="statusbar-toggle" onClick={() => void syncNow()} title="Connect to the sync server now instead of waiting for the next try">
            Sync now
          </button>
        )}
        {text.failed && (
          <button type="button" className="link warn" onClick={() => panel !== 'outbox' && togglePanel('outbox')}>
            {text.failed}
          </button>
        )}
        <button type="button" className="statusbar-toggle" aria-pressed={panel === 'outbox'} aria-label={`Outbox, ${sync.pendingCount} pending, ${sync.failed.length} failed`} onClick={() => togglePanel('outbox')}>
          Outbox
          {sync.pendingCount + sync.failed.length > 0 && <span className={`badge${sync.failed.length ? ' badge-warn' : ''}`}>{sync.pendingCount + sync.failed.length}</span>}
        </button>
        <button type="button" className="statusbar-toggle" aria-pressed={panel === 'journal'} aria-label={`Resolution journal, ${sync.journal.length} items`} onClick={() => togglePanel('journal')}>
          Journal
          {sync.journal.length > 0 && <span className="badge">{sync.journal.length}</span>}
        </button>
      </div>
    </footer>
  );
}

function Sep() {
  return (
    <span className="sep" aria-hidden="true">
      {' · '}
    </span>
  );
}
