import type { View } from '../store/app-store.ts';
import { useActions, useApp } from '../store/context.tsx';

const ITEMS: Array<{ label: string; view: View; matches: View['name'][] }> = [
  { label: 'Clients', view: { name: 'clients' }, matches: ['clients'] },
  { label: 'Programs', view: { name: 'programs' }, matches: ['programs', 'program'] },
  { label: 'Activity', view: { name: 'activity', traineeId: null }, matches: ['activity', 'progress'] },
  { label: 'Library', view: { name: 'library' }, matches: ['library'] },
  { label: 'Settings', view: { name: 'settings' }, matches: ['settings'] },
];

export function Sidebar() {
  const current = useApp((s) => s.view.name);
  const activityTrainee = useApp((s) => s.activity.traineeId);
  const displayName = useApp((s) => s.settings?.displayName ?? null);
  const { navigate } = useActions();
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          CD
        </span>
        <span className="brand-name">CoachDesk</span>
      </div>
      <ul>
        {ITEMS.map((item) => {
          const active = item.matches.includes(current);
          return (
            <li key={item.label}>
              <button
                type="button"
                className={`nav-item${active ? ' active' : ''}`}
                aria-current={active ? 'page' : undefined}
                // Activity keeps the trainee last looked at.
                onClick={() => navigate(item.view.name === 'activity' ? { name: 'activity', traineeId: activityTrainee } : item.view)}
              >
                <NavIcon name={item.label} />
                {item.label}
              </button>
            </li>
          );
        })}
      </ul>
      <div className="sidebar-foot">
        {displayName && <div className="muted">{displayName}</div>}
        <div className="muted small">
          Press <kbd>?</kbd> for shortcuts
        </div>
      </div>
    </nav>
  );
}

/** Small line icons drawn in SVG (no icon font, no network). */
function NavIcon({ name }: { name: string }) {
  const common = { width: 16, height: 16, viewBox: '0 0 16 16', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, 'aria-hidden': true } as const;
  switch (name) {
    case 'Clients':
      return (
        <svg {...common}>
          <circle cx="6" cy="5.5" r="2.5" />
          <path d="M1.5 13.5c.6-2.4 2.3-3.5 4.5-3.5s3.9 1.1 4.5 3.5" />
          <path d="M10.5 3.2a2.4 2.4 0 0 1 0 4.6M12 10.3c1.3.5 2.1 1.6 2.5 3.2" />
        </svg>
      );
    case 'Programs':
      return (
        <svg {...common}>
          <rect x="2" y="2.5" width="12" height="11" rx="1.5" />
          <path d="M2 6h12M6 6v7.5M10 6v7.5" />
        </svg>
      );
    case 'Activity':
      return (
        <svg {...common}>
          <path d="M1.5 8.5h3l2-5 3 9 2-4h3" />
        </svg>
      );
    case 'Library':
      return (
        <svg {...common}>
          <path d="M2.5 2.5h3v11h-3zM6.5 2.5h3v11h-3zM10.5 3l2.8-.6 1.7 10.8-2.8.5z" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="2.2" />
          <path d="M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4" />
        </svg>
      );
  }
}
