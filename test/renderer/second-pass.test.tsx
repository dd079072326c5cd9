import './setup.ts';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { undoKey } from '../../renderer/App.tsx';
import { hashToView, viewToHash, type View } from '../../renderer/lib/routes.ts';
import { createAppStore } from '../../renderer/store/app-store.ts';
import { seededApi } from './fake-api.ts';
import { renderApp, settle, teardown } from './render.tsx';

afterEach(teardown);

const bar = () => screen.getByRole('contentinfo', { name: 'Sync status' });

describe('the page and its host', () => {
  it('never says "Synced" once the host is gone, and recovers when it is back', async () => {
    const api = seededApi();
    await renderApp(api);
    assert.equal(within(bar()).getByTestId('connection').textContent, 'Synced');
    await act(async () => api.emit({ kind: 'host', connected: false, message: 'CoachDesk’s host is not answering' }));
    assert.equal(within(bar()).getByTestId('connection').textContent, 'Not connected to CoachDesk');
    assert.match(within(bar()).getByRole('status').textContent ?? '', /host is not answering/);
    // A sync event the page still had queued does not bring "Synced" back.
    await act(async () => api.emit({ kind: 'sync', status: { ...api.sync, connection: 'synced' } }));
    assert.equal(within(bar()).getByTestId('connection').textContent, 'Not connected to CoachDesk');
    await act(async () => api.emit({ kind: 'host', connected: true }));
    await settle();
    assert.equal(within(bar()).getByTestId('connection').textContent, 'Synced');
  });

  it('offers "Sync now" while not synced, and it asks the host at once', async () => {
    const api = seededApi();
    await renderApp(api);
    assert.equal(within(bar()).queryByRole('button', { name: 'Sync now' }), null);
    await act(async () => api.emit({ kind: 'sync', status: { ...api.sync, connection: 'offline' } }));
    await act(async () => {
      fireEvent.click(within(bar()).getByRole('button', { name: 'Sync now' }));
    });
    await settle();
    assert.equal(api.callsTo('syncNow').length, 1);
  });
});

describe('undo', () => {
  const key = (init: Partial<KeyboardEventInit>, target?: HTMLElement) => {
    const event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
    Object.defineProperty(event, 'target', { value: target ?? document.body });
    return undoKey(event);
  };

  it('Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo; a field being typed in keeps its own undo', () => {
    assert.equal(key({ key: 'z', ctrlKey: true }), 'undo');
    assert.equal(key({ key: 'Z', ctrlKey: true, shiftKey: true }), 'redo');
    assert.equal(key({ key: 'y', ctrlKey: true }), 'redo');
    assert.equal(key({ key: 'z', metaKey: true }), 'undo');
    assert.equal(key({ key: 'z' }), null);
    const input = document.createElement('input');
    assert.equal(key({ key: 'z', ctrlKey: true }, input), 'undo', 'a focused cell with nothing typed: the app undoes');
    input.dataset.dirty = 'true';
    assert.equal(key({ key: 'z', ctrlKey: true }, input), null, 'typing in progress: the browser undoes the typing');
  });

  it('a deleted row says so with Undo; Undo and Ctrl+Z call the host, which restores it', async () => {
    const api = seededApi();
    await renderApp(api, { name: 'program', id: 'p-block' });
    const region = () => screen.getByRole('region', { name: 'Week 1 · Mon — Lower A' });
    const rowCount = () => region().querySelectorAll('tr[data-rx-row]').length;
    assert.equal(rowCount(), 2);
    await act(async () => {
      fireEvent.click(within(region()).getByRole('button', { name: 'Delete row 2' }));
    });
    await settle();
    assert.equal(rowCount(), 1);
    assert.ok(screen.getByText('Deleted Romanian deadlift (row 2) from Week 1 · Mon — Lower A.'));
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    });
    await settle(40);
    assert.equal(api.callsTo('undo').length, 1);
    assert.equal(rowCount(), 2);
    assert.ok(screen.getByText('Undone: deletePrescription'));

    await act(async () => {
      fireEvent.keyDown(window, { key: 'z', ctrlKey: true, shiftKey: true });
    });
    await settle(40);
    assert.equal(api.callsTo('redo').length, 1);
    assert.equal(rowCount(), 1);
  });

  it('a failed command leaves an error that the next success clears', async () => {
    const api = seededApi();
    const store = createAppStore(api);
    await store.getState().init();
    const real = api.updateWorkout.bind(api);
    api.updateWorkout = async () => {
      throw new Error('this workout no longer exists');
    };
    await store.getState().updateWorkout('w-1-1', { title: 'X' });
    assert.equal(store.getState().notice?.tone, 'error');
    api.updateWorkout = real;
    await store.getState().updateWorkout('w-1-1', { title: 'Lower A2' });
    assert.equal(store.getState().notice, null);
  });
});

describe('routes', () => {
  it('every view has a hash, and the hash gives the view back', () => {
    const views: View[] = [
      { name: 'clients' },
      { name: 'programs' },
      { name: 'program', id: 'p-1', week: 1 },
      { name: 'program', id: 'p-1', week: 3 },
      { name: 'program', id: 'p-1', overview: true },
      { name: 'activity', traineeId: 't-ben' },
      { name: 'activity', traineeId: null },
      { name: 'library' },
      { name: 'settings' },
    ];
    for (const view of views) assert.deepEqual(hashToView(viewToHash(view)), view, viewToHash(view));
    assert.deepEqual(hashToView('#/nowhere'), { name: 'clients' });
    assert.deepEqual(hashToView('#/programs/p-1/week/zero'), { name: 'program', id: 'p-1', week: 1 });
  });

  it('with routing on, navigating writes the hash and Back comes back', async () => {
    window.history.replaceState(null, '', '/');
    const api = seededApi();
    const store = createAppStore(api, { routing: true });
    await store.getState().init();
    // The URL is written just after the screen changes.
    const written = () => new Promise((r) => setTimeout(r, 5));
    store.getState().navigate({ name: 'program', id: 'p-block' });
    await written();
    assert.equal(window.location.hash, '#/programs/p-block');
    store.getState().navigate({ name: 'library' });
    await written();
    assert.equal(window.location.hash, '#/library');
    window.history.back();
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(store.getState().view, { name: 'program', id: 'p-block', week: 1 });
    store.getState().dispose();
    window.history.replaceState(null, '', '/');
  });
});
