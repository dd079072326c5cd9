import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { seededApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(teardown);

describe('client roster', () => {
  it('lists trainees with last session, 7/30-day compliance and active program', async () => {
    await renderApp(seededApi());
    const table = screen.getByRole('table', { name: 'Clients' });
    const ben = within(table).getByRole('row', { name: /Ben Okafor/ });
    const cells = within(ben).getAllByRole('cell').map((c) => c.textContent);
    assert.ok(cells.includes('ben@example.com'));
    assert.ok(cells.some((c) => /Fri 21 Nov/.test(c ?? '')), `last session in ${cells.join(' | ')}`);
    assert.ok(cells.includes('67% ↓'), '7-day compliance, flagged as a drop from 90%');
    assert.ok(cells.includes('90%'));
    assert.ok(within(ben).getByRole('button', { name: 'Strength block 1' }));
    const chloe = within(table).getByRole('row', { name: /Chloe Martin/ });
    assert.ok(within(chloe).getAllByRole('cell').some((c) => c.textContent === '100%'));
    assert.ok(within(chloe).getAllByRole('cell').some((c) => c.textContent === 'none'));
    assert.equal(within(table).queryByRole('row', { name: /Dev Patel/ }), null, 'archived clients are hidden');
  });

  it('shows archived clients on request, and unarchives them', async () => {
    const api = seededApi();
    await renderApp(api);
    await act(async () => {
      fireEvent.click(screen.getByLabelText('Show archived'));
    });
    await settle();
    assert.deepEqual(api.callsTo('getRoster').at(-1), [true]);
    const dev = screen.getByRole('row', { name: /Dev Patel/ });
    assert.ok(within(dev).getByText('archived'));
    await act(async () => {
      fireEvent.click(within(dev).getByRole('button', { name: 'Unarchive Dev Patel' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('setTraineeArchived'), [['t-dev', false]]);
    assert.ok(within(screen.getByRole('row', { name: /Dev Patel/ })).getByRole('button', { name: 'Archive Dev Patel' }));
  });

  it('adds and edits a client', async () => {
    const api = seededApi();
    await renderApp(api);
    fireEvent.click(screen.getByRole('button', { name: 'Add client' }));
    const dialog = screen.getByRole('dialog', { name: 'Add client' });
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'Eva Lind' } });
    fireEvent.change(within(dialog).getByLabelText('Email'), { target: { value: 'eva@example.com' } });
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Add client' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('saveTrainee'), [[{ name: 'Eva Lind', email: 'eva@example.com', notes: null }]]);
    assert.ok(screen.getByRole('row', { name: /Eva Lind/ }));

    fireEvent.click(screen.getByRole('button', { name: 'Edit Ben Okafor' }));
    const edit = screen.getByRole('dialog', { name: 'Edit Ben Okafor' });
    fireEvent.change(within(edit).getByLabelText('Notes'), { target: { value: 'Knee: no deep lunges' } });
    await act(async () => {
      fireEvent.click(within(edit).getByRole('button', { name: 'Save' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('saveTrainee').at(-1), [{ id: 't-ben', name: 'Ben Okafor', email: 'ben@example.com', notes: 'Knee: no deep lunges' }]);
    assert.ok(screen.getByText('Knee: no deep lunges'));
  });

  it('refetches when a data event says trainees changed', async () => {
    const api = seededApi();
    await renderApp(api);
    api.roster[1]!.compliance7 = 0.5;
    await act(async () => api.emit({ kind: 'data', entities: ['session'] }));
    await settle();
    const chloe = screen.getByRole('row', { name: /Chloe Martin/ });
    assert.ok(within(chloe).getAllByRole('cell').some((c) => c.textContent?.startsWith('50%')));
  });
});
