import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { seededApi, type FakeApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(() => {
  teardown();
  Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
});

const OFFLINE = 'Inviting needs a connection to the sync server: you are offline. Try again when connected.';
const row = (name: string) => screen.getByRole('row', { name: new RegExp(name) });
const accessCell = (name: string) => within(row(name)).getAllByRole('cell').find((c) => c.getAttribute('data-label') === 'App access')!;

async function openInvite(api: FakeApi, name = 'Ben Okafor') {
  await act(async () => {
    fireEvent.click(within(row(name)).getByRole('button', { name: 'Invite…' }));
  });
  await settle();
  return screen.getByRole('dialog', { name: `Invite ${name}` });
}

describe('inviting a client', () => {
  it('creates an invite as the dialog opens: link, QR code of it, expiry and what the client does', async () => {
    const api = seededApi();
    await renderApp(api);
    const dialog = await openInvite(api);
    assert.deepEqual(api.callsTo('inviteTrainee'), [['t-ben']]);
    const link = within(dialog).getByText(/\/join#/);
    assert.match(link.textContent ?? '', /^https:\/\/sync\.example\.com\/join#code\d+AbC_d-e$/);
    const qr = within(dialog).getByRole('img', { name: 'QR code for the invite link' });
    assert.equal(qr.tagName, 'IMG');
    const src = qr.getAttribute('src') ?? '';
    assert.match(src, /^data:image\/svg\+xml;charset=utf-8,/);
    const svg = decodeURIComponent(src.slice(src.indexOf(',') + 1));
    assert.match(svg, /^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    assert.match(svg, /<path d="M\d+,\d+l4,0 /, 'dark modules drawn');
    assert.doesNotMatch(svg, /style/, 'no inline styles (the CSP refuses them)');
    assert.match(dialog.textContent ?? '', /Valid until \w{3} \d{1,2} \w{3}( \d{4})? at \d\d:\d\d; works once\./);
    assert.ok(within(dialog).getByText('What Ben does'));
    assert.ok(within(dialog).getByText(/Opens the link on their phone/));
    assert.equal(document.activeElement, within(dialog).getByRole('button', { name: 'Copy link' }), 'focus on Copy link');

    // Done closes it, and the roster reads the access again: invited now.
    const before = api.callsTo('getTraineeAccess').length;
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Done' }));
    });
    await settle();
    assert.equal(screen.queryByRole('dialog'), null);
    assert.ok(api.callsTo('getTraineeAccess').length > before);
    assert.match(accessCell('Ben Okafor').textContent ?? '', /^Invited, not joined \(expires \w{3} \d{1,2} \w{3}( \d{4})?\)$/);
  });

  it('copies the link; where the clipboard is refused, selects it and says to press Ctrl+C', async () => {
    const api = seededApi();
    await renderApp(api);
    const copied: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (text: string) => void copied.push(text) }, configurable: true });
    const dialog = await openInvite(api);
    const url = within(dialog).getByText(/\/join#/).textContent;
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Copy link' }));
    });
    await settle();
    assert.deepEqual(copied, [url]);
    assert.ok(within(dialog).getByText('Link copied.'));

    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async () => Promise.reject(new Error('denied')) }, configurable: true });
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Copy link' }));
    });
    await settle();
    assert.ok(within(dialog).getByText('Could not copy here: the link is selected, press Ctrl+C to copy it.'));
    assert.equal(window.getSelection()?.toString(), url, 'the link is selected for Ctrl+C');
  });

  it('shows why an invite could not be made, in the dialog, and tries again', async () => {
    const api = seededApi();
    await renderApp(api);
    api.accessFailure = OFFLINE;
    const dialog = await openInvite(api);
    assert.equal(within(dialog).getByRole('alert').textContent, `Could not create an invite: ${OFFLINE}`);
    assert.equal(within(dialog).queryByRole('img'), null);
    const retry = within(dialog).getByRole('button', { name: 'Try again' });
    assert.equal(document.activeElement, retry);
    api.accessFailure = null;
    await act(async () => {
      fireEvent.click(retry);
    });
    await settle();
    assert.equal(within(dialog).queryByRole('alert'), null);
    assert.ok(within(dialog).getByRole('img', { name: 'QR code for the invite link' }));
    assert.equal(api.callsTo('inviteTrainee').length, 2);
  });

  it('closes with Escape', async () => {
    const api = seededApi();
    await renderApp(api);
    const dialog = await openInvite(api);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    await settle();
    assert.equal(screen.queryByRole('dialog'), null);
  });
});

