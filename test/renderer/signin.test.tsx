import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, fireEvent, screen } from '@testing-library/react';
import { FakeApi, seededApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(teardown);

async function submit(url: string, token: string) {
  fireEvent.change(screen.getByLabelText('Server URL'), { target: { value: url } });
  fireEvent.change(screen.getByLabelText('Token'), { target: { value: token } });
  await act(async () => {
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
  });
  await settle();
}

describe('sign-in screen', () => {
  it('shows the unauthorized message for a wrong token', async () => {
    const api = new FakeApi();
    await renderApp(api);
    assert.equal((screen.getByLabelText('Server URL') as HTMLInputElement).value, 'ws://127.0.0.1:8787/sync');
    await submit('ws://127.0.0.1:8787/sync', 'wrong-token');
    const alert = screen.getByRole('alert');
    assert.match(alert.textContent ?? '', /The server did not accept this token/);
    assert.match(alert.textContent ?? '', /the server refused this token \(unknown or revoked\)/);
    assert.equal(screen.getByLabelText('Token').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(api.callsTo('signIn'), [['ws://127.0.0.1:8787/sync', 'wrong-token']]);
  });

  it('shows the unreachable message for a server that does not answer', async () => {
    const api = new FakeApi();
    await renderApp(api);
    await submit('ws://nowhere.invalid:9/sync', 'good-token');
    const alert = screen.getByRole('alert');
    assert.match(alert.textContent ?? '', /Cannot reach the server/);
    assert.match(alert.textContent ?? '', /cannot reach ws:\/\/nowhere\.invalid:9\/sync/);
  });

  it('asks for a missing token without calling the API', async () => {
    const api = new FakeApi();
    await renderApp(api);
    await submit('ws://127.0.0.1:8787/sync', '  ');
    assert.match(screen.getByRole('alert').textContent ?? '', /Enter the token your server gave you/);
    assert.deepEqual(api.callsTo('signIn'), []);
  });

  it('opens the client roster once signed in', async () => {
    const api = seededApi();
    api.session = { signedIn: false, serverUrl: 'ws://127.0.0.1:8787/sync', userId: null, role: null };
    await renderApp(api);
    await submit('ws://127.0.0.1:8787/sync', 'good-token');
    assert.ok(screen.getByRole('heading', { name: 'Clients' }));
    assert.ok(screen.getByRole('navigation', { name: 'Main' }));
    assert.equal(screen.queryByRole('alert'), null);
  });
});
