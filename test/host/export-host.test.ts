// Export and import through the host, on real SQLite files and a real sync server: CSV of a
// program and of logged sets, the import as one undoable step (and nothing written when a row is
// wrong), the PDF through the machine's headless Chromium, and the calls at the API boundary.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callHost } from '../../main/host/api-boundary.ts';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { chromiumPdfArgs, chromiumPrinter, findChromium } from '../../main/desktop/pdf-chromium.ts';
import type { ExportFile } from '../../preload/api.ts';
import { id, startServer, tempDir, type TestServer } from '../helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let srv: TestServer;
let host: CoachDeskHost;
let programId: string;
let benId: string;

const text = (file: ExportFile) => Buffer.from(file.base64, 'base64').toString('utf8');

before(async () => {
  tmp = tempDir('coachdesk-export-');
  srv = await startServer(tmp.dir);
  const coach = srv.addCoach('Ana');
  host = new CoachDeskHost(join(tmp.dir, 'desk'), fileModeVault);
  host.start();
  const signed = await host.signIn(srv.url, coach.token);
  assert.ok(signed.ok);
  await host.updateSettings({ displayName: 'Ana Coach' });
  benId = await host.saveTrainee({ name: 'Ben Hart' });
  const squat = await host.createExercise({ name: 'Back squat' });
  const bench = await host.createExercise({ name: 'Bench press' });
  await host.saveMax({ traineeId: benId, exerciseId: squat.id, kind: '1rm', value: 140, unit: 'kg', date: '2026-01-01' });
  programId = await host.createProgram({ name: 'Spring block', weeks: 2, traineeId: benId, startDate: '2026-03-02' });
  const lower = await host.addWorkout(programId, 1, 1, 'Lower');
  await host.addPrescription(lower, { exerciseId: squat.id, sets: 5, reps: '5', load: 75, loadUnit: '%1rm', rpe: 7.5, notes: '=cmd|"/c calc"!A1' });
  await host.addPrescription(lower, { exerciseId: bench.id, sets: 3, reps: '8-10', load: 60, loadUnit: 'kg', restSec: 90 });
  await host.addWorkout(programId, 2, 3, 'Upper, light');
  const sessionId = id();
  (host as unknown as { edit: (e: unknown[], label: string) => void }).edit(
    [
      { entity: 'session', id: sessionId, action: 'put', fields: { traineeId: benId, workoutId: lower, date: '2026-03-02', status: 'completed' } },
      { entity: 'set_log', id: id(), action: 'put', fields: { sessionId, exerciseId: squat.id, setIndex: 0, reps: 5, load: 105, loadUnit: 'kg', rpe: 7, done: true, targetReps: '5', targetLoad: 105, note: 'felt, "easy"' } },
      { entity: 'set_log', id: id(), action: 'put', fields: { sessionId, exerciseId: squat.id, setIndex: 1, reps: 4, load: 105, loadUnit: 'kg', done: true, note: '-1 rep' } },
      { entity: 'set_log', id: id(), action: 'put', fields: { sessionId, exerciseId: squat.id, setIndex: 2, reps: 5, load: 105, loadUnit: 'kg', done: false } },
    ],
    'log',
  );
});

after(async () => {
  await host.close();
  await srv.close();
  tmp.cleanup();
});

describe('CSV export', () => {
  test('a program: header row, BOM, one row per prescription, formulas guarded', async () => {
    const file = await host.exportProgramCsv(programId);
    assert.equal(file.fileName, 'Spring block.csv');
    assert.equal(file.mimeType, 'text/csv;charset=utf-8');
    const csv = text(file);
    assert.ok(csv.startsWith('\uFEFFweek,day,workout,exercise,order,sets,reps,kind,load,unit,RPE,rest s,tempo,group,notes,workout notes,scheme\r\n'));
    const lines = csv.slice(1).split('\r\n').filter(Boolean);
    assert.equal(lines.length, 4);
    assert.equal(lines[1], `1,1,Lower,Back squat,1,5,5,,75,%1rm,7.5,,,,"'=cmd|""/c calc""!A1",,`);
    assert.equal(lines[2], '1,1,Lower,Bench press,2,3,8-10,,60,kg,,90,,,,,');
    assert.equal(lines[3], '2,3,"Upper, light",,,,,,,,,,,,,,');
  });

  test('a client\'s logged sets: done sets only, numbered per exercise, notes quoted and guarded', async () => {
    const file = await host.exportLoggedSetsCsv(benId);
    assert.equal(file.fileName, 'Ben Hart logged sets.csv');
    const lines = text(file).slice(1).split('\r\n').filter(Boolean);
    assert.deepEqual(lines, [
      'date,exercise,set,reps,load,unit,RPE,note,prescribed reps,prescribed load',
      '2026-03-02,Back squat,1,5,105,kg,7,"felt, ""easy""",5,105',
      "2026-03-02,Back squat,2,4,105,kg,,'-1 rep,,",
    ]);
  });
});

