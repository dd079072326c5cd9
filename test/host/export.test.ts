// Export and import, pure: the printable program's HTML (escaping, loads resolved, names, pages)
// and CSV (quoting, the formula guard, parsing, per-row errors, the size limit).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csvField, guardCell, parseCsv, toCsv, unguardCell } from '../../main/host/csv.ts';
import { fileNameOf, MAX_IMPORT_BYTES, parseProgramCsv, PROGRAM_COLUMNS, programCsv } from '../../main/host/program-csv.ts';
import { cssString, escapeHtml, programPrintHtml } from '../../main/host/program-print.ts';
import type { Exercise, Prescription, ProgramDetail } from '../../preload/api.ts';

const rx = (over: Partial<Prescription>): Prescription => ({
  id: 'rx',
  workoutId: 'w',
  exerciseId: 'ex-squat',
  exerciseName: 'Back squat',
  position: 1,
  group: null,
  sets: 5,
  reps: '5',
  kind: 'reps',
  load: 100,
  loadUnit: 'kg',
  rpe: null,
  restSec: null,
  tempo: null,
  notes: null,
  scheme: null,
  percentOf: null,
  pending: false,
  ...over,
});

function program(): ProgramDetail {
  return {
    id: 'p1',
    name: 'Block <1> & "friends"',
    traineeId: 't1',
    traineeName: 'Ben O\'Brien',
    startDate: '2026-03-02',
    weeks: 2,
    isTemplate: false,
    notes: 'Deload if <b>tired</b>',
    workouts: [
      {
        id: 'w1',
        week: 1,
        day: 1,
        title: 'Lower A',
        notes: 'Warm up well',
        pending: false,
        prescriptions: [
          rx({ id: 'a', percentOf: { kind: '1rm', value: 150, unit: 'kg', date: '2026-02-01' }, load: 80, loadUnit: '%1rm', rpe: 8, notes: '=HYPERLINK("http://evil")' }),
          rx({ id: 'b', exerciseId: 'ex-rdl', exerciseName: 'Romanian deadlift', position: 2, sets: 3, reps: '8-10', load: 225, loadUnit: 'lb', restSec: 120, tempo: '3-1-1', notes: 'Slow, "controlled"\nline two' }),
        ],
      },
      { id: 'w2', week: 1, day: 4, title: 'Upper A', notes: null, pending: false, prescriptions: [rx({ id: 'c', exerciseId: 'ex-bench', exerciseName: 'Bench press', reps: 'AMRAP', load: 75, loadUnit: '%1rm', scheme: [{ part: 'top', sets: 1, reps: '3', rpe: 8 }, { part: 'backoff', sets: 3, reps: '5', load: 90, loadUnit: '%top' }] })] },
      { id: 'w3', week: 2, day: 1, title: 'Plank day', notes: null, pending: false, prescriptions: [rx({ id: 'd', exerciseId: 'ex-plank', exerciseName: 'Plank', sets: 3, reps: '30', kind: 'time', load: null, loadUnit: null, group: 'A1' })] },
    ],
  };
}

const settings = { units: 'kg' as const, plateIncrement: 2.5, weekStartsOn: 1 };
const library: Exercise[] = [
  { id: 'ex-squat', name: 'Back squat', category: null, videoUrl: null },
  { id: 'ex-rdl', name: 'Romanian deadlift', category: null, videoUrl: null },
  { id: 'ex-bench', name: 'Bench press', category: null, videoUrl: null },
];

