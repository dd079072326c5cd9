import type { Op } from '../../protocol/index.ts';
import type { JournalEntry, LocalStore } from '../../sync/local-store.ts';
import { DAY_NAMES } from './queries.ts';

/** What each entity is called in the coach's words. */
export const LABELS: Record<Op['entity'], string> = {
  trainee: 'client',
  exercise: 'exercise',
  program: 'program',
  workout: 'workout',
  prescription: 'prescription',
  max: 'training max',
  session: 'session',
  set_log: 'logged set',
  settings: 'settings',
};
const LABEL: Record<string, string> = LABELS;

/** "1 row" / "3 rows". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Week 1 · Mon". */
export function slotName(week: unknown, day: unknown): string {
  return `Week ${String(week ?? '?')} · ${DAY_NAMES[Number(day) - 1] ?? '?'}`;
}

function field(store: LocalStore, entity: Op['entity'], id: unknown, name: string): string | undefined {
  if (typeof id !== 'string') return undefined;
  const value = (store.getRow(entity, id) ?? store.getReplicaRow(entity, id))?.fields[name];
  return value === undefined || value === null ? undefined : String(value);
}

function dayName(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const d = new Date(`${date}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? undefined : DAY_NAMES[(d.getUTCDay() + 6) % 7];
}

/** "Back squat in Week 1 · Mon", "Ben Okafor", "Ben's session on Tue": what a row is, in words. */
export function describeRow(store: LocalStore, entity: Op['entity'], id: string, fields: Record<string, unknown> = {}): string {
  // A row being deleted is gone from the view: its last known fields still say what it was.
  const known = () => store.getRow(entity, id)?.fields ?? store.getReplicaRow(entity, id)?.fields;
  const get = (name: string) => fields[name] ?? known()?.[name];
  switch (entity) {
    case 'trainee':
    case 'exercise':
    case 'program':
      return String(get('name') ?? LABEL[entity]);
    case 'workout': {
      const title = get('title');
      return `${slotName(get('week'), get('day'))}${typeof title === 'string' && title.trim() ? ` — ${title.trim()}` : ''}`;
    }
    case 'prescription': {
      const exercise = field(store, 'exercise', get('exerciseId'), 'name') ?? 'a prescription';
      const workoutId = get('workoutId');
      return typeof workoutId === 'string' ? `${exercise} in ${describeRow(store, 'workout', workoutId)}` : exercise;
    }
    case 'max': {
      const exercise = field(store, 'exercise', get('exerciseId'), 'name') ?? 'an exercise';
      const trainee = field(store, 'trainee', get('traineeId'), 'name')?.split(' ')[0];
      return `${get('kind') === 'tm' ? 'training max' : '1RM'} of ${exercise}${trainee ? ` for ${trainee}` : ''}`;
    }
    case 'session': {
      const trainee = field(store, 'trainee', get('traineeId'), 'name')?.split(' ')[0] ?? 'the client';
      const day = dayName(get('date') as string | undefined);
      return `${trainee}'s session${day ? ` on ${day}` : ''}`;
    }
    case 'set_log': {
      const sessionId = get('sessionId');
      return typeof sessionId === 'string' ? `a set in ${describeRow(store, 'session', sessionId)}` : 'a logged set';
    }
    default:
      return LABEL[entity] ?? entity;
  }
}

export function describeOp(store: LocalStore, op: Op): string {
  const what = describeRow(store, op.entity, op.id, op.fields);
  const verb = op.action === 'delete' ? 'Delete' : op.action === 'put' && !store.getRow(op.entity, op.id)?.version ? 'Add' : 'Change';
  return `${verb} ${LABEL[op.entity] ?? op.entity}: ${what}`;
}

/** What the server decided about one of this coach's edits, in plain words. */
export function describeJournal(store: LocalStore, entry: JournalEntry): string {
  const fields = entry.dropped.length ? entry.dropped.join(', ') : 'it';
  if (entry.entity === 'set_log' || entry.entity === 'session') {
    const sessionId = entry.entity === 'set_log' ? (entry.fields.sessionId ?? store.getRow('set_log', entry.rowId)?.fields.sessionId) : entry.rowId;
    const session = typeof sessionId === 'string' ? store.getRow('session', sessionId) : undefined;
    const who = field(store, 'trainee', session?.fields.traineeId, 'name')?.split(' ')[0] ?? 'The client';
    const day = dayName(session?.fields.date as string | undefined);
    if (entry.reason === 'trainee-log-wins') {
      return `${who}'s logged ${entry.entity === 'set_log' ? 'sets' : 'session'}${day ? ` on ${day}` : ''} were kept; your change to ${entry.dropped.length ? fields : 'them'} was not applied.`;
    }
  }
  const what = describeRow(store, entry.entity, entry.rowId, entry.fields);
  switch (entry.reason) {
    case 'coach-edit-wins':
      return `Your edit to ${what} stayed: a client's change to ${fields} was not applied.`;
    case 'last-write-wins':
      return `A later edit from another device was kept for ${what}; your change to ${fields} was not applied.`;
    case 'deleted':
      return `${what} had been deleted on another device; your change was not applied.`;
    case 'trainee-log-wins':
      return `The client's logged values for ${what} were kept; your change to ${fields} was not applied.`;
    default:
      return entry.message || `${what}: ${entry.status} (${entry.reason}).`;
  }
}
