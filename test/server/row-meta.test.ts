import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { id } from '../helpers.ts';
import type { FieldWrite, RowMeta } from '../../server/resolver.ts';
import { decodeRowMeta, encodeRowMeta } from '../../server/row-meta.ts';

const USERS = { coach: id(), trainee: id() };
const CLIENTS = new Map<number, string>();
const stamp = (v: number, r: 'coach' | 'trainee' = 'coach'): FieldWrite => ({ v, u: USERS[r], c: CLIENTS.get(v) ?? (CLIENTS.set(v, id()), CLIENTS.get(v)!), r, t: 1_700_000_000_000 + v });

describe('row write metadata in storage', () => {
  test('round-trips, storing each op stamp once', () => {
    const put = stamp(3);
    const patch = stamp(9, 'trainee');
    const meta: RowMeta = { workoutId: put, exerciseId: put, position: put, sets: patch, reps: put, $deleted: stamp(7) };
    const stored = encodeRowMeta(meta);
    assert.deepEqual(decodeRowMeta(stored), meta);
    assert.equal((JSON.parse(stored) as unknown[][])[0]!.length, 3, 'three distinct stamps');
    const putMeta: RowMeta = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((f) => [f, put]));
    const size = encodeRowMeta(putMeta).length;
    assert.ok(size < JSON.stringify(putMeta).length / 4, `a 10-field put's metadata takes ${size} bytes`);
  });

  test('reads the older {field: stamp} form, and equal stamps from it are shared when written again', () => {
    const older: RowMeta = { name: stamp(2), coachId: stamp(2), category: stamp(4) };
    const decoded = decodeRowMeta(JSON.stringify(older));
    assert.deepEqual(decoded, older);
    assert.equal((JSON.parse(encodeRowMeta(decoded)) as unknown[][])[0]!.length, 2);
    assert.deepEqual(decodeRowMeta(encodeRowMeta({})), {});
  });

  test('a field pointing at a missing stamp is an error that names it', () => {
    assert.throws(() => decodeRowMeta(JSON.stringify([[stamp(1)], { sets: 4 }])), /stamp 4 of 1 for field sets/);
  });
});
