import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { seededApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(teardown);

describe('settings', () => {
  it('switches units and shows the account', async () => {
    const api = seededApi();
    await renderApp(api, { name: 'settings' });
    assert.equal((screen.getByLabelText('Kilograms (kg)') as HTMLInputElement).checked, true);
    await act(async () => {
      fireEvent.click(screen.getByLabelText('Pounds (lb)'));
    });
    await settle();
    assert.deepEqual(api.callsTo('updateSettings'), [[{ units: 'lb' }]]);
    assert.equal((screen.getByLabelText('Pounds (lb)') as HTMLInputElement).checked, true);
    const account = screen.getByRole('region', { name: 'Account' });
    assert.match(account.textContent ?? '', /ws:\/\/127\.0\.0\.1:8787\/sync/);
    assert.match(account.textContent ?? '', /coach-1/);
  });

  it('signs out (asking first when edits are not synced) back to the sign-in screen', async () => {
    const api = seededApi();
    api.sync = { ...api.sync, pendingCount: 3 };
    await renderApp(api, { name: 'settings' });
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    const confirm = screen.getByRole('alertdialog', { name: 'Sign out with edits not synced?' });
    assert.match(confirm.textContent ?? '', /3 edits on this computer have not reached the server yet/);
    await act(async () => {
      fireEvent.click(within(confirm).getByRole('button', { name: 'Sign out anyway' }));
    });
    await settle();
    assert.equal(api.callsTo('signOut').length, 1);
    assert.ok(screen.getByRole('form', { name: 'Sign in' }));
  });

  it('navigates with the sidebar', async () => {
    await renderApp(seededApi());
    const nav = screen.getByRole('navigation', { name: 'Main' });
    for (const [item, heading] of [
      ['Programs', 'Programs'],
      ['Activity', 'Activity'],
      ['Settings', 'Settings'],
      ['Clients', 'Clients'],
    ] as const) {
      await act(async () => {
        fireEvent.click(within(nav).getByRole('button', { name: item }));
      });
      await settle(5);
      assert.ok(screen.getByRole('heading', { level: 1, name: heading }));
      assert.equal(within(nav).getByRole('button', { name: item }).getAttribute('aria-current'), 'page');
    }
  });
});
