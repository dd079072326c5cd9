import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '../../bench/random.ts';
import { opContent, stableStringify } from '../../server/canonical-store.ts';
import { jsonScalar } from '../../server/json-text.ts';

/** What the ledger hashed before the fast path: the generic form of everything but seq. */
function generic(raw: Record<string, unknown>): string {
  const { seq: _seq, ...content } = raw;
  return stableStringify(content);
}

describe('the content an idempotency key stands for', () => {
  test('the fast path gives the generic form byte for byte, so stored ledger hashes still match', () => {
    const random = mulberry32(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
    const values: unknown[] = [
      0, -0, -1.5, 1e21, 5e-7, Number.NaN, Number.POSITIVE_INFINITY, undefined,
      'x', '"quoted"\n', 'back\\slash', 'tab\tand\u0001', '\u001f', '\u007f', 'é', '\u2028', '🏋 lift', '\ud83c', 'lone \udc00 low',
      true, false, null, '', [1, 2], { nested: { deep: 1 } },
    ];
    const names = ['sets', 'reps', 'load', 'notes', 'a', 'Z', '_', 'weight"kg', 'ü', 'back\\slash', 'ctl\u0002'];
    for (let i = 0; i < 2000; i++) {
      const fields: Record<string, unknown> = {};
      for (let n = Math.floor(random() * 6); n > 0; n--) fields[pick(names)] = pick(values);
      const raw: Record<string, unknown> = {
        fields,
        key: pick([`k${i}`, `"k${i}"`, `k\\${i}`, `k\u0000${i}`]),
        seq: i,
        baseVersion: pick([0, 3, null, '7']),
        id: pick(['r1', 42, { odd: true }]),
        action: pick(['put', 'patch', 'delete', ['weird']]),
        at: '2026-11-24T14:00:00.000Z',
        entity: pick(['prescription', 'set_log']),
      };
      if (random() < 0.1) delete raw.seq;
      if (random() < 0.1) raw.extra = pick(values);
      if (random() < 0.05) raw.fields = pick([null, [1], 'x']);
      assert.equal(opContent(raw), generic(raw), JSON.stringify(raw));
    }
  });

  test('seq is not part of it, and key order does not matter', () => {
    const a = { key: 'k', seq: 1, at: 't', entity: 'exercise', id: 'i', action: 'patch', fields: { b: 1, a: 2 }, baseVersion: 0 };
    const b = { baseVersion: 0, fields: { a: 2, b: 1 }, action: 'patch', id: 'i', entity: 'exercise', at: 't', seq: 99, key: 'k' };
    assert.equal(opContent(a), opContent(b));
    assert.notEqual(opContent(a), opContent({ ...a, fields: { a: 2, b: 2 } }));
  });

  test("jsonScalar writes what JSON.stringify writes, null where it writes nothing", () => {
    const values = [
      '', 'plain', 'é', '🏋', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', '\ud83c', '\udfff', 'a\ud83c\udfcbb',
      0, -0, 1.5, -2e-7, 1e21, 2 ** 53, Number.NaN, Number.NEGATIVE_INFINITY, true, false, null, undefined,
    ];
    for (const v of values) assert.equal(jsonScalar(v), JSON.stringify(v) ?? 'null', String(v));
  });
});
