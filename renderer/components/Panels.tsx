import { useState } from 'react';
import type { FailedEdit } from '../../preload/api.ts';
import { formatAge, formatClock } from '../lib/format.ts';
import { useNow } from '../lib/use-now.ts';
import { useActions, useApp } from '../store/context.tsx';
import { ConfirmDialog } from './Modal.tsx';

function PanelFrame(props: { title: string; children: React.ReactNode }) {
  const { closePanel } = useActions();
  return (
    <aside
      className="panel"
      aria-label={props.title}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          closePanel();
        }
      }}
    >
      <header className="panel-header">
        <h2>{props.title}</h2>
        <button type="button" className="icon" aria-label={`Close ${props.title.toLowerCase()}`} onClick={closePanel}>
          ×
        </button>
      </header>
      <div className="panel-body">{props.children}</div>
    </aside>
  );
}

/** The edits waiting to reach the server, and the ones it refused (retry or discard). */
export function OutboxPanel() {
  const sync = useApp((s) => s.sync);
  const { retryEdit, discardEdit } = useActions();
  const now = useNow(15_000);
  const [discarding, setDiscarding] = useState<FailedEdit | null>(null);

  return (
    <PanelFrame title="Outbox">
      <section aria-label="Failed edits">
        <h3>
          Failed <span className="count">{sync.failed.length}</span>
        </h3>
        {sync.failed.length === 0 ? (
          <p className="empty">Nothing failed.</p>
        ) : (
          <ul className="edit-list">
            {sync.failed.map((edit) => (
              <li key={edit.key} className="edit failed" aria-label={edit.summary}>
                <div className="edit-summary">{edit.summary}</div>
                <div className="edit-reason">{edit.message || edit.reason}</div>
                <div className="edit-meta">
                  <span>failed {formatAge(edit.failedAt, now)}</span>
                  <span className="edit-buttons">
                    <button type="button" onClick={() => void retryEdit(edit.key)} aria-label={`Retry: ${edit.summary}`}>
                      Retry
                    </button>
                    <button type="button" className="danger-quiet" onClick={() => setDiscarding(edit)} aria-label={`Discard: ${edit.summary}`}>
                      Discard
                    </button>
                  </span>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label="Pending edits">
        <h3>
          Waiting to sync <span className="count">{sync.pendingCount}</span>
        </h3>
        {sync.pending.length === 0 ? (
          <p className="empty">Every edit has reached the server.</p>
        ) : (
          <ul className="edit-list">
            {sync.pending.map((edit) => (
              <li key={edit.key} className="edit">
                <div className="edit-summary">{edit.summary}</div>
                <div className="edit-meta">
                  <span>{formatAge(edit.at, now)}</span>
                </div>
              </li>
            ))}
          </ul>
        )}
        {sync.pendingCount > sync.pending.length && <p className="hint">and {sync.pendingCount - sync.pending.length} more</p>}
      </section>
      {discarding && (
        <ConfirmDialog
          title="Discard this edit?"
          message={
            <p>
              “{discarding.summary}” will not be sent to the server and is removed from this computer. This cannot be undone.
            </p>
          }
          confirmLabel="Discard edit"
          danger
          onCancel={() => setDiscarding(null)}
          onConfirm={() => {
            const key = discarding.key;
            setDiscarding(null);
            void discardEdit(key);
          }}
        />
      )}
    </PanelFrame>
  );
}

/** What the server decided when an edit met another one, in plain words. */
export function JournalPanel() {
  const journal = useApp((s) => s.sync.journal);
  const now = useNow(30_000);
  return (
    <PanelFrame title="Resolution journal">
      {journal.length === 0 ? (
        <p className="empty">No conflicts so far. When the server keeps someone else’s change over yours, it is explained here.</p>
      ) : (
        <ul className="edit-list">
          {[...journal].sort((a, b) => b.id - a.id).map((item) => (
            <li key={item.id} className={`edit journal-${item.status}`}>
              <div className="edit-summary">{item.text}</div>
              <div className="edit-meta">
                <span>
                  {formatClock(item.at)} · {formatAge(item.at, now)}
                </span>
                <span className={`chip chip-${item.status}`}>{item.status === 'partial' ? 'partly applied' : 'not applied'}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </PanelFrame>
  );
}
