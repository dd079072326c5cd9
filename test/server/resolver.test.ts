// Table-driven tests of the pure domain rules (server/resolver.ts resolveOp).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Action, Entity, Fields, Op, Role } from '../../protocol/index.ts';
import { DELETE_META, resolveOp, type FieldWrite, type Resolution, type RowMeta, type StoredRow, type Writer } from '../../server/resolver.ts';

const T0 = Date.parse('2026-11-24T14:00:00.000Z');
const EARLIER = T0 - 60_000;
const LATER = T0 + 60_000;
const NEXT_VERSION = 6;

const COACH_ID = '00000000-0000-4000-8000-00000000c0a1';
const TRAINEE_ID = '00000000-0000-4000-8000-0000000071a1';

/** Two installs per user, so "same user, other install" can be told apart from "same install". */
const WRITERS: Record<Role, Writer> = {
  coach: { userId: COACH_ID, role: 'coach', clientId: 'coach-desk' },
  trainee: { userId: TRAINEE_ID, role: 'trainee', clientId: 'trainee-phone' },
};
const OTHER_INSTALL: Record<Role, Writer> = {
  coach: { userId: COACH_ID, role: 'coach', clientId: 'coach-laptop' },
  trainee: { userId: TRAINEE_ID, role: 'trainee', clientId: 'trainee-tablet' },
};
const other = (role: Role): Role => (role === 'coach' ? 'trainee' : 'coach');

function write(w: Writer, v: number, t: number): FieldWrite {
  return { v, u: w.userId, c: w.clientId, r: w.role, t };
}

/**
 * Per entity: a complete row, and two fields to change: `f1` is the field the "earlier writer"
 * wrote at version 5 (time T0), `f2` was last written at version 2 (never conflicts here).
 */
const SPECS = {
  prescription: {
    fields: {
      workoutId: '11111111-1111-4111-8111-111111111111',
      exerciseId: '22222222-2222-4222-8222-222222222222',
      position: 1,
      sets: 3,
      reps: '5',
      notes: 'old notes',
    },
    f1: ['sets', 5],
    f2: ['notes', 'new notes'],
  },
  max: {
    fields: {
      traineeId: TRAINEE_ID,
      exerciseId: '22222222-2222-4222-8222-222222222222',
      kind: '1rm',
      value: 140,
      unit: 'kg',
      date: '2026-11-20',
      source: 'entered',
      notes: 'tested',
    },
    f1: ['value', 145],
    f2: ['notes', 'retested'],
  },
  session: {
    fields: { traineeId: TRAINEE_ID, date: '2026-11-24', status: 'in_progress', notes: 'felt ok' },
    f1: ['status', 'completed'],
    f2: ['notes', 'felt great'],
  },
  set_log: {
    fields: {
      sessionId: '33333333-3333-4333-8333-333333333333',
      exerciseId: '22222222-2222-4222-8222-222222222222',
      setIndex: 0,
      reps: 5,
      load: 100,
      done: true,
      note: 'easy',
    },
    f1: ['reps', 4],
    f2: ['load', 90],
  },
  settings: {
    fields: { units: 'kg', weekStartsOn: 1 },
    f1: ['units', 'lb'],
    f2: ['weekStartsOn', 0],
  },
} satisfies Partial<Record<Entity, { fields: Fields; f1: [string, unknown]; f2: [string, unknown] }>>;
type SpecEntity = keyof typeof SPECS;

const SETUP: Writer = { userId: 'setup-user', role: 'coach', clientId: 'setup-install' };

/** The row: every field written at v2 by a setup install, then f1 written at v5 by `earlier`. */
function existingRow(entity: SpecEntity, earlier: Writer, earlierAt = T0): StoredRow {
  const spec = SPECS[entity];
  const meta: RowMeta = {};
  for (const field of Object.keys(spec.fields)) meta[field] = write(SETUP, 2, T0 - 3_600_000);
  meta[spec.f1[0]] = write(earlier, 5, earlierAt);
  return { version: 5, deleted: false, fields: { ...spec.fields }, meta };
}