describe('CSV import', () => {
  test('export → import makes the same program for another client, in one undoable step', async () => {
    const chloe = await host.saveTrainee({ name: 'Chloe' });
    const csv = text(await host.exportProgramCsv(programId)).replace('Bench press', 'Floor press');
    const preview = await host.previewProgramImport(csv);
    assert.equal(preview.ok, true, JSON.stringify(preview.errors));
    assert.deepEqual(preview.newExercises, ['Floor press']);
    assert.deepEqual([preview.rows, preview.weeks, preview.days, preview.workouts, preview.prescriptions], [3, 2, 2, 2, 2]);
    const copyId = await host.importProgram(csv, { traineeId: chloe, name: 'Spring block · Chloe', startDate: '2026-04-06' });
    assert.equal((await host.getUndoState()).undo, 'Import program Spring block · Chloe');
    const [a, b] = [await host.getProgram(programId), await host.getProgram(copyId)];
    const shape = (p: typeof a) => p!.workouts.map((w) => [w.week, w.day, w.title, w.notes, w.prescriptions.map((r) => [r.exerciseName, r.sets, r.reps, r.kind, r.load, r.loadUnit, r.rpe, r.restSec, r.notes])]);
    assert.deepEqual(shape(b), JSON.parse(JSON.stringify(shape(a)).replace('Bench press', 'Floor press')));
    assert.equal(b!.traineeName, 'Chloe');
    assert.equal(b!.startDate, '2026-04-06');
    assert.ok((await host.getExercises()).some((e) => e.name === 'Floor press'));

    assert.equal(await host.undo(), 'Import program Spring block · Chloe');
    assert.equal(await host.getProgram(copyId), null, 'undo takes the whole import away');
    assert.ok(!(await host.getExercises()).some((e) => e.name === 'Floor press'), 'and the exercises it made');
    assert.equal(await host.redo(), 'Import program Spring block · Chloe');
    assert.equal((await host.getProgram(copyId))?.workouts.length, 2);
  });

  test('a file with a bad row writes nothing, and says which row and column', async () => {
    const before = (await host.getPrograms()).length;
    const undo = (await host.getUndoState()).undo;
    const csv = 'week,day,workout,exercise,sets,reps\r\n1,1,A,Back squat,5,5\r\n1,1,A,Back squat,3,five\r\n';
    const reply = await callHost(host, 'importProgram', [csv, { traineeId: benId, name: 'Broken' }], () => {});
    assert.deepEqual(reply, { ok: false, error: { code: 'refused', message: "nothing was imported: row 3, column reps: 'five' is not reps: a whole number like 5, a range like 8-10, or AMRAP" } });
    assert.equal((await host.getPrograms()).length, before);
    assert.equal((await host.getUndoState()).undo, undo);
  });

  test('at the boundary: parameters checked, the size limit said in words', async () => {
    const bad = await callHost(host, 'importProgram', ['x', { traineeId: benId, name: '' }], () => {});
    assert.equal(!bad.ok && bad.error.field, 'target.name');
    const big = `week,day,workout,exercise,sets,reps\n${'1,1,A,Back squat,5,5\n'.repeat(25_000)}`;
    const reply = await callHost(host, 'previewProgramImport', [big], () => {});
    assert.ok(reply.ok);
    const preview = reply.value as { ok: boolean; errors: Array<{ message: string }> };
    assert.equal(preview.ok, false);
    assert.match(preview.errors[0]!.message, /^the file is 513 KB; CoachDesk imports CSV files of at most 400 KB/);
    const gone = await callHost(host, 'exportProgramCsv', [id()], () => {});
    assert.deepEqual(gone, { ok: false, error: { code: 'refused', message: 'this program no longer exists' } });
  });
});

describe('PDF', () => {
  test('the host hands the print HTML to its printer and names the file after the program', async () => {
    const seen: string[] = [];
    const saved = host.pdfPrinter;
    host.pdfPrinter = async (html) => {
      seen.push(html);
      return Buffer.from('%PDF-1.7 test');
    };
    try {
      const file = await host.exportProgramPdf(programId);
      assert.deepEqual([file.fileName, file.mimeType, Buffer.from(file.base64, 'base64').toString()], ['Spring block.pdf', 'application/pdf', '%PDF-1.7 test']);
      assert.match(seen[0]!, /<h1>Spring block<\/h1>/);
      assert.match(seen[0]!, /105 kg<span class="detail">75% 1RM of 1RM 140 kg/);
      assert.match(seen[0]!, /<dd>Ana Coach<\/dd>/);
      assert.equal(seen[0], await host.getProgramPrintHtml(programId));
    } finally {
      host.pdfPrinter = saved;
    }
  });

  test('no browser is a clear error for the coach', async () => {
    const saved = host.pdfPrinter;
    host.pdfPrinter = chromiumPrinter({ executable: () => null });
    try {
      const reply = await callHost(host, 'exportProgramPdf', [programId], () => {});
      assert.equal(!reply.ok && reply.error.code, 'refused');
      assert.match(!reply.ok ? reply.error.message : '', /needs Chromium or Google Chrome to make a PDF here, and found neither \(install Chromium, or set CHROMIUM_PATH/);
    } finally {
      host.pdfPrinter = saved;
    }
    assert.equal(findChromium({ CHROMIUM_PATH: '/nowhere/chromium' }), null);
    assert.deepEqual(chromiumPdfArgs('/t/a.html', '/t/a.pdf', '/t/p').slice(-3), ['--print-to-pdf-no-header', '--print-to-pdf=/t/a.pdf', 'file:///t/a.html']);
  });

  const chromium = findChromium();
  test('headless Chromium prints it: a PDF with the program, its exercises and the names, page numbers', { skip: chromium ? false : 'no Chromium on this machine' }, async () => {
    const file = await host.exportProgramPdf(programId);
    const pdf = Buffer.from(file.base64, 'base64');
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'coachdesk-pdftext-'));
    try {
      writeFileSync(join(dir, 'p.pdf'), pdf);
      const out = spawnSync('pdftotext', ['-layout', join(dir, 'p.pdf'), '-'], { encoding: 'utf8' });
      if (out.error) return; // no poppler-utils: the bytes were checked above
      for (const words of ['Spring block', 'Back squat', 'Bench press', 'Ben Hart', 'Ana Coach', 'Page 1 of 2', 'Page 2 of 2', '105 kg']) assert.ok(out.stdout.includes(words), `${words} in the PDF's text:\n${out.stdout}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
