import './setup.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RosterEntry, SyncStatus } from '../../preload/api.ts';
import { createAppStore } from '../../renderer/store/app-store.ts';
import { FakeApi, seededApi } from './fake-api.ts';

/** A scheduler the test runs by hand, to see coalescing. */
function manualFrames() {
  const queue: Array<() => void> = [];
  return { schedule: (run: () => void) => void queue.push(run), queue, flush: () => queue.splice(0).forEach((run) => run()) };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

const status = (patch: Partial<SyncStatus>): SyncStatus => ({ connection: 'offline', pendingCount: 0, pending: [], failed: [], journal: [], lastSyncAt: null, error: null, ...patch });

describe('app store', () => {
  it('boots into the session and reads what the first screen shows', async () => {
    const api = seededApi();
    const store = createAppStore(api);
    await store.getState().init();
    const s = store.getState();
    assert.equal(s.booted, true);
    assert.equal(s.session?.signedIn, true);
    assert.equal(s.view.name, 'clients');
    assert.deepEqual(s.roster.items.map((t) => t.name), ['Ben Okafor', 'Chloe Martin']);
    assert.equal(s.settings?.units, 'kg');
    assert.equal(s.sync.connection, 'synced');
    assert.equal(api.listenerCount, 1);
    s.dispose();
    assert.equal(api.listenerCount, 0);
  });

  it('takes the sync status from sync events', async () => {
    const api = seededApi();
    const store = createAppStore(api);
    await store.getState().init();
    for (const connection of ['offline', 'connecting', 'syncing', 'synced'] as const) {
      api.emit({ kind: 'sync', status: status({ connection, pendingCount: 3 }) });
      assert.equal(store.getState().sync.connection, connection);
      assert.equal(store.getState().sync.pendingCount, 3);
    }
  });

  it('keeps a sync event over an older getSyncStatus answer', async () => {
    const api = seededApi();
    const answers: Array<(s: SyncStatus) => void> = [];
    api.getSyncStatus = () => new Promise((resolve) => answers.push(resolve));
    const store = createAppStore(api);
    const booting = store.getState().init();
    await tick();
    // The event lands while the status read is in flight; the read answers with older news.
    api.emit({ kind: 'sync', status: status({ connection: 'syncing', pendingCount: 1 }) });
    assert.equal(answers.length, 1);
    answers[0]!(status({ connection: 'offline' }));
    await booting;
    assert.equal(store.getState().sync.connection, 'syncing');
  });

  it('refetches what is on screen on data events, once per frame', async () => {
    const api = seededApi();
    const frames = manualFrames();
    const store = createAppStore(api, { schedule: frames.schedule });
    await store.getState().init();
    const before = api.callsTo('getRoster').length;

    api.roster[0]!.name = 'Ben O.';
    api.emit({ kind: 'data', entities: ['trainee'] });
    api.emit({ kind: 'data', entities: ['session'] });
    api.emit({ kind: 'data', entities: ['trainee', 'set_log'] });
    assert.equal(frames.queue.length, 1, 'three events, one frame');
    frames.flush();
    await tick();
    assert.equal(api.callsTo('getRoster').length, before + 1);
    assert.equal(store.getState().roster.items[0]!.name, 'Ben O.');
    assert.equal(api.callsTo('getProgram').length, 0, 'the builder is not on screen');
  });

  it('does not refetch the roster for entities it does not show', async () => {
    const api = seededApi();
    const frames = manualFrames();
    const store = createAppStore(api, { schedule: frames.schedule });
    await store.getState().init();
    const before = api.callsTo('getRoster').length;
    api.emit({ kind: 'data', entities: ['prescription', 'exercise'] });
    frames.flush();
    await tick();
    assert.equal(api.callsTo('getRoster').length, before);
    // An entity the UI does not know is treated as "anything may have changed".
    api.emit({ kind: 'data', entities: ['something-new'] });
    frames.flush();
    await tick();
    assert.equal(api.callsTo('getRoster').length, before + 1);
  });

  it('refetches the open program on prescription events, and re-reads sync state on "*"', async () => {
    const api = seededApi();
    const frames = manualFrames();
    const store = createAppStore(api, { schedule: frames.schedule });
    await store.getState().init();
    store.getState().navigate({ name: 'program', id: 'p-block' });
    await tick();
    assert.equal(store.getState().program.detail?.name, 'Strength block 1');
    api.programs[0]!.workouts[0]!.prescriptions[0]!.sets = 6;
    api.emit({ kind: 'data', entities: ['prescription'] });
    frames.flush();
    await tick();
    assert.equal(store.getState().program.detail?.workouts[0]!.prescriptions[0]!.sets, 6);

    const syncReads = api.callsTo('getSyncStatus').length;
    api.sync = status({ connection: 'connecting' });
    api.emit({ kind: 'data', entities: ['*'] });
    frames.flush();
    await tick();
    assert.equal(api.callsTo('getSyncStatus').length, syncReads + 1);
    assert.equal(store.getState().sync.connection, 'connecting');
  });

  it('ignores an older answer that arrives after a newer one', async () => {
    const api = seededApi();
    const store = createAppStore(api);
    await store.getState().init();
    const answers: Array<(items: RosterEntry[]) => void> = [];
    api.getRoster = () => new Promise((resolve) => answers.push(resolve));
    const first = store.getState().refresh(['trainee']);
    const second = store.getState().refresh(['trainee']);
    const entry = { ...api.roster[0]! };
    answers[1]!([{ ...entry, name: 'newer' }]);
    answers[0]!([{ ...entry, name: 'older' }]);
    await Promise.all([first, second]);
    assert.deepEqual(store.getState().roster.items.map((t) => t.name), ['newer']);
  });

  it('refetches after a command resolves, so the edit shows at once', async () => {
    const api = seededApi();
    api.announce = false; // no data event: the command's own refetch must do it
    const store = createAppStore(api);
    await store.getState().init();
    store.getState().navigate({ name: 'program', id: 'p-block' });
    await tick();
    const ok = await store.getState().updatePrescription('rx-squat', { reps: '3' });
    assert.equal(ok, true);
    assert.equal(store.getState().program.detail?.workouts[0]!.prescriptions[0]!.reps, '3');
  });

  it('reports a failed command as an error notice', async () => {
    const api = seededApi();
    const store = createAppStore(api);
    await store.getState().init();
    api.deleteWorkout = async () => {
      throw new Error('prescription.sets must be at most 100');
    };
    await store.getState().deleteWorkout('w-1-1');
    assert.deepEqual({ tone: store.getState().notice?.tone, text: store.getState().notice?.text }, { tone: 'error', text: 'prescription.sets must be at most 100' });
  });

  describe('sign-in', () => {
    it('keeps the unauthorized error and its message', async () => {
      const api = new FakeApi();
      const store = createAppStore(api);
      await store.getState().init();
      assert.equal(store.getState().session?.signedIn, false);
      const ok = await store.getState().signIn('ws://127.0.0.1:8787/sync', 'wrong');
      assert.equal(ok, false);
      assert.deepEqual(store.getState().signInForm, { busy: false, error: { code: 'unauthorized', message: 'the server refused this token (unknown or revoked)' } });
    });

    it('keeps the unreachable error', async () => {
      const api = new FakeApi();
      const store = createAppStore(api);
      await store.getState().init();
      await store.getState().signIn('ws://nowhere.invalid:1/sync', 'good-token');
      assert.equal(store.getState().signInForm.error?.code, 'unreachable');
      assert.match(store.getState().signInForm.error!.message, /cannot reach/);
    });

    it('turns a thrown error (the bridge is down) into a message', async () => {
      const api = new FakeApi();
      api.signIn = async () => {
        throw new Error('cannot connect to the CoachDesk web shell (is it still running?)');
      };
      const store = createAppStore(api);
      await store.getState().init();
      await store.getState().signIn('ws://127.0.0.1:8787/sync', 'x');
      assert.deepEqual(store.getState().signInForm.error, { code: 'error', message: 'cannot connect to the CoachDesk web shell (is it still running?)' });
    });

    it('signs in, loads the screen, and clears everything on sign-out', async () => {
      const api = seededApi();
      api.session = { signedIn: false, serverUrl: null, userId: null, role: null };
      const store = createAppStore(api);
      await store.getState().init();
      assert.equal(await store.getState().signIn(' ws://127.0.0.1:8787/sync ', ' good-token '), true);
      assert.deepEqual(api.callsTo('signIn').at(-1), ['ws://127.0.0.1:8787/sync', 'good-token']);
      assert.equal(store.getState().session?.userId, 'coach-1');
      assert.equal(store.getState().roster.items.length, 2);
      await store.getState().signOut();
      assert.equal(store.getState().session?.signedIn, false);
      assert.equal(store.getState().roster.items.length, 0);
      assert.equal(store.getState().roster.loaded, false);
    });

    it('does not refetch on data events while signed out', async () => {
      const api = new FakeApi();
      const frames = manualFrames();
      const store = createAppStore(api, { schedule: frames.schedule });
      await store.getState().init();
      api.emit({ kind: 'data', entities: ['trainee'] });
      assert.equal(frames.queue.length, 0);
    });
  });
});
