// The screen a URL's hash names, and back: `#/programs/<id>/week/3`, `#/library`. Back, Forward
// and a reload keep the coach where they were.

export type View =
  | { name: 'clients' }
  | { name: 'programs' }
  | { name: 'program'; id: string; week?: number; overview?: boolean }
  | { name: 'activity'; traineeId: string | null }
  | { name: 'progress'; traineeId: string | null }
  | { name: 'library' }
  | { name: 'settings' };

export function viewToHash(view: View): string {
  switch (view.name) {
    case 'program':
      return `#/programs/${encodeURIComponent(view.id)}${view.overview ? '/overview' : view.week && view.week > 1 ? `/week/${view.week}` : ''}`;
    case 'activity':
      return view.traineeId ? `#/activity/${encodeURIComponent(view.traineeId)}` : '#/activity';
    case 'progress':
      return view.traineeId ? `#/progress/${encodeURIComponent(view.traineeId)}` : '#/progress';
    default:
      return `#/${view.name}`;
  }
}

/** The view of a hash; an unknown one is the client list. */
export function hashToView(hash: string): View {
  const parts = hash.replace(/^#\/?/, '').split('/').map((p) => decodeURIComponent(p));
  switch (parts[0]) {
    case 'programs': {
      if (!parts[1]) return { name: 'programs' };
      if (parts[2] === 'overview') return { name: 'program', id: parts[1], overview: true };
      const week = parts[2] === 'week' ? Number(parts[3]) : 1;
      return { name: 'program', id: parts[1], week: Number.isInteger(week) && week >= 1 ? week : 1 };
    }
    case 'activity':
      return { name: 'activity', traineeId: parts[1] || null };
    case 'progress':
      return { name: 'progress', traineeId: parts[1] || null };
    case 'library':
      return { name: 'library' };
    case 'settings':
      return { name: 'settings' };
    default:
      return { name: 'clients' };
  }
}
