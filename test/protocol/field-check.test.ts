import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFields, ENTITIES, FIELD_SCHEMAS, newId, type Entity } from '../../protocol/index.ts';
import { plainCheck } from '../../protocol/plain-check.ts';
import { mulberry32 } from '../../bench/random.ts';

// checkFields passes fields one by one through their own schemas before falling back to the
// object parse (for its message). Its verdict must be the object parse's, on any input.

const VALUES: unknown[] = [
  newId(), 'not-a-uuid', '', '   ', 'Back squat', 'x'.repeat(201), '8', '8-10', '5x5', 'AMRAP', '30s', '2026-02-28', '2026-02-30', 'kg', 'lb', '%1rm', '%top',
  'reps', 'time', 'planned', 'completed', 'entered', 'epley', 'tm', '1rm', 'https://example.com/v', 'ftp://x', 'a@b.co',
  '😀'.repeat(10), '😀'.repeat(11), 'é'.repeat(20), 'é'.repeat(21),
  // Reps, names, dates and maxes, at the edges of the plain checks declared beside their schemas.
  '0', '1', '0-5', '1-1', '10-8', '8-010', '999-1000', 'amrap', ' 5', 'A', ' A ', '\u00a0\ufeffRow\u2028', 'x'.repeat(200), ` ${'x'.repeat(200)} `, 'x'.repeat(199) + '😀',
  '😀'.repeat(100), '😀'.repeat(101), ' \t\n', '2024-02-29', '2023-02-29', '0000-01-01', '2026-13-01', '2026-1-01', 0.001, 5e-324, 9999.999,
  0, -0, 1, 4, 6, 7, 8, 10, 10.5, 100, 101, 104, 1000, 1001, 3600, 3601, 9999.5, 10000, 10000.5, -1, 0.5, 2.5, 1e9, Number.NaN, Number.POSITIVE_INFINITY,
  null, true, false, [], [{ reps: '5' }], [{ sets: 3, reps: '5', load: 100, loadUnit: 'kg' }], {}, { nested: 1 },
];

function randomFields(entity: Entity, random: () => number): Record<string, unknown> {
  const shape = FIELD_SCHEMAS[entity].shape as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) if (random() < 0.7) fields[key] = VALUES[Math.floor(random() * VALUES.length)];
  if (random() < 0.1) fields.unknownField = 1;
  return fields;
}

/** Fields as valid as the VALUES pool allows: each key tried until its own schema takes one. */
function validFields(entity: Entity, random: () => number): Record<string, unknown> {
  const shape = FIELD_SCHEMAS[entity].shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
  const fields: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const ok = VALUES.filter((v) => schema.safeParse(v).success);
    if (ok.length > 0 && (random() < 0.8 || !schema.safeParse(undefined).success)) fields[key] = ok[Math.floor(random() * ok.length)];
  }
  return fields;
}

test('checkFields agrees with the object schema on random puts and patches of every entity', () => {
  const random = mulberry32(20261201);
  let accepted = 0;
  let refused = 0;
  for (const entity of ENTITIES) {
    const put = FIELD_SCHEMAS[entity];
    const patch = put.partial();
    for (let i = 0; i < 400; i++) {
      const fields = i % 2 === 0 ? randomFields(entity, random) : validFields(entity, random);
      if (i % 7 === 0) {
        // Drop one key: a put missing a required field must be refused.
        const keys = Object.keys(fields);
        if (keys.length > 0) delete fields[keys[Math.floor(random() * keys.length)]!];
      }
      for (const [action, schema] of [['put', put], ['patch', patch]] as const) {
        const got = checkFields(entity, action, fields);
        const want = schema.safeParse(fields).success && (action === 'put' || Object.keys(fields).length > 0);
        assert.equal(got.ok, want, `${entity} ${action} ${JSON.stringify(fields)}: ${got.ok ? 'accepted' : got.message}`);
        if (got.ok) accepted++;
        else refused++;
      }
    }
  }
  // Both verdicts were exercised, many times.
  assert.ok(accepted > 1000 && refused > 1000, `accepted ${accepted}, refused ${refused}`);
});

test('every plain check says yes only where its field schema does, on every value of the pool', () => {
  let yes = 0;
  for (const entity of ENTITIES) {
    for (const [key, schema] of Object.entries(FIELD_SCHEMAS[entity].shape as Record<string, Parameters<typeof plainCheck>[0]>)) {
      const plain = plainCheck(schema);
      if (!plain) continue;
      for (const value of [...VALUES, undefined]) {
        if (!plain(value)) continue;
        yes++;
        assert.ok(schema.safeParse(value).success, `${entity}.${key}: the plain check takes ${JSON.stringify(value)}, the schema does not`);
      }
    }
  }
  assert.ok(yes > 200, `plain checks said yes ${yes} times`);
});

test('checkFields refuses keys that are not own fields of the schema, by name', () => {
  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const fields = JSON.parse(`{"sets": 4, "${key}": 1}`) as Record<string, unknown>;
    const got = checkFields('prescription', 'patch', fields);
    assert.equal(got.ok, false, key);
    assert.match((got as { message: string }).message, new RegExp(`no field "${key}"`));
  }
});

test('a refused field is named as before the fast path', () => {
  assert.deepEqual(checkFields('prescription', 'patch', { sets: 0 }), { ok: false, message: 'prescription.sets must be at least 1' });
  assert.deepEqual(checkFields('prescription', 'patch', { sets: '4' }), { ok: false, message: 'prescription.sets must be a number, not text' });
  const put = checkFields('workout', 'put', { programId: newId(), week: 1, day: 1 });
  assert.deepEqual(put, { ok: false, message: 'workout.title is required' });
});

test('the fields edited most have a plain check (the fast path is taken), and formats and refinements have none', () => {
  const p = FIELD_SCHEMAS.prescription.shape;
  const s = FIELD_SCHEMAS.set_log.shape;
  for (const [name, schema] of Object.entries({ sets: p.sets, load: p.load, loadUnit: p.loadUnit, workoutId: p.workoutId, position: p.position, notes: p.notes, setLogReps: s.reps, done: s.done })) {
    assert.equal(typeof plainCheck(schema), 'function', name);
  }
  // Refined and trimmed fields have their plain check declared beside the schema; a format has none.
  for (const [name, schema] of Object.entries({ reps: p.reps, scheme: p.scheme, exerciseName: FIELD_SCHEMAS.exercise.shape.name, targetReps: s.targetReps, maxValue: FIELD_SCHEMAS.max.shape.value, date: FIELD_SCHEMAS.session.shape.date })) {
    assert.equal(typeof plainCheck(schema), 'function', name);
  }
  assert.equal(plainCheck(FIELD_SCHEMAS.trainee.shape.email), undefined, 'an email is a format');
  const reps = plainCheck(p.reps)!;
  assert.deepEqual(['5', '8-10', 'AMRAP', '0', '10-8', '5x5', 5].map(reps), [true, true, true, false, false, false, false]);
  const scheme = plainCheck(p.scheme)!;
  assert.deepEqual([null, undefined, []].map(scheme), [true, true, false], 'a scheme itself is asked of zod');
  const sets = plainCheck(p.sets)!;
  assert.deepEqual([0, 1, 100, 101, 1.5, Number.NaN, '4'].map(sets), [false, true, true, false, false, false, false]);
});
