import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import type { SyncStatus } from '../../preload/api.ts';
import { formatClock } from '../../renderer/lib/format.ts';
import { seededApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(teardown);

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function status(patch: Partial<SyncStatus>): SyncStatus {
  return { connection: 'synced', pendingCount: 0, pending: [], failed: [], journal: [], lastSyncAt: null, error: null, ...patch };
}

const bar = () => screen.getByRole('contentinfo', { name: 'Sync status' });
const stateText = () => within(bar()).getByRole('status').textContent ?? '';

describe('sync status bar', () => {
  it('says which state the connection is in', async () => {
    const api = seededApi();
    await renderApp(api);
    const expected = { offline: 'Offline', connecting: 'Connecting…', syncing: 'Syncing…', synced: 'Synced' } as const;
    for (const connection of ['offline', 'connecting', 'syncing', 'synced'] as const) {
      await act(async () => api.emit({ kind: 'sync', status: status({ connection }) }));
      assert.equal(within(bar()).getByTestId('connection').textContent, expected[connection]);
      if (connection === 'offline') assert.match(stateText(), /edits are kept on this computer/);
      else assert.doesNotMatch(stateText(), /edits are kept/);
    }
  });

  it('shows the pending count and the last sync time', async () => {
    const api = seededApi();
    await renderApp(api);
    const at = '2025-11-24T14:02:00.000Z';
    assert.match(stateText(), new RegExp(`no pending edits · last synced ${formatClock(at)}`));
    await act(async () => api.emit({ kind: 'sync', status: status({ connection: 'syncing', pendingCount: 1, lastSyncAt: at }) }));
    assert.match(stateText(), /Syncing… · 1 pending edit · last synced/);
    await act(async () => api.emit({ kind: 'sync', status: status({ connection: 'offline', pendingCount: 12, lastSyncAt: at, error: { code: 'unauthorized', message: 'Your token was revoked; sign in again.' } }) }));
    assert.match(stateText(), /12 pending edits/);
    assert.match(stateText(), /Your token was revoked; sign in again\./);
    assert.equal(formatClock(at).length, 5, 'HH:MM');
  });

  it('also shows on the sign-in screen', async () => {
    const api = seededApi();
    api.session = { signedIn: false, serverUrl: null, userId: null, role: null };
    api.sync = status({ connection: 'offline', pendingCount: 2 });
    await renderApp(api);
    assert.match(stateText(), /Offline.*2 pending edits/);
  });
});

describe('outbox panel', () => {
  function withEdits() {
    const api = seededApi();
    api.sync = status({
      connection: 'offline',
      pendingCount: 2,
      pending: [
        { key: 'k1', seq: 1, entity: 'prescription', rowId: 'rx-squat', action: 'patch', at: minutesAgo(4), summary: 'Change Back squat in Week 1 · Mon' },
        { key: 'k2', seq: 2, entity: 'workout', rowId: 'w-9', action: 'put', at: minutesAgo(0), summary: 'Add Full body to Week 1 · Fri' },
      ],
      failed: [
        {
          key: 'k0',
          seq: 0,
          entity: 'prescription',
          rowId: 'rx-rdl',
          action: 'patch',
          at: minutesAgo(90),
          failedAt: minutesAgo(60),
          summary: 'Change Romanian deadlift in Week 1 · Mon',
          reason: 'invalid',
          message: 'prescription.sets must be at most 100',
        },
      ],
    });
    return api;
  }

  it('lists pending edits with their age, and failed edits with the reason', async () => {
    await renderApp(withEdits());
    fireEvent.click(within(bar()).getByRole('button', { name: /^Outbox/ }));
    const panel = screen.getByRole('complementary', { name: 'Outbox' });
    const pending = within(panel).getByRole('region', { name: 'Pending edits' });
    assert.match(pending.textContent ?? '', /Change Back squat in Week 1 · Mon\s*4 min ago/);
    assert.match(pending.textContent ?? '', /Add Full body to Week 1 · Fri\s*just now/);
    const failed = within(panel).getByRole('region', { name: 'Failed edits' });
    assert.match(failed.textContent ?? '', /Change Romanian deadlift in Week 1 · Mon/);
    assert.match(failed.textContent ?? '', /prescription\.sets must be at most 100/);
    assert.match(failed.textContent ?? '', /failed 1 h ago/);
    assert.ok(within(bar()).getByRole('button', { name: '1 failed' }));
  });

  it('retries a failed edit', async () => {
    const api = withEdits();
    await renderApp(api);
    fireEvent.click(within(bar()).getByRole('button', { name: /^Outbox/ }));
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Retry: Change Romanian deadlift in Week 1 · Mon' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('retryEdit'), [['k0']]);
    const panel = screen.getByRole('complementary', { name: 'Outbox' });
    assert.match(within(panel).getByRole('region', { name: 'Failed edits' }).textContent ?? '', /Nothing failed/);
    assert.match(within(panel).getByRole('region', { name: 'Pending edits' }).textContent ?? '', /Change Romanian deadlift/);
  });

  it('discards a failed edit only after confirming', async () => {
    const api = withEdits();
    await renderApp(api);
    fireEvent.click(within(bar()).getByRole('button', { name: /^Outbox/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Discard: Change Romanian deadlift in Week 1 · Mon' }));
    let confirm = screen.getByRole('alertdialog', { name: 'Discard this edit?' });
    assert.match(confirm.textContent ?? '', /Change Romanian deadlift in Week 1 · Mon/);
    assert.equal(document.activeElement, within(confirm).getByRole('button', { name: 'Cancel' }), 'the safe choice has focus');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    assert.equal(screen.queryByRole('alertdialog'), null);
    assert.deepEqual(api.callsTo('discardEdit'), []);

    fireEvent.click(screen.getByRole('button', { name: 'Discard: Change Romanian deadlift in Week 1 · Mon' }));
    confirm = screen.getByRole('alertdialog', { name: 'Discard this edit?' });
    await act(async () => {
      fireEvent.click(within(confirm).getByRole('button', { name: 'Discard edit' }));
    });
    await settle();
    assert.deepEqual(api.callsTo('discardEdit'), [['k0']]);
    assert.match(screen.getByRole('region', { name: 'Failed edits' }).textContent ?? '', /Nothing failed/);
  });

  it('closes with Escape and with its close button', async () => {
    await renderApp(withEdits());
    const toggle = within(bar()).getByRole('button', { name: /^Outbox/ });
    fireEvent.click(toggle);
    assert.equal(toggle.getAttribute('aria-pressed'), 'true');
    fireEvent.keyDown(screen.getByRole('complementary', { name: 'Outbox' }), { key: 'Escape' });
    assert.equal(screen.queryByRole('complementary', { name: 'Outbox' }), null);
    fireEvent.click(toggle);
    fireEvent.click(screen.getByRole('button', { name: 'Close outbox' }));
    assert.equal(screen.queryByRole('complementary', { name: 'Outbox' }), null);
  });
});

describe('resolution journal', () => {
  it("lists the server's decisions in the host's words, newest first", async () => {
    const api = seededApi();
    await renderApp(api);
    await act(async () =>
      api.emit({
        kind: 'sync',
        status: status({
          journal: [
            { id: 1, at: minutesAgo(30), status: 'superseded', reason: 'trainee-log-wins', text: "Ben's logged sets on Tue were kept; your change to them was not applied" },
            { id: 2, at: minutesAgo(2), status: 'partial', reason: 'trainee-log-wins', text: 'Your change to Back squat was applied, except the reps Ben already logged' },
          ],
        }),
      }),
    );
    fireEvent.click(within(bar()).getByRole('button', { name: /^Resolution journal, 2 items/ }));
    const panel = screen.getByRole('complementary', { name: 'Resolution journal' });
    const items = within(panel).getAllByRole('listitem').map((li) => li.textContent ?? '');
    assert.match(items[0]!, /^Your change to Back squat was applied, except the reps Ben already logged/);
    assert.match(items[0]!, /partly applied/);
    assert.match(items[1]!, /^Ben's logged sets on Tue were kept; your change to them was not applied/);
    assert.match(items[1]!, /not applied/);
  });
});

describe('updates in the status bar', () => {
  it('shows the download, then "Restart to update", which asks the host to install', async () => {
    const api = seededApi();
    api.update = { status: 'idle', checkedAt: null };
    await renderApp(api);
    assert.equal(within(bar()).queryByRole('button', { name: 'Restart to update' }), null);
    await act(async () => api.emit({ kind: 'update', state: { status: 'downloading', version: '0.2.0', percent: 40 } }));
    assert.equal(within(bar()).getByTestId('update-progress').textContent, 'Downloading CoachDesk 0.2.0: 40 %');
    api.update = { status: 'ready', version: '0.2.0' };
    await act(async () => api.emit({ kind: 'update', state: api.update }));
    assert.equal(within(bar()).queryByTestId('update-progress'), null);
    fireEvent.click(within(bar()).getByRole('button', { name: 'Restart to update' }));
    await settle();
    assert.equal(api.callsTo('restartToUpdate').length, 1);
  });

  it('reads the state at start: a download finished before the page opened is offered', async () => {
    const api = seededApi();
    api.update = { status: 'ready', version: '0.2.0' };
    await renderApp(api);
    await settle();
    assert.ok(within(bar()).getByRole('button', { name: 'Restart to update' }));
  });

  it('offers nothing where updates are off', async () => {
    const api = seededApi();
    await renderApp(api);
    await settle();
    assert.equal(within(bar()).queryByRole('button', { name: 'Restart to update' }), null);
  });
});
