import './setup.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAmount, parseLoadWithUnit, parseReps, parseRest, parseRpe, parseSets } from '../../renderer/lib/cells.ts';
import { parseFastEntry, parseSchemeLine, schemeText } from '../../renderer/lib/fast-entry.ts';
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
    for (const bad of ['', 'five', '5x5', '10-8', '1000', '5-', '0', '0-5']) assert.equal(parseReps(bad).ok, false, bad);
    assert.equal(value(parseReps('0')), 'error: Reps must be at least 1');
    assert.equal(value(parseReps('10-8')), 'error: A rep range goes from low to high, e.g. 8-10');
  });

  it('the Reps cell also takes seconds and metres', () => {
    assert.deepEqual(value(parseAmount('30s')), { reps: '30', kind: 'time' });
    assert.deepEqual(value(parseAmount('30-45 sec')), { reps: '30-45', kind: 'time' });
    assert.deepEqual(value(parseAmount('40m')), { reps: '40', kind: 'distance' });
    assert.deepEqual(value(parseAmount('amrap')), { reps: 'AMRAP', kind: 'reps' });
    assert.equal(parseAmount('0s').ok, false);
  });

  it('sets, load, RPE and rest', () => {
    assert.equal(value(parseSets('3')), 3);
    for (const bad of ['0', '101', '2.5', 'x', '-3']) assert.equal(parseSets(bad).ok, false, bad);
    assert.equal(value(parseSets('0')), 'error: Sets must be at least 1');
    assert.equal(value(parseSets('101')), 'error: Sets must be at most 100');
    assert.deepEqual(value(parseLoadWithUnit('102,5')), { load: 102.5, unit: null });
    assert.deepEqual(value(parseLoadWithUnit('')), { load: null, unit: null });
    assert.equal(parseLoadWithUnit('heavy').ok, false);
    assert.equal(value(parseLoadWithUnit('10001')), 'error: Load must be at most 10000');
    assert.deepEqual(value(parseLoadWithUnit('225 lb')), { load: 225, unit: 'lb' });
    assert.deepEqual(value(parseLoadWithUnit('75%')), { load: 75, unit: '%1rm' });
    assert.equal(value(parseLoadWithUnit('-5')), 'error: Load must be at least 0');
    assert.equal(value(parseRpe('@8.5')), 8.5);
    assert.equal(parseRpe('11').ok, false);
    assert.equal(value(parseRest('90')), 90);
    assert.equal(value(parseRest('2:30')), 150);
    assert.equal(value(parseRest('3m')), 180);
    assert.equal(value(parseRest('')), null);
    assert.equal(parseRest('7200').ok, false);
  });

  it('fast entry: a name with an optional scheme, read exactly as typed', () => {
    const read = (t: string) => {
      const r = parseFastEntry(t);
      return r.ok ? { name: r.name, rx: r.rx } : `error: ${r.error}`;
    };
    assert.deepEqual(read('Back squat 5x5 @ 100kg'), { name: 'Back squat', rx: { sets: 5, reps: '5', load: 100, loadUnit: 'kg' } });
    assert.deepEqual(read('Bench press 3×8-10 @ 75%'), { name: 'Bench press', rx: { sets: 3, reps: '8-10', load: 75, loadUnit: '%1rm' } });
    assert.deepEqual(read('Pull-up 3xAMRAP'), { name: 'Pull-up', rx: { sets: 3, reps: 'AMRAP' } });
    assert.deepEqual(read('Deadlift 1x5 @ 315 lb'), { name: 'Deadlift', rx: { sets: 1, reps: '5', load: 315, loadUnit: 'lb' } });
    assert.deepEqual(read('Romanian deadlift'), { name: 'Romanian deadlift', rx: {} });
    assert.deepEqual(read('Back squat 5x5 @ 100kg @RPE8'), { name: 'Back squat', rx: { sets: 5, reps: '5', load: 100, loadUnit: 'kg', rpe: 8 } });
    assert.deepEqual(read('Back squat 5x5 @8.5'), { name: 'Back squat', rx: { sets: 5, reps: '5', rpe: 8.5 } });
    assert.deepEqual(read('Plank 3x30s'), { name: 'Plank', rx: { sets: 3, reps: '30', kind: 'time' } });
    assert.deepEqual(read('Farmer carry 4x40m'), { name: 'Farmer carry', rx: { sets: 4, reps: '40', kind: 'distance' } });
  });

  it('fast entry: what it cannot read is an error that says why, never another value', () => {
    const error = (t: string) => {
      const r = parseFastEntry(t);
      return r.ok ? `read as ${JSON.stringify(r)}` : r.error;
    };
    // The first session's cases: each once became 3×5 or a strange exercise name.
    assert.equal(error('Deadlift 0x5'), 'Sets must be at least 1');
    assert.match(error('200x5'), /^Type the exercise's name first/);
    assert.equal(error('Squat 3x10-8'), 'A rep range goes from low to high, e.g. 8-10');
    assert.equal(error('Deadlift -3x5'), 'Sets must be at least 1');
    assert.equal(error('Curl 3x10 @ 99999kg'), 'Load must be at most 10000');
    assert.match(error('Squat 5x5 @ 100'), /reads as an RPE, which must be between 1 and 10; for a load add its unit: @100kg/);
    assert.match(error('Squat 5x5 heavy'), /^Could not read "heavy"/);
    assert.equal(error('Squat 3x0'), 'Reps must be at least 1');
    assert.match(error('x'.repeat(300)), /at most 200 characters/);
    assert.match(error('x'.repeat(5_000_000)), /^That is 5,000,000 characters/);
  });

  it('scheme lines: warm-ups, top set, back-offs, and back to text', () => {
    const parts = ['Warm-up 2x5 @ 50%', 'Top set 1x3 @RPE8', 'Back-off 3x5 @ 90% top'].map((l) => {
      const r = parseSchemeLine(l);
      assert.ok(r.ok, l);
      return r.part;
    });
    assert.deepEqual(parts, [
      { part: 'warmup', sets: 2, reps: '5', load: 50, loadUnit: '%1rm' },
      { part: 'top', sets: 1, reps: '3', rpe: 8 },
      { part: 'backoff', sets: 3, reps: '5', load: 90, loadUnit: '%top' },
    ]);
    assert.equal(schemeText(parts), 'Warm-up 2x5 @ 50%\nTop set 1x3 @RPE8\nBack-off 3x5 @ 90% top');
    assert.equal(parseSchemeLine('Cooldown 1x5').ok, false);
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
  it('exact name, then names that start with it, then Create, then names that merely contain it', () => {
    const names = (q: string) => suggest(library, q).map((o) => (o.kind === 'exercise' ? o.exercise.name : `create ${o.name}`));
    // "Squat" once became "Back squat" on Enter: Create comes before mere substring matches.
    assert.deepEqual(names('squat'), ['create squat', 'Back squat', 'Front squat', 'Split squat']);
    assert.deepEqual(names('sp'), ['Split squat', 'create sp']);
    assert.deepEqual(names('back sq'), ['Back squat', 'create back sq']);
    assert.deepEqual(names('bench press'), ['Bench press'], 'an exact name offers no Create');
    assert.deepEqual(names('Sled push'), ['create Sled push']);
    assert.deepEqual(names('  '), []);
  });
});

describe('index.html', () => {
  it('loads app.css and app.js under a strict CSP, with nothing inline', () => {
    const html = readFileSync('renderer/index.html', 'utf8');
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    assert.equal(csp, "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; img-src 'self' data:; object-src 'none'; base-uri 'none'");
    assert.match(html, /<link rel="stylesheet" href="app.css" \/>/);
    assert.match(html, /<script src="app.js" defer><\/script>/);
    assert.match(html, /<div id="root"><\/div>/);
    assert.doesNotMatch(html, /<style|<script>|style="/);
  });
});
