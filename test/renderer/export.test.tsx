import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { seededApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

/** Downloads the page started: the blob link's name, type and text. */
let downloads: Array<{ name: string; type: string; text: Promise<string> }> = [];
const saved = { create: URL.createObjectURL, revoke: URL.revokeObjectURL, click: HTMLAnchorElement.prototype.click };

beforeEach(() => {
  downloads = [];
  const blobs = new Map<string, Blob>();
  URL.createObjectURL = (blob: Blob) => {
    const url = `blob:test/${blobs.size}`;
    blobs.set(url, blob);
    return url;
  };
  URL.revokeObjectURL = () => {};
  HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
    const blob = blobs.get(this.href)!;
    downloads.push({ name: this.download, type: blob.type, text: blob.text() });
  };
});
afterEach(() => {
  URL.createObjectURL = saved.create;
  URL.revokeObjectURL = saved.revoke;
  HTMLAnchorElement.prototype.click = saved.click;
  teardown();
});

describe('exports', () => {
  it('the builder\'s Export PDF and Export CSV download what the host made, named after the program', async () => {
    const api = seededApi();
    await renderApp(api, { name: 'program', id: 'p-block' });
    const group = screen.getByRole('group', { name: 'Export' });
    fireEvent.click(within(group).getByRole('button', { name: 'Export PDF' }));
    await settle();
    fireEvent.click(within(group).getByRole('button', { name: 'Export CSV' }));
    await settle();
    assert.deepEqual(api.callsTo('exportProgramPdf'), [['p-block']]);
    assert.deepEqual(api.callsTo('exportProgramCsv'), [['p-block']]);
    assert.deepEqual(
      downloads.map((d) => [d.name, d.type]),
      [
        ['Strength block 1.pdf', 'application/pdf'],
        ['Strength block 1.csv', 'text/csv;charset=utf-8'],
      ],
    );
    assert.equal(await downloads[0]!.text, '%PDF-1.4 fake');
  });

  it('a failed export is the app\'s error notice, and the button is back', async () => {
    const api = seededApi();
    api.exportProgramPdf = async () => {
      throw new Error('CoachDesk needs Chromium or Google Chrome to make a PDF here');
    };
    await renderApp(api, { name: 'program', id: 'p-block' });
    fireEvent.click(screen.getByRole('button', { name: 'Export PDF' }));
    await settle();
    assert.match(screen.getByRole('alert').textContent ?? '', /needs Chromium or Google Chrome/);
    assert.equal((screen.getByRole('button', { name: 'Export PDF' }) as HTMLButtonElement).disabled, false);
    assert.equal(downloads.length, 0);
  });

  it('Activity exports the client\'s logged sets', async () => {
    const api = seededApi();
    await renderApp(api, { name: 'activity', traineeId: 't-ben' });
    fireEvent.click(screen.getByRole('button', { name: 'Export sets CSV' }));
    await settle();
    assert.deepEqual(api.callsTo('exportLoggedSetsCsv'), [['t-ben']]);
    assert.deepEqual(downloads.map((d) => d.name), ['Ben Okafor logged sets.csv']);
  });
});

describe('importing a program from CSV', () => {
  const choose = async (text: string, name = 'Block 2.csv') => {
    const input = screen.getByLabelText('CSV file') as HTMLInputElement;
    const file = new File([text], name, { type: 'text/csv' });
    await act(async () => {
      fireEvent.change(input, { target: { files: [file] } });
    });
    await settle();
  };

  it('lists every row\'s problem and cannot be confirmed', async () => {
    const api = seededApi();
    api.importPreview = { ok: false, rows: 2, weeks: 0, days: 0, workouts: 0, prescriptions: 0, exercises: [], newExercises: [], errors: [{ row: 7, column: 'reps', message: "row 7, column reps: 'five' is not reps" }], moreErrors: 3, outline: [] };
    await renderApp(api, { name: 'programs' });
    fireEvent.click(screen.getByRole('button', { name: 'Import CSV…' }));
    await choose('week,day\n');
    const dialog = screen.getByRole('dialog', { name: 'Import a program from CSV' });
    assert.deepEqual(api.callsTo('previewProgramImport'), [['week,day\n']]);
    assert.match(within(dialog).getByRole('alert').textContent ?? '', /Block 2\.csv cannot be imported — nothing was written\. 4 problems/);
    assert.deepEqual(
      within(dialog).getAllByRole('listitem').map((li) => li.textContent),
      ["row 7, column reps: 'five' is not reps", '… and 3 more problems'],
    );
    assert.equal((within(dialog).getByRole('button', { name: 'Import program' }) as HTMLButtonElement).disabled, true);
    assert.equal(api.callsTo('importProgram').length, 0);
  });

  it('previews what it creates, then imports for the chosen client and opens the program', async () => {
    const api = seededApi();
    api.importPreview = { ok: true, rows: 3, weeks: 2, days: 2, workouts: 2, prescriptions: 3, exercises: ['Back squat', 'Sled push'], newExercises: ['Sled push'], errors: [], moreErrors: 0, outline: [{ week: 1, workouts: [{ day: 1, title: 'Lower', exercises: ['Back squat', 'Sled push'] }] }, { week: 2, workouts: [{ day: 3, title: 'Upper', exercises: ['Back squat'] }] }] };
    const { store } = await renderApp(api, { name: 'programs' });
    fireEvent.click(screen.getByRole('button', { name: 'Import CSV…' }));
    await choose('week,day,workout\n1,1,Lower\n');
    const dialog = screen.getByRole('dialog', { name: 'Import a program from CSV' });
    const preview = within(dialog).getByLabelText('Preview');
    assert.match(preview.textContent ?? '', /3 rows read: 2 weeks, 2 training days, 2 workouts, 3 exercise rows of 2 exercises\./);
    assert.match(preview.textContent ?? '', /Not in your library, so they will be created: Sled push/);
    assert.match(preview.textContent ?? '', /Week 1: Mon Lower \(2\)Week 2: Wed Upper \(1\)/);
    assert.equal((within(dialog).getByLabelText('Program name') as HTMLInputElement).value, 'Block 2');
    fireEvent.change(within(dialog).getByLabelText('For'), { target: { value: 't-chloe' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Import program' }));
    await settle();
    const [csv, target] = api.callsTo('importProgram')[0]!;
    assert.equal(csv, 'week,day,workout\n1,1,Lower\n');
    assert.deepEqual({ ...(target as object), startDate: 'x' }, { name: 'Block 2', traineeId: 't-chloe', startDate: 'x' });
    assert.equal(screen.queryByRole('dialog'), null);
    const view = store.getState().view;
    assert.deepEqual(view, { name: 'program', id: 'program-imported-3' });
  });
});
