import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { seededApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(teardown);

describe('trainee activity', () => {
  it('shows prescribed next to logged sets, per workout with its planned date', async () => {
    const api = seededApi();
    await renderApp(api, { name: 'activity', traineeId: null });
    fireEvent.change(screen.getByLabelText('Trainee'), { target: { value: 't-ben' } });
    await settle();
    assert.deepEqual(api.callsTo('getTraineeActivity').at(-1), ['t-ben']);

    const lower = screen.getByRole('article', { name: 'Week 1 · Mon — Lower A' });
    assert.match(lower.textContent ?? '', /planned Mon 17 Nov/);
    const session = within(lower).getByLabelText(/^Session Mon 17 Nov/);
    assert.match(session.textContent ?? '', /completed/);
    const squat = within(session).getByRole('row', { name: /Back squat/ });
    const [prescribed, logged] = within(squat).getAllByRole('cell');
    assert.equal(prescribed!.textContent, '5×5 @ 100 kg · RPE 7');
    assert.deepEqual(
      within(logged!).getAllByRole('listitem').map((li) => li.textContent),
      ['set 1: 5 @ 100 kg', 'set 2: 4 @ 100 kg · RPE 9'],
    );
    const rdl = within(session).getByRole('row', { name: /Romanian deadlift/ });
    assert.equal(within(rdl).getAllByRole('cell')[0]!.textContent, '3×8-10 @ 70 kg');

    const upper = screen.getByRole('article', { name: 'Week 1 · Wed — Upper A' });
    assert.match(upper.textContent ?? '', /planned Wed 19 Nov/);
    assert.match(upper.textContent ?? '', /3×AMRAP/);
  });

  it('updates live when sets are logged', async () => {
    const api = seededApi();
    await renderApp(api, { name: 'activity', traineeId: 't-ben' });
    const logged = api.sessions.get('t-ben')![0]!.session;
    logged.sets.push({ id: 'set-3', prescriptionId: 'rx-squat', exerciseId: 'ex-squat', exerciseName: 'Back squat', setIndex: 2, reps: 5, load: 100, loadUnit: 'kg', rpe: null, done: true, targetReps: '5', targetLoad: 100 });
    await act(async () => api.emit({ kind: 'data', entities: ['set_log'] }));
    await settle();
    const squat = within(screen.getByRole('article', { name: 'Week 1 · Mon — Lower A' })).getByRole('row', { name: /Back squat/ });
    assert.ok(within(squat).getByText('set 3: 5 @ 100 kg'));
  });

  it('says what a set was logged against when the prescription changed since', async () => {
    const api = seededApi();
    api.programs[0]!.workouts[0]!.prescriptions[0]!.load = 105;
    await renderApp(api, { name: 'activity', traineeId: 't-ben' });
    const squat = within(screen.getByRole('article', { name: 'Week 1 · Mon — Lower A' })).getByRole('row', { name: /Back squat/ });
    assert.match(squat.textContent ?? '', /5×5 @ 105 kg/);
    assert.match(squat.textContent ?? '', /set 1: 5 @ 100 kg · logged against 5 @ 100 kg/);
  });

  it('opens from the roster on a client name', async () => {
    await renderApp(seededApi());
    fireEvent.click(screen.getByRole('button', { name: 'Activity of Ben Okafor' }));
    await settle();
    assert.equal((screen.getByLabelText('Trainee') as HTMLSelectElement).value, 't-ben');
    assert.ok(screen.getByRole('article', { name: 'Week 1 · Mon — Lower A' }));
  });
});
