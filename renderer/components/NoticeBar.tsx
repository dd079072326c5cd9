import { useActions, useApp } from '../store/context.tsx';

/**
 * One line of news: a command that failed (stays until dismissed, or until a command succeeds)
 * or one that did something off-screen; after a destructive edit it offers Undo.
 */
export function NoticeBar() {
  const notice = useApp((s) => s.notice);
  const { dismissNotice, undo } = useActions();
  if (!notice) return null;
  return (
    <div className={`notice notice-${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
      <span>{notice.text}</span>
      {notice.undo && (
        <button
          type="button"
          className="link"
          onClick={() => {
            dismissNotice();
            void undo();
          }}
        >
          Undo
        </button>
      )}
      <button type="button" className="icon" aria-label="Dismiss message" onClick={dismissNotice}>
        ×
      </button>
    </div>
  );
}