describe('the printable program', () => {
  const html = programPrintHtml(program(), { coachName: 'Ana </style><script>x()</script>', clientName: "Ben O'Brien", settings, today: '2026-02-20' });

  test('escapes everything from the coach\'s data, in the text and in the page boxes', () => {
    assert.match(html, /<h1>Block &lt;1&gt; &amp; &quot;friends&quot;<\/h1>/);
    assert.match(html, /Deload if &lt;b&gt;tired&lt;\/b&gt;/);
    assert.doesNotMatch(html, /<script/i);
    assert.equal(html.match(/<\/style>/g)?.length, 1, 'no name can close the stylesheet');
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(cssString('a"b\\c</style>'), '"a\\22 b\\5c c\\3c /style\\3e "');
  });

  test('resolves %1RM loads to the client\'s kilograms, converts lb, keeps the percentage beside it', () => {
    assert.match(html, /120 kg<span class="detail">80% 1RM of 1RM 150 kg<\/span>/);
    assert.match(html, /102 kg/, '225 lb shown as kg (rounded to 0.5)');
    assert.match(html, /75% 1RM/, 'a %1RM with no max stays a percentage');
    assert.match(html, /Top set 1×3 @ RPE 8 · Back-off 3×5 @ 90% of top/);
    assert.match(html, /3 × 30 s/);
    assert.match(html, /2:00/, 'rest');
  });

  test('names the client and the coach, pages by week, keeps a workout on one page, numbers the pages', () => {
    assert.match(html, /<dt>Client<\/dt><dd>Ben O&#39;Brien<\/dd>/);
    assert.match(html, /<dt>Coach<\/dt><dd>Ana &lt;\/style&gt;/);
    assert.match(html, /<dt>Starts<\/dt><dd>2 Mar 2026<\/dd>/);
    assert.equal(html.match(/<section class="week/g)?.length, 2);
    assert.equal(html.match(/<section class="workout">/g)?.length, 3);
    assert.match(html, /Mon 2 Mar<\/span><span class="title">Lower A/);
    assert.match(html, />Thu 5 Mar</);
    assert.match(html, /@page \{\s+size: A4;/);
    assert.match(html, /@bottom-right \{ content: "Page " counter\(page\) " of " counter\(pages\); font-family/);
    assert.match(html, /\.workout \{ break-inside: avoid;/);
    assert.match(html, /\.week \{ break-before: page; \}/);
    assert.match(html, /@top-left \{ content: "Block \\3c 1\\3e  \\26  \\22 friends\\22 "; font-family/);
  });

  test('a template says so; an empty week says it is empty', () => {
    const t = { ...program(), traineeId: null, traineeName: null, isTemplate: true, weeks: 3 };
    const out = programPrintHtml(t, { coachName: null, clientName: null, settings, today: '2026-02-20' });
    assert.match(out, /<dt>Template<\/dt><dd>not assigned<\/dd>/);
    assert.match(out, /No workouts this week\./);
    assert.doesNotMatch(out, /<dt>Coach<\/dt>/);
  });
});

describe('CSV', () => {
  test('quotes as RFC 4180 says, and guards formulas as OWASP recommends', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('=SUM(A1)'), "'=SUM(A1)");
    assert.equal(csvField('+1'), "'+1");
    assert.equal(csvField('-5 kg'), "'-5 kg");
    assert.equal(csvField('@cmd'), "'@cmd");
    assert.equal(csvField('=1,2'), `"'=1,2"`);
    assert.equal(csvField(-5), '-5', 'our own numbers are not guarded');
    assert.equal(guardCell('\tx'), "'\tx");
    assert.equal(unguardCell("'=SUM(A1)"), '=SUM(A1)');
    assert.equal(unguardCell("'quoted"), "'quoted", 'an apostrophe before anything else is the coach\'s');
    const file = toCsv(['a', 'b'], [['x', 1]]);
    assert.ok(file.startsWith('\uFEFFa,b\r\n'));
    assert.deepEqual(parseCsv(file), [['a', 'b'], ['x', '1']]);
    assert.deepEqual(parseCsv('a,"b\r\nc",""\nd,,'), [['a', 'b\r\nc', ''], ['d', '', '']]);
    assert.throws(() => parseCsv('a,"open\n'), /row 1: a quoted field is never closed/);
  });

  test('a program exports and imports back the same', () => {
    const csv = programCsv(program());
    const lines = csv.split('\r\n');
    assert.equal(lines[0], `\uFEFF${PROGRAM_COLUMNS.join(',')}`);
    assert.match(csv, /,"'=HYPERLINK\(""http:\/\/evil""\)",/, 'the formula is guarded, then quoted');
    const parsed = parseProgramCsv(csv, library);
    assert.equal(parsed.preview.ok, true, JSON.stringify(parsed.preview.errors));
    assert.deepEqual(parsed.preview.newExercises, ['Plank']);
    assert.equal(parsed.preview.weeks, 2);
    assert.equal(parsed.preview.workouts, 3);
    assert.equal(parsed.preview.prescriptions, 4);
    const back = parsed.workouts.map((w) => ({ week: w.week, day: w.day, title: w.title, notes: w.notes, rows: w.prescriptions.map((p) => ({ name: p.exerciseName, ...p.fields })) }));
    const original = program().workouts.map((w) => ({
      week: w.week,
      day: w.day,
      title: w.title,
      notes: w.notes,
      rows: w.prescriptions.map((p) => {
        const f: Record<string, unknown> = { name: p.exerciseName, sets: p.sets, reps: p.reps };
        if (p.kind !== 'reps') f.kind = p.kind;
        if (p.load !== null) Object.assign(f, { load: p.load, loadUnit: p.loadUnit });
        if (p.rpe !== null) f.rpe = p.rpe;
        if (p.restSec !== null) f.restSec = p.restSec;
        if (p.tempo) f.tempo = p.tempo;
        if (p.group) f.group = p.group;
        if (p.notes) f.notes = p.notes;
        if (p.scheme) f.scheme = p.scheme;
        return f;
      }),
    }));
    assert.deepEqual(back, original);
  });

  test('names every bad cell by row and column, and accepts nothing then', () => {
    const csv = ['week,day,workout,exercise,sets,reps,load,unit,RPE', '1,Mon,A,Back squat,5,5,100,kg,8', '1,1,A,Back squat,five,5,,,', '0,8,A,Bench press,3,10-8,100,,11', '1,1,A,,3,,,,', '', '2,Tue,"B ""x""",New lift,3,AMRAP,50,%,'].join('\n');
    const { preview, workouts } = parseProgramCsv(csv, library);
    assert.equal(preview.ok, false);
    assert.deepEqual(workouts, []);
    const messages = preview.errors.map((e) => e.message);
    assert.deepEqual(messages, [
      "row 3, column sets: 'five' is not a whole number",
      "row 4, column week: '0' must be at least 1",
      "row 4, column day: '8' is not a day (1 to 7, or Mon to Sun)",
      "row 4, column reps: '10-8': a range must go from low to high",
      'row 4, column unit: is empty: a load needs its unit (kg, lb or %1RM)',
      "row 4, column RPE: '11' must be at most 10",
      'row 5, column exercise: is empty, but the row has sets: name the exercise',
    ]);
    assert.equal(preview.errors[0]!.row, 3);
    assert.equal(preview.errors[0]!.column, 'sets');
  });

  test('missing columns, an empty file and a broken quote are one clear error each', () => {
    assert.match(parseProgramCsv('week,day,exercise\n1,1,Squat', library).preview.errors[0]!.message, /row 1: the columns workout, sets, reps are missing/);
    assert.match(parseProgramCsv('', library).preview.errors[0]!.message, /the file is empty/);
    assert.match(parseProgramCsv('week,day,workout,exercise,sets,reps\n1,1,"A,Squat,5,5\n', library).preview.errors[0]!.message, /row 2: a quoted field is never closed/);
    assert.match(parseProgramCsv(PROGRAM_COLUMNS.join(','), library).preview.errors[0]!.message, /no workouts/);
  });

  test('a file over the limit is refused, saying how big it is and what the limit is', () => {
    const big = `${PROGRAM_COLUMNS.join(',')}\n${'1,1,A,Back squat,5,5,,,,,,,,,'.concat('x'.repeat(200), '\n').repeat(Math.ceil(MAX_IMPORT_BYTES / 200) + 10)}`;
    const { preview } = parseProgramCsv(big, library);
    assert.equal(preview.ok, false);
    assert.match(preview.errors[0]!.message, /^the file is \d+ KB; CoachDesk imports CSV files of at most 400 KB/);
  });

  test('file names are the program\'s, made safe', () => {
    assert.equal(fileNameOf('Block 1 / Ben: "heavy"?', 'pdf'), 'Block 1 Ben heavy .pdf'.replace(' .', '.'));
    assert.equal(fileNameOf('..\u0000', 'csv'), 'program.csv');
    assert.equal(fileNameOf('Élan · 4 weeks', 'pdf'), 'Élan · 4 weeks.pdf');
  });
});
