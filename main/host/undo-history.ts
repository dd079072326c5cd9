import { checkFields, type Entity, type Fields } from '../../protocol/index.ts';
import type { Edit, LocalStore } from '../../sync/local-store.ts';

/** A row as one step found it and left it (null: absent or deleted). */
interface RowChange {
  entity: Entity;
  id: string;
  before: Fields | null;
  after: Fields | null;
}

interface Step {
  label: string;
  rows: RowChange[];
}

const LIMIT = 200;

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The edits that bring a row from how it is now to `target`: a put to bring it back, a delete
 * to take it away, a patch of just the fields that differ. Only what this step changed is
 * touched, so an undo never overwrites another device's change to other fields.
 */
function restore(store: LocalStore, change: RowChange, target: Fields | null, from: Fields | null): Edit[] {
  const current = store.getRow(change.entity, change.id)?.fields ?? null;
  if (target === null) return current === null ? [] : [{ entity: change.entity, id: change.id, action: 'delete' }];
  if (current === null) return [{ entity: change.entity, id: change.id, action: 'put', fields: { ...target } }];
  const fields: Fields = {};
  const keys = new Set([...Object.keys(target), ...Object.keys(from ?? {})]);
  for (const key of keys) {
    if (from && same(from[key], target[key])) continue; // this step did not change it
    if (!same(current[key], target[key])) fields[key] = target[key] ?? null;
  }
  if (Object.keys(fields).length === 0) return [];
  // A field the step added that cannot be cleared with null (a setting): put the row back whole.
  if (!checkFields(change.entity, 'patch', fields).ok) {
    const row: Fields = { ...current, ...target };
    for (const key of Object.keys(fields)) if (target[key] === undefined) delete row[key];
    return [{ entity: change.entity, id: change.id, action: 'put', fields: row }];
  }
  return [{ entity: change.entity, id: change.id, action: 'patch', fields }];
}

/**
 * Undo and redo of the coach's edits. A step remembers each row it touched as it was before and
 * after; undoing it writes new edits that put those rows back (so an undo goes through the
 * outbox, syncs and resolves like any other edit), and redoing writes the after-states again.
 */
export class UndoHistory {
  private done: Step[] = [];
  private undone: Step[] = [];

  constructor(private readonly store: () => LocalStore) {}

  /** The rows `edits` will touch, as they are now: call before queuing them, then `record`. */
  snapshot(edits: Edit[]): RowChange[] {
    const seen = new Set<string>();
    const rows: RowChange[] = [];
    for (const e of edits) {
      const k = `${e.entity}/${e.id}`;
      if (seen.has(k)) continue;
      seen.add(k);
      rows.push({ entity: e.entity, id: e.id, before: this.store().getRow(e.entity, e.id)?.fields ?? null, after: null });
    }
    return rows;
  }

  record(label: string, rows: RowChange[]): void {
    for (const r of rows) r.after = this.store().getRow(r.entity, r.id)?.fields ?? null;
    const changed = rows.filter((r) => !same(r.before, r.after));
    if (changed.length === 0) return;
    this.done.push({ label, rows: changed });
    if (this.done.length > LIMIT) this.done.shift();
    this.undone = [];
  }

  /**
   * The edits that undo the last step (or redo the last undone one), with its label; the caller
   * queues them, then calls `commit`, which moves the step to the other stack.
   */
  plan(which: 'undo' | 'redo'): { label: string; edits: Edit[]; commit(): void } | null {
    const [from, to] = which === 'undo' ? [this.done, this.undone] : [this.undone, this.done];
    const step = from.at(-1);
    if (!step) return null;
    // Undo goes back in reverse (children were created after their parents, deleted before them).
    const edits =
      which === 'undo'
        ? [...step.rows].reverse().flatMap((r) => restore(this.store(), r, r.before, r.after))
        : step.rows.flatMap((r) => restore(this.store(), r, r.after, r.before));
    return { label: step.label, edits, commit: () => void to.push(from.pop()!) };
  }

  state(): { undo: string | null; redo: string | null } {
    return { undo: this.done.at(-1)?.label ?? null, redo: this.undone.at(-1)?.label ?? null };
  }

  clear(): void {
    this.done = [];
    this.undone = [];
  }
}
