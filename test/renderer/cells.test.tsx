import './setup.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseLoad, parseQuickEntry, parseReps, parseRest, parseRpe, parseSets } from '../../renderer/lib/cells.ts';
import { formatAge, formatPrescription, formatSet, nextMonday, plannedDate } from '../../renderer/lib/format.ts';
import { suggest } from '../../renderer/screens/builder/ExerciseCombo.tsx';

const value = <T,>(r: { ok: true; value: T } | { ok: false; error: string }) => (r.ok ? r.value : `error: ${r.error}`);

describe('cell parsers', () => {
  it('reps: a number, a low-high range, or AMRAP', () => {
    assert.equal(value(parseReps('5')), '5');
    assert.equal(value(parseReps(' 8 - 10 ')), '8-10');
    assert.equal(value(parseReps('8–10')), '8-10');
    assert.equal(value(parseReps('amrap')), 'AMRAP');
    assert.equal(value(parseReps('05')), '5');
    for (const bad of ['', 'five', '5x5', '10-8', '1000', '5-']) assert.equal(parseReps(bad).ok, false, bad);
  });

  it('sets, load, RPE and rest', () => {
    assert.equal(value(parseSets('3')), 3);
    for (const bad of ['0', '101', '2.5', 'x']) assert.equal(parseSets(bad).ok, false, bad);
    assert.equal(value(parseLoad('102,5')), 102.5);
    assert.equal(value(parseLoad('')), null);
    assert.equal(parseLoad('heavy').ok, false);
    assert.equal(value(parseRpe('@8.5')), 8.5);
    assert.equal(parseRpe('11').ok, false);
    assert.equal(value(parseRest('90')), 90);
    assert.equal(value(parseRest('2:30')), 150);
    assert.equal(value(parseRest('3m')), 180);
    assert.equal(value(parseRest('')), null);
    assert.equal(parseRest('7200').ok, false);
  });

  it('quick entry: a name with an optional scheme', () => {
    assert.deepEqual(parseQuickEntry('Back squat 5x5 @ 100kg'), { name: 'Back squat', rx: { sets: 5, reps: '5', load: 100, loadUnit: 'kg' } });
    assert.deepEqual(parseQuickEntry('Bench press 3×8-10 @ 75%'), { name: 'Bench press', rx: { sets: 3, reps: '8-10', load: 75, loadUnit: '%1rm' } });
    assert.deepEqual(parseQuickEntry('Pull-up 3xAMRAP'), { name: 'Pull-up', rx: { sets: 3, reps: 'AMRAP' } });
    assert.deepEqual(parseQuickEntry('Deadlift 1x5 @ 315 lb'), { name: 'Deadlift', rx: { sets: 1, reps: '5', load: 315, loadUnit: 'lb' } });
    assert.deepEqual(parseQuickEntry('Romanian deadlift'), { name: 'Romanian deadlift', rx: {} });
  });
});

describe('formatting', () => {
  it('prescribed and logged', () => {
    assert.equal(formatPrescription({ sets: 5, reps: '5', load: 100, loadUnit: 'kg' }), '5×5 @ 100 kg');
    assert.equal(formatPrescription({ sets: 3, reps: 'AMRAP', load: null, loadUnit: null }), '3×AMRAP');
    assert.equal(formatPrescription({ sets: 4, reps: '6', load: 72.5, loadUnit: '%1rm' }), '4×6 @ 72.5% 1RM');
    const set = { id: 's', prescriptionId: null, exerciseId: 'e', exerciseName: 'Back squat', setIndex: 0, reps: 5, load: 100, loadUnit: 'kg', rpe: null, done: true, targetReps: null, targetLoad: null };
    assert.equal(formatSet(set, 1), 'set 1: 5 @ 100 kg');
  });

  it('dates and ages', () => {
    assert.equal(plannedDate('2025-11-17', 2, 3), '2025-11-26');
    assert.equal(plannedDate(null, 1, 1), null);
    assert.equal(nextMonday(new Date(2025, 10, 19)), '2025-11-24');
    assert.equal(nextMonday(new Date(2025, 10, 24)), '2025-11-24');
    const now = Date.parse('2025-11-24T14:00:00Z');
    assert.equal(formatAge('2025-11-24T13:59:40Z', now), 'just now');
    assert.equal(formatAge('2025-11-24T13:56:00Z', now), '4 min ago');
    assert.equal(formatAge('2025-11-24T11:00:00Z', now), '3 h ago');
  });
});

describe('exercise suggestions', () => {
  const library = ['Back squat', 'Bench press', 'Front squat', 'Split squat'].map((name, i) => ({ id: `e${i}`, name, category: null, videoUrl: null }));
  it('puts prefix matches first and offers to create an unknown name', () => {
    const names = (q: string) => suggest(library, q).map((o) => (o.kind === 'exercise' ? o.exercise.name : `create ${o.name}`));
    assert.deepEqual(names('squat'), ['Back squat', 'Front squat', 'Split squat', 'create squat']);
    assert.deepEqual(names('sp'), ['Split squat', 'create sp']);
    assert.deepEqual(names('bench press'), ['Bench press'], 'an exact name offers no Create');
    assert.deepEqual(names('Sled push'), ['create Sled push']);
    assert.deepEqual(names('  '), []);
  });
});

describe('index.html', () => {
  it('loads app.css and app.js under a strict CSP, with nothing inline', () => {
    const html = readFileSync('renderer/index.html', 'utf8');
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    assert.equal(csp, "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws://127.0.0.1:*; img-src 'self' data:; object-src 'none'; base-uri 'none'");
    assert.match(html, /<link rel="stylesheet" href="app.css" \/>/);
    assert.match(html, /<script src="app.js" defer><\/script>/);
    assert.match(html, /<div id="root"><\/div>/);
    assert.doesNotMatch(html, /<style|<script>|style="/);
  });
});
