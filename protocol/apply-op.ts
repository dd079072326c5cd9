import { checkFields, type Fields } from './entities.ts';
import { describeIssues, opEnvelopePasses, opSchema, type Action, type Op } from './messages.ts';

/** The part of a row an op acts on. */
export interface RowState {
  deleted: boolean;
  fields: Fields;
}

/**
 * Applies one op to a row, purely. The client uses it to lay pending ops over its replica
 * (the optimistic view); the server uses it to write the fields its resolver accepted.
 * A patch or delete of a row that does not exist leaves it absent.
 */
export function applyOp(current: RowState | undefined, action: Action, fields: Fields): RowState | undefined {
  switch (action) {
    case 'put':
      return { deleted: false, fields: { ...fields } };
    case 'patch':
      if (!current || current.deleted) return current;
      return { deleted: false, fields: { ...current.fields, ...fields } };
    case 'delete':
      return current ? { deleted: true, fields: {} } : undefined;
  }
}

export type OpCheck = { ok: true; op: Op } | { ok: false; message: string };

/** Validates a whole op (envelope and entity fields). The message names what is wrong. */
export function checkOp(value: unknown): OpCheck {
  let op: Op;
  if (opEnvelopePasses(value)) op = value;
  else {
    const parsed = opSchema.safeParse(value, { reportInput: true });
    if (!parsed.success) return { ok: false, message: `op ${describeIssues(parsed.error)}` };
    op = parsed.data as Op;
  }
  const fields = checkFields(op.entity, op.action, op.fields);
  if (!fields.ok) return fields;
  return { ok: true, op: { ...op, fields: fields.fields } };
}