describe('app access in the roster', () => {
  it('says per client: not invited, invited until a date, joined on N devices and when last seen', async () => {
    const api = seededApi();
    api.access.set('t-chloe', { traineeId: 't-chloe', invited: { createdAt: '2025-11-24T10:00:00.000Z', expiresAt: '2025-12-01T10:00:00.000Z' }, devices: 0, lastSeenAt: null });
    api.joinDevice('t-ben', new Date(Date.now() - 4 * 60_000).toISOString());
    api.joinDevice('t-ben');
    await renderApp(api);
    assert.ok(api.callsTo('getTraineeAccess').length >= 1, 'read when the Clients screen shows');
    assert.equal(accessCell('Ben Okafor').textContent, 'Joined on 2 devices, last seen 4 min ago');
    assert.match(accessCell('Chloe Martin').textContent ?? '', /^Invited, not joined \(expires \w{3} 1 Dec( 2025)?\)$/);
    assert.ok(within(row('Chloe Martin')).getByRole('button', { name: 'Revoke access' }));

    api.joinDevice('t-chloe', '2025-06-02T09:00:00.000Z');
    await act(async () => void window.dispatchEvent(new Event('focus')));
    await settle();
    assert.match(accessCell('Chloe Martin').textContent ?? '', /^Joined on 1 device, last seen \w{3} 2 Jun( 2025)?$/, 're-read when the window gets focus');

    await act(async () => {
      fireEvent.click(screen.getByLabelText('Show archived'));
    });
    await settle();
    assert.equal(accessCell('Dev Patel').textContent, 'Not invited');
    assert.equal(within(row('Dev Patel')).queryByRole('button', { name: 'Invite…' }), null, 'archived clients are not invited');
    assert.equal(within(row('Dev Patel')).queryByRole('button', { name: 'Revoke access' }), null, 'nothing to revoke');
  });

  it('offline: says it needs a connection instead of stale access, and reads it again once connected', async () => {
    const api = seededApi();
    api.joinDevice('t-ben', new Date().toISOString());
    await renderApp(api);
    assert.match(accessCell('Ben Okafor').textContent ?? '', /^Joined on 1 device/);
    api.sync = { ...api.sync, connection: 'offline' };
    api.accessFailure = 'Checking app access needs a connection to the sync server: you are offline. Try again when connected.';
    await act(async () => api.emit({ kind: 'sync', status: api.sync }));
    await settle();
    assert.equal(accessCell('Ben Okafor').textContent, 'Access status needs a connection');
    assert.equal(accessCell('Chloe Martin').textContent, 'Access status needs a connection');
    assert.equal(within(row('Ben Okafor')).queryByRole('button', { name: 'Revoke access' }), null);

    // Inviting offline says why, in the dialog.
    api.accessFailure = OFFLINE;
    const dialog = await openInvite(api);
    assert.match(within(dialog).getByRole('alert').textContent ?? '', /you are offline\. Try again when connected\./);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    await settle();

    api.accessFailure = null;
    api.sync = { ...api.sync, connection: 'synced' };
    await act(async () => api.emit({ kind: 'sync', status: api.sync }));
    await settle();
    assert.match(accessCell('Ben Okafor').textContent ?? '', /^Joined on 1 device, last seen just now$/);
  });

  it('another failure while connected is shown with the host’s message', async () => {
    const api = seededApi();
    api.accessFailure = 'The sync server is busy right now (database locked). Try again in a moment.';
    await renderApp(api);
    assert.equal(accessCell('Ben Okafor').textContent, 'Access status unavailable');
    assert.ok(screen.getByText('App access could not be read: The sync server is busy right now (database locked). Try again in a moment.'));
  });
});

describe('revoking access', () => {
  it('asks first, naming the client and saying their devices are signed out at once; then the status updates', async () => {
    const api = seededApi();
    api.joinDevice('t-ben', new Date().toISOString());
    await renderApp(api);
    fireEvent.click(within(row('Ben Okafor')).getByRole('button', { name: 'Revoke access' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Revoke access for Ben Okafor?' });
    assert.match(dialog.textContent ?? '', /Ben Okafor’s devices are signed out at once/);
    assert.equal(document.activeElement, within(dialog).getByRole('button', { name: 'Cancel' }), 'the safe choice is focused');

    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await settle();
    assert.deepEqual(api.callsTo('revokeTraineeAccess'), [], 'Cancel revokes nothing');

    fireEvent.click(within(row('Ben Okafor')).getByRole('button', { name: 'Revoke access' }));
    await act(async () => {
      fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Revoke access' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('revokeTraineeAccess'), [['t-ben']]);
    assert.equal(screen.queryByRole('alertdialog'), null);
    assert.equal(accessCell('Ben Okafor').textContent, 'Not invited');
    assert.equal(within(row('Ben Okafor')).queryByRole('button', { name: 'Revoke access' }), null);
    assert.ok(screen.getByText('Revoked Ben Okafor’s access: 1 device signed out.'));
  });

  it('keeps the dialog open with the error when the revoke fails', async () => {
    const api = seededApi();
    api.joinDevice('t-ben', null);
    await renderApp(api);
    api.accessFailure = 'Revoking access needs a connection to the sync server: you are offline. Try again when connected.';
    fireEvent.click(within(row('Ben Okafor')).getByRole('button', { name: 'Revoke access' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Revoke access for Ben Okafor?' });
    await act(async () => {
      fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke access' }));
    });
    await settle();
    assert.equal(within(dialog).getByRole('alert').textContent, `Could not revoke access: ${api.accessFailure}`);
    assert.ok(screen.getByRole('alertdialog'));
  });
});
