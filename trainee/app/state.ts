// The page's state: what the worker said last (database, sync), the route, and a counter that
// moves whenever the data changed, so views read again.
import { create } from 'zustand';
import type { DbState, RpcClient, SyncSummary } from '../rpc.ts';

export type Route = { name: 'today' } | { name: 'history' } | { name: 'program' } | { name: 'workout'; id: string } | { name: 'join' };

export function parseRoute(path: string): Route {
  if (path === '/join' || path === '/join/') return { name: 'join' };
  if (path.startsWith('/history')) return { name: 'history' };
  if (path.startsWith('/program')) return { name: 'program' };
  const m = /^\/workout\/([0-9a-f-]{36})$/i.exec(path);
  if (m) return { name: 'workout', id: m[1]! };
  return { name: 'today' };
}

export function pathOf(route: Route): string {
  switch (route.name) {
    case 'today':
      return '/';
    case 'workout':
      return `/workout/${route.id}`;
    default:
      return `/${route.name}`;
  }
}

interface AppState {
  rpc: RpcClient | null;
  db: DbState;
  dbMessage: string | null;
  sync: SyncSummary;
  route: Route;
  /** Moves when rows changed: views read again. */
  version: number;
  /** The rest timer: when the last set was logged, and the rest asked for. */
  rest: { startedAt: number; seconds: number | null; label: string } | null;
  navigate(route: Route, replace?: boolean): void;
}

export const useApp = create<AppState>((set) => ({
  rpc: null,
  db: 'opening',
  dbMessage: null,
  sync: { signedIn: false, userId: null, traineeName: null, connection: 'offline', pending: 0, pendingSets: 0, failed: 0, error: null, lastSyncAt: null },
  route: parseRoute(location.pathname),
  version: 0,
  rest: null,
  navigate(route, replace = false) {
    const path = pathOf(route);
    if (replace) history.replaceState(null, '', path);
    else if (location.pathname !== path) history.pushState(null, '', path);
    set({ route });
    window.scrollTo(0, 0);
  },
}));

/** The phone's local date, YYYY-MM-DD: what "today" is for the trainee. */
export function localToday(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}
