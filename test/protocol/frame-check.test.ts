import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFields, checkOp, newId, opSchema, parseClientFrame, pushSchema, MAX_OPS_PER_PUSH } from '../../protocol/index.ts';
import { mulberry32 } from '../../bench/random.ts';

// The server reads push frames and op envelopes through hand-written checks before zod (which
// copies every op). The verdict must be zod's on any input, and a refusal keeps zod's message.

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const KEYS = [newId(), 'k', '', 'x'.repeat(128), 'x'.repeat(129), '😀'.repeat(64), '😀'.repeat(65), 7, null];
const SEQS = [1, 2, 1000, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53, '3', null, Number.NaN];
const ATS = ['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00Z', '2026-12-01T10:00:00+01:00', '2026-12-01T10:00:00.123456789Z', '2026-13-45T10:00:00Z', '2026-12-01 10:00:00Z', '2026-12-01', '', 17];
const ENTITIES = ['exercise', 'prescription', 'settings', 'set_log', 'nope', '', 3];
const IDS = [newId(), newId().toUpperCase(), 'not-a-uuid', `${newId()}x`, '', 5];
const ACTIONS = ['put', 'patch', 'delete', 'PUT', '', null];
const FIELDS = [{ name: 'Squat', coachId: newId() }, undefined, {}, { sets: 4 }, [], 'x', null, { nested: { a: 1 } }];
const VERSIONS = [0, 1, 99, -1, 0.5, 2 ** 53, '0', null];

function randomOp(random: () => number): Record<string, unknown> {
  const op: Record<string, unknown> = {};
  const add = (key: string, values: readonly unknown[]) => {
    if (random() < 0.93) op[key] = random() < 0.7 ? values[0] : pick(random, values);
  };
  add('key', KEYS);
  add('seq', SEQS);
  add('at', ATS);
  add('entity', ENTITIES);
  add('id', IDS);
  add('action', ACTIONS);
  add('fields', FIELDS);
  add('baseVersion', VERSIONS);
  if (random() < 0.05) op.extra = 1;
  return op;
}

test('checkOp gives the verdict of opSchema and checkFields on random ops', () => {
  const random = mulberry32(120101);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 20000; i++) {
    const op = i % 500 === 0 ? JSON.parse(`{"__proto__": 1, "key": "k"}`) : randomOp(random);
    const envelope = opSchema.safeParse(op);
    const fields = envelope.success ? checkFields(envelope.data.entity, envelope.data.action, envelope.data.fields) : undefined;
    const want = fields?.ok === true;
    const got = checkOp(op);
    assert.equal(got.ok, want, JSON.stringify(op));
    if (got.ok) {
      assert.deepEqual(got.op, { ...envelope.data, fields: (fields as { fields: unknown }).fields });
      accepted++;
    } else refused++;
  }
  assert.ok(accepted > 1000 && refused > 1000, `accepted ${accepted}, refused ${refused}`);
});

test('parseClientFrame gives pushSchema’s verdict on random push frames', () => {
  const random = mulberry32(120102);
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const n = pick(random, [0, 1, 2, 5, MAX_OPS_PER_PUSH, MAX_OPS_PER_PUSH + 1]);
    const ops: unknown[] = Array.from({ length: n }, () => ({ key: random() < 0.97 ? newId() : pick(random, KEYS), seq: random() < 0.97 ? 1 + Math.floor(random() * 100) : pick(random, SEQS), x: 1 }));
    if (n > 0 && random() < 0.05) ops[Math.floor(random() * n)] = pick(random, [null, [], 'op', 4]);
    const frame: Record<string, unknown> = { type: 'push', ops: random() < 0.97 ? ops : pick(random, [null, {}, 'x']) };
    if (random() < 0.1) frame.more = true;
    const want = pushSchema.safeParse(frame).success;
    const got = parseClientFrame(JSON.stringify(frame));
    assert.equal(got.ok, want, JSON.stringify(frame).slice(0, 300));
    if (got.ok) {
      assert.deepEqual(got.message, pushSchema.parse(frame));
      accepted++;
    }
  }
  assert.ok(accepted > 500, `accepted ${accepted}`);
});

test('a refused op or frame is named as zod names it', () => {
  assert.deepEqual(checkOp({ key: 'k', seq: 1, at: '2026-13-45T10:00:00Z', entity: 'exercise', id: newId(), action: 'put', fields: {}, baseVersion: 0 }), {
    ok: false,
    message: 'op at must be a real time',
  });
  const frame = parseClientFrame(JSON.stringify({ type: 'push', ops: [{ key: '', seq: 1 }] }));
  assert.equal(frame.ok, false);
  assert.match((frame as { message: string }).message, /^push: ops\.0\.key /);
});
