import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProgramDetail } from '../../preload/api.ts';
import { sameData, shareExercises, shareProgram } from '../../renderer/store/share.ts';

// The store keeps unchanged workouts and rows of a re-read program as the same objects, so the
// builder's memoised rows skip rendering; what changed must come through as the new data.

const rx = (id: string, sets: number) => ({ id, exerciseId: 'e1', position: 1, sets, reps: '5', load: 100 }) as unknown as ProgramDetail['workouts'][number]['prescriptions'][number];
const program = (sets: number[][], name = 'Block 1'): ProgramDetail =>
  ({
    id: 'p1',
    name,
    weeks: 4,
    notes: null,
    workouts: sets.map((rows, i) => ({ id: `w${i}`, week: 1, day: i + 1, title: `Day ${i + 1}`, prescriptions: rows.map((s, j) => rx(`r${i}-${j}`, s)) })),
  }) as unknown as ProgramDetail;

test('a re-read program keeps every unchanged workout and row, and takes what changed', () => {
  const before = program([[3, 4], [5]]);
  assert.equal(shareProgram(before, program([[3, 4], [5]])), before, 'nothing changed: the same object');

  const edited = shareProgram(before, program([[3, 6], [5]]))!;
  assert.notEqual(edited, before);
  assert.equal(edited.workouts[1], before.workouts[1], 'the other workout is kept');
  assert.equal(edited.workouts[0]!.prescriptions[0], before.workouts[0]!.prescriptions[0], 'the other row is kept');
  assert.notEqual(edited.workouts[0]!.prescriptions[1], before.workouts[0]!.prescriptions[1]);
  assert.equal(edited.workouts[0]!.prescriptions[1]!.sets, 6, 'the edited row has the new value');

  const renamed = shareProgram(before, program([[3, 4], [5]], 'Block 2'))!;
  assert.equal(renamed.name, 'Block 2');
  assert.equal(renamed.workouts, before.workouts, 'a rename keeps the workouts');

  const removed = shareProgram(before, program([[3, 4]]))!;
  assert.equal(removed.workouts.length, 1);
  assert.equal(removed.workouts[0], before.workouts[0]);
  assert.deepEqual(shareProgram(before, program([[3], [5]]))!.workouts[0]!.prescriptions.map((r) => r.id), ['r0-0'], 'a deleted row is gone');
});

test('sameData compares plain data deeply; exercise lists are kept when equal', () => {
  assert.ok(sameData({ a: [1, { b: null }] }, { a: [1, { b: null }] }));
  assert.ok(!sameData({ a: [1, 2] }, { a: [1, 2, 3] }));
  assert.ok(!sameData({ a: undefined }, { b: undefined }));
  assert.ok(!sameData([], {}));
  const list = [{ id: 'e1', name: 'Squat' }] as never[];
  assert.equal(shareExercises(list, [{ id: 'e1', name: 'Squat' }] as never[]), list);
  assert.notEqual(shareExercises(list, [{ id: 'e1', name: 'Front squat' }] as never[]), list);
});
