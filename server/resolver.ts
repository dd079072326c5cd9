import { ENTITY_CLASS, applyOp, type ConflictClass, type Fields, type Op, type Reason, type Role } from '../protocol/index.ts';

/** Who wrote a field last, when (server version and clamped time) and from which install. */
export interface FieldWrite {
  v: number;
  u: string;
  c: string;
  r: Role;
  t: number;
}

/** Per-field write metadata of one row; `$deleted` records the delete of a tombstone. */
export type RowMeta = Record<string, FieldWrite>;
export const DELETE_META = '$deleted';

export interface StoredRow {
  version: number;
  deleted: boolean;
  fields: Fields;
  meta: RowMeta;
}

export interface Writer {
  userId: string;
  role: Role;
  clientId: string;
}

export type Resolution =
  | {
      status: 'applied' | 'partial';
      dropped: string[];
      reason?: Reason;
      next: { deleted: boolean; fields: Fields; meta: RowMeta };
    }
  | { status: 'superseded'; dropped: string[]; reason: Reason }
  | { status: 'rejected'; reason: Reason; message: string };

/**
 * Decides whether an incoming write beats the earlier write it conflicts with.
 * Returns the reason the earlier write was kept, or undefined when the incoming one wins.
 */
export function earlierWriteKept(cls: ConflictClass, incoming: { r: Role; t: number }, earlier: FieldWrite): Reason | undefined {
  if (cls === 'program' && incoming.r !== earlier.r) return incoming.r === 'coach' ? undefined : 'coach-edit-wins';
  if (cls === 'session' && incoming.r !== earlier.r) return incoming.r === 'trainee' ? undefined : 'trainee-log-wins';
  return incoming.t >= earlier.t ? undefined : 'last-write-wins';
}

/** A field write conflicts when another install wrote it after the version the writer saw. */
function conflicts(write: FieldWrite | undefined, op: Op, writer: Writer): write is FieldWrite {
  return write !== undefined && write.v > op.baseVersion && write.c !== writer.clientId;
}

/**
 * A value a trainee logged on a set stays until the trainee changes it (PROTOCOL.md's
 * invariant), even against a coach who saw it before editing.
 */
function traineeLogKept(entity: string, write: FieldWrite | undefined, writer: Writer): Reason | undefined {
  return entity === 'set_log' && write?.r === 'trainee' && writer.role !== 'trainee' ? 'trainee-log-wins' : undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Resolves one validated, in-scope op against the canonical row by the domain rules of its
 * entity's class. Pure: the caller reads the row and writes the outcome.
 * `at` is the op's time already clamped to the server's receive time.
 */
export function resolveOp(existing: StoredRow | undefined, op: Op, writer: Writer, at: number, version: number): Resolution {
  const cls = ENTITY_CLASS[op.entity];
  const stamp: FieldWrite = { v: version, u: writer.userId, c: writer.clientId, r: writer.role, t: at };

  if (!existing) {
    if (op.action !== 'put') return { status: 'rejected', reason: 'unknown_row', message: `no ${op.entity} with id ${op.id}` };
    const meta: RowMeta = {};
    for (const field of Object.keys(op.fields)) meta[field] = stamp;
    return { status: 'applied', dropped: [], next: { deleted: false, fields: { ...op.fields }, meta } };
  }

  if (existing.deleted) {
    if (op.action !== 'put') return { status: 'superseded', dropped: Object.keys(op.fields), reason: 'deleted' };
    // Only a writer who would win against the delete under the row's class brings it back.
    const deletion = existing.meta[DELETE_META];
    if (deletion && earlierWriteKept(cls, stamp, deletion)) {
      return { status: 'superseded', dropped: Object.keys(op.fields), reason: 'deleted' };
    }
    const meta: RowMeta = { ...existing.meta };
    delete meta[DELETE_META];
    for (const field of Object.keys(op.fields)) meta[field] = stamp;
    return { status: 'applied', dropped: [], next: { deleted: false, fields: { ...op.fields }, meta } };
  }

  if (op.action === 'delete') {
    for (const write of Object.values(existing.meta)) {
      if (!conflicts(write, op, writer)) continue;
      const kept = earlierWriteKept(cls, stamp, write);
      if (kept) return { status: 'superseded', dropped: [], reason: kept };
    }
    return { status: 'applied', dropped: [], next: { deleted: true, fields: {}, meta: { ...existing.meta, [DELETE_META]: stamp } } };
  }

  // put or patch: resolve field by field. A put also removes fields it does not carry.
  const touched = op.action === 'put' ? new Set([...Object.keys(existing.fields), ...Object.keys(op.fields)]) : Object.keys(op.fields);
  const accepted: Fields = {};
  const meta: RowMeta = { ...existing.meta };
  const dropped: string[] = [];
  let reason: Reason | undefined;
  let changed = 0;
  for (const field of touched) {
    const value = op.fields[field];
    if (sameValue(value, existing.fields[field])) {
      if (value !== undefined) accepted[field] = value;
      continue;
    }
    const write = existing.meta[field];
    const kept = traineeLogKept(op.entity, write, writer) ?? (conflicts(write, op, writer) ? earlierWriteKept(cls, stamp, write) : undefined);
    if (kept) {
      dropped.push(field);
      reason ??= kept;
      if (existing.fields[field] !== undefined) accepted[field] = existing.fields[field];
      continue;
    }
    changed++;
    meta[field] = stamp;
    if (value !== undefined) accepted[field] = value;
  }
  if (dropped.length > 0 && changed === 0) return { status: 'superseded', dropped, reason: reason! };

  const next = op.action === 'put' ? applyOp(existing, 'put', accepted) : applyOp(existing, 'patch', accepted);
  const resolution: Resolution = { status: dropped.length ? 'partial' : 'applied', dropped, next: { ...next!, meta } };
  if (reason) resolution.reason = reason;
  return resolution;
}

/** Words a coach understands for why (part of) an edit was not applied. */
export function explain(reason: Reason, dropped: string[], entity: string): string {
  const what = dropped.length ? dropped.join(', ') : `this ${entity.replace('_', ' ')}`;
  switch (reason) {
    case 'trainee-log-wins':
      return `The trainee's logged values were kept; your change to ${what} was not applied.`;
    case 'coach-edit-wins':
      return `The coach's edit was kept; your change to ${what} was not applied.`;
    case 'last-write-wins':
      return `A later edit from another device was kept; your change to ${what} was not applied.`;
    case 'deleted':
      return `This ${entity.replace('_', ' ')} had been deleted; your change was not applied.`;
    default:
      return `Your change to ${what} was not applied (${reason}).`;
  }
}
