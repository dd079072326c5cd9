import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { seededApi, type FakeApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(teardown);

const LOWER_A = 'Week 1 · Mon — Lower A';

async function openBuilder(api: FakeApi = seededApi()) {
  const rendered = await renderApp(api, { name: 'program', id: 'p-block' });
  const region = screen.getByRole('region', { name: LOWER_A });
  return { ...rendered, api, region };
}

/** Types into a cell the way a user does: focus, change, then a key. */
async function typeAndPress(input: HTMLElement, text: string, key: string, init: Partial<KeyboardEventInit> = {}) {
  await act(async () => {
    input.focus();
    fireEvent.change(input, { target: { value: text } });
  });
  await act(async () => {
    fireEvent.keyDown(input, { key, ...init });
  });
  await settle();
}

/** Compares focus by label (a failed deep diff of DOM nodes is huge and slow). */
function assertFocused(expected: HTMLElement) {
  const label = (el: Element | null) => el?.getAttribute('aria-label') ?? el?.tagName ?? 'nothing';
  assert.ok(document.activeElement === expected, `focus is on ${label(document.activeElement)}, not ${label(expected)}`);
}

const mutations = (api: FakeApi) => api.calls.filter((c) => !c.method.startsWith('get')).map((c) => c.method);

describe('program builder', () => {
  it('shows weeks as tabs and each workout as a region of labelled cells', async () => {
    const { region } = await openBuilder();
    assert.ok(screen.getByRole('tab', { name: /Week 1/, selected: true }));
    assert.equal(screen.getAllByRole('tab').length, 4);
    assert.equal((within(region).getByLabelText('Exercise, row 1') as HTMLInputElement).value, 'Back squat');
    assert.equal((within(region).getByLabelText('Sets, row 1') as HTMLInputElement).value, '5');
    assert.equal((within(region).getByLabelText('Reps, row 2') as HTMLInputElement).value, '8-10');
    assert.equal((within(region).getByLabelText('Load, row 1') as HTMLInputElement).value, '100');
    assert.equal((within(region).getByLabelText('Unit, row 1') as HTMLSelectElement).value, 'kg');
    assert.equal((within(region).getByLabelText('RPE, row 1') as HTMLInputElement).value, '7');
    assert.equal((within(region).getByLabelText('Rest (sec), row 1') as HTMLInputElement).value, '120');
    for (const column of ['Tempo', 'Notes', 'Superset group']) assert.ok(within(region).getByLabelText(`${column}, row 1`));
    assert.ok(screen.getByRole('region', { name: 'Week 1 · Wed — Upper A' }));

    fireEvent.click(screen.getByRole('tab', { name: /Week 2/ }));
    assert.ok(screen.getByRole('region', { name: 'Week 2 · Mon — Lower A' }));
    assert.equal(screen.queryByRole('region', { name: LOWER_A }), null);
  });

  it('Enter commits only the changed field and moves to the same cell of the next row; nothing is added', async () => {
    const { api, region } = await openBuilder();
    await typeAndPress(within(region).getByLabelText('Sets, row 1'), '4', 'Enter');

    // The first session: Enter saved the cell and also inserted a copy of the row.
    assert.deepEqual(api.callsTo('updatePrescription'), [['rx-squat', { sets: 4 }]]);
    assert.deepEqual(mutations(api), ['updatePrescription'], 'no row added');
    const now = screen.getByRole('region', { name: LOWER_A });
    assert.equal((within(now).getByLabelText('Sets, row 1') as HTMLInputElement).value, '4');
    assert.equal(within(now).getAllByRole('row').filter((r) => r.hasAttribute('data-rx-row')).length, 2);
    assertFocused(within(now).getByLabelText('Sets, row 2'));

    // Enter on the last row goes on to "Add exercise".
    await act(async () => {
      fireEvent.keyDown(within(now).getByLabelText('Sets, row 2'), { key: 'Enter' });
    });
    await settle();
    assertFocused(within(now).getByLabelText('Add exercise'));
  });

  it('Ctrl+Enter inserts a row below with the row as it is now, focused on its exercise', async () => {
    const { api, region } = await openBuilder();
    await typeAndPress(within(region).getByLabelText('Sets, row 1'), '4', 'Enter', { ctrlKey: true });
    assert.deepEqual(api.callsTo('updatePrescription'), [['rx-squat', { sets: 4 }]]);
    const [workoutId, input, afterId] = api.callsTo('addPrescription')[0]!;
    assert.equal(workoutId, 'w-1-1');
    assert.equal(afterId, 'rx-squat');
    assert.deepEqual(input, { exerciseId: 'ex-squat', sets: 4, reps: '5', kind: 'reps', loadUnit: 'kg', restSec: 120 });
    assert.deepEqual(mutations(api), ['updatePrescription', 'addPrescription'], 'the edit is queued before the new row');
    const now = screen.getByRole('region', { name: LOWER_A });
    assertFocused(within(now).getByLabelText('Exercise, row 2'));
    assert.equal((within(now).getByLabelText('Exercise, row 3') as HTMLInputElement).value, 'Romanian deadlift');
  });

  it('a keystroke paints at once, before anything is saved', async () => {
    const { api, region } = await openBuilder();
    const load = within(region).getByLabelText('Load, row 1') as HTMLInputElement;
    fireEvent.focus(load);
    fireEvent.change(load, { target: { value: '105' } });
    assert.equal(load.value, '105');
    assert.equal(api.callsTo('updatePrescription').length, 0);
    await act(async () => {
      fireEvent.blur(load);
    });
    await settle();
    assert.deepEqual(api.callsTo('updatePrescription'), [['rx-squat', { load: 105 }]]);
    assert.equal((within(screen.getByRole('region', { name: LOWER_A })).getByLabelText('Load, row 1') as HTMLInputElement).value, '105');
  });

  it('an unchanged cell commits nothing', async () => {
    const { api, region } = await openBuilder();
    await typeAndPress(within(region).getByLabelText('Reps, row 1'), '5', 'Tab');
    await act(async () => {
      fireEvent.blur(within(region).getByLabelText('Reps, row 1'));
    });
    assert.equal(api.callsTo('updatePrescription').length, 0);
  });

  it('invalid reps show an inline error and call nothing', async () => {
    const { api, region } = await openBuilder();
    const reps = within(region).getByLabelText('Reps, row 1');
    await typeAndPress(reps, 'lots', 'Enter');
    const error = within(region).getByRole('alert');
    assert.equal(error.textContent, 'Reps must be a number like 5, a range like 8-10, or AMRAP');
    assert.equal(reps.getAttribute('aria-invalid'), 'true');
    assert.equal(reps.getAttribute('aria-describedby'), error.id);
    await act(async () => {
      fireEvent.blur(reps);
    });
    assert.deepEqual(mutations(api), [], 'neither updatePrescription nor addPrescription');

    await typeAndPress(reps, '10-8', 'Enter');
    assert.match(within(region).getByRole('alert').textContent ?? '', /low to high/);
    assert.deepEqual(mutations(api), []);

    // AMRAP in any case is fine, and saved as AMRAP.
    await typeAndPress(reps, 'amrap', 'Enter');
    assert.deepEqual(api.callsTo('updatePrescription'), [['rx-squat', { reps: 'AMRAP' }]]);
  });

  it('Escape reverts a cell', async () => {
    const { api, region } = await openBuilder();
    const rpe = within(region).getByLabelText('RPE, row 1') as HTMLInputElement;
    await typeAndPress(rpe, '11', 'Enter');
    assert.ok(within(region).getByRole('alert'));
    await act(async () => {
      fireEvent.keyDown(rpe, { key: 'Escape' });
    });
    assert.equal(rpe.value, '7');
    assert.equal(within(region).queryByRole('alert'), null);
    await act(async () => {
      fireEvent.blur(rpe);
    });
    assert.deepEqual(mutations(api), []);
  });

  it('typing an unknown exercise offers "Create" and uses the new exercise', async () => {
    const { api, region } = await openBuilder();
    const exercise = within(region).getByLabelText('Exercise, row 2');
    await act(async () => {
      exercise.focus();
      fireEvent.change(exercise, { target: { value: 'Sled push' } });
    });
    const options = within(within(region).getByRole('listbox', { name: 'Exercise, row 2 suggestions' })).getAllByRole('option');
    assert.deepEqual(
      options.map((o) => o.textContent),
      ["Create 'Sled push'"],
    );
    await act(async () => {
      fireEvent.click(options[0]!);
    });
    await settle();
    assert.deepEqual(api.callsTo('createExercise'), [[{ name: 'Sled push' }]]);
    const created = api.exercises.find((e) => e.name === 'Sled push')!;
    assert.deepEqual(api.callsTo('updatePrescription'), [['rx-rdl', { exerciseId: created.id }]]);
    assert.equal((within(screen.getByRole('region', { name: LOWER_A })).getByLabelText('Exercise, row 2') as HTMLInputElement).value, 'Sled push');
  });

  it('suggests library exercises as you type; Enter takes the highlighted one', async () => {
    const { api, region } = await openBuilder();
    const exercise = within(region).getByLabelText('Exercise, row 1');
    await act(async () => {
      exercise.focus();
      fireEvent.change(exercise, { target: { value: 'b' } });
    });
    const names = within(within(region).getByRole('listbox')).getAllByRole('option').map((o) => o.textContent);
    assert.ok(names.includes('Bench presspush') && names.includes("Create 'b'"), names.join(', '));
    await typeAndPress(exercise, 'bench', 'ArrowDown');
    await act(async () => {
      fireEvent.keyDown(exercise, { key: 'ArrowUp' });
    });
    await act(async () => {
      fireEvent.keyDown(exercise, { key: 'Enter' });
    });
    await settle();
    assert.deepEqual(api.callsTo('updatePrescription'), [['rx-squat', { exerciseId: 'ex-bench' }]]);
    assert.equal(api.callsTo('addPrescription').length, 0, 'Enter in an open list picks; it does not add a row');
  });

  it('"Add exercise" understands a quick scheme like "Barbell row 4x8 @ 60kg"', async () => {
    const { api, region } = await openBuilder();
    await typeAndPress(within(region).getByLabelText('Add exercise'), 'Barbell row 4x8 @ 60kg', 'Enter');
    assert.deepEqual(api.callsTo('addPrescription'), [['w-1-1', { exerciseId: 'ex-row', sets: 4, reps: '8', load: 60, loadUnit: 'kg' }, 'rx-rdl']]);
    assert.equal((within(screen.getByRole('region', { name: LOWER_A })).getByLabelText('Exercise, row 3') as HTMLInputElement).value, 'Barbell row');
  });

  it('Alt+ArrowDown / Alt+ArrowUp reorder rows and keep focus on the moved row', async () => {
    const { api, region } = await openBuilder();
    const sets = within(region).getByLabelText('Sets, row 1');
    await act(async () => {
      sets.focus();
      fireEvent.keyDown(sets, { key: 'ArrowDown', altKey: true });
    });
    await settle();
    assert.deepEqual(api.callsTo('movePrescription'), [['rx-squat', 1]]);
    const now = screen.getByRole('region', { name: LOWER_A });
    assert.equal((within(now).getByLabelText('Exercise, row 2') as HTMLInputElement).value, 'Back squat');
    assertFocused(within(now).getByLabelText('Sets, row 2'));
    await act(async () => {
      fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp', altKey: true });
    });
    await settle();
    assert.deepEqual(api.callsTo('movePrescription').at(-1), ['rx-squat', -1]);
    // The first row cannot go further up: no call.
    await act(async () => {
      fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp', altKey: true });
    });
    assert.equal(api.callsTo('movePrescription').length, 2);
  });

  it('Ctrl+Delete and Ctrl+Backspace delete the row', async () => {
    const { api, region } = await openBuilder();
    await act(async () => {
      fireEvent.keyDown(within(region).getByLabelText('Notes, row 1'), { key: 'Delete', ctrlKey: true });
    });
    await settle();
    assert.deepEqual(api.callsTo('deletePrescription'), [['rx-squat']]);
    const now = screen.getByRole('region', { name: LOWER_A });
    assert.equal((within(now).getByLabelText('Exercise, row 1') as HTMLInputElement).value, 'Romanian deadlift');
    assertFocused(within(now).getByLabelText('Notes, row 1'));
    await act(async () => {
      fireEvent.keyDown(within(now).getByLabelText('Reps, row 1'), { key: 'Backspace', ctrlKey: true });
    });
    await settle();
    assert.deepEqual(api.callsTo('deletePrescription').at(-1), ['rx-rdl']);
    assertFocused(within(screen.getByRole('region', { name: LOWER_A })).getByLabelText('Add exercise'));
  });

  it("'?' opens the help overlay when not typing, F1 always; Escape closes it", async () => {
    const { region } = await openBuilder();
    // '?' typed into a cell is just a character.
    const notes = within(region).getByLabelText('Notes, row 1');
    notes.focus();
    fireEvent.keyDown(notes, { key: '?' });
    assert.equal(screen.queryByRole('dialog', { name: 'Keyboard shortcuts' }), null);

    notes.blur();
    await act(async () => {
      fireEvent.keyDown(document.body, { key: '?' });
    });
    const help = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    for (const text of ['Alt+↑', 'Alt+↓', 'Ctrl+Delete', 'Ctrl+Backspace', 'Enter', 'Escape', 'F1', 'Tab', 'Shift+Tab']) assert.ok(within(help).getByText(text), text);
    await act(async () => {
      fireEvent.keyDown(help, { key: 'Escape' });
    });
    assert.equal(screen.queryByRole('dialog', { name: 'Keyboard shortcuts' }), null);

    await act(async () => {
      fireEvent.keyDown(within(region).getByLabelText('Sets, row 1'), { key: 'F1' });
    });
    assert.ok(screen.getByRole('dialog', { name: 'Keyboard shortcuts' }));
  });

  it('copies a day to another week and day', async () => {
    const { api, region } = await openBuilder();
    fireEvent.click(within(region).getByRole('button', { name: `Copy day ${LOWER_A}` }));
    const dialog = screen.getByRole('dialog', { name: `Copy ${LOWER_A}` });
    fireEvent.change(within(dialog).getByLabelText('To week'), { target: { value: '3' } });
    fireEvent.change(within(dialog).getByLabelText('To day'), { target: { value: '2' } });
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Copy day' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('copyDay'), [['w-1-1', 3, 2, 'add']]);
    assert.ok(screen.getByText('Copied Lower A to Week 3 · Tue.'));
  });

  it('copies a week to several weeks', async () => {
    const { api } = await openBuilder();
    fireEvent.click(screen.getByRole('button', { name: 'Copy week 1 to…' }));
    const dialog = screen.getByRole('dialog', { name: 'Copy week 1' });
    // Later weeks start chosen; untick week 2.
    assert.equal((within(dialog).getByLabelText('Week 2') as HTMLInputElement).checked, true);
    fireEvent.click(within(dialog).getByLabelText('Week 2'));
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Copy week' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('copyWeek'), [['p-block', 1, [3, 4], { mode: 'add', progression: null }]]);
    fireEvent.click(screen.getByRole('tab', { name: /Week 4/ }));
    assert.ok(screen.getByRole('region', { name: 'Week 4 · Mon — Lower A' }));
  });

  it('adds a workout to a rest day and focuses its "Add exercise"', async () => {
    const { api } = await openBuilder();
    fireEvent.click(screen.getByRole('button', { name: 'Add workout to Week 1 · Fri' }));
    const title = screen.getByLabelText('Title of the new workout, Week 1 · Fri');
    fireEvent.change(title, { target: { value: 'Full body' } });
    await act(async () => {
      fireEvent.submit(title);
    });
    await settle();
    assert.deepEqual(api.callsTo('addWorkout'), [['p-block', 1, 5, 'Full body']]);
    const region = screen.getByRole('region', { name: 'Week 1 · Fri — Full body' });
    assertFocused(within(region).getByLabelText('Add exercise'));
  });

  it('deletes a workout and a program only after confirming', async () => {
    const { api, region } = await openBuilder();
    fireEvent.click(within(region).getByRole('button', { name: `Delete workout ${LOWER_A}` }));
    fireEvent.click(within(screen.getByRole('alertdialog', { name: 'Delete this workout?' })).getByRole('button', { name: 'Cancel' }));
    assert.equal(api.callsTo('deleteWorkout').length, 0);
    fireEvent.click(within(region).getByRole('button', { name: `Delete workout ${LOWER_A}` }));
    await act(async () => {
      fireEvent.click(within(screen.getByRole('alertdialog', { name: 'Delete this workout?' })).getByRole('button', { name: 'Delete workout' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('deleteWorkout'), [['w-1-1']]);
    assert.equal(screen.queryByRole('region', { name: LOWER_A }), null);

    fireEvent.click(screen.getByRole('button', { name: 'Delete program…' }));
    const confirm = screen.getByRole('alertdialog', { name: 'Delete this program?' });
    assert.match(confirm.textContent ?? '', /Strength block 1/);
    await act(async () => {
      fireEvent.click(within(confirm).getByRole('button', { name: 'Delete program' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('deleteProgram'), [['p-block']]);
    assert.ok(screen.getByRole('heading', { name: 'Programs' }));
  });

  it('assigns a template to a client with a start date, and saves a program as a template', async () => {
    const api = seededApi();
    api.programs[1]!.workouts = structuredClone(api.programs[0]!.workouts.slice(0, 1));
    await renderApp(api, { name: 'program', id: 'p-template' });
    fireEvent.click(screen.getByRole('button', { name: 'Assign…' }));
    const dialog = screen.getByRole('dialog', { name: 'Assign Template: 3-day strength' });
    fireEvent.click(within(dialog).getByLabelText('Chloe Martin'));
    fireEvent.change(within(dialog).getByLabelText('Start date'), { target: { value: '2025-12-01' } });
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Assign' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('assignProgram'), [['p-template', 't-chloe', '2025-12-01']]);
    // Now editing Chloe's copy.
    assert.equal((screen.getByLabelText('Start date') as HTMLInputElement).value, '2025-12-01');
    assert.ok(screen.getByText('for Chloe Martin'));

    fireEvent.click(screen.getByRole('button', { name: 'Save as template…' }));
    const save = screen.getByRole('dialog', { name: 'Save as template' });
    fireEvent.change(within(save).getByLabelText('Template name'), { target: { value: 'Chloe block' } });
    await act(async () => {
      fireEvent.click(within(save).getByRole('button', { name: 'Save template' }));
    });
    await settle();
    assert.equal(api.callsTo('saveAsTemplate').length, 1);
    assert.equal(api.callsTo('saveAsTemplate')[0]![1], 'Chloe block');
    assert.ok(screen.getByText('template', { selector: '.builder-meta .chip' }));
  });

  it('assigns a template to several clients at once from the program list', async () => {
    const api = seededApi();
    await renderApp(api, { name: 'programs' });
    fireEvent.click(screen.getByRole('button', { name: 'Assign Template: 3-day strength' }));
    const dialog = screen.getByRole('dialog', { name: 'Assign Template: 3-day strength' });
    fireEvent.click(within(dialog).getByLabelText(/Ben Okafor/));
    fireEvent.click(within(dialog).getByLabelText('Chloe Martin'));
    fireEvent.change(within(dialog).getByLabelText('Start date'), { target: { value: '2025-12-01' } });
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Assign to 2 clients' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('assignProgram'), [
      ['p-template', 't-ben', '2025-12-01'],
      ['p-template', 't-chloe', '2025-12-01'],
    ]);
    assert.ok(screen.getByText(/Assigned Template: 3-day strength to Ben Okafor, Chloe Martin, starting Mon 1 Dec/));
    assert.ok(screen.getByRole('heading', { name: 'Programs' }), 'stays on the list');
  });

  it('creates a program from the list and opens it', async () => {
    const api = seededApi();
    await renderApp(api, { name: 'programs' });
    assert.ok(screen.getByRole('region', { name: 'Templates' }));
    fireEvent.click(screen.getByRole('button', { name: 'New program' }));
    const dialog = screen.getByRole('dialog', { name: 'New program' });
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'Hypertrophy 1' } });
    fireEvent.change(within(dialog).getByLabelText('Weeks'), { target: { value: '6' } });
    fireEvent.change(within(dialog).getByLabelText('For'), { target: { value: 't-ben' } });
    fireEvent.change(within(dialog).getByLabelText('Start date'), { target: { value: '2025-12-08' } });
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Create program' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('createProgram'), [[{ name: 'Hypertrophy 1', weeks: 6, traineeId: 't-ben', startDate: '2025-12-08' }]]);
    assert.equal((screen.getByLabelText('Program name') as HTMLInputElement).value, 'Hypertrophy 1');
    assert.equal(screen.getAllByRole('tab').length, 6);
  });

  it('shows a remote change to the open program without a reload', async () => {
    const { api } = await openBuilder();
    api.programs[0]!.workouts[0]!.prescriptions[1]!.reps = '6-8';
    await act(async () => api.emit({ kind: 'data', entities: ['prescription'] }));
    await settle();
    assert.equal((within(screen.getByRole('region', { name: LOWER_A })).getByLabelText('Reps, row 2') as HTMLInputElement).value, '6-8');
  });

  it('keeps what the coach is typing when a remote change lands', async () => {
    const { api, region } = await openBuilder();
    const load = within(region).getByLabelText('Load, row 1') as HTMLInputElement;
    load.focus();
    fireEvent.change(load, { target: { value: '11' } });
    api.programs[0]!.workouts[0]!.prescriptions[0]!.load = 97.5;
    await act(async () => api.emit({ kind: 'data', entities: ['prescription'] }));
    await settle();
    assert.equal(load.value, '11');
  });
});
