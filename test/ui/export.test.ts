// Programs on paper and in CSV, in Chromium against a real sync server, host and web shell: the
// builder's "Export PDF" downloads a PDF (made by the host with headless Chromium) whose text
// holds the program, its exercises and the client's name; page 1 becomes the README's
// screenshot; "Export CSV" downloads the header row and the rows; "Print" prints from a hidden
// frame within the page's CSP; and the CSV imports back as a new program after a preview.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { scenario } from './scenario.ts';
import { closeDesk, findChromium, openDesk, SCREENSHOTS, type Desk, type Stack } from './support.ts';

const browser = findChromium();
const skip = 'skip' in browser ? browser.skip : undefined;
const ACTION_MS = 15_000;

describe('exporting a program, in Chromium', () => {
  let desk: Desk | undefined;
  let dir = '';
  let stack: Stack | undefined;
  let page: Page;
  let cspViolations: string[] = [];
  let programId = '';
  let csvFile = '';

  before(
    async () => {
      if (skip) return;
      desk = await openDesk((browser as { path: string }).path, { name: 'export', actionMs: ACTION_MS });
      ({ dir, stack, page, cspViolations } = desk);
    },
    { timeout: 90_000 },
  );

  after(
    async () => {
      await closeDesk(desk);
    },
    { timeout: 30_000 },
  );

  const step = scenario(skip);

  step('1. signs in; a program for Ben Okafor is opened in the builder', 40_000, async () => {
    await page.goto(stack!.url);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Server URL').fill(stack!.serverUrl);
    await form.getByLabel('Token').fill(stack!.coach.token);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    const host = stack!.host;
    await host.updateSettings({ displayName: 'Ana Coach' });
    const ben = await host.saveTrainee({ name: 'Ben Okafor' });
    await host.saveTrainee({ name: 'Chloe Park' });
    const ex = async (name: string, category: string) => (await host.createExercise({ name, category })).id;
    const [squat, bench, rdl, row, press, chin] = [await ex('Back squat', 'squat'), await ex('Bench press', 'push'), await ex('Romanian deadlift', 'hinge'), await ex('Barbell row', 'pull'), await ex('Overhead press', 'push'), await ex('Chin-up', 'pull')];
    await host.saveMax({ traineeId: ben, exerciseId: squat, kind: '1rm', value: 160, unit: 'kg', date: '2026-02-01' });
    await host.saveMax({ traineeId: ben, exerciseId: bench, kind: 'tm', value: 110, unit: 'kg', date: '2026-02-01' });
    programId = await host.createProgram({ name: 'Hypertrophy block 1', weeks: 2, traineeId: ben, startDate: '2026-03-02' });
    await host.updateProgram(programId, { notes: 'Leave 1–2 reps in the tank on every set unless marked AMRAP. Log every set in the app.' });
    for (const week of [1, 2]) {
      const lower = await host.addWorkout(programId, week, 1, 'Lower A');
      await host.updateWorkout(lower, { notes: '10 min bike, then hip and ankle mobility.' });
      await host.addPrescription(lower, { exerciseId: squat, sets: 4, reps: '6', load: 70 + week * 2.5, loadUnit: '%1rm', rpe: 7, restSec: 180, notes: 'Pause 1 s at the bottom' });
      await host.addPrescription(lower, { exerciseId: rdl, sets: 3, reps: '8-10', load: 100, loadUnit: 'kg', restSec: 120, tempo: '3-1-1' });
      const upper = await host.addWorkout(programId, week, 3, 'Upper A');
      await host.addPrescription(upper, { exerciseId: bench, sets: 4, reps: '8', load: 70 + week * 2.5, loadUnit: '%1rm', rpe: 7.5, restSec: 150 });
      await host.addPrescription(upper, { exerciseId: row, sets: 4, reps: '10', load: 70, loadUnit: 'kg', restSec: 90 });
      await host.addPrescription(upper, { exerciseId: chin, sets: 3, reps: 'AMRAP', notes: 'Stop 1 rep short of failure' });
      const full = await host.addWorkout(programId, week, 5, 'Full body');
      await host.addPrescription(full, { exerciseId: press, sets: 3, reps: '8', load: 45, loadUnit: 'kg', rpe: 8 });
      await host.addPrescription(full, { exerciseId: squat, sets: 3, reps: '10', load: 60, loadUnit: '%1rm', scheme: [{ part: 'top', sets: 1, reps: '10', rpe: 8 }, { part: 'backoff', sets: 2, reps: '10', load: 90, loadUnit: '%top' }] });
    }
    await page.goto(`${stack!.url}#/programs/${programId}`);
    await page.getByRole('main', { name: 'Program Hypertrophy block 1' }).waitFor();
    await page.getByRole('group', { name: 'Export' }).getByRole('button', { name: 'Export PDF' }).waitFor();
  });

  step('2. "Export PDF" downloads the program as a PDF: its name, exercises, client, loads, pages; page 1 is the screenshot', 60_000, async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 45_000 }), page.getByRole('button', { name: 'Export PDF' }).click()]);
    assert.equal(download.suggestedFilename(), 'Hypertrophy block 1.pdf');
    const file = join(dir, 'program.pdf');
    await download.saveAs(file);
    assert.equal(readFileSync(file).subarray(0, 5).toString('latin1'), '%PDF-');
    const text = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    if (text.error) {
      if (process.env.CI) throw new Error('the PDF test needs pdftotext in CI (apt-get install -y poppler-utils)');
      console.error('*** pdftotext is missing (apt-get install -y poppler-utils): the PDF\'s text is not checked ***');
      return;
    }
    for (const words of ['Hypertrophy block 1', 'Ben Okafor', 'Ana Coach', 'Back squat', 'Romanian deadlift', 'Bench press', 'Barbell row', 'Chin-up', 'Overhead press', 'Week 1', 'Week 2', '115 kg', 'Page 1 of 2', 'Page 2 of 2']) {
      assert.ok(text.stdout.includes(words), `"${words}" in the PDF:\n${text.stdout}`);
    }
    const png = spawnSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', file, join(SCREENSHOTS, 'program-pdf')], { encoding: 'utf8' });
    assert.equal(png.status, 0, png.stderr);
    assert.ok(existsSync(join(SCREENSHOTS, 'program-pdf.png')));
  });

  step('3. "Export CSV" downloads the prescriptions with the header row', 30_000, async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.equal(download.suggestedFilename(), 'Hypertrophy block 1.csv');
    csvFile = join(dir, 'program.csv');
    await download.saveAs(csvFile);
    const lines = readFileSync(csvFile, 'utf8').split('\r\n');
    assert.equal(lines[0], '\uFEFFweek,day,workout,exercise,order,sets,reps,kind,load,unit,RPE,rest s,tempo,group,notes,workout notes,scheme');
    assert.equal(lines[1], '1,1,Lower A,Back squat,1,4,6,,72.5,%1rm,7,180,,,Pause 1 s at the bottom,"10 min bike, then hip and ankle mobility.",');
    assert.equal(lines.filter(Boolean).length, 15);
  });

  step('4. "Print" prints the same document from a hidden frame, within the page\'s CSP', 30_000, async () => {
    await page.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      const observer = new MutationObserver(() => {
        const frame = document.querySelector<HTMLIFrameElement>('iframe[title="Print"]');
        if (frame?.contentWindow) frame.contentWindow.print = () => void ((window as unknown as { printed: number }).printed += 1);
      });
      observer.observe(document.body, { childList: true });
    });
    await page.getByRole('button', { name: 'Print' }).click();
    const frame = page.frameLocator('iframe[title="Print"]');
    await frame.getByRole('heading', { name: 'Hypertrophy block 1', level: 1 }).waitFor({ state: 'attached' });
    await page.waitForFunction(() => (window as unknown as { printed: number }).printed === 1);
    const styled = await page.evaluate(() => {
      const doc = document.querySelector<HTMLIFrameElement>('iframe[title="Print"]')!.contentDocument!;
      return { sheets: doc.adoptedStyleSheets.length, h1: getComputedStyle(doc.querySelector('h1')!).fontSize };
    });
    assert.equal(styled.sheets, 1);
    assert.match(styled.h1, /^26\.66\d*px$/, 'the print stylesheet applies: 20pt');
    assert.deepEqual(cspViolations, []);
  });

  step('5. Programs → "Import CSV…" previews the file, then makes it a new program for Chloe', 40_000, async () => {
    await page.goto(`${stack!.url}#/programs`);
    await page.getByRole('button', { name: 'Import CSV…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a program from CSV' });
    await dialog.getByLabel('CSV file').setInputFiles(csvFile);
    const preview = dialog.getByLabel('Preview');
    await preview.getByText('14 rows read: 2 weeks, 6 training days, 6 workouts, 14 exercise rows of 6 exercises.').waitFor();
    await dialog.getByLabel('Program name').fill('Hypertrophy block 1 · Chloe');
    await dialog.getByLabel('For').selectOption({ label: 'Chloe Park' });
    await dialog.getByRole('button', { name: 'Import program' }).click();
    await page.getByRole('main', { name: 'Program Hypertrophy block 1 · Chloe' }).waitFor();
    const programs = await stack!.host.getPrograms();
    const copy = programs.find((p) => p.name === 'Hypertrophy block 1 · Chloe')!;
    assert.equal(copy.traineeName, 'Chloe Park');
    assert.equal((await stack!.host.getProgram(copy.id))!.workouts.reduce((n, w) => n + w.prescriptions.length, 0), 14);
    assert.equal((await stack!.host.getUndoState()).undo, 'Import program Hypertrophy block 1 · Chloe');
    assert.deepEqual(cspViolations, []);
  });
});
