// Auto-update as the host sees it: the coordinator over electron-updater's events (a stand-in
// emits them here: the real one needs a packaged app and GitHub), and the API's two calls.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ChangeEvent, UpdateState } from '../../preload/api.ts';
import { callHost } from '../../main/host/api-boundary.ts';
import { CoachDeskHost } from '../../main/host/coachdesk-host.ts';
import { fileModeVault } from '../../main/host/saved-session.ts';
import { UpdateCoordinator, type Updater } from '../../main/host/updates.ts';
import { tempDir } from '../helpers.ts';

class StandInUpdater extends EventEmitter implements Updater {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  checks = 0;
  installs: Array<[boolean | undefined, boolean | undefined]> = [];
  failNext: Error | undefined;
  async checkForUpdates(): Promise<unknown> {
    this.checks++;
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      this.emit('error', error);
      throw error;
    }
    this.emit('checking-for-update');
    return null;
  }
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void {
    this.installs.push([isSilent, isForceRunAfter]);
  }
}

const tmp = tempDir('coachdesk-updates-');
after(() => tmp.cleanup());

describe('updates', () => {
  test('check on start, download in the background, then offer the restart', async () => {
    const updater = new StandInUpdater();
    const seen: UpdateState[] = [];
    const updates = new UpdateCoordinator(updater, { everyMs: 60_000, now: () => new Date('2026-12-01T10:00:00Z') });
    updates.onChange((s) => seen.push(s));
    assert.equal(updater.autoDownload, true);
    assert.equal(updater.autoInstallOnAppQuit, true, 'an update not installed by hand is installed on quit');
    updates.start();
    try {
      assert.equal(updater.checks, 1);
      assert.deepEqual(updates.state(), { status: 'checking' });
      assert.throws(() => updates.restartToUpdate(), /no downloaded update/);
      updater.emit('update-available', { version: '0.2.0' });
      updater.emit('download-progress', { percent: 41.7 });
      assert.deepEqual(updates.state(), { status: 'downloading', version: '0.2.0', percent: 41 });
      updates.check();
      assert.equal(updater.checks, 1, 'no second check while downloading');
      updater.emit('update-downloaded', { version: '0.2.0' });
      assert.deepEqual(updates.state(), { status: 'ready', version: '0.2.0' });
      updater.emit('error', new Error('network down'));
      assert.deepEqual(updates.state(), { status: 'ready', version: '0.2.0' }, 'a later failed check keeps the download');
      updates.restartToUpdate();
      assert.deepEqual(updater.installs, [[false, true]]);
      assert.deepEqual(
        seen.map((s) => s.status),
        ['checking', 'downloading', 'downloading', 'ready'],
      );
    } finally {
      updates.stop();
    }
  });

  test('no update, or a failed check, leaves the app as it is and says when it last looked', async () => {
    const updater = new StandInUpdater();
    const updates = new UpdateCoordinator(updater, { now: () => new Date('2026-12-01T10:00:00Z'), log: () => {} });
    updater.failNext = new Error('net::ERR_INTERNET_DISCONNECTED');
    updates.check();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(updates.state(), { status: 'error', message: 'net::ERR_INTERNET_DISCONNECTED', checkedAt: '2026-12-01T10:00:00.000Z' });
    updates.check();
    assert.equal(updater.checks, 2, 'a failed check is tried again');
    updater.emit('update-not-available', { version: '0.1.0' });
    assert.deepEqual(updates.state(), { status: 'idle', checkedAt: '2026-12-01T10:00:00.000Z' });
  });

  test('checks again every few hours', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const updater = new StandInUpdater();
    const updates = new UpdateCoordinator(updater, { everyMs: 4 * 3600_000 });
    updates.start();
    updater.emit('update-not-available', { version: '0.1.0' });
    t.mock.timers.tick(4 * 3600_000);
    updater.emit('update-not-available', { version: '0.1.0' });
    t.mock.timers.tick(4 * 3600_000);
    assert.equal(updater.checks, 3);
    updates.stop();
  });

  test('through the API: the state, its events, and a restart refused until a download is ready', async () => {
    const updater = new StandInUpdater();
    const updates = new UpdateCoordinator(updater);
    const host = new CoachDeskHost(join(tmp.dir, 'host'), fileModeVault, updates);
    const events: ChangeEvent[] = [];
    host.onChange((e) => events.push(e));
    try {
      const refused = await callHost(host, 'restartToUpdate', [], () => {});
      assert.deepEqual(refused, { ok: false, error: { code: 'refused', message: 'there is no downloaded update to install yet' } });
      updates.check();
      updater.emit('update-downloaded', { version: '0.3.0' });
      assert.deepEqual(await callHost(host, 'getUpdateState', [], () => {}), { ok: true, value: { status: 'ready', version: '0.3.0' } });
      assert.deepEqual(events.at(-1), { kind: 'update', state: { status: 'ready', version: '0.3.0' } });
      assert.deepEqual(await callHost(host, 'restartToUpdate', [], () => {}), { ok: true, value: null });
      assert.equal(updater.installs.length, 1);
    } finally {
      await host.close();
    }
  });

  test('off where the app runs from source', async () => {
    const host = new CoachDeskHost(join(tmp.dir, 'source'), fileModeVault);
    try {
      const state = await callHost(host, 'getUpdateState', [], () => {});
      assert.deepEqual(state, { ok: true, value: { status: 'off', reason: 'this copy of CoachDesk runs from source' } });
      const restart = await callHost(host, 'restartToUpdate', [], () => {});
      assert.equal(restart.ok, false);
      assert.match(!restart.ok ? restart.error.message : '', /^updates are off: this copy of CoachDesk runs from source$/);
    } finally {
      await host.close();
    }
  });
});
