import { useActions, useApp } from '../store/context.tsx';

/** One line of news: a command that failed (stays until dismissed) or one that did something off-screen. */
export function NoticeBar() {
  const notice = useApp((s) => s.notice);
  const { dismissNotice } = useActions();
  if (!notice) return null;
  return (
    <div className={`notice notice-${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
      <span>{notice.text}</span>
      <button type="button" className="icon" aria-label="Dismiss message" onClick={dismissNotice}>
        ×
      </button>
    </div>
  );
}
