import { EventEmitter } from 'node:events';
import type { UpdateState } from '../../preload/api.ts';

/** What the host asks of the app's updates, whatever delivers them. */
export interface UpdateService {
  state(): UpdateState;
  /** Quits and installs the downloaded update. */
  restartToUpdate(): void;
  onChange(listener: (state: UpdateState) => void): () => void;
}

export class UpdateRefused extends Error {}

/** Updates that do not run here: the web shell, or the desktop app started from source. */
export function updatesOff(reason: string): UpdateService {
  const state: UpdateState = { status: 'off', reason };
  return {
    state: () => state,
    restartToUpdate() {
      throw new UpdateRefused(`updates are off: ${reason}`);
    },
    onChange: () => () => {},
  };
}

/** The part of electron-updater's AppUpdater this uses (its events and two calls). */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  checkForUpdates(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'checking-for-update', listener: () => void): unknown;
  on(event: 'update-available' | 'update-not-available' | 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'download-progress', listener: (progress: { percent: number }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export const UPDATE_CHECK_EVERY_MS = 4 * 60 * 60 * 1000;

/**
 * Checks on start and every few hours, downloads in the background, and offers "Restart to
 * update"; an update not installed by hand is installed when the app quits. Nothing here is
 * Electron: the desktop passes electron-updater's autoUpdater, tests a stand-in.
 */
export class UpdateCoordinator implements UpdateService {
  private current: UpdateState = { status: 'idle', checkedAt: null };
  private readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | undefined;
  private pendingVersion = '';

  constructor(
    private readonly updater: Updater,
    private readonly options: { everyMs?: number; now?: () => Date; log?: (line: string) => void } = {},
  ) {
    updater.autoDownload = true;
    updater.autoInstallOnAppQuit = true;
    updater.on('checking-for-update', () => this.set({ status: 'checking' }));
    updater.on('update-not-available', () => this.set({ status: 'idle', checkedAt: this.now() }));
    updater.on('update-available', (info) => {
      this.pendingVersion = info.version;
      this.set({ status: 'downloading', version: info.version, percent: 0 });
    });
    updater.on('download-progress', (progress) => {
      this.set({ status: 'downloading', version: this.pendingVersion, percent: Math.floor(progress.percent) });
    });
    updater.on('update-downloaded', (info) => this.set({ status: 'ready', version: info.version }));
    updater.on('error', (error) => {
      this.options.log?.(`update check failed: ${error.message}`);
      // A failed check after a finished download still leaves that download installable.
      if (this.current.status !== 'ready') this.set({ status: 'error', message: error.message, checkedAt: this.now() });
    });
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.options.everyMs ?? UPDATE_CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Starts a check unless one is under way or an update already waits to be installed. */
  check(): void {
    if (this.current.status === 'checking' || this.current.status === 'downloading' || this.current.status === 'ready') return;
    // The 'error' event reports it; the rejection would be the same error twice.
    this.updater.checkForUpdates().catch(() => {});
  }

  state(): UpdateState {
    return this.current;
  }

  restartToUpdate(): void {
    if (this.current.status !== 'ready') throw new UpdateRefused('there is no downloaded update to install yet');
    this.updater.quitAndInstall(false, true);
  }

  onChange(listener: (state: UpdateState) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private set(next: UpdateState): void {
    this.current = next;
    this.events.emit('change', next);
  }
}