function makeOp(entity: Entity, action: Action, fields: Fields, baseVersion: number): Op {
  return {
    key: `key-${entity}-${action}-${baseVersion}`,
    seq: 1,
    at: new Date(T0).toISOString(),
    entity,
    id: entity === 'settings' ? TRAINEE_ID : '44444444-4444-4444-8444-444444444444',
    action,
    fields,
    baseVersion,
  };
}

type TableAction = 'put' | 'patch' | 'patch-f1' | 'delete';

/** The op's fields for an action: a put carries the whole row with f1 and f2 changed. */
function opFields(entity: SpecEntity, action: TableAction): Fields {
  const spec = SPECS[entity];
  switch (action) {
    case 'put':
      return { ...spec.fields, [spec.f1[0]]: spec.f1[1], [spec.f2[0]]: spec.f2[1] };
    case 'patch':
      return { [spec.f1[0]]: spec.f1[1], [spec.f2[0]]: spec.f2[1] };
    case 'patch-f1':
      return { [spec.f1[0]]: spec.f1[1] };
    case 'delete':
      return {};
  }
}

interface Expected {
  status: 'applied' | 'partial' | 'superseded' | 'rejected';
  reason?: string;
  dropped: string[];
}

/** Checks a resolution against the expectation, and the written row for applied/partial. */
function check(res: Resolution, expected: Expected, existing: StoredRow | undefined, op: Op, writer: Writer, at: number): void {
  assert.equal(res.status, expected.status, `status (${JSON.stringify(res)})`);
  assert.equal((res as { reason?: string }).reason, expected.reason, 'reason');
  if (res.status === 'rejected') return;
  assert.deepEqual([...res.dropped].sort(), [...expected.dropped].sort(), 'dropped');
  if (res.status === 'superseded') return;
  const stamp = write(writer, NEXT_VERSION, at);
  if (op.action === 'delete') {
    assert.equal(res.next.deleted, true);
    assert.deepEqual(res.next.fields, {});
    assert.deepEqual(res.next.meta[DELETE_META], stamp, 'the delete is recorded in the meta');
    return;
  }
  assert.equal(res.next.deleted, false);
  for (const [field, value] of Object.entries(op.fields)) {
    if (res.dropped.includes(field)) {
      assert.deepEqual(res.next.fields[field], existing!.fields[field], `${field} keeps the earlier write`);
      assert.deepEqual(res.next.meta[field], existing!.meta[field], `${field} keeps its meta`);
    } else {
      assert.deepEqual(res.next.fields[field], value, `${field} takes the op's value`);
      if (!existing || !Object.is(existing.fields[field], value)) {
        assert.deepEqual(res.next.meta[field], stamp, `${field} is stamped with the new write`);
      }
    }
  }
  if (op.action === 'patch' && existing) {
    for (const [field, value] of Object.entries(existing.fields)) {
      if (!(field in op.fields)) assert.deepEqual(res.next.fields[field], value, `a patch leaves ${field} alone`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Main table: class x writer role x conflicting x action. The earlier write (f1 at v5) is by the
// OTHER role on another install, at T0; the incoming op is stamped EARLIER than T0, so the
// cross-role rows show that time does not matter between roles, and settings (time only) loses.

const A = (dropped: string[] = []): Expected => ({ status: 'applied', dropped });
const P = (reason: string, dropped: string[]): Expected => ({ status: 'partial', reason, dropped });
const S = (reason: string, dropped: string[]): Expected => ({ status: 'superseded', reason, dropped });

type MainRow = [entity: SpecEntity, writer: Role, conflicting: boolean, action: TableAction, expected: Expected];

const MAIN_TABLE: MainRow[] = [
  // program class (prescription): the coach's write wins
  ['prescription', 'coach', false, 'put', A()],
  ['prescription', 'coach', false, 'patch', A()],
  ['prescription', 'coach', false, 'patch-f1', A()],
  ['prescription', 'coach', false, 'delete', A()],
  ['prescription', 'coach', true, 'put', A()],
  ['prescription', 'coach', true, 'patch', A()],
  ['prescription', 'coach', true, 'patch-f1', A()],
  ['prescription', 'coach', true, 'delete', A()],
  ['prescription', 'trainee', false, 'put', A()],
  ['prescription', 'trainee', false, 'patch', A()],
  ['prescription', 'trainee', false, 'patch-f1', A()],
  ['prescription', 'trainee', false, 'delete', A()],
  ['prescription', 'trainee', true, 'put', P('coach-edit-wins', ['sets'])],
  ['prescription', 'trainee', true, 'patch', P('coach-edit-wins', ['sets'])],
  ['prescription', 'trainee', true, 'patch-f1', S('coach-edit-wins', ['sets'])],
  ['prescription', 'trainee', true, 'delete', S('coach-edit-wins', [])],
  // session class (session): the trainee's write wins
  ['session', 'coach', false, 'put', A()],
  ['session', 'coach', false, 'patch', A()],
  ['session', 'coach', false, 'patch-f1', A()],
  ['session', 'coach', false, 'delete', A()],
  ['session', 'coach', true, 'put', P('trainee-log-wins', ['status'])],
  ['session', 'coach', true, 'patch', P('trainee-log-wins', ['status'])],
  ['session', 'coach', true, 'patch-f1', S('trainee-log-wins', ['status'])],
  ['session', 'coach', true, 'delete', S('trainee-log-wins', [])],
  ['session', 'trainee', false, 'put', A()],
  ['session', 'trainee', false, 'patch', A()],
  ['session', 'trainee', false, 'patch-f1', A()],
  ['session', 'trainee', false, 'delete', A()],
  ['session', 'trainee', true, 'put', A()],
  ['session', 'trainee', true, 'patch', A()],
  ['session', 'trainee', true, 'patch-f1', A()],
  ['session', 'trainee', true, 'delete', A()],
  // session class (set_log)
  // A trainee's logged values stay until the trainee changes them, even against a coach who saw them.
  ['set_log', 'coach', false, 'put', P('trainee-log-wins', ['reps'])],
  ['set_log', 'coach', false, 'patch', P('trainee-log-wins', ['reps'])],
  ['set_log', 'coach', false, 'patch-f1', S('trainee-log-wins', ['reps'])],
  ['set_log', 'coach', false, 'delete', A()],
  ['set_log', 'coach', true, 'put', P('trainee-log-wins', ['reps'])],
  ['set_log', 'coach', true, 'patch', P('trainee-log-wins', ['reps'])],
  ['set_log', 'coach', true, 'patch-f1', S('trainee-log-wins', ['reps'])],
  ['set_log', 'coach', true, 'delete', S('trainee-log-wins', [])],
  ['set_log', 'trainee', false, 'put', A()],
  ['set_log', 'trainee', false, 'patch', A()],
  ['set_log', 'trainee', false, 'patch-f1', A()],
  ['set_log', 'trainee', false, 'delete', A()],
  ['set_log', 'trainee', true, 'put', A()],
  ['set_log', 'trainee', true, 'patch', A()],
  ['set_log', 'trainee', true, 'patch-f1', A()],
  ['set_log', 'trainee', true, 'delete', A()],
  // settings class: later `at` wins whatever the roles (the incoming op is the earlier one here)
  ['settings', 'coach', false, 'put', A()],
  ['settings', 'coach', false, 'patch', A()],
  ['settings', 'coach', false, 'patch-f1', A()],
  ['settings', 'coach', false, 'delete', A()],
  ['settings', 'coach', true, 'put', P('last-write-wins', ['units'])],
  ['settings', 'coach', true, 'patch', P('last-write-wins', ['units'])],
  ['settings', 'coach', true, 'patch-f1', S('last-write-wins', ['units'])],
  ['settings', 'coach', true, 'delete', S('last-write-wins', [])],
  ['settings', 'trainee', false, 'put', A()],
  ['settings', 'trainee', false, 'patch', A()],
  ['settings', 'trainee', false, 'patch-f1', A()],
  ['settings', 'trainee', false, 'delete', A()],
  ['settings', 'trainee', true, 'put', P('last-write-wins', ['units'])],
  ['settings', 'trainee', true, 'patch', P('last-write-wins', ['units'])],
  ['settings', 'trainee', true, 'patch-f1', S('last-write-wins', ['units'])],
  ['settings', 'trainee', true, 'delete', S('last-write-wins', [])],
];

describe('resolveOp: class x writer role x conflict x action (earlier write by the other role, incoming op stamped earlier)', () => {
  for (const [entity, role, conflicting, action, expected] of MAIN_TABLE) {
    const name = `${entity} | ${role} writes | ${conflicting ? 'conflicting' : 'not conflicting'} | ${action} -> ${expected.status}${
      expected.reason ? ` ${expected.reason}` : ''
    }${expected.dropped.length ? ` [${expected.dropped}]` : ''}`;
    test(name, () => {
      const existing = existingRow(entity, WRITERS[other(role)]);
      const opAction: Action = action === 'patch-f1' ? 'patch' : action;
      // baseVersion 4: the f1 write (v5) came after what the writer saw; 5: the writer saw it.
      const op = makeOp(entity, opAction, opFields(entity, action), conflicting ? 4 : 5);
      const before = structuredClone(existing);
      const res = resolveOp(existing, op, WRITERS[role], EARLIER, NEXT_VERSION);
      check(res, expected, existing, op, WRITERS[role], EARLIER);
      assert.deepEqual(existing, before, 'resolveOp must not mutate the stored row');
    });
  }
});

// Cross-role with the incoming op stamped LATER: the class rule, not time, decides.
type TimeRow = [entity: SpecEntity, writer: Role, earlierWriter: Role, incomingAt: number, expected: Expected];
const CROSS_ROLE_LATER: TimeRow[] = [
  ['prescription', 'trainee', 'coach', LATER, S('coach-edit-wins', ['sets'])],
  ['prescription', 'coach', 'trainee', LATER, A()],
  ['session', 'coach', 'trainee', LATER, S('trainee-log-wins', ['status'])],
  ['session', 'trainee', 'coach', LATER, A()],
  ['set_log', 'coach', 'trainee', LATER, S('trainee-log-wins', ['reps'])],
  ['set_log', 'trainee', 'coach', LATER, A()],
  ['settings', 'trainee', 'coach', LATER, A()],
  ['settings', 'coach', 'trainee', LATER, A()],
];

// Same role, other install of the same user: later `at` wins in every class.
const SAME_ROLE: TimeRow[] = [
  ['prescription', 'coach', 'coach', LATER, A()],
  ['prescription', 'coach', 'coach', EARLIER, S('last-write-wins', ['sets'])],
  ['prescription', 'trainee', 'trainee', LATER, A()],
  ['prescription', 'trainee', 'trainee', EARLIER, S('last-write-wins', ['sets'])],
  // maxes are program rows only coaches write: two installs of the coach
  ['max', 'coach', 'coach', LATER, A()],
  ['max', 'coach', 'coach', EARLIER, S('last-write-wins', ['value'])],
  ['session', 'coach', 'coach', LATER, A()],
  ['session', 'coach', 'coach', EARLIER, S('last-write-wins', ['status'])],
  ['session', 'trainee', 'trainee', LATER, A()],
  ['session', 'trainee', 'trainee', EARLIER, S('last-write-wins', ['status'])],
  ['set_log', 'coach', 'coach', LATER, A()],
  ['set_log', 'coach', 'coach', EARLIER, S('last-write-wins', ['reps'])],
  ['set_log', 'trainee', 'trainee', LATER, A()],
  ['set_log', 'trainee', 'trainee', EARLIER, S('last-write-wins', ['reps'])],
  ['settings', 'coach', 'coach', LATER, A()],
  ['settings', 'coach', 'coach', EARLIER, S('last-write-wins', ['units'])],
  ['settings', 'trainee', 'trainee', LATER, A()],
  ['settings', 'trainee', 'trainee', EARLIER, S('last-write-wins', ['units'])],
];

function timeTable(title: string, rows: TimeRow[]): void {
  describe(title, () => {
    for (const [entity, role, earlierRole, incomingAt, expected] of rows) {
      const when = incomingAt > T0 ? 'later' : 'earlier';
      test(`${entity} | ${role} patches ${when} than a conflicting ${earlierRole} write -> ${expected.status}${expected.reason ? ` ${expected.reason}` : ''}`, () => {
        const earlier = earlierRole === role ? OTHER_INSTALL[role] : WRITERS[earlierRole];
        const existing = existingRow(entity, earlier);
        const op = makeOp(entity, 'patch', opFields(entity, 'patch-f1'), 4);
        const res = resolveOp(existing, op, WRITERS[role], incomingAt, NEXT_VERSION);
        check(res, expected, existing, op, WRITERS[role], incomingAt);
      });
    }
  });
}
timeTable('resolveOp: across roles the class rule wins even against a later `at`', CROSS_ROLE_LATER);
timeTable('resolveOp: same role (another install) -> later `at` wins', SAME_ROLE);

// ---------------------------------------------------------------------------------------------

describe('resolveOp: deleting a logged session', () => {
  const loggedSession = (): StoredRow => {
    const coachSetup = write(WRITERS.coach, 2, T0 - 3_600_000);
    const traineeLog = write(WRITERS.trainee, 5, T0);
    return {
      version: 5,
      deleted: false,
      fields: { traineeId: TRAINEE_ID, date: '2026-11-24', status: 'completed', rpe: 8 },
      meta: { traineeId: coachSetup, date: coachSetup, status: traineeLog, rpe: traineeLog },
    };
  };

  test('coach delete vs a trainee log after the coach baseVersion -> superseded trainee-log-wins', () => {
    const res = resolveOp(loggedSession(), makeOp('session', 'delete', {}, 4), WRITERS.coach, LATER, NEXT_VERSION);
    assert.equal(res.status, 'superseded');
    assert.equal((res as { reason?: string }).reason, 'trainee-log-wins');
  });

  test('coach delete that saw the log (baseVersion >= log version) -> applied', () => {
    const existing = loggedSession();
    const op = makeOp('session', 'delete', {}, 5);
    const res = resolveOp(existing, op, WRITERS.coach, LATER, NEXT_VERSION);
    check(res, A(), existing, op, WRITERS.coach, LATER);
  });

  test('coach delete of a set_log the trainee logged after baseVersion -> superseded trainee-log-wins', () => {
    const existing = existingRow('set_log', WRITERS.trainee);
    const res = resolveOp(existing, makeOp('set_log', 'delete', {}, 0), WRITERS.coach, LATER, NEXT_VERSION);
    assert.equal(res.status, 'superseded');
    assert.equal((res as { reason?: string }).reason, 'trainee-log-wins');
  });

  test('trainee delete of own session over a later coach edit -> applied (trainee wins)', () => {
    const existing = existingRow('session', WRITERS.coach);
    const op = makeOp('session', 'delete', {}, 0);
    const res = resolveOp(existing, op, WRITERS.trainee, EARLIER, NEXT_VERSION);
    check(res, A(), existing, op, WRITERS.trainee, EARLIER);
  });
});

describe('resolveOp: writes to a deleted row', () => {
  const deletedRow = (entity: SpecEntity, deleter: Writer, deletedAt = T0): StoredRow => {
    const existing = existingRow(entity, deleter);
    return { version: 5, deleted: true, fields: {}, meta: { ...existing.meta, [DELETE_META]: write(deleter, 5, deletedAt) } };
  };

  type DeletedRow = [title: string, entity: SpecEntity, deleter: Writer, writer: Writer, action: TableAction, base: number, at: number, expected: Expected];
  const rows: DeletedRow[] = [
    ['trainee patch of a session the coach deleted', 'session', WRITERS.coach, WRITERS.trainee, 'patch', 4, LATER, S('deleted', ['status', 'notes'])],
    ['coach patch of a prescription the coach deleted on another install', 'prescription', OTHER_INSTALL.coach, WRITERS.coach, 'patch', 5, LATER, S('deleted', ['sets', 'notes'])],
    ['patch that saw the delete is still superseded', 'set_log', WRITERS.trainee, WRITERS.trainee, 'patch', 5, LATER, S('deleted', ['reps', 'load'])],
    ['delete of a deleted row', 'session', WRITERS.coach, OTHER_INSTALL.coach, 'delete', 4, LATER, S('deleted', [])],
    ['put by the winner: trainee re-puts a session the coach deleted (conflicting)', 'session', WRITERS.coach, WRITERS.trainee, 'put', 4, EARLIER, A()],
    ['put by the winner: coach re-puts a prescription the trainee deleted (conflicting)', 'prescription', WRITERS.trainee, WRITERS.coach, 'put', 4, EARLIER, A()],
    ['put by the winner: later settings put', 'settings', OTHER_INSTALL.trainee, WRITERS.trainee, 'put', 4, LATER, A()],
    ['put by the loser: coach re-puts a set_log the trainee deleted (conflicting)', 'set_log', WRITERS.trainee, WRITERS.coach, 'put', 4, LATER, S('deleted', ['sessionId', 'exerciseId', 'setIndex', 'reps', 'load', 'done', 'note'])],
    ['put by the loser: trainee re-puts a prescription the coach deleted (conflicting)', 'prescription', WRITERS.coach, WRITERS.trainee, 'put', 4, LATER, S('deleted', ['workoutId', 'exerciseId', 'position', 'sets', 'reps', 'notes'])],
    ['put by the loser: earlier settings put from another install', 'settings', OTHER_INSTALL.trainee, WRITERS.trainee, 'put', 4, EARLIER, S('deleted', ['units', 'weekStartsOn'])],
    ['put by the loser that saw the delete (not conflicting) is still superseded', 'set_log', WRITERS.trainee, WRITERS.coach, 'put', 5, LATER, S('deleted', ['sessionId', 'exerciseId', 'setIndex', 'reps', 'load', 'done', 'note'])],
    ['put by a winner that saw the delete: the coach re-creates a prescription', 'prescription', WRITERS.trainee, WRITERS.coach, 'put', 5, EARLIER, A()],
  ];
  for (const [title, entity, deleter, writer, action, base, at, expected] of rows) {
    test(`${title} -> ${expected.status}${expected.reason ? ` ${expected.reason}` : ''}`, () => {
      const existing = deletedRow(entity, deleter);
      const opAction: Action = action === 'patch-f1' ? 'patch' : action;
      const op = makeOp(entity, opAction, opFields(entity, action), base);
      const res = resolveOp(existing, op, writer, at, NEXT_VERSION);
      check(res, expected, undefined, op, writer, at);
      if (res.status === 'applied') {
        assert.equal(res.next.deleted, false, 'the put revives the row');
        assert.deepEqual(res.next.fields, op.fields, 'with exactly the put fields');
        assert.equal(res.next.meta[DELETE_META], undefined, 'and forgets the delete');
      }
    });
  }
});

describe('resolveOp: unknown rows', () => {
  for (const action of ['patch', 'delete'] as const) {
    test(`${action} of an unknown row -> rejected unknown_row`, () => {
      const op = makeOp('prescription', action, action === 'patch' ? { sets: 4 } : {}, 0);
      const res = resolveOp(undefined, op, WRITERS.coach, T0, NEXT_VERSION);
      assert.equal(res.status, 'rejected');
      assert.equal((res as { reason?: string }).reason, 'unknown_row');
    });
  }

  test('put of an unknown row -> applied, every field stamped', () => {
    const op = makeOp('set_log', 'put', { ...SPECS.set_log.fields }, 0);
    const res = resolveOp(undefined, op, WRITERS.trainee, T0, NEXT_VERSION);
    check(res, A(), undefined, op, WRITERS.trainee, T0);
    assert.ok(res.status === 'applied', 'status is applied');
    assert.deepEqual(Object.keys(res.next.meta).sort(), Object.keys(op.fields).sort());
  });
});

describe('resolveOp: same install rewrites', () => {
  for (const entity of Object.keys(SPECS) as SpecEntity[]) {
    for (const role of ['coach', 'trainee'] as const) {
      test(`${entity}: a ${role} rewriting its own field from the same install never conflicts (baseVersion 0, earlier at)`, () => {
        const existing = existingRow(entity, WRITERS[role]);
        const op = makeOp(entity, 'patch', opFields(entity, 'patch-f1'), 0);
        const res = resolveOp(existing, op, WRITERS[role], EARLIER, NEXT_VERSION);
        check(res, A(), existing, op, WRITERS[role], EARLIER);
      });
    }
  }

  test('the same user on another install does conflict (earlier at loses)', () => {
    const existing = existingRow('set_log', WRITERS.trainee);
    const op = makeOp('set_log', 'patch', opFields('set_log', 'patch-f1'), 0);
    const res = resolveOp(existing, op, OTHER_INSTALL.trainee, EARLIER, NEXT_VERSION);
    check(res, S('last-write-wins', ['reps']), existing, op, OTHER_INSTALL.trainee, EARLIER);
  });
});

describe('resolveOp: puts and unchanged values', () => {
  test('a losing put that omits a field the winner wrote keeps that field (partial)', () => {
    const existing = existingRow('prescription', WRITERS.coach);
    existing.meta.notes = write(WRITERS.coach, 5, T0);
    const { notes: _omitted, ...rest } = existing.fields;
    const op = makeOp('prescription', 'put', { ...rest, position: 2 }, 4);
    const res = resolveOp(existing, op, WRITERS.trainee, LATER, NEXT_VERSION);
    assert.equal(res.status, 'partial');
    assert.ok(res.status === 'partial', 'status is partial');
    assert.deepEqual(res.dropped, ['notes']);
    assert.equal(res.next.fields.notes, 'old notes');
    assert.equal(res.next.fields.position, 2);
  });

  test('a winning put removes fields it does not carry', () => {
    const existing = existingRow('prescription', WRITERS.trainee);
    const { notes: _omitted, ...rest } = existing.fields;
    const op = makeOp('prescription', 'put', rest, 5);
    const res = resolveOp(existing, op, WRITERS.coach, LATER, NEXT_VERSION);
    assert.equal(res.status, 'applied');
    assert.ok(res.status === 'applied', 'status is applied');
    assert.equal('notes' in res.next.fields, false);
  });

  test('a conflicting write of the value already there is not a loss', () => {
    const existing = existingRow('set_log', WRITERS.trainee);
    const op = makeOp('set_log', 'patch', { reps: existing.fields.reps }, 0);
    const res = resolveOp(existing, op, WRITERS.coach, LATER, NEXT_VERSION);
    assert.equal(res.status, 'applied');
    assert.ok(res.status === 'applied', 'status is applied');
    assert.deepEqual(res.dropped, []);
    assert.deepEqual(res.next.meta.reps, existing.meta.reps, 'the trainee stays the author of reps');
  });
});
